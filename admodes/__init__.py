"""admodes: forward-mode and reverse-mode automatic differentiation on NumPy, side by side.

    >>> import numpy as np, admodes as ad, admodes.numpy as anp
    >>> f = lambda x: anp.sum(anp.sin(x) * x)
    >>> x = np.array([0.0, 1.0])
    >>> np.allclose(ad.grad(f)(x), ad.grad(f, mode="forward")(x))
    True
"""

__version__ = "0.1.0"

from . import numpy  # noqa: F401  (admodes.numpy, the differentiable namespace)
from .check import GradcheckError, GradcheckReport, check_grad, numeric_grad, numeric_jacobian, numeric_jvp
from .forward import Dual, jacfwd, jvp
from .function import Function, FunctionCtx
from .ops.core import count_ops
from .reverse import AccumulateGrad, Node, Tensor, enable_grad, gradients, is_grad_enabled, no_grad, tensor
from .teach import Trace, trace
from .transforms import grad, hessian, hvp, jacrev, value_and_grad, vjp

__all__ = [
    "GradcheckError", "GradcheckReport", "check_grad", "numeric_grad", "numeric_jacobian", "numeric_jvp",
    "AccumulateGrad", "Dual", "Function", "FunctionCtx", "Node", "Tensor", "count_ops", "enable_grad", "grad",
    "gradients", "hessian", "hvp", "is_grad_enabled", "Trace", "trace", "jacfwd", "jacrev", "jvp", "no_grad", "tensor",
    "value_and_grad", "vjp",
]
