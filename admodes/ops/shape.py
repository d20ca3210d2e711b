"""Shape primitives: broadcasting, reshaping, permuting axes, adding and removing axes, repeating,
flipping and triangles.

Every op here is linear in its array argument, so each is declared with `deflinear`: its JVP applies the
op itself to the tangent, and its VJP is the adjoint op given (reshape back, transpose back, sum back over
broadcast axes, ...). Indexing is in `indexing`, joining and splitting in `joining`.

>>> transpose(np.arange(6.0).reshape(2, 3)).shape
(3, 2)
"""

import numpy as np

from . import dependencies
from .declare import deflinear, defrules
from .primitive import Primitive, shape_of

__all__ = [
    "broadcast_to", "sum_to", "reshape", "transpose", "swapaxes", "expand_dims", "squeeze", "ravel", "moveaxis",
    "tile", "flip", "triu", "tril", "as_shape", "shift_axis", "with_batch", "batch_size",
]


def _sum_to_impl(x, shape):
    """Sum ``x`` over the axes that broadcasting added or stretched, giving an array of ``shape``."""
    x = np.asarray(x)
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1 and x.shape[lead + i] != 1)
    summed = np.sum(x, axis=axes, keepdims=True) if axes else x
    return summed.reshape(shape)


# ---- batch rules: the batch is axis 0 of a batched argument (see admodes/batching.py) -----------------
# Most ops shift their axes past the batch axis. (These helpers serve the batch rules of `indexing`,
# `joining` and `reductions` too.)

def as_shape(shape):
    """A shape parameter (an int or a sequence) as a tuple.

    >>> as_shape(3), as_shape([2, 1])
    ((3,), (2, 1))
    """
    return (int(shape),) if np.ndim(shape) == 0 else tuple(shape)


def shift_axis(axis, ndim):
    """``axis`` (an int or a sequence) of an array of ``ndim`` axes, for the array with a batch axis in front.

    >>> shift_axis(-1, 2), shift_axis((0, 1), 2)
    (2, (1, 2))
    """
    if np.ndim(axis) == 0:
        return int(axis) % ndim + 1
    return tuple(int(ax) % ndim + 1 for ax in axis)


def with_batch(x, k):
    """An unbatched argument as a batched one: the same array for each of the ``k`` elements (a broadcast).

    >>> with_batch(np.ones(2), 3).shape
    (3, 2)
    """
    shape = shape_of(x)
    return broadcast_to(reshape(x, (1,) + shape), (k,) + shape)


def batch_size(args, batched):
    """The length of the batch axis: axis 0 of the first batched argument.

    >>> batch_size((np.ones(2), np.ones((5, 2))), (False, True))
    5
    """
    return next(shape_of(a)[0] for a, b in zip(args, batched) if b)


# ---- broadcasting: broadcast_to and its adjoint sum_to ---------------------------------------------

def _broadcast_to_batch(args, batched, shape):
    (x,), shape = args, as_shape(shape)
    s = shape_of(x)
    padded = s[:1] + (1,) * (len(shape) - len(s) + 1) + s[1:]  # the batch in front of the broadcast axes
    return broadcast_to(reshape(x, padded) if padded != s else x, s[:1] + shape)


def _sum_to_batch(args, batched, shape):  # the batch moved last is kept: no axis of ``shape`` reaches it
    return moveaxis(sum_to(moveaxis(args[0], 0, -1), as_shape(shape) + shape_of(args[0])[:1]), -1, 0)


broadcast_to = Primitive("broadcast_to", lambda array, shape: np.broadcast_to(array, shape),
                         argnames=("array",))
sum_to = Primitive("sum_to", _sum_to_impl, argnames=("x",), public=False,
                   doc="Sum an array down to `shape`, undoing broadcasting.")
deflinear(broadcast_to, transpose=lambda g, ans, array, shape: sum_to(g, array.shape), saves="array.shape",
          batch=_broadcast_to_batch)
deflinear(sum_to, transpose=lambda g, ans, x, shape: broadcast_to(g, x.shape), saves="x.shape",
          batch=_sum_to_batch, deps=dependencies.sum_to)

# ---- reshaping -------------------------------------------------------------------------------------

reshape = Primitive("reshape", lambda a, shape: np.reshape(a, shape), argnames=("a",))
deflinear(reshape, transpose=lambda g, ans, a, shape: reshape(g, a.shape), saves="a.shape",
          batch=lambda args, batched, shape: reshape(args[0], shape_of(args[0])[:1] + as_shape(shape)))

# ---- permuting axes --------------------------------------------------------------------------------


def _inverse_permutation(axes, ndim):
    return None if axes is None else tuple(np.argsort([ax % ndim for ax in axes]))


def _transpose_batch(args, batched, axes=None):
    (a,) = args
    nd = len(shape_of(a)) - 1
    return transpose(a, (0,) + (tuple(range(nd, 0, -1)) if axes is None else shift_axis(axes, nd)))


def _swapaxes_batch(args, batched, axis1, axis2):
    nd = len(shape_of(args[0])) - 1
    return swapaxes(args[0], shift_axis(axis1, nd), shift_axis(axis2, nd))


transpose = Primitive("transpose", lambda a, axes=None: np.transpose(a, axes))
swapaxes = Primitive("swapaxes", lambda a, axis1, axis2: np.swapaxes(a, axis1, axis2), argnames=("a",))
deflinear(transpose, transpose=lambda g, ans, a, axes=None: transpose(g, _inverse_permutation(axes, a.ndim)),
          saves="a.shape", batch=_transpose_batch)
deflinear(swapaxes, transpose=lambda g, ans, a, axis1, axis2: swapaxes(g, axis1, axis2), saves=(),
          batch=_swapaxes_batch)

# ---- adding and removing axes, flattening, moving axes ----------------------------------------------


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


def _expand_dims_batch(args, batched, axis):
    (a,) = args
    new = 1 if np.ndim(axis) == 0 else len(axis)
    return expand_dims(a, shift_axis(axis, len(shape_of(a)) - 1 + new))


def _squeeze_batch(args, batched, axis=None):
    (a,) = args
    shape = shape_of(a)[1:]
    if axis is None:  # the length-1 axes of the elements, never the batch axis
        return squeeze(a, tuple(i + 1 for i, n in enumerate(shape) if n == 1))
    return squeeze(a, shift_axis(axis, len(shape)))


def _ravel_batch(args, batched, order="C"):
    (a,) = args
    nd = len(shape_of(a)) - 1
    if _layout_free(order) == "F":  # column-major: the row-major order of the reversed axes
        a = transpose(a, (0,) + tuple(range(nd, 0, -1)))
    return reshape(a, shape_of(a)[:1] + (-1,))


def _moveaxis_batch(args, batched, source, destination):
    nd = len(shape_of(args[0])) - 1
    return moveaxis(args[0], shift_axis(source, nd), shift_axis(destination, nd))


expand_dims = Primitive("expand_dims", lambda a, axis: np.expand_dims(a, axis), argnames=("a",),
                        doc="Insert length-1 axes at ``axis`` (int or tuple): "
                            "``expand_dims(np.ones(2), 0).shape == (1, 2)``.")
squeeze = Primitive("squeeze", lambda a, axis=None: np.squeeze(a, axis),
                    doc="Remove length-1 axes (all, or those in ``axis``): ``squeeze(np.ones((1, 2))).shape == (2,)``.")
ravel = Primitive("ravel", lambda a, order="C": np.ravel(a, order),
                  doc="The elements as a 1-D array, in row-major ('C') or column-major ('F') order: "
                      "``ravel(np.eye(2)).tolist() == [1.0, 0.0, 0.0, 1.0]``. ('A' and 'K', which follow the "
                      "memory layout, have no derivative rules.)")
moveaxis = Primitive("moveaxis", lambda a, source, destination: np.moveaxis(a, source, destination),
                     argnames=("a",), doc="Move axes to new positions: "
                                          "``moveaxis(np.ones((2, 3, 4)), 0, -1).shape == (3, 4, 2)``.")
deflinear(expand_dims, transpose=lambda g, ans, a, axis: reshape(g, a.shape), saves="a.shape",
          batch=_expand_dims_batch)
deflinear(squeeze, transpose=lambda g, ans, a, axis=None: reshape(g, a.shape), saves="a.shape",
          batch=_squeeze_batch)
# ravel is linear too, but its JVP must refuse 'A' and 'K' (the tangent's layout is not x's): stated rules.
defrules(ravel, jvp=lambda t, ans, a, order="C": ravel(t, _layout_free(order)),
         vjp=lambda g, ans, a, order="C": _unravel(g, a.shape, order), saves="a.shape", batch=_ravel_batch,
         jet="linear", deps="moved")
deflinear(moveaxis, transpose=lambda g, ans, a, source, destination: moveaxis(g, destination, source), saves=(),
          batch=_moveaxis_batch)

# ---- tile: its adjoint sums the copies (repeat, whose adjoint scatters, is in `indexing`) -------------


def _untile(g, shape, reps):
    """Sum the copies of ``np.tile``: the output axis i of length r_i * n_i, read as (r_i, n_i), summed over r_i."""
    reps = (int(reps),) if np.ndim(reps) == 0 else tuple(reps)
    dims = max(len(shape), len(reps))
    padded, reps = (1,) * (dims - len(shape)) + tuple(shape), (1,) * (dims - len(reps)) + reps
    copies = tuple(size for r, n in zip(reps, padded) for size in (r, n))
    return reshape(sum_to(reshape(g, copies), tuple(size for n in padded for size in (1, n))), shape)


def _tile_batch(args, batched, reps):
    (a,), reps = args, as_shape(reps)
    s = shape_of(a)
    dims = max(len(s) - 1, len(reps))  # np.tile pads the shorter of shape and reps with leading ones
    a = reshape(a, s[:1] + (1,) * (dims - len(s) + 1) + s[1:]) if dims > len(s) - 1 else a
    return tile(a, (1,) * (dims - len(reps) + 1) + reps)


tile = Primitive("tile", lambda A, reps: np.tile(A, reps), argnames=("A",),
                 doc="Repeat the whole array ``reps`` times (per axis): ``tile([1.0, 2.0], 2).tolist() == "
                     "[1.0, 2.0, 1.0, 2.0]``.")
deflinear(tile, transpose=lambda g, ans, A, reps: _untile(g, A.shape, reps), saves="A.shape", batch=_tile_batch)

# ---- flipping and triangles: their own adjoints ---------------------------------------------------------


def _flip_batch(args, batched, axis=None):
    (m,) = args
    nd = len(shape_of(m)) - 1
    return flip(m, tuple(range(1, nd + 1)) if axis is None else shift_axis(axis, nd))


def _triangle_batch(prim):
    """Batch rule of triu and tril, which act on the last two axes; a 1-D m is first broadcast to rows."""
    def rule(args, batched, k=0):
        (m,) = args
        s = shape_of(m)
        if len(s) == 1:
            raise ValueError(f"{prim.name}: the input must be at least 1-D, not 0-D")
        if len(s) == 2:
            m = broadcast_to(reshape(m, s[:1] + (1,) + s[1:]), s[:1] + s[1:] * 2)
        return prim(m, k)
    return rule


flip = Primitive("flip", lambda m, axis=None: np.flip(m, axis),
                 doc="Reverse the order along ``axis`` (all axes by default): "
                     "``flip([1.0, 2.0]).tolist() == [2.0, 1.0]``.")
triu = Primitive("triu", lambda m, k=0: np.triu(m, k),
                 doc="Zero the elements below diagonal ``k`` (of the last two axes): "
                     "``triu(np.ones((2, 2)))[1, 0] == 0``.")
tril = Primitive("tril", lambda m, k=0: np.tril(m, k),
                 doc="Zero the elements above diagonal ``k`` (of the last two axes): "
                     "``tril(np.ones((2, 2)))[0, 1] == 0``.")
deflinear(flip, transpose=lambda g, ans, m, axis=None: flip(g, axis), saves=(), batch=_flip_batch)
# A 1-D m is broadcast to rows before masking; the engines sum the cotangent back over them.
deflinear(triu, transpose=lambda g, ans, m, k=0: triu(g, k), saves=(), batch=_triangle_batch(triu))
deflinear(tril, transpose=lambda g, ans, m, k=0: tril(g, k), saves=(), batch=_triangle_batch(tril))
