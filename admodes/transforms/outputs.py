"""What every transform does with ``f``'s result: take this level's parts, and hand out arrays of its own.

    >>> import numpy as np
    >>> x = np.zeros(2)
    >>> own(x, (x,)) is x, own(x[:1], ()) is not None
    (False, True)
"""

from __future__ import annotations

import numpy as np

from ..arraylike import as_array
from ..forward import Dual
from ..inputs import single_output
from ..ops.core import Traced

__all__ = ["own", "primal_and_tangent"]


def own(x, inputs):
    """``x`` as an array the caller may keep and modify: NumPy scalars become 0-d arrays, and a read-only
    view (a broadcast) or an array sharing memory with one of ``inputs`` is copied. (A traced value is
    returned as it is: it belongs to an enclosing transform.)

    >>> own(np.float64(1.0), ())
    array(1.)
    """
    if isinstance(x, Traced):
        return x
    if type(x) is not np.ndarray:
        return np.asarray(x)
    if not x.flags.writeable or any(type(a) is np.ndarray and np.may_share_memory(x, a) for a in inputs):
        return x.copy()
    return x


def primal_and_tangent(out, level, who):
    """The primal and the tangent (None: a symbolic zero) at ``level`` of what ``f`` returned.

    A result traced at a level above ``level`` (a Dual made inside ``f``, an unfinished inner transform)
    has no meaning outside ``f``, and is refused. ``level=None``: no sweep ran, ``out`` is a plain value.

    >>> primal_and_tangent(Dual._make(np.array(1.0), np.array(2.0), 7), 7, "jvp")
    (array(1.), array(2.))
    """
    single_output(out, who)
    if isinstance(out, Traced) and level is not None and out._level > level:
        raise TypeError("f returned a value traced by a transform it started itself (a Dual made inside f, or "
                        "an unfinished inner jvp); return its .primal or .tangent instead")
    if type(out) is Dual and out._level == level:
        return out.primal, out._tangent
    return as_array(out), None
