"""Indexing primitives: getitem and its adjoint the scatter, the functional item assignments (index_add,
index_update), repeat, diag, take and sort.

Each is linear in its array argument (sort: in the values, for a fixed permutation), and its adjoint adds
each cotangent element back where it was read from. An index is a static parameter, never an array
argument: an index carries no derivative.

>>> getitem(np.arange(4.0), [0, 0, 3])
array([0., 0., 3.])
"""

import numpy as np

from .declare import Fast, deflinear, defrules
from .elementwise import where as elementwise_where
from .primitive import FUNCTIONS, Primitive, op, shape_of
from .shape import as_shape, batch_size, moveaxis, reshape, shift_axis, sum_to, with_batch

__all__ = ["getitem", "scatter_add", "index_add", "index_update", "repeat", "diag", "take", "untake", "sort",
           "sort_along", "unsort_along"]


def _batch_last(index):
    """``index`` for an array with one more axis, last, that it leaves whole (the batch axis).

    The indexing ops move the batch axis last: an index addresses the leading axes, and a trailing axis
    that it leaves whole stays last, wherever NumPy puts the axes of advanced indices."""
    parts = index if isinstance(index, tuple) else (index,)
    return parts + ((slice(None),) if any(p is Ellipsis for p in parts) else (Ellipsis, slice(None)))


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


def _getitem_vjp_into(buffer, g, index):
    """getitem's VJP added into ``buffer`` in place: ``scatter_add(g, index, x.shape)`` without the zeros."""
    if _may_repeat(index):
        _add_at(buffer, index, g)
    else:
        buffer[index] += g


def _getitem_batch(args, batched, index):
    return moveaxis(getitem(moveaxis(args[0], 0, -1), _batch_last(index)), -1, 0)


def _scatter_add_batch(args, batched, index, shape):  # the values broadcast against the batch, moved last
    return moveaxis(scatter_add(moveaxis(args[0], 0, -1), _batch_last(index), as_shape(shape) + shape_of(args[0])[:1]),
                    -1, 0)


deflinear(getitem, transpose=lambda g, ans, x, index: scatter_add(g, index, x.shape), saves="x.shape",
          batch=_getitem_batch, fast=Fast(vjp_into=_getitem_vjp_into))
deflinear(scatter_add, transpose=lambda g, ans, values, index, shape: getitem(g, index), saves=(),
          batch=_scatter_add_batch)


def _assignment_batch(prim):
    """Batch rule of index_add and index_update: the batch last in x (which an unbatched x gets by a broadcast,
    as the result is batched) and in the values (length 1 if they are unbatched, so they broadcast)."""
    def rule(args, batched, index):
        (x, values), k = args, batch_size(args, batched)
        x = moveaxis(x, 0, -1) if batched[0] else moveaxis(with_batch(x, k), 0, -1)
        values = moveaxis(values, 0, -1) if batched[1] else reshape(values, shape_of(values) + (1,))
        return moveaxis(prim(x, values, index=_batch_last(index)), -1, 0)
    return rule


# index_add is linear in x and values together: x plus a scatter of the values.
defrules(_index_add,
         jvp=(lambda t, ans, x, values, index: t,
              lambda t, ans, x, values, index: scatter_add(t, index, ans.shape)),
         vjp=(lambda g, ans, x, values, index: g,
              lambda g, ans, x, values, index: getitem(g, index)),
         saves=(), batch=_assignment_batch(_index_add))


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
              lambda g, ans, x, values, index: _surviving_writes(getitem(g, index), index, x.shape)),
         saves={"x": (), "values": "x.shape"}, batch=_assignment_batch(_index_update))

# ---- repeat: each element copied; its adjoint adds the copies back onto their source ---------------------

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


def _repeat_batch(args, batched, repeats, axis=None):
    (a,) = args
    if axis is None:  # the flattened elements
        return repeat(reshape(a, shape_of(a)[:1] + (-1,)), repeats, 1)
    return repeat(a, repeats, shift_axis(axis, len(shape_of(a)) - 1))


repeat = Primitive("repeat", lambda a, repeats, axis=None: np.repeat(a, repeats, axis), argnames=("a",),
                   doc="Repeat each element ``repeats`` times (an int, or a count per element) along ``axis``: "
                       "``repeat([1.0, 2.0], 2).tolist() == [1.0, 1.0, 2.0, 2.0]``.")
deflinear(repeat, transpose=lambda g, ans, a, repeats, axis=None: _unrepeat(g, a.shape, repeats, axis),
          saves="a.shape", batch=_repeat_batch)


# ---- diagonals: diag builds (1-D -> 2-D) or extracts (2-D -> 1-D) -------------------------------------

diag = Primitive("diag", lambda v, k=0: np.diag(v, k),
                 doc="A 1-D array put on diagonal ``k`` of a square matrix, or a matrix's diagonal ``k`` read out: "
                     "``diag(np.eye(2) * 3).tolist() == [3.0, 3.0]``.")


def _diagonal_index(shape, k):
    """The (rows, columns) of diagonal ``k`` of a matrix of ``shape``."""
    return np.divmod(np.diag(np.arange(shape[0] * shape[1]).reshape(shape), k), shape[1])


def _diag_batch(args, batched, k=0):
    (v,) = args
    s = shape_of(v)
    if len(s) == 3:  # read diagonal k of each matrix
        return getitem(v, (slice(None),) + tuple(_diagonal_index(s[1:], k)))
    if len(s) != 2:
        raise ValueError(f"diag: the input must be 1-D or 2-D, not {len(s) - 1}-D")
    n = s[1] + abs(k)  # write each vector on diagonal k of an n x n matrix
    positions = np.arange(s[1])
    return scatter_add(v, (slice(None), positions + max(-k, 0), positions + max(k, 0)), (s[0], n, n))


deflinear(diag, transpose=lambda g, ans, v, k=0: diag(g, k) if v.ndim == 1 else scatter_add(
    g, _diagonal_index(v.shape, k), v.shape), saves="v.shape", batch=_diag_batch)

# ---- where: NumPy's one name for two functions --------------------------------------------------------

_MISSING = object()


def where(condition, x=_MISSING, y=_MISSING):
    """``x`` where ``condition`` holds, else ``y`` (the primitive `elementwise.where`: the condition carries no
    derivative); or, given ``condition`` alone, the indices where it is nonzero, as ``np.nonzero`` (integer
    arrays computed on the values, no derivative), as ``np.where`` does.

    >>> where(np.array([0.0, 2.0, 3.0]))
    (array([1, 2]),)
    >>> where(np.array([True, False]), 1.0, np.array([5.0, 6.0]))
    array([1., 6.])
    """
    if x is _MISSING and y is _MISSING:
        from ..arraylike import value  # (the engines import the op library: imported here, at call time)
        return np.nonzero(value(condition))
    if x is _MISSING or y is _MISSING:
        raise ValueError("where: either both or neither of x and y should be given")
    return elementwise_where(condition, x, y)


FUNCTIONS["where"] = where  # (NumPy's where, both forms, replaces the primitive's three-argument face)

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


def _untake_batch(args, batched, shape, axis=None, mode="raise"):
    (values, indices), k, shape = args, batch_size(args, batched), as_shape(shape)
    if batched[1]:  # a batch of index arrays: one scatter per element, the slow path (as take's)
        return op("stack")([untake(getitem(values, i) if batched[0] else values, getitem(indices, i), shape=shape,
                                   axis=axis, mode=mode) for i in range(k)])
    if axis is None:  # into the flattened elements of each batch element
        size = int(np.prod(shape))
        return reshape(untake(values, indices, shape=(k, size), axis=1, mode=mode), (k,) + shape)
    return untake(values, indices, shape=(k,) + shape, axis=shift_axis(axis, len(shape)), mode=mode)


# The adjoint of take is a primitive with the indices as an argument (without a derivative), not a
# scatter_add with the indices as its static index: under vmap the indices may be batched.
untake = Primitive("untake", _untake_impl, argnames=("values", "indices"), nondiff=("indices",), public=False,
                   doc="The adjoint of `take`: zeros of ``shape`` with ``values`` added where take read them.")


def _take_batch(args, batched, axis=None, mode="raise"):
    (a, indices), k = args, batch_size(args, batched)
    if batched[1]:  # a batch of index arrays (vmap over them): one take per element, the slow path
        return op("stack")([take(getitem(a, i) if batched[0] else a, getitem(indices, i), axis, mode)
                            for i in range(k)])
    if axis is None:  # from the flattened elements
        return take(reshape(a, (k, -1)), indices, 1, mode)
    return take(a, indices, shift_axis(axis, len(shape_of(a)) - 1), mode)


deflinear(take, transpose=lambda g, ans, a, indices, axis=None, mode="raise": untake(g, indices, shape=a.shape,
                                                                                      axis=axis, mode=mode),
          saves=("a.shape", "indices"), batch=_take_batch)
deflinear(untake, transpose=lambda g, ans, values, indices, shape, axis=None, mode="raise": take(
    g, indices, axis, mode), saves="indices", batch=_untake_batch)

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
def _permutation_batch(prim):
    """Batch rule of sort_along and unsort_along: the axis past the batch axis; an unbatched x or key is the
    same array for every batch element."""
    def rule(args, batched, axis):
        k = batch_size(args, batched)
        x, key = (a if b else with_batch(a, k) for a, b in zip(args, batched))
        return prim(x, key, axis=shift_axis(axis, len(shape_of(x)) - 1))
    return rule


deflinear(sort_along, transpose=lambda g, ans, x, key, axis: unsort_along(g, key, axis=axis), saves="key",
          batch=_permutation_batch(sort_along))
deflinear(unsort_along, transpose=lambda g, ans, x, key, axis: sort_along(g, key, axis=axis), saves="key",
          batch=_permutation_batch(unsort_along))


def _sort_tangent(t, a, axis):
    if axis is None:  # of the flattened array
        return sort_along(reshape(t, (-1,)), reshape(a, (-1,)), axis=0)
    return sort_along(t, a, axis=axis)


def _sort_cotangent(g, a, axis):
    if axis is None:
        return reshape(unsort_along(g, reshape(a, (-1,)), axis=0), a.shape)
    return unsort_along(g, a, axis=axis)


def _sort_batch(args, batched, axis=-1, kind=None):
    (a,) = args
    if axis is None:  # the flattened elements
        return sort(reshape(a, shape_of(a)[:1] + (-1,)), 1, kind)
    return sort(a, shift_axis(axis, len(shape_of(a)) - 1), kind)


defrules(sort,
         jvp=lambda t, ans, a, axis=-1, kind=None: _sort_tangent(t, a, axis),
         vjp=lambda g, ans, a, axis=-1, kind=None: _sort_cotangent(g, a, axis),
         saves="a", batch=_sort_batch)
