"""Rule-test cases of the linear-algebra primitives (admodes/ops/linalg.py).

Matrices are drawn well conditioned (random + (n + 1) I), symmetric positive definite ones as B B^T + n I,
and symmetric ones with well-separated eigenvalues. Inputs of cholesky and eigh get an antisymmetric
part too: those ops read only the symmetric part, and the harness's tangents are not symmetric either.
"""

import numpy as np

from . import cases_decompositions
from .harness import Case


def _side(d, low=1, high=4):
    return d.integers(low, high, label="side")


def _batch(d, max_dims=2):
    return tuple(d.shape(min_dims=0, max_dims=max_dims, max_side=3))


def _square(d, batch, n):
    """Well-conditioned square matrices: entries in [-1, 1] plus n + 1 on the diagonal, so strictly
    diagonally dominant by at least 1 (every eigenvalue at least 1 from 0, by Gershgorin)."""
    return (d.array(batch + (n, n), -1.0, 1.0) + (n + 1) * np.eye(n)).astype(d.dtype)


def _antisymmetric(d, batch, n):
    r = d.array(batch + (n, n))
    return r - np.swapaxes(r, -1, -2)


def _distinct(d, shape):
    """Entries with distinct magnitudes at least 0.2 apart (and from 0), random signs: where max |x| has
    one winner that stays the winner within a finite-difference step."""
    size = int(np.prod(shape))
    magnitude = 0.3 + 0.25 * d.rng.permutation(size) + d.rng.uniform(0.0, 0.05, size)
    return (magnitude * d.rng.choice([-1.0, 1.0], size)).reshape(shape).astype(d.dtype)


# ---- products ---------------------------------------------------------------------------------------

def _matmul(d):
    batch_a, batch_b = d.broadcastable_shapes(2, max_dims=2, max_side=3)
    n, k, m = _side(d), _side(d), _side(d)
    return (d.array(batch_a + (n, k)), d.array(batch_b + (k, m))), {}


def _matmul_vector(which):
    def draw(d):
        batch, n, k = _batch(d), _side(d), _side(d)
        if which == "left":
            return (d.array((k,)), d.array(batch + (k, n))), {}
        if which == "right":
            return (d.array(batch + (n, k)), d.array((k,))), {}
        return (d.array((k,)), d.array((k,))), {}
    return draw


def _dot(d):
    nd_a, nd_b = d.integers(1, 3, label="ndim a"), d.integers(1, 3, label="ndim b")
    k = _side(d)
    a_shape = tuple(d.shape(min_dims=nd_a - 1, max_dims=nd_a - 1, max_side=3)) + (k,)
    b_shape = (k,) if nd_b == 1 else tuple(d.shape(min_dims=nd_b - 2, max_dims=nd_b - 2, max_side=3)) + (k, _side(d))
    return (d.array(a_shape), d.array(b_shape)), {}


def _dot_scalar(d):
    shape = d.shape(max_dims=3)
    pair = (d.array(()), d.array(shape))
    return (pair if d.choice([True, False], label="scalar first") else pair[::-1]), {}


def _inner(d):
    k = _side(d)
    a_shape = tuple(d.shape(min_dims=0, max_dims=2, max_side=3)) + (k,)
    b_shape = tuple(d.shape(min_dims=0, max_dims=2, max_side=3)) + (k,)
    return (d.array(a_shape), d.array(b_shape)), {}


def _outer(d):
    return (d.array(d.shape(max_dims=2)), d.array(d.shape(max_dims=2))), {}


def _tensordot_int(d):
    contracted = tuple(d.shape(min_dims=0, max_dims=2, max_side=3))
    a_free = tuple(d.shape(min_dims=0, max_dims=2, max_side=3))
    b_free = tuple(d.shape(min_dims=0, max_dims=2, max_side=3))
    return (d.array(a_free + contracted), d.array(contracted + b_free)), {"axes": len(contracted)}


def _tensordot_pairs(d):
    a_shape = tuple(d.shape(min_dims=2, max_dims=4, max_side=3))
    count = d.integers(1, 2, label="contracted")
    axes_a = [int(ax) for ax in d.rng.permutation(len(a_shape))[:count]]
    b_free = tuple(d.shape(min_dims=0, max_dims=2, max_side=3))
    b_order = d.rng.permutation(count + len(b_free))  # where each axis of b lands
    b_shape = [0] * (count + len(b_free))
    axes_b = []
    for i, n in enumerate([a_shape[ax] for ax in axes_a] + list(b_free)):
        b_shape[b_order[i]] = n
        if i < count:
            axes_b.append(int(b_order[i]) - len(b_shape) * d.choice([0, 1], label="negative"))
    return (d.array(a_shape), d.array(tuple(b_shape))), {"axes": (axes_a, axes_b)}


_EINSUMS = [  # subscripts, then a shape per operand (letters' sizes a=2, b=3, ...; "*" a batch of 2 then 1)
    ("ij,jk->ik", "ab", "bc"),
    ("ij,ij->", "ab", "ab"),
    ("ii->i", "cc", ),
    ("ii", "cc"),
    ("iij->j", "bba"),
    ("i,j->ij", "a", "c"),
    ("ij->ji", "ab"),
    ("ij->", "bc"),
    ("bij,bjk->bik", "cab", "cbd"),
    ("i,i", "c", "c"),
    ("ij,jk,kl->il", "ab", "bc", "ca"),
    ("...ij,...jk->...ik", "*ab", "bc"),
    ("...i,...i->...", "*c", "*c"),
    ("ij,kj", "ab", "cb"),
    ("ijk,k->i", "abc", "c"),
]
_SIZES = {"a": 2, "b": 3, "c": 4, "d": 2}


def _einsum(d):
    subscripts, *operands = d.choice(_EINSUMS, label="einsum")
    shapes = [tuple((2, 1) if c == "*" else (_SIZES[c],) for c in spec) for spec in operands]
    shapes = [tuple(n for part in shape for n in part) for shape in shapes]
    if operands[0].startswith("*") and len(shapes) > 1 and operands[1].startswith("*"):
        shapes[1] = (1, 3) + shapes[1][2:]  # the batch axes broadcast: (2, 1) against (1, 3)
    return tuple(d.array(s) for s in shapes), {"subscripts": subscripts}


def _trace(d):
    shape = tuple(d.shape(min_dims=2, max_dims=4, max_side=4))
    axis1, axis2 = (int(ax) for ax in d.rng.permutation(len(shape))[:2])
    if d.choice([True, False], label="negative axis"):
        axis1 -= len(shape)
    return (d.array(shape),), {"offset": d.integers(-2, 2, label="offset"), "axis1": axis1, "axis2": axis2}


# ---- numpy.linalg -----------------------------------------------------------------------------------

def _inv(d):
    return (_square(d, _batch(d), _side(d)),), {}


def _solve(d, vector):
    batch_a, batch_b = d.broadcastable_shapes(2, max_dims=2, max_side=3)
    n = _side(d)
    b = d.array((n,)) if vector else d.array(batch_b + (n, _side(d)))
    return (_square(d, batch_a, n), b), {}


def _signed_square(d):
    """Well-conditioned matrices whose determinant has either sign."""
    batch, n = _batch(d), _side(d)
    a = _square(d, batch, n)
    flip = np.where(d.rng.random(batch + (n, 1)) < 0.5, -1.0, 1.0)
    return (a * flip).astype(d.dtype)


def _rank_deficient(d):
    """Square matrices of rank n - 1 or n - 2 (det = 0; the cofactor matrix is nonzero at rank n - 1 only)."""
    batch, n = _batch(d), _side(d, 2, 5)
    rank = n - d.integers(1, 2, label="deficiency")
    left, right = d.array(batch + (n, rank)), d.array(batch + (rank, n))
    return (left @ right).astype(d.dtype)


def _det_hessian(a):
    def draw(d):
        m = a(d)
        return (m, d.array(m.shape[-2:])), {}
    return draw


def _det_derivative(a):
    """a with a stack of 1 to 3 directions on a new last axis (past n - 1 directions the result is 0)."""
    def draw(d):
        m = a(d)
        return (m, d.array(m.shape[-2:] + (d.integers(1, 3, label="directions"),))), {}
    return draw


def _spd_input(d):
    """A matrix whose symmetric part is positive definite, plus an antisymmetric part."""
    batch, n = _batch(d), _side(d)
    b = d.array(batch + (n, n), -1.0, 1.0)
    spd = b @ np.swapaxes(b, -1, -2) + n * np.eye(n)
    return (spd + 0.5 * _antisymmetric(d, batch, n)).astype(d.dtype)


def _symmetric_input(d):
    """A matrix whose symmetric part has eigenvalues at least 0.5 apart and eigenvectors with one clearly
    largest component each (the sign convention's pivot), plus an antisymmetric part."""
    batch, n = _batch(d), _side(d)
    w = np.cumsum(d.rng.uniform(0.5, 1.5, batch + (n,)), axis=-1) - n
    q, _ = np.linalg.qr(np.eye(n) + 0.15 * d.rng.standard_normal(batch + (n, n)))
    s = (q * w[..., None, :]) @ np.swapaxes(q, -1, -2)
    return (s + 0.5 * _antisymmetric(d, batch, n)).astype(d.dtype)


def _norm_default(d):
    return (d.away_from_zero(d.shape(max_dims=3)),), {}


def _norm_vector(d):
    shape = tuple(d.shape(min_dims=1, max_dims=3))
    ord = d.choice([None, 2, 1, np.inf, -np.inf], label="ord")
    axis = d.integers(-len(shape), len(shape) - 1, label="axis")
    if len(shape) == 1 and d.choice([True, False], label="axis None"):
        axis = None
    return (_distinct(d, shape),), {"ord": ord, "axis": axis, "keepdims": d.choice([False, True], label="keepdims")}


def _norm_matrix(d):
    shape = tuple(d.shape(min_dims=2, max_dims=3))
    axes = tuple(int(ax) for ax in d.rng.permutation(len(shape))[:2])
    params = {"ord": d.choice([None, "fro"], label="ord"), "axis": axes,
              "keepdims": d.choice([False, True], label="keepdims")}
    if len(shape) == 2 and d.choice([True, False], label="axis None"):
        params["axis"] = None
    return (d.away_from_zero(shape),), params


def _norm_at_zero(d):
    """2-norms along an axis where some slices are exactly zero: the derivative there is 0."""
    shape = tuple(d.shape(min_dims=2, max_dims=3))
    x = d.away_from_zero(shape)
    x[0] = 0.0
    return (x,), {"axis": -1, "ord": d.choice([None, 2], label="ord")}


CASES = [
    Case("matmul", _matmul),
    Case("matmul", _matmul_vector("left"), label="matmul-vector-left"),
    Case("matmul", _matmul_vector("right"), label="matmul-vector-right"),
    Case("matmul", _matmul_vector("both"), label="matmul-vectors"),
    Case("dot", _dot),
    Case("dot", _dot_scalar, label="dot-scalar"),
    Case("inner", _inner),
    Case("inner", _dot_scalar, label="inner-scalar"),
    Case("outer", _outer),
    Case("tensordot", _tensordot_int),
    Case("tensordot", _tensordot_pairs, label="tensordot-axis-pairs"),
    Case("einsum", _einsum),
    Case("trace", _trace),
    Case("linalg.inv", _inv),
    Case("linalg.solve", lambda d: _solve(d, vector=False)),
    Case("linalg.solve", lambda d: _solve(d, vector=True), label="linalg.solve-vector"),
    Case("linalg.det", lambda d: ((_signed_square(d),), {})),
    Case("linalg.det", lambda d: ((_rank_deficient(d),), {}), label="linalg.det-singular"),
    Case("linalg.cofactor", lambda d: ((_signed_square(d),), {})),
    Case("linalg.cofactor", lambda d: ((_rank_deficient(d),), {}), label="linalg.cofactor-singular"),
    Case("linalg.det_hessian", _det_hessian(_signed_square)),
    Case("linalg.det_hessian", _det_hessian(_rank_deficient), label="linalg.det_hessian-singular"),
    Case("linalg.det_derivative", _det_derivative(_signed_square)),
    Case("linalg.det_derivative", _det_derivative(_rank_deficient), label="linalg.det_derivative-singular"),
    Case("linalg.slogdet", lambda d: ((_signed_square(d),), {})),
    Case("linalg.slogdet_sign", lambda d: ((_signed_square(d),), {})),
    Case("linalg.norm", _norm_default),
    Case("linalg.norm", _norm_vector, label="linalg.norm-vector"),
    Case("linalg.norm", _norm_matrix, label="linalg.norm-matrix"),
    Case("linalg.norm", _norm_at_zero, label="linalg.norm-at-zero"),
    Case("linalg.cholesky", lambda d: ((_spd_input(d),), {"upper": d.choice([False, True], label="upper")})),
    Case("linalg.eigh", lambda d: ((_symmetric_input(d),), {})),
]

CASES += cases_decompositions.CASES  # (svd, qr, pinv: every op test reads this list)
