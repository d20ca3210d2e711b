"""Linear algebra: dot, matmul, inner, outer, tensordot, einsum, trace, and numpy.linalg's inv, solve,
det, slogdet, norm, cholesky, eigh.

Every rule is a matrix identity written with admodes ops (so rules differentiate again). The formulas
are the standard ones (the Matrix Cookbook; M. Giles, "Collected matrix derivative results for forward
and reverse mode algorithmic differentiation", 2008; I. Murray, "Differentiation of the Cholesky
decomposition", 2016). Matrices are the last two axes; leading axes are batch axes and broadcast, and
`core.vjp_of` sums a cotangent back over them (`unbroadcast`), so no rule has to.

Three conventions worth knowing:

- ``cholesky`` and ``eigh`` are functions of the *symmetric part* ``(a + a^T) / 2`` of their input.
  NumPy reads one triangle only; reading the symmetric part instead makes them smooth functions of
  any square matrix, so their JVP and VJP are exact adjoints for every tangent, symmetric or not.
  On symmetric input (the only input NumPy's functions are meant for) the results are NumPy's.
- ``eigh`` fixes the sign of each eigenvector: its largest-magnitude component is positive (NumPy
  leaves the sign to LAPACK). Then the eigenvectors are continuous functions of the matrix wherever
  the eigenvalues are distinct, which the derivative needs anyway.
- The 2-norm (and Frobenius norm) is not differentiable at 0; its derivative there is taken to be 0,
  a subgradient, as in PyTorch and JAX.

The reverse engine records one output per node, so the ops with two results are a primitive and a
public function: ``linalg.eigh`` packs eigenvalues and eigenvectors into one array that the public
`eigh` slices, and ``linalg.slogdet``'s primitive is ``log|det a|`` beside a derivative-free sign.
"""

import builtins
import string
import warnings
from collections import namedtuple

import numpy as np

from .. import fastpaths
from .core import Primitive, defbatch, defjoint, defrules, nondifferentiable, register_function, shape_of
from .elementwise import _ndim, absolute, broadcasting_batch_rule, exp, multiply, pad_batched, sign, where
from .reductions import sum, tie_weights, unit_along
from .shape import getitem, moveaxis, reshape, scatter_add, swapaxes, transpose

EighResult = namedtuple("EighResult", ["eigenvalues", "eigenvectors"])
SlogdetResult = namedtuple("SlogdetResult", ["sign", "logabsdet"])


# ---- small helpers on the last two axes (they call primitives, so they work on traced values) -----

def _mT(x):
    """The matrix transpose of a (batch of) matrices."""
    return swapaxes(x, -1, -2)


def _sym(x):
    """The symmetric part (x + x^T) / 2."""
    return (x + _mT(x)) * 0.5


def _col(v):
    """A (batch of) vectors as column matrices: shape (..., n) -> (..., n, 1)."""
    return reshape(v, tuple(v.shape) + (1,))


def _row(v):
    """A (batch of) vectors as row matrices: shape (..., n) -> (..., 1, n)."""
    return reshape(v, tuple(v.shape[:-1]) + (1,) + tuple(v.shape[-1:]))


def _uncol(x):
    """Column matrices back to vectors: (..., n, 1) -> (..., n)."""
    return reshape(x, tuple(x.shape[:-1]))


def _as_matrices(x):
    """A (batch of) scalars as 1x1 matrices: (...) -> (..., 1, 1), to scale a batch of matrices."""
    return reshape(x, shape_of(x) + (1, 1))


def _tr(x):
    """The trace of each matrix of a batch."""
    return trace(x, axis1=-2, axis2=-1)



def _native_batch_rule(prim):
    """Batch rule of an op on the last two axes that maps over leading axes itself (inv, det, ...)."""
    return lambda args, batched, **params: prim(*args, **params)


# ====================================================================================================
# Products
# ====================================================================================================

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
    g2 = _matmul_promote(g, nd1, _ndim(x2))
    ct = g2 @ (_mT(x2) if _ndim(x2) > 1 else reshape(x2, (1, -1)))
    return reshape(ct, tuple(ct.shape[:-2]) + tuple(ct.shape[-1:])) if nd1 == 1 else ct


def _matmul_ct2(g, x1, nd2):
    g2 = _matmul_promote(g, _ndim(x1), nd2)
    ct = (_mT(x1) if _ndim(x1) > 1 else reshape(x1, (-1, 1))) @ g2
    return _uncol(ct) if nd2 == 1 else ct


matmul = Primitive("matmul", lambda x1, x2: np.matmul(x1, x2), short="MatMul")
defrules(matmul,
         jvp=(lambda t, ans, x1, x2: matmul(t, x2), lambda t, ans, x1, x2: matmul(x1, t)),
         vjp=(lambda g, ans, x1, x2: _matmul_ct1(g, x1.ndim, x2), lambda g, ans, x1, x2: _matmul_ct2(g, x1, x2.ndim)))


def _matmul_batch(args, batched):
    """matmul broadcasts leading axes: pad the batched operands' leading axes so the batches line up in
    front. Vectors are made matrices first (a row x1, a column x2) and the added axis dropped after."""
    (x1, x2), (b1, b2) = args, batched
    nd1, nd2 = _ndim(x1) - b1, _ndim(x2) - b2
    if nd1 == 0 or nd2 == 0:
        raise ValueError("matmul: an operand is 0-dimensional (use multiply for scalars)")
    s1, s2 = shape_of(x1), shape_of(x2)
    # A batch of one-column (or one-row) matrices against a constant matrix: one matrix product of the
    # batch read as vectors, where NumPy would loop over the batch (what the VJP of A @ x meets).
    if not b1 and nd1 == 2 and b2 and nd2 == 2 and s2[-1] == 1:
        return reshape(matmul(reshape(x2, s2[:-1]), _mT(x1)), s2[:1] + s1[:1] + (1,))
    if b1 and nd1 == 2 and s1[-2] == 1 and not b2 and nd2 == 2:
        return reshape(matmul(reshape(x1, s1[:1] + s1[2:]), x2), s1[:2] + s2[1:])
    if not b2 and nd2 <= 2 or not b1 and nd1 <= 2 and nd2 >= 2:
        return matmul(x1, x2)  # only one operand has leading axes: the batch leads them already
    if not b1 and nd1 <= 2:  # a constant matrix (or vector) times a batch of vectors: one matrix product
        return matmul(x2, _mT(x1) if nd1 == 2 else x1)
    row = x1 if nd1 > 1 else reshape(x1, shape_of(x1)[:-1] + (1,) + shape_of(x1)[-1:])
    col = x2 if nd2 > 1 else reshape(x2, shape_of(x2) + (1,))
    rank = max(nd1, nd2, 2)
    out = matmul(pad_batched(row, rank) if b1 else row, pad_batched(col, rank) if b2 else col)
    shape = shape_of(out)
    if nd1 == 1 or nd2 == 1:
        shape = shape[:-2] + (() if nd1 == 1 else shape[-2:-1]) + (() if nd2 == 1 else shape[-1:])
        out = reshape(out, shape)
    return out


defbatch(matmul, _matmul_batch)

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
    free_b = [j for j in range(_ndim(b)) if j not in axes_b]
    ct = tensordot(g, b, axes=(list(range(len(free_a), len(free_a) + len(free_b))), free_b))
    as_a = free_a + [axes_a[axes_b.index(j)] for j in sorted(axes_b)]  # the axis of a each axis of ct is
    return transpose(ct, tuple(int(i) for i in np.argsort(as_a)))


def _contract_ct_b(g, a, nd_b, axes_a, axes_b):
    """Cotangent of b in tensordot(a, b, (axes_a, axes_b)), given g of the output's shape."""
    free_a = [i for i in range(_ndim(a)) if i not in axes_a]
    free_b = [j for j in range(nd_b) if j not in axes_b]
    ct = tensordot(a, g, axes=(free_a, list(range(len(free_a)))))
    as_b = [axes_b[axes_a.index(i)] for i in sorted(axes_a)] + free_b
    return transpose(ct, tuple(int(j) for j in np.argsort(as_b)))


tensordot = Primitive("tensordot", lambda a, b, axes=2: np.tensordot(a, b, axes), short="TensorDot")
defrules(tensordot,
         jvp=(lambda t, ans, a, b, axes=2: tensordot(t, b, axes),
              lambda t, ans, a, b, axes=2: tensordot(a, t, axes)),
         vjp=(lambda g, ans, a, b, axes=2: _contract_ct_a(g, b, a.ndim, *_tensordot_axes(axes, a.ndim, _ndim(b))),
              lambda g, ans, a, b, axes=2: _contract_ct_b(g, a, b.ndim, *_tensordot_axes(axes, _ndim(a), b.ndim))))


def _contract_batched(a, b, batched, axes_a, axes_b):
    """tensordot(a, b, (axes_a, axes_b)) with a batch axis in front of a, b or both (axes of the unbatched
    shapes). One batched operand: a tensordot that skips its batch axis, which then leads (a's free axes
    come first) or is moved to the front. Both: an einsum with the batch label shared."""
    nd_a, nd_b = _ndim(a) - batched[0], _ndim(b) - batched[1]
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
    return _contract_batched(a, b, batched, *_tensordot_axes(axes, _ndim(a) - ba, _ndim(b) - bb))


defbatch(tensordot, _tensordot_batch)

# ---- dot and inner: a scalar operand multiplies; otherwise a tensordot over one pair of axes --------


def _dot_axes(nd_a, nd_b):
    return [nd_a - 1], [max(nd_b - 2, 0)]  # a's last axis with b's second-to-last (its only, if 1-D)


def _inner_axes(nd_a, nd_b):
    return [nd_a - 1], [nd_b - 1]


def _product_ct_a(g, b, nd_a, which_axes):
    if nd_a == 0 or _ndim(b) == 0:
        return g * b  # summed down to a's shape by vjp_of
    return _contract_ct_a(g, b, nd_a, *which_axes(nd_a, _ndim(b)))


def _product_ct_b(g, a, nd_b, which_axes):
    if _ndim(a) == 0 or nd_b == 0:
        return g * a
    return _contract_ct_b(g, a, nd_b, *which_axes(_ndim(a), nd_b))


dot = Primitive("dot", lambda a, b: np.dot(a, b))
defrules(dot,
         jvp=(lambda t, ans, a, b: dot(t, b), lambda t, ans, a, b: dot(a, t)),
         vjp=(lambda g, ans, a, b: _product_ct_a(g, b, a.ndim, _dot_axes),
              lambda g, ans, a, b: _product_ct_b(g, a, b.ndim, _dot_axes)))

inner = Primitive("inner", lambda a, b: np.inner(a, b))
defrules(inner,
         jvp=(lambda t, ans, a, b: inner(t, b), lambda t, ans, a, b: inner(a, t)),
         vjp=(lambda g, ans, a, b: _product_ct_a(g, b, a.ndim, _inner_axes),
              lambda g, ans, a, b: _product_ct_b(g, a, b.ndim, _inner_axes)))


def _product_batch_rule(which_axes):
    """Batch rule of dot or inner: a scalar operand multiplies (broadcasting), else a contraction."""
    scale = broadcasting_batch_rule(multiply)

    def rule(args, batched):
        (a, b), (ba, bb) = args, batched
        nd_a, nd_b = _ndim(a) - ba, _ndim(b) - bb
        if nd_a == 0 or nd_b == 0:
            return scale(args, batched)
        return _contract_batched(a, b, batched, *which_axes(nd_a, nd_b))
    return rule


defbatch(dot, _product_batch_rule(_dot_axes))
defbatch(inner, _product_batch_rule(_inner_axes))

# ---- outer: of the flattened operands ---------------------------------------------------------------

outer = Primitive("outer", lambda a, b: np.outer(a, b))
defrules(outer,
         jvp=(lambda t, ans, a, b: outer(t, b), lambda t, ans, a, b: outer(a, t)),
         vjp=(lambda g, ans, a, b: reshape(g @ reshape(b, (-1,)), a.shape),
              lambda g, ans, a, b: reshape(reshape(a, (-1,)) @ g, b.shape)))


def _outer_batch(args, batched):
    (a, b), (ba, bb) = args, batched
    column = reshape(a, (shape_of(a)[0], -1, 1) if ba else (-1, 1))
    row = reshape(b, (shape_of(b)[0], 1, -1) if bb else (1, -1))
    return column * row


defbatch(outer, _outer_batch)

# ---- einsum ------------------------------------------------------------------------------------------
# The primitive takes the operands as its arrays and the subscripts as a parameter; the public `einsum`
# has NumPy's signature. The JVP replaces one operand by its tangent at a time. The cotangent of
# operand i is an einsum of g with the other operands, written out to operand i's labels; a label that
# operand i repeats ("ii") is tied to a fresh label by an identity matrix, and a label that only
# operand i carries (summed away) is spread back by a vector of ones.


def _einsum_labels(subscripts, shapes):
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
    ins, out, sizes = _einsum_labels(subscripts, [shape_of(o) for o in operands])
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
defjoint(_einsum, jvp=_einsum_jvp, vjp=_einsum_vjp, saves={"args"})


def _einsum_batch(operands, batched, subscripts):
    """One more label, unused by ``subscripts``, for the batch axis: on the batched operands and in front
    of the output."""
    shapes = [shape_of(o)[1:] if b else shape_of(o) for o, b in zip(operands, batched)]
    ins, out, _ = _einsum_labels(subscripts, shapes)
    z = next(c for c in string.ascii_letters if c not in "".join(ins) + out)
    spec = ",".join(z + s if b else s for s, b in zip(ins, batched)) + "->" + z + out
    return _einsum(*operands, subscripts=spec)


defbatch(_einsum, _einsum_batch)


@register_function("einsum")
def einsum(subscripts, *operands, optimize=False):
    """Einstein summation, as ``numpy.einsum(subscripts, *operands)`` (``optimize`` is accepted and
    ignored: admodes picks the contraction order).

    >>> float(einsum("ij,ij->", np.eye(2), np.ones((2, 2))))
    2.0
    """
    if not isinstance(subscripts, str):
        raise TypeError("admodes.einsum takes a subscripts string first, as in einsum('ij,jk->ik', a, b); "
                        "the interleaved form einsum(a, [0, 1], b, [1, 2]) is not supported")
    return _einsum(*operands, subscripts=subscripts)


# ---- trace: linear; its adjoint puts g on the (offset) diagonal -------------------------------------

def _trace_ct(g, shape, offset, axis1, axis2):
    nd = len(shape)
    axis1, axis2 = axis1 % nd, axis2 % nd
    rest = [i for i in range(nd) if i not in (axis1, axis2)]
    eye = np.eye(shape[axis1], shape[axis2], k=offset, dtype=g.dtype)
    ct = _as_matrices(g) * eye  # the batch axes first, the two matrix axes last
    source = {**{ax: k for k, ax in enumerate(rest)}, axis1: len(rest), axis2: len(rest) + 1}
    return transpose(ct, tuple(source[i] for i in range(nd)))


trace = Primitive("trace", lambda a, offset=0, axis1=0, axis2=1: np.trace(a, offset, axis1, axis2))
defrules(trace,
         jvp=lambda t, ans, a, offset=0, axis1=0, axis2=1: trace(t, offset, axis1, axis2),
         vjp=lambda g, ans, a, offset=0, axis1=0, axis2=1: _trace_ct(g, a.shape, offset, axis1, axis2))
defbatch(trace, lambda args, batched, offset=0, axis1=0, axis2=1: trace(
    args[0], offset, axis1 % (args[0].ndim - 1) + 1, axis2 % (args[0].ndim - 1) + 1))


# ====================================================================================================
# numpy.linalg: inverses, determinants, solves
# ====================================================================================================

# ---- inv: d(A^-1) = -A^-1 dA A^-1 ------------------------------------------------------------------

inv = Primitive("linalg.inv", lambda a: np.linalg.inv(a), short="Inv")
defrules(inv,
         jvp=lambda t, ans, a: -(ans @ t @ ans),
         vjp=lambda g, ans, a: -(_mT(ans) @ g @ _mT(ans)))
defbatch(inv, _native_batch_rule(inv))

# ---- solve: x = A^-1 b; dx = A^-1 (db - dA x); b-bar = A^-T g, A-bar = -b-bar x^T ---------------------
# b is a vector only when it is 1-D (NumPy 2's rule), and then x has one axis fewer than a; the rules
# work on columns then. (The rules of one argument read only that argument's shape: the other may be a
# constant given as a list.)


def _solve_ct_b(g, a, vector):
    return _uncol(solve(_mT(a), _col(g))) if vector else solve(_mT(a), g)


def _solve_ct_a(g, a, x, vector):
    if vector:
        return -(solve(_mT(a), _col(g)) @ _mT(_col(x)))
    return -(solve(_mT(a), g) @ _mT(x))


def _solve_jvp_a(t, a, x, vector):
    return -_uncol(solve(a, t @ _col(x))) if vector else -solve(a, t @ x)


solve = Primitive("linalg.solve", lambda a, b: np.linalg.solve(a, b), short="Solve")
defrules(solve,
         jvp=(lambda t, ans, a, b: _solve_jvp_a(t, a, ans, ans.ndim < a.ndim),
              lambda t, ans, a, b: solve(a, t)),
         vjp=(lambda g, ans, a, b: _solve_ct_a(g, a, ans, ans.ndim < a.ndim),
              lambda g, ans, a, b: _solve_ct_b(g, a, b.ndim == 1)))


def _solve_batch(args, batched):
    """solve broadcasts a's and b's leading axes: pad the batched ones so the batches line up in front.
    A batched vector b would read as a matrix, so it is solved for as a column."""
    (a, b), (ba, bb) = args, batched
    nd_a, nd_b = _ndim(a) - ba, _ndim(b) - bb
    if nd_b == 1 and not bb:
        return solve(a, b)  # a vector b: the batch is one of a's leading axes
    column = nd_b == 1
    if column:
        b = reshape(b, shape_of(b) + (1,))
    rank = max(nd_a, 2 if column else nd_b)
    x = solve(pad_batched(a, rank) if ba else a, pad_batched(b, rank) if bb else b)
    return reshape(x, shape_of(x)[:-1]) if column else x


defbatch(solve, _solve_batch)

# ---- det: d det = tr(cof(A)^T dA); A-bar = g cof(A), with cof(A) = d det / dA the cofactor matrix --------
# The cofactor matrix (the adjugate's transpose, det(A) A^-T where A is invertible) is defined at every A,
# singular ones included, so det is differentiable everywhere without an inverse. It is computed from the
# SVD A = U diag(s) V^T: cof(A) = det(U) det(V) U diag(prod_{j != i} s_j) V^T, products with no division.
# Its derivative is det's Hessian applied to a direction E, again without division (`det_hessian`):
# with E~ = U^T E V and P_ik = prod_{m not in {i, k}} s_m (0 on the diagonal),
#     d cof(A)[E] = det(U) det(V) U (diag(P diag(E~)) - P * E~^T) V^T,
# which is self-adjoint in E. Its own derivative in A (det's third) is written with cof / det: inf/nan at a
# singular A, with NumPy's warning.


def _svd_frame(a):
    """``u, s, vh, det(u) det(vh)`` of the SVD a = u diag(s) vh, over the last two axes."""
    u, s, vh = np.linalg.svd(np.asarray(a))
    return u, s, vh, np.linalg.det(u) * np.linalg.det(vh)


def _products_of_others(s):
    """prod_{j != i} s_j for each i along the last axis, without division (exact where an s_j is 0)."""
    ones = np.ones(s.shape[:-1] + (1,), s.dtype)
    before = np.cumprod(np.concatenate([ones, s[..., :-1]], axis=-1), axis=-1)
    after = np.cumprod(np.concatenate([ones, s[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    return before * after


def _products_of_all_but_two(s):
    """P_ik = prod_{m not in {i, k}} s_m for i != k, 0 on the diagonal: shape (..., n, n)."""
    n = s.shape[-1]
    m = np.arange(n)
    left_out = (m == m[:, None, None]) | (m == m[None, :, None])  # [i, k, m]: m is i or k
    return np.prod(np.where(left_out, 1, s[..., None, None, :]), axis=-1) * (1 - np.eye(n, dtype=s.dtype))


def _well_conditioned_inverse(a):
    """a^-1 when every matrix of a is invertible with a 1-norm condition number below 1/sqrt(eps), else None.

    The fast path of `cofactor` and `det_hessian` (det(a) a^-T costs an LU, the SVD several times more:
    benchmarks/README.md); its relative error is at most about sqrt(eps), as the inverse-based rules before it.
    """
    if not fastpaths.FAST:
        return None
    try:
        inverse = np.linalg.inv(a)
    except np.linalg.LinAlgError:
        return None
    condition = np.linalg.norm(a, 1, axis=(-2, -1)) * np.linalg.norm(inverse, 1, axis=(-2, -1))
    return inverse if np.all(condition < np.finfo(inverse.dtype).eps ** -0.5) else None


def _cofactor_impl(a):
    a = np.asarray(a)
    inverse = _well_conditioned_inverse(a)
    if inverse is not None:
        return np.linalg.det(a)[..., None, None] * np.swapaxes(inverse, -1, -2)
    u, s, vh, frame = _svd_frame(a)
    return (frame[..., None, None] * u * _products_of_others(s)[..., None, :]) @ vh


def _det_hessian_impl(a, e):
    a = np.asarray(a)
    inverse = _well_conditioned_inverse(a)
    if inverse is not None:  # det(a) (tr(a^-1 e) a^-T - a^-T e^T a^-T)
        inv_t = np.swapaxes(inverse, -1, -2)
        traces = np.trace(inverse @ e, axis1=-2, axis2=-1)[..., None, None]
        return np.linalg.det(a)[..., None, None] * (traces * inv_t - inv_t @ np.swapaxes(e, -1, -2) @ inv_t)
    u, s, vh, frame = _svd_frame(a)
    e_frame = np.swapaxes(u, -1, -2) @ e @ np.swapaxes(vh, -1, -2)
    p = _products_of_all_but_two(s)
    diagonal = (p @ np.diagonal(e_frame, axis1=-2, axis2=-1)[..., None]) * np.eye(s.shape[-1], dtype=s.dtype)
    return frame[..., None, None] * (u @ (diagonal - p * np.swapaxes(e_frame, -1, -2)) @ vh)


cofactor = Primitive("linalg.cofactor", _cofactor_impl, public=False, short="Cofactor",
                     doc="The cofactor matrix of a, d det(a) / da (det(a) a^-T where a is invertible), from the SVD.")
det_hessian = Primitive("linalg.det_hessian", _det_hessian_impl, public=False, short="DetHessian",
                        doc="d cofactor(a)[e]: det's Hessian at a applied to e (linear and self-adjoint in e).")


def _pair(x, y):
    """<x, y> over the last two axes, kept as (..., 1, 1)."""
    return sum(x * y, axis=(-2, -1), keepdims=True)


def _det_hessian_jvp_a(t, ans, a, e):
    """The derivative in a of h = (<C, e> C - C e^T C) / det a (C the cofactor matrix), along t."""
    c, h_t = cofactor(a), det_hessian(a, t)
    return (_pair(h_t, e) * c + _pair(c, e) * h_t - h_t @ _mT(e) @ c - c @ _mT(e) @ h_t
            - ans * _pair(c, t)) / _as_matrices(det(a))


def _det_hessian_vjp_a(g, ans, a, e):
    """The adjoint of `_det_hessian_jvp_a` in t (det_hessian is self-adjoint in its direction)."""
    c = cofactor(a)
    return (_pair(g, c) * ans + _pair(c, e) * det_hessian(a, g) - det_hessian(a, g @ _mT(c) @ e)
            - det_hessian(a, e @ _mT(c) @ g) - _pair(g, ans) * c) / _as_matrices(det(a))


defrules(cofactor,
         jvp=lambda t, ans, a: det_hessian(a, t),
         vjp=lambda g, ans, a: det_hessian(a, g))
defrules(det_hessian,
         jvp=(_det_hessian_jvp_a, lambda t, ans, a, e: det_hessian(a, t)),
         vjp=(_det_hessian_vjp_a, lambda g, ans, a, e: det_hessian(a, g)))
defbatch(cofactor, _native_batch_rule(cofactor))


def _det_hessian_batch(args, batched):
    """a and e broadcast over their leading axes: pad the batched ones so the batches line up in front."""
    (a, e), (ba, be) = args, batched
    rank = builtins.max(_ndim(a) - ba, _ndim(e) - be)
    return det_hessian(pad_batched(a, rank) if ba else a, pad_batched(e, rank) if be else e)


defbatch(det_hessian, _det_hessian_batch)

det = Primitive("linalg.det", lambda a: np.linalg.det(a), short="Det")
defrules(det,
         jvp=lambda t, ans, a: sum(cofactor(a) * t, axis=(-2, -1)),
         vjp=lambda g, ans, a: _as_matrices(g) * cofactor(a))
defbatch(det, _native_batch_rule(det))

# ---- slogdet: d log|det| = tr(A^-1 dA); A-bar = g A^-T; the sign is piecewise constant ----------------


def _inverse_transpose(a, logabsdet):
    """A^-T = cof(A) / det(A), computed at A / c with c = |det A|^(1/n), whose determinant is +-1: no det
    overflows or underflows where log|det| is finite (the exact identity holds for any c). At a singular A
    (log|det| = -inf) it is inf/nan, with NumPy's warning of the division by 0, as JAX gives."""
    root = exp(logabsdet * (1.0 / builtins.max(a.shape[-1], 1)))
    scale = _as_matrices(where(root, root, 1.0))  # root as the condition: 1 where A is singular
    b = a / scale
    return cofactor(b) / (scale * _as_matrices(det(b)))


logabsdet = Primitive("linalg.slogdet", lambda a: np.linalg.slogdet(a)[1], public=False, short="Slogdet",
                      doc="log|det a|, the differentiable half of `slogdet`.")
defrules(logabsdet,
         jvp=lambda t, ans, a: sum(_inverse_transpose(a, ans) * t, axis=(-2, -1)),
         vjp=lambda g, ans, a: _as_matrices(g) * _inverse_transpose(a, ans))
defbatch(logabsdet, _native_batch_rule(logabsdet))

sign_of_det = Primitive("linalg.slogdet_sign", lambda a: np.linalg.slogdet(a)[0], public=False,
                        short="SlogdetSign", doc="The sign of det a (0 if singular), the other half of `slogdet`.")
nondifferentiable(sign_of_det)
defbatch(sign_of_det, _native_batch_rule(sign_of_det))


@register_function("linalg.slogdet")
def slogdet(a):
    """The sign and the log of the absolute value of ``det(a)``, as ``numpy.linalg.slogdet``; only
    ``logabsdet`` carries a derivative (the sign is piecewise constant).

    >>> sign, logabsdet = slogdet(np.diag([-2.0, 3.0]))
    >>> float(sign), round(float(logabsdet), 4)
    (-1.0, 1.7918)
    """
    return SlogdetResult(sign_of_det(a), logabsdet(a))


# ====================================================================================================
# numpy.linalg: norms
# ====================================================================================================
# Vector norms (ord None or 2, 1, inf, -inf) along one axis, or of the flattened array when axis is
# None and ord is None; matrix norms ('fro' or None) over two axes. The derivative of the 2-norm (and
# the Frobenius norm) is x / ||x||, and 0 at x = 0 (a subgradient). For ±inf the cotangent goes to the
# entries of largest (smallest) magnitude, shared equally when several tie.

_VECTOR_ORDS = (None, 2, 1, np.inf, -np.inf)
_MATRIX_ORDS = (None, "fro")


def _norm_kind(ndim, ord, axis):
    """``(kind, axes)``: kind is "2", "1", "inf" or "-inf" and axes the reduced axes, as NumPy reads them."""
    if axis is None:
        if ord is None:
            return "2", tuple(range(ndim))
        axis = (0,) if ndim == 1 else (0, 1) if ndim == 2 else None
        if axis is None:
            raise ValueError(f"ord={ord!r} with axis=None needs a 1-D or 2-D array, not {ndim}-D")
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    axes = tuple(int(ax) % ndim for ax in axes)
    if len(axes) == 1:
        if not any(ord is o or (o is not None and ord == o) for o in _VECTOR_ORDS):
            raise ValueError(f"vector ord={ord!r} is not supported (supported: None, 2, 1, inf, -inf)")
        return {2: "2", 1: "1", np.inf: "inf", -np.inf: "-inf"}.get(ord, "2"), axes
    if len(axes) == 2 and ord in _MATRIX_ORDS:
        return "2", axes
    if len(axes) == 2:
        raise ValueError(f"matrix ord={ord!r} is not supported (supported: None, 'fro')")
    raise ValueError(f"axis={axis!r} must name one axis (a vector norm) or two (a matrix norm)")


def _norm_impl(x, ord=None, axis=None, keepdims=False):
    _norm_kind(np.ndim(x), ord, axis)
    return np.linalg.norm(x, ord, axis, keepdims)


def _kept(x, shape, axes, keepdims):
    """A reduced value reshaped to broadcast against the input of ``shape``."""
    return x if keepdims else reshape(x, tuple(1 if i in axes else n for i, n in enumerate(shape)))


def _norm_weights(ans, x, ord, axis, keepdims):
    """d ||x|| / dx, the array that the tangent is contracted with and the cotangent scaled by."""
    kind, axes = _norm_kind(x.ndim, ord, axis)
    if kind == "2":  # x / ||x||, and 0 where x = 0; from x scaled, as NumPy's norm under- or overflows
        return unit_along(x, axes, norm=_kept(ans, x.shape, axes, keepdims))
    if kind == "1":
        return sign(x)
    return sign(x) * tie_weights(absolute(x), axis=axes, which="max" if kind == "inf" else "min")


norm = Primitive("linalg.norm", _norm_impl, short="Norm")
defrules(norm,
         jvp=lambda t, ans, x, ord=None, axis=None, keepdims=False: sum(
             _norm_weights(ans, x, ord, axis, keepdims) * t, axis=_norm_kind(x.ndim, ord, axis)[1], keepdims=keepdims),
         vjp=lambda g, ans, x, ord=None, axis=None, keepdims=False: _kept(
             g, x.shape, _norm_kind(x.ndim, ord, axis)[1], keepdims) * _norm_weights(ans, x, ord, axis, keepdims))


def _norm_batch(args, batched, ord=None, axis=None, keepdims=False):
    (x,) = args
    nd = _ndim(x) - 1
    if axis is None and ord is None:  # the 2-norm of all the elements: of each flattened batch element
        k = shape_of(x)[0]
        out = norm(reshape(x, (k, -1)), None, 1)
        return reshape(out, (k,) + (1,) * nd) if keepdims else out
    return norm(x, ord, tuple(ax + 1 for ax in _norm_kind(nd, ord, axis)[1]), keepdims)


defbatch(norm, _norm_batch)


# ====================================================================================================
# numpy.linalg: decompositions of symmetric matrices
# ====================================================================================================

# ---- cholesky: L L^T = S = sym(A). dL = L Phi(L^-1 dS L^-T), where Phi keeps the lower triangle and
# halves the diagonal; Phi is self-adjoint, so A-bar = sym(L^-T Phi(L^T L-bar) L^-1) (Murray 2016). --


def _phi(x):
    n = x.shape[-1]
    return x * (np.tri(n, dtype=x.dtype) - 0.5 * np.eye(n, dtype=x.dtype))


def _left_right_solve(l, m):
    """L^-1 m L^-T."""
    return _mT(solve(l, _mT(solve(l, m))))


def _cholesky_jvp(t, ans, upper):
    l = _mT(ans) if upper else ans
    dl = l @ _phi(_left_right_solve(l, _sym(t)))
    return _mT(dl) if upper else dl


def _cholesky_vjp(g, ans, upper):
    l, g = (_mT(ans), _mT(g)) if upper else (ans, g)
    return _sym(_left_right_solve(_mT(l), _phi(_mT(l) @ g)))


def _cholesky_impl(a, upper=False):
    return np.linalg.cholesky((a + np.swapaxes(a, -1, -2)) / 2, upper=upper)


cholesky = Primitive("linalg.cholesky", _cholesky_impl, short="Cholesky")
defrules(cholesky,
         jvp=lambda t, ans, a, upper=False: _cholesky_jvp(t, ans, upper),
         vjp=lambda g, ans, a, upper=False: _cholesky_vjp(g, ans, upper))
defbatch(cholesky, _native_batch_rule(cholesky))

# ---- eigh: S = sym(A) = V diag(w) V^T. With M = V^T dS V and F_ij = 1 / (w_j - w_i) off the diagonal
# (0 on it): dw = diag(M), dV = V (F * M); A-bar = sym(V (diag(w-bar) + F * (V^T V-bar)) V^T). ----------
# The primitive returns w and V packed as one array of shape (..., n + 1, n): row 0 holds w, rows 1..n
# hold V; getitem unpacks it and scatter_add (getitem's adjoint) packs a tangent.

_EIGENVALUES = (Ellipsis, 0, slice(None))
_EIGENVECTORS = (Ellipsis, slice(1, None), slice(None))


def _eigh_impl(a):
    w, v = np.linalg.eigh((a + np.swapaxes(a, -1, -2)) / 2)
    largest = np.take_along_axis(v, np.argmax(np.abs(v), axis=-2, keepdims=True), axis=-2)
    v = v * np.where(largest < 0, -1, 1).astype(v.dtype)
    return np.concatenate([w[..., None, :], v], axis=-2)


def _unpack(packed):
    return getitem(packed, _EIGENVALUES), getitem(packed, _EIGENVECTORS)


def _pack(w, v):
    shape = tuple(v.shape[:-2]) + (v.shape[-1] + 1, v.shape[-1])
    return scatter_add(w, _EIGENVALUES, shape) + scatter_add(v, _EIGENVECTORS, shape)


def _gap_scaled(m, w, check):
    """F * m, with F_ij = 1 / (w_j - w_i) off the diagonal and 0 on it.

    Where two eigenvalues are equal F_ij is infinite: an entry m_ij == 0 there (no eigenvector tangent or
    cotangent in that direction, as when only the eigenvalues are used) gives 0, and any other entry gives
    inf (nan after the products that follow): the eigenvectors' derivative does not exist there, and PyTorch
    and JAX give inf/nan too. With ``check`` (the VJP, whose nonzero m means the eigenvectors are used) a
    warning names the repeated eigenvalues; the JVP cannot know whether its eigenvector tangents will be used.
    """
    eye = np.eye(w.shape[-1], dtype=w.dtype)
    gaps = _row(w) - _col(w)
    # 1 at the pairs of repeated eigenvalues, and there where m is not 0: masks made by op-library calls
    # (piecewise constant, no derivative), so they work on every traced value, batched ones included
    tied = (1 - eye) * (1.0 - absolute(sign(gaps)))
    used = tied * absolute(sign(m))
    if check and type(used) is np.ndarray and used.any():
        i, j = sorted(np.argwhere(used)[0, -2:].tolist())
        warnings.warn(f"admodes.linalg.eigh: the eigenvectors' derivative is undefined where eigenvalues repeat "
                      f"(eigenvalues {i} and {j} are equal) and the eigenvectors' cotangent is not zero: the "
                      "gradient is inf/nan, as in PyTorch and JAX. Use the eigenvalues only, or a function of the "
                      "eigenvectors that does not depend on the choice of basis of the repeated eigenvalue's space",
                      RuntimeWarning, stacklevel=2)
    with np.errstate(divide="ignore", invalid="ignore"):  # (the inf is documented; warned of above)
        return (1 - eye) * m / where(tied - used + eye, 1.0, gaps)


def _eigh_jvp(t, ans):
    w, v = _unpack(ans)
    m = _mT(v) @ _sym(t) @ v
    with np.errstate(invalid="ignore"):  # an undefined eigenvector tangent is inf/nan, silently as in JAX
        dv = v @ _gap_scaled(m, w, check=False)
    return _pack(sum(m * np.eye(v.shape[-1], dtype=v.dtype), axis=-1), dv)


def _eigh_vjp(g, ans):
    w, v = _unpack(ans)
    gw, gv = _unpack(g)
    inner = _row(gw) * np.eye(v.shape[-1], dtype=v.dtype) + _gap_scaled(_mT(v) @ gv, w, check=True)
    return _sym(v @ inner @ _mT(v))


_eigh = Primitive("linalg.eigh", _eigh_impl, public=False, short="Eigh",
                  doc="Eigenvalues and eigenvectors of sym(a), packed as one (..., n + 1, n) array.")
defrules(_eigh, jvp=lambda t, ans, a: _eigh_jvp(t, ans), vjp=lambda g, ans, a: _eigh_vjp(g, ans))
defbatch(_eigh, _native_batch_rule(_eigh))


@register_function("linalg.eigh")
def eigh(a, UPLO="L"):
    """Eigenvalues (ascending) and eigenvectors of the symmetric matrix ``a``, as ``numpy.linalg.eigh``.

    Differs from NumPy in two documented ways: ``a`` is read as its symmetric part (a + a^T) / 2,
    whatever ``UPLO`` says, and each eigenvector's largest-magnitude component is positive.
    The eigenvalues' derivative exists everywhere (repeated eigenvalues included); the eigenvectors' needs
    distinct eigenvalues, and is inf/nan where they repeat (as in PyTorch and JAX; reverse mode warns).

    >>> w, v = eigh(np.array([[2.0, 1.0], [1.0, 2.0]]))
    >>> w
    array([1., 3.])
    """
    if UPLO not in ("L", "U"):
        raise ValueError(f"admodes.linalg.eigh: UPLO must be 'L' or 'U', not {UPLO!r}")
    return EighResult(*_unpack(_eigh(a)))
