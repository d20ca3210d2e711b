"""The names PyTorch and JAX users reach for, gathered for ``admodes/__init__``: the constructors (``ad.tensor``
with ``dtype=``, ``zeros``, ``randn``, ``manual_seed``, ...), ``set_grad_enabled``, ``inference_mode``,
``optim``, and JAX's ``linearize`` and ``jacobian``. See docs/pytorch.md and docs/jax.md.

    >>> import admodes as ad
    >>> ad.zeros(2).requires_grad_().grad is None
    True
"""

from . import optim
from .constructors import *  # noqa: F403
from .constructors import __all__ as _constructors
from .grad_modes import inference_mode, set_grad_enabled
from .linearization import jacobian, linearize

__all__ = [*_constructors, "set_grad_enabled", "inference_mode", "optim", "linearize", "jacobian"]
