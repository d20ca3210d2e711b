"""The eigendecomposition of a general square matrix: numpy.linalg's eig and eigvals, real or complex input.

A V = V diag(w). With P = V^-1 dA V and F_ij = 1 / (w_j - w_i) off the diagonal (0 on it): dw = diag(P),
and dV = W + V diag(c) with W = V (F * P), where c keeps each eigenvector's normalization: unit norm, and
its largest-magnitude component real and positive (LAPACK makes it real; admodes also makes it positive,
as `eigh` does, so that the eigenvectors are continuous functions of A where the eigenvalues are distinct):
c_j = -Re(v_j^H w_j) - i Im(W_kj) / V_kj, k the row of the largest component. The VJP is the transpose of
that map in JAX's convention (no conjugation; see `admodes.ops.complex`); a real A gets its real part.

Results are always complex, as in JAX (NumPy gives real arrays when every eigenvalue happens to be real;
a dtype that depended on the values would make a derivative's dtype depend on them too). The eigenvalues'
derivative needs them distinct only where the eigenvectors are used: reverse mode warns, naming the
repeated pair, when an eigenvector cotangent meets them (their derivative is inf/nan there, as in JAX).

    >>> import numpy as np, admodes as ad, admodes.numpy as anp
    >>> a = np.array([[0.0, 1.0], [-2.0, -3.0]])        # eigenvalues -1 and -2
    >>> ad.grad(lambda a: anp.linalg.eigvals(a).real.sum())(a)   # d trace / dA = I
    array([[1., 0.],
           [0., 1.]])
"""

from collections import namedtuple

import numpy as np

from . import dependencies
from .complex import conjugate, imag, real
from .declare import defrules, nondifferentiable
from .elementwise import astype
from .linalg import gap_scaled, pack_eigen, solve, unpack_eigen
from .primitive import Primitive, register_function
from .products import mT
from .reductions import sum

__all__ = ["eig", "eigvals", "EigResult"]

EigResult = namedtuple("EigResult", ["eigenvalues", "eigenvectors"])

# The primitive returns w and V packed as one array of shape (..., n + 1, n), as eigh's: row 0 holds w, rows
# 1..n V (`linalg.unpack_eigen`).


def _eig_impl(a):
    a = np.asarray(a)
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise np.linalg.LinAlgError(f"eig needs square matrices in the last two axes, got shape {a.shape}")
    dtype = np.result_type(a.dtype, np.complex64)
    w, v = np.linalg.eig(a)
    w, v = w.astype(dtype, copy=False), v.astype(dtype, copy=False)
    largest = np.take_along_axis(v, np.argmax(np.abs(v), axis=-2, keepdims=True), axis=-2)
    v = v * (np.conj(largest) / np.abs(largest))  # its largest component real and positive
    return np.concatenate([w[..., None, :], v], axis=-2)


def _eye(v):
    return np.eye(v.shape[-1], dtype=np.finfo(v.dtype).dtype)  # (in v's precision: complex64 stays so)


def _largest_mask_impl(v):
    v = np.asarray(v)
    k = np.argmax(np.abs(v), axis=-2)[..., None, :]  # the first of tied components, as the impl's normalization
    return (np.arange(v.shape[-2])[:, None] == k).astype(np.finfo(v.dtype).dtype)


largest_mask = Primitive("linalg.eig_largest", _largest_mask_impl, public=False, short="EigLargest",
                         doc="1 at each column's largest-magnitude component (the first, if tied), else 0.")
nondifferentiable(largest_mask, batch=lambda args, batched: largest_mask(args[0]))


def _largest(v):
    """The mask of each column's largest-magnitude component (nondifferentiable), and that component (real)."""
    mask = largest_mask(v)
    return mask, sum(mask * real(v), axis=-2)


def _eig_jvp(t, ans, a):
    w, v = unpack_eigen(ans)
    p = solve(v, t @ v)
    dw = sum(p * _eye(v), axis=-1)
    with np.errstate(invalid="ignore"):  # an undefined eigenvector tangent is inf/nan, silently as in JAX
        wt = v @ gap_scaled(p, w, check=False, name="linalg.eig")
    mask, top = _largest(v)
    c = -real(sum(conjugate(v) * wt, axis=-2)) - 1j * (sum(mask * imag(wt), axis=-2) / top)
    return pack_eigen(dw, wt + v * c[..., None, :])


def _eig_vjp(g, ans, a):
    w, v = unpack_eigen(ans)
    gw, gv = unpack_eigen(g)
    c_bar = sum(v * gv, axis=-2)  # dV = W + V diag(c): the transposes, term by term (see the module docstring)
    mask, top = _largest(v)
    w_bar = gv - conjugate(v) * real(c_bar)[..., None, :] - 1j * (mask * (imag(c_bar) / top)[..., None, :])
    p_bar = gw[..., None, :] * _eye(v) + gap_scaled(mT(v) @ w_bar, w, check=True, name="linalg.eig")
    ct = solve(mT(v), p_bar @ mT(v))  # P = V^-1 dA V, transposed: V^-T P-bar V^T
    return ct if ct.dtype == a.dtype else astype(ct, a.dtype)


_eig = Primitive("linalg.eig", _eig_impl, public=False, short="Eig",
                 doc="Eigenvalues and eigenvectors of a, packed as one complex (..., n + 1, n) array.")


def _eig_batch(args, batched):
    return _eig(args[0])  # (the impl maps over leading axes)


defrules(_eig, jvp=_eig_jvp, vjp=_eig_vjp, saves=("ans", "a.shape"), batch=_eig_batch, complex="mixed",
         jet="nested_jvp", deps=dependencies.matrices(2))


@register_function("linalg.eig")
def eig(a):
    """Eigenvalues and right eigenvectors (columns) of the square matrix ``a``, as ``numpy.linalg.eig``, always
    complex; each eigenvector has unit norm and its largest-magnitude component real and positive.

    >>> w, v = eig(np.array([[2.0, 0.0], [0.0, 3.0]]))
    >>> w
    array([2.+0.j, 3.+0.j])
    """
    return EigResult(*unpack_eigen(_eig(a)))


@register_function("linalg.eigvals")
def eigvals(a):
    """The eigenvalues of the square matrix ``a``, as ``numpy.linalg.eigvals``, always complex.

    >>> eigvals(np.array([[0.0, -1.0], [1.0, 0.0]]))
    array([0.+1.j, 0.-1.j])
    """
    return unpack_eigen(_eig(a))[0]
