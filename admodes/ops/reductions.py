"""Reductions: sum, mean, prod, max/min, var/std, logsumexp, cumulative sums and products.

Each takes NumPy's ``axis`` and ``keepdims``. A VJP spreads the cotangent back over the reduced axes:
`_restore` puts the reduced axes back as length-1 axes so the cotangent broadcasts against the input.
"""

import numpy as np

from .core import Primitive, defrules
from .shape import broadcast_to, reshape


def _restore(g, shape, axis, keepdims):
    """Reshape a reduction's cotangent so it broadcasts against the input of ``shape``."""
    if keepdims or axis is None and np.ndim(g) == 0:
        return g
    axes = (axis,) if np.isscalar(axis) else tuple(range(len(shape))) if axis is None else axis
    kept = list(shape)
    for ax in axes:
        kept[ax % len(shape)] = 1
    return reshape(g, tuple(kept))


# ---- sums ------------------------------------------------------------------------------------------

sum = Primitive("sum", lambda a, axis=None, keepdims=False: np.sum(a, axis=axis, keepdims=keepdims))

defrules(sum,
         jvp=lambda t, ans, a, axis=None, keepdims=False: sum(t, axis=axis, keepdims=keepdims),
         vjp=lambda g, ans, a, axis=None, keepdims=False: broadcast_to(_restore(g, a.shape, axis, keepdims),
                                                                       a.shape))
