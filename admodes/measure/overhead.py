"""What sets the time of a claim's measurements: a fixed cost per primitive call or the arithmetic on
its elements.

Op counts say how many operations run; the clock also pays for how big they are. `calibrate` measures,
on the machine and during the run, what one primitive call costs in each mode, as

    seconds ≈ per_call · (primitive calls) + per_element · (elements processed)

(``per_call``: Python's dispatch, the dual numbers, recording and sweeping the tape; ``per_element``:
NumPy's arithmetic). Applied to a measurement's op counts, it says which part dominates its time: at
small arrays the fixed part, so time grows more slowly than the work; at large ones the arithmetic, so
time grows with the elements even where the number of ops does not.

>>> cost = Overhead(per_call=4e-6, per_element=5e-9)
>>> round(cost.call_share(calls=10, elements=10 * 1), 3), round(cost.call_share(calls=10, elements=10 * 10_000), 3)
(0.999, 0.074)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Overhead", "calibrate", "MODE_TASK"]

MODE_TASK = {"plain": "f", "forward": "jvp", "reverse": "vjp"}
"""The task whose cost per call `calibrate` measures for each mode."""


@dataclass(frozen=True)
class Overhead:
    """Seconds per primitive call and per element (each >= 0).

    >>> Overhead(2e-6, 1e-9).describe()
    '2 µs per primitive call + 1 ns per element'
    """

    per_call: float
    per_element: float

    def call_share(self, calls, elements):
        """The fraction of the modelled time paid per call (0 to 1) at ``calls`` and ``elements``."""
        fixed, work = self.per_call * calls, self.per_element * elements
        return fixed / (fixed + work) if fixed + work > 0 else float("nan")

    def describe(self):
        """The two costs as text."""
        return f"{self.per_call * 1e6:.3g} µs per primitive call + {self.per_element * 1e9:.3g} ns per element"


def calibrate(size=10_000, length=32, repeats=5, min_time=0.005):
    """Measure on this machine, now, the cost of one primitive call in each mode: a chain of ``length`` sins
    on 1 element (the fixed cost per call) and on ``size`` elements (plus the arithmetic); one `Overhead`
    per mode ("plain", "forward", "reverse").

    >>> costs = calibrate(size=1000, length=4, repeats=1, min_time=0.0)
    >>> sorted(costs), costs["reverse"].per_call > 0
    (['forward', 'plain', 'reverse'], True)
    """
    import admodes.numpy as anp

    from .tasks import prepare
    from .timing import Stopwatch, op_counts

    def chain(x):
        for _ in range(length):
            x = anp.sin(x)
        return anp.sum(x)

    rng = np.random.default_rng(0)
    out = {}
    for mode, task in MODE_TASK.items():
        cost = {}
        for n in (1, size):
            fn, setup = prepare(task, chain, rng.uniform(-1, 1, n), rng)
            counts = op_counts(fn, setup=setup)
            watch = Stopwatch(fn, setup=setup, min_time=min_time)
            fastest = min((watch.repeat(), watch.last_cpu)[1] for _ in range(repeats))  # CPU time, as the fits use
            cost[n] = (counts.total_calls, counts.total_elements, fastest)
        (c1, _, t1), (cn, en, tn) = cost[1], cost[size]
        per_call = t1 / c1
        per_element = max(0.0, (tn - per_call * cn) / en)
        out[mode] = Overhead(per_call, per_element)
    return out


def overhead_to_json(costs):
    """``{mode: Overhead}`` as plain data for ``results.json``; `overhead_from_json` reads it back.

    >>> overhead_from_json(overhead_to_json({"plain": Overhead(1e-6, 2e-9)}))["plain"].per_element
    2e-09
    """
    return {mode: {"per_call_seconds": c.per_call, "per_element_seconds": c.per_element} for mode, c in costs.items()}


def overhead_from_json(data):
    """The inverse of `overhead_to_json` (an empty dict for None)."""
    return {mode: Overhead(d["per_call_seconds"], d["per_element_seconds"]) for mode, d in (data or {}).items()}


def fixed_shares(result, rows, costs):
    """For each task a count check of ``result`` judges: ``(task, variant, [(point, share of the time paid per
    call)])`` at the sweep's smallest and largest points (all points of a two-variable sweep's corners).

    >>> fixed_shares(None, [], {})
    []
    """
    from .harness import COUNT_METRICS
    from .tasks import TASKS
    if result is None or not costs:
        return []
    out, seen = [], set()
    for c in result.checks:
        if c.check.metric not in COUNT_METRICS:
            continue
        task, variant = c.check.series.split("/")[0], c.check.variant
        if (task, variant) in seen:
            continue
        seen.add((task, variant))
        mine = sorted((r for r in rows if r.claim == result.experiment.id and r.task == task and r.variant == variant),
                      key=lambda r: r.point)
        if not mine:
            continue
        cost = costs[TASKS[task].mode]
        ends = [mine[0], mine[-1]] if len(mine) > 1 else mine
        out.append((task, variant, [(r.point, cost.call_share(r.measurement.calls, r.measurement.elements))
                                    for r in ends]))
    return out
