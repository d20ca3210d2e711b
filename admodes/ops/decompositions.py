"""Decompositions of any real matrix: ``numpy.linalg``'s svd (and svdvals), qr and pinv as primitives, and
lstsq and matrix_rank composed of them.

The formulas are the standard ones, written with admodes ops so that they differentiate again. Matrices
are the last two axes (m rows, n columns, k = min(m, n)); leading axes are batch axes.

- ``svd``, the reduced A = U diag(s) V^T (J. Townsend, "Differentiating the singular value decomposition",
  2016; JAX's svd JVP). With dS = U^T dA V and F_ij = 1 / (s_j^2 - s_i^2) off the diagonal, 0 on it:
  ds = diag(dS), dU = U (F * (dS S + S dS^T)) + (I - U U^T) dA V S^-1, dV = V (F * (S dS + dS^T S)) +
  (I - V V^T) dA^T U S^-1 (the last terms only where A is tall, resp. wide). Its adjoint:
  A-bar = U (diag(s-bar) + (J + J^T) S + S (K + K^T)) V^T + (I - U U^T) U-bar S^-1 V^T + U S^-1 V-bar^T
  (I - V V^T), J = F * (U^T U-bar), K = F * (V^T V-bar). The singular values' derivative needs no gap;
  the vectors' needs distinct singular values (and, for a non-square A, nonzero ones): where that fails
  it is inf/nan, as in PyTorch and JAX, and reverse mode warns naming the values.
- ``qr`` of a matrix of full column rank, m >= n, A = Q R (reduced): with C = Q^T dA R^-1 and
  Omega = tril(C, -1) - tril(C, -1)^T, dR = (C - Omega) R and dQ = dA R^-1 + Q (Omega - C); the adjoint is
  A-bar = (Q-bar + Q copyltu(D)) R^-T with D = R-bar R^T - Q^T Q-bar and copyltu(D) = triu(D) + tril(D^T, -1)
  (as PyTorch's). A wide matrix [X | Y] (m < n) is composed: X = Q U square, R = [U | Q^T Y].
- ``pinv`` P = A^+: dP = -P dA P + P P^T dA^T (I - A P) + (I - P A) dA^T P^T P (G. Golub and V. Pereyra,
  "The differentiation of pseudo-inverses", 1973): exact where A has full rank, and at a rank-deficient A
  the derivative along the matrices of A's rank (the pseudo-inverse jumps in any other direction), with the
  rank read as NumPy reads it (singular values above rcond times the largest). As JAX's pinv.

Two sign conventions make the factors continuous functions of A, which their derivatives need anyway:
each left singular vector's largest-magnitude component is positive (its right one flipped with it), and
R's diagonal is nonnegative. NumPy leaves both signs to LAPACK: U diag(s) V^T, Q R, |U| and |Q| are NumPy's.

The reverse engine records one output per node, so ``linalg.svd``'s primitive packs U, s and V into one
(..., m + 1 + n, k) array and ``linalg.qr``'s Q and R into one (..., m + n, n) array, which the public
functions slice (as `linalg.eigh` does).

>>> s = svdvals(np.array([[3.0, 0.0], [0.0, -4.0]]))
>>> s
array([4., 3.])
"""

import warnings
from collections import namedtuple

import numpy as np

from .declare import defrules
from .elementwise import absolute, sign, where
from .indexing import getitem, scatter_add
from .joining import concatenate
from .linalg import gap_scaled, solve
from .primitive import Primitive, Traced, register_function, shape_of
from .products import matmul, mT
from .reductions import sum

__all__ = []  # (the public functions are reached through the registry: admodes.numpy.linalg)

SVDResult = namedtuple("SVDResult", ["U", "S", "Vh"])
QRResult = namedtuple("QRResult", ["Q", "R"])
_SVD_WORDS = {"name": "linalg.svd", "values": "singular values", "vectors": "singular vectors"}


def _native_batch(prim):
    """Batch rule of an op on the last two axes that maps over leading axes itself."""
    return lambda args, batched, **params: prim(*args, **params)


def _checked_matrix(a, who):
    """a's shape, after the checks every function here makes: at least two axes, real."""
    shape = shape_of(a)
    if len(shape) < 2:
        raise np.linalg.LinAlgError(f"{who}: a must have at least two axes (a matrix, or a stack of them), "
                                    f"got shape {shape}")
    dtype = getattr(a, "dtype", None)
    if dtype is not None and np.dtype(dtype).kind == "c":
        raise TypeError(f"{who}: complex input ({np.dtype(dtype)}) is not supported (admodes differentiates "
                        "real matrices here)")
    return shape


def _values_of(x):
    """The plain value of ``x``, for a decision that carries no derivative (a rank, a cut-off)."""
    from ..arraylike import value  # (the engines import the op library: imported here, at call time)
    return value(x)


def _row(v):
    return v[..., None, :]


def _col(v):
    return v[..., :, None]


def _packed(parts, rows, shape):
    """Matrices stacked along the second-to-last axis into one array of ``shape``, by scatter_add (getitem's
    adjoint): ``rows[i]`` is the slice of rows (or the row) part i fills."""
    total = None
    for part, where_ in zip(parts, rows):
        placed = scatter_add(part, (Ellipsis, where_, slice(None)), shape)
        total = placed if total is None else total + placed
    return total


# ====================================================================================================
# svd
# ====================================================================================================

def _svd_impl(a):
    if a.shape[-2] == 0 or a.shape[-1] == 0:
        raise np.linalg.LinAlgError(f"linalg.svd: a has an empty axis (shape {a.shape})")
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    largest = np.take_along_axis(u, np.argmax(np.abs(u), axis=-2, keepdims=True), axis=-2)
    flip = np.where(largest < 0, -1, 1).astype(u.dtype)
    return np.concatenate([u * flip, s[..., None, :], np.swapaxes(vh, -1, -2) * flip], axis=-2)


def _svd_rows(m):
    return slice(0, m), m, slice(m + 1, None)


def _svd_unpack(packed, m):
    """U, s, V from the packed (..., m + 1 + n, k) array."""
    return tuple(getitem(packed, (Ellipsis, rows, slice(None))) for rows in _svd_rows(m))


def _over_singular_values(x, s, check):
    """x S^-1 (column j divided by s_j). Where s_j is 0 an entry x_ij == 0 gives 0 and any other inf: the
    singular vectors of a non-square matrix have no derivative there (a VJP, ``check``, warns)."""
    zero = 1.0 - absolute(sign(_row(s)))
    used = zero * absolute(sign(x))
    if check and type(used) is np.ndarray and used.any():
        j = int(np.argwhere(used)[0, -1])
        warnings.warn(f"admodes.linalg.svd: singular value {j} is 0 and the singular vectors' cotangent is not "
                      "zero: the singular vectors of a non-square matrix have no derivative there, and the gradient "
                      "is inf/nan, as in PyTorch and JAX. Use the singular values only", RuntimeWarning, stacklevel=2)
    with np.errstate(divide="ignore", invalid="ignore"):
        return x / where(zero - used, 1.0, _row(s))


def _svd_jvp(t, ans, a):
    m, n = a.shape[-2:]
    u, s, v = _svd_unpack(ans, m)
    eye = np.eye(s.shape[-1], dtype=s.dtype)
    ds = mT(u) @ t @ v
    squares = s * s
    with np.errstate(invalid="ignore"):  # an undefined singular vector tangent is inf/nan, silently as in JAX
        du = u @ gap_scaled(ds * _row(s) + _col(s) * mT(ds), squares, check=False)
        dv = v @ gap_scaled(_col(s) * ds + mT(ds) * _row(s), squares, check=False)
        if m > n:
            tv = t @ v
            du = du + _over_singular_values(tv - u @ (mT(u) @ tv), s, check=False)
        if n > m:
            tu = mT(t) @ u
            dv = dv + _over_singular_values(tu - v @ (mT(v) @ tu), s, check=False)
    shape = tuple(du.shape[:-2]) + (m + 1 + n, s.shape[-1])
    return _packed((du, sum(ds * eye, axis=-1), dv), _svd_rows(m), shape)


def _svd_vjp(g, ans, a):
    m, n = a.shape[-2:]
    u, s, v = _svd_unpack(ans, m)
    gu, gs, gv = _svd_unpack(g, m)
    squares = s * s
    j = gap_scaled(mT(u) @ gu, squares, check=True, **_SVD_WORDS)
    k = gap_scaled(mT(v) @ gv, squares, check=True, **_SVD_WORDS)
    with np.errstate(invalid="ignore"):  # (an undefined derivative's inf turns nan: warned of above)
        inner = _row(gs) * np.eye(s.shape[-1], dtype=s.dtype) + (j + mT(j)) * _row(s) + _col(s) * (k + mT(k))
        out = u @ inner @ mT(v)
        if m > n:
            out = out + _over_singular_values(gu - u @ (mT(u) @ gu), s, check=True) @ mT(v)
        if n > m:
            out = out + u @ mT(_over_singular_values(gv - v @ (mT(v) @ gv), s, check=True))
    return out


_svd = Primitive("linalg.svd", _svd_impl, public=False, short="Svd",
                 doc="The reduced SVD of a, packed as one (..., m + 1 + n, k) array: rows U, s, V.")
defrules(_svd, jvp=_svd_jvp, vjp=_svd_vjp, saves=("ans", "a.shape"), batch=_native_batch(_svd))


@register_function("linalg.svd")
def svd(a, full_matrices=True, compute_uv=True, hermitian=False):
    """The singular value decomposition ``a = U diag(S) Vh``, as ``numpy.linalg.svd`` (S descending; only S
    with ``compute_uv=False``). ``hermitian=True`` reads ``a`` as its symmetric part.

    Each column of U has its largest-magnitude entry positive (Vh's row flipped with it), so U and Vh are
    continuous where the singular values are distinct. The full U (or Vh) of a non-square matrix has columns
    that are any basis of a complement, with no derivative: differentiating it is refused (as JAX does); pass
    ``full_matrices=False``. Singular values: derivative everywhere (no gap needed); singular vectors: where
    the singular values are distinct (and nonzero, for a non-square matrix), else inf/nan with a warning.

    >>> u, s, vh = svd(np.array([[0.0, 2.0], [1.0, 0.0]]))
    >>> s, u @ np.diag(s) @ vh
    (array([2., 1.]), array([[0., 2.],
           [1., 0.]]))
    """
    m, n = _checked_matrix(a, "linalg.svd")[-2:]
    if hermitian:
        a = (a + mT(a)) * 0.5
    if compute_uv and full_matrices and m != n:
        if isinstance(a, Traced):
            raise NotImplementedError(
                f"linalg.svd: full_matrices=True of a {m}x{n} matrix: the last {abs(m - n)} columns of "
                f"{'U' if m > n else 'Vh^T'} are any orthonormal basis of a complement and have no derivative; "
                "pass full_matrices=False (as JAX requires)")
        return np.linalg.svd(a, full_matrices=True)
    u, s, v = _svd_unpack(_svd(a), m)
    return SVDResult(u, s, mT(v)) if compute_uv else s


@register_function("linalg.svdvals")
def svdvals(x, /):
    """The singular values of ``x``, descending, as ``numpy.linalg.svdvals``. Their derivative needs no gap
    between them: where two are equal it is one of the sorted values' one-sided derivatives, and where one
    is 0 a subgradient (a singular value is an absolute value there), as in PyTorch and JAX.

    >>> svdvals(np.array([[0.0, 2.0], [1.0, 0.0]]))
    array([2., 1.])
    """
    return svd(x, compute_uv=False)


# ====================================================================================================
# qr
# ====================================================================================================

def _qr_impl(a):
    m, n = a.shape[-2:]
    if m < n:
        raise ValueError(f"linalg.qr's primitive takes m >= n, not a {m}x{n} matrix (linalg.qr composes the rest)")
    q, r = np.linalg.qr(a)
    flip = np.where(np.diagonal(r, axis1=-2, axis2=-1) < 0, -1, 1).astype(r.dtype)
    return np.concatenate([q * flip[..., None, :], r * flip[..., :, None]], axis=-2)


def _qr_unpack(packed, m):
    return getitem(packed, (Ellipsis, slice(0, m), slice(None))), getitem(packed, (Ellipsis, slice(m, None),
                                                                                   slice(None)))


def _qr_jvp(t, ans, a):
    m, n = a.shape[-2:]
    q, r = _qr_unpack(ans, m)
    x = mT(solve(mT(r), mT(t)))  # dA R^-1
    c = mT(q) @ x
    lower = c * np.tri(n, k=-1, dtype=r.dtype)
    omega = lower - mT(lower)
    dq, dr = x + q @ (omega - c), (c - omega) @ r
    return _packed((dq, dr), (slice(0, m), slice(m, None)), tuple(dq.shape[:-2]) + (m + n, n))


def _qr_vjp(g, ans, a):
    m, n = a.shape[-2:]
    q, r = _qr_unpack(ans, m)
    gq, gr = _qr_unpack(g, m)
    d = gr @ mT(r) - mT(q) @ gq
    strict = np.tri(n, k=-1, dtype=r.dtype)
    return mT(solve(r, mT(gq + q @ (d * (1 - strict) + mT(d) * strict))))  # (...) R^-T


_qr = Primitive("linalg.qr", _qr_impl, public=False, short="Qr",
                doc="The reduced QR of a (m >= n) with R's diagonal nonnegative, packed as one (..., m + n, n) "
                    "array: rows Q, then R.")
defrules(_qr, jvp=_qr_jvp, vjp=_qr_vjp, saves=("ans", "a.shape"), batch=_native_batch(_qr))


def _qr_reduced(a, m, n):
    """Q (m x k) and R (k x n) of the reduced QR: the primitive's for m >= n; for a wide [X | Y], X = Q U
    (square) and R = [U | Q^T Y], which is NumPy's R up to the signs of its rows."""
    if m >= n:
        return _qr_unpack(_qr(a), m)
    x, y = getitem(a, (Ellipsis, slice(None), slice(0, m))), getitem(a, (Ellipsis, slice(None), slice(m, None)))
    q, u = _qr_unpack(_qr(x), m)
    return q, concatenate([u, mT(q) @ y], axis=-1)


@register_function("linalg.qr")
def qr(a, mode="reduced"):
    """The QR decomposition ``a = Q R`` (Q with orthonormal columns, R upper triangular), as
    ``numpy.linalg.qr`` with mode 'reduced', 'complete' or 'r' (R alone); R's diagonal is nonnegative (NumPy
    leaves its signs to LAPACK). Differentiable where ``a``'s first min(m, n) columns are independent. The
    complete Q of a tall matrix has columns that are any basis of a complement, with no derivative, and mode
    'raw' is LAPACK's internal form: both are refused on traced values.

    >>> q, r = qr(np.array([[3.0, 1.0], [4.0, 2.0]]))
    >>> r
    array([[5. , 2.2],
           [0. , 0.4]])
    """
    m, n = _checked_matrix(a, "linalg.qr")[-2:]
    if mode not in ("reduced", "complete", "r", "raw"):
        raise ValueError(f"linalg.qr: unrecognized mode {mode!r} (use 'reduced', 'complete', 'r' or 'raw')")
    if mode == "raw" or (mode == "complete" and m > n):
        if isinstance(a, Traced):
            raise NotImplementedError(
                f"linalg.qr: mode={mode!r} of a {m}x{n} matrix is not differentiable "
                + ("(LAPACK's Householder form)" if mode == "raw" else
                   f"(Q's last {m - n} columns are any basis of a complement)") + "; use mode='reduced'")
        return np.linalg.qr(a, mode)
    q, r = _qr_reduced(a, m, n)
    return r if mode == "r" else QRResult(q, r)


# ====================================================================================================
# pinv, lstsq, matrix_rank
# ====================================================================================================

def _pinv_impl(a, rcond=None, rtol=None):
    return np.linalg.pinv(a, rcond) if rtol is None else np.linalg.pinv(a, rtol=rtol)


def _pinv_jvp(t, p, a):
    """-P dA P + P P^T dA^T (I - A P) + (I - P A) dA^T P^T P, with no identity formed."""
    w = p @ (mT(p) @ mT(t))
    z = mT(t) @ (mT(p) @ p)
    return -(p @ t @ p) + (w - (w @ a) @ p) + (z - p @ (a @ z))


def _pinv_vjp(g, p, a):
    """-P^T G P^T + (I - A P) G^T P P^T + P^T P G^T (I - P A): the JVP's adjoint."""
    y = mT(g) @ (p @ mT(p))
    z = (mT(p) @ p) @ mT(g)
    return -(mT(p) @ g @ mT(p)) + (y - a @ (p @ y)) + (z - (z @ p) @ a)


_pinv = Primitive("linalg.pinv", _pinv_impl, public=False, short="Pinv",
                  doc="The Moore-Penrose pseudo-inverse of a (``numpy.linalg.pinv``'s cut-offs rcond or rtol).")
defrules(_pinv, jvp=lambda t, ans, a, rcond=None, rtol=None: _pinv_jvp(t, ans, a),
         vjp=lambda g, ans, a, rcond=None, rtol=None: _pinv_vjp(g, ans, a), saves=("ans", "a"),
         batch=_native_batch(_pinv))


@register_function("linalg.pinv")
def pinv(a, rcond=None, hermitian=False, *, rtol=None):
    """The Moore-Penrose pseudo-inverse of ``a``, as ``numpy.linalg.pinv`` (singular values at most
    ``rcond`` (or ``rtol``) times the largest count as 0; ``hermitian=True`` reads ``a`` as its symmetric
    part). Its derivative (Golub and Pereyra's) is exact where ``a`` has full rank; at a rank-deficient ``a``,
    where the pseudo-inverse is not continuous, it is the derivative along the matrices of ``a``'s rank,
    as in JAX.

    >>> pinv(np.array([[2.0], [0.0]]))
    array([[0.5, 0. ]])
    """
    _checked_matrix(a, "linalg.pinv")
    if rcond is not None and rtol is not None:
        raise ValueError("linalg.pinv: pass rcond or rtol, not both")
    if hermitian:
        a = (a + mT(a)) * 0.5
    return _pinv(a, rcond, rtol)


def _rank_of(s, cutoff):
    """How many of the singular values s (descending, last axis; plain) exceed ``cutoff`` times the largest."""
    return np.sum(s > cutoff * s[..., :1], axis=-1)


@register_function("linalg.lstsq")
def lstsq(a, b, rcond=None):
    """The least-squares solution x of ``a x = b`` of least norm, with the residuals, the rank and the
    singular values of ``a``, as ``numpy.linalg.lstsq`` (``a`` 2-D; ``b`` 1-D or 2-D; ``rcond`` None is
    machine precision times max(m, n)). x is ``pinv(a, rcond) @ b``, so its derivative is pinv's (exact at
    full rank; along the matrices of ``a``'s rank otherwise); the residuals (the squared norms of b - a x
    when the rank is n < m, else empty) and the singular values are differentiable too, the rank is an int.

    >>> x, residuals, rank, sv = lstsq(np.array([[1.0], [1.0]]), np.array([1.0, 3.0]))
    >>> x, residuals, int(rank)
    (array([2.]), array([2.]), 1)
    """
    shape, b_shape = _checked_matrix(a, "linalg.lstsq"), shape_of(b)
    if len(shape) != 2 or len(b_shape) not in (1, 2) or b_shape[0] != shape[0]:
        raise np.linalg.LinAlgError(f"linalg.lstsq: a must be 2-D and b 1-D or 2-D with as many rows, got shapes "
                                    f"{shape} and {b_shape}")
    m, n = shape
    if rcond is None:
        rcond = np.finfo(np.result_type(getattr(a, "dtype", float), np.float32)).eps * max(m, n)
    sv = svdvals(a)
    try:
        rank = _rank_of(_values_of(sv), rcond)
    except TypeError as error:  # a batched a (vmap): no plain value, and the rank may differ per matrix
        raise TypeError("linalg.lstsq: the rank (and the residuals' shape) depends on each matrix's values, "
                        "which vmap does not have one of; under vmap use pinv(a) @ b") from error
    x = matmul(pinv(a, rcond), b)
    if rank == n and m > n:
        residuals = sum((matmul(a, x) - b) ** 2, axis=0)
        residuals = residuals[None] if len(b_shape) == 1 else residuals
    else:
        residuals = np.empty((0,), np.result_type(getattr(x, "dtype", float)))
    return x, residuals, np.int32(rank), sv


def matrix_rank(A, tol=None, hermitian=False, *, rtol=None):
    """The rank of ``A`` (of each matrix of a stack), as ``numpy.linalg.matrix_rank``: an integer, computed
    on the values (no derivative).

    >>> int(matrix_rank(np.array([[1.0, 2.0], [2.0, 4.0]])))
    1
    """
    return np.linalg.matrix_rank(_values_of(A), tol=_values_of(tol), hermitian=hermitian, rtol=_values_of(rtol))


matrix_rank.no_derivative = True  # (the function table says so)
register_function("linalg.matrix_rank")(matrix_rank)
