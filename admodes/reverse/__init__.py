"""Reverse mode: a tape of nodes recorded while the function runs, swept backwards, with PyTorch's semantics.

Three parts, each a module: `tensor` (the user's `Tensor`: recording, versions, in-place ops, ``backward``),
`tape` (the `Node` of each recorded op and what it saves) and `sweep` (the backward pass); `grad_mode`
holds ``no_grad``, which the recording reads and the sweep switches.

    >>> import admodes as ad
    >>> x = ad.tensor([1.0, 2.0], requires_grad=True)
    >>> y = (x * x).sum()
    >>> y.grad_fn, y.grad_fn.next_functions
    (<SumBackward>, ((<MulBackward>, 0),))
    >>> y.backward(); x.grad
    Tensor([2., 4.])
"""

from .grad_mode import enable_grad, is_grad_enabled, no_grad
from .sweep import backward_pass, fast_backward_pass, run_backward
from .tape import AccumulateGrad, Node
from .tensor import USER_LEVEL, Tensor, gradients, tensor

__all__ = [
    "Tensor", "tensor", "gradients", "no_grad", "enable_grad", "is_grad_enabled", "Node", "AccumulateGrad",
    "backward_pass", "fast_backward_pass", "run_backward", "USER_LEVEL",
]
