"""Shape and indexing primitives: reshape, transpose, broadcasting, joining, slicing, indexing.

Every op here is linear in its array argument, so its JVP applies the op itself to the tangent and
its VJP applies the adjoint op (reshape back, transpose back, sum back over broadcast axes, ...).
"""

import numpy as np

from .core import Primitive, defrules


def _sum_to_impl(x, shape):
    """Sum ``x`` over the axes that broadcasting added or stretched, giving an array of ``shape``."""
    x = np.asarray(x)
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1 and x.shape[lead + i] != 1)
    summed = np.sum(x, axis=axes, keepdims=True) if axes else x
    return summed.reshape(shape)


# ---- broadcasting: broadcast_to and its adjoint sum_to ---------------------------------------------

broadcast_to = Primitive("broadcast_to", lambda array, shape: np.broadcast_to(array, shape),
                         argnames=("array",))
sum_to = Primitive("sum_to", _sum_to_impl, argnames=("x",), public=False,
                   doc="Sum an array down to `shape`, undoing broadcasting.")

defrules(broadcast_to,
         jvp=lambda t, ans, array, shape: broadcast_to(t, shape),
         vjp=lambda g, ans, array, shape: sum_to(g, array.shape))
defrules(sum_to,
         jvp=lambda t, ans, x, shape: sum_to(t, shape),
         vjp=lambda g, ans, x, shape: broadcast_to(g, x.shape))

# ---- reshaping -------------------------------------------------------------------------------------

reshape = Primitive("reshape", lambda a, shape: np.reshape(a, shape), argnames=("a",))
defrules(reshape,
         jvp=lambda t, ans, a, shape: reshape(t, ans.shape),
         vjp=lambda g, ans, a, shape: reshape(g, a.shape))

# ---- permuting axes --------------------------------------------------------------------------------

transpose = Primitive("transpose", lambda a, axes=None: np.transpose(a, axes))
swapaxes = Primitive("swapaxes", lambda a, axis1, axis2: np.swapaxes(a, axis1, axis2), argnames=("a",))


def _inverse_permutation(axes, ndim):
    return None if axes is None else tuple(np.argsort([ax % ndim for ax in axes]))


defrules(transpose,
         jvp=lambda t, ans, a, axes=None: transpose(t, axes),
         vjp=lambda g, ans, a, axes=None: transpose(g, _inverse_permutation(axes, a.ndim)))
defrules(swapaxes,
         jvp=lambda t, ans, a, axis1, axis2: swapaxes(t, axis1, axis2),
         vjp=lambda g, ans, a, axis1, axis2: swapaxes(g, axis1, axis2))
