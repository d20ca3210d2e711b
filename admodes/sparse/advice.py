"""What compression would buy for a function's Jacobian: the colors in each direction and the cheapest way.

For ``admodes compare`` (issue 18, item 5) and for anyone choosing a mode: `color_advice` finds the
pattern, colors it both ways and says how many sweeps the compressed forms take beside the dense ones.

    >>> import numpy as np
    >>> advice = color_advice(lambda x: x[1:] * x[:-1], np.ones(100))
    >>> advice.forward.count, advice.reverse.count, advice.recommended
    (2, 2, 'compressed forward')
    >>> print(advice.lines()[1])
    colors: 2 by columns (forward; at least 2), 2 by rows (reverse; at least 2)
"""

from __future__ import annotations

from dataclasses import dataclass

from .coloring import Coloring, coloring
from .tracer import jacobian_sparsity

__all__ = ["ColorAdvice", "color_advice"]


@dataclass(frozen=True)
class ColorAdvice:
    """The Jacobian's pattern size and its column (forward) and row (reverse) colorings."""

    shape: tuple
    nnz: int
    forward: Coloring
    reverse: Coloring

    @property
    def recommended(self):
        """The fewest sweeps among dense jacfwd (p), dense jacrev (m) and the two compressed forms; the
        dense form on a tie (compression then buys nothing), forward before reverse."""
        m, p = self.shape
        options = [(p, 0, "jacfwd"), (m, 1, "jacrev"), (self.forward.count, 2, "compressed forward"),
                   (self.reverse.count, 3, "compressed reverse")]
        return min(options)[2]

    def lines(self):
        """Three lines of text for a report."""
        m, p = self.shape
        density = self.nnz / max(m * p, 1)
        advice = {"jacfwd": "compression buys nothing here: use jacfwd",
                  "jacrev": "compression buys nothing here: use jacrev",
                  "compressed forward": f"use sparse_jacfwd: {self.forward.count} forward sweeps instead of {p}",
                  "compressed reverse": f"use sparse_jacrev: {self.reverse.count} reverse sweeps instead of {m}"}
        return [f"Jacobian pattern: {self.nnz:,} nonzeros of {m:,} x {p:,} ({density:.1%})",
                f"colors: {self.forward.count} by columns (forward; at least {self.forward.lower_bound}), "
                f"{self.reverse.count} by rows (reverse; at least {self.reverse.lower_bound})",
                advice[self.recommended]]


def color_advice(f, x, order="natural"):
    """The `ColorAdvice` for f's Jacobian at x (the pattern is the one for every x, see `jacobian_sparsity`).

    >>> import numpy as np
    >>> color_advice(lambda x: x * x.sum(), np.ones(3)).recommended
    'jacfwd'
    """
    if not callable(f):
        raise TypeError(f"color_advice: f must be callable, got {type(f).__name__}")
    pattern = jacobian_sparsity(f)(x)
    return ColorAdvice(pattern.shape, int(pattern.nnz), coloring(pattern, "column", order),
                       coloring(pattern, "row", order))
