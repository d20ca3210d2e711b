"""Joining and splitting: concatenate, stack, hstack, vstack, split, array_split.

concatenate and stack are variadic primitives with joint rules; the others are functions of them and of
getitem, so they need no rules of their own.

>>> vstack([np.zeros(2), np.ones(2)]).shape
(2, 2)
"""

import numpy as np

from .declare import defrules
from .indexing import getitem
from .primitive import Primitive, Traced, register_function, shape_of
from .shape import batch_size, expand_dims, reshape, shift_axis, transpose, with_batch

__all__ = ["concatenate", "stack", "hstack", "vstack", "array_split", "split"]


# ---- joining: concatenate and stack -------------------------------------------------------------------
#
# Variadic primitives: the arrays come as ``*args`` and the rules are joint. The JVP joins the tangents,
# with zeros standing in for absent ones (the one place a zero must be materialised: it fills a block of
# the output); the VJP cuts the cotangent back into blocks with getitem.


def _concatenate_jvp(tangents, ans, arrays, params):
    if all(t is None for t in tangents):
        return None
    filled = [np.zeros(a.shape, ans.dtype) if t is None else t for t, a in zip(tangents, arrays)]
    return _concatenate(*filled, **params)


def _concatenate_vjp(g, ans, arrays, params, needed):
    axis = params.get("axis", 0)
    flat = axis is None  # the arrays were flattened, then joined
    before = () if flat else (slice(None),) * (axis % g.ndim)
    cotangents, start = [], 0
    for a, need in zip(arrays, needed):
        stop = start + (a.size if flat else a.shape[axis])
        piece = getitem(g, before + (slice(start, stop),)) if need else None
        cotangents.append(reshape(piece, a.shape) if flat and need else piece)
        start = stop
    return cotangents


def _stack_jvp(tangents, ans, arrays, params):
    if all(t is None for t in tangents):
        return None
    return _stack(*[np.zeros(a.shape, ans.dtype) if t is None else t for t, a in zip(tangents, arrays)], **params)


def _stack_vjp(g, ans, arrays, params, needed):
    before = (slice(None),) * (params.get("axis", 0) % g.ndim)
    return [getitem(g, before + (i,)) if need else None for i, need in enumerate(needed)]


def _joined_batch(join, new_axis):
    """Batch rule of concatenate (``new_axis`` False) and stack: unbatched arrays are broadcast along the batch."""
    def rule(arrays, batched, axis=0):
        k = batch_size(arrays, batched)
        full = [a if b else with_batch(a, k) for a, b in zip(arrays, batched)]
        if axis is None:  # concatenate flattens first
            return join(*(reshape(a, (k, -1)) for a in full), axis=1)
        return join(*full, axis=shift_axis(axis, len(shape_of(full[0])) - 1 + new_axis))
    return rule


_concatenate = Primitive("concatenate", lambda *arrays, axis=0: np.concatenate(arrays, axis=axis),
                         variadic=True, public=False, doc="Join arrays along an existing axis; see `concatenate`.")
_stack = Primitive("stack", lambda *arrays, axis=0: np.stack(arrays, axis=axis),
                   variadic=True, public=False, doc="Join arrays along a new axis; see `stack`.")
defrules(_concatenate, jvp=_concatenate_jvp, vjp=_concatenate_vjp, joint=True, saves="args.shape",  # block sizes
         batch=_joined_batch(_concatenate, False))
defrules(_stack, jvp=_stack_jvp, vjp=_stack_vjp, joint=True, saves=(),  # the cotangent's shape says it all
         batch=_joined_batch(_stack, True))


def _sequence(arrays):
    """The arrays of a sequence argument; an array (plain or traced) is a sequence of its rows, as in NumPy."""
    if isinstance(arrays, (np.ndarray, Traced)):
        return [getitem(arrays, i) for i in range(arrays.shape[0])]
    return [as_array(a) for a in arrays]  # lists become arrays: the rules read every block's shape


@register_function("concatenate")
def concatenate(arrays, axis=0):
    """Join a sequence of arrays along an existing axis (``axis=None``: flatten them first), as
    ``np.concatenate``.

    >>> concatenate([np.zeros(2), np.ones(1)])
    array([0., 0., 1.])
    """
    return _concatenate(*_sequence(arrays), axis=axis)


@register_function("stack")
def stack(arrays, axis=0):
    """Join a sequence of arrays of one shape along a new axis, as ``np.stack``.

    >>> stack([np.zeros(2), np.ones(2)], axis=1)
    array([[0., 1.],
           [0., 1.]])
    """
    return _stack(*_sequence(arrays), axis=axis)


def as_array(a):
    """``a`` itself when it is an array (plain or traced), else ``np.asarray(a)`` (a list, a number).

    >>> as_array([1.0, 2.0])
    array([1., 2.])
    """
    return a if isinstance(a, (np.ndarray, Traced)) else np.asarray(a)


@register_function("hstack")
def hstack(tup):
    """Join arrays column-wise: along axis 1, or axis 0 for 1-D arrays (numbers count as 1-D), as ``np.hstack``.

    >>> hstack([np.zeros(2), np.ones(1)])
    array([0., 0., 1.])
    """
    arrays = [reshape(a, (1,)) if a.ndim == 0 else a for a in map(as_array, tup)]
    return concatenate(arrays, axis=0 if arrays and arrays[0].ndim == 1 else 1)


@register_function("vstack")
def vstack(tup):
    """Join arrays row-wise, along axis 0, a 1-D array counting as one row, as ``np.vstack``.

    >>> vstack([np.zeros(2), np.ones(2)])
    array([[0., 0.],
           [1., 1.]])
    """
    arrays = [reshape(a, (1, 1)) if a.ndim == 0 else expand_dims(a, 0) if a.ndim == 1 else a
              for a in map(as_array, tup)]
    return concatenate(arrays, axis=0)


# ---- splitting: slices of getitem ---------------------------------------------------------------------

@register_function("array_split")
def array_split(ary, indices_or_sections, axis=0):
    """Split an array into pieces along ``axis``: ``n`` pieces as equal as can be, or cut at the given
    indices, as ``np.array_split``. Each piece is a getitem of ``ary``.

    >>> [p.tolist() for p in array_split(np.arange(5.0), 2)]
    [[0.0, 1.0, 2.0], [3.0, 4.0]]
    """
    ary = as_array(ary)
    length = ary.shape[axis]
    if np.ndim(indices_or_sections) == 0:
        sections = int(indices_or_sections)
        if sections <= 0:
            raise ValueError(f"admodes.array_split: the number of sections must be positive, not {sections}")
        each, extra = divmod(length, sections)
        bounds = np.cumsum([0] + [each + 1] * extra + [each] * (sections - extra)).tolist()
    else:
        bounds = [0, *np.asarray(indices_or_sections, dtype=int).tolist(), length]
    before = (slice(None),) * (axis % ary.ndim)
    return [getitem(ary, before + (slice(start, stop),)) for start, stop in zip(bounds[:-1], bounds[1:])]


@register_function("split")
def split(ary, indices_or_sections, axis=0):
    """Split an array into equal pieces, or at the given indices, along ``axis``, as ``np.split``.

    >>> [p.tolist() for p in split(np.arange(4.0), 2)]
    [[0.0, 1.0], [2.0, 3.0]]
    """
    ary = as_array(ary)
    if np.ndim(indices_or_sections) == 0 and ary.shape[axis] % int(indices_or_sections):
        raise ValueError(f"admodes.split: an axis of length {ary.shape[axis]} does not split into "
                         f"{indices_or_sections} equal pieces; use array_split for unequal ones")
    return array_split(ary, indices_or_sections, axis)


# ---- r_ and c_: NumPy's index tricks for joining --------------------------------------------------------

class AxisJoiner:
    """``r_`` and ``c_``: ``r_[x, 0.0, 1:3]`` joins arrays, numbers and ranges (slices, ``a:b:nj`` a
    linspace) along ``axis``, as NumPy's, with the directive strings ('1', '0,2', '0,2,0') as the first
    entry. Traced arrays keep their derivatives; ranges are constants. Without a traced value, NumPy's own
    object answers. The matrix directives 'r' and 'c' (np.matrix) are not supported.

    >>> r_[np.array([1.0, 2.0]), 0.0, 5:7].tolist()
    [1.0, 2.0, 0.0, 5.0, 6.0]
    """

    def __init__(self, name, numpy_object, axis, ndmin, trans1d):
        self.name, self.numpy_object = name, numpy_object
        self.axis, self.ndmin, self.trans1d = axis, ndmin, trans1d

    def __repr__(self):
        return f"admodes.numpy.{self.name}"

    def __getitem__(self, key):
        items = key if isinstance(key, tuple) else (key,)
        if not any(isinstance(item, Traced) for item in items):
            return self.numpy_object[key]
        axis, ndmin, trans1d = self.axis, self.ndmin, self.trans1d
        objs, types = [], []
        for k, item in enumerate(items):
            if isinstance(item, str):
                if k != 0:
                    raise ValueError(f"{self.name}: special directives must be the first entry")
                axis, ndmin, trans1d = self._directive(item, axis, ndmin, trans1d)
                continue
            if isinstance(item, slice):  # a constant range: NumPy's, with the directive's ndmin and trans1d
                obj = self.numpy_object[f"0,{ndmin},{trans1d}", item]
            else:
                obj = _at_least(as_array(item), ndmin, trans1d)
            objs.append(obj)
            types.append(item if type(item) in (int, float, bool) else obj.dtype)  # numbers are weak, as in NumPy
        dtype = np.result_type(*types)
        return concatenate([o.astype(dtype) if isinstance(o, np.ndarray) else o for o in objs], axis=axis)

    def _directive(self, text, axis, ndmin, trans1d):
        if text in ("r", "c"):
            raise NotImplementedError(f"{self.name}: the matrix directives 'r' and 'c' (np.matrix) are not "
                                      "supported on traced values")
        try:
            numbers = [int(part) for part in text.split(",")]
        except ValueError:
            raise ValueError(f"{self.name}: unknown special directive {text!r}") from None
        if not 1 <= len(numbers) <= 3:
            raise ValueError(f"{self.name}: unknown special directive {text!r}")
        return tuple(numbers) + (axis, ndmin, trans1d)[len(numbers):]


def _at_least(a, ndmin, trans1d):
    """``a`` with ones put in front of its shape up to ``ndmin`` axes, its own axes then moved to start at
    ``trans1d`` (NumPy's ``r_``/``c_`` rule; -1 leaves them last)."""
    ndim = len(shape_of(a))
    if ndim >= ndmin:
        return a
    out = reshape(a, (1,) * (ndmin - ndim) + shape_of(a))
    if trans1d == -1:
        return out
    k2, k1 = ndmin - ndim, trans1d if trans1d >= 0 else trans1d + ndmin - ndim + 1
    axes = list(range(ndmin))
    return transpose(out, axes[:k1] + axes[k2:] + axes[k1:k2])


r_ = register_function("r_")(AxisJoiner("r_", np.r_, axis=0, ndmin=1, trans1d=-1))
c_ = register_function("c_")(AxisJoiner("c_", np.c_, axis=-1, ndmin=2, trans1d=0))
