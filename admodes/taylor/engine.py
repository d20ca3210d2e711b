"""The Taylor-mode engine: a `Jet` carries a primal and the normalized Taylor coefficients of degrees
1..K of a curve through it, and every primitive applied to jets maps them with its jet rule
(`rules.rule_for`, from its declaration). Levels work as in forward mode (`admodes.forward`): each `jet`
call makes a fresh level, so jets nest with jvp, grad and other jets.

Convention (JAX's ``jax.experimental.jet.jet``, whose ``factorial_scaled=True`` default we follow): the
series a user passes and gets back are *derivatives*, ``x(t) = x0 + sum_k series[k-1] t^k / k!``, so
``series = [v, 0, ...]`` along the line x0 + t v gives back the directional derivatives of every order.
Inside, the engine keeps the normalized coefficients x_k = series[k-1] / k!, for which the recurrences
are simplest.

    >>> import numpy as np, admodes.numpy as anp
    >>> jet(anp.sin, (np.array(0.0),), ([np.array(1.0), np.array(0.0), np.array(0.0)],))
    (array(0.), [array(1.), array(0.), array(-1.)])
"""

from __future__ import annotations

import math

import numpy as np

from ..arraylike import value
from ..inputs import returned
from ..mapped import Mapped
from ..ops.core import Traced, new_level, op
from .rules import nested_jvp_rule, rule_for

__all__ = ["Jet", "jet", "taylor"]

MAX_SCALED_ORDER = 170  # the largest k whose k! a float64 holds: derivatives are series coefficients times k!


class Jet(Mapped):
    """A value with the normalized Taylor coefficients ``series`` (degrees 1..K; None: zero) of a curve
    through it. Users make jets through `jet` and `taylor`; operators and NumPy functions all work on them.

    >>> import numpy as np
    >>> out = jet(lambda x: x * x, (np.array(3.0),), ([np.array(1.0), np.array(0.0)],))
    >>> out                        # (3 + t)^2: value 9, first derivative 6, second 2
    (array(9.), [array(6.), array(2.)])
    """

    __slots__ = ("primal", "series", "_level")
    carried = "series"

    def _run(self, prim, primals, params):
        if prim.impl_takes_traced:
            raise NotImplementedError(f"admodes.jet: the custom Function {prim.name!r} has no Taylor-mode (jet) "
                                      "rule; differentiate it with nested jvp instead")
        return prim(*primals, **params)

    def _map(self, prim, primals, series, ans, params):
        """The output's coefficients by `prim`'s jet rule (`rules.rule_for`, from its declaration); a rule that declines
        (``NotImplemented``) is followed by the exact nested-JVP one."""
        out = rule_for(prim)(tuple(primals), tuple(series), ans, **params)
        if out is NotImplemented:
            out = nested_jvp_rule(prim)(tuple(primals), tuple(series), ans, **params)
        shape = np.shape(value(ans))
        out = [None if c is None else _fit(c, shape) for c in out]
        return None if all(c is None for c in out) else out


def _fit(c, shape):
    """A coefficient in the output's shape (an elementwise rule may return an argument's, before broadcasting)."""
    return c if np.shape(value(c)) == shape else op("broadcast_to")(c, shape)


def jet(fun, primals, series, factorial_scaled=True):
    """Push the Taylor series of ``primals`` through ``fun``: JAX's ``jax.experimental.jet.jet``.

    ``series`` has one list per primal, ``[x_1, ..., x_K]``, each of the primal's shape: the derivatives of
    a curve x(t) at t = 0 (``x(t) = x0 + sum_k x_k t^k / k!``). Returns ``(fun(*primals), [y_1, ..., y_K])``,
    the derivatives d^k/dt^k fun(x(t)) at t = 0. With ``factorial_scaled=False`` (JAX's keyword too), the
    series in and out are the normalized Taylor coefficients instead (``x(t) = x0 + sum_k x_k t^k``).
    Every primitive on the way maps the series with its jet rule (`admodes.taylor.rules`: declared with the
    primitive, or derived from its declaration); a custom `admodes.Function` has none and raises naming itself.
    Overflow at high orders shows as inf/nan, as NumPy's arithmetic gives it.

    >>> import numpy as np, admodes.numpy as anp
    >>> jet(anp.exp, (np.array(0.0),), ([np.array(1.0), np.array(0.0), np.array(0.0)],))
    (array(1.), [array(1.), array(1.), array(1.)])
    """
    if not callable(fun):
        raise TypeError(f"jet: fun must be callable, got {type(fun).__name__}")
    if not isinstance(factorial_scaled, (bool, np.bool_)):
        raise TypeError(f"jet: factorial_scaled must be a bool, got {type(factorial_scaled).__name__}")
    primals, series = _checked(primals, series)
    K = len(series[0])
    if factorial_scaled and K > MAX_SCALED_ORDER:
        raise ValueError(f"jet: the series have order {K}, but with factorial_scaled=True at most "
                         f"{MAX_SCALED_ORDER} ({MAX_SCALED_ORDER + 1}! overflows float64); pass normalized "
                         "coefficients with factorial_scaled=False")
    level = new_level()
    scaled = (lambda k: math.factorial(k)) if factorial_scaled else (lambda k: 1)
    jets = [Jet._make(p, [None if c is None else _divide(c, scaled(k)) for k, c in enumerate(s, 1)], level)
            for p, s in zip(primals, series)]
    out = returned(fun(*jets), "jet", "fun")  # (None, a string...: never a zero series)
    if isinstance(out, (tuple, list)):
        raise TypeError("jet: fun must return a single array (pytrees are not supported)")
    if type(out) is Jet and out._level == level:
        primal, coefficients = out.primal, out.series
    else:
        primal, coefficients = out, [None] * K
    dtype = np.result_type(value(primal))
    if dtype.kind == "c":  # (`returned` lets complex through for the transforms that take it; Taylor mode does not)
        raise TypeError(f"jet: fun must return a real array, but it returned an array of dtype {dtype} (shape "
                        f"{np.shape(value(primal))}); Taylor mode takes real values only")
    zeros = np.zeros(np.shape(value(primal)), _float_dtype(primal))
    derivatives = [zeros.copy() if c is None else _as_array(_times(c, scaled(k)))
                   for k, c in enumerate(coefficients, 1)]
    return _as_array(primal), derivatives


def taylor(f, order):
    """``taylor(f, order=K)(x, v)``: the directional derivatives d^k/dt^k f(x + t v) at t = 0 for k = 1..K,
    as a list, from one Taylor-mode sweep (what K nested `admodes.jvp` calls give, at O(K^2) cost per
    multiplication instead of O(2^K)).

    >>> import numpy as np
    >>> taylor(lambda x: x ** 3, order=4)(np.array(2.0), np.array(1.0))   # 3x^2, 6x, 6, 0 at 2
    [array(12.), array(12.), array(6.), array(0.)]
    """
    if not callable(f):
        raise TypeError(f"taylor: f must be callable, got {type(f).__name__}")
    if isinstance(order, bool) or not isinstance(order, (int, np.integer)) or order < 1:
        raise ValueError(f"taylor: order must be an int >= 1 (the highest derivative), got {order!r}")
    if order > MAX_SCALED_ORDER:
        raise ValueError(f"taylor: order must be at most {MAX_SCALED_ORDER} ({MAX_SCALED_ORDER + 1}! overflows "
                         f"float64, and the derivatives with it), got {order}")

    def derivatives(x, v):
        x = _as_float(x, "taylor: x")
        zero = np.zeros(np.shape(value(x)), np.result_type(value(x)))
        return jet(f, (x,), ([v] + [zero] * (int(order) - 1),))[1]
    return derivatives


def _checked(primals, series):
    """The primals and series as tuples, or a clear error naming the argument."""
    if not isinstance(primals, (tuple, list)) or not isinstance(series, (tuple, list)):
        raise TypeError("jet: primals and series must be tuples, one entry per argument of fun "
                        "(for one argument: jet(f, (x,), ([x1, x2],)))")
    if len(primals) != len(series):
        raise ValueError(f"jet: {len(primals)} primals but {len(series)} series; give one series per primal")
    if not primals:
        raise ValueError("jet: no primals given")
    orders = set()
    checked_primals, checked_series = [], []
    for i, (p, s) in enumerate(zip(primals, series)):
        p = _as_float(p, f"jet: primal {i}")
        if not isinstance(s, (tuple, list)):
            raise TypeError(f"jet: series {i} must be a list of Taylor coefficients [x_1, ..., x_K], "
                            f"got {type(s).__name__}")
        if len(s) == 0:
            raise ValueError(f"jet: series {i} is empty (order K = 0); give at least one coefficient")
        orders.add(len(s))
        coefficients = []
        for k, c in enumerate(s, 1):
            coefficients.append(_checked_coefficient(c, p, f"jet: series {i} coefficient {k}", f"primal {i}"))
        checked_primals.append(p)
        checked_series.append(coefficients)
    if len(orders) > 1:
        raise ValueError(f"jet: the series have different lengths {sorted(orders)}; every series needs the same "
                         "order K")
    return tuple(checked_primals), tuple(checked_series)


def _as_float(x, what):
    if isinstance(x, Traced):
        return x
    arr = np.asarray(x)
    if arr.dtype.kind == "c":
        raise TypeError(f"{what} is complex ({arr.dtype}, shape {arr.shape}); admodes differentiates real arrays "
                        "only (split it into real and imaginary parts)")
    if arr.dtype.kind in "iub":
        if isinstance(x, (np.ndarray, np.generic)):
            raise TypeError(f"{what} has dtype {arr.dtype} (shape {arr.shape}): a derivative needs floating-point "
                            "input; pass x.astype(float)")
        return arr.astype(np.float64)
    if arr.dtype.kind != "f":
        raise TypeError(f"{what} must be a real floating-point array, got {type(x).__name__} of dtype {arr.dtype}")
    return arr


def _checked_coefficient(c, primal, what, primal_name):
    shape, dtype = np.shape(value(primal)), np.result_type(value(primal))
    if c is None or isinstance(c, (str, bytes, dict, set)):
        raise TypeError(f"{what} is {'None' if c is None else 'a ' + type(c).__name__}: each Taylor coefficient is "
                        f"an array of {primal_name}'s shape and dtype (np.zeros_like(x) for a zero coefficient)")
    if isinstance(c, Traced):
        c_shape, c_dtype = np.shape(value(c)), np.result_type(value(c))
    else:
        from_python = not isinstance(c, (np.ndarray, np.generic))
        c = np.asarray(c)
        if c.dtype.kind == "c":
            raise TypeError(f"{what} is complex ({c.dtype}); Taylor coefficients of a real primal are real")
        if from_python and c.dtype.kind in "iuf":
            c = c.astype(dtype)
        c_shape, c_dtype = c.shape, c.dtype
    if c_shape != shape:
        raise ValueError(f"{what} has shape {c_shape} but {primal_name} has shape {shape}: each Taylor "
                         "coefficient has its primal's shape")
    if c_dtype != dtype:
        raise TypeError(f"{what} has dtype {c_dtype} but {primal_name} has dtype {dtype}: each Taylor coefficient "
                        f"has its primal's dtype (pass it as .astype(np.{dtype}))")
    return c


def _divide(c, n):
    return c if n == 1 else op("divide")(c, float(n))


def _times(c, n):
    return c if n == 1 else op("multiply")(c, float(n))


def _as_array(x):
    if isinstance(x, Traced):
        return x
    return np.array(x, copy=True) if not isinstance(x, np.ndarray) or not x.flags.writeable else x.copy()


def _float_dtype(x):
    dtype = np.result_type(value(x))
    return dtype if dtype.kind == "f" else np.dtype(np.float64)
