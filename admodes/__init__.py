"""admodes: forward-mode and reverse-mode automatic differentiation on NumPy, side by side.

    >>> import numpy as np, admodes as ad, admodes.numpy as anp
    >>> f = lambda x: anp.sum(anp.sin(x) * x)
    >>> x = np.array([0.0, 1.0])
    >>> np.allclose(ad.grad(f)(x), ad.grad(f, mode="forward")(x))
    True
"""

__version__ = "0.1.0"

from . import numpy  # noqa: F401  (admodes.numpy, the differentiable namespace)
from .batching import Batched
from .check import GradcheckError, GradcheckReport, check_grad, numeric_grad, numeric_jacobian, numeric_jvp
from .checkpoint import checkpoint, checkpoint_sequential, revolve, revolve_recomputations, revolve_schedule
from .forward import Dual
from .function import Function, FunctionCtx
from .ops.core import count_ops
from .reverse import AccumulateGrad, Node, Tensor, enable_grad, gradients, is_grad_enabled, no_grad
from .taylor import jet, taylor
from .teach import Trace, trace
from .torch_api import *  # noqa: F403  (PyTorch's and JAX's habits: ad.tensor(dtype=), zeros, optim, linearize, ...)
from .torch_api import __all__ as _habits
from .transforms import grad, hessian, hvp, jacfwd, jacrev, jvp, value_and_grad, vjp, vmap
from .tree import TreeDef, tree_flatten, tree_leaves, tree_map, tree_structure, tree_unflatten

__all__ = [
    # values and the tape
    "Dual", "Tensor", "Batched", "Node", "AccumulateGrad", "Function", "FunctionCtx",
    "no_grad", "enable_grad", "is_grad_enabled", "gradients",
    # transforms
    "grad", "value_and_grad", "jvp", "vjp", "jacfwd", "jacrev", "hessian", "hvp", "vmap", "jet", "taylor",
    # containers of arrays (pytrees), which every transform takes and returns
    "tree_map", "tree_flatten", "tree_unflatten", "tree_leaves", "tree_structure", "TreeDef",
    # sparse Jacobians and Hessians
    "jacobian_sparsity", "hessian_sparsity", "coloring", "sparse_jacfwd", "sparse_jacrev", "sparse_jacobian",
    "sparse_hessian",
    # trading time for memory
    "checkpoint", "checkpoint_sequential", "revolve", "revolve_schedule", "revolve_recomputations",
    # checking, measuring, teaching
    "check_grad", "numeric_grad", "numeric_jacobian", "numeric_jvp", "GradcheckError", "GradcheckReport",
    "count_ops", "trace", "Trace",
    # PyTorch's and JAX's habits
    *_habits,
]

_SPARSE = ("jacobian_sparsity", "hessian_sparsity", "coloring", "sparse_jacfwd", "sparse_jacrev", "sparse_jacobian",
           "sparse_hessian")


def __getattr__(name):
    """The sparse names load `admodes.sparse` (and SciPy, which doubles the import time) on first use."""
    if name in _SPARSE:
        from . import sparse
        value = globals()[name] = getattr(sparse, name)  # found here from now on, without this call
        return value
    raise AttributeError(f"module 'admodes' has no attribute {name!r}")
