"""Taylor-mode (jet) rules of the elementwise primitives: exp, log, sin/cos, tan/tanh, sqrt, power, divide,
arctan, ..., each one recurrence of `series` (Griewank and Walther, ch. 13). Each primitive's declaration in
`elementwise` names its rule (``jet=jet_elementwise.exp``); `admodes.taylor` reads it there.

A rule is ``rule(primals, series, ans, **params) -> [z_1, ..., z_K]``: ``series[i]`` holds the normalized
coefficients ``[x_1, ..., x_K]`` of argument i (None for a constant), the result the output's (None: zero).

    >>> import numpy as np
    >>> [float(c) for c in sin((np.array(0.0),), ([np.array(1.0), None, None],), np.array(0.0))]
    [1.0, -0.0, -0.16666666666666666]
"""

from __future__ import annotations

import math

import numpy as np

from . import series as S
from .primitive import op

__all__ = ["exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sin", "cos", "sinh", "cosh", "tan", "tanh",
           "sqrt", "cbrt", "square", "reciprocal", "divide", "arctan", "arcsin", "arccos", "arcsinh", "arccosh",
           "arctanh", "power", "logaddexp", "hypot", "arctan2"]


def _unary(primals, series):
    (x0,), (s,) = primals, series
    return [x0, *s]


def exp(primals, series, ans):
    return S.exp(_unary(primals, series), ans)[1:]


def exp2(primals, series, ans):
    x = _unary(primals, series)
    return S.exp([x[0], *(S.scale(c, math.log(2.0)) for c in x[1:])], ans)[1:]


def expm1(primals, series, ans):
    x = _unary(primals, series)
    return S.propagate(x, S.exp(x, op("add")(ans, 1.0)), ans)[1:]


def _log_of(scale, shift):
    def rule(primals, series, ans):
        x = _unary(primals, series)
        base = x[0] if not shift else op("add")(x[0], 1.0)
        z = S.log([base, *x[1:]], ans)[1:]
        return z if scale == 1 else [S.scale(c, scale) for c in z]
    return rule


log = _log_of(1, False)
log2 = _log_of(1 / math.log(2.0), False)
log10 = _log_of(1 / math.log(10.0), False)
log1p = _log_of(1, True)


def _paired(partner, which, sign):
    """The rule of sin, cos (sign -1) or sinh, cosh (sign +1): both series come together; ``which`` picks
    this op's (0: sin/sinh, 1: cos/cosh) and the op named ``partner`` computes the other one's degree 0."""
    def rule(primals, series, ans):
        other = op(partner)(primals[0])
        pair = (ans, other) if which == 0 else (other, ans)
        return S.sincos(_unary(primals, series), *pair, sign=sign)[which][1:]
    return rule


sin = _paired("cos", 0, -1.0)
cos = _paired("sin", 1, -1.0)
sinh = _paired("cosh", 0, +1.0)
cosh = _paired("sinh", 1, +1.0)


def tan(primals, series, ans):
    return S.tan_like(_unary(primals, series), ans, +1)[1:]


def tanh(primals, series, ans):
    return S.tan_like(_unary(primals, series), ans, -1)[1:]


def sqrt(primals, series, ans):
    return S.sqrt(_unary(primals, series), ans)[1:]


def cbrt(primals, series, ans):
    return S.power(_unary(primals, series), 1.0 / 3.0, ans)[1:]


def square(primals, series, ans):
    return S.square(_unary(primals, series))[1:]


def reciprocal(primals, series, ans):
    x = _unary(primals, series)
    return S.divide([np.ones((), np.result_type(ans))] + [None] * (len(x) - 1), x, ans)[1:]


def divide(primals, series, ans):
    a, b = S.full(primals, series)
    return S.divide(a, b, ans)[1:]


def _inverse_trig(u_of, sign=1.0):
    """The rule of z with z' = x' / u(x) (arctan: u = 1 + x^2, arcsin: sqrt(1 - x^2), ...)."""
    def rule(primals, series, ans):
        x = _unary(primals, series)
        z = S.integrate(x, u_of(x), ans)[1:]
        return z if sign == 1.0 else [S.scale(c, sign) for c in z]
    return rule


def _one_minus_square(x):
    sq = S.square(x)
    return [op("subtract")(1.0, sq[0]), *(S.scale(c, -1.0) for c in sq[1:])]


def _root(u):
    return S.sqrt(u, op("sqrt")(u[0]))


arctan = _inverse_trig(lambda x: S.shifted(S.square(x), 1.0))
arcsin = _inverse_trig(lambda x: _root(_one_minus_square(x)))
arccos = _inverse_trig(lambda x: _root(_one_minus_square(x)), sign=-1.0)
arcsinh = _inverse_trig(lambda x: _root(S.shifted(S.square(x), 1.0)))
arccosh = _inverse_trig(lambda x: _root(S.shifted(S.square(x), -1.0)))
arctanh = _inverse_trig(_one_minus_square)


def power(primals, series, ans):
    x, p = S.full(primals, series)
    if series[1] is None:  # a constant exponent
        exponent = primals[1]
        if np.ndim(exponent) == 0 and not hasattr(exponent, "_level"):
            e = float(np.asarray(exponent))
            if e.is_integer() and 0 <= e <= 64:  # exact where x = 0 too (x ** 2 at 0)
                return S.integer_power(x, int(e), ans)[1:]
        return S.power(x, exponent, ans)[1:]
    # x1 ** x2 = exp(x2 log x1), with a moving exponent (a Python base takes the exponent's dtype, as NumPy does)
    if not hasattr(x[0], "dtype"):
        x[0] = np.asarray(x[0], np.result_type(S.plain(ans)))
    log_x0 = op("log")(x[0])
    log_x = S.log(x, log_x0) if series[0] is not None else [log_x0] + [None] * (len(x) - 1)
    return S.exp([None, *S.product(p, log_x)], ans)[1:]


def logaddexp(primals, series, ans):
    a, b = S.full(primals, series)
    sub, exp_ = op("subtract"), op("exp")
    # z = log(e^a + e^b) = ans + log(e^(a - ans) + e^(b - ans)), the sum's degree 0 being 1
    ea = S.exp([sub(a[0], ans), *a[1:]], exp_(sub(a[0], ans)))
    eb = S.exp([sub(b[0], ans), *b[1:]], exp_(sub(b[0], ans)))
    s = [op("add")(ea[0], eb[0]), *(S.total([u, v]) for u, v in zip(ea[1:], eb[1:]))]
    return S.log(s, ans)[1:]


def hypot(primals, series, ans):
    a, b = S.full(primals, series)
    sq = [S.total([u, v]) for u, v in zip(S.square(a), S.square(b))]
    return S.sqrt(sq, ans)[1:]


def arctan2(primals, series, ans):
    y, x = S.full(primals, series)
    K = len(x) - 1
    # z' = (x y' - y x') / (x^2 + y^2); with w = x y' - y x' and u = x^2 + y^2, z_k = (w / u)_{k-1} / k
    dy = [S.scale(y[j + 1], j + 1) for j in range(K)] + [None]
    dx = [S.scale(x[j + 1], j + 1) for j in range(K)] + [None]
    w = [S.minus(S.term(x, dy, m), S.term(y, dx, m)) for m in range(K)]
    u = [S.total([p, q]) for p, q in zip(S.square(x), S.square(y))]
    q = S.divide(w, u[:K], op("divide")(w[0], u[0]) if w[0] is not None else None) if K else []
    return [S.scale(q[k - 1], 1.0 / k) for k in range(1, K + 1)]
