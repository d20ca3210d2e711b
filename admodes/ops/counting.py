"""Op counting: an exact, noise-free measure of work (primitive calls, and the elements they process).

`count_ops` switches counting on for a ``with`` block; every primitive call on plain values then goes
through `counted_call` (see `primitive.call_impl`).

>>> import numpy as np
>>> import admodes.numpy as anp
>>> with count_ops() as counts:
...     _ = anp.sin(np.zeros(3))
>>> counts.calls["sin"], counts.elements["sin"]
(1, 3)
"""

from __future__ import annotations

import threading
from collections import Counter
from contextlib import contextmanager

import numpy as np

__all__ = ["OpCounts", "count_ops", "counted_call", "active", "thread"]


class OpCounts:
    """Primitive calls and elements processed, per primitive name.

    "Elements processed" of one call is the size of its largest array (inputs or output): the work of
    an elementwise op or a reduction, up to a constant.

    >>> import admodes.numpy as anp
    >>> with count_ops() as counts:
    ...     _ = anp.add(anp.sin(np.ones(10)), 1.0)
    >>> counts.calls["sin"], counts.elements["add"], counts.total_calls
    (1, 10, 2)
    """

    def __init__(self):
        self.calls = Counter()
        self.elements = Counter()

    @property
    def total_calls(self):
        return sum(self.calls.values())

    @property
    def total_elements(self):
        return sum(self.elements.values())

    def __repr__(self):
        return f"OpCounts(calls={self.total_calls}, elements={self.total_elements})"


class _Counting(threading.local):
    counts = None  # this thread's innermost open count_ops block (None inside a counted impl's own calls)


thread = _Counting()
"""This thread's counts: ``thread.counts``, the innermost `count_ops` block open in this thread, or None."""

active: list | None = None
"""The counts of every `count_ops` block open in any thread, or None when there is none (the usual case):
`primitive.call_impl` tests this global first, so that code that counts nothing never reads the (slower)
thread-local `thread`."""
_active_lock = threading.Lock()


@contextmanager
def count_ops():
    """Count every primitive call (and the elements it processes) inside the ``with`` block, in this thread.

    >>> import admodes.numpy as anp
    >>> with count_ops() as counts:
    ...     _ = anp.exp(np.zeros(4))
    >>> dict(counts.calls)
    {'exp': 1}
    """
    global active
    outer = thread.counts
    inner = thread.counts = OpCounts()
    with _active_lock:
        active = (active or []) + [inner]
    try:
        yield inner
    finally:
        thread.counts = outer
        with _active_lock:
            active = [c for c in active if c is not inner] or None
        if outer is not None:  # nested counters: the outer one sees everything too
            outer.calls.update(inner.calls)
            outer.elements.update(inner.elements)


def counted_call(prim, args, params):
    """Call `prim` on plain ``args`` and add the call to this thread's counts (the impl's own primitive calls,
    if it makes any, are not separate work).

    >>> from admodes.ops.elementwise import exp
    >>> with count_ops() as counts:
    ...     _ = counted_call(exp, (np.zeros(2),), {})
    >>> counts.calls["exp"]
    1
    """
    local = thread
    counts, local.counts = local.counts, None
    try:
        out = prim(*args, **params)
    finally:
        local.counts = counts
    counts.calls[prim.name] += 1
    counts.elements[prim.name] += max([np.size(out), *(np.size(a) for a in args if hasattr(a, "shape"))])
    return out
