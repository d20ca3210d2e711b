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

import inspect
import numbers
import warnings
from contextlib import contextmanager
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
            label = f"output{list(where)}" if out.ndim else "f(x)"
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


# ====================================================================================================
# The gradient checker
# ====================================================================================================

class GradcheckError(Exception):
    """A derivative disagrees with finite differences (or the AD modes disagree with each other).

    The message names the argument, the element, both values, the errors and the mode at fault;
    ``report`` is the full `GradcheckReport`.

    >>> issubclass(GradcheckError, Exception)
    True
    """

    def __init__(self, message, report=None):
        super().__init__(message)
        self.report = report


_RTOL = {8: 1e-6, 4: 1e-3, 2: 3e-2}   # default rtol by float size: float64, float32, float16
_ATOL_FRACTION = 1e-3                # default atol: this * rtol * the largest |derivative| of the argument
_MODES_FRACTION = 1e-2               # two AD modes must agree this much more tightly than with differences
_PROJECTIONS = 3                     # fast=True: random projections u^T J v per argument


@dataclass
class Comparison:
    """One source of derivatives (a mode, ``grad=``, ``forward-over-reverse``...) against a reference.

    Errors are over the compared elements: whole Jacobians (``fast=False``) or projections u^T J v.
    ``worst`` is the element closest to (or furthest past) its tolerance: ``(output index, input index)``,
    or ``("projection", k)`` for a projection; ``analytic``/``expected``/``tolerance`` are its values
    (``expected`` is the finite-difference value, or the other mode's when ``reference`` is a mode).
    With ``fast=True`` a failing projection is bisected down to one element, ``located``
    (``(output index, input index, analytic, expected)``), when one element stands out.

    >>> c = check_grad(lambda x: np.sum(x ** 2), np.ones(2), grad=lambda x: 2 * x).arguments[0].comparisons[0]
    >>> c.source, c.reference, c.passed, c.compared
    ('grad=', 'numeric', True, 2)
    """

    source: str
    reference: str
    max_abs_error: float
    max_rel_error: float
    worst: tuple
    analytic: float
    expected: float
    tolerance: float
    failed: int
    compared: int
    estimate: float = 0.0   # the finite-difference error estimate at the worst element
    hint: str = ""
    located: tuple | None = None
    order: int = 1

    @property
    def passed(self):
        return self.failed == 0


@dataclass
class ArgumentReport:
    """What was checked for one argument of ``f``: its comparisons and what they cost.

    ``constant`` arguments (integers, non-arrays) were not differentiated; ``reason`` says why.

    >>> report = check_grad(lambda x, n: np.sum(x ** n), np.ones(2), 3, grad=lambda x, n: n * x ** (n - 1))
    >>> [(a.label, a.constant) for a in report.arguments]
    [('argument 0 `x`', False), ('argument 1 `n`', True)]
    """

    index: int
    name: str
    shape: tuple
    dtype: str
    constant: bool = False
    reason: str = ""
    comparisons: list = None
    evaluations: int = 0     # calls of f (or of a gradient, at order 2) made by finite differences
    sweeps: int = 0          # AD calls (jvp, vjp, grad) made
    rtol: float = 0.0        # the relative tolerance used (the dtype's default unless rtol= was given)

    @property
    def label(self):
        return f"argument {self.index} `{self.name}`"

    @property
    def passed(self):
        return all(c.passed for c in self.comparisons or ())

    @property
    def max_abs_error(self):
        return max((c.max_abs_error for c in self.comparisons or () if c.reference == "numeric"), default=0.0)

    @property
    def max_rel_error(self):
        return max((c.max_rel_error for c in self.comparisons or () if c.reference == "numeric"), default=0.0)

    @property
    def worst(self):
        """The comparison whose worst element is nearest to (or furthest past) its tolerance, or None."""
        return max(self.comparisons, key=_ratio) if self.comparisons else None


@dataclass
class GradcheckReport:
    """The result of `check_grad`: one `ArgumentReport` per argument of ``f``; ``str()`` is a summary.

    >>> report = check_grad(lambda x: np.sum(x ** 2), np.ones(3), grad=lambda x: 2 * x)
    >>> report.passed, report.arguments[0].max_abs_error < 1e-9
    (True, True)
    """

    function: str
    order: int
    method: str
    fast: bool
    sources: tuple
    arguments: list

    @property
    def passed(self):
        return all(a.passed for a in self.arguments)

    @property
    def evaluations(self):
        return sum(a.evaluations for a in self.arguments)

    @property
    def sweeps(self):
        return sum(a.sweeps for a in self.arguments)

    @property
    def failures(self):
        return [(a, c) for a in self.arguments for c in a.comparisons or () if not c.passed]

    def __str__(self):
        how = "random projections u^T J v" if self.fast else "whole Jacobians"
        head = (f"check_grad({self.function}): order {self.order}, {', '.join(self.sources)} vs {self.method} "
                f"differences, {how}: {'passed' if self.passed else 'FAILED'}")
        lines = [head]
        for a in self.arguments:
            lines += _argument_lines(a)
        lines.append(f"  {self.evaluations} evaluations for finite differences, {self.sweeps} AD calls")
        return "\n".join(lines)


def _argument_lines(a):
    shape = f"shape {a.shape}" if a.shape is not None else "not an array"
    if a.constant:
        return [f"  {a.label} ({shape}, {a.dtype}): constant, {a.reason}"]
    if not a.comparisons:
        return [f"  {a.label} ({shape}, {a.dtype}): not checked (an earlier argument failed)"]
    worst = a.worst
    lines = [f"  {a.label} ({shape}, {a.dtype}): max abs error {a.max_abs_error:.2e}, "
             f"max rel error {a.max_rel_error:.2e}, worst at {_where(worst.worst, a.name, worst.order)}, "
             f"{a.evaluations} evaluations"]
    for c in a.comparisons:
        verdict = "ok" if c.passed else f"FAILED at {c.failed} of {c.compared}"
        lines.append(f"    {c.source:<20} vs {c.reference:<20} abs {c.max_abs_error:.2e}  "
                     f"rel {c.max_rel_error:.2e}  {verdict}")
    return lines


def _ratio(c):
    gap = abs(c.analytic - c.expected)
    return gap / c.tolerance if c.tolerance > 0 else (np.inf if gap > 0 else 0.0)


def _where(worst, name, order=1):
    """A readable element: ``d out[2] / d x[1, 0]``, ``d2 f / d x[0] d x[1]``, or a projection."""
    if worst is None:
        return "-"
    if worst[0] == "projection":
        return f"projection u^T J v number {worst[1]}"
    out_index, in_index = worst[:2]
    wrt = f"{name}{list(in_index)}" if in_index else name
    if order == 2:
        first = f"{name}{list(out_index)}" if out_index else name
        return f"d2 f / d {first} d {wrt}"
    out = f"out{list(out_index)}" if out_index else "f"
    return f"d {out} / d {wrt}"


# ----------------------------------------------------------------------------------------------------
# check_grad
# ----------------------------------------------------------------------------------------------------

_DEFAULT_MODES = ("forward", "reverse")


def check_grad(f, *args, order=1, modes=None, method="richardson", rtol=None, atol=None, fast=False,
               argnums=None, grad=None, jac=None, seed=0):
    """Check the derivatives of ``f`` at ``args`` against finite differences; return a `GradcheckReport`.

    Each float argument (or those in ``argnums``) is checked in turn, the others held constant
    (integers always are). ``modes`` are the AD modes checked (default both, or none when ``grad=``
    or ``jac=`` gives a hand-written gradient or Jacobian, called like ``f``). ``order=2`` also checks
    Hessian-vector products (every mode over every mode) against differences of gradients.
    ``fast=True`` compares random projections u^T J v instead of whole Jacobians: a constant number
    of evaluations however large the input. Default tolerances suit the dtype (rtol 1e-6 for float64,
    1e-3 for float32); an element passes when |analytic - numeric| <= atol + rtol |numeric| + the
    finite differences' own error estimate. Raises `GradcheckError` on failure.

    >>> import admodes.numpy as anp
    >>> check_grad(lambda x: anp.sum(anp.sin(x) * x), np.array([0.5, 1.0])).passed
    True
    >>> check_grad(lambda x: np.sum(x ** 3), np.array([1.0, 2.0]), grad=lambda x: 3 * x)
    Traceback (most recent call last):
    ...
    admodes.check.GradcheckError: grad= gives a wrong derivative of `<lambda>` for argument 0 `x` ...
    """
    options = _Options.make(order, modes, method, rtol, atol, fast, grad, jac, seed)
    name = getattr(f, "__name__", type(f).__name__)
    if not callable(f):
        raise TypeError(f"check_grad: f must be callable, got {type(f).__name__}")
    plan = _plan_arguments(f, args, argnums)
    checked = [p for p in plan if not p.constant]
    report = GradcheckReport(name, order, method, fast, options.sources(), [])
    rng = np.random.default_rng(seed)
    for item in plan:
        if item.constant or not report.passed:  # after a failure, later arguments are listed, not checked
            report.arguments.append(item.report())
        else:
            report.arguments.append(_check_argument(f, plan, item, len(checked), options, rng))
    if not report.passed:
        raise GradcheckError(_message(report, options), report)
    return report


@dataclass
class _Options:
    order: int
    modes: tuple
    method: str
    rtol: float | None
    atol: float | None
    fast: bool
    grad: object
    jac: object
    seed: int

    @classmethod
    def make(cls, order, modes, method, rtol, atol, fast, grad, jac, seed):
        if order not in (1, 2):
            raise ValueError(f"check_grad: order must be 1 or 2, got {order!r}")
        if grad is not None and jac is not None:
            raise ValueError("check_grad: give grad= or jac=, not both")
        for given, what in ((grad, "grad"), (jac, "jac")):
            if given is not None and not callable(given):
                raise TypeError(f"check_grad: {what}= must be a function called like f, got {type(given).__name__}")
        if modes is None:
            modes = () if (grad is not None or jac is not None) else _DEFAULT_MODES
        modes = (modes,) if isinstance(modes, str) else tuple(modes)
        unknown = [m for m in modes if m not in _DEFAULT_MODES]
        if unknown:
            raise ValueError(f"check_grad: unknown mode {unknown[0]!r}: modes are 'forward' and 'reverse'")
        if not modes and grad is None and jac is None:
            raise ValueError("check_grad: nothing to check: give modes=, grad= or jac=")
        if order == 2 and not modes:
            raise ValueError("check_grad: order=2 checks the AD modes' second derivatives: give modes=")
        for value, what in ((rtol, "rtol"), (atol, "atol")):
            if value is not None and not (np.isfinite(value) and value >= 0):
                raise ValueError(f"check_grad: {what} must be a non-negative number, got {value!r}")
        return cls(order, modes, _check_method(method), rtol, atol, bool(fast), grad, jac, seed)

    def sources(self):
        given = ["grad="] if self.grad is not None else ["jac="] if self.jac is not None else []
        return tuple(given) + self.modes

    def rtol_for(self, dtype):
        return self.rtol if self.rtol is not None else _RTOL.get(np.dtype(dtype).itemsize, 1e-6)


# ----------------------------------------------------------------------------------------------------
# Which arguments are checked
# ----------------------------------------------------------------------------------------------------

@dataclass
class _Argument:
    index: int
    name: str
    value: object          # our own copy: the caller's arrays are never handed to f
    constant: bool
    reason: str = ""

    def report(self):
        arr = self.value if isinstance(self.value, np.ndarray) else None
        shape = arr.shape if arr is not None else (() if _is_number(self.value) else None)
        dtype = str(arr.dtype) if arr is not None else type(self.value).__name__
        return ArgumentReport(self.index, self.name, shape, dtype, self.constant, self.reason, [])


def _is_number(x):
    return isinstance(x, (numbers.Number, np.generic)) and not isinstance(x, (complex, np.complexfloating))


def _parameter_names(f, count):
    """The names of f's first ``count`` positional parameters (``args[2]`` for ``*args`` or unknown ones)."""
    try:
        params = list(inspect.signature(f).parameters.values())
    except (TypeError, ValueError):
        params = []
    positional = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    star = next((p.name for p in params if p.kind == p.VAR_POSITIONAL), "args")
    return [positional[i] if i < len(positional) else f"{star}[{i - len(positional)}]" for i in range(count)]


def _plan_arguments(f, args, argnums):
    """One `_Argument` per positional argument: copied, classified, and checked for bad values."""
    if not args:
        raise TypeError("check_grad: give the point to check at: check_grad(f, x, ...)")
    wanted = _argnums(argnums, len(args))
    names = _parameter_names(f, len(args))
    plan = [_classify(i, names[i], a, wanted) for i, a in enumerate(args)]
    if not any(not p.constant for p in plan):
        kinds = ", ".join(f"argument {p.index} `{p.name}` is {p.reason.split(':')[0]}" for p in plan)
        raise TypeError(f"check_grad: no float argument to differentiate ({kinds}): integer arguments are held "
                        "constant; pass floats (x.astype(float)) to check their derivatives")
    return plan


def _argnums(argnums, count):
    if argnums is None:
        return None
    nums = (argnums,) if isinstance(argnums, (int, np.integer)) else tuple(argnums)
    out = set()
    for n in nums:
        if not isinstance(n, (int, np.integer)) or not -count <= n < count:
            raise ValueError(f"check_grad: argnums={argnums!r} is out of range for {count} argument(s)")
        out.add(int(n) % count)
    return out


def _classify(index, name, a, wanted):
    label = f"argument {index} `{name}`"
    selected = wanted is None or index in wanted
    if isinstance(a, (list, tuple)) and selected and wanted is not None:
        raise TypeError(f"check_grad: {label} is a {type(a).__name__}: pass np.asarray(...) to check it")
    if not isinstance(a, np.ndarray) and not _is_number(a) and not isinstance(a, (complex, np.complexfloating)):
        if wanted is not None and selected:
            raise TypeError(f"check_grad: {label} is a {type(a).__name__}, not an array: it cannot be differentiated")
        return _Argument(index, name, a, True, f"not an array ({type(a).__name__}): passed through unchanged")
    arr = np.asarray(a)
    kind = arr.dtype.kind
    if kind == "c":
        raise TypeError(f"check_grad: {label} is complex ({arr.dtype}): admodes differentiates real arrays only")
    if kind in "iub":
        if wanted is not None and selected:
            raise TypeError(f"check_grad: {label} has dtype {arr.dtype}: integers are held constant; "
                            f"pass {name}.astype(float) to check its derivative")
        return _Argument(index, name, np.array(arr, copy=True), True,
                         f"an integer argument ({arr.dtype}): integers are held constant")
    if not selected:
        return _Argument(index, name, np.array(arr, copy=True), True, "not in argnums")
    try:
        point = _as_point(arr, name)
    except (TypeError, ValueError) as err:
        raise type(err)(f"check_grad: {label}: {err}") from None
    return _Argument(index, name, point, False)


def _partial(f, plan, index):
    """``x -> f(..., x, ...)``: argument ``index`` varies, the others are fresh copies of our copies."""
    def g(x):
        call = [x if p.index == index else (p.value.copy() if isinstance(p.value, np.ndarray) else p.value)
                for p in plan]
        return f(*call)
    g.__name__ = getattr(f, "__name__", "f")
    return g


# ----------------------------------------------------------------------------------------------------
# Where derivatives come from: the AD modes, or the user's own gradient
# ----------------------------------------------------------------------------------------------------

class _Source:
    """One way to get derivatives of ``g`` at ``x``: whole Jacobians, or projections u^T J v."""

    def __init__(self, label, x, out_shape):
        self.label, self.x, self.out_shape = label, x, tuple(out_shape)
        self.calls = 0

    def jacobian(self):  # pragma: no cover - each source defines it
        raise NotImplementedError

    def project(self, u, v):  # pragma: no cover - each source defines it
        raise NotImplementedError


class _Forward(_Source):
    """Forward mode: J v in one sweep, the Jacobian column by column."""

    def __init__(self, label, g, x, out_shape):
        super().__init__(label, x, out_shape)
        self.g = g

    def jvp(self, v):
        from .forward import jvp
        self.calls += 1
        with _noted(f"(raised in {self.label}, called by check_grad)"):
            tangent = jvp(self.g, (self.x.copy(),), (v,))[1]
        return _plain(tangent, self.out_shape, self.label, "output tangent")

    def jacobian(self):
        columns = [self.jvp(e.reshape(self.x.shape)) for e in np.eye(self.x.size, dtype=self.x.dtype)]
        return _assemble(columns, self.out_shape, self.x.shape)

    def project(self, u, v):
        return float(np.sum(u * self.jvp(v)))


class _Reverse(_Source):
    """Reverse mode: u^T J in one sweep (the tape is recorded once), the Jacobian row by row."""

    def __init__(self, label, g, x, out_shape):
        super().__init__(label, x, out_shape)
        self.g = g
        self._vjp_fn = None

    def vjp(self, u):
        with _noted(f"(raised in {self.label}, called by check_grad)"):
            if self._vjp_fn is None:
                from .transforms import vjp
                self._vjp_fn = vjp(self.g, self.x.copy())[1]
            self.calls += 1
            cotangent = self._vjp_fn(u)[0]
        return _plain(cotangent, self.x.shape, self.label, "cotangent")

    def jacobian(self):
        size = int(np.prod(self.out_shape))
        rows = [self.vjp(e.reshape(self.out_shape)) for e in np.eye(size, dtype=self.x.dtype)]
        return np.stack(rows).reshape(self.out_shape + self.x.shape)

    def project(self, u, v):
        return float(np.sum(self.vjp(u) * v))


class _Given(_Source):
    """A hand-written gradient (``grad=``) or Jacobian (``jac=``), called once at the point."""

    def __init__(self, label, matrix, x, out_shape):
        super().__init__(label, x, out_shape)
        self.matrix = matrix

    def jacobian(self):
        return self.matrix

    def project(self, u, v):
        self.calls += 1
        return float(np.sum(u * np.tensordot(self.matrix, v, axes=self.x.ndim)))


@contextmanager
def _noted(note):
    """Let an exception through with a note saying where it was raised (Python 3.11+ shows notes)."""
    try:
        yield
    except Exception as err:
        if hasattr(err, "add_note"):
            err.add_note(note)
        raise


def _plain(value, shape, label, what):
    """An AD result as a plain float array of the expected shape (None is a zero)."""
    arr = np.zeros(shape) if value is None else np.asarray(value, dtype=float)
    if arr.shape != tuple(shape):
        if arr.size == int(np.prod(shape)):
            return arr.reshape(shape)
        raise GradcheckError(f"{label} returned a {what} of shape {arr.shape}; expected shape {tuple(shape)}")
    return arr


def _given_matrix(options, plan, item, n_checked, out_shape):
    """Call the user's ``grad=``/``jac=`` like ``f`` and pick this argument's part, in JAX's layout."""
    label, fn = ("grad=", options.grad) if options.grad is not None else ("jac=", options.jac)
    call = [p.value.copy() if isinstance(p.value, np.ndarray) else p.value for p in plan]
    result = fn(*call)
    checked = [p.index for p in plan if not p.constant]
    if n_checked > 1:
        if not isinstance(result, (tuple, list)) or len(result) != n_checked:
            raise GradcheckError(f"{label} must return a tuple of {n_checked} arrays, one per checked argument "
                                 f"({', '.join(f'`{p.name}`' for p in plan if not p.constant)}); "
                                 f"got {type(result).__name__}")
        result = result[checked.index(item.index)]
    expected = (item.value.shape if label == "grad=" and int(np.prod(out_shape)) == 1
                else tuple(out_shape) + item.value.shape)
    if label == "grad=" and int(np.prod(out_shape)) != 1:
        raise TypeError(f"check_grad: grad= is for a scalar f, but f returns shape {tuple(out_shape)}: use jac=")
    arr = np.asarray(result, dtype=float)
    if arr.shape != expected:
        raise GradcheckError(f"{label} returned shape {arr.shape} for argument {item.index} `{item.name}` of shape "
                             f"{item.value.shape}; expected {expected}"
                             + (" (is it transposed?)" if arr.shape == expected[::-1] else ""))
    return arr.reshape(tuple(out_shape) + item.value.shape)


def _sources(g, options, plan, item, n_checked, out_shape):
    x = item.value
    found = []
    if options.grad is not None or options.jac is not None:
        found.append(_Given("grad=" if options.grad is not None else "jac=",
                            _given_matrix(options, plan, item, n_checked, out_shape), x, out_shape))
    for mode in options.modes:
        found.append((_Forward if mode == "forward" else _Reverse)(f"{mode} mode", g, x, out_shape))
    return found


# ----------------------------------------------------------------------------------------------------
# Comparing
# ----------------------------------------------------------------------------------------------------

def _check_argument(f, plan, item, n_checked, options, rng):
    g = _partial(f, plan, item.index)
    x = item.value
    calls = _Calls(g)
    f0 = calls.at_point(x, complex_ok=False)
    report = item.report()
    sources = _sources(g, options, plan, item, n_checked, f0.shape)
    rtol = report.rtol = options.rtol_for(_lowest_precision(x.dtype, f0.dtype))
    report.comparisons = _compare(calls, x, f0, sources, rtol, options, rng, order=1)
    report.evaluations, report.sweeps = calls.count, sum(s.calls for s in sources)
    if options.order == 2 and report.passed:
        comparisons, evaluations, sweeps = _second_order(g, x, f0, rtol, options, rng)
        report.comparisons += comparisons
        report.evaluations += evaluations
        report.sweeps += sweeps
    return report


def _lowest_precision(*dtypes):
    return max((np.dtype(d) for d in dtypes), key=lambda d: np.finfo(d).eps)


def _compare(calls, x, f0, sources, rtol, options, rng, order):
    if options.fast:
        return _compare_projections(calls, x, f0, sources, rtol, options, rng, order)
    return _compare_jacobians(calls, x, f0, sources, rtol, options, order)


def _compare_jacobians(calls, x, f0, sources, rtol, options, order):
    estimates = [_derivative(calls, x, k, f0, options.method) for k in range(x.size)]
    numeric = _assemble([d.value for d in estimates], f0.shape, x.shape)
    error = _assemble([d.error for d in estimates], f0.shape, x.shape)
    atol = options.atol if options.atol is not None else _ATOL_FRACTION * rtol * float(np.max(np.abs(numeric)))
    analytic = {s.label: s.jacobian() for s in sources}
    split = len(f0.shape)
    comparisons = []
    for s in sources:
        c = _judge(s.label, "numeric", analytic[s.label], numeric, error, rtol, atol, split, order)
        if not c.passed and order == 1:
            out_index, in_index = c.worst
            k = int(np.ravel_multi_index(in_index, x.shape)) if in_index else 0
            weights = np.zeros(f0.shape)
            weights[out_index] = 1.0
            c.hint = _transpose_hint(analytic[s.label], numeric, error, rtol, atol, x) or _kink_hint(
                calls, x, k, weights, f0)
        comparisons.append(c)
    comparisons += _modes_with_each_other(sources, analytic, comparisons, numeric, error, rtol, atol, split, order)
    return comparisons


def _modes_with_each_other(sources, analytic, comparisons, numeric, error, rtol, atol, split, order):
    """Two sources that both pass against differences must still agree with each other, far more tightly."""
    if len(sources) < 2 or not all(c.passed for c in comparisons):
        return []
    first = sources[0].label
    zero = np.zeros(np.shape(analytic[first]))
    found = []
    for s in sources[1:]:
        c = _judge(s.label, first, analytic[s.label], analytic[first], zero, _MODES_FRACTION * rtol,
                   _MODES_FRACTION * atol, split, order)
        if not c.passed:
            c.hint = _arbiter(c, numeric, error)
        found.append(c)
    return found


def _arbiter(c, numeric, error):
    """Say which of two disagreeing modes finite differences side with, when they are precise enough to."""
    flat = c.worst[1] if c.worst[0] == "projection" else int(np.ravel_multi_index(
        c.worst[0] + c.worst[1], np.shape(numeric))) if np.ndim(numeric) else 0
    value, estimate = float(np.ravel(numeric)[flat]), float(np.ravel(error)[flat])
    near_source, near_reference = abs(c.analytic - value), abs(c.expected - value)
    if estimate > abs(c.analytic - c.expected) / 4:
        return ""
    right, wrong = (c.reference, c.source) if near_reference < near_source else (c.source, c.reference)
    return (f"finite differences ({value:.12g}, error estimate {estimate:.1e}) side with {right}: "
            f"{wrong} is the likely culprit")


def _judge(source, reference, analytic, expected, estimate, rtol, atol, split, order):
    """Compare elementwise: |analytic - expected| <= atol + rtol |expected| + estimate."""
    analytic, expected = np.asarray(analytic, dtype=float), np.asarray(expected, dtype=float)
    gap = np.abs(analytic - expected)
    gap = np.where(np.isnan(gap), np.inf, gap)
    tolerance = atol + rtol * np.abs(expected) + estimate
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(tolerance > 0, gap / tolerance, np.where(gap > 0, np.inf, 0.0))
        relative = np.where(np.abs(expected) > atol, gap / np.abs(expected), 0.0)
    flat = int(np.argmax(ratio))
    if split is None:
        worst = ("projection", flat)
    else:
        index = tuple(int(i) for i in np.unravel_index(flat, analytic.shape)) if analytic.ndim else ()
        worst = (index[:split], index[split:])
    return Comparison(source, reference, float(gap.max()), float(relative.max()), worst,
                      float(analytic.flat[flat]), float(expected.flat[flat]), float(tolerance.flat[flat]),
                      int(np.sum(~(gap <= tolerance))), int(gap.size), float(estimate.flat[flat]), order=order)


def _compare_projections(calls, x, f0, sources, rtol, options, rng, order):
    """u^T J v for a few random u, v: the cost does not grow with the size of x."""
    us, vs, numeric, estimate, atols = [], [], [], [], []
    for _ in range(_PROJECTIONS):
        u = rng.standard_normal(f0.shape)
        v = rng.standard_normal(x.shape).astype(x.dtype)
        d = _derivative(calls, x, v, f0, options.method)
        us.append(u)
        vs.append(v)
        numeric.append(float(np.sum(u * d.value)))
        estimate.append(float(np.sum(np.abs(u) * d.error)))
        scale = float(np.linalg.norm(u) * np.linalg.norm(d.value))
        atols.append(options.atol if options.atol is not None else _ATOL_FRACTION * rtol * scale)
    numeric, estimate, atols = np.array(numeric), np.array(estimate), np.array(atols)
    comparisons, analytic = [], {}
    for s in sources:
        analytic[s.label] = np.array([s.project(u, v) for u, v in zip(us, vs)])
        c = _judge(s.label, "numeric", analytic[s.label], numeric, estimate, rtol, atols, None, order)
        if not c.passed:
            k = c.worst[1]
            c.located = _locate(calls, x, f0, s, us[k], vs[k], rtol, options)
            if order == 1:
                c.hint = _kink_hint(calls, x, vs[k], us[k], f0)
        comparisons.append(c)
    comparisons += _modes_with_each_other(sources, analytic, comparisons, numeric, estimate, rtol, atols, None,
                                          order)
    return comparisons


def _locate(calls, x, f0, source, u, v, rtol, options):
    """Bisect a failing projection u^T J v down to one input element, then one output element.

    u^T J v is linear in v: the discrepancy of v's support splits into those of its halves, so
    log2(x.size) directional differences find an element where the discrepancy lives (and log2 of the
    output size projections find the output element). None when no single element stands out.
    """
    method = options.method

    def gap(vs):
        return source.project(u, vs) - float(np.sum(u * _derivative(calls, x, vs, f0, method).value))

    support, total = np.flatnonzero(v), None
    while len(support) > 1:
        half = support[: len(support) // 2]
        part = np.zeros_like(v)
        part.flat[half] = v.flat[half]
        first = gap(part)
        total = gap(v) if total is None else total
        rest = total - first
        support, total = (half, first) if abs(first) >= abs(rest) else (support[len(support) // 2:], rest)
    k = int(support[0])
    column = _derivative(calls, x, k, f0, method)
    e_k = np.zeros_like(v)
    e_k.flat[k] = 1.0
    outputs = np.arange(f0.size)
    while len(outputs) > 1:
        half = outputs[: len(outputs) // 2]
        w = np.zeros(f0.shape)
        w.flat[half] = u.flat[half]
        first = source.project(w, e_k) - float(np.sum(w * column.value))
        w_rest = np.zeros(f0.shape)
        w_rest.flat[outputs[len(outputs) // 2:]] = u.flat[outputs[len(outputs) // 2:]]
        rest = source.project(w_rest, e_k) - float(np.sum(w_rest * column.value))
        outputs = half if abs(first) >= abs(rest) else outputs[len(outputs) // 2:]
    m = int(outputs[0])
    e_m = np.zeros(f0.shape)
    e_m.flat[m] = 1.0
    analytic, expected = source.project(e_m, e_k), float(column.value.flat[m])
    scale = float(np.max(np.abs(column.value)))
    atol = options.atol if options.atol is not None else _ATOL_FRACTION * rtol * scale
    if not abs(analytic - expected) > atol + rtol * abs(expected) + float(column.error.flat[m]):
        return None
    out_index = tuple(int(i) for i in np.unravel_index(m, f0.shape)) if f0.ndim else ()
    in_index = tuple(int(i) for i in np.unravel_index(k, x.shape)) if x.ndim else ()
    return (out_index, in_index, analytic, expected)


def _transpose_hint(analytic, numeric, error, rtol, atol, x):
    """A hint when a matrix argument's derivative is the transpose of the right one."""
    if x.ndim != 2 or x.shape[0] != x.shape[1]:
        return ""
    flipped = np.swapaxes(numeric, -1, -2)
    if np.all(np.abs(analytic - flipped) <= atol + rtol * np.abs(flipped) + np.swapaxes(error, -1, -2)):
        return "the derivative equals the transpose of the finite differences: is a matrix gradient transposed?"
    return ""


def _kink_hint(calls, x, direction, weights, f0):
    """A hint when one-sided differences disagree and keep disagreeing as the step shrinks: a kink."""
    eps = _eps(x)
    base = np.cbrt(eps) * _scale(x, direction)
    phi0 = float(np.sum(weights * f0))
    jumps = []
    for h in (base, base / 16):
        xp, hp = _moved(x, direction, h)
        xm, hm = _moved(x, direction, -h)
        right = (float(np.sum(weights * calls(xp, "for the one-sided differences"))) - phi0) / hp
        left = (phi0 - float(np.sum(weights * calls(xm, "for the one-sided differences")))) / -hm
        jumps.append((abs(right - left), left, right))
    (far, _, _), (near, left, right) = jumps
    if not np.isfinite(near) or near <= 1e-3 * max(abs(left), abs(right), 1e-300) or near < far / 4:
        return ""
    return (f"one-sided differences disagree (left {left:.6g}, right {right:.6g}) and keep disagreeing as the "
            "step shrinks: f may not be differentiable at this point (abs, maximum, clip or relu at a kink?); "
            "check at another point")


# ----------------------------------------------------------------------------------------------------
# Second derivatives: Hessian-vector products against differences of gradients
# ----------------------------------------------------------------------------------------------------

def _second_order(g, x, f0, rtol, options, rng):
    """Every mode over every mode (``forward-over-reverse`` is jvp of a reverse-mode gradient) against
    finite differences of a gradient; a non-scalar f is first reduced to u . f with a random u."""
    from .transforms import grad

    u = rng.standard_normal(f0.shape) if f0.size > 1 else np.ones(f0.shape)
    scalar = lambda y: np.sum(g(y) * u)
    gradient_of = {mode: (lambda y, mode=mode: grad(scalar, mode=mode)(y)) for mode in options.modes}
    reference = "reverse" if "reverse" in options.modes else options.modes[0]
    calls = _Calls(gradient_of[reference])
    g0 = calls.at_point(x, complex_ok=False)
    sources = [(_Forward if outer == "forward" else _Reverse)(f"{outer}-over-{inner}", gradient_of[inner], x, x.shape)
               for outer in options.modes for inner in options.modes]
    comparisons = _compare(calls, x, g0, sources, rtol, options, rng, order=2)
    return comparisons, calls.count, sum(s.calls for s in sources)


# ----------------------------------------------------------------------------------------------------
# The failure message: read like a compiler error
# ----------------------------------------------------------------------------------------------------

_SUSPECT = {
    "forward mode": "the forward-mode rules (a jvp) are the suspect",
    "reverse mode": "the reverse-mode rules (a backward / vjp) are the suspect",
    "grad=": "the hand-written gradient is wrong",
    "jac=": "the hand-written Jacobian is wrong",
}


def _message(report, options):
    argument, c = _first_failure(report)
    what = "wrong second derivatives" if c.order == 2 else "a wrong derivative"
    subject = c.source if c.reference == "numeric" else f"{c.source} and {c.reference}"
    verb = "gives" if c.reference == "numeric" else "disagree:"
    head = (f"{subject} {verb} {what} of `{report.function}` for {argument.label} "
            f"(shape {argument.shape}, {argument.dtype})")
    lines = [head, f"  --> {_where(c.worst, argument.name, c.order)}"]
    reference = (f"finite diff. ({report.method}, error estimate {c.estimate:.1e})" if c.reference == "numeric"
                 else c.reference)
    width = max(len(c.source), len(reference.split(" (")[0])) + 2
    lines.append(f"      {c.source:<{width}}{c.analytic: .12g}")
    lines.append(f"      {reference.split(' (')[0]:<{width}}{c.expected: .12g}"
                 + (f"   ({reference.split(' (', 1)[1]}" if " (" in reference else ""))
    gap = abs(c.analytic - c.expected)
    rel = f"{gap / abs(c.expected):.3g}" if c.expected else "inf"
    lines.append(f"      abs error {gap:.3g}, rel error {rel}, tolerance {c.tolerance:.3g}")
    unit = "projections" if c.worst[0] == "projection" else "elements"
    lines.append(f"      {c.failed} of {c.compared} {unit} disagree")
    if c.located is not None:
        out_index, in_index, analytic, expected = c.located
        lines.append(f"  --> bisection finds {_where((out_index, in_index), argument.name, c.order)}: "
                     f"{c.source} {analytic:.12g}, finite diff. {expected:.12g}")
    elif c.worst[0] == "projection":
        lines.append("      (no single element stands out: the error is spread; fast=False shows each element)")
    lines += [f"  = {note}" for note in _verdict(argument, c)]
    if c.hint:
        lines.append(f"  = hint: {c.hint}")
    atol = f"{options.atol:g}" if options.atol is not None else f"{_ATOL_FRACTION * argument.rtol:g} x the largest"
    if c.reference == "numeric":
        lines.append(f"  = tolerance: atol + rtol |expected| + the differences' error estimate; "
                     f"rtol {argument.rtol:g}, atol {atol} |derivative| (set rtol=, atol=)")
    else:
        lines.append(f"  = tolerance between modes: {_MODES_FRACTION:g} x (atol + rtol |expected|); "
                     f"rtol {argument.rtol:g}, atol {atol} |derivative|")
    return "\n".join(lines)


def _first_failure(report):
    failures = report.failures
    against_numeric = [(a, c) for a, c in failures if c.reference == "numeric"]
    return (against_numeric or failures)[0]


def _verdict(argument, c):
    """Which of the sources are wrong, said in words."""
    if c.reference != "numeric":
        gap = abs(c.analytic - c.expected) / max(abs(c.expected), 1e-300)
        return [f"both are within tolerance of finite differences, but two correct modes agree to rounding error: "
                f"one of them is wrong by about {gap:.1e} relative"]
    same_order = [other for other in argument.comparisons if other.reference == "numeric" and other.order == c.order]
    good = [o.source for o in same_order if o.passed]
    bad = [o.source for o in same_order if not o.passed]
    if len(same_order) == 1:
        return [_SUSPECT.get(c.source, f"{c.source} is the suspect")] if c.source in _SUSPECT else []
    if good:
        notes = [f"{' and '.join(good)} {'agrees' if len(good) == 1 else 'agree'} with finite differences here: "
                 f"only {' and '.join(bad)} {'is' if len(bad) == 1 else 'are'} wrong"]
        if len(bad) == 1 and bad[0] in _SUSPECT:
            notes.append(_SUSPECT[bad[0]])
        outers = {b.split("-over-")[0] for b in bad}
        if c.order == 2 and len(outers) == 1:
            outer = outers.pop()
            notes.append(f"every wrong pair differentiates the gradient in {outer} mode: the {outer}-mode rules "
                         "of the ops that the derivative rules use are the suspect")
        return notes
    values = [o.analytic for o in same_order if o.worst == c.worst]
    agree = len(values) > 1 and np.allclose(values, c.analytic, rtol=1e-8, atol=0)
    notes = [f"{' and '.join(bad)} all disagree with finite differences"]
    if agree:
        notes.append("they agree with each other: either the derivative rules are wrong the same way in every "
                     "mode, or f is not differentiable here, or finite differences cannot resolve it")
    return notes
