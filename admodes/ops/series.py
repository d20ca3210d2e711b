"""Arithmetic on truncated Taylor series: the recurrences of Griewank and Walther, "Evaluating
Derivatives", chapter 13, written with admodes ops (so they are counted, and differentiate again), and the
jet rules that follow from a declaration's structure (`linear_rule`, `multilinear_rule`).

The op modules' declarations give their Taylor-mode rules (``jet=``, read by `admodes.taylor`) in terms of
these; so this module sits beside them, below every op module, and reaches the ops by name when it runs
(`primitive.op`), never at import.

A series here is a list ``[x0, x1, ..., xK]`` of *normalized* coefficients, x(t) = sum x_k t^k, one array
per degree, where ``None`` is a zero coefficient (a constant's series is ``[x0, None, ..., None]``), so
constants cost nothing in a product. Each recurrence costs O(K^2) array operations for all K degrees.

    >>> import numpy as np
    >>> x = [np.array(0.0), np.array(1.0), None, None]          # x(t) = t
    >>> [float(c) for c in exp(x, np.exp(x[0]))[1:]]            # exp(t) = 1 + t + t^2/2 + t^3/6
    [1.0, 0.5, 0.16666666666666666]
"""

from __future__ import annotations

import itertools
import math

from .primitive import Traced, op
from .rules import jvp_of

__all__ = ["total", "scale", "minus", "times", "term", "product", "divide", "integrate", "propagate", "exp", "log",
           "sincos", "sqrt", "power", "integer_power", "tan_like", "square", "shifted", "factorials", "full",
           "order", "plain", "linear_rule", "multilinear_rule"]


def _add(a, b):
    return op("add")(a, b)


def _sub(a, b):
    return op("subtract")(a, b)


def _mul(a, b):
    return op("multiply")(a, b)


def _div(a, b):
    return op("divide")(a, b)


def total(terms):
    """The sum of the terms that are not None (None when all are).

    >>> float(total([None, 2.0, 3.0]))
    5.0
    """
    out = None
    for t in terms:
        if t is not None:
            out = t if out is None else _add(out, t)
    return out


def scale(x, c):
    """``c * x`` for a Python number ``c``, None staying None; a factor 1 costs nothing.

    >>> scale(None, 3.0) is None, float(scale(2.0, 3))
    (True, 6.0)
    """
    if x is None:
        return None
    return x if c == 1 else _mul(x, c)


def minus(a, b):
    """``a - b`` with None as zero."""
    if b is None:
        return a
    return _mul(b, -1.0) if a is None else _sub(a, b)


def times(a, b):
    """``a * b`` with None as zero."""
    return None if a is None or b is None else _mul(a, b)


def term(a, b, k, product=None, start=0, stop=None):
    """Degree ``k`` of the Cauchy product: sum over j in [start, stop] of product(a_j, b_{k-j}).

    >>> float(term([1.0, 2.0], [3.0, 4.0], 1))     # (1 + 2t)(3 + 4t) = 3 + 10t + ...
    10.0
    """
    product = product or times
    stop = k if stop is None else stop
    return total(product(a[j], b[k - j]) for j in range(start, stop + 1) if a[j] is not None and b[k - j] is not None)


def product(a, b, bilinear=None):
    """The Cauchy product of two series (``bilinear`` in place of the elementwise product: matmul, dot...),
    degrees 1..K (degree 0 is the primitive's own output)."""
    return [term(a, b, k, bilinear) for k in range(1, len(a))]


def divide(a, b, z0):
    """z = a / b: z_k = (a_k - sum_{j=1..k} b_j z_{k-j}) / b_0."""
    z = [z0]
    for k in range(1, len(b)):
        num = minus(a[k], term(b, z, k, start=1))
        z.append(None if num is None else _div(num, b[0]))
    return z


def integrate(x, u, z0):
    """z with z' u = x' (so z = integral of x'/u): the recurrence behind log, arctan, arcsin, arcsinh:
    k z_k u_0 = k x_k - sum_{j=1..k-1} j z_j u_{k-j}."""
    z = [z0]
    for k in range(1, len(x)):
        rest = total(times(scale(z[j], j), u[k - j]) for j in range(1, k) if z[j] is not None and u[k - j] is not None)
        num = minus(scale(x[k], k), rest)
        z.append(None if num is None else _div(num, _mul(u[0], k)))
    return z


def propagate(x, w, z0, after=None):
    """z with z' = w x' (z_k = (1/k) sum_{j=1..k} j x_j w_{k-j}); ``after(z, k)`` appends w_k once z_k is
    known, for the ODEs whose w depends on z (exp: w = z, tan: w = 1 + z^2)."""
    z = [z0]
    for k in range(1, len(x)):
        s = total(times(scale(x[j], j), w[k - j]) for j in range(1, k + 1) if x[j] is not None and w[k - j] is not None)
        z.append(scale(s, 1.0 / k))
        if after is not None:
            after(z, k)
    return z


def exp(x, z0):
    """z = exp(x): z' = z x'."""
    return propagate(x, w := [z0], z0, after=lambda z, k: w.append(z[k]))


def log(x, z0):
    """z = log(x): z' x = x'."""
    return integrate(x, x, z0)


def sincos(x, s0, c0, sign=-1.0):
    """(sin x, cos x) together: s' = c x', c' = -s x'; with ``sign=+1``, (sinh x, cosh x): c' = s x'."""
    s, c = [s0], [c0]
    for k in range(1, len(x)):
        js = [j for j in range(1, k + 1) if x[j] is not None]
        s.append(scale(total(_mul(scale(x[j], j), c[k - j]) for j in js if c[k - j] is not None), 1.0 / k))
        c.append(scale(total(_mul(scale(x[j], j), s[k - j]) for j in js if s[k - j] is not None), sign / k))
    return s, c


def sqrt(x, z0):
    """z = sqrt(x): z_k = (x_k - sum_{j=1..k-1} z_j z_{k-j}) / (2 z_0)."""
    z = [z0]
    for k in range(1, len(x)):
        num = minus(x[k], term(z, z, k, start=1, stop=k - 1))
        z.append(None if num is None else _div(num, _mul(z0, 2.0)))
    return z


def power(x, p, z0):
    """z = x^p for a constant p: z_k = sum_{j=1..k} ((p + 1) j - k) x_j z_{k-j} / (k x_0)."""
    z = [z0]
    number = isinstance(p, (int, float))  # then the weights stay Python floats, which keep x's dtype

    def weighted(c, j, k):
        return scale(c, float(p * j - (k - j))) if number else _mul(c, _sub(_mul(p, j), k - j))
    for k in range(1, len(x)):
        s = total(_mul(weighted(x[j], j, k), z[k - j])
                  for j in range(1, k + 1) if x[j] is not None and z[k - j] is not None)
        z.append(None if s is None else _div(s, _mul(x[0], k)))
    return z


def integer_power(x, n, z0):
    """z = x^n for a small integer n >= 0 by repeated Cauchy products: exact where x_0 = 0 too."""
    result = None
    base = x
    while n:
        if n & 1:
            result = base if result is None else [_mul(result[0], base[0]), *product(result, base)]
        n >>= 1
        if n:
            base = [_mul(base[0], base[0]), *product(base, base)]
    if result is None:  # x^0 = 1
        return [z0] + [None] * (len(x) - 1)
    return [z0, *result[1:]]


def tan_like(x, z0, sign):
    """z = tan(x) (sign +1: z' = (1 + z^2) x') or tanh(x) (sign -1: z' = (1 - z^2) x')."""
    w = [_add(_mul(_mul(z0, z0), float(sign)), 1.0)]

    def after(z, k):
        w.append(scale(term(z, z, k), float(sign)))
    return propagate(x, w, z0, after)


def square(x):
    """x^2 as a series, degree 0 included."""
    return [_mul(x[0], x[0]), *product(x, x)]


def shifted(x, c):
    """x + c for a constant c (only degree 0 moves)."""
    return [_add(x[0], c), *x[1:]]


def factorials(k):
    """k!, as a float (the scale between a derivative and a normalized Taylor coefficient).

    >>> factorials(4)
    24.0
    """
    return float(math.factorial(k))


# ----------------------------------------------------------------------------------------------------
# Jet rules' arguments, and the rules that follow from a declaration's structure
# ----------------------------------------------------------------------------------------------------

def order(series):
    """K, the number of coefficients of the arguments' series (None for a constant argument).

    >>> order([None, [1.0, 2.0, 3.0]])
    3
    """
    return next(len(s) for s in series if s is not None)


def full(primals, series):
    """Each argument's series with degree 0 in front: ``[x0, x1, ..., xK]`` (None for absent degrees).

    >>> full((1.0, 5.0), ([2.0, 3.0], None))
    [[1.0, 2.0, 3.0], [5.0, None, None]]
    """
    K = order(series)
    return [[p, *(s if s is not None else [None] * K)] for p, s in zip(primals, series)]


def plain(x):
    """The NumPy value inside a traced ``x`` (what a rule reads to choose a method, never to compute with)."""
    while isinstance(x, Traced):
        x = x._inner()
    return x


def linear_rule(prim):
    """The jet rule of a linear (or piecewise-linear) op: its JVP applied to each degree's coefficients.

    What ``jet="linear"`` declares, and what `admodes.taylor` derives for a `deflinear` declaration.

    >>> import numpy as np
    >>> rule = linear_rule(op("negative"))
    >>> [float(c) for c in rule((np.array(1.0),), ([np.array(2.0), np.array(3.0)],), np.array(-1.0))]
    [-2.0, -3.0]
    """
    def linear_rule(primals, series, ans, **params):
        return [jvp_of(prim, [None if s is None else s[k] for s in series], ans, primals, params)
                for k in range(order(series))]
    return linear_rule


def multilinear_rule(prim):
    """The jet rule of an op linear in each argument (multiply, matmul, einsum): the Cauchy product, degree k
    the sum over j_1 + ... + j_n = k of op(x1_{j_1}, ..., xn_{j_n}). What ``jet="multilinear"`` declares.

    >>> import numpy as np
    >>> rule = multilinear_rule(op("multiply"))     # (1 + t)(2 + 3t) = 2 + 5t + 3t^2
    >>> [float(c) for c in rule((np.array(1.0), np.array(2.0)), ([np.array(1.0), None], [np.array(3.0), None]),
    ...                         np.array(2.0))]
    [5.0, 3.0]
    """
    def multilinear_rule(primals, series, ans, **params):
        K, every = order(series), full(primals, series)
        moving = [i for i, s in enumerate(series) if s is not None]
        out = []
        for k in range(1, K + 1):
            terms = []
            for degrees in _compositions(k, len(moving)):
                args = list(primals)
                for i, j in zip(moving, degrees):
                    args[i] = every[i][j]
                if all(a is not None for a in args):
                    terms.append(prim(*args, **params))
            out.append(total(terms))
        return out
    return multilinear_rule


def _compositions(k, n):
    """Every n-tuple of degrees >= 0 summing to k."""
    if n == 1:
        return [(k,)]
    return [c for c in itertools.product(range(k + 1), repeat=n) if sum(c) == k]
