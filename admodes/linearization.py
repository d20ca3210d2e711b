"""JAX's ``linearize`` and ``jacobian`` (the alias of `jacrev`, as ``jax.jacobian`` is of ``jax.jacrev``).

    >>> import numpy as np, admodes as ad, admodes.numpy as anp
    >>> y, f_jvp = ad.linearize(anp.sin, np.array([0.0, np.pi]))
    >>> f_jvp(np.array([1.0, 1.0]))          # cos(x) * t
    array([ 1., -1.])
    >>> ad.jacobian(anp.sin)(np.array([0.0]))
    array([[1.]])
"""

from __future__ import annotations

import numpy as np

from .inputs import float_input, returned
from .ops.core import Traced
from .transforms import jacrev, jvp

jacobian = jacrev


def linearize(f, *primals):
    """``(f(*primals), f_jvp)``, where ``f_jvp(*tangents)`` is the JVP of ``f`` at ``primals``, like
    ``jax.linearize``.

    The values are JAX's; the cost is not: JAX evaluates the linear map it has recorded, admodes runs ``f``
    again in forward mode at each call of ``f_jvp`` (it has no partial evaluation). The primals are copied,
    so changing the caller's arrays afterwards does not move the point of linearization.
    """
    if not callable(f):
        raise TypeError(f"linearize: f must be callable, got {type(f).__name__}")
    if not primals:
        raise TypeError("linearize: give the point, linearize(f, *primals)")
    primals = tuple(_copied(float_input(p, f"linearize: primal {i}")) for i, p in enumerate(primals))
    out = returned(f(*primals), "linearize")  # (None or a string: refused now, not at the first f_jvp)

    def f_jvp(*tangents):
        if len(tangents) != len(primals):
            raise TypeError(f"linearize: f_jvp takes {len(primals)} tangent(s), one per primal; got {len(tangents)}")
        return jvp(f, primals, tangents)[1]

    return out, f_jvp


def _copied(x):
    """A copy of a plain array (a traced value, an enclosing transform's, is kept: copying it would drop it)."""
    return x if isinstance(x, Traced) else np.array(x, copy=True)
