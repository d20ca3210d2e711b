"""NumPy's array-rearranging functions, composed of the shape, indexing and joining primitives.

Every function here is linear in its array arguments and built from primitives that are (slices,
`take`, `concatenate`, `moveaxis`, `flip`, `reshape`, `broadcast_to`), except `kron` and `cross`, which
are products; so each differentiates through its parts, in every mode and under `vmap`, with no rule of
its own. Positions (`pad`'s index maps, `diagonal`'s) are computed with NumPy on shapes, never on values.

>>> roll(np.arange(4.0), 1)
array([3., 0., 1., 2.])
"""

import numpy as np

from .elementwise import where
from .indexing import take
from .joining import as_array, concatenate, split, stack, vstack
from .primitive import ndim_of, register_function, shape_of
from .shape import broadcast_to, flip, moveaxis, ravel, reshape, swapaxes, transpose

__all__ = []  # (every function below is reached through the registry: admodes.numpy)


def checked_axis(axis, ndim):
    """``axis`` as a non-negative int, NumPy's AxisError text when it is out of range.

    >>> checked_axis(-1, 3)
    2
    """
    if not -ndim <= axis < ndim:
        raise np.exceptions.AxisError(axis, ndim)
    return axis % ndim


def _along(a, axis, index):
    """``a[..., index, ...]`` with ``index`` at ``axis``."""
    return a[(slice(None),) * axis + (index,)]


# ---- rotations and flips ------------------------------------------------------------------------------

@register_function("roll")
def roll(a, shift, axis=None):
    """The elements of ``a`` shifted by ``shift`` along ``axis`` (of the flattened array by default), those
    past the end coming back at the start, as ``np.roll``.

    >>> roll(np.arange(4.0), -1)
    array([1., 2., 3., 0.])
    """
    a = as_array(a)
    if axis is None:
        return reshape(roll(ravel(a), shift, 0), shape_of(a))
    shifts, axes = np.broadcast_arrays(shift, axis)
    for s, ax in zip(shifts.ravel().tolist(), axes.ravel().tolist()):
        ax = checked_axis(ax, ndim_of(a))
        n = shape_of(a)[ax]
        s = s % n if n else 0
        if s:
            a = concatenate([_along(a, ax, slice(n - s, None)), _along(a, ax, slice(0, n - s))], axis=ax)
    return a


@register_function("rollaxis")
def rollaxis(a, axis, start=0):
    """Axis ``axis`` moved to just before position ``start``, as ``np.rollaxis`` (`moveaxis` is clearer).

    >>> rollaxis(np.zeros((2, 3, 4)), 2).shape
    (4, 2, 3)
    """
    n = ndim_of(a)
    axis = checked_axis(axis, n)
    if start < 0:
        start += n
    if not 0 <= start <= n:
        raise np.exceptions.AxisError(f"rollaxis: start {start} is out of bounds for an array of {n} dimensions")
    if axis < start:
        start -= 1
    return moveaxis(a, axis, start) if axis != start else a


@register_function("rot90")
def rot90(m, k=1, axes=(0, 1)):
    """``m`` rotated by 90 degrees ``k`` times in the plane of ``axes`` (from the first toward the second),
    as ``np.rot90``: flips and a transpose.

    >>> rot90(np.array([[1.0, 2.0], [3.0, 4.0]]))
    array([[2., 4.],
           [1., 3.]])
    """
    m = as_array(m)
    if len(axes) != 2:
        raise ValueError("rot90: len(axes) must be 2")
    a0, a1 = (checked_axis(ax, ndim_of(m)) for ax in axes)
    if a0 == a1:
        raise ValueError("rot90: axes must be different")
    k %= 4
    if k == 0:
        return m
    if k == 2:
        return flip(flip(m, a0), a1)
    order = list(range(ndim_of(m)))
    order[a0], order[a1] = order[a1], order[a0]
    return transpose(flip(m, a1), order) if k == 1 else flip(transpose(m, order), a1)


@register_function("flipud")
def flipud(m):
    """``m`` with its rows in reverse order (axis 0), as ``np.flipud``.

    >>> flipud(np.array([1.0, 2.0]))
    array([2., 1.])
    """
    return flip(m, 0)


@register_function("fliplr")
def fliplr(m):
    """``m`` with its columns in reverse order (axis 1; at least 2-D), as ``np.fliplr``.

    >>> fliplr(np.array([[1.0, 2.0]]))
    array([[2., 1.]])
    """
    if ndim_of(m) < 2:
        raise ValueError("fliplr: the input must be >= 2-d")
    return flip(m, 1)


@register_function("matrix_transpose")
def matrix_transpose(x):
    """The last two axes swapped (a stack of matrices, each transposed), as ``np.matrix_transpose``.

    >>> matrix_transpose(np.zeros((5, 2, 3))).shape
    (5, 3, 2)
    """
    if ndim_of(x) < 2:
        raise ValueError(f"matrix_transpose: the input must be at least 2-D, got shape {shape_of(x)}")
    return swapaxes(x, -1, -2)


@register_function("permute_dims")
def permute_dims(a, axes=None):
    """The axes of ``a`` in the order ``axes`` (reversed by default): the array API's name for `transpose`.

    >>> permute_dims(np.zeros((2, 3, 4)), (2, 0, 1)).shape
    (4, 2, 3)
    """
    return transpose(a, axes)


# ---- dimensions -------------------------------------------------------------------------------------

def _at_least(arys, n, place):
    out = []
    for a in map(as_array, arys):
        shape = shape_of(a)
        out.append(reshape(a, place(shape)) if len(shape) < n else a)
    return out[0] if len(out) == 1 else tuple(out)


@register_function("atleast_1d")
def atleast_1d(*arys):
    """Each array with at least one dimension (a number becomes shape (1,)), as ``np.atleast_1d``.

    >>> atleast_1d(2.0)
    array([2.])
    """
    return _at_least(arys, 1, lambda s: (1,))


@register_function("atleast_2d")
def atleast_2d(*arys):
    """Each array with at least two dimensions (a vector becomes one row), as ``np.atleast_2d``.

    >>> atleast_2d(np.zeros(3)).shape
    (1, 3)
    """
    return _at_least(arys, 2, lambda s: (1,) * (2 - len(s)) + s)


@register_function("atleast_3d")
def atleast_3d(*arys):
    """Each array with at least three dimensions, as ``np.atleast_3d``: a vector of n becomes (1, n, 1), a
    matrix (m, n) becomes (m, n, 1).

    >>> atleast_3d(np.zeros(3)).shape, atleast_3d(np.zeros((2, 3))).shape
    ((1, 3, 1), (2, 3, 1))
    """
    return _at_least(arys, 3, lambda s: (1, 1, 1) if not s else (1,) + s + (1,) if len(s) == 1 else s + (1,))


# ---- joining and splitting ----------------------------------------------------------------------------

@register_function("concat")
def concat(arrays, /, *, axis=0):
    """The array API's name for `concatenate`.

    >>> concat([np.zeros(1), np.ones(1)])
    array([0., 1.])
    """
    return concatenate(arrays, axis=axis)


register_function("row_stack")(vstack)


@register_function("column_stack")
def column_stack(tup):
    """1-D arrays as columns (and 2-D ones as they are) joined along axis 1, as ``np.column_stack``.

    >>> column_stack([np.zeros(2), np.ones(2)])
    array([[0., 1.],
           [0., 1.]])
    """
    arrays = [as_array(a) for a in tup]
    return concatenate([reshape(a, (-1, 1)) if ndim_of(a) < 2 else a for a in arrays], axis=1)


@register_function("dstack")
def dstack(tup):
    """Arrays joined along a third axis (depth), each made at least 3-D first, as ``np.dstack``.

    >>> dstack([np.zeros(2), np.ones(2)]).shape
    (1, 2, 2)
    """
    arrays = [atleast_3d(a) for a in tup]
    return concatenate(arrays, axis=2)


@register_function("hsplit")
def hsplit(ary, indices_or_sections):
    """`split` along axis 1 (axis 0 for a 1-D array), as ``np.hsplit``.

    >>> [p.shape for p in hsplit(np.zeros((2, 4)), 2)]
    [(2, 2), (2, 2)]
    """
    if ndim_of(ary) == 0:
        raise ValueError("hsplit only works on arrays of 1 or more dimensions")
    return split(ary, indices_or_sections, axis=1 if ndim_of(ary) > 1 else 0)


@register_function("vsplit")
def vsplit(ary, indices_or_sections):
    """`split` along axis 0 of an array of at least 2 dimensions, as ``np.vsplit``.

    >>> [p.shape for p in vsplit(np.zeros((4, 2)), 2)]
    [(2, 2), (2, 2)]
    """
    if ndim_of(ary) < 2:
        raise ValueError("vsplit only works on arrays of 2 or more dimensions")
    return split(ary, indices_or_sections, axis=0)


@register_function("dsplit")
def dsplit(ary, indices_or_sections):
    """`split` along axis 2 of an array of at least 3 dimensions, as ``np.dsplit``.

    >>> [p.shape for p in dsplit(np.zeros((1, 2, 4)), 2)]
    [(1, 2, 2), (1, 2, 2)]
    """
    if ndim_of(ary) < 3:
        raise ValueError("dsplit only works on arrays of 3 or more dimensions")
    return split(ary, indices_or_sections, axis=2)


@register_function("append")
def append(arr, values, axis=None):
    """``values`` appended to ``arr`` along ``axis`` (both flattened by default), as ``np.append``.

    >>> append(np.zeros(2), [1.0])
    array([0., 0., 1.])
    """
    arr, values = as_array(arr), as_array(values)
    if axis is None:
        return concatenate([ravel(arr), ravel(values)], axis=0)
    return concatenate([arr, values], axis=axis)


_NOTHING = object()  # diff's prepend/append when not given


@register_function("diff")
def diff(a, n=1, axis=-1, prepend=_NOTHING, append=_NOTHING):
    """The ``n``-th differences along ``axis``: ``a[1:] - a[:-1]``, ``n`` times, as ``np.diff``
    (``prepend``/``append`` join values before and after first; they are differentiable too).

    >>> diff(np.array([1.0, 4.0, 9.0]))
    array([3., 5.])
    """
    if n < 0:
        raise ValueError(f"diff: order must be non-negative but got {n}")
    a = as_array(a)
    axis = checked_axis(axis, ndim_of(a))
    parts = []
    for extra in (prepend, a, append):
        if extra is a:
            parts.append(a)
        elif extra is not _NOTHING:
            extra = as_array(extra)
            if ndim_of(extra) == 0:
                shape = list(shape_of(a))
                shape[axis] = 1
                extra = broadcast_to(extra, tuple(shape))
            parts.append(extra)
    if len(parts) > 1:
        a = concatenate(parts, axis=axis)
    for _ in range(n):
        a = _along(a, axis, slice(1, None)) - _along(a, axis, slice(None, -1))
    return a


# ---- gathering --------------------------------------------------------------------------------------

@register_function("diagonal")
def diagonal(a, offset=0, axis1=0, axis2=1):
    """The diagonal ``offset`` of the matrices in the plane ``(axis1, axis2)``, as a last axis, as
    ``np.diagonal`` (a copy, not a view).

    >>> diagonal(np.arange(9.0).reshape(3, 3), 1)
    array([1., 5.])
    """
    n = ndim_of(a)
    axis1, axis2 = checked_axis(axis1, n), checked_axis(axis2, n)
    if axis1 == axis2:
        raise ValueError("diagonal: axis1 and axis2 cannot be the same")
    b = moveaxis(a, (axis1, axis2), (-2, -1))
    rows, cols = shape_of(b)[-2:]
    length = max(0, min(rows + min(offset, 0), cols - max(offset, 0)))
    i = np.arange(length)
    return b[..., i + max(-offset, 0), i + max(offset, 0)]


@register_function("broadcast_arrays")
def broadcast_arrays(*args):
    """The arguments broadcast to one shape, as ``np.broadcast_arrays`` (a tuple; copies, not views).

    >>> [x.shape for x in broadcast_arrays(np.zeros((2, 1)), np.zeros(3))]
    [(2, 3), (2, 3)]
    """
    arrays = [as_array(a) for a in args]
    shape = np.broadcast_shapes(*(shape_of(a) for a in arrays))
    return tuple(a if shape_of(a) == shape else broadcast_to(a, shape) for a in arrays)


@register_function("take_along_axis")
def take_along_axis(arr, indices, axis=-1):
    """The elements of ``arr`` at ``indices`` along ``axis`` (``indices`` matching ``arr``'s other axes or
    broadcasting against them; ``axis=None`` for the flattened array), as ``np.take_along_axis``: what
    `argsort` and `argmax` with ``keepdims`` give is read back with it.

    >>> take_along_axis(np.array([[3.0, 1.0]]), np.array([[1, 0]]), axis=1)
    array([[1., 3.]])
    """
    indices = np.asarray(indices)
    if axis is None:
        return take(ravel(arr), indices.ravel())
    n = ndim_of(arr)
    if indices.ndim != n:
        raise ValueError(f"take_along_axis: indices and arr must have the same number of dimensions "
                         f"({indices.ndim} != {n})")
    axis = checked_axis(axis, n)
    index = tuple(indices if i == axis else np.arange(size).reshape((1,) * i + (-1,) + (1,) * (n - i - 1))
                  for i, size in enumerate(shape_of(arr)))
    return arr[index]


# ---- padding ----------------------------------------------------------------------------------------

_PAD_MODES = ("constant", "edge", "reflect", "symmetric", "wrap")


@register_function("pad")
def pad(array, pad_width, mode="constant", **kwargs):
    """``array`` padded by ``pad_width`` (NumPy's forms: n, (before, after), or a pair per axis), as
    ``np.pad`` with ``mode`` one of constant (``constant_values``, held constant), edge, reflect,
    symmetric, wrap. Each axis is one `take` of positions that ``np.pad`` computes on ``arange``: the
    derivative of a padded value goes to the element it copies.

    >>> pad(np.array([1.0, 2.0]), 1, mode="edge")
    array([1., 1., 2., 2.])
    """
    if mode not in _PAD_MODES:
        raise NotImplementedError(f"pad: mode {mode!r} is not differentiable by admodes; use one of {_PAD_MODES}")
    array = as_array(array)
    n = ndim_of(array)
    widths = np.broadcast_to(np.asarray(pad_width, dtype=int), (n, 2))
    if mode == "constant":
        constants = np.broadcast_to(np.asarray(kwargs.pop("constant_values", 0)), (n, 2))
    if kwargs:
        raise TypeError(f"pad: unsupported keyword arguments for mode {mode!r}: {sorted(kwargs)}")
    for axis, (before, after) in enumerate(widths.tolist()):
        if before == after == 0:
            continue
        length = shape_of(array)[axis]
        if mode != "constant":
            array = take(array, np.pad(np.arange(length), (before, after), mode=mode), axis=axis)
            continue
        positions = np.pad(np.arange(length), (before, after), mode="edge")
        inside = np.pad(np.ones(length, bool), (before, after)).reshape((-1,) + (1,) * (n - axis - 1))
        value = np.where(np.arange(before + length + after) < before, *constants[axis])
        value = value.reshape((-1,) + (1,) * (n - axis - 1)).astype(np.result_type(array, np.float32))
        array = where(inside, take(array, positions, axis=axis), value)
    return array


# ---- products ---------------------------------------------------------------------------------------

@register_function("kron")
def kron(a, b):
    """The Kronecker product: blocks ``a[i, j] * b``, as ``np.kron`` (the shorter shape padded with ones
    in front).

    >>> kron(np.array([1.0, 2.0]), np.array([1.0, 10.0]))
    array([ 1., 10.,  2., 20.])
    """
    a, b = as_array(a), as_array(b)
    n = max(ndim_of(a), ndim_of(b))
    sa = (1,) * (n - ndim_of(a)) + shape_of(a)
    sb = (1,) * (n - ndim_of(b)) + shape_of(b)
    interleaved_a = tuple(x for s in sa for x in (s, 1))
    interleaved_b = tuple(x for s in sb for x in (1, s))
    product = reshape(a, interleaved_a) * reshape(b, interleaved_b)
    return reshape(product, tuple(x * y for x, y in zip(sa, sb)))


@register_function("cross")
def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """The cross product of 3-vectors (or 2-vectors, whose cross product is the scalar z component) along
    the given axes, as ``np.cross``; the other axes broadcast.

    >>> cross(np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0]))
    array([0., 0., 1.])
    """
    if axis is not None:
        axisa = axisb = axisc = axis
    a = moveaxis(as_array(a), axisa, -1)
    b = moveaxis(as_array(b), axisb, -1)
    na, nb = shape_of(a)[-1], shape_of(b)[-1]
    if na not in (2, 3) or nb not in (2, 3):
        raise ValueError("cross: incompatible dimensions for cross product (dimension must be 2 or 3)")
    a0, a1 = a[..., 0], a[..., 1]
    b0, b1 = b[..., 0], b[..., 1]
    z = a0 * b1 - a1 * b0
    if na == nb == 2:
        return z
    a2 = a[..., 2] if na == 3 else 0.0
    b2 = b[..., 2] if nb == 3 else 0.0
    x, y = a1 * b2 - a2 * b1, a2 * b0 - a0 * b2
    x, y, z = broadcast_arrays(x, y, z)
    return moveaxis(stack([x, y, z], axis=-1), -1, axisc)
