"""Sparse Jacobians and Hessians: sparsity detection, coloring, and compressed derivatives (issue 18).

    >>> import numpy as np, admodes as ad
    >>> f = lambda x: x[1:] ** 2 - x[:-1]
    >>> ad.sparse_jacfwd(f)(np.arange(4.0)).toarray()
    array([[-1.,  2.,  0.,  0.],
           [ 0., -1.,  4.,  0.],
           [ 0.,  0., -1.,  6.]])
"""

from .tracer import Deps, hessian_sparsity, jacobian_sparsity

__all__ = ["Deps", "jacobian_sparsity", "hessian_sparsity"]
