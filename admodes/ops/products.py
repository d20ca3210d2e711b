"""Products: matmul, tensordot, dot, inner, outer, einsum, and trace.

Every rule is a matrix identity written with admodes ops (so rules differentiate again). Matrices are the
last two axes; leading axes are batch axes and broadcast, and `rules.vjp_of` sums a cotangent back over
them (`rules.unbroadcast`), so no rule has to. The decompositions and solves are in `linalg`.

>>> float(einsum("ii", np.eye(3)))
3.0
"""

import string

import numpy as np

from . import dependencies
from .declare import broadcasting_batch_rule, deflinear, defrules, pad_batched
from .elementwise import multiply
from .primitive import Primitive, ndim_of, register_function, shape_of
from .shape import moveaxis, reshape, swapaxes, transpose

__all__ = ["matmul", "tensordot", "dot", "inner", "outer", "einsum", "trace", "mT", "uncol", "as_matrices"]

# The VJP of a product reads the other operand, and of its own operand only the shape.
BILINEAR = {"a": ("a.shape", "b"), "b": ("a", "b.shape")}


# ---- small helpers on the last two axes (they call primitives, so they work on traced values) -----

def mT(x):
    """The matrix transpose of a (batch of) matrices.

    >>> mT(np.zeros((4, 2, 3))).shape
    (4, 3, 2)
    """
    return swapaxes(x, -1, -2)


def uncol(x):
    """Column matrices back to vectors: (..., n, 1) -> (..., n).

    >>> uncol(np.zeros((2, 1))).shape
    (2,)
    """
    return reshape(x, tuple(x.shape[:-1]))


def as_matrices(x):
    """A (batch of) scalars as 1x1 matrices: (...) -> (..., 1, 1), to scale a batch of matrices.

    >>> as_matrices(np.zeros(3)).shape
    (3, 1, 1)
    """
    return reshape(x, shape_of(x) + (1, 1))


# ---- matmul: batched, broadcasting; a 1-D operand is a row (x1) or a column (x2), then dropped --------

def _matmul_promote(g, nd1, nd2):
    """The cotangent with the axes NumPy dropped for 1-D operands put back, as a (batch of) matrices."""
    if nd1 > 1 and nd2 > 1:  # nothing was dropped (the common case: no reshape to record or run)
        return g
    shape = list(g.shape)
    if nd2 == 1:
        shape.append(1)
    if nd1 == 1:
        shape.insert(len(shape) - 1, 1)
    return reshape(g, tuple(shape))


def _matmul_ct1(g, nd1, x2):
    g2 = _matmul_promote(g, nd1, ndim_of(x2))
    ct = g2 @ (mT(x2) if ndim_of(x2) > 1 else reshape(x2, (1, -1)))
    return reshape(ct, tuple(ct.shape[:-2]) + tuple(ct.shape[-1:])) if nd1 == 1 else ct


def _matmul_ct2(g, x1, nd2):
    g2 = _matmul_promote(g, ndim_of(x1), nd2)
    ct = (mT(x1) if ndim_of(x1) > 1 else reshape(x1, (-1, 1))) @ g2
    return uncol(ct) if nd2 == 1 else ct


matmul = Primitive("matmul", lambda x1, x2: np.matmul(x1, x2), short="MatMul")
def _matmul_batch(args, batched):
    """matmul broadcasts leading axes: pad the batched operands' leading axes so the batches line up in
    front. Vectors are made matrices first (a row x1, a column x2) and the added axis dropped after."""
    (x1, x2), (b1, b2) = args, batched
    nd1, nd2 = ndim_of(x1) - b1, ndim_of(x2) - b2
    if nd1 == 0 or nd2 == 0:
        raise ValueError("matmul: an operand is 0-dimensional (use multiply for scalars)")
    s1, s2 = shape_of(x1), shape_of(x2)
    # A batch of one-column (or one-row) matrices against a constant matrix: one matrix product of the
    # batch read as vectors, where NumPy would loop over the batch (what the VJP of A @ x meets).
    if not b1 and nd1 == 2 and b2 and nd2 == 2 and s2[-1] == 1:
        return reshape(matmul(reshape(x2, s2[:-1]), mT(x1)), s2[:1] + s1[:1] + (1,))
    if b1 and nd1 == 2 and s1[-2] == 1 and not b2 and nd2 == 2:
        return reshape(matmul(reshape(x1, s1[:1] + s1[2:]), x2), s1[:2] + s2[1:])
    if not b2 and nd2 <= 2 or not b1 and nd1 <= 2 and nd2 >= 2:
        return matmul(x1, x2)  # only one operand has leading axes: the batch leads them already
    if not b1 and nd1 <= 2:  # a constant matrix (or vector) times a batch of vectors: one matrix product
        return matmul(x2, mT(x1) if nd1 == 2 else x1)
    row = x1 if nd1 > 1 else reshape(x1, shape_of(x1)[:-1] + (1,) + shape_of(x1)[-1:])
    col = x2 if nd2 > 1 else reshape(x2, shape_of(x2) + (1,))
    rank = max(nd1, nd2, 2)
    out = matmul(pad_batched(row, rank) if b1 else row, pad_batched(col, rank) if b2 else col)
    shape = shape_of(out)
    if nd1 == 1 or nd2 == 1:
        shape = shape[:-2] + (() if nd1 == 1 else shape[-2:-1]) + (() if nd2 == 1 else shape[-1:])
        out = reshape(out, shape)
    return out


defrules(matmul,
         jvp=(lambda t, ans, x1, x2: matmul(t, x2), lambda t, ans, x1, x2: matmul(x1, t)),
         vjp=(lambda g, ans, x1, x2: _matmul_ct1(g, x1.ndim, x2), lambda g, ans, x1, x2: _matmul_ct2(g, x1, x2.ndim)),
         saves={"x1": ("x1.shape", "x2"), "x2": ("x1", "x2.shape")}, batch=_matmul_batch,
         jet="multilinear", deps=dependencies.matmul)

# ---- tensordot: contract axes_a of a with axes_b of b; dot and inner are special cases --------------
# The cotangent of a contracts g with b over b's free axes; what is left are a's free axes and b's
# contracted axes, which a transpose puts back in a's order (and symmetrically for b).


def _tensordot_axes(axes, nd_a, nd_b):
    """NumPy's ``axes`` (an int N, or a pair of ints or sequences) as two lists of non-negative axes."""
    if isinstance(axes, (int, np.integer)):
        return list(range(nd_a - axes, nd_a)), list(range(axes))
    axes_a, axes_b = axes
    axes_a = [axes_a] if isinstance(axes_a, (int, np.integer)) else list(axes_a)
    axes_b = [axes_b] if isinstance(axes_b, (int, np.integer)) else list(axes_b)
    return [int(ax) % nd_a for ax in axes_a], [int(ax) % nd_b for ax in axes_b]


def _contract_ct_a(g, b, nd_a, axes_a, axes_b):
    """Cotangent of a in tensordot(a, b, (axes_a, axes_b)), given g of the output's shape."""
    free_a = [i for i in range(nd_a) if i not in axes_a]
    free_b = [j for j in range(ndim_of(b)) if j not in axes_b]
    ct = tensordot(g, b, axes=(list(range(len(free_a), len(free_a) + len(free_b))), free_b))
    as_a = free_a + [axes_a[axes_b.index(j)] for j in sorted(axes_b)]  # the axis of a each axis of ct is
    return transpose(ct, tuple(int(i) for i in np.argsort(as_a)))


def _contract_ct_b(g, a, nd_b, axes_a, axes_b):
    """Cotangent of b in tensordot(a, b, (axes_a, axes_b)), given g of the output's shape."""
    free_a = [i for i in range(ndim_of(a)) if i not in axes_a]
    free_b = [j for j in range(nd_b) if j not in axes_b]
    ct = tensordot(a, g, axes=(free_a, list(range(len(free_a)))))
    as_b = [axes_b[axes_a.index(i)] for i in sorted(axes_a)] + free_b
    return transpose(ct, tuple(int(j) for j in np.argsort(as_b)))


tensordot = Primitive("tensordot", lambda a, b, axes=2: np.tensordot(a, b, axes), short="TensorDot")
def _contract_batched(a, b, batched, axes_a, axes_b):
    """tensordot(a, b, (axes_a, axes_b)) with a batch axis in front of a, b or both (axes of the unbatched
    shapes). One batched operand: a tensordot that skips its batch axis, which then leads (a's free axes
    come first) or is moved to the front. Both: an einsum with the batch label shared."""
    nd_a, nd_b = ndim_of(a) - batched[0], ndim_of(b) - batched[1]
    if batched[0] and batched[1]:
        letters = iter(string.ascii_letters[1:])
        la, lb = [next(letters) for _ in range(nd_a)], [next(letters) for _ in range(nd_b)]
        for i, j in zip(axes_a, axes_b):
            lb[j] = la[i]
        out = [c for i, c in enumerate(la) if i not in axes_a] + [c for j, c in enumerate(lb) if j not in axes_b]
        spec = "a" + "".join(la) + ",a" + "".join(lb) + "->a" + "".join(out)
        return _einsum(a, b, subscripts=spec)
    if batched[0]:
        return tensordot(a, b, ([ax + 1 for ax in axes_a], list(axes_b)))
    out = tensordot(a, b, (list(axes_a), [ax + 1 for ax in axes_b]))
    return moveaxis(out, nd_a - len(axes_a), 0)


def _tensordot_batch(args, batched, axes=2):
    (a, b), (ba, bb) = args, batched
    return _contract_batched(a, b, batched, *_tensordot_axes(axes, ndim_of(a) - ba, ndim_of(b) - bb))


defrules(tensordot,
         jvp=(lambda t, ans, a, b, axes=2: tensordot(t, b, axes),
              lambda t, ans, a, b, axes=2: tensordot(a, t, axes)),
         vjp=(lambda g, ans, a, b, axes=2: _contract_ct_a(g, b, a.ndim, *_tensordot_axes(axes, a.ndim, ndim_of(b))),
              lambda g, ans, a, b, axes=2: _contract_ct_b(g, a, b.ndim, *_tensordot_axes(axes, ndim_of(a), b.ndim))),
         saves=BILINEAR, batch=_tensordot_batch, jet="multilinear", deps=dependencies.tensordot)

# ---- dot and inner: a scalar operand multiplies; otherwise a tensordot over one pair of axes --------


def _dot_axes(nd_a, nd_b):
    return [nd_a - 1], [max(nd_b - 2, 0)]  # a's last axis with b's second-to-last (its only, if 1-D)


def _inner_axes(nd_a, nd_b):
    return [nd_a - 1], [nd_b - 1]


def _product_ct_a(g, b, nd_a, which_axes):
    if nd_a == 0 or ndim_of(b) == 0:
        return g * b  # summed down to a's shape by vjp_of
    return _contract_ct_a(g, b, nd_a, *which_axes(nd_a, ndim_of(b)))


def _product_ct_b(g, a, nd_b, which_axes):
    if ndim_of(a) == 0 or nd_b == 0:
        return g * a
    return _contract_ct_b(g, a, nd_b, *which_axes(ndim_of(a), nd_b))


def _product_batch_rule(which_axes):
    """Batch rule of dot or inner: a scalar operand multiplies (broadcasting), else a contraction."""
    scale = broadcasting_batch_rule(multiply)

    def rule(args, batched):
        (a, b), (ba, bb) = args, batched
        nd_a, nd_b = ndim_of(a) - ba, ndim_of(b) - bb
        if nd_a == 0 or nd_b == 0:
            return scale(args, batched)
        return _contract_batched(a, b, batched, *which_axes(nd_a, nd_b))
    return rule


dot = Primitive("dot", lambda a, b: np.dot(a, b))
defrules(dot,
         jvp=(lambda t, ans, a, b: dot(t, b), lambda t, ans, a, b: dot(a, t)),
         vjp=(lambda g, ans, a, b: _product_ct_a(g, b, a.ndim, _dot_axes),
              lambda g, ans, a, b: _product_ct_b(g, a, b.ndim, _dot_axes)),
         saves=BILINEAR, batch=_product_batch_rule(_dot_axes), jet="multilinear", deps=dependencies.dot)

inner = Primitive("inner", lambda a, b: np.inner(a, b))
defrules(inner,
         jvp=(lambda t, ans, a, b: inner(t, b), lambda t, ans, a, b: inner(a, t)),
         vjp=(lambda g, ans, a, b: _product_ct_a(g, b, a.ndim, _inner_axes),
              lambda g, ans, a, b: _product_ct_b(g, a, b.ndim, _inner_axes)),
         saves=BILINEAR, batch=_product_batch_rule(_inner_axes), jet="multilinear", deps=dependencies.inner)

# ---- outer: of the flattened operands ---------------------------------------------------------------

def _outer_batch(args, batched):
    (a, b), (ba, bb) = args, batched
    column = reshape(a, (shape_of(a)[0], -1, 1) if ba else (-1, 1))
    row = reshape(b, (shape_of(b)[0], 1, -1) if bb else (1, -1))
    return column * row


outer = Primitive("outer", lambda a, b: np.outer(a, b))
defrules(outer,
         jvp=(lambda t, ans, a, b: outer(t, b), lambda t, ans, a, b: outer(a, t)),
         vjp=(lambda g, ans, a, b: reshape(g @ reshape(b, (-1,)), a.shape),
              lambda g, ans, a, b: reshape(reshape(a, (-1,)) @ g, b.shape)),
         saves=BILINEAR, batch=_outer_batch, jet="multilinear", deps=dependencies.outer)

# ---- einsum ------------------------------------------------------------------------------------------
# The primitive takes the operands as its arrays and the subscripts as a parameter; the public `einsum`
# has NumPy's signature. The JVP replaces one operand by its tangent at a time. The cotangent of
# operand i is an einsum of g with the other operands, written out to operand i's labels; a label that
# operand i repeats ("ii") is tied to a fresh label by an identity matrix, and a label that only
# operand i carries (summed away) is spread back by a vector of ones.


def einsum_labels(subscripts, shapes):
    """``(input labels, output labels, size of each label)`` with ``...`` replaced by unused letters
    and an implicit output (no ``->``) made explicit, as NumPy reads it."""
    spec = subscripts.replace(" ", "")
    lhs, arrow, out = spec.partition("->")
    ins = lhs.split(",")
    unused = [c for c in string.ascii_letters if c not in spec]
    ellipsis_dims = [len(shape) - (len(sub) - 3) for sub, shape in zip(ins, shapes) if "..." in sub]
    n_ell = max(ellipsis_dims, default=0)
    ell = "".join(unused[:n_ell])
    once = sorted(c for c in set(lhs) if c.isalpha() and lhs.count(c) == 1)
    ins = [sub.replace("...", ell[n_ell - (len(shape) - (len(sub) - 3)):]) if "..." in sub else sub
           for sub, shape in zip(ins, shapes)]
    out = out.replace("...", ell) if arrow else ell + "".join(once)
    sizes = {}
    for sub, shape in zip(ins, shapes):
        for c, n in zip(sub, shape):
            sizes[c] = max(sizes.get(c, 1), n)  # a length-1 axis broadcasts
    return ins, out, sizes


def _einsum_impl(*operands, subscripts):
    return np.einsum(subscripts, *operands, optimize=len(operands) > 2)


def _einsum_jvp(tangents, ans, operands, params):
    out = None
    for i, t in enumerate(tangents):
        if t is not None:
            term = _einsum(*operands[:i], t, *operands[i + 1:], **params)
            out = term if out is None else out + term
    return out


def _einsum_ct(g, operands, i, subscripts):
    ins, out, sizes = einsum_labels(subscripts, [shape_of(o) for o in operands])
    others = [j for j in range(len(operands)) if j != i]
    taken = set("".join(ins)) | set(out)
    fresh = (c for c in string.ascii_letters if c not in taken)
    target, constants = "", []  # operand i's labels, repeats renamed; (labels, constant) pairs
    for c in ins[i]:
        if c in target:
            f = next(fresh)
            constants.append((c + f, np.eye(sizes[c], dtype=g.dtype)))
            c = f
        target += c
    elsewhere = set("".join(ins[j] for j in others)) | set(out)
    constants += [(c, np.ones(sizes[c], dtype=g.dtype)) for c in dict.fromkeys(ins[i]) if c not in elsewhere]
    spec = ",".join([ins[j] for j in others] + [out] + [labels for labels, _ in constants]) + "->" + target
    return _einsum(*[operands[j] for j in others], g, *[c for _, c in constants], subscripts=spec)


def _einsum_vjp(g, ans, operands, params, needed):
    return [_einsum_ct(g, operands, i, params["subscripts"]) if need else None for i, need in enumerate(needed)]


_einsum = Primitive("einsum", _einsum_impl, variadic=True, public=False,
                    doc="einsum(*operands, subscripts=...): the primitive behind `einsum`.")
def _einsum_batch(operands, batched, subscripts):
    """One more label, unused by ``subscripts``, for the batch axis: on the batched operands and in front
    of the output."""
    shapes = [shape_of(o)[1:] if b else shape_of(o) for o, b in zip(operands, batched)]
    ins, out, _ = einsum_labels(subscripts, shapes)
    z = next(c for c in string.ascii_letters if c not in "".join(ins) + out)
    spec = ",".join(z + s if b else s for s, b in zip(ins, batched)) + "->" + z + out
    return _einsum(*operands, subscripts=spec)


defrules(_einsum, jvp=_einsum_jvp, vjp=_einsum_vjp, joint=True, saves="args", batch=_einsum_batch,
         jet="multilinear", deps=dependencies.einsum(einsum_labels))


@register_function("einsum")
def einsum(subscripts, *operands, optimize=False):
    """Einstein summation, as ``numpy.einsum(subscripts, *operands)`` or in NumPy's interleaved form
    ``einsum(a, [0, 1], b, [1, 2], [0, 2])`` (``optimize`` is accepted and ignored: admodes picks the
    contraction order).

    >>> float(einsum("ij,ij->", np.eye(2), np.ones((2, 2))))
    2.0
    >>> einsum(np.eye(2), [0, 1], np.ones(2), [1], [0])
    array([1., 1.])
    """
    if not isinstance(subscripts, str):
        subscripts, operands = _interleaved_to_subscripts((subscripts,) + operands)
    return _einsum(*operands, subscripts=subscripts)


def _interleaved_to_subscripts(args):
    """``(a, sublist_a, b, sublist_b, ..., [output])`` as a subscripts string and the operands."""
    operands, sublists = args[0::2], args[1::2]
    output = None
    if len(args) % 2:  # an odd count: the last one is the output sublist
        operands, output = operands[:-1], args[-1]

    def letters(sublist):
        try:
            return "".join("..." if s is Ellipsis else "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"[s]
                           for s in sublist)
        except (IndexError, TypeError):
            raise TypeError("einsum: an interleaved sublist holds integers in [0, 52) or Ellipsis, "
                            f"got {sublist!r}") from None

    spec = ",".join(letters(s) for s in sublists)
    return (spec if output is None else spec + "->" + letters(output)), operands


# ---- trace: linear; its adjoint puts g on the (offset) diagonal -------------------------------------

def _trace_ct(g, shape, offset, axis1, axis2):
    nd = len(shape)
    axis1, axis2 = axis1 % nd, axis2 % nd
    rest = [i for i in range(nd) if i not in (axis1, axis2)]
    eye = np.eye(shape[axis1], shape[axis2], k=offset, dtype=g.dtype)
    ct = as_matrices(g) * eye  # the batch axes first, the two matrix axes last
    source = {**{ax: k for k, ax in enumerate(rest)}, axis1: len(rest), axis2: len(rest) + 1}
    return transpose(ct, tuple(source[i] for i in range(nd)))


trace = Primitive("trace", lambda a, offset=0, axis1=0, axis2=1: np.trace(a, offset, axis1, axis2))
deflinear(trace, transpose=lambda g, ans, a, offset=0, axis1=0, axis2=1: _trace_ct(g, a.shape, offset, axis1, axis2),
          saves="a.shape", batch=lambda args, batched, offset=0, axis1=0, axis2=1: trace(
              args[0], offset, axis1 % (args[0].ndim - 1) + 1, axis2 % (args[0].ndim - 1) + 1), deps=dependencies.trace)
