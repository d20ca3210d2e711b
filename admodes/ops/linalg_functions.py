"""``numpy.linalg``'s functions composed of the linear-algebra primitives, which differentiate through
their parts: `norm` for the orders its primitive does not take (p-norms of vectors, the 1- and inf-norms of
matrices), `vector_norm`, `matrix_norm`, `eigvalsh`, `multi_dot`, `matrix_power`, `tensorinv`,
`tensorsolve`, `cond`, and the array API's names of functions admodes has (`linalg.outer`, `linalg.trace`
over the last two axes, ...). The decompositions (svd, qr, pinv, lstsq) are in `decompositions`.

>>> float(norm(np.array([3.0, 4.0]), 1))
7.0
"""

import math

import numpy as np

from .decompositions import svdvals
from .elementwise import absolute, power, sign
from .layout import checked_axis, cross, diagonal, matrix_transpose
from .linalg import eigh, inv, solve
from .linalg import norm as _norm
from .primitive import ndim_of, register_function, shape_of
from .products import matmul, outer, tensordot
from .products import trace as _trace
from .reductions import max, min, sum
from .shape import broadcast_to, moveaxis, reshape
from .statistics import vecdot

__all__ = []  # (every function below is reached through the registry: admodes.numpy.linalg)

_SINGULAR_VALUE_ORDS = (2, -2, "nuc")


def _vector_p_norm(x, ord, axis, keepdims):
    """The p-norm over one ``axis``: sum(|x|^p)^(1/p), and ord 0 (the count of nonzeros, no derivative)."""
    if ord == 0:
        return sum(absolute(sign(x)), axis=axis, keepdims=keepdims)
    return power(sum(power(absolute(x), float(ord)), axis=axis, keepdims=keepdims), 1.0 / ord)


def _matrix_order_norm(x, ord, axes, keepdims):
    """The 1-norm (largest column sum of |x|), the inf-norm (largest row sum) and -1, -inf (smallest)."""
    row, col = axes
    summed_over, then = (row, col) if abs(ord) == 1 else (col, row)
    sums = sum(absolute(x), axis=summed_over, keepdims=True)
    out = (max if ord > 0 else min)(sums, axis=then, keepdims=True)
    if keepdims:
        return out
    return reshape(out, tuple(n for i, n in enumerate(shape_of(x)) if i not in axes))


def _singular_value_norm(x, ord, axes, keepdims):
    """The matrix norms of the singular values s of the matrices over ``axes``: 2 is the largest, -2 the
    smallest, 'nuc' their sum (through `svdvals`: differentiable everywhere, a subgradient where values tie)."""
    s = svdvals(moveaxis(x, axes, (-2, -1)))
    out = s[..., 0] if ord == 2 else s[..., -1] if ord == -2 else sum(s, axis=-1)
    if keepdims:
        return reshape(out, tuple(1 if i in axes else n for i, n in enumerate(shape_of(x))))
    return out


@register_function("linalg.norm")
def norm(x, ord=None, axis=None, keepdims=False):
    """The norm of ``x``, as ``numpy.linalg.norm``: of a vector, ord None or 2, 1, inf, -inf (the primitive
    `ops.linalg.norm`), any other p (sum(|x|^p)^(1/p)) and 0 (the count of nonzeros, derivative zero); of a
    matrix, None or 'fro' (the primitive), 1, -1, inf, -inf (largest or smallest column or row sum, ties
    splitting the derivative as `max`), and 2, -2, 'nuc' (the largest, smallest and sum of the singular
    values, `svdvals`).

    >>> float(norm(np.array([[1.0, -2.0], [3.0, 4.0]]), np.inf))
    7.0
    """
    if ord is None or ord == "fro":  # the primitive's, without asking x its shape (a batched value may not know)
        return _norm(x, ord, axis, keepdims)
    n = ndim_of(x)
    if axis is None:
        axis = 0 if n == 1 else (0, 1) if n == 2 else None
    if axis is not None:
        axes = (checked_axis(axis, n),) if np.ndim(axis) == 0 else tuple(checked_axis(a, n) for a in axis)
    else:
        axes = None
    if axes is not None and len(axes) == 1 and ord not in (None, 2, 1, np.inf, -np.inf):
        if isinstance(ord, str):
            raise ValueError(f"linalg.norm: invalid norm order {ord!r} for vectors")
        return _vector_p_norm(x, ord, axes[0], keepdims)
    if axes is not None and len(axes) == 2:
        if ord in _SINGULAR_VALUE_ORDS:
            return _singular_value_norm(x, ord, axes, keepdims)
        if ord in (1, -1, np.inf, -np.inf):
            return _matrix_order_norm(x, ord, axes, keepdims)
    return _norm(x, ord, axis, keepdims)


@register_function("linalg.vector_norm")
def vector_norm(x, /, *, axis=None, keepdims=False, ord=2):
    """The vector ``ord``-norm over ``axis`` (all axes by default, or a tuple of them, as one vector), as
    ``numpy.linalg.vector_norm``.

    >>> float(vector_norm(np.array([[3.0], [4.0]])))
    5.0
    """
    shape = shape_of(x)
    axes = tuple(range(len(shape))) if axis is None else (axis,) if np.ndim(axis) == 0 else tuple(axis)
    axes = tuple(checked_axis(a, len(shape)) for a in axes)
    rest = [i for i in range(len(shape)) if i not in axes]
    flat = reshape(moveaxis(x, axes, tuple(range(-len(axes), 0))), tuple(shape[i] for i in rest) + (-1,))
    out = norm(flat, ord, -1)
    if keepdims:
        out = reshape(out, tuple(1 if i in axes else n for i, n in enumerate(shape)))
    return out


@register_function("linalg.matrix_norm")
def matrix_norm(x, /, *, keepdims=False, ord="fro"):
    """The matrix ``ord``-norm over the last two axes, as ``numpy.linalg.matrix_norm``.

    >>> float(matrix_norm(np.eye(2), ord=1))
    1.0
    """
    return norm(x, ord, (-2, -1), keepdims)


@register_function("linalg.eigvalsh")
def eigvalsh(a, UPLO="L"):
    """The eigenvalues (ascending) of the symmetric matrix ``a`` (read as (a + a^T) / 2), as
    ``numpy.linalg.eigvalsh``: `eigh`'s, whose derivative exists everywhere.

    >>> eigvalsh(np.array([[2.0, 1.0], [1.0, 2.0]]))
    array([1., 3.])
    """
    return eigh(a, UPLO).eigenvalues


@register_function("linalg.multi_dot")
def multi_dot(arrays, *, out=None):
    """The product of the matrices in ``arrays``, the first and last may be vectors, as
    ``numpy.linalg.multi_dot`` (multiplied left to right).

    >>> float(multi_dot([np.ones(2), np.eye(2), np.ones(2)]))
    2.0
    """
    if out is not None:
        raise TypeError("linalg.multi_dot: out= is not differentiable; use the result")
    if len(arrays) < 2:
        raise ValueError("linalg.multi_dot: expecting at least two arrays")
    result = arrays[0]
    for a in arrays[1:]:
        result = matmul(result, a)
    return result


@register_function("linalg.matrix_power")
def matrix_power(a, n):
    """``a`` multiplied by itself ``n`` times (by repeated squaring; the inverse for n < 0; the identity for
    0), as ``numpy.linalg.matrix_power``.

    >>> matrix_power(np.array([[1.0, 1.0], [0.0, 1.0]]), 3)
    array([[1., 3.],
           [0., 1.]])
    """
    if not isinstance(n, (int, np.integer)):
        raise TypeError("linalg.matrix_power: the exponent must be an integer")
    shape = shape_of(a)
    if len(shape) < 2 or shape[-1] != shape[-2]:
        raise np.linalg.LinAlgError(f"linalg.matrix_power: the last two axes must be square, got shape {shape}")
    if n == 0:
        return broadcast_to(np.eye(shape[-1], dtype=np.result_type(a, np.float32)), shape)
    base = inv(a) if n < 0 else a
    n, result = abs(int(n)), None
    while n:
        if n & 1:
            result = base if result is None else matmul(result, base)
        n >>= 1
        if n:
            base = matmul(base, base)
    return result


@register_function("linalg.cond")
def cond(x, p=None):
    """The condition number of ``x`` in the norm ``p``, as ``numpy.linalg.cond``: for p None or 2 the ratio
    of the largest singular value to the smallest (the smallest to the largest for -2; any matrix shape),
    for 'fro', 1, -1, inf, -inf ||x|| ||x^-1|| (square x). Differentiable through `svdvals` or `inv`.

    >>> float(cond(np.array([[2.0, 0.0], [0.0, 1.0]]), 1)), float(cond(np.array([[2.0, 0.0], [0.0, 0.5]])))
    (2.0, 4.0)
    """
    if p in (None, 2, -2):
        s = svdvals(x)
        largest, smallest = s[..., 0], s[..., -1]
        with np.errstate(divide="ignore"):  # a singular x: inf, as NumPy's
            return largest / smallest if p != -2 else smallest / largest
    return norm(x, p, (-2, -1)) * norm(inv(x), p, (-2, -1))


@register_function("linalg.trace")
def trace(x, /, *, offset=0, dtype=None):
    """The sums of the diagonals ``offset`` of the matrices in the last two axes, as ``numpy.linalg.trace``.

    >>> float(trace(np.eye(3)))
    3.0
    """
    return _trace(x, offset, -2, -1)


@register_function("linalg.diagonal")
def linalg_diagonal(x, /, *, offset=0):
    """The diagonals ``offset`` of the matrices in the last two axes, as ``numpy.linalg.diagonal``.

    >>> linalg_diagonal(np.eye(2))
    array([1., 1.])
    """
    return diagonal(x, offset, -2, -1)


@register_function("linalg.cross")
def linalg_cross(x1, x2, /, *, axis=-1):
    """The cross product of 3-vectors along ``axis``, as ``numpy.linalg.cross``.

    >>> linalg_cross(np.array([0.0, 1.0, 0.0]), np.array([0.0, 0.0, 1.0]))
    array([1., 0., 0.])
    """
    if shape_of(x1)[axis] != 3 or shape_of(x2)[axis] != 3:
        raise ValueError("linalg.cross: both inputs must be 3-vectors along axis")
    return cross(x1, x2, axis=axis)


@register_function("linalg.outer")
def linalg_outer(x1, x2, /):
    """The outer product of two vectors, as ``numpy.linalg.outer`` (1-D inputs only).

    >>> linalg_outer(np.array([1.0, 2.0]), np.array([3.0]))
    array([[3.],
           [6.]])
    """
    if ndim_of(x1) != 1 or ndim_of(x2) != 1:
        raise ValueError("linalg.outer: the inputs must be 1-D")
    return outer(x1, x2)


@register_function("linalg.tensorinv")
def tensorinv(a, ind=2):
    """The inverse of ``a`` read as a matrix of its first ``ind`` axes by the others, as
    ``numpy.linalg.tensorinv``: `inv` of the reshaped array (shape ``a.shape[ind:] + a.shape[:ind]``).

    >>> tensorinv(np.eye(4).reshape(4, 2, 2), ind=1).shape
    (2, 2, 4)
    """
    shape = shape_of(a)
    if ind <= 0:
        raise ValueError("linalg.tensorinv: ind must be a positive integer")
    rows, cols = math.prod(shape[:ind]), math.prod(shape[ind:])
    if rows != cols:
        raise np.linalg.LinAlgError(f"linalg.tensorinv: a of shape {shape} with ind={ind} is not square")
    return reshape(inv(reshape(a, (rows, cols))), shape[ind:] + shape[:ind])


@register_function("linalg.tensorsolve")
def tensorsolve(a, b, axes=None):
    """x with tensordot(a, x, x.ndim) = b, as ``numpy.linalg.tensorsolve`` (``axes``: a's axes to move to the
    end first): `solve` of the reshaped arrays.

    >>> tensorsolve(np.eye(6).reshape(6, 2, 3), np.ones(6)).shape
    (2, 3)
    """
    if axes is not None:
        n = ndim_of(a)
        axes = [checked_axis(ax, n) for ax in axes]
        a = moveaxis(a, axes, list(range(n - len(axes), n)))
    shape, b_size = shape_of(a), math.prod(shape_of(b))
    x_shape = shape[ndim_of(b):]
    if math.prod(x_shape) != b_size:
        raise np.linalg.LinAlgError(f"linalg.tensorsolve: a of shape {shape} is not square for b of shape "
                                    f"{shape_of(b)}")
    return reshape(solve(reshape(a, (b_size, b_size)), reshape(b, (b_size,))), x_shape)


register_function("linalg.matmul")(matmul)
register_function("linalg.tensordot")(tensordot)
register_function("linalg.vecdot")(vecdot)
register_function("linalg.matrix_transpose")(matrix_transpose)
