"""Reverse mode: a tape of nodes recorded while the function runs, swept backwards, with PyTorch's semantics.

Three parts, each a module: `tensor` (the user's `Tensor`: recording, versions, in-place ops, ``backward``),
`tape` (the `Node` of each recorded op and what it saves) and `sweep` (the backward pass); `grad_mode`
holds ``no_grad``, which the recording reads and the sweep switches.

    >>> import admodes as ad
    >>> x = ad.tensor(2.0, requires_grad=True)
    >>> w = ad.tensor(1.0, requires_grad=True)
    >>> y = (x + w) * (w + 1)
    >>> y.backward()
    >>> float(x.grad.data), float(w.grad.data)     # dy/dx = w + 1, dy/dw = (w + 1) + (x + w)
    (2.0, 5.0)
"""

from .grad_mode import enable_grad, is_grad_enabled, no_grad
from .sweep import backward_pass, fast_backward_pass, run_backward
from .tape import AccumulateGrad, Node
from .tensor import USER_LEVEL, Tensor, gradients, tensor

__all__ = [
    "Tensor", "tensor", "gradients", "no_grad", "enable_grad", "is_grad_enabled", "Node", "AccumulateGrad",
    "backward_pass", "fast_backward_pass", "run_backward", "USER_LEVEL",
]
