"""Which values no one else holds, from reference counts: forward mode's temporaries, the sweeps' buffers.

In ``100.0 * (b - a * a) ** 2`` every intermediate result is a *temporary*: the interpreter holds it on its
stack for the one operator that consumes it and drops it right after. NumPy reuses such arrays for the
result ("temporary elision": the whole expression makes one array, not four). Forward mode does the same
(`forward.Dual._apply_donating`): a temporary dual's tangent and primal, arrays no one else holds, receive
its result's, so the sweep does not allocate (and, on large arrays, page-fault) fresh arrays per operator.

Both facts are read from reference counts, as NumPy reads them:

- an operand is a temporary when the operator method sees exactly as many references to it as it sees to
  an object the interpreter passed straight from its stack (`SELF`, `OTHER`, `REFLECTED_SELF`, calibrated
  here, at import, on a probe class whose operator methods have the very shape of `arraylike._binary`'s);
- an array is unshared when the dual's slot is its only holder (`unshared`, calibrated the same way);
  the reverse sweep's test for a cotangent that only one of its variables holds is `sole`.

Where the interpreter does not count every stack reference (newer CPythons load some locals as borrowed
references, so a named local and a temporary can look alike), the calibration cannot tell them apart and
`ENABLED` is False: every operator then allocates, as before; so it is on a free-threaded build, where
another thread's references are counted apart. A C caller passing a reference it borrowed from a container
(NumPy's loop over an object array of duals) looks like the interpreter; `forward` therefore marks a
dual whose arrays were given away, so using it raises instead of answering wrong.

>>> isinstance(ENABLED, bool), MIN_BYTES
(True, 65536)
"""

from __future__ import annotations

import sys

from . import fastpaths

__all__ = ["ENABLED", "MIN_BYTES", "SELF", "OTHER", "REFLECTED_SELF", "sole", "unshared"]

MIN_BYTES = 1 << 16
"""Tangents smaller than this are not reused: a fresh small array costs less than the checks (and stays in
the allocator's caches, where large ones go back to the system and page-fault when taken again)."""

UNSHARED = SOLE = -1  # set below: the counts `unshared` and `sole` see for an object with one holder


def sole(a):
    """True when ``a``, passed from a variable of the caller, has no other holder: then the caller may write
    into it (the reverse sweep's cotangent buffers, `reverse.sweep`).

    >>> import numpy as np
    >>> a = np.zeros(2)
    >>> sole(a), sole(np.zeros(2)[:1].base)
    (True, False)
    """
    return sys.getrefcount(a) == SOLE


def unshared(t):
    """True if ``t`` (read straight from an attribute into this call: ``unshared(d._tangent)``) has no holder
    but that attribute.

    >>> class Box: pass
    >>> box = Box(); box.t = [1.0]
    >>> unshared(box.t)
    True
    >>> kept = box.t; unshared(box.t)
    False
    """
    return sys.getrefcount(t) == UNSHARED


class _Probe:
    """An operand whose operator methods count references exactly as `arraylike._binary`'s do."""

    def __mul__(self, other):
        return sys.getrefcount(self), sys.getrefcount(other)

    def __rmul__(self, other):
        return sys.getrefcount(self), sys.getrefcount(other)


def _calibrate():
    """(self, other, reflected self) counts for a temporary operand; None where a named one counts the same."""
    global UNSHARED, SOLE
    box = _Probe()
    box.t = _Probe()
    UNSHARED = _reference_count(box.t)
    one_local = _Probe()
    SOLE = _reference_count(one_local)
    self_temporary, other_temporary = _Probe() * _Probe()
    reflected_temporary = (1.0 * _Probe())[0]
    a, b = _Probe(), _Probe()
    self_named, other_named = a * b
    reflected_named = (1.0 * a)[0]
    if self_temporary < self_named and other_temporary < other_named and reflected_temporary < reflected_named:
        return self_temporary, other_temporary, reflected_temporary
    return None


def _reference_count(t):
    """``sys.getrefcount(t)`` from a call of the very shape of ``sole(a)`` and ``unshared(d.t)``: the calibration."""
    return sys.getrefcount(t)


_counts = _calibrate()
_FREE_THREADED = not getattr(sys, "_is_gil_enabled", lambda: True)()  # (3.13's free-threaded build, GIL off)
ENABLED: bool = fastpaths.FAST and _counts is not None and not _FREE_THREADED
"""True when forward mode reuses temporaries' arrays: a fast path (off with ``ADMODES_REFERENCE=1``),
and only where reference counts tell a temporary from a named value (and the interpreter has a GIL)."""

SELF, OTHER, REFLECTED_SELF = _counts if ENABLED else (-1, -1, -1)
"""What `arraylike._binary`'s operator sees for a temporary ``self``, ``other`` and reflected ``self``."""
