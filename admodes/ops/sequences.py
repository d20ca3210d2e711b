"""NumPy's functions of sampled sequences, composed of primitives: `convolve`, `correlate`, `interp`,
`gradient`, `linspace` with differentiable endpoints, and `select`, `partition`.

Positions are worked out with NumPy on shapes (convolve's Toeplitz gather) or chosen by piecewise-constant
primitives (interp's segment masks, from `heaviside`), never read from values: so every function here
runs on any traced value, batched ones included.

>>> convolve(np.array([1.0, 2.0]), np.array([1.0, 1.0]))
array([1., 3., 2.])
"""

import numpy as np

from .elementwise import heaviside, where
from .indexing import sort, sort_along, take
from .joining import as_array, concatenate
from .layout import checked_axis
from .primitive import Traced, ndim_of, register_function, shape_of
from .products import matmul
from .reductions import sum
from .rounding import mod
from .shape import moveaxis, reshape

__all__ = []  # (every function below is reached through the registry: admodes.numpy)


def _full_convolution(a, v):
    """The full discrete convolution of two vectors: out[k] = sum_i a[i] v[k - i], as a matrix of v's
    elements (gathered at positions NumPy computes, zero outside v) times a."""
    n, m = shape_of(a)[0], shape_of(v)[0]
    k, i = np.arange(n + m - 1)[:, None], np.arange(n)[None, :]
    offset = k - i
    inside = (offset >= 0) & (offset < m)
    toeplitz = where(inside, take(v, np.clip(offset, 0, m - 1)), 0.0)
    return matmul(toeplitz, a)


def _trim(full, n, m, mode):
    """NumPy's ``mode`` cut of a full convolution of lengths n and m."""
    if mode == "full":
        return full
    longer, shorter = (n, m) if n >= m else (m, n)
    if mode == "same":
        start = (shorter - 1) // 2
        return full[start:start + longer]
    if mode == "valid":
        return full[shorter - 1:longer]
    raise ValueError(f"mode must be one of 'full', 'same' or 'valid', not {mode!r}")


def _vectors(a, v, who):
    a, v = as_array(a), as_array(v)
    if ndim_of(a) != 1 or ndim_of(v) != 1:
        raise ValueError(f"{who}: a and v must be 1-D, got shapes {shape_of(a)} and {shape_of(v)}")
    if not shape_of(a)[0] or not shape_of(v)[0]:
        raise ValueError(f"{who}: a and v cannot be empty")
    return a, v


@register_function("convolve")
def convolve(a, v, mode="full"):
    """The discrete linear convolution of two vectors, as ``np.convolve`` (modes full, same, valid);
    both arguments are differentiable.

    >>> convolve(np.array([1.0, 2.0, 3.0]), np.array([0.0, 1.0, 0.5]), mode="same")
    array([1. , 2.5, 4. ])
    """
    a, v = _vectors(a, v, "convolve")
    return _trim(_full_convolution(a, v), shape_of(a)[0], shape_of(v)[0], mode)


@register_function("correlate")
def correlate(a, v, mode="valid"):
    """The cross-correlation of two real vectors, c[k] = sum_n a[n + k] v[n], as ``np.correlate``: the
    convolution with v reversed.

    >>> correlate(np.array([1.0, 2.0, 3.0]), np.array([0.0, 1.0, 0.5]))
    array([3.5])
    """
    a, v = _vectors(a, v, "correlate")
    return _trim(_full_convolution(a, v[::-1]), shape_of(a)[0], shape_of(v)[0], mode)


@register_function("interp")
def interp(x, xp, fp, left=None, right=None, period=None):
    """Piecewise-linear interpolation of the points (xp, fp) at x, as ``np.interp`` (``xp`` increasing;
    ``left``/``right`` below and above it, fp's ends by default; with ``period``, x and xp are angles: xp
    is taken modulo the period and sorted, and the ends are ignored). Differentiable in x, xp, fp and the
    ends; each x is matched to its segment by step functions of x - xp (no search, so it runs batched), at
    a cost of len(x) * len(xp).

    >>> interp(np.array([0.5, 3.0]), np.array([0.0, 1.0, 2.0]), np.array([0.0, 10.0, 0.0]))
    array([5., 0.])
    """
    x, xp, fp = as_array(x), as_array(xp), as_array(fp)
    if ndim_of(xp) != 1 or shape_of(xp) != shape_of(fp):
        raise ValueError(f"interp: xp and fp must be 1-D of one length, got shapes {shape_of(xp)}, {shape_of(fp)}")
    if period is not None:
        x, xp, fp = _periodic(x, xp, fp, period)
        left = right = None
    xs = reshape(x, shape_of(x) + (1,))
    lo, hi, f_lo, f_hi = xp[:-1], xp[1:], fp[:-1], fp[1:]
    in_segment = heaviside(xs - lo, 1.0) * heaviside(hi - xs, 0.0)  # lo <= x < hi
    inner = sum(in_segment * (f_lo + (xs - lo) * ((f_hi - f_lo) / (hi - lo))), axis=-1)
    first, last = xp[0], xp[-1]
    below, above = heaviside(first - x, 0.0), heaviside(x - last, 0.0)
    at_last = heaviside(x - last, 1.0) - above  # x == xp[-1]: fp[-1], whatever right is
    left = fp[0] if left is None else left
    right = fp[-1] if right is None else right
    return inner + below * left + above * right + at_last * fp[-1]


def _periodic(x, xp, fp, period):
    """np.interp's ``period``: x and xp taken modulo the period, xp sorted (fp with it), and one point
    added at each end from the other end, shifted by a period, so every x falls inside."""
    if np.ndim(period) != 0 or period == 0:
        raise ValueError(f"interp: period must be a nonzero number, not {period!r}")
    period = abs(period)
    x, xp = mod(x, period), mod(xp, period)
    fp, xp = sort_along(fp, xp, axis=0), sort(xp)
    return (x, concatenate([xp[-1:] - period, xp, xp[:1] + period]), concatenate([fp[-1:], fp, fp[:1]]))


@register_function("gradient")
def gradient(f, *varargs, axis=None, edge_order=1):
    """The derivative of samples ``f`` by central differences inside and one-sided ones at the edges
    (first or second order, ``edge_order``), along each axis in ``axis`` (all by default), as
    ``np.gradient``: ``varargs`` none (spacing 1), one spacing for every axis, or one per axis, each a
    number or the 1-D array of the sample coordinates along its axis (NumPy's second-order formulas for
    uneven spacing). Differentiable in ``f``; coordinates are constants.

    >>> gradient(np.array([1.0, 4.0, 9.0, 16.0]))
    array([3., 4., 6., 7.])
    """
    f = as_array(f)
    n = ndim_of(f)
    axes = tuple(range(n)) if axis is None else (axis,) if np.ndim(axis) == 0 else tuple(axis)
    axes = tuple(checked_axis(ax, n) for ax in axes)
    if len(varargs) == 0:
        spacings = [1.0] * len(axes)
    elif len(varargs) == 1:
        spacings = list(varargs) * len(axes)
    elif len(varargs) == len(axes):
        spacings = list(varargs)
    else:
        raise TypeError("gradient: give no spacing, one, or one per axis")
    if edge_order not in (1, 2):
        raise ValueError(f"gradient: edge_order must be 1 or 2, not {edge_order!r}")
    out = tuple(_gradient_along(f, ax, _spacing(h, shape_of(f)[ax], ax), edge_order) for ax, h in zip(axes, spacings))
    return out[0] if len(out) == 1 else out


def _spacing(h, length, axis):
    """A number (an even spacing), or the differences of 1-D coordinates of ``length`` (one number when they
    are all equal, as NumPy does)."""
    if isinstance(h, Traced):
        raise TypeError("gradient: the spacings and coordinates are constants in admodes (the derivative is "
                        "taken in f); pass plain numbers or arrays")
    if np.ndim(h) == 0:
        return float(h)
    coordinates = np.asarray(h)
    if coordinates.ndim != 1 or len(coordinates) != length:
        raise ValueError(f"gradient: the coordinates along axis {axis} must be 1-D of length {length}, "
                         f"got shape {coordinates.shape}")
    dx = np.diff(coordinates.astype(np.result_type(coordinates, np.float32)))
    return float(dx[0]) if np.all(dx == dx[0]) else dx


def _gradient_along(f, axis, h, edge_order):
    length = shape_of(f)[axis]
    if length < edge_order + 1:
        raise ValueError("gradient: an axis needs at least edge_order + 1 samples")
    moved = moveaxis(f, axis, 0)
    if np.ndim(h):
        return moveaxis(_uneven(moved, h.astype(np.result_type(f.dtype, np.float32), copy=False), edge_order),
                        0, axis)
    inside = (moved[2:] - moved[:-2]) / (2.0 * h)
    if edge_order == 1:
        first, last = (moved[1:2] - moved[:1]) / h, (moved[-1:] - moved[-2:-1]) / h
    else:
        first = (-1.5 * moved[:1] + 2.0 * moved[1:2] - 0.5 * moved[2:3]) / h
        last = (0.5 * moved[-3:-2] - 2.0 * moved[-2:-1] + 1.5 * moved[-1:]) / h
    return moveaxis(concatenate([first, inside, last], axis=0), 0, axis)


def _uneven(f, dx, edge_order):
    """np.gradient's formulas for samples f (along axis 0) at uneven spacings dx: second order inside, first
    or second order at the ends (each a weighted sum of three neighbours, the weights from dx alone)."""
    def weights(w):
        return np.reshape(w, (-1,) + (1,) * (ndim_of(f) - 1))
    d1, d2 = dx[:-1], dx[1:]
    inside = (weights(-d2 / (d1 * (d1 + d2))) * f[:-2] + weights((d2 - d1) / (d1 * d2)) * f[1:-1]
              + weights(d1 / (d2 * (d1 + d2))) * f[2:])
    if edge_order == 1:
        first, last = (f[1:2] - f[:1]) / dx[0], (f[-1:] - f[-2:-1]) / dx[-1]
    else:
        a, b = dx[0], dx[1]
        first = (-(2 * a + b) / (a * (a + b)) * f[:1] + (a + b) / (a * b) * f[1:2] - a / (b * (a + b)) * f[2:3])
        a, b = dx[-2], dx[-1]
        last = (b / (a * (a + b)) * f[-3:-2] - (a + b) / (a * b) * f[-2:-1] + (2 * b + a) / (b * (a + b)) * f[-1:])
    return concatenate([first, inside, last], axis=0)


@register_function("linspace")
def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """``num`` evenly spaced values from ``start`` to ``stop`` (excluded without ``endpoint``), as
    ``np.linspace``; the endpoints (numbers or arrays) are differentiable.

    >>> linspace(0.0, 1.0, 5)
    array([0.  , 0.25, 0.5 , 0.75, 1.  ])
    """
    if num < 0:
        raise ValueError(f"linspace: number of samples, {num}, must be non-negative")
    start, stop = as_array(start), as_array(stop)
    divisions = (num - 1 if endpoint else num) or 1
    shape = np.broadcast_shapes(shape_of(start), shape_of(stop))
    real = np.result_type(start.dtype, stop.dtype, np.float32)  # float32 endpoints stay float32, as in NumPy
    steps = np.arange(num, dtype=real).reshape((-1,) + (1,) * len(shape))
    delta = stop - start
    out = start + steps * (delta / divisions)
    if endpoint and num > 1:  # the last value is stop exactly, as in NumPy
        out = concatenate([out[:-1], reshape(stop + 0.0 * start, (1,) + shape)], axis=0)
    if dtype is not None:
        out = out.astype(dtype)
    if axis != 0:
        out = moveaxis(out, 0, axis)
    return (out, delta / divisions) if retstep else out


@register_function("select")
def select(condlist, choicelist, default=0):
    """The element of the first choice whose condition holds, else ``default``, as ``np.select``. The
    conditions (boolean arrays) carry no derivative; the choices and the default do where chosen.

    >>> select([np.array([True, False]), np.array([True, True])], [np.ones(2), np.full(2, 2.0)], -1.0)
    array([1., 2.])
    """
    if len(condlist) != len(choicelist):
        raise ValueError("select: list of cases must be same length as list of conditions")
    result = default
    for condition, choice in zip(reversed(condlist), reversed(choicelist)):
        result = where(condition, choice, result)
    return result


@register_function("partition")
def partition(a, kth, axis=-1, kind="introselect", order=None):
    """``a`` partitioned along ``axis`` around the ``kth`` element(s), as ``np.partition``: admodes returns
    the sorted array (`sort`), which meets the contract (the kth element in its sorted place, none larger
    before it, none smaller after); the order inside the two parts, which NumPy leaves unspecified, differs.

    >>> partition(np.array([3.0, 1.0, 2.0]), 1)
    array([1., 2., 3.])
    """
    if order is not None:
        raise NotImplementedError("partition: order= (structured arrays) is not differentiable")
    return sort(a, axis=axis)
