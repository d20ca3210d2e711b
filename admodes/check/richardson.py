"""Richardson's method: central differences at shrinking steps, extrapolated to h -> 0."""

from __future__ import annotations

import numpy as np

from .evaluations import first_non_finite
from .methods import Differences, central_difference_at, describe_direction, dtype_eps, step_unit

RATIO = 4.0        # each step is the previous one divided by this
_LEVELS = 3         # extrapolate away the h^2, h^4 and h^6 error terms at most
FIRST_STEP = 1 / 8  # the first step, relative to the element's scale max(1, |x_i|)


def richardson_difference(calls, x, direction, f0):
    """Central differences at shrinking steps, extrapolated to h -> 0; the best-estimated entry wins.

    Steps go from scale/8 down by a factor of 4, so both a function whose best step is large (x**2 at
    1e8) and one whose best step is tiny (log near 1e-8, sin at 1e6) are served. Each step adds a row to
    a Richardson (Neville) table that removes the h^2, h^4 and h^6 error terms; the error of an entry is
    estimated by its distance to its neighbours in the table plus the rounding error of the differences.
    Steps stop once every element has converged or stopped improving, or at scale * eps**0.75.
    """
    eps = dtype_eps(x)
    scale = step_unit(x, direction)
    best = _Best(f0, eps, scale)
    h, h_min, previous = scale * FIRST_STEP, scale * eps ** 0.75, None
    steps = 0
    while h >= h_min and not (steps >= 2 and best.settled()):
        central, rounding, _ = central_difference_at(calls, x, direction, h)
        steps += 1
        row = _extrapolate(central, previous)
        best.consider(row, previous, rounding)
        previous = row if np.any(np.isfinite(central)) else None
        h /= RATIO
    _require_finite(best.value, x, direction)
    dtype = np.result_type(f0.dtype, x.dtype)
    return Differences(best.value.astype(dtype), best.error.astype(dtype), 2 * steps, "richardson")


def _extrapolate(central, previous):
    """One row of the Richardson table: the central difference, then the h^2, h^4, ... terms removed."""
    row = [central]
    for j in range(1, 1 + min(_LEVELS, len(previous) if previous is not None else 0)):
        row.append(row[j - 1] + (row[j - 1] - previous[j - 1]) / (RATIO ** (2 * j) - 1))
    return row


class _Best:
    """The best derivative estimate so far for each output element, and whether it has converged."""

    def __init__(self, f0, eps, scale):
        self.value = np.full(f0.shape, np.nan)
        self.error = np.full(f0.shape, np.inf)
        self.stale = np.zeros(f0.shape, dtype=int)
        self.eps = eps
        self.floor = np.abs(f0) / scale  # a derivative this small times sqrt(eps) counts as zero

    def consider(self, row, previous, rounding):
        improved = np.zeros(self.value.shape, dtype=bool)
        for j, entry in enumerate(row):
            if previous is None:
                continue
            spread = np.abs(entry - previous[j - 1 if j else 0])
            if j:
                spread = np.maximum(spread, np.abs(entry - row[j - 1]))
            error = spread + 2 * rounding
            better = np.isfinite(error) & (error < self.error)
            self.value = np.where(better, entry, self.value)
            self.error = np.where(better, error, self.error)
            improved |= better
        self.stale = np.where(improved, 0, self.stale + 1)

    def settled(self):
        exact = self.error <= 4 * self.eps * np.abs(self.value)
        flat = (self.stale >= 2) & (self.error <= np.sqrt(self.eps) * np.maximum(np.abs(self.value), self.floor))
        return bool(np.all(exact | flat))


def _require_finite(value, x, direction):
    """Raise when some output element never got a finite estimate."""
    where = first_non_finite(value)
    if where is not None:
        raise ValueError(f"could not difference f along {describe_direction(x, direction)}: output{list(where)} is "
                         "non-finite at every step tried around x (x may be on the edge of f's domain)")
