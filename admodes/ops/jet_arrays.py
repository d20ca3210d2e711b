"""Taylor-mode (jet) rules of the reductions that are not linear (var, std, logsumexp, softmax, norm, prod,
the cumulative products and linear_scan) and of numpy.linalg (inv, solve, slogdet, det, cholesky). Each
primitive's declaration (`reductions`, `linalg`) names its rule (``jet=jet_arrays.inv``); the rules are
those of `jet_elementwise`'s form, on the recurrences of `series`.

    >>> import numpy as np
    >>> a = np.array([[2.0, 0.0], [0.0, 4.0]])
    >>> z = inv((a,), ([np.eye(2), None],), np.linalg.inv(a))   # (A + t I)^-1
    >>> np.diag(z[0]), np.diag(z[1])
    (array([-0.25  , -0.0625]), array([0.125   , 0.015625]))
"""

from __future__ import annotations

import math

import numpy as np

from . import series as S
from .primitive import REGISTRY, op, shape_of

__all__ = ["var", "std", "logsumexp", "softmax", "norm", "inv", "solve", "slogdet", "det", "cholesky", "linear_scan",
           "cumprod_exclusive", "cumprod", "prod"]


def _mul(a, b):
    return op("multiply")(a, b)


def _unary(primals, series):
    (x0,), (s,) = primals, series
    return [x0, *s]


def _mT(x):
    return op("swapaxes")(x, -1, -2)


def _each(fn, x):
    return [None if c is None else fn(c) for c in x]


def _sum_squares(x, axis, keepdims):
    """sum(x^2) over axis, as a series."""
    return _each(lambda c: op("sum")(c, axis=axis, keepdims=keepdims), S.square(x))


def _count(shape, axis):
    axes = range(len(shape)) if axis is None else (axis,) if isinstance(axis, int) else axis
    return math.prod(shape[a] for a in axes)


def var(primals, series, ans, axis=None, ddof=0, keepdims=False):
    x = _unary(primals, series)
    centred = [op("subtract")(x[0], op("mean")(x[0], axis=axis, keepdims=True)),
               *_each(lambda c: op("subtract")(c, op("mean")(c, axis=axis, keepdims=True)), x[1:])]
    n = _count(primals[0].shape, axis) - ddof
    return [S.scale(c, 1.0 / n) for c in _sum_squares(centred, axis, keepdims)[1:]]


def std(primals, series, ans, axis=None, ddof=0, keepdims=False):
    variance = var(primals, series, _mul(ans, ans), axis=axis, ddof=ddof, keepdims=keepdims)
    return S.sqrt([_mul(ans, ans), *variance], ans)[1:]


def _logsumexp_series(x, axis, keepdims):
    """log(sum(exp(x), axis)) as a series, from exp(x - lse) whose sum has degree 0 one."""
    lse = op("logsumexp")(x[0], axis=axis, keepdims=True)
    shifted = S.exp([op("subtract")(x[0], lse), *x[1:]], op("exp")(op("subtract")(x[0], lse)))
    total = _each(lambda c: op("sum")(c, axis=axis, keepdims=keepdims), shifted)
    return S.log(total, op("logsumexp")(x[0], axis=axis, keepdims=keepdims))


def logsumexp(primals, series, ans, axis=None, keepdims=False):
    return _logsumexp_series(_unary(primals, series), axis, keepdims)[1:]


def softmax(primals, series, ans, axis=None):
    x = _unary(primals, series)
    lse = _logsumexp_series(x, axis, True)
    return S.exp([None, *(S.minus(a, b) for a, b in zip(x[1:], lse[1:]))], ans)[1:]


def norm(norm_kind):
    """The rule of linalg.norm, given linalg's ``norm_kind(ndim, ord, axis) -> (kind, axes)``: the 2-norms
    (vector and Frobenius) by the square root's recurrence; the others (1, inf, -inf: sums and maxima of
    |x|) are piecewise linear, their JVP applied to each coefficient."""
    def rule(primals, series, ans, ord=None, axis=None, keepdims=False):
        kind, axes = norm_kind(len(shape_of(primals[0])), ord, axis)
        if kind != "2":
            return S.linear_rule(REGISTRY["linalg.norm"])(primals, series, ans, ord=ord, axis=axis, keepdims=keepdims)
        return S.sqrt(_sum_squares(_unary(primals, series), axes, keepdims), ans)[1:]
    return rule


def _inverse_series(a, z0):
    """Z = A^-1: Z_k = -Z_0 sum_{j=1..k} A_j Z_{k-j}."""
    z = [z0]
    for k in range(1, len(a)):
        s = S.term(a, z, k, op("matmul"), start=1)
        z.append(None if s is None else _mul(op("matmul")(z0, s), -1.0))
    return z


def inv(primals, series, ans):
    return _inverse_series(_unary(primals, series), ans)[1:]


def solve(primals, series, ans):
    K = next(len(s) for s in series if s is not None)
    a, b = ([p, *(s if s is not None else [None] * K)] for p, s in zip(primals, series))
    x = [ans]
    # NumPy 2's solve reads a 1-D b as one vector, any other b as a stack of matrices
    vector = primals[1].ndim == 1
    times = (lambda m, v: op("einsum")("...ij,...j->...i", m, v)) if vector else op("matmul")
    for k in range(1, K + 1):
        rhs = S.minus(b[k], S.term(a, x, k, times, start=1))
        if rhs is not None and vector:  # a stack of vectors now (A batched): solved as one-column matrices
            rhs = op("getitem")(op("linalg.solve")(a[0], op("expand_dims")(rhs, -1)), (Ellipsis, 0))
        elif rhs is not None:
            rhs = op("linalg.solve")(a[0], rhs)
        x.append(rhs)
    return x[1:]


def _logabsdet_series(a):
    """log|det A|: z' = tr(A^-1 A'), so k z_k = sum_{j=1..k} j tr(W_{k-j} A_j) with W = A^-1."""
    w = _inverse_series(a[:-1], op("linalg.inv")(a[0]))
    z = []
    for k in range(1, len(a)):
        terms = [S.scale(op("einsum")("...ij,...ji->...", w[k - j], a[j]), j)
                 for j in range(1, k + 1) if a[j] is not None and w[k - j] is not None]
        z.append(S.scale(S.total(terms), 1.0 / k))
    return z


def slogdet(primals, series, ans):
    return _logabsdet_series(_unary(primals, series))


def det(primals, series, ans):
    """det = sign * exp(log|det|), so det' = det * log|det|'. At a singular or ill-conditioned matrix,
    where log|det| is -inf or inaccurate, the rule declines (``NotImplemented``): `admodes.taylor` then takes
    the coefficients from nested JVPs through the cofactor matrix, exact there."""
    a0 = S.plain(primals[0])
    if not np.all(np.isfinite(a0)) or np.any(np.linalg.cond(a0) > _ILL_CONDITIONED):
        return NotImplemented
    return S.exp([None, *_logabsdet_series(_unary(primals, series))], ans)[1:]


_ILL_CONDITIONED = 1e6


def cholesky(primals, series, ans, upper=False):
    """L L^T = sym(A): L_k = L_0 Phi(L_0^-1 (A_k - sum_{j=1..k-1} L_j L_{k-j}^T) L_0^-T), Phi keeping the
    lower triangle and halving the diagonal (the recurrence of the JVP rule, one degree at a time)."""
    a = _unary(primals, series)
    l0 = _mT(ans) if upper else ans
    n = l0.shape[-1]
    half = np.tri(n, dtype=np.result_type(l0.dtype)) - 0.5 * np.eye(n, dtype=np.result_type(l0.dtype))
    lower = [l0]
    for k in range(1, len(a)):
        sym = None if a[k] is None else _mul(op("add")(a[k], _mT(a[k])), 0.5)
        rhs = S.minus(sym, S.term(lower, lower, k, lambda u, v: op("matmul")(u, _mT(v)), start=1, stop=k - 1))
        if rhs is None:
            lower.append(None)
            continue
        m = _mT(op("linalg.solve")(l0, _mT(op("linalg.solve")(l0, rhs))))
        lower.append(op("matmul")(l0, _mul(m, half)))
    return [c if c is None or not upper else _mT(c) for c in lower[1:]]


# ---- products along an axis: linear recurrences, degree by degree (as their JVPs, no division) --------


def _scan_series(a, b, z0, axis, reverse):
    """y with y[0] = 0, y[i+1] = a[i] y[i] + b[i] along ``axis``, as series: degree m is the same recurrence
    in a_0 driven by b_m + sum_{j=1..m} a_j y_{m-j} (the terms of degree m of a y + b)."""
    y = [z0]
    for m in range(1, len(a)):
        drive = S.total([b[m], S.term(a, y, m, start=1)])
        y.append(None if drive is None else op("linear_scan")(a[0], drive, axis=axis, reverse=reverse))
    return y




def linear_scan(primals, series, ans, axis=-1, reverse=False):
    K = next(len(s) for s in series if s is not None)
    a, b = ([p, *(s if s is not None else [None] * K)] for p, s in zip(primals, series))
    return _scan_series(a, b, ans, axis, reverse)[1:]


def cumprod_exclusive(primals, series, ans, axis=-1, reverse=False):
    x = _unary(primals, series)
    return _scan_series(x, [None] * len(x), ans, axis, reverse)[1:]


def _cumprod_series(x, axis):
    """cumprod(x) = x * cumprod_exclusive(x) along ``axis``, as a series (degree 0 included)."""
    exclusive = _scan_series(x, [None] * len(x), op("cumprod_exclusive")(x[0], axis=axis), axis, False)
    return [_mul(x[0], exclusive[0]), *S.product(x, exclusive)]


def cumprod(primals, series, ans, axis=None):
    x = _unary(primals, series)
    if axis is None:  # NumPy's cumprod flattens
        x, axis = _each(lambda c: op("reshape")(c, (-1,)), x), 0
    return _cumprod_series(x, axis)[1:]


def prod(primals, series, ans, axis=None, keepdims=False):
    """The last of the cumulative products over the reduced axes, moved last and merged into one."""
    x = _unary(primals, series)
    ndim = primals[0].ndim
    axes = tuple(range(ndim)) if axis is None else tuple(
        int(ax) % ndim for ax in ((axis,) if isinstance(axis, (int, np.integer)) else axis))
    if math.prod(primals[0].shape[ax] for ax in axes) == 0:  # an empty product is 1, whatever moves
        return [None] * (len(x) - 1)
    kept = tuple(ax for ax in range(ndim) if ax not in axes)
    shape = tuple(primals[0].shape[ax] for ax in kept) + (-1,)
    merged = _each(lambda c: op("reshape")(op("transpose")(c, kept + axes), shape), x)
    out_shape = shape_of(ans)
    return [None if c is None else op("reshape")(op("getitem")(c, (Ellipsis, -1)), out_shape)
            for c in _cumprod_series(merged, -1)[1:]]
