"""NumPy's statistics and the nan-ignoring reductions, composed of the reduction, sorting and product
primitives, so each differentiates through its parts.

Choices, each as JAX makes it: a nan element ignored by a ``nan*`` reduction gets derivative 0; an
all-nan slice gives nan (NumPy warns there; admodes does not). `quantile`, `percentile` and `median`
interpolate linearly between the sorted values (NumPy's default method), and the derivative goes to the
two values interpolated, with the interpolation weights; ``q`` is a constant (a float or a plain array).
`cov` and `corrcoef` take NumPy's ``rowvar``, ``bias`` and ``ddof``; their frequency and analytic
weights are not supported (a NotImplementedError says so).

>>> float(median(np.array([3.0, 1.0, 2.0, 10.0])))
2.5
"""

import math

import numpy as np

from .elementwise import clip, sqrt, where
from .indexing import sort, take
from .joining import as_array, concatenate
from .layout import checked_axis
from .primitive import ndim_of, register_function, shape_of
from .products import matmul, outer
from .reductions import cumprod, cumsum, logsumexp, max, min, prod, reduced_axes, reduced_count, sum
from .rounding import isnan_mask
from .shape import moveaxis, reshape, transpose

__all__ = []  # (every function below is reached through the registry: admodes.numpy)

register_function("amax")(max)
register_function("amin")(min)


@register_function("ptp")
def ptp(a, axis=None, keepdims=False):
    """The range, maximum minus minimum, over ``axis`` ("peak to peak"), as ``np.ptp``.

    >>> float(ptp(np.array([1.0, 4.0, 2.0])))
    3.0
    """
    return max(a, axis=axis, keepdims=keepdims) - min(a, axis=axis, keepdims=keepdims)


# ---- ignoring nan -------------------------------------------------------------------------------------

def _without_nan(a, fill):
    """a with its nan elements replaced by ``fill`` (which carries no derivative), and the mask of them."""
    a = as_array(a)
    nan = isnan_mask(a)
    return where(nan, fill, a), nan


def _all_nan_is_nan(result, nan, axis, keepdims):
    """``result`` with nan where every element of the slice was nan (a reduction of nothing)."""
    count = sum(1.0 - nan, axis=axis, keepdims=keepdims)
    return where(count, result, math.nan)  # count as the condition: nonzero


@register_function("nansum")
def nansum(a, axis=None, keepdims=False):
    """`sum` with nan elements counted as 0 (their derivative is 0), as ``np.nansum``.

    >>> float(nansum(np.array([1.0, np.nan, 2.0])))
    3.0
    """
    return sum(_without_nan(a, 0.0)[0], axis=axis, keepdims=keepdims)


@register_function("nanprod")
def nanprod(a, axis=None, keepdims=False):
    """`prod` with nan elements counted as 1 (their derivative is 0), as ``np.nanprod``.

    >>> float(nanprod(np.array([2.0, np.nan, 3.0])))
    6.0
    """
    return prod(_without_nan(a, 1.0)[0], axis=axis, keepdims=keepdims)


@register_function("nanmean")
def nanmean(a, axis=None, keepdims=False):
    """The mean of the elements that are not nan, over ``axis``, as ``np.nanmean`` (nan for a slice of nan).

    >>> float(nanmean(np.array([1.0, np.nan, 2.0])))
    1.5
    """
    filled, nan = _without_nan(a, 0.0)
    count = sum(1.0 - nan, axis=axis, keepdims=keepdims)
    return sum(filled, axis=axis, keepdims=keepdims) / where(count, count, math.nan)


@register_function("nanvar")
def nanvar(a, axis=None, ddof=0, keepdims=False):
    """The variance of the elements that are not nan, over ``axis``, dividing by count - ddof, as
    ``np.nanvar``.

    >>> float(nanvar(np.array([1.0, np.nan, 3.0])))
    1.0
    """
    filled, nan = _without_nan(a, 0.0)
    count = sum(1.0 - nan, axis=axis, keepdims=True)
    centered = where(nan, 0.0, filled - sum(filled, axis=axis, keepdims=True) / where(count, count, math.nan))
    out = sum(centered * centered, axis=axis, keepdims=True) / (count - ddof)
    return out if keepdims else _squeeze_axes(out, axis)


@register_function("nanstd")
def nanstd(a, axis=None, ddof=0, keepdims=False):
    """The square root of `nanvar`, as ``np.nanstd`` (its derivative is infinite where the spread is 0).

    >>> float(nanstd(np.array([1.0, np.nan, 3.0])))
    1.0
    """
    return sqrt(nanvar(a, axis=axis, ddof=ddof, keepdims=keepdims))


def _nan_extreme(reduce, fill):
    def fn(a, axis=None, keepdims=False):
        filled, nan = _without_nan(a, fill)
        return _all_nan_is_nan(reduce(filled, axis=axis, keepdims=keepdims), nan, axis, keepdims)
    return fn


@register_function("nanmax")
def nanmax(a, axis=None, keepdims=False):
    """`max` of the elements that are not nan (ties split the derivative, as `max`), as ``np.nanmax``.

    >>> float(nanmax(np.array([1.0, np.nan, 2.0])))
    2.0
    """
    return _nan_extreme(max, -math.inf)(a, axis, keepdims)


@register_function("nanmin")
def nanmin(a, axis=None, keepdims=False):
    """`min` of the elements that are not nan, as ``np.nanmin``.

    >>> float(nanmin(np.array([1.0, np.nan, 2.0])))
    1.0
    """
    return _nan_extreme(min, math.inf)(a, axis, keepdims)


def _squeeze_axes(x, axis):
    """x, reduced with keepdims over ``axis``, without the reduced axes."""
    shape = shape_of(x)
    axes = reduced_axes(axis, len(shape))
    return reshape(x, tuple(n for i, n in enumerate(shape) if i not in axes))


# ---- weighted means, cumulative sums, integrals, dot products ----------------------------------------

@register_function("average")
def average(a, axis=None, weights=None, returned=False, *, keepdims=False):
    """The mean of ``a`` over ``axis`` weighted by ``weights`` (a's shape, or 1-D along an int ``axis``),
    as ``np.average``; ``returned=True`` also gives the sum of the weights. The weights are differentiable.

    >>> float(average(np.array([1.0, 3.0]), weights=np.array([3.0, 1.0])))
    1.5
    """
    a = as_array(a)
    if weights is None:
        total = sum(a, axis=axis, keepdims=keepdims)
        scale = float(reduced_count(shape_of(a), axis))
        out, weight_sum = total / scale, scale
        return (out, out * 0.0 + weight_sum) if returned else out
    w = as_array(weights)
    if shape_of(w) != shape_of(a):
        if axis is None or np.ndim(axis) or ndim_of(w) != 1:
            raise TypeError("average: weights of a shape other than a's must be 1-D and need an int axis")
        ax = checked_axis(axis, ndim_of(a))
        if shape_of(w)[0] != shape_of(a)[ax]:
            raise ValueError("average: length of weights differs from the length of a along axis")
        w = reshape(w, tuple(-1 if i == ax else 1 for i in range(ndim_of(a))))
    weight_sum = sum(w + 0.0 * a, axis=axis, keepdims=keepdims)  # (w broadcast to a's shape, then summed)
    out = sum(a * w, axis=axis, keepdims=keepdims) / weight_sum
    return (out, weight_sum) if returned else out


def _cumulative(scan, initial):
    def fn(x, /, *, axis=None, dtype=None, include_initial=False):
        x = as_array(x)
        if axis is None:
            if ndim_of(x) > 1:
                raise ValueError("cumulative functions need an axis for arrays of more than one dimension")
            axis = 0
        out = scan(x, axis=axis) if dtype is None else scan(x, axis=axis).astype(dtype)
        if include_initial:
            shape = list(shape_of(out))
            shape[checked_axis(axis, len(shape))] = 1
            out = concatenate([np.full(shape, initial, dtype=np.result_type(out)), out], axis=axis)
        return out
    return fn


@register_function("cumulative_sum")
def cumulative_sum(x, /, *, axis=None, dtype=None, include_initial=False):
    """`cumsum` with the array API's signature (``include_initial`` puts the 0 first), as
    ``np.cumulative_sum``.

    >>> cumulative_sum(np.array([1.0, 2.0]), include_initial=True)
    array([0., 1., 3.])
    """
    return _cumulative(cumsum, 0.0)(x, axis=axis, dtype=dtype, include_initial=include_initial)


@register_function("cumulative_prod")
def cumulative_prod(x, /, *, axis=None, dtype=None, include_initial=False):
    """`cumprod` with the array API's signature (``include_initial`` puts the 1 first), as
    ``np.cumulative_prod``.

    >>> cumulative_prod(np.array([2.0, 3.0]))
    array([2., 6.])
    """
    return _cumulative(cumprod, 1.0)(x, axis=axis, dtype=dtype, include_initial=include_initial)


@register_function("trapezoid")
def trapezoid(y, x=None, dx=1.0, axis=-1):
    """The integral of ``y`` along ``axis`` by the trapezoidal rule, at sample points ``x`` (spaced by
    ``dx`` if None), as ``np.trapezoid``; ``y`` and ``x`` are differentiable.

    >>> float(trapezoid(np.array([0.0, 1.0, 2.0])))
    2.0
    """
    y = as_array(y)
    ax = checked_axis(axis, ndim_of(y))
    def part(v, s):
        return v[(slice(None),) * ax + (s,)]
    if x is None:
        d = dx
    else:
        x = as_array(x)
        if ndim_of(x) == 1:
            x = reshape(x, tuple(-1 if i == ax else 1 for i in range(ndim_of(y))))
            d = x[(slice(None),) * ax + (slice(1, None),)] - x[(slice(None),) * ax + (slice(None, -1),)]
        else:
            d = part(x, slice(1, None)) - part(x, slice(None, -1))
    return sum(d * (part(y, slice(1, None)) + part(y, slice(None, -1))), axis=ax) / 2.0


@register_function("vdot")
def vdot(a, b, /):
    """The dot product of the two arrays flattened (real arrays: no conjugation), as ``np.vdot``.

    >>> float(vdot(np.array([[1.0, 2.0]]), np.array([3.0, 4.0])))
    11.0
    """
    return sum(reshape(a, (-1,)) * reshape(b, (-1,)))


@register_function("vecdot")
def vecdot(x1, x2, /, *, axis=-1):
    """The dot products of vectors along ``axis``, the other axes broadcast, as ``np.vecdot`` (real).

    >>> vecdot(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([1.0, 1.0]))
    array([3., 7.])
    """
    return sum(x1 * x2, axis=axis)


@register_function("log_softmax")
def log_softmax(x, axis=None):
    """log(softmax(x)) over ``axis`` (all axes by default), as ``scipy.special.log_softmax``:
    x - logsumexp(x), stable for large x.

    >>> log_softmax(np.array([0.0, 0.0]))
    array([-0.69314718, -0.69314718])
    """
    return x - logsumexp(x, axis=axis, keepdims=True)


# ---- quantiles ---------------------------------------------------------------------------------------

def _last_axis_gathering(a, axis):
    """a with the axes in ``axis`` (None: all) merged into one last axis, and the shape kept axes take."""
    a = as_array(a)
    axes = reduced_axes(axis, ndim_of(a))
    rest = [i for i in range(ndim_of(a)) if i not in axes]
    moved = transpose(a, tuple(rest) + axes) if axes != tuple(range(ndim_of(a) - len(axes), ndim_of(a))) else a
    kept_shape = tuple(1 if i in axes else n for i, n in enumerate(shape_of(a)))
    return reshape(moved, tuple(shape_of(a)[i] for i in rest) + (-1,)), kept_shape


@register_function("quantile")
def quantile(a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False):
    """The ``q``-quantiles of ``a`` over ``axis``, interpolating linearly between the sorted values (NumPy's
    default method), as ``np.quantile``; an array ``q`` puts its axes first. ``q`` is a constant.

    >>> float(quantile(np.array([1.0, 2.0, 3.0, 4.0]), 0.25))
    1.75
    """
    if method != "linear" or out is not None:
        raise NotImplementedError("quantile: admodes differentiates method='linear' without out= only")
    q = np.asarray(q, dtype=np.float64)
    if np.any((q < 0) | (q > 1)):
        raise ValueError("quantile: q must be in the range [0, 1]")
    flat, kept_shape = _last_axis_gathering(a, axis)
    ordered = sort(flat, axis=-1)
    n = shape_of(ordered)[-1]
    position = q * (n - 1)
    low = np.floor(position).astype(int)
    high = np.minimum(low + 1, n - 1)
    frac = (position - low).astype(np.result_type(ordered, np.float32))
    out = take(ordered, low, axis=-1) * (1.0 - frac) + take(ordered, high, axis=-1) * frac
    if q.ndim:  # take put q's axes last: NumPy has them first
        out = moveaxis(out, tuple(range(-q.ndim, 0)), tuple(range(q.ndim)))
    if keepdims:
        out = reshape(out, q.shape + kept_shape)
    return out


@register_function("percentile")
def percentile(a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False):
    """`quantile` with ``q`` in percent, as ``np.percentile``.

    >>> float(percentile(np.array([1.0, 2.0, 3.0, 4.0]), 50))
    2.5
    """
    return quantile(a, np.asarray(q, dtype=np.float64) / 100.0, axis=axis, out=out, method=method, keepdims=keepdims)


@register_function("median")
def median(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """The median over ``axis`` (the mean of the two middle values for an even count), as ``np.median``:
    the derivative goes to the middle value, or half to each of the two.

    >>> float(median(np.array([1.0, 5.0, 2.0])))
    2.0
    """
    return quantile(a, 0.5, axis=axis, out=out, keepdims=keepdims)


# ---- covariance and correlation ----------------------------------------------------------------------

@register_function("cov")
def cov(m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None, *, dtype=None):
    """The covariance matrix of the variables in the rows of ``m`` (columns with ``rowvar=False``), and of
    ``y``'s too, as ``np.cov``: centered products divided by N - 1 (N with ``bias``, N - ``ddof``).

    >>> cov(np.array([[0.0, 1.0, 2.0], [2.0, 1.0, 0.0]]))
    array([[ 1., -1.],
           [-1.,  1.]])
    """
    if fweights is not None or aweights is not None:
        raise NotImplementedError("cov: admodes does not differentiate fweights/aweights; weight the data instead")
    x = _rows(m, rowvar)
    if y is not None:
        x = concatenate([x, _rows(y, rowvar)], axis=0)
    if ddof is None:
        ddof = 0 if bias else 1
    n = shape_of(x)[1]
    centered = x - sum(x, axis=1, keepdims=True) / float(n)
    c = matmul(centered, transpose(centered)) / float(n - ddof)
    return reshape(c, tuple(s for s in shape_of(c) if s != 1))  # NumPy squeezes


def _rows(m, rowvar):
    m = as_array(m)
    if ndim_of(m) > 2:
        raise ValueError("cov: m has more than 2 dimensions")
    if ndim_of(m) < 2:
        return reshape(m, (1, -1))
    return m if rowvar else transpose(m)


@register_function("corrcoef")
def corrcoef(x, y=None, rowvar=True, *, dtype=None):
    """The correlation coefficients of the variables, cov / (std_i std_j), as ``np.corrcoef`` (limited to
    [-1, 1] as NumPy does, the limits passing the derivative).

    >>> corrcoef(np.array([[0.0, 1.0, 2.0], [4.0, 2.0, 0.0]]))
    array([[ 1., -1.],
           [-1.,  1.]])
    """
    c = cov(x, y, rowvar)
    if ndim_of(c) == 0:
        return c / c
    d = sqrt(_diagonal_of(c))
    return clip(c / outer(d, d), -1.0, 1.0)


def _diagonal_of(c):
    n = shape_of(c)[0]
    return c[np.arange(n), np.arange(n)]

