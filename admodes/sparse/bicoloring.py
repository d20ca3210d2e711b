"""Two-sided (bidirectional) compression: some of a Jacobian's entries by forward sweeps, the rest by reverse.

A Jacobian with a dense row and a dense column (an arrowhead: f_0 = sum(x^2), f_i = x_0 x_i + ...) needs p
colors either way: the dense row makes every column clash, the dense column every row. Split it, and both
halves compress: the dense rows by reverse sweeps (one VJP per row color, over those rows alone), the other
rows by forward sweeps (a column coloring that need only keep apart the columns meeting in *those* rows), or
the dense columns by forward sweeps and the other columns by reverse ones. An arrowhead then takes 3 sweeps
at any p (1 + 2) instead of p. This is the simplest of the bidirectional partitions (Coleman and Verma, 1998;
Hossain and Steihaug, 1998, who split by row and column density as here); ColPack's star bicoloring finds
better splits on harder patterns.

    >>> import numpy as np
    >>> arrow = np.eye(6, dtype=bool); arrow[0, :] = arrow[:, 0] = True
    >>> split = bicoloring(arrow)
    >>> split.forward.count, split.reverse.count, split.count
    (2, 1, 3)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .coloring import Coloring, coloring

__all__ = ["Bicoloring", "bicoloring"]


@dataclass(frozen=True, eq=False)
class Bicoloring:
    """A split of a Jacobian's entries: ``forward`` colors the columns (one JVP per color), ``reverse`` the rows
    (one VJP per color); -1 marks a column (row) that no sweep of its direction seeds; ``by_forward[e]`` says
    whether the pattern's e-th nonzero (in CSR order) is read from the forward sweeps (else the reverse ones).

    >>> dense_row = np.eye(3, dtype=bool); dense_row[0] = True
    >>> split = bicoloring(dense_row)
    >>> split.count, split.by_forward.tolist()
    (2, [False, False, False, True, True])
    """

    forward: Coloring
    reverse: Coloring
    by_forward: np.ndarray
    kind = "bidirectional"

    @property
    def count(self):
        """Sweeps in all: forward colors and reverse colors."""
        return self.forward.count + self.reverse.count

    @property
    def compresses(self):
        """False when the split takes as many sweeps as the smaller dimension: nothing is saved."""
        return self.count < min(self.forward.colors.size, self.reverse.colors.size)

    def __repr__(self):
        return f"Bicoloring(forward={self.forward.count} colors, reverse={self.reverse.count} colors)"


def _split_rows(P, reverse_rows, order):
    """Forward sweeps for the rows not in ``reverse_rows``, reverse sweeps for those."""
    columns = coloring(sp.csr_array(P.multiply((~reverse_rows)[:, None]), dtype=bool), "column", order)
    rows = coloring(P[np.flatnonzero(reverse_rows)], "row", order)
    row_colors = np.full(P.shape[0], -1, np.int64)
    row_colors[reverse_rows] = rows.colors
    reverse = Coloring(row_colors, "row", order, rows.lower_bound)
    entry_rows = np.repeat(np.arange(P.shape[0]), np.diff(P.indptr))
    return Bicoloring(columns, reverse, ~reverse_rows[entry_rows])


def _candidates(counts):
    """Thresholds to try: the few largest counts of nonzeros per row that stand well above the typical one."""
    typical = float(np.median(counts)) if counts.size else 0.0
    return sorted({int(c) for c in counts if c > 2 * typical}, reverse=True)[:4]


def bicoloring(pattern, order="saturation_degree"):
    """The cheapest split found of ``pattern`` into forward and reverse sweeps (see the module docstring):
    the rows with the most nonzeros (above a few thresholds) by reverse sweeps and the rest forward, or the
    columns with the most by forward sweeps and the rest reverse. None when no row or column stands out (a
    one-sided coloring is then as good: banded, block-diagonal and stencil patterns).

    >>> bicoloring(np.eye(4) + np.eye(4, k=1)) is None
    True
    """
    P = sp.csr_array(pattern, dtype=bool)
    P.sum_duplicates()
    best = None
    for t in _candidates(np.diff(P.indptr)):
        split = _split_rows(P, np.diff(P.indptr) >= t, order)
        if best is None or split.count < best.count:
            best = split
    T = sp.csr_array(P.T)
    T.sum_duplicates()
    for t in _candidates(np.diff(T.indptr)):
        transposed = _split_rows(T, np.diff(T.indptr) >= t, order)
        if best is None or transposed.count < best.count:
            best = _transposed(P, T, transposed)
    return best


def _transposed(P, T, split):
    """A split of T = P^T (its reverse rows are P's forward columns) as a split of P."""
    forward = Coloring(split.reverse.colors, "column", split.reverse.order, split.reverse.lower_bound)
    reverse = Coloring(split.forward.colors, "row", split.forward.order, split.forward.lower_bound)
    # T's e-th nonzero (i, j) is P's (j, i): map the mask to P's CSR order through a matrix of entry numbers
    numbers = sp.csr_array((np.arange(T.nnz) + 1, T.indices, T.indptr), shape=T.shape).T.tocsr()
    numbers.sort_indices()
    return Bicoloring(forward, reverse, ~split.by_forward[numbers.data - 1])
