"""Linear algebra: numpy.linalg's inv, solve, det, slogdet, norm, cholesky, eigh (the products, matmul to
einsum, are in `products`).

Every rule is a matrix identity written with admodes ops (so rules differentiate again). The formulas
are the standard ones (the Matrix Cookbook; M. Giles, "Collected matrix derivative results for forward
and reverse mode algorithmic differentiation", 2008; I. Murray, "Differentiation of the Cholesky
decomposition", 2016). Matrices are the last two axes; leading axes are batch axes and broadcast, and
`rules.vjp_of` sums a cotangent back over them (`rules.unbroadcast`), so no rule has to.

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
import itertools
import warnings
from collections import namedtuple

import numpy as np

from .. import fastpaths
from . import dependencies, jet_arrays
from .declare import defrules, nondifferentiable, pad_batched
from .elementwise import absolute, exp, sign, where
from .indexing import getitem, scatter_add
from .primitive import Primitive, ndim_of, register_function, shape_of
from .products import as_matrices, mT, trace, uncol
from .reductions import sum, tie_weights, unit_along
from .shape import reshape

EighResult = namedtuple("EighResult", ["eigenvalues", "eigenvectors"])
SlogdetResult = namedtuple("SlogdetResult", ["sign", "logabsdet"])


# ---- small helpers on the last two axes (they call primitives, so they work on traced values) -----

def _sym(x):
    """The symmetric part (x + x^T) / 2."""
    return (x + mT(x)) * 0.5


def _col(v):
    """A (batch of) vectors as column matrices: shape (..., n) -> (..., n, 1)."""
    return reshape(v, tuple(v.shape) + (1,))


def _row(v):
    """A (batch of) vectors as row matrices: shape (..., n) -> (..., 1, n)."""
    return reshape(v, tuple(v.shape[:-1]) + (1,) + tuple(v.shape[-1:]))


def _tr(x):
    """The trace of each matrix of a batch."""
    return trace(x, axis1=-2, axis2=-1)



def _native_batch_rule(prim):
    """Batch rule of an op on the last two axes that maps over leading axes itself (inv, det, ...)."""
    return lambda args, batched, **params: prim(*args, **params)


# ====================================================================================================
# numpy.linalg: inverses, determinants, solves
# ====================================================================================================

# ---- inv: d(A^-1) = -A^-1 dA A^-1 ------------------------------------------------------------------

inv = Primitive("linalg.inv", lambda a: np.linalg.inv(a), short="Inv")
defrules(inv,
         jvp=lambda t, ans, a: -(ans @ t @ ans),
         vjp=lambda g, ans, a: -(mT(ans) @ g @ mT(ans)), saves="ans", batch=_native_batch_rule(inv),
         jet=jet_arrays.inv, deps=dependencies.matrices(2))

# ---- solve: x = A^-1 b; dx = A^-1 (db - dA x); b-bar = A^-T g, A-bar = -b-bar x^T ---------------------
# b is a vector only when it is 1-D (NumPy 2's rule), and then x has one axis fewer than a; the rules
# work on columns then. (The rules of one argument read only that argument's shape: the other may be a
# constant given as a list.)


def _solve_ct_b(g, a, vector):
    return uncol(solve(mT(a), _col(g))) if vector else solve(mT(a), g)


def _solve_ct_a(g, a, x, vector):
    if vector:
        return -(solve(mT(a), _col(g)) @ mT(_col(x)))
    return -(solve(mT(a), g) @ mT(x))


def _solve_jvp_a(t, a, x, vector):
    return -uncol(solve(a, t @ _col(x))) if vector else -solve(a, t @ x)


def _solve_batch(args, batched):
    """solve broadcasts a's and b's leading axes: pad the batched ones so the batches line up in front.
    A batched vector b would read as a matrix, so it is solved for as a column."""
    (a, b), (ba, bb) = args, batched
    nd_a, nd_b = ndim_of(a) - ba, ndim_of(b) - bb
    if nd_b == 1 and not bb:
        return solve(a, b)  # a vector b: the batch is one of a's leading axes
    column = nd_b == 1
    if column:
        b = reshape(b, shape_of(b) + (1,))
    rank = max(nd_a, 2 if column else nd_b)
    x = solve(pad_batched(a, rank) if ba else a, pad_batched(b, rank) if bb else b)
    return reshape(x, shape_of(x)[:-1]) if column else x


solve = Primitive("linalg.solve", lambda a, b: np.linalg.solve(a, b), short="Solve")
defrules(solve,
         jvp=(lambda t, ans, a, b: _solve_jvp_a(t, a, ans, ans.ndim < a.ndim),
              lambda t, ans, a, b: solve(a, t)),
         vjp=(lambda g, ans, a, b: _solve_ct_a(g, a, ans, ans.ndim < a.ndim),
              lambda g, ans, a, b: _solve_ct_b(g, a, b.ndim == 1)),
         saves={"a": ("ans", "a"), "b": ("a", "b.shape")}, batch=_solve_batch,
         jet=jet_arrays.solve, deps=dependencies.solve)

# ---- det: d det = tr(cof(A)^T dA); A-bar = g cof(A), with cof(A) = d det / dA the cofactor matrix --------
# The cofactor matrix (the adjugate's transpose, det(A) A^-T where A is invertible) is defined at every A,
# singular ones included, so det is differentiable everywhere without an inverse. It is computed from the
# SVD A = U diag(s) V^T: cof(A) = det(U) det(V) U diag(prod_{j != i} s_j) V^T, products with no division.
# Its derivative is det's Hessian applied to a direction E, again without division (`det_hessian`):
# with E~ = U^T E V and P_ik = prod_{m not in {i, k}} s_m (0 on the diagonal),
#     d cof(A)[E] = det(U) det(V) U (diag(P diag(E~)) - P * E~^T) V^T,
# which is self-adjoint in E. Every higher derivative is `det_derivative`, the gradient G_k(A)[E_1..E_k] of
# d^k det(A)[E_1..E_k] (cofactor is G_0, det_hessian G_1), again from the SVD and products of singular values:
# det(A + X) = det(U) det(V) det(diag(s) + U^T X V), and the coefficient of t_1..t_m in det(diag(s) + sum t_j Y_j)
# is a sum over distinct rows i_1..i_m and permutations tau of sign(tau) prod_j Y_j[i_j, i_tau(j)] times the
# product of the other s. det is a polynomial of degree n, so every order is exact at singular A too.


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


def _well_conditioned_inverse(a, order=1):
    """a^-1 when every matrix of a is invertible with a 1-norm condition number below eps^(-1 / (2 order)), else
    None (a derivative of det of order m from a^-1 multiplies m inverse factors: its error grows like cond^m).

    The fast path of `cofactor`, `det_hessian` and `det_derivative` (an LU, the SVD several times more:
    benchmarks/README.md); its relative error is at most about sqrt(eps), as the inverse-based rules before it.
    """
    if not fastpaths.FAST:
        return None
    try:
        inverse = np.linalg.inv(a)
    except np.linalg.LinAlgError:
        return None
    condition = np.linalg.norm(a, 1, axis=(-2, -1)) * np.linalg.norm(inverse, 1, axis=(-2, -1))
    return inverse if np.all(condition < np.finfo(inverse.dtype).eps ** (-0.5 / order)) else None


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


def _one_hot(i, k, dtype):
    """Row i of the k x k identity: the weights that put a matrix into column i of a stack of directions."""
    return np.eye(k, dtype=dtype)[i]


def _with_direction(es, i, t):
    """The stack of directions es (..., n, n, k) with direction i replaced by t (..., n, n)."""
    k = shape_of(es)[-1]
    keep = 1 - _one_hot(i, k, es.dtype)
    return es * keep + reshape(t, tuple(t.shape) + (1,)) * _one_hot(i, k, es.dtype)


def _appended(es, t):
    """The stack of directions es (..., n, n, k) with t (..., n, n) appended as direction k + 1."""
    k = shape_of(es)[-1]
    widen = np.eye(k, k + 1, dtype=es.dtype)  # es @ widen: a zero column after the k directions
    return es @ widen + reshape(t, tuple(t.shape) + (1,)) * _one_hot(k, k + 1, es.dtype)


def _cycles(permutation):
    """The cycles of a permutation of range(m), each as the list c, p(c), p(p(c)), ..."""
    seen, cycles = set(), []
    for start in range(len(permutation)):
        cycle, i = [], start
        while i not in seen:
            seen.add(i)
            cycle.append(i)
            i = permutation[i]
        if cycle:
            cycles.append(cycle)
    return cycles


def _det_derivative_by_inverse(a, inverse, es):
    """The fast path of `det_derivative` at a well-conditioned a: with B_j = a^-1 e_j (e_m the free direction),
    d^m det(a) = det(a) sum over permutations p of sign(p) prod over p's cycles of tr(B_c B_p(c) ...); the cycle
    through m gives the matrix (B_p(m) B_p(p(m)) ... a^-1)^T, the others their traces. O(m! n^3), no SVD."""
    k = es.shape[-1]
    bs = [inverse @ es[..., j] for j in range(k)]
    total = 0
    for perm in itertools.permutations(range(k + 1)):
        term = np.linalg.det(np.eye(k + 1)[list(perm)]) * np.linalg.det(a)[..., None, None]
        for cycle in _cycles(perm):
            if k in cycle:
                start = cycle.index(k)
                rest = cycle[start + 1:] + cycle[:start]
                chain = inverse
                for j in reversed(rest):
                    chain = bs[j] @ chain
                term = term * np.swapaxes(chain, -1, -2)
            else:
                chain = bs[cycle[0]]
                for j in cycle[1:]:
                    chain = chain @ bs[j]
                term = term * np.trace(chain, axis1=-2, axis2=-1)[..., None, None]
        total = total + term
    return total


def _det_derivative_impl(a, es):
    a, es = np.asarray(a), np.asarray(es)
    n, k = a.shape[-1], es.shape[-1]
    shape = np.broadcast_shapes(a.shape, es.shape[:-1])
    m = k + 1  # the order of the derivative of det whose gradient this is
    if m > n:  # det has degree n: its derivatives above n vanish
        return np.zeros(shape, np.result_type(a, es))
    inverse = _well_conditioned_inverse(a, order=m)
    if inverse is not None:
        return _det_derivative_by_inverse(a, inverse, es).astype(np.result_type(a, es), copy=False)
    u, s, vh, frame = _svd_frame(a)
    ys = [np.swapaxes(u, -1, -2) @ es[..., j] @ np.swapaxes(vh, -1, -2) for j in range(k)]
    index = np.indices((n,) * m)
    others = np.ones(s.shape[:-1] + (n,) * m, s.dtype)  # prod of s_l over l not among i_1..i_m, 0 on repeats
    for l in range(n):
        taken = np.any(index == l, axis=0)
        others = others * np.where(taken, 1, s[(..., l) + (None,) * m])
    for j, jj in itertools.combinations(range(m), 2):
        others = others * (index[j] != index[jj])
    letters = "abcdefghijklmnopqrstuvwxyz"[:m]
    h = np.zeros(shape[:-2] + (n, n), np.result_type(s, *ys))
    for tau in itertools.permutations(range(m)):
        sign = np.linalg.det(np.eye(m)[list(tau)])
        inputs = ",".join("..." + letters[j] + letters[tau[j]] for j in range(k))
        last, image = letters[k], letters[tau[k]]
        subscripts = (inputs + "," if k else "") + "..." + letters + "->..." + last + (image if image != last else "")
        term = sign * np.einsum(subscripts, *ys, others)
        h = h + (term if image != last else term[..., None] * np.eye(n, dtype=term.dtype))
    return (frame[..., None, None] * (u @ h @ vh)).astype(np.result_type(a, es), copy=False)


det_derivative = Primitive("linalg.det_derivative", _det_derivative_impl, public=False, short="DetDerivative",
                           doc="The gradient in x of d^(k+1) det(a)[e_1, ..., e_k, x], es = (e_1 .. e_k) on the "
                               "last axis (multilinear and symmetric in the directions).")


def _det_derivative_jvp_es(t, ans, a, es):
    """Multilinear in the directions: the sum over i of det_derivative with direction i replaced by t's."""
    k = shape_of(es)[-1]
    return builtins.sum(det_derivative(a, _with_direction(es, i, t[..., i])) for i in range(k))


def _det_derivative_vjp_es(g, ans, a, es):
    """Direction i's cotangent is det_derivative with direction i replaced by g (the form is symmetric)."""
    k = shape_of(es)[-1]
    columns = (det_derivative(a, _with_direction(es, i, g)) for i in range(k))
    return builtins.sum(reshape(c, tuple(c.shape) + (1,)) * _one_hot(i, k, es.dtype) for i, c in enumerate(columns))


def _det_derivative_batch(args, batched):
    """a and es broadcast over their leading axes: pad the batched ones so the batches line up in front."""
    (a, es), (ba, be) = args, batched
    rank = builtins.max(ndim_of(a) - ba, ndim_of(es) - 1 - be)
    return det_derivative(pad_batched(a, rank) if ba else a, pad_batched(es, rank + 1) if be else es)


defrules(det_derivative,
         jvp=(lambda t, ans, a, es: det_derivative(a, _appended(es, t)), _det_derivative_jvp_es),
         vjp=(lambda g, ans, a, es: det_derivative(a, _appended(es, g)), _det_derivative_vjp_es),
         saves={"a": ("a", "es"), "es": ("a", "es")}, batch=_det_derivative_batch,
         jet="nested_jvp", deps=dependencies.matrices(2, (2, 3)))


def _both(e, t):
    """e and t stacked as two directions on a new last axis (broadcast against each other)."""
    return reshape(e, tuple(e.shape) + (1,)) * _one_hot(0, 2, e.dtype) + reshape(t, tuple(t.shape) + (1,)) * _one_hot(
        1, 2, e.dtype)


defrules(cofactor, jvp=lambda t, ans, a: det_hessian(a, t), vjp=lambda g, ans, a: det_hessian(a, g), saves="a",
         batch=_native_batch_rule(cofactor), jet="nested_jvp", deps=dependencies.matrices(2))


def _det_hessian_batch(args, batched):
    """a and e broadcast over their leading axes: pad the batched ones so the batches line up in front."""
    (a, e), (ba, be) = args, batched
    rank = builtins.max(ndim_of(a) - ba, ndim_of(e) - be)
    return det_hessian(pad_batched(a, rank) if ba else a, pad_batched(e, rank) if be else e)


defrules(det_hessian,
         jvp=(lambda t, ans, a, e: det_derivative(a, _both(e, t)), lambda t, ans, a, e: det_hessian(a, t)),
         vjp=(lambda g, ans, a, e: det_derivative(a, _both(e, g)), lambda g, ans, a, e: det_hessian(a, g)),
         saves={"a": ("a", "e"), "e": "a"}, batch=_det_hessian_batch, jet="nested_jvp", deps=dependencies.matrices(2))

det = Primitive("linalg.det", lambda a: np.linalg.det(a), short="Det")
defrules(det,
         jvp=lambda t, ans, a: sum(cofactor(a) * t, axis=(-2, -1)),
         vjp=lambda g, ans, a: as_matrices(g) * cofactor(a), saves="a", batch=_native_batch_rule(det),
         jet=jet_arrays.det, deps=dependencies.matrices(0))

# ---- slogdet: d log|det| = tr(A^-1 dA); A-bar = g A^-T; the sign is piecewise constant ----------------


def _inverse_transpose(a, logabsdet):
    """A^-T = cof(A) / det(A), computed at A / c with c = |det A|^(1/n), whose determinant is +-1: no det
    overflows or underflows where log|det| is finite (the exact identity holds for any c). At a singular A
    (log|det| = -inf) it is inf/nan, with NumPy's warning of the division by 0, as JAX gives."""
    root = exp(logabsdet * (1.0 / builtins.max(a.shape[-1], 1)))
    scale = as_matrices(where(root, root, 1.0))  # root as the condition: 1 where A is singular
    b = a / scale
    return cofactor(b) / (scale * as_matrices(det(b)))


logabsdet = Primitive("linalg.slogdet", lambda a: np.linalg.slogdet(a)[1], public=False, short="Slogdet",
                      doc="log|det a|, the differentiable half of `slogdet`.")
defrules(logabsdet,
         jvp=lambda t, ans, a: sum(_inverse_transpose(a, ans) * t, axis=(-2, -1)),
         vjp=lambda g, ans, a: as_matrices(g) * _inverse_transpose(a, ans), saves=("ans", "a"),
         batch=_native_batch_rule(logabsdet), jet=jet_arrays.slogdet, deps=dependencies.matrices(0))

sign_of_det = Primitive("linalg.slogdet_sign", lambda a: np.linalg.slogdet(a)[0], public=False,
                        short="SlogdetSign", doc="The sign of det a (0 if singular), the other half of `slogdet`.")
nondifferentiable(sign_of_det, batch=_native_batch_rule(sign_of_det))


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


def norm_kind(ndim, ord, axis):
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
    norm_kind(np.ndim(x), ord, axis)
    return np.linalg.norm(x, ord, axis, keepdims)


def _kept(x, shape, axes, keepdims):
    """A reduced value reshaped to broadcast against the input of ``shape``."""
    return x if keepdims else reshape(x, tuple(1 if i in axes else n for i, n in enumerate(shape)))


def _norm_weights(ans, x, ord, axis, keepdims):
    """d ||x|| / dx, the array that the tangent is contracted with and the cotangent scaled by."""
    kind, axes = norm_kind(x.ndim, ord, axis)
    if kind == "2":  # x / ||x||, and 0 where x = 0; from x scaled, as NumPy's norm under- or overflows
        return unit_along(x, axes, norm=_kept(ans, x.shape, axes, keepdims))
    if kind == "1":
        return sign(x)
    return sign(x) * tie_weights(absolute(x), axis=axes, which="max" if kind == "inf" else "min")


def _norm_batch(args, batched, ord=None, axis=None, keepdims=False):
    (x,) = args
    nd = ndim_of(x) - 1
    if axis is None and ord is None:  # the 2-norm of all the elements: of each flattened batch element
        k = shape_of(x)[0]
        out = norm(reshape(x, (k, -1)), None, 1)
        return reshape(out, (k,) + (1,) * nd) if keepdims else out
    return norm(x, ord, tuple(ax + 1 for ax in norm_kind(nd, ord, axis)[1]), keepdims)


norm = Primitive("linalg.norm", _norm_impl, short="Norm", public=False)  # published by linalg_functions.norm
defrules(norm,
         jvp=lambda t, ans, x, ord=None, axis=None, keepdims=False: sum(
             _norm_weights(ans, x, ord, axis, keepdims) * t, axis=norm_kind(x.ndim, ord, axis)[1], keepdims=keepdims),
         vjp=lambda g, ans, x, ord=None, axis=None, keepdims=False: _kept(
             g, x.shape, norm_kind(x.ndim, ord, axis)[1], keepdims) * _norm_weights(ans, x, ord, axis, keepdims),
         saves=("ans", "x"), batch=_norm_batch, jet=jet_arrays.norm(norm_kind), deps="reduction")


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
    return mT(solve(l, mT(solve(l, m))))


def _cholesky_jvp(t, ans, upper):
    l = mT(ans) if upper else ans
    dl = l @ _phi(_left_right_solve(l, _sym(t)))
    return mT(dl) if upper else dl


def _cholesky_vjp(g, ans, upper):
    l, g = (mT(ans), mT(g)) if upper else (ans, g)
    return _sym(_left_right_solve(mT(l), _phi(mT(l) @ g)))


def _cholesky_impl(a, upper=False):
    return np.linalg.cholesky((a + np.swapaxes(a, -1, -2)) / 2, upper=upper)


cholesky = Primitive("linalg.cholesky", _cholesky_impl, short="Cholesky")
defrules(cholesky,
         jvp=lambda t, ans, a, upper=False: _cholesky_jvp(t, ans, upper),
         vjp=lambda g, ans, a, upper=False: _cholesky_vjp(g, ans, upper),
         saves="ans", batch=_native_batch_rule(cholesky), jet=jet_arrays.cholesky, deps=dependencies.cholesky)

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


def unpack_eigen(packed):
    """Eigenvalues (row 0) and eigenvectors (rows 1..n) of a packed (..., n + 1, n) array (eigh's, eig's).

    >>> unpack_eigen(np.array([[1.0, 2.0], [1.0, 0.0], [0.0, 1.0]]))[0]
    array([1., 2.])
    """
    return getitem(packed, _EIGENVALUES), getitem(packed, _EIGENVECTORS)


def pack_eigen(w, v):
    """The inverse of `unpack_eigen`, written with scatter_add (its adjoint), so it packs tangents too.

    >>> pack_eigen(np.array([1.0, 2.0]), np.eye(2)).shape
    (3, 2)
    """
    shape = tuple(v.shape[:-2]) + (v.shape[-1] + 1, v.shape[-1])
    return scatter_add(w, _EIGENVALUES, shape) + scatter_add(v, _EIGENVECTORS, shape)


def gap_scaled(m, w, check, name="linalg.eigh", values="eigenvalues", vectors="eigenvectors"):
    """F * m, with F_ij = 1 / (w_j - w_i) off the diagonal and 0 on it (eigenvalues ``w`` real or complex; svd
    passes the squared singular values).

    Where two eigenvalues are equal F_ij is infinite: an entry m_ij == 0 there (no eigenvector tangent or
    cotangent in that direction, as when only the eigenvalues are used) gives 0, and any other entry gives
    inf (nan after the products that follow): the eigenvectors' derivative does not exist there, and PyTorch
    and JAX give inf/nan too. With ``check`` (the VJP, whose nonzero m means the eigenvectors are used) a
    warning names the repeated eigenvalues (and the function, ``name``, in its words for its ``values`` and
    ``vectors``); the JVP cannot know whether its eigenvector tangents will be used.

    >>> gap_scaled(np.ones((2, 2)), np.array([1.0, 3.0]), check=False)
    array([[ 0. ,  0.5],
           [-0.5,  0. ]])
    """
    eye = np.eye(w.shape[-1], dtype=np.finfo(w.dtype).dtype)
    gaps = _row(w) - _col(w)
    # 1 at the pairs of repeated eigenvalues, and there where m is not 0: masks made by op-library calls
    # (piecewise constant, no derivative), so they work on every traced value, batched ones included
    tied = (1 - eye) * (1.0 - sign(absolute(gaps)))  # (|.| first: complex gaps too)
    used = tied * sign(absolute(m))
    if check and type(used) is np.ndarray and used.any():
        i, j = sorted(np.argwhere(used)[0, -2:].tolist())
        warnings.warn(f"admodes.{name}: the {vectors}' derivative is undefined where {values} repeat "
                      f"({values} {i} and {j} are equal) and the {vectors}' cotangent is not zero: the "
                      f"gradient is inf/nan, as in PyTorch and JAX. Use the {values} only, or a function of the "
                      f"{vectors} that does not depend on the choice of basis of the repeated {values[:-1]}'s space",
                      RuntimeWarning, stacklevel=2)
    with np.errstate(divide="ignore", invalid="ignore"):  # (the inf is documented; warned of above)
        return (1 - eye) * m / where(tied - used + eye, 1.0, gaps)


def _eigh_jvp(t, ans):
    w, v = unpack_eigen(ans)
    m = mT(v) @ _sym(t) @ v
    with np.errstate(invalid="ignore"):  # an undefined eigenvector tangent is inf/nan, silently as in JAX
        dv = v @ gap_scaled(m, w, check=False)
    return pack_eigen(sum(m * np.eye(v.shape[-1], dtype=v.dtype), axis=-1), dv)


def _eigh_vjp(g, ans):
    w, v = unpack_eigen(ans)
    gw, gv = unpack_eigen(g)
    inner = _row(gw) * np.eye(v.shape[-1], dtype=v.dtype) + gap_scaled(mT(v) @ gv, w, check=True)
    return _sym(v @ inner @ mT(v))


_eigh = Primitive("linalg.eigh", _eigh_impl, public=False, short="Eigh",
                  doc="Eigenvalues and eigenvectors of sym(a), packed as one (..., n + 1, n) array.")
defrules(_eigh, jvp=lambda t, ans, a: _eigh_jvp(t, ans), vjp=lambda g, ans, a: _eigh_vjp(g, ans), saves="ans",
         batch=_native_batch_rule(_eigh), jet="nested_jvp", deps=dependencies.matrices(2))


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
    return EighResult(*unpack_eigen(_eigh(a)))
