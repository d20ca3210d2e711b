"""Arrays built from traced values: ``anp.array([x[0], x[1] ** 2])``, nested lists of traced scalars and
arrays, as JAX's ``jnp.array`` builds them. Lists holding no traced value go to NumPy unchanged.

NumPy's own ``np.array`` cannot be intercepted (it asks each element for a plain array, which would drop
its derivative): there the error says to use ``admodes.numpy.array`` or ``admodes.numpy.stack``.

>>> array([1.0, np.array(2.0)])
array([1., 2.])
"""

import numpy as np

from .joining import stack
from .primitive import Traced, ndim_of, register_function, shape_of
from .shape import reshape

__all__ = []  # (reached through the registry: admodes.numpy.array, admodes.numpy.asarray)


def _holds_traced(obj):
    """Whether ``obj`` is a traced value or a (nested) list or tuple holding one."""
    pending = [obj]
    while pending:
        item = pending.pop()
        if isinstance(item, Traced):
            return True
        if isinstance(item, (list, tuple)):
            pending.extend(item)
    return False


def _build(obj):
    """A nested sequence as one array: each level stacked along a new leading axis."""
    if isinstance(obj, Traced):
        return obj
    if not isinstance(obj, (list, tuple)) or not _holds_traced(obj):
        return np.asarray(obj)
    if not obj:
        return np.asarray(obj)
    parts = [_build(item) for item in obj]
    shapes = {shape_of(p) for p in parts}
    if len(shapes) > 1:
        raise ValueError(f"array: the elements of a sequence have different shapes {sorted(shapes)} (an "
                         "inhomogeneous list); admodes builds only rectangular arrays")
    return stack(parts)


def _with_dtype_and_ndmin(out, dtype, ndmin):
    if dtype is not None:
        if np.dtype(dtype).kind != "f":
            raise TypeError(f"array: dtype {np.dtype(dtype)} would drop the derivative of the traced values; "
                            "build a float array")
        out = out.astype(dtype)
    if ndmin > ndim_of(out):
        out = reshape(out, (1,) * (ndmin - ndim_of(out)) + shape_of(out))
    return out


@register_function("array")
def array(object, dtype=None, *, copy=True, order="K", subok=False, ndmin=0, like=None):
    """An array from ``object``: NumPy's ``np.array`` where it holds no traced value; else the traced values
    and the plain ones stacked (nested lists and tuples too), keeping every derivative.

    >>> array([[1.0, 2.0], [3.0, 4.0]], ndmin=3).shape
    (1, 2, 2)
    """
    if not _holds_traced(object):
        return np.array(object, dtype=dtype, copy=copy, order=order, subok=subok, ndmin=ndmin)
    return _with_dtype_and_ndmin(_build(object), dtype, ndmin)


@register_function("asarray")
def asarray(a, dtype=None, order=None, *, device=None, copy=None, like=None):
    """``a`` as an array: ``np.asarray`` where it holds no traced value, else as `array` builds it (a traced
    value itself is returned as it is).

    >>> asarray((1.0, 2.0))
    array([1., 2.])
    """
    if not _holds_traced(a):
        return np.asarray(a, dtype=dtype, order=order, copy=copy)
    return _with_dtype_and_ndmin(_build(a), dtype, 0)
