"""Jet rules of the elementwise primitives: exp, log, sin/cos, tan/tanh, sqrt, power, divide, arctan, ...,
each one recurrence of `series` (Griewank and Walther, ch. 13), registered in `rules.TABLE`.

    >>> import numpy as np
    >>> from admodes.taylor.rules import TABLE
    >>> [float(c) for c in TABLE["sin"]((np.array(0.0),), ([np.array(1.0), None, None],), np.array(0.0))]
    [1.0, -0.0, -0.16666666666666666]
"""

from __future__ import annotations

import math

import numpy as np

from ..arraylike import value
from ..ops.core import op
from . import series as S
from .rule_table import jet_rule

_mul, _add, _sub, _div = op("multiply"), op("add"), op("subtract"), op("divide")
_exp, _sqrt, _log, _cos, _sin, _cosh, _sinh = (op(n) for n in ("exp", "sqrt", "log", "cos", "sin", "cosh", "sinh"))


def _unary(primals, series):
    (x0,), (s,) = primals, series
    return [x0, *s]


def _both(primals, series):
    K = next(len(s) for s in series if s is not None)
    return [[p, *(s if s is not None else [None] * K)] for p, s in zip(primals, series)]


@jet_rule("exp")
def exp_rule(primals, series, ans):
    return S.exp(_unary(primals, series), ans)[1:]


@jet_rule("exp2")
def exp2_rule(primals, series, ans):
    x = _unary(primals, series)
    return S.exp([x[0], *(S.scale(c, math.log(2.0)) for c in x[1:])], ans)[1:]


@jet_rule("expm1")
def expm1_rule(primals, series, ans):
    x = _unary(primals, series)
    return S.propagate(x, S.exp(x, _add(ans, 1.0)), ans)[1:]


def _log_of(scale, shift):
    def rule(primals, series, ans):
        x = _unary(primals, series)
        base = x[0] if not shift else _add(x[0], 1.0)
        z = S.log([base, *x[1:]], ans)[1:]
        return z if scale == 1 else [S.scale(c, scale) for c in z]
    return rule


for _name, _scale, _shift in (("log", 1, False), ("log2", 1 / math.log(2.0), False),
                              ("log10", 1 / math.log(10.0), False), ("log1p", 1, True)):
    jet_rule(_name)(_log_of(_scale, _shift))


def _paired(partner, which, sign):
    """The rule of sin, cos (sign -1) or sinh, cosh (sign +1): both series come together; ``which`` picks
    this op's (0: sin/sinh, 1: cos/cosh) and ``partner`` computes the other one's degree 0."""
    def rule(primals, series, ans):
        other = partner(primals[0])
        pair = (ans, other) if which == 0 else (other, ans)
        return S.sincos(_unary(primals, series), *pair, sign=sign)[which][1:]
    return rule


jet_rule("sin")(_paired(_cos, 0, -1.0))
jet_rule("cos")(_paired(_sin, 1, -1.0))
jet_rule("sinh")(_paired(_cosh, 0, +1.0))
jet_rule("cosh")(_paired(_sinh, 1, +1.0))


@jet_rule("tan")
def tan_rule(primals, series, ans):
    return S.tan_like(_unary(primals, series), ans, +1)[1:]


@jet_rule("tanh")
def tanh_rule(primals, series, ans):
    return S.tan_like(_unary(primals, series), ans, -1)[1:]


@jet_rule("sqrt")
def sqrt_rule(primals, series, ans):
    return S.sqrt(_unary(primals, series), ans)[1:]


@jet_rule("cbrt")
def cbrt_rule(primals, series, ans):
    return S.power(_unary(primals, series), 1.0 / 3.0, ans)[1:]


@jet_rule("square")
def square_rule(primals, series, ans):
    return S.square(_unary(primals, series))[1:]


@jet_rule("reciprocal")
def reciprocal_rule(primals, series, ans):
    x = _unary(primals, series)
    return S.divide([np.ones((), np.result_type(ans))] + [None] * (len(x) - 1), x, ans)[1:]


@jet_rule("divide")
def divide_rule(primals, series, ans):
    a, b = _both(primals, series)
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
    return [_sub(1.0, sq[0]), *(S.scale(c, -1.0) for c in sq[1:])]


def _root(u):
    return S.sqrt(u, _sqrt(u[0]))


jet_rule("arctan")(_inverse_trig(lambda x: S.shifted(S.square(x), 1.0)))
jet_rule("arcsin")(_inverse_trig(lambda x: _root(_one_minus_square(x))))
jet_rule("arccos")(_inverse_trig(lambda x: _root(_one_minus_square(x)), sign=-1.0))
jet_rule("arcsinh")(_inverse_trig(lambda x: _root(S.shifted(S.square(x), 1.0))))
jet_rule("arccosh")(_inverse_trig(lambda x: _root(S.shifted(S.square(x), -1.0))))
jet_rule("arctanh")(_inverse_trig(_one_minus_square))


@jet_rule("power")
def power_rule(primals, series, ans):
    x, p = _both(primals, series)
    if series[1] is None:  # a constant exponent
        exponent = primals[1]
        if np.ndim(exponent) == 0 and not hasattr(exponent, "_level"):
            e = float(np.asarray(exponent))
            if e.is_integer() and 0 <= e <= 64:  # exact where x = 0 too (x ** 2 at 0)
                return S.integer_power(x, int(e), ans)[1:]
        return S.power(x, exponent, ans)[1:]
    # x1 ** x2 = exp(x2 log x1), with a moving exponent (a Python base takes the exponent's dtype, as NumPy does)
    if not hasattr(x[0], "dtype"):
        x[0] = np.asarray(x[0], np.result_type(value(ans)))
    log_x = S.log(x, _log(x[0])) if series[0] is not None else [_log(x[0])] + [None] * (len(x) - 1)
    return S.exp([None, *S.product(p, log_x)], ans)[1:]


@jet_rule("logaddexp")
def logaddexp_rule(primals, series, ans):
    a, b = _both(primals, series)
    # z = log(e^a + e^b) = ans + log(e^(a - ans) + e^(b - ans)), the sum's degree 0 being 1
    ea = S.exp([_sub(a[0], ans), *a[1:]], _exp(_sub(a[0], ans)))
    eb = S.exp([_sub(b[0], ans), *b[1:]], _exp(_sub(b[0], ans)))
    s = [_add(ea[0], eb[0]), *(S.total([u, v]) for u, v in zip(ea[1:], eb[1:]))]
    return S.log(s, ans)[1:]


@jet_rule("hypot")
def hypot_rule(primals, series, ans):
    a, b = _both(primals, series)
    sq = [S.total([u, v]) for u, v in zip(S.square(a), S.square(b))]
    return S.sqrt(sq, ans)[1:]


@jet_rule("arctan2")
def arctan2_rule(primals, series, ans):
    y, x = _both(primals, series)
    K = len(x) - 1
    # z' = (x y' - y x') / (x^2 + y^2); with w = x y' - y x' and u = x^2 + y^2, z_k = (w / u)_{k-1} / k
    dy = [S.scale(y[j + 1], j + 1) for j in range(K)] + [None]
    dx = [S.scale(x[j + 1], j + 1) for j in range(K)] + [None]
    w = [S.minus(S.term(x, dy, m), S.term(y, dx, m)) for m in range(K)]
    u = [S.total([p, q]) for p, q in zip(S.square(x), S.square(y))]
    q = S.divide(w, u[:K], _div(w[0], u[0]) if w[0] is not None else None) if K else []
    return [S.scale(q[k - 1], 1.0 / k) for k in range(1, K + 1)]
