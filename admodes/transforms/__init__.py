"""Functional transforms: every one of them, by job.

- `forward_mode`: `jvp`, `jacfwd` (all input directions in batched sweeps), `value_and_jacfwd`;
- `reverse_mode`: `vjp`, `grad`, `value_and_grad`, `jacrev` (all output cotangents in batched sweeps),
  and the second-order `hessian` and `hvp` (forward over reverse);
- `batched`: `vmap`, and `batched_jacfwd` / `batched_jacrev` (every direction in one sweep);
- `outputs`: what they all do with ``f``'s result.

Each is a composition of the engines (`admodes.forward`, `admodes.reverse`, `admodes.batching`) and makes
a fresh level per call (`core.new_level`), so they nest in any combination.

    >>> import numpy as np, admodes as ad
    >>> ad.grad(ad.grad(lambda x: x ** 3))(np.array(2.0))             # 6 x
    array(12.)
    >>> ad.jacfwd(ad.grad(lambda x: (x ** 3).sum()))(np.array([1.0, 2.0]))
    array([[ 6.,  0.],
           [ 0., 12.]])
"""

from .batched import batched_jacfwd, batched_jacrev, vmap
from .forward_mode import jacfwd, jvp, value_and_jacfwd
from .reverse_mode import MODES, grad, hessian, hvp, jacrev, value_and_grad, vjp

__all__ = [
    "jvp", "jacfwd", "value_and_jacfwd", "vjp", "grad", "value_and_grad", "jacrev", "hessian", "hvp", "vmap",
    "batched_jacfwd", "batched_jacrev", "MODES",
]
