"""Sparse Jacobians and Hessians: sparsity detection, coloring, and compressed derivatives (issue 18).

- `jacobian_sparsity`, `hessian_sparsity`: the pattern, from one run of f on index sets (`tracer`, `rules`);
- `coloring`: which columns (rows) one sweep carries together (`coloring`); `bicoloring`: a split of the
  entries between forward and reverse sweeps (an arrowhead: 3 sweeps instead of p);
- `sparse_jacfwd`, `sparse_jacrev`, `sparse_jacobian`, `sparse_hessian`: SciPy sparse derivatives at one
  batched sweep per color (`compressed`);
- `color_advice`: what compression would buy for a function, in each direction (`advice`);
- experiment C9: ``python -m admodes.sparse.experiment --out DIR`` (`experiment`).

    >>> import numpy as np, admodes as ad
    >>> f = lambda x: x[1:] ** 2 - x[:-1]
    >>> ad.sparse_jacfwd(f)(np.arange(4.0)).toarray()
    array([[-1.,  2.,  0.,  0.],
           [ 0., -1.,  4.,  0.],
           [ 0.,  0., -1.,  6.]])
"""

from .advice import ColorAdvice, color_advice
from .bicoloring import Bicoloring, bicoloring
from .coloring import Coloring, coloring, star_recovery
from .compressed import (
    CompressionWarning,
    SparseHessian,
    SparseJacobian,
    sparse_hessian,
    sparse_jacfwd,
    sparse_jacobian,
    sparse_jacrev,
)
from .tracer import Deps, hessian_sparsity, jacobian_sparsity

__all__ = ["Deps", "jacobian_sparsity", "hessian_sparsity", "Coloring", "coloring", "star_recovery", "Bicoloring",
           "bicoloring",
           "SparseJacobian", "SparseHessian", "sparse_jacfwd", "sparse_jacrev", "sparse_jacobian", "sparse_hessian",
           "CompressionWarning", "ColorAdvice", "color_advice"]
