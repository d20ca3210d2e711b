"""Shape and indexing primitives: reshape, transpose, broadcasting, joining, slicing, indexing.

Every op here is linear in its array argument, so its JVP applies the op itself to the tangent and
its VJP applies the adjoint op (reshape back, transpose back, sum back over broadcast axes, ...).
"""

import numpy as np

from .core import Primitive, defrules


def _sum_to_impl(x, shape):
    """Sum ``x`` over the axes that broadcasting added or stretched, giving an array of ``shape``."""
    x = np.asarray(x)
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1 and x.shape[lead + i] != 1)
    summed = np.sum(x, axis=axes, keepdims=True) if axes else x
    return summed.reshape(shape)


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

# ---- reshaping -------------------------------------------------------------------------------------

reshape = Primitive("reshape", lambda a, shape: np.reshape(a, shape), argnames=("a",))
defrules(reshape,
         jvp=lambda t, ans, a, shape: reshape(t, ans.shape),
         vjp=lambda g, ans, a, shape: reshape(g, a.shape))

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
    out = np.array(x, dtype=np.result_type(x, values))  # a fresh copy: x itself is never written to
    if _may_repeat(index):
        _add_at(out, index, values)
    else:
        out[index] += values
    return out


def _index_update_impl(x, values, index):
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
