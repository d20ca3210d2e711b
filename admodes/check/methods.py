"""The one-step finite-difference methods (forward, central, complex), the steps they take, and
`Differences`, what every method returns. Richardson's method builds on these in `richardson`.

A direction is an array of x's shape, or an int: the flat index of a unit vector (a Jacobian column).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .evaluations import first_non_finite
from .indices import multi_index


@dataclass
class Differences:
    """A finite-difference derivative with what it cost and how far it can be trusted.

    ``value`` is the derivative (a Jacobian, or a directional derivative), ``error`` an estimate of its
    absolute error elementwise (same shape), ``evaluations`` the number of calls of ``f``.

    >>> d = numeric_jacobian(np.sin, np.zeros(2), full_output=True)[1]
    >>> d.evaluations > 0 and bool(np.all(d.error < 1e-12))
    True
    """

    value: np.ndarray
    error: np.ndarray
    evaluations: int
    method: str


def step_unit(x, direction):
    """The step unit: max(1, |x_i|) over the elements the direction moves, per unit of the direction."""
    if isinstance(direction, int):
        return max(1.0, abs(float(x.flat[direction])))
    size = float(np.max(np.abs(direction)))
    if size == 0.0:
        return 1.0
    moved = np.abs(x[direction != 0])
    return max(1.0, float(moved.max())) / size


def moved_point(x, direction, h):
    """``x + h * direction`` and the step actually taken (exact for a unit direction)."""
    if isinstance(direction, int):
        y = x.copy()
        y.flat[direction] = x.flat[direction] + x.dtype.type(h)
        return y, float(y.flat[direction]) - float(x.flat[direction])
    return x + x.dtype.type(h) * direction, h


def dtype_eps(x):
    return float(np.finfo(x.dtype).eps)


def describe_direction(x, direction):
    if isinstance(direction, int):
        return f"x{list(multi_index(direction, x.shape))}"
    return "the direction"


def _require_finite_step(out, method, h, x, direction):
    """A one-step method cannot shrink its step: a non-finite value there is an error, said plainly."""
    where = first_non_finite(out)
    if where is not None:
        along = describe_direction(x, direction)
        raise ValueError(f"f is not finite one {method} step ({h:+.3g}) along {along} from the "
                         f"point (output{list(where)} = {out[where]}): the point is within one step of the edge "
                         "of f's domain; method='richardson' shrinks the step until f is finite")


def forward_difference(calls, x, direction, f0):
    eps = dtype_eps(x)
    xp, hp = moved_point(x, direction, np.sqrt(eps) * step_unit(x, direction))
    fp = calls(xp, "at x + h (forward difference)")
    _require_finite_step(fp, "forward", hp, x, direction)
    value = (fp - f0) / hp
    error = eps * (np.abs(fp) + np.abs(f0)) / hp + np.abs(value) * np.sqrt(eps)
    return Differences(value, error, 1, "forward")


def central_difference(calls, x, direction, f0):
    eps = dtype_eps(x)
    h = np.cbrt(eps) * step_unit(x, direction)
    value, rounding, (fp, fm) = central_difference_at(calls, x, direction, h)
    _require_finite_step(fp, "central", h, x, direction)
    _require_finite_step(fm, "central", -h, x, direction)
    error = rounding + np.abs(value) * eps ** (2 / 3)
    return Differences(value, error, 2, "central")


def central_difference_at(calls, x, direction, h):
    """One central difference at step h: (value, its rounding-error bound, (f(x+h), f(x-h)))."""
    xp, hp = moved_point(x, direction, h)
    xm, hm = moved_point(x, direction, -h)
    fp = calls(xp, f"at x + h (central difference, h = {h:.3g})")
    fm = calls(xm, f"at x - h (central difference, h = {h:.3g})")
    width = hp - hm
    rounding = dtype_eps(x) * (np.abs(fp) + np.abs(fm)) / width
    return (fp - fm) / width, rounding, (fp, fm)


COMPLEX_STEP = 1e-20
"""The complex step, per unit of ``max(1, |x_k|)``: no difference is taken, so no cancellation limits it
(Squire and Trapp 1998; Martins, Sturdza and Alonso 2003 take 1e-20 to 1e-200); small enough that the
truncation error h^2 f'''(x) / 6 vanishes, large enough that f's imaginary parts stay far from underflow."""

ANALYTIC_MARGIN = 100
"""How far (in central differences' own error estimates) the complex step may stray before f is called not
real-analytic: a function that takes complex input but is not holomorphic (abs, conj, real parts,
comparisons) gives a complex step that is wrong by a whole derivative, not by rounding."""


def complex_step(calls, x, direction, f0):
    """Im f(x + i h v) / h: exact to rounding for a real-analytic f written with complex-safe operations.

    Checked once per direction against a central difference (two more evaluations): f that accepts complex
    input but is not holomorphic there (``abs``, ``conj``, ``.real``, ``maximum``...) gives a wrong complex step
    without any warning, so a disagreement far beyond the central difference's error is an error naming the
    element, never a derivative. (A complex step that agrees is returned: it is the exact one.)
    """
    eps = dtype_eps(x)
    h = COMPLEX_STEP * step_unit(x, direction)
    z = x.astype(np.result_type(x.dtype, np.complex64))
    if isinstance(direction, int):
        z.flat[direction] += 1j * h
    else:
        z = z + 1j * h * direction
    out = calls(z, "at x + ih (complex step)", complex_ok=True)
    value = (out.imag / h).astype(x.dtype)
    if not np.all(np.isfinite(value)):
        raise ValueError("the complex step gave non-finite values: f is not analytic here; use method='richardson'")
    _require_analytic(calls, x, direction, f0, value)
    return Differences(value, 4 * eps * np.abs(value), 3, "complex")


def _require_analytic(calls, x, direction, f0, value):
    """Raise when the complex step disagrees with a central difference far beyond the latter's error."""
    check = central_difference(calls, x, direction, f0)
    off = np.abs(value - check.value) > ANALYTIC_MARGIN * check.error
    if off.any():
        where = tuple(int(k) for k in np.argwhere(off)[0])
        label = f"output{list(where)}" if np.ndim(value) else "f"
        raise ValueError(f"f is not real-analytic along {describe_direction(x, direction)}: at {label} the complex "
                         f"step gives {value[where]:.6g} but central differences {check.value[where]:.6g} (error "
                         f"estimate {check.error[where]:.1e}). f takes complex input, but a step of it is not "
                         "holomorphic (abs, conj, .real, maximum, comparisons...), so method='complex' cannot be "
                         "used; use method='richardson'")
