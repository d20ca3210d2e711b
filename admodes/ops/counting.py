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

from collections import Counter
from contextlib import contextmanager

import numpy as np

__all__ = ["OpCounts", "count_ops", "counted_call", "active"]


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


active: OpCounts | None = None
"""The counts of the innermost `count_ops` block, or None outside every block (the usual case)."""


@contextmanager
def count_ops():
    """Count every primitive call (and the elements it processes) inside the ``with`` block.

    >>> import admodes.numpy as anp
    >>> with count_ops() as counts:
    ...     _ = anp.exp(np.zeros(4))
    >>> dict(counts.calls)
    {'exp': 1}
    """
    global active
    outer, active = active, OpCounts()
    try:
        yield active
    finally:
        inner, active = active, outer
        if outer is not None:  # nested counters: the outer one sees everything too
            outer.calls.update(inner.calls)
            outer.elements.update(inner.elements)


def counted_call(prim, args, params):
    """Call `prim` on plain ``args`` and add the call to the `active` counts (the impl's own primitive calls,
    if it makes any, are not separate work).

    >>> from admodes.ops.elementwise import exp
    >>> with count_ops() as counts:
    ...     _ = counted_call(exp, (np.zeros(2),), {})
    >>> counts.calls["exp"]
    1
    """
    global active
    counts, active = active, None
    try:
        out = prim(*args, **params)
    finally:
        active = counts
    counts.calls[prim.name] += 1
    counts.elements[prim.name] += max([np.size(out), *(np.size(a) for a in args if hasattr(a, "shape"))])
    return out
