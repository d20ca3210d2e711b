"""Linear algebra: dot, matmul, inner, outer, tensordot, einsum, trace, and numpy.linalg's inv, solve,
det, slogdet, norm, cholesky, eigh."""
