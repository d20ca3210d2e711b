"""Shape and indexing primitives: reshape, transpose, broadcasting, joining, slicing, indexing.

Every op here is linear in its array argument, so its JVP applies the op itself to the tangent and
its VJP applies the adjoint op (reshape back, transpose back, sum back over broadcast axes, ...).
"""

import numpy as np

from .core import Primitive, Traced, defbatch, defjoint, defrules, defvjp_into, register_function


def _sum_to_impl(x, shape):
    """Sum ``x`` over the axes that broadcasting added or stretched, giving an array of ``shape``."""
    x = np.asarray(x)
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1 and x.shape[lead + i] != 1)
    summed = np.sum(x, axis=axes, keepdims=True) if axes else x
    return summed.reshape(shape)


# ---- batch rules: the batch is axis 0 of a batched argument (see admodes/batching.py) -----------------
# Most ops here shift their axes past the batch axis. The indexing ops move the batch axis last instead:
# an index addresses the leading axes, and a trailing axis that it leaves whole stays last, wherever
# NumPy puts the axes of advanced indices.

def _shape_of(x):
    return tuple(x.shape) if hasattr(x, "shape") else np.shape(x)


def _as_shape(shape):
    return (int(shape),) if np.ndim(shape) == 0 else tuple(shape)


def _shift(axis, ndim):
    """``axis`` (an int or a sequence) of an array of ``ndim`` axes, for the array with a batch axis in front."""
    if np.ndim(axis) == 0:
        return int(axis) % ndim + 1
    return tuple(int(ax) % ndim + 1 for ax in axis)


def _with_batch(x, k):
    """An unbatched argument as a batched one: the same array for each of the ``k`` elements (a broadcast)."""
    shape = _shape_of(x)
    return broadcast_to(reshape(x, (1,) + shape), (k,) + shape)


def _batch_last(index):
    """``index`` for an array with one more axis, last, that it leaves whole (the batch axis)."""
    parts = index if isinstance(index, tuple) else (index,)
    return parts + ((slice(None),) if any(p is Ellipsis for p in parts) else (Ellipsis, slice(None)))


def _batch_size(args, batched):
    return next(_shape_of(a)[0] for a, b in zip(args, batched) if b)


# ---- broadcasting: broadcast_to and its adjoint sum_to ---------------------------------------------

broadcast_to = Primitive("broadcast_to", lambda array, shape: np.broadcast_to(array, shape),
                         argnames=("array",))
sum_to = Primitive("sum_to", _sum_to_impl, argnames=("x",), public=False,
                   doc="Sum an array down to `shape`, undoing broadcasting.")

defrules(broadcast_to,
         jvp=lambda t, ans, array, shape: broadcast_to(t, shape),
         vjp=lambda g, ans, array, shape: sum_to(g, array.shape))
defrules(sum_to,
         jvp=lambda t, ans, x, shape: sum_to(t, shape),
         vjp=lambda g, ans, x, shape: broadcast_to(g, x.shape))


def _broadcast_to_batch(args, batched, shape):
    (x,), shape = args, _as_shape(shape)
    s = _shape_of(x)
    padded = s[:1] + (1,) * (len(shape) - len(s) + 1) + s[1:]  # the batch in front of the broadcast axes
    return broadcast_to(reshape(x, padded) if padded != s else x, s[:1] + shape)


defbatch(broadcast_to, _broadcast_to_batch)
defbatch(sum_to, lambda args, batched, shape: moveaxis(
    sum_to(moveaxis(args[0], 0, -1), _as_shape(shape) + _shape_of(args[0])[:1]), -1, 0))  # the batch last: kept

# ---- reshaping -------------------------------------------------------------------------------------

reshape = Primitive("reshape", lambda a, shape: np.reshape(a, shape), argnames=("a",))
defrules(reshape,
         jvp=lambda t, ans, a, shape: reshape(t, ans.shape),
         vjp=lambda g, ans, a, shape: reshape(g, a.shape))
defbatch(reshape, lambda args, batched, shape: reshape(args[0], _shape_of(args[0])[:1] + _as_shape(shape)))

# ---- permuting axes --------------------------------------------------------------------------------

transpose = Primitive("transpose", lambda a, axes=None: np.transpose(a, axes))
swapaxes = Primitive("swapaxes", lambda a, axis1, axis2: np.swapaxes(a, axis1, axis2), argnames=("a",))


def _inverse_permutation(axes, ndim):
    return None if axes is None else tuple(np.argsort([ax % ndim for ax in axes]))


defrules(transpose,
         jvp=lambda t, ans, a, axes=None: transpose(t, axes),
         vjp=lambda g, ans, a, axes=None: transpose(g, _inverse_permutation(axes, a.ndim)))
defrules(swapaxes,
         jvp=lambda t, ans, a, axis1, axis2: swapaxes(t, axis1, axis2),
         vjp=lambda g, ans, a, axis1, axis2: swapaxes(g, axis1, axis2))


def _transpose_batch(args, batched, axes=None):
    (a,) = args
    nd = len(_shape_of(a)) - 1
    return transpose(a, (0,) + (tuple(range(nd, 0, -1)) if axes is None else _shift(axes, nd)))


defbatch(transpose, _transpose_batch)
defbatch(swapaxes, lambda args, batched, axis1, axis2: swapaxes(
    args[0], _shift(axis1, len(_shape_of(args[0])) - 1), _shift(axis2, len(_shape_of(args[0])) - 1)))

# ---- indexing: getitem and its adjoint, the scatter -------------------------------------------------
#
# ``index`` is a static parameter (ints, slices, None, Ellipsis, integer arrays, boolean masks, or a tuple
# of them), never an array argument: an index carries no derivative. Reading ``x[index]`` is linear in x;
# its adjoint adds the cotangent into zeros of x's shape, and a position picked twice (an integer array
# with repeats) receives both contributions, as ``np.add.at`` does: d/dx sum(x[[0, 0]]) = [2, 0, ...].


def _may_repeat(index):
    """True when ``index`` holds an integer array: the one kind of index that can pick a position twice."""
    for part in index if isinstance(index, tuple) else (index,):
        if isinstance(part, (list, np.ndarray)):
            try:
                if np.asarray(part).dtype.kind != "b":
                    return True
            except ValueError:  # a ragged list: let NumPy judge it, on the safe path
                return True
    return False


def _add_at(out, index, values):
    """``np.add.at(out, index, values)`` in place on a fresh ``out``: repeated positions accumulate.

    The values are broadcast to the indexed shape first: NumPy 2.4's ``ufunc.at`` reads garbage when it
    has to broadcast them itself under a multi-dimensional integer index (``np.add.at(np.zeros(3),
    [[2, 0], [0, 1]], [1.0, 10.0])`` gives nonsense instead of [11, 10, 1]).
    """
    np.add.at(out, index, np.broadcast_to(values, out[index].shape))


def _scatter_add_impl(values, index, shape):
    values = np.asarray(values)
    out = np.zeros(shape, dtype=values.dtype)
    if _may_repeat(index):
        _add_at(out, index, values)
    else:
        out[index] = values  # slices, ints and masks never pick a position twice
    return out


def _index_add_impl(x, values, index):
    values = np.asarray(values) if isinstance(values, (list, tuple)) else values  # (a list is no dtype)
    out = np.array(x, dtype=np.result_type(x, values))  # a fresh copy: x itself is never written to
    if _may_repeat(index):
        _add_at(out, index, values)
    else:
        out[index] += values
    return out


def _index_update_impl(x, values, index):
    values = np.asarray(values) if isinstance(values, (list, tuple)) else values
    out = np.array(x, dtype=np.result_type(x, values))
    out[index] = values
    return out


getitem = Primitive("getitem", lambda x, index: np.asarray(x)[index], argnames=("x",), public=False,
                    doc="``x[index]``: basic and advanced NumPy indexing; ``index`` is static.")
scatter_add = Primitive("scatter_add", _scatter_add_impl, argnames=("values",), public=False,
                        doc="Zeros of ``shape`` with ``values`` added at ``index`` (repeats accumulate): "
                            "the adjoint of getitem.")
_index_add = Primitive("index_add", _index_add_impl, argnames=("x", "values"), public=False,
                       doc="A copy of ``x`` with ``values`` added at ``index``; see `index_add`.")
_index_update = Primitive("index_update", _index_update_impl, argnames=("x", "values"), public=False,
                          doc="A copy of ``x`` with ``x[index] = values``; see `index_update`.")


def index_add(x, index, values):
    """A copy of ``x`` with ``values`` added at ``x[index]``: the functional ``x[index] += values``, with
    ``np.add.at`` semantics (a position picked twice receives both values).

    >>> index_add(np.zeros(3), [0, 0, 2], 1.0)
    array([2., 0., 1.])
    """
    return _index_add(x, values, index=index)


def index_update(x, index, values):
    """A copy of ``x`` with ``x[index] = values``: the functional form of item assignment.

    The result has the promoted dtype of ``x`` and ``values``. A position written twice keeps the write
    NumPy keeps (the last one, in practice), and only that write has a derivative.

    >>> index_update(np.zeros(3), slice(1, None), [4.0, 5.0])
    array([0., 4., 5.])
    """
    return _index_update(x, values, index=index)


defrules(getitem,
         jvp=lambda t, ans, x, index: getitem(t, index),
         vjp=lambda g, ans, x, index: scatter_add(g, index, x.shape))
defrules(scatter_add,
         jvp=lambda t, ans, values, index, shape: scatter_add(t, index, shape),
         vjp=lambda g, ans, values, index, shape: getitem(g, index))
defrules(_index_add,
         jvp=(lambda t, ans, x, values, index: t,
              lambda t, ans, x, values, index: scatter_add(t, index, ans.shape)),
         vjp=(lambda g, ans, x, values, index: g,
              lambda g, ans, x, values, index: getitem(g, index)))


def _getitem_vjp_into(buffer, g, index):
    """getitem's VJP added into ``buffer`` in place: ``scatter_add(g, index, x.shape)`` without the zeros."""
    if _may_repeat(index):
        _add_at(buffer, index, g)
    else:
        buffer[index] += g


defvjp_into(getitem, _getitem_vjp_into)
defbatch(getitem, lambda args, batched, index: moveaxis(getitem(moveaxis(args[0], 0, -1), _batch_last(index)), -1, 0))
defbatch(scatter_add, lambda args, batched, index, shape: moveaxis(scatter_add(  # values broadcast: batch last
    moveaxis(args[0], 0, -1), _batch_last(index), _as_shape(shape) + _shape_of(args[0])[:1]), -1, 0))


def _assignment_batch(prim):
    """Batch rule of index_add and index_update: the batch last in x (which an unbatched x gets by a broadcast,
    as the result is batched) and in the values (length 1 if they are unbatched, so they broadcast)."""
    def rule(args, batched, index):
        (x, values), k = args, _batch_size(args, batched)
        x = moveaxis(x, 0, -1) if batched[0] else moveaxis(_with_batch(x, k), 0, -1)
        values = moveaxis(values, 0, -1) if batched[1] else reshape(values, _shape_of(values) + (1,))
        return moveaxis(prim(x, values, index=_batch_last(index)), -1, 0)
    return rule


defbatch(_index_add, _assignment_batch(_index_add))


# Item assignment with a position written twice (``x[[0, 0]] = [a, b]``) keeps one write: NumPy's last
# one in practice, though NumPy does not promise an order. So the derivative wrt ``values`` is not
# guessed: `_surviving_writes` asks NumPy itself which write survived, by replaying the same assignment
# with the write numbers as values, and zeroes the tangent or cotangent of every overwritten write.

def _surviving_writes(v, index, shape):
    """``v`` (broadcastable to ``x[index]``) with the writes that a later write to the same place overwrote
    set to zero; ``v`` unchanged when no position is written twice."""
    if not _may_repeat(index):
        return v
    positions = np.arange(int(np.prod(shape))).reshape(shape)[index]  # the flat position of each write
    if np.unique(positions).size == positions.size:
        return v
    replay = np.full(shape, -1, dtype=np.intp)
    replay[index] = np.arange(positions.size).reshape(positions.shape)
    survived = np.zeros(positions.size, dtype=bool)
    survived[replay[replay >= 0]] = True
    return v * survived.reshape(positions.shape).astype(v.dtype)


defrules(_index_update,
         jvp=(lambda t, ans, x, values, index: _index_update(t, 0.0, index=index),
              lambda t, ans, x, values, index: scatter_add(_surviving_writes(t, index, ans.shape), index, ans.shape)),
         vjp=(lambda g, ans, x, values, index: _index_update(g, 0.0, index=index),
              lambda g, ans, x, values, index: _surviving_writes(getitem(g, index), index, x.shape)))
defbatch(_index_update, _assignment_batch(_index_update))

# ---- adding and removing axes, flattening, moving axes ----------------------------------------------

expand_dims = Primitive("expand_dims", lambda a, axis: np.expand_dims(a, axis), argnames=("a",),
                        doc="Insert length-1 axes at ``axis`` (int or tuple): "
                            "``expand_dims(np.ones(2), 0).shape == (1, 2)``.")
squeeze = Primitive("squeeze", lambda a, axis=None: np.squeeze(a, axis),
                    doc="Remove length-1 axes (all, or those in ``axis``): ``squeeze(np.ones((1, 2))).shape == (2,)``.")
ravel = Primitive("ravel", lambda a, order="C": np.ravel(a, order),
                  doc="The elements as a 1-D array, in row-major ('C') or column-major ('F') order: "
                      "``ravel(np.eye(2)).tolist() == [1.0, 0.0, 0.0, 1.0]``.")
moveaxis = Primitive("moveaxis", lambda a, source, destination: np.moveaxis(a, source, destination),
                     argnames=("a",), doc="Move axes to new positions: "
                                          "``moveaxis(np.ones((2, 3, 4)), 0, -1).shape == (3, 4, 2)``.")


def _layout_free(order):
    """'C' or 'F'; 'A' and 'K' follow the memory layout, which the derivative rules cannot see."""
    if order not in ("C", "F"):
        raise ValueError(f"admodes.ravel: order={order!r} follows the memory layout, which admodes does not "
                         "differentiate through; use order='C' or 'F'")
    return order


def _unravel(g, shape, order):
    """The adjoint of ravel: the flat cotangent back in ``shape`` (read in the order ravel wrote it)."""
    if _layout_free(order) == "C":
        return reshape(g, shape)
    return transpose(reshape(g, tuple(shape)[::-1]))


defrules(expand_dims,
         jvp=lambda t, ans, a, axis: expand_dims(t, axis),
         vjp=lambda g, ans, a, axis: reshape(g, a.shape))
defrules(squeeze,
         jvp=lambda t, ans, a, axis=None: squeeze(t, axis),
         vjp=lambda g, ans, a, axis=None: reshape(g, a.shape))
defrules(ravel,
         jvp=lambda t, ans, a, order="C": ravel(t, _layout_free(order)),
         vjp=lambda g, ans, a, order="C": _unravel(g, a.shape, order))
defrules(moveaxis,
         jvp=lambda t, ans, a, source, destination: moveaxis(t, source, destination),
         vjp=lambda g, ans, a, source, destination: moveaxis(g, destination, source))


def _expand_dims_batch(args, batched, axis):
    (a,) = args
    new = 1 if np.ndim(axis) == 0 else len(axis)
    return expand_dims(a, _shift(axis, len(_shape_of(a)) - 1 + new))


def _squeeze_batch(args, batched, axis=None):
    (a,) = args
    shape = _shape_of(a)[1:]
    if axis is None:  # the length-1 axes of the elements, never the batch axis
        return squeeze(a, tuple(i + 1 for i, n in enumerate(shape) if n == 1))
    return squeeze(a, _shift(axis, len(shape)))


def _ravel_batch(args, batched, order="C"):
    (a,) = args
    nd = len(_shape_of(a)) - 1
    if _layout_free(order) == "F":  # column-major: the row-major order of the reversed axes
        a = transpose(a, (0,) + tuple(range(nd, 0, -1)))
    return reshape(a, _shape_of(a)[:1] + (-1,))


defbatch(expand_dims, _expand_dims_batch)
defbatch(squeeze, _squeeze_batch)
defbatch(ravel, _ravel_batch)
defbatch(moveaxis, lambda args, batched, source, destination: moveaxis(
    args[0], _shift(source, len(_shape_of(args[0])) - 1), _shift(destination, len(_shape_of(args[0])) - 1)))

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


_concatenate = Primitive("concatenate", lambda *arrays, axis=0: np.concatenate(arrays, axis=axis),
                         variadic=True, public=False, doc="Join arrays along an existing axis; see `concatenate`.")
_stack = Primitive("stack", lambda *arrays, axis=0: np.stack(arrays, axis=axis),
                   variadic=True, public=False, doc="Join arrays along a new axis; see `stack`.")
defjoint(_concatenate, jvp=_concatenate_jvp, vjp=_concatenate_vjp, saves=("shapes",))  # the block sizes
defjoint(_stack, jvp=_stack_jvp, vjp=_stack_vjp, saves=())  # the cotangent's shape says it all


def _joined_batch(join, new_axis):
    """Batch rule of concatenate (``new_axis`` False) and stack: unbatched arrays are broadcast along the batch."""
    def rule(arrays, batched, axis=0):
        k = _batch_size(arrays, batched)
        full = [a if b else _with_batch(a, k) for a, b in zip(arrays, batched)]
        if axis is None:  # concatenate flattens first
            return join(*(reshape(a, (k, -1)) for a in full), axis=1)
        return join(*full, axis=_shift(axis, len(_shape_of(full[0])) - 1 + new_axis))
    return rule


defbatch(_concatenate, _joined_batch(_concatenate, False))
defbatch(_stack, _joined_batch(_stack, True))


def _sequence(arrays):
    """The arrays of a sequence argument; an array (plain or traced) is a sequence of its rows, as in NumPy."""
    if isinstance(arrays, (np.ndarray, Traced)):
        return [getitem(arrays, i) for i in range(arrays.shape[0])]
    return [_as_array(a) for a in arrays]  # lists become arrays: the rules read every block's shape


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


def _as_array(a):
    """``a`` itself when it is an array (plain or traced), else ``np.asarray(a)`` (a list, a number)."""
    return a if isinstance(a, (np.ndarray, Traced)) else np.asarray(a)


@register_function("hstack")
def hstack(tup):
    """Join arrays column-wise: along axis 1, or axis 0 for 1-D arrays (numbers count as 1-D), as ``np.hstack``.

    >>> hstack([np.zeros(2), np.ones(1)])
    array([0., 0., 1.])
    """
    arrays = [reshape(a, (1,)) if a.ndim == 0 else a for a in map(_as_array, tup)]
    return concatenate(arrays, axis=0 if arrays and arrays[0].ndim == 1 else 1)


@register_function("vstack")
def vstack(tup):
    """Join arrays row-wise, along axis 0, a 1-D array counting as one row, as ``np.vstack``.

    >>> vstack([np.zeros(2), np.ones(2)])
    array([[0., 0.],
           [1., 1.]])
    """
    arrays = [reshape(a, (1, 1)) if a.ndim == 0 else expand_dims(a, 0) if a.ndim == 1 else a
              for a in map(_as_array, tup)]
    return concatenate(arrays, axis=0)


# ---- splitting: slices of getitem ---------------------------------------------------------------------

@register_function("array_split")
def array_split(ary, indices_or_sections, axis=0):
    """Split an array into pieces along ``axis``: ``n`` pieces as equal as can be, or cut at the given
    indices, as ``np.array_split``. Each piece is a getitem of ``ary``.

    >>> [p.tolist() for p in array_split(np.arange(5.0), 2)]
    [[0.0, 1.0, 2.0], [3.0, 4.0]]
    """
    ary = _as_array(ary)
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
    ary = _as_array(ary)
    if np.ndim(indices_or_sections) == 0 and ary.shape[axis] % int(indices_or_sections):
        raise ValueError(f"admodes.split: an axis of length {ary.shape[axis]} does not split into "
                         f"{indices_or_sections} equal pieces; use array_split for unequal ones")
    return array_split(ary, indices_or_sections, axis)


# ---- repeating: tile and repeat; their adjoints sum the copies ---------------------------------------

tile = Primitive("tile", lambda A, reps: np.tile(A, reps), argnames=("A",),
                 doc="Repeat the whole array ``reps`` times (per axis): ``tile([1.0, 2.0], 2).tolist() == "
                     "[1.0, 2.0, 1.0, 2.0]``.")
repeat = Primitive("repeat", lambda a, repeats, axis=None: np.repeat(a, repeats, axis), argnames=("a",),
                   doc="Repeat each element ``repeats`` times (an int, or a count per element) along ``axis``: "
                       "``repeat([1.0, 2.0], 2).tolist() == [1.0, 1.0, 2.0, 2.0]``.")


def _untile(g, shape, reps):
    """Sum the copies of ``np.tile``: the output axis i of length r_i * n_i, read as (r_i, n_i), summed over r_i."""
    reps = (int(reps),) if np.ndim(reps) == 0 else tuple(reps)
    dims = max(len(shape), len(reps))
    padded, reps = (1,) * (dims - len(shape)) + tuple(shape), (1,) * (dims - len(reps)) + reps
    copies = tuple(size for r, n in zip(reps, padded) for size in (r, n))
    return reshape(sum_to(reshape(g, copies), tuple(size for n in padded for size in (1, n))), shape)


def _unrepeat(g, shape, repeats, axis):
    """Sum the copies of ``np.repeat`` back onto the element each one copies."""
    base = (int(np.prod(shape)),) if axis is None else tuple(shape)  # axis=None repeats the flattened array
    ax = 0 if axis is None else axis % len(shape)
    repeats = np.asarray(repeats)
    if repeats.size == 1:  # every element copied r times: read the axis as (n, r) and sum over r
        n, r = base[ax], int(repeats.reshape(()))
        copies = reshape(g, base[:ax] + (n, r) + base[ax + 1:])
        out = reshape(sum_to(copies, base[:ax] + (n, 1) + base[ax + 1:]), base)
    else:  # a count per element: add each copy onto its source
        out = scatter_add(g, (slice(None),) * ax + (np.repeat(np.arange(base[ax]), repeats),), base)
    return reshape(out, shape) if axis is None else out


defrules(tile,
         jvp=lambda t, ans, A, reps: tile(t, reps),
         vjp=lambda g, ans, A, reps: _untile(g, A.shape, reps))
defrules(repeat,
         jvp=lambda t, ans, a, repeats, axis=None: repeat(t, repeats, axis),
         vjp=lambda g, ans, a, repeats, axis=None: _unrepeat(g, a.shape, repeats, axis))


def _tile_batch(args, batched, reps):
    (a,), reps = args, _as_shape(reps)
    s = _shape_of(a)
    dims = max(len(s) - 1, len(reps))  # np.tile pads the shorter of shape and reps with leading ones
    a = reshape(a, s[:1] + (1,) * (dims - len(s) + 1) + s[1:]) if dims > len(s) - 1 else a
    return tile(a, (1,) * (dims - len(reps) + 1) + reps)


def _repeat_batch(args, batched, repeats, axis=None):
    (a,) = args
    if axis is None:  # the flattened elements
        return repeat(reshape(a, _shape_of(a)[:1] + (-1,)), repeats, 1)
    return repeat(a, repeats, _shift(axis, len(_shape_of(a)) - 1))


defbatch(tile, _tile_batch)
defbatch(repeat, _repeat_batch)

# ---- flipping and triangles: their own adjoints ---------------------------------------------------------

flip = Primitive("flip", lambda m, axis=None: np.flip(m, axis),
                 doc="Reverse the order along ``axis`` (all axes by default): "
                     "``flip([1.0, 2.0]).tolist() == [2.0, 1.0]``.")
triu = Primitive("triu", lambda m, k=0: np.triu(m, k),
                 doc="Zero the elements below diagonal ``k`` (of the last two axes): "
                     "``triu(np.ones((2, 2)))[1, 0] == 0``.")
tril = Primitive("tril", lambda m, k=0: np.tril(m, k),
                 doc="Zero the elements above diagonal ``k`` (of the last two axes): "
                     "``tril(np.ones((2, 2)))[0, 1] == 0``.")

defrules(flip, jvp=lambda t, ans, m, axis=None: flip(t, axis), vjp=lambda g, ans, m, axis=None: flip(g, axis))
# A 1-D m is broadcast to rows before masking; the engines sum the cotangent back over them.
defrules(triu, jvp=lambda t, ans, m, k=0: triu(t, k), vjp=lambda g, ans, m, k=0: triu(g, k))
defrules(tril, jvp=lambda t, ans, m, k=0: tril(t, k), vjp=lambda g, ans, m, k=0: tril(g, k))


def _flip_batch(args, batched, axis=None):
    (m,) = args
    nd = len(_shape_of(m)) - 1
    return flip(m, tuple(range(1, nd + 1)) if axis is None else _shift(axis, nd))


def _triangle_batch(prim):
    """Batch rule of triu and tril, which act on the last two axes; a 1-D m is first broadcast to rows."""
    def rule(args, batched, k=0):
        (m,) = args
        s = _shape_of(m)
        if len(s) == 1:
            raise ValueError(f"{prim.name}: the input must be at least 1-D, not 0-D")
        if len(s) == 2:
            m = broadcast_to(reshape(m, s[:1] + (1,) + s[1:]), s[:1] + s[1:] * 2)
        return prim(m, k)
    return rule


defbatch(flip, _flip_batch)
defbatch(triu, _triangle_batch(triu))
defbatch(tril, _triangle_batch(tril))

# ---- diagonals: diag builds (1-D -> 2-D) or extracts (2-D -> 1-D) -------------------------------------

diag = Primitive("diag", lambda v, k=0: np.diag(v, k),
                 doc="A 1-D array put on diagonal ``k`` of a square matrix, or a matrix's diagonal ``k`` read out: "
                     "``diag(np.eye(2) * 3).tolist() == [3.0, 3.0]``.")


def _diagonal_index(shape, k):
    """The (rows, columns) of diagonal ``k`` of a matrix of ``shape``."""
    return np.divmod(np.diag(np.arange(shape[0] * shape[1]).reshape(shape), k), shape[1])


defrules(diag,
         jvp=lambda t, ans, v, k=0: diag(t, k),
         vjp=lambda g, ans, v, k=0: diag(g, k) if v.ndim == 1 else scatter_add(g, _diagonal_index(v.shape, k), v.shape))


def _diag_batch(args, batched, k=0):
    (v,) = args
    s = _shape_of(v)
    if len(s) == 3:  # read diagonal k of each matrix
        return getitem(v, (slice(None),) + tuple(_diagonal_index(s[1:], k)))
    if len(s) != 2:
        raise ValueError(f"diag: the input must be 1-D or 2-D, not {len(s) - 1}-D")
    n = s[1] + abs(k)  # write each vector on diagonal k of an n x n matrix
    positions = np.arange(s[1])
    return scatter_add(v, (slice(None), positions + max(-k, 0), positions + max(k, 0)), (s[0], n, n))


defbatch(diag, _diag_batch)

# ---- take: a gather along an axis; the indices carry no derivative -----------------------------------

take = Primitive("take", lambda a, indices, axis=None, mode="raise": np.take(a, indices, axis, mode=mode),
                 nondiff=("indices",), doc="The elements at ``indices`` along ``axis`` (of the flattened array "
                                           "by default): ``take([5.0, 6.0], [1, 1]).tolist() == [6.0, 6.0]``.")


def _take_positions(indices, length, mode):
    """The positions ``np.take`` reads, with its ``mode`` for out-of-range indices applied."""
    indices = np.asarray(indices)
    if mode == "wrap":
        return indices % length
    if mode == "clip":
        return np.clip(indices, 0, length - 1)
    return indices


def _untake_impl(values, indices, shape, axis=None, mode="raise"):
    """Zeros of ``shape`` with each taken element's cotangent added back where it was read from (indices
    taken twice accumulate)."""
    if axis is None:  # a gather from the flattened array
        size = int(np.prod(shape))
        return _scatter_add_impl(values, _take_positions(indices, size, mode), (size,)).reshape(shape)
    ax = axis % len(shape)
    return _scatter_add_impl(values, (slice(None),) * ax + (_take_positions(indices, shape[ax], mode),), shape)


# The adjoint of take is a primitive with the indices as an argument (without a derivative), not a
# scatter_add with the indices as its static index: under vmap the indices may be batched.
untake = Primitive("untake", _untake_impl, argnames=("values", "indices"), nondiff=("indices",), public=False,
                   doc="The adjoint of `take`: zeros of ``shape`` with ``values`` added where take read them.")
defrules(take,
         jvp=(lambda t, ans, a, indices, axis=None, mode="raise": take(t, indices, axis, mode), None),
         vjp=(lambda g, ans, a, indices, axis=None, mode="raise": untake(g, indices, shape=a.shape, axis=axis,
                                                                           mode=mode), None))
defrules(untake,
         jvp=(lambda t, ans, values, indices, shape, axis=None, mode="raise": untake(t, indices, shape=shape,
                                                                                      axis=axis, mode=mode), None),
         vjp=(lambda g, ans, values, indices, shape, axis=None, mode="raise": take(g, indices, axis, mode), None))


def _untake_batch(args, batched, shape, axis=None, mode="raise"):
    (values, indices), k, shape = args, _batch_size(args, batched), _as_shape(shape)
    if batched[1]:  # a batch of index arrays: one scatter per element, the slow path (as take's)
        return _stack(*(untake(getitem(values, i) if batched[0] else values, getitem(indices, i), shape=shape,
                               axis=axis, mode=mode) for i in range(k)))
    if axis is None:  # into the flattened elements of each batch element
        size = int(np.prod(shape))
        return reshape(untake(values, indices, shape=(k, size), axis=1, mode=mode), (k,) + shape)
    return untake(values, indices, shape=(k,) + shape, axis=_shift(axis, len(shape)), mode=mode)


defbatch(untake, _untake_batch)


def _take_batch(args, batched, axis=None, mode="raise"):
    (a, indices), k = args, _batch_size(args, batched)
    if batched[1]:  # a batch of index arrays (vmap over them): one take per element, the slow path
        return _stack(*(take(getitem(a, i) if batched[0] else a, getitem(indices, i), axis, mode) for i in range(k)))
    if axis is None:  # from the flattened elements
        return take(reshape(a, (k, -1)), indices, 1, mode)
    return take(a, indices, _shift(axis, len(_shape_of(a)) - 1), mode)


defbatch(take, _take_batch)

# ---- sort: a permutation of the input ------------------------------------------------------------------
#
# Sorting permutes: the tangent is permuted like the values, the cotangent permuted back. The permutation
# is a stable argsort of the input's values, applied by two primitives that take those values as an
# argument without a derivative (`sort_along` and its adjoint `unsort_along`), so the rules run on any
# traced value, batched ones included (a rule calling np.argsort itself could not read a batch). Where
# values tie, sort is not differentiable (its one-sided derivatives differ); the rules then give the
# derivative along perturbations that keep tied values in their input order.

sort = Primitive("sort", lambda a, axis=-1, kind=None: np.sort(a, axis, kind),
                 doc="The values sorted along ``axis`` (flattened for None): "
                     "``sort([2.0, 1.0]).tolist() == [1.0, 2.0]``.")


def _along(order, axis):
    """The getitem index that picks ``order`` (an argsort result) along ``axis``, every other axis in place."""
    ndim, axis = order.ndim, axis % order.ndim
    return tuple(order if i == axis else np.arange(n).reshape([-1 if j == i else 1 for j in range(ndim)])
                 for i, n in enumerate(order.shape))


def _sort_along_impl(x, key, axis):
    return np.take_along_axis(np.asarray(x), np.argsort(key, axis=axis, kind="stable"), axis)


def _unsort_along_impl(x, key, axis):
    x = np.asarray(x)
    out = np.empty_like(x)
    out[_along(np.argsort(key, axis=axis, kind="stable"), axis)] = x  # a permutation: no position twice
    return out


sort_along = Primitive("sort_along", _sort_along_impl, argnames=("x", "key"), nondiff=("key",), public=False,
                       doc="``x`` permuted along ``axis`` (an int) as sorting ``key`` (x's shape) permutes it, "
                           "stably; ``key`` carries no derivative.")
unsort_along = Primitive("unsort_along", _unsort_along_impl, argnames=("x", "key"), nondiff=("key",),
                         public=False,
                         doc="The inverse permutation of `sort_along`, which is its adjoint.")
defrules(sort_along,
         jvp=(lambda t, ans, x, key, axis: sort_along(t, key, axis=axis), None),
         vjp=(lambda g, ans, x, key, axis: unsort_along(g, key, axis=axis), None))
defrules(unsort_along,
         jvp=(lambda t, ans, x, key, axis: unsort_along(t, key, axis=axis), None),
         vjp=(lambda g, ans, x, key, axis: sort_along(g, key, axis=axis), None))


def _permutation_batch(prim):
    """Batch rule of sort_along and unsort_along: the axis past the batch axis; an unbatched x or key is the
    same array for every batch element."""
    def rule(args, batched, axis):
        k = _batch_size(args, batched)
        x, key = (a if b else _with_batch(a, k) for a, b in zip(args, batched))
        return prim(x, key, axis=_shift(axis, len(_shape_of(x)) - 1))
    return rule


defbatch(sort_along, _permutation_batch(sort_along))
defbatch(unsort_along, _permutation_batch(unsort_along))


def _sort_tangent(t, a, axis):
    if axis is None:  # of the flattened array
        return sort_along(reshape(t, (-1,)), reshape(a, (-1,)), axis=0)
    return sort_along(t, a, axis=axis)


def _sort_cotangent(g, a, axis):
    if axis is None:
        return reshape(unsort_along(g, reshape(a, (-1,)), axis=0), a.shape)
    return unsort_along(g, a, axis=axis)


defrules(sort,
         jvp=lambda t, ans, a, axis=-1, kind=None: _sort_tangent(t, a, axis),
         vjp=lambda g, ans, a, axis=-1, kind=None: _sort_cotangent(g, a, axis))


def _sort_batch(args, batched, axis=-1, kind=None):
    (a,) = args
    if axis is None:  # the flattened elements
        return sort(reshape(a, _shape_of(a)[:1] + (-1,)), 1, kind)
    return sort(a, _shift(axis, len(_shape_of(a)) - 1), kind)


defbatch(sort, _sort_batch)
