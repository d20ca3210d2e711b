"""Finite differences: Jacobians, gradients and directional derivatives of any NumPy function.

Finite differences evaluate ``f`` on plain NumPy arrays (so ``f`` may be any NumPy code, and functions
written with `admodes.numpy` take the op library's fast path). Four methods:

======== ============================================ ========================= ==================
method   formula (along a direction v, step h)        evaluations per direction  typical rel. error
======== ============================================ ========================= ==================
forward  (f(x + hv) - f(x)) / h,  h ~ sqrt(eps)       1 (+1 shared for f(x))    1e-8
central  (f(x + hv) - f(x - hv)) / 2h,  h ~ cbrt(eps) 2                          1e-10
richardson central differences at steps h, h/4, h/16, 2 per step, stops when       1e-13
         ... extrapolated to h -> 0; the estimate     converged (4 to 36)
         with the smallest error estimate wins
complex  Im f(x + ihv) / h,  h ~ 1e-20; checked     3 (1, and 2 for the check) 1e-16
         against a central difference, so f must
         take complex x and be real-analytic
======== ============================================ ========================= ==================

Steps scale with each element's magnitude, ``max(1, |x_i|)``, and the step actually taken is
``(x_i + h) - x_i`` (exact in floating point). The measured accuracy against numdifftools is in
docs/finite_differences.md.
"""

from __future__ import annotations

import math
import os

import numpy as np

from .evaluations import Calls, as_point
from .methods import Differences, central_difference, complex_step, dtype_eps, forward_difference, step_unit
from .richardson import FIRST_STEP, RATIO, richardson_difference

METHODS = ("richardson", "central", "forward", "complex")
"""The finite-difference methods, the default first (``"complex-step"`` is accepted for ``"complex"``)."""

_ALIASES = {"complex-step": "complex", "complex_step": "complex"}

MAX_EVALUATIONS = 100_000
"""The default limit on a whole Jacobian's evaluations of f: x.size columns cost at least 4 each with
richardson (3 with complex, 2 with central, 1 with forward), and each evaluation copies x, so beyond this the
work grows as x.size squared (a 25,000-element x at 2 ms an evaluation already takes minutes)."""

_METHOD_FUNCTIONS = {"forward": forward_difference, "central": central_difference,
                     "richardson": richardson_difference, "complex": complex_step}


def numeric_jacobian(f, x, method="richardson", *, full_output=False, max_evaluations=MAX_EVALUATIONS):
    """The Jacobian of ``f`` at ``x`` by finite differences, in JAX's layout ``f(x).shape + x.shape``.

    A scalar ``f`` gives the gradient (shape ``x.shape``). ``method`` is one of `METHODS`;
    ``full_output=True`` also returns a `Differences` with the error estimate and the evaluations.
    A Jacobian that would take more than ``max_evaluations`` evaluations of f (at the least), or more
    memory than the machine has, is refused up front with what it would need (`numeric_jvp` takes a
    constant number of evaluations however large x is).

    >>> numeric_jacobian(lambda x: x ** 2, np.array([1.0, 2.0])).round(8)
    array([[2., 0.],
           [0., 4.]])
    >>> numeric_jacobian(np.sin, np.zeros(10 ** 6))
    Traceback (most recent call last):
    ...
    ValueError: numeric_jacobian: x has 1,000,000 elements, so the richardson Jacobian takes at least 4,000,000 ...
    """
    x = as_point(x, "x")
    method = check_method(method)
    calls = Calls(f)
    f0 = calls.at_point(x)
    require_affordable(x, f0, method, max_evaluations, calls.seconds, "numeric_jacobian")
    value, error = difference_jacobian(calls, x, f0, method)
    result = Differences(value, error, calls.count, method)
    return (value, result) if full_output else value


def numeric_grad(f, x, method="richardson", *, full_output=False, max_evaluations=MAX_EVALUATIONS):
    """The gradient of a scalar ``f`` at ``x`` by finite differences (shape ``x.shape``).

    A size-1 output counts as a scalar; for a non-scalar ``f`` this is `numeric_jacobian` (which says
    what ``max_evaluations`` limits).

    >>> numeric_grad(lambda x: np.sum(x ** 3), np.array([1.0, 2.0])).round(8)
    array([ 3., 12.])
    """
    value, diff = numeric_jacobian(f, x, method, full_output=True, max_evaluations=max_evaluations)
    x_shape = np.shape(x)
    if value.size == int(np.prod(x_shape)) and value.shape != x_shape:
        value, diff.error = value.reshape(x_shape), diff.error.reshape(x_shape)
        diff.value = value
    return (value, diff) if full_output else value


def numeric_jvp(f, x, v, method="richardson", *, full_output=False):
    """The directional derivative ``J(x) @ v`` of ``f`` at ``x`` along ``v`` (shape ``f(x).shape``).

    Costs the same number of evaluations however large ``x`` is: the checker's ``fast=True`` uses it.

    >>> numeric_jvp(lambda x: x * x, np.array([1.0, 2.0]), np.array([1.0, 1.0])).round(8)
    array([2., 4.])
    """
    x = as_point(x, "x")
    v = np.asarray(v, dtype=x.dtype)
    if v.shape != x.shape:
        raise ValueError(f"the direction v has shape {v.shape} but x has shape {x.shape}: they must match")
    method = check_method(method)
    calls = Calls(f)
    f0 = calls.at_point(x)
    d = difference_derivative(calls, x, v, f0, method)
    result = Differences(d.value, d.error, calls.count, method)
    return (d.value, result) if full_output else d.value


def check_method(method):
    method = _ALIASES.get(method, method) if isinstance(method, str) else method
    if method not in METHODS:
        raise ValueError(f"unknown finite-difference method {method!r}: use one of {', '.join(METHODS)}")
    return method


def difference_derivative(calls, x, direction, f0, method):
    """The derivative of f at x along ``direction``: an int is the flat index of a unit vector.

    When ``calls`` evaluates a float32 point in float64 (`Calls` with ``widen=True``), the differences are taken
    in float64 and their error estimate gains `narrow_rounding`: how far a correct float32 derivative may be
    from the exact one, so that a float32 rounding residue is never judged a wrong derivative.
    """
    wide = calls.point(x)
    if wide is x:
        return _METHOD_FUNCTIONS[method](calls, x, direction, f0)
    d = _METHOD_FUNCTIONS[method](calls, wide, direction if isinstance(direction, int) else
                                  np.asarray(direction, np.float64), f0)
    d.error = d.error + narrow_rounding(calls, x, direction, f0)
    return d


NARROW_ROUNDING = 8
"""A float32 derivative computed from terms of f's size may be off by this many eps32 |f| per unit step."""


def narrow_rounding(calls, x, direction, f0):
    """The rounding a correct derivative computed in x's own (narrower) dtype may carry, per output element:
    ``NARROW_ROUNDING * eps * |f| / max(1, |x_k|)``. It grows with |f| (a float32 derivative of a function
    made of large terms is rounded at their size), so where it exceeds the tolerance the checker says
    "cannot decide", never "ok"; it is far smaller than float32 differences' own rounding (eps**(2/3) |f|).
    """
    return NARROW_ROUNDING * calls.narrow_eps * np.abs(f0) / step_unit(x, direction)


def _evaluations_per_column(method, x):
    """(fewest, most) evaluations of f one Jacobian column takes with ``method``."""
    if method != "richardson":
        return (2, 2) if method == "central" else (3, 3) if method == "complex" else (1, 1)
    steps = math.floor(math.log(FIRST_STEP / dtype_eps(x) ** 0.75) / math.log(RATIO)) + 1
    return 4, 2 * steps


def require_affordable(x, f0, method, max_evaluations, seconds_per_call, who, instead="numeric_jvp"):
    """Refuse, before any differencing, a Jacobian over ``max_evaluations`` or over this machine's memory."""
    fewest, most = _evaluations_per_column(method, x)
    least, nbytes = fewest * x.size, 3 * 8 * f0.size * x.size  # value, error, and the columns they are stacked from
    memory = physical_memory()
    if least <= max_evaluations and nbytes <= memory:
        return
    over = (f"over max_evaluations={max_evaluations:,}" if least > max_evaluations
            else f"more than this machine's {gib(memory)}")
    raise ValueError(f"{who}: x has {x.size:,} elements, so the {method} Jacobian takes at least {least:,} "
                     f"evaluations of f (up to {most * x.size:,}), {over}, and about {gib(nbytes)} of memory "
                     f"(f(x) has {f0.size:,} element{'s' * (f0.size != 1)}; one evaluation took "
                     f"{_duration(seconds_per_call)}: at least {_duration(least * seconds_per_call)}). {instead} "
                     "takes a constant number of evaluations; "
                     "or pass a larger max_evaluations.")


def physical_memory():
    """This machine's memory in bytes (1 TiB when the system does not say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return 2 ** 40


def gib(nbytes):
    """``745 GiB``, ``2.3 MiB``: a size in bytes, said in the unit that suits it."""
    if nbytes < 2 ** 30:
        return f"{nbytes / 2 ** 20:,.3g} MiB"
    return f"{nbytes / 2 ** 30:,.3g} GiB"


def _duration(seconds):
    for unit, size in (("hours", 3600), ("minutes", 60), ("s", 1)):
        if seconds >= size:
            return f"{seconds / size:.3g} {unit}"
    return f"{seconds * 1e3:.3g} ms"


def difference_jacobian(calls, x, f0, method):
    """The Jacobian and its error estimate, column by column: (value, error), each f0.shape + x.shape
    (in float64 when ``calls`` widens a float32 point: see `difference_derivative`)."""
    columns = [difference_derivative(calls, x, k, f0, method) for k in range(x.size)]
    return (assemble_jacobian([d.value for d in columns], f0.shape, x.shape),
            assemble_jacobian([d.error for d in columns], f0.shape, x.shape))


def assemble_jacobian(columns, out_shape, in_shape):
    """Columns (one per input element, each of the output's shape) -> the Jacobian out_shape + in_shape."""
    stacked = np.stack([np.asarray(c) for c in columns], axis=-1)
    return stacked.reshape(tuple(out_shape) + tuple(in_shape))
