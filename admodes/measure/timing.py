"""The three measures of one computation: wall time, peak memory and the op library's op counts.

- `time_call`: the median of several repeats after a warm-up, with the spread (quartiles, min, max).
  Short calls are looped so each repeat lasts long enough for the clock to resolve it.
- `peak_memory`: the peak of memory allocated during the call, above what was allocated before it,
  by `tracemalloc` (NumPy reports its array buffers to tracemalloc, so they are counted exactly).
- `op_counts`: primitive calls and elements processed, from `admodes.ops.core.count_ops`.

Each takes an optional ``setup``: run before every call, untimed and outside the memory baseline,
its result passed to the call. That is how a backward sweep is measured without the forward pass that
records its tape.
"""

from __future__ import annotations

import gc
import time
import tracemalloc
from dataclasses import dataclass

import numpy as np

from ..ops.core import count_ops

__all__ = ["Timing", "Stopwatch", "time_call", "peak_memory", "op_counts", "Measurement", "measure"]


@dataclass(frozen=True)
class Timing:
    """Seconds per call: the median of ``repeats`` and the spread, from the raw per-repeat times.

    >>> t = Timing.from_times([0.010, 0.012, 0.011], number=4)
    >>> round(t.median, 4), t.repeats, round(t.spread, 3)
    (0.011, 3, 0.091)
    """

    median: float
    q1: float
    q3: float
    min: float
    max: float
    number: int  # calls per repeat: each raw time is the mean over this many calls
    times: tuple[float, ...]
    cpu: tuple[float, ...] = ()  # the same repeats in CPU time of this process

    @classmethod
    def from_times(cls, times, number=1, cpu=()):
        """Summarise raw per-call times (one per repeat), and their CPU times if given."""
        values = np.asarray(times, dtype=float)
        q1, median, q3 = np.percentile(values, [25, 50, 75])
        return cls(float(median), float(q1), float(q3), float(values.min()), float(values.max()), int(number),
                   tuple(float(v) for v in values), tuple(float(v) for v in cpu))

    @property
    def cpu_min(self):
        """The fastest repeat in CPU time (the fastest wall time when CPU time was not measured)."""
        return min(self.cpu) if self.cpu else self.min

    @property
    def repeats(self):
        """The number of timed repeats."""
        return len(self.times)

    @property
    def spread(self):
        """The interquartile range relative to the median: 0.05 means the middle half lies within 5%."""
        return (self.q3 - self.q1) / self.median if self.median > 0 else 0.0


class Stopwatch:
    """Times one call again and again: warm-up and calibration first, then one timed repeat per `repeat`.

    A repeat loops the call ``number`` times, chosen from the warm-up so that it lasts about
    ``min_time`` seconds, and returns the mean seconds per call. Garbage collection is off while a
    repeat runs. Taking repeats of several computations in turn (as the experiment harness does)
    spreads a burst of load on a shared machine over all of them.

    >>> watch = Stopwatch(lambda: sum(range(100)), min_time=0.001)
    >>> watch.number >= 1, watch.repeat() > 0
    (True, True)
    """

    def __init__(self, fn, *, setup=None, warmup=1, min_time=0.01, max_number=10_000):
        self.fn, self.setup = fn, setup
        first = min(self._once()[0] for _ in range(max(warmup, 1)))
        self.number = int(min(max_number, max(1, round(min_time / max(first, 1e-9)))))

    def _once(self):
        """One call after its setup: (wall seconds, CPU seconds) of the call alone."""
        wall, cpu = time.perf_counter, time.process_time
        if self.setup is not None:
            arg = self.setup()
            c, w = cpu(), wall()
            self.fn(arg)
        else:
            c, w = cpu(), wall()
            self.fn()
        return wall() - w, cpu() - c

    def repeat(self):
        """One timed repeat: the mean wall seconds per call over ``number`` calls (the CPU seconds per call of
        the same repeat are left in ``last_cpu``)."""
        gc_was_on = gc.isenabled()
        gc.disable()
        try:
            cpu = time.process_time()
            if self.setup is None:  # one clock reading around the whole loop
                fn, clock = self.fn, time.perf_counter
                start = clock()
                for _ in range(self.number):
                    fn()
                wall = (clock() - start) / self.number
                self.last_cpu = (time.process_time() - cpu) / self.number
                return wall
            calls = [self._once() for _ in range(self.number)]
            self.last_cpu = sum(c for _, c in calls) / self.number
            return sum(w for w, _ in calls) / self.number
        finally:
            if gc_was_on:
                gc.enable()


def time_call(fn, *, setup=None, repeats=5, warmup=1, min_time=0.01, max_number=10_000):
    """Time ``fn()`` (or ``fn(setup())``): ``warmup`` untimed calls, then ``repeats`` timed repeats.

    Each raw time is the mean per call over one repeat (see `Stopwatch`); the result is their median
    and spread.

    >>> t = time_call(lambda: sum(range(100)), repeats=3, min_time=0.001)
    >>> t.repeats, t.median > 0
    (3, True)
    """
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    watch = Stopwatch(fn, setup=setup, warmup=warmup, min_time=min_time, max_number=max_number)
    return Timing.from_times([watch.repeat() for _ in range(repeats)], watch.number)


def peak_memory(fn, *, setup=None):
    """Peak bytes allocated while ``fn`` runs, above the memory in use when it starts.

    The result is kept alive until the peak is read, so memory the call returns (a recorded tape, an
    output) counts as well as its temporaries.

    >>> peak_memory(lambda: np.ones(1000)) >= 8000
    True
    """
    gc.collect()
    started = not tracemalloc.is_tracing()
    if started:
        tracemalloc.start()
    result = None
    try:
        arg = setup() if setup is not None else None
        tracemalloc.reset_peak()
        baseline = tracemalloc.get_traced_memory()[0]
        result = fn(arg) if setup is not None else fn()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        del result
        if started:
            tracemalloc.stop()
    return max(0, peak - baseline)


def op_counts(fn, *, setup=None):
    """Primitive calls and elements processed by ``fn`` (an `admodes.ops.core.OpCounts`).

    >>> from admodes.ops.elementwise import sin
    >>> op_counts(lambda: sin(np.zeros(5))).calls["sin"]
    1
    """
    arg = setup() if setup is not None else None
    with count_ops() as counts:
        fn(arg) if setup is not None else fn()
    return counts


@dataclass(frozen=True)
class Measurement:
    """The three measures of one computation.

    >>> from admodes.ops.elementwise import exp
    >>> m = measure(lambda: exp(np.zeros(100)), repeats=2, min_time=0.001)
    >>> m.calls, m.elements, m.peak_bytes >= 800
    (1, 100, True)
    """

    time: Timing
    peak_bytes: int
    calls: int
    elements: int

    @property
    def seconds(self):
        """The median wall time per call."""
        return self.time.median

    def metric(self, name):
        """One measure by name: "seconds", "peak_bytes", "calls" or "elements".

        "seconds" is the time fits and verdicts use: the fastest repeat in CPU time of this process. On a
        shared machine other programs take the CPU away in the middle of a call, which adds to its wall time
        but not to its CPU time, and only ever adds, so the fastest repeat is the steadiest estimate of the
        call's own cost (as `timeit` advises). The wall time's median and spread are reported beside it.
        """
        if name not in METRICS:
            raise KeyError(f"unknown metric {name!r}; choose from {sorted(METRICS)}")
        return float(self.time.cpu_min if name == "seconds" else getattr(self, name))


METRICS = {
    "seconds": "time (s, CPU)",
    "peak_bytes": "peak memory (bytes)",
    "calls": "primitive calls",
    "elements": "elements processed",
}


def measure(fn, *, setup=None, repeats=5, warmup=1, min_time=0.01):
    """Measure ``fn`` three ways: op counts (one call), peak memory (one call), then wall time.

    >>> from admodes.ops.elementwise import sin
    >>> measure(lambda: sin(np.ones(8)), repeats=2, min_time=0.001).calls
    1
    """
    counts = op_counts(fn, setup=setup)
    peak = peak_memory(fn, setup=setup)
    timing = time_call(fn, setup=setup, repeats=repeats, warmup=warmup, min_time=min_time)
    return Measurement(timing, peak, counts.total_calls, counts.total_elements)
