"""Finite differences, and a gradient checker that compares them with both AD modes.

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
complex  Im f(x + ihv) / h,  h ~ eps**2               1 (f must take complex x)  1e-16
======== ============================================ ========================= ==================

Steps scale with each element's magnitude, ``max(1, |x_i|)``, and the step actually taken is
``(x_i + h) - x_i`` (exact in floating point). The measured accuracy against numdifftools is in
docs/finite_differences.md.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

__all__ = ["METHODS", "numeric_grad", "numeric_jacobian", "numeric_jvp", "Differences"]

METHODS = ("richardson", "central", "forward", "complex")
"""The finite-difference methods, the default first."""

_RATIO = 4.0        # Richardson: each step is the previous one divided by this
_LEVELS = 3         # Richardson: extrapolate away the h^2, h^4 and h^6 error terms at most
_FIRST_STEP = 1 / 8  # Richardson: the first step, relative to the element's scale max(1, |x_i|)


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


# ----------------------------------------------------------------------------------------------------
# Public functions
# ----------------------------------------------------------------------------------------------------

def numeric_jacobian(f, x, method="richardson", *, full_output=False):
    """The Jacobian of ``f`` at ``x`` by finite differences, in JAX's layout ``f(x).shape + x.shape``.

    A scalar ``f`` gives the gradient (shape ``x.shape``). ``method`` is one of `METHODS`;
    ``full_output=True`` also returns a `Differences` with the error estimate and the evaluations.

    >>> numeric_jacobian(lambda x: x ** 2, np.array([1.0, 2.0])).round(8)
    array([[2., 0.],
           [0., 4.]])
    """
    x = _as_point(x, "x")
    method = _check_method(method)
    calls = _Calls(f)
    f0 = calls.at_point(x, complex_ok=False)
    columns, errors = [], []
    for i in range(x.size):
        d = _derivative(calls, x, i, f0, method)
        columns.append(d.value)
        errors.append(d.error)
    value = _assemble(columns, f0.shape, x.shape)
    result = Differences(value, _assemble(errors, f0.shape, x.shape), calls.count, method)
    return (value, result) if full_output else value


def numeric_grad(f, x, method="richardson", *, full_output=False):
    """The gradient of a scalar ``f`` at ``x`` by finite differences (shape ``x.shape``).

    A size-1 output counts as a scalar; for a non-scalar ``f`` this is `numeric_jacobian`.

    >>> numeric_grad(lambda x: np.sum(x ** 3), np.array([1.0, 2.0])).round(8)
    array([ 3., 12.])
    """
    value, diff = numeric_jacobian(f, x, method, full_output=True)
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
    x = _as_point(x, "x")
    v = np.asarray(v, dtype=x.dtype)
    if v.shape != x.shape:
        raise ValueError(f"the direction v has shape {v.shape} but x has shape {x.shape}: they must match")
    method = _check_method(method)
    calls = _Calls(f)
    f0 = calls.at_point(x, complex_ok=False)
    d = _derivative(calls, x, v, f0, method)
    result = Differences(d.value, d.error, calls.count, method)
    return (d.value, result) if full_output else d.value


# ----------------------------------------------------------------------------------------------------
# Checking the input and the output of f
# ----------------------------------------------------------------------------------------------------

def _as_point(x, name):
    """A float copy of ``x`` (the caller's array is never touched), or an error that says what is wrong."""
    if isinstance(x, (str, bytes, dict, set)) or x is None:
        raise TypeError(f"{name} must be a float array or number, got {type(x).__name__}")
    arr = np.asarray(x)
    kind = arr.dtype.kind
    if kind in "iub":
        raise TypeError(f"{name} has dtype {arr.dtype}: finite differences need a float array "
                        f"(pass {name}.astype(float))")
    if kind == "c":
        raise TypeError(f"{name} is complex ({arr.dtype}): admodes differentiates real arrays only")
    if kind != "f":
        raise TypeError(f"{name} must be a float array or number, got {type(x).__name__} of dtype {arr.dtype}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape}): there is nothing to differentiate")
    bad = np.argwhere(~np.isfinite(arr))
    if len(bad):
        where = tuple(int(k) for k in bad[0])
        raise ValueError(f"{name} has non-finite values ({name}{list(where)} = {arr[where]}): "
                         "differentiate at a finite point")
    return np.array(arr, copy=True)


def _check_method(method):
    if method not in METHODS:
        raise ValueError(f"unknown finite-difference method {method!r}: use one of {', '.join(METHODS)}")
    return method


class _Calls:
    """Calls ``f`` on fresh plain arrays, counts the calls and checks what comes back."""

    def __init__(self, f):
        if not callable(f):
            raise TypeError(f"f must be callable, got {type(f).__name__}")
        self.f = f
        self.count = 0
        self.shape = None

    def at_point(self, x, complex_ok):
        """f(x), which must be finite: finite differences around a non-finite value mean nothing."""
        out = self(x, "at the point", complex_ok)
        bad = np.argwhere(~np.isfinite(out))
        if len(bad):
            where = tuple(int(k) for k in bad[0])
            label = f"output{list(where)}" if out.ndim else "the output"
            raise ValueError(f"f is not finite at the point: {label} = {out[where]} "
                             f"({len(bad)} of {out.size} output elements non-finite); "
                             "gradients can only be checked where f is finite")
        self.shape = out.shape
        return out

    def __call__(self, x, where, complex_ok=False):
        self.count += 1
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("error", np.exceptions.ComplexWarning)
                out = self.f(x.copy())
        except np.exceptions.ComplexWarning as err:
            raise TypeError(f"f does not accept complex input ({err}), so method='complex' cannot be used; "
                            "use method='richardson'") from None
        except Exception as err:
            if complex_ok:
                raise TypeError(f"f does not accept complex input, so method='complex' cannot be used; "
                                f"use method='richardson' (f raised {type(err).__name__}: {err})") from None
            if hasattr(err, "add_note"):
                err.add_note(f"(raised by f, called {where} by the finite differences)")
            raise
        return self._as_output(out, where, complex_ok)

    def _as_output(self, out, where, complex_ok):
        if isinstance(out, (list, tuple, dict, set, str, bytes)) or out is None:
            raise TypeError(f"f must return an array or a number, got {type(out).__name__}"
                            + (" (return np.stack(...) for several arrays)" if isinstance(out, (list, tuple))
                               else ""))
        arr = np.array(out, copy=True)
        kind = arr.dtype.kind
        if complex_ok:
            if kind != "c":
                raise TypeError("f returned real values for complex input: it drops the imaginary part "
                                "(np.real, abs, astype(float), ...), so method='complex' cannot be used; "
                                "use method='richardson'")
        elif kind in "iub":
            raise TypeError(f"f returned an array of dtype {arr.dtype}: its derivative is not defined; "
                            "return floats")
        elif kind != "f":
            raise TypeError(f"f must return a float array or number, got {type(out).__name__} of dtype {arr.dtype}")
        if self.shape is not None and arr.shape != self.shape:
            raise ValueError(f"f returned shape {arr.shape} {where} but {self.shape} at the point: "
                             "the output shape must not depend on the input's values")
        return arr


# ----------------------------------------------------------------------------------------------------
# One directional derivative, by each method
# ----------------------------------------------------------------------------------------------------

def _derivative(calls, x, direction, f0, method):
    """The derivative of f at x along ``direction``: an int is the flat index of a unit vector."""
    return _METHOD_FUNCTIONS[method](calls, x, direction, f0)


def _scale(x, direction):
    """The step unit: max(1, |x_i|) over the elements the direction moves, per unit of the direction."""
    if isinstance(direction, int):
        return max(1.0, abs(float(x.flat[direction])))
    size = float(np.max(np.abs(direction)))
    if size == 0.0:
        return 1.0
    moved = np.abs(x[direction != 0])
    return max(1.0, float(moved.max())) / size


def _moved(x, direction, h):
    """``x + h * direction`` and the step actually taken (exact for a unit direction)."""
    if isinstance(direction, int):
        y = x.copy()
        y.flat[direction] = x.flat[direction] + x.dtype.type(h)
        return y, float(y.flat[direction]) - float(x.flat[direction])
    return x + x.dtype.type(h) * direction, h


def _eps(x):
    return float(np.finfo(x.dtype).eps)


def _forward(calls, x, direction, f0):
    eps = _eps(x)
    xp, hp = _moved(x, direction, np.sqrt(eps) * _scale(x, direction))
    fp = calls(xp, "at x + h (forward difference)")
    _require_finite_step(fp, "forward", hp, x, direction)
    value = (fp - f0) / hp
    error = eps * (np.abs(fp) + np.abs(f0)) / hp + np.abs(value) * np.sqrt(eps)
    return Differences(value, error, 1, "forward")


def _central(calls, x, direction, f0):
    eps = _eps(x)
    h = np.cbrt(eps) * _scale(x, direction)
    value, rounding, (fp, fm) = _central_at(calls, x, direction, h)
    _require_finite_step(fp, "central", h, x, direction)
    _require_finite_step(fm, "central", -h, x, direction)
    error = rounding + np.abs(value) * eps ** (2 / 3)
    return Differences(value, error, 2, "central")


def _central_at(calls, x, direction, h):
    """One central difference at step h: (value, its rounding-error bound, (f(x+h), f(x-h)))."""
    xp, hp = _moved(x, direction, h)
    xm, hm = _moved(x, direction, -h)
    fp = calls(xp, f"at x + h (central difference, h = {h:.3g})")
    fm = calls(xm, f"at x - h (central difference, h = {h:.3g})")
    width = hp - hm
    rounding = _eps(x) * (np.abs(fp) + np.abs(fm)) / width
    return (fp - fm) / width, rounding, (fp, fm)


def _complex(calls, x, direction, f0):
    eps = _eps(x)
    h = eps ** 2 * _scale(x, direction)
    z = x.astype(np.result_type(x.dtype, np.complex64))
    if isinstance(direction, int):
        z.flat[direction] += 1j * h
    else:
        z = z + 1j * h * direction
    out = calls(z, "at x + ih (complex step)", complex_ok=True)
    value = (out.imag / h).astype(x.dtype)
    if not np.all(np.isfinite(value)):
        raise ValueError("the complex step gave non-finite values: f is not analytic here; use method='richardson'")
    return Differences(value, 4 * eps * np.abs(value), 1, "complex")


def _richardson(calls, x, direction, f0):
    """Central differences at shrinking steps, extrapolated to h -> 0; the best-estimated entry wins.

    Steps go from scale/8 down by a factor of 4, so both a function whose best step is large (x**2 at
    1e8) and one whose best step is tiny (log near 1e-8, sin at 1e6) are served. Each step adds a row to
    a Richardson (Neville) table that removes the h^2, h^4 and h^6 error terms; the error of an entry is
    estimated by its distance to its neighbours in the table plus the rounding error of the differences.
    Steps stop once every element has converged or stopped improving, or at scale * eps**0.75.
    """
    eps = _eps(x)
    scale = _scale(x, direction)
    best = _Best(f0, eps, scale)
    h, h_min, previous = scale * _FIRST_STEP, scale * eps ** 0.75, None
    steps = 0
    while h >= h_min and not (steps >= 2 and best.settled()):
        central, rounding, _ = _central_at(calls, x, direction, h)
        steps += 1
        row = _extrapolate(central, previous)
        best.consider(row, previous, rounding)
        previous = row if np.any(np.isfinite(central)) else None
        h /= _RATIO
    _require_finite(best.value, x, direction)
    dtype = np.result_type(f0.dtype, x.dtype)
    return Differences(best.value.astype(dtype), best.error.astype(dtype), 2 * steps, "richardson")


def _extrapolate(central, previous):
    """One row of the Richardson table: the central difference, then the h^2, h^4, ... terms removed."""
    row = [central]
    for j in range(1, 1 + min(_LEVELS, len(previous) if previous is not None else 0)):
        row.append(row[j - 1] + (row[j - 1] - previous[j - 1]) / (_RATIO ** (2 * j) - 1))
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
    bad = np.argwhere(~np.isfinite(value))
    if len(bad):
        where = tuple(int(k) for k in bad[0])
        raise ValueError(f"could not difference f along {_along(x, direction)}: output{list(where)} is "
                         "non-finite at every step tried around x (x may be on the edge of f's domain)")

_METHOD_FUNCTIONS = {"forward": _forward, "central": _central, "richardson": _richardson, "complex": _complex}


def _along(x, direction):
    if isinstance(direction, int):
        return f"x{list(int(i) for i in np.unravel_index(direction, x.shape))}"
    return "the direction"


def _require_finite_step(out, method, h, x, direction):
    """A one-step method cannot shrink its step: a non-finite value there is an error, said plainly."""
    bad = np.argwhere(~np.isfinite(out))
    if len(bad):
        where = tuple(int(k) for k in bad[0])
        raise ValueError(f"f is not finite one {method} step ({h:+.3g}) along {_along(x, direction)} from the "
                         f"point (output{list(where)} = {out[where]}): the point is within one step of the edge "
                         "of f's domain; method='richardson' shrinks the step until f is finite")


def _assemble(columns, out_shape, in_shape):
    """Columns (one per input element, each of the output's shape) -> the Jacobian out_shape + in_shape."""
    stacked = np.stack([np.asarray(c) for c in columns], axis=-1)
    return stacked.reshape(tuple(out_shape) + tuple(in_shape))
