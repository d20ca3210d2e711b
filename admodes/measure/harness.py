"""Experiments as declarations, and the machinery that runs them (`verdicts` judges what they measured).

An `Experiment` names a claim, the function factory that builds ``f`` and its input ``x`` for each
point of a sweep, the tasks to measure (see `admodes.measure.tasks`) and the checks that decide the
verdict: an expected power-law exponent of one measure of one series (`Check`), a bound on it, a
`Crossover` of the two modes, a per-unit slope to report (`PerUnit`), an op count that must equal a
formula exactly (`Exact`), or the memory-time trade-off of several variants to draw (`Frontier`)::

    Experiment(
        id="C1", claim="One forward sweep (JVP) costs O(L)", n="L, the number of ops in the chain",
        quotes=(Quote("计算复杂度正向是O(n)", "Forward mode's computational complexity is O(n)"),),
        build=chain, variables=("L",), sweep=(8, 16, 32, 64), quick=(4, 8, 16),
        tasks=("f", "jvp"), checks=(Check("jvp", "calls", expected=1), Check("jvp/f", "calls", expected=0)),
    )

A series is a task ("jvp") or the ratio of two tasks at the same point ("jvp/f"). Verdicts rest on
the noise-free measures (op counts, peak memory); every check on an op count is fitted again on wall
time, and the report says whether the clock agrees.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .tasks import TASKS, prepare
from .timing import METRICS, Measurement, Stopwatch, Timing, op_counts, peak_memory

__all__ = ["Quote", "Check", "Crossover", "PerUnit", "Exact", "Exponential", "Frontier", "Experiment", "Row",
           "run_experiments", "point_text"]

COUNT_METRICS = ("calls", "elements")
METRIC_UNITS = {"calls": "calls", "elements": "elements", "peak_bytes": "bytes", "seconds": "s"}
"""The unit of each measure, for a marginal cost ("+2 calls per L")."""


@dataclass(frozen=True)
class Quote:
    """A sentence of the teaching notes, in the original Chinese, with an English translation.

    >>> Quote("正向是O(1)", "forward mode is O(1)").en
    'forward mode is O(1)'
    """

    zh: str
    en: str


@dataclass(frozen=True)
class Check:
    """An expected exponent (or an upper bound) of one measure of one series over the sweep.

    ``expected`` is a number for a one-variable sweep, or a dict ``{variable: exponent}`` for
    several. ``below`` instead asks every value to lie under a bound (a ratio below 5, say).

    >>> Check("jvp/f", "calls", expected=0).ratio
    ('jvp', 'f')
    """

    series: str
    metric: str
    expected: float | dict | None = None
    below: float | None = None
    variant: str = ""
    tolerance: float = 0.2
    note: str = ""

    def __post_init__(self):
        if self.metric not in METRICS:
            raise ValueError(f"Check {self.series!r}: unknown metric {self.metric!r}; choose from {sorted(METRICS)}")
        if (self.expected is None) == (self.below is None):
            raise ValueError(f"Check {self.series!r}: give exactly one of expected= and below=")
        for task in self.ratio or (self.series,):
            if task not in TASKS:
                raise ValueError(f"Check {self.series!r}: unknown task {task!r}; choose from {', '.join(TASKS)}")

    @property
    def ratio(self):
        """``(numerator, denominator)`` for a ratio series like "vjp/f", else None."""
        parts = self.series.split("/")
        return tuple(parts) if len(parts) == 2 else None


@dataclass(frozen=True)
class Crossover:
    """Where the ``forward`` task's cost meets the ``reverse`` task's, along ``along`` at each ``versus``.

    The check holds when, at every value of ``versus`` where the two costs cross inside the grid,
    the crossing lies within a ``factor`` of ``along == versus`` (for a Jacobian: near p = m).

    >>> Crossover("jacfwd", "jacrev", "calls", along="p", versus="m").factor
    3.0
    """

    forward: str
    reverse: str
    metric: str
    along: str
    versus: str
    factor: float = 3.0


@dataclass(frozen=True)
class PerUnit:
    """A slope to report: the linear growth of a measure per unit of the sweep variable, divided by ``per``.

    >>> PerUnit("vjp", "peak_bytes", per=1000, unit="bytes per op per element").unit
    'bytes per op per element'
    """

    series: str
    metric: str
    per: float
    unit: str
    variant: str = ""
    across: dict | None = None
    expected: float | None = None
    tolerance: float = 0.2

    # ``across={variant: x}`` fits the measure against a number attached to each variant instead (pooled
    # over the sweep's points): memory against the snapshots of a checkpointing schedule, say. With
    # ``expected``, the slope is judged like an exponent: its whole 95% CI inside expected +/- tolerance.


@dataclass(frozen=True)
class Exact:
    """An op count that must equal a formula at every point of the sweep: it holds only if it does everywhere.

    The value is the measure of ``series`` in ``variant``, minus the same measure in ``baseline`` when one
    is named: what one version of a function does beyond another (the steps a checkpointing schedule
    recomputes beyond plain reverse mode, say). ``expected(*point)`` is the formula, ``formula`` its text.

    >>> Exact("vjp", "calls", expected=lambda L: L - 1, formula="L - 1", variant="a", baseline="b").formula
    'L - 1'
    """

    series: str
    metric: str
    expected: Callable
    formula: str
    variant: str = ""
    baseline: str | None = None

    def __post_init__(self):
        if self.metric not in COUNT_METRICS:
            raise ValueError(f"Exact {self.series!r}: only op counts are exact; metric must be one of {COUNT_METRICS}, "
                             f"not {self.metric!r}")


@dataclass(frozen=True)
class Exponential:
    """An op count that grows exponentially along the sweep's one variable: by a factor of at least ``at_least``
    per unit step, judged on the line log(count) against the variable (see `base_verdict`).

    >>> Exponential("f", "calls", at_least=2, variant="nested jvp").at_least
    2
    """

    series: str
    metric: str
    at_least: float
    variant: str = ""

    def __post_init__(self):
        if self.metric not in COUNT_METRICS:
            raise ValueError(f"Exponential {self.series!r}: metric must be one of {COUNT_METRICS}, not {self.metric!r}")


@dataclass(frozen=True)
class Frontier:
    """The trade-off of the variants, drawn and tabulated (not judged): each variant's peak memory against its
    cost (``cost``: time or an op count) for ``series``, at the largest points of the sweep.

    >>> Frontier("vjp").cost
    'seconds'
    """

    series: str
    cost: str = "seconds"
    memory: str = "peak_bytes"


@dataclass(frozen=True)
class Experiment:
    """One claim, declared: what to build, where to sweep, what to measure, what to expect.

    ``build(*point, rng=rng)`` returns ``(f, x)`` for a point of the sweep (one value per variable);
    a dict ``{variant name: factory}`` measures several versions of the function side by side.

    >>> import numpy as np
    >>> e = Experiment(id="X", claim="f costs O(n)", n="n", quotes=(), build=lambda n, rng: (np.sin, np.ones(n)),
    ...                sweep=(1, 2), quick=(1,), tasks=("f",), checks=(Check("f", "elements", expected=1),))
    >>> e.variants, e.points(quick=True)
    ([''], [(1,)])
    """

    id: str
    claim: str
    n: str
    quotes: tuple[Quote, ...]
    build: Callable | dict
    sweep: Sequence
    quick: Sequence
    tasks: tuple[str, ...]
    checks: tuple = ()
    variables: tuple[str, ...] = ("L",)
    setting: str = ""

    def __post_init__(self):
        for task in self.tasks:
            if task not in TASKS:
                raise ValueError(f"experiment {self.id}: unknown task {task!r}; choose from {', '.join(TASKS)}")
        for check in self.checks:
            if isinstance(check, Crossover):
                needed = {check.forward, check.reverse}
            else:
                needed = set(check.series.split("/"))
            missing = needed - set(self.tasks)
            if missing:
                raise ValueError(f"experiment {self.id}: a check needs tasks {sorted(missing)} it does not measure")
            named = [getattr(check, "variant", ""), getattr(check, "baseline", None) or "",
                     *(getattr(check, "across", None) or ())]
            unknown = [v for v in named if v and v not in self.variants]
            if unknown:
                raise ValueError(f"experiment {self.id}: a check names variants {unknown} it does not build; "
                                 f"choose from {self.variants}")

    @property
    def variants(self):
        """The names of the function's versions ("" when there is one)."""
        return list(self.build) if isinstance(self.build, dict) else [""]

    def factory(self, variant):
        """The function factory of one variant."""
        return self.build[variant] if isinstance(self.build, dict) else self.build

    def points(self, quick=False):
        """The sweep as tuples, one value per variable (``quick``: the small sweep)."""
        values = self.quick if quick else self.sweep
        return [tuple(p) if isinstance(p, (tuple, list)) else (p,) for p in values]


@dataclass(frozen=True)
class Row:
    """One measurement: a task of one variant of one experiment at one point of its sweep.

    >>> from admodes.measure.timing import Measurement, Timing
    >>> Row("C1", "", "jvp", (64,), Measurement(Timing.from_times([1e-3]), 4096, 130, 1300)).measurement.calls
    130
    """

    claim: str
    variant: str
    task: str
    point: tuple
    measurement: Measurement


# ----------------------------------------------------------------------------------------------------
# Running
# ----------------------------------------------------------------------------------------------------

def run_experiments(experiments, *, quick=False, repeats=5, seed=0, min_time=0.01, progress=True):
    """Measure every task of every experiment at every point of its sweep; returns the `Row` list.

    For each experiment, every (variant, point, task) is first counted, then measured for peak memory,
    then warmed up; the timed repeats then go round all of them in turn, so a burst of load on a
    shared machine lands on every point of a curve alike instead of bending it.

    >>> import numpy as np
    >>> e = Experiment(id="X", claim="", n="n", quotes=(), build=lambda n, rng: (np.sin, np.ones(n)),
    ...                sweep=(10, 20), quick=(10, 20), tasks=("f",))
    >>> [r.measurement.peak_bytes >= 8 * r.point[0] for r in run_experiments([e], repeats=1, progress=False)]
    [True, True]
    """
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    total = sum(len(e.variants) * len(e.points(quick)) * len(e.tasks) for e in experiments) * (1 + repeats)
    bar = _progress(total, progress)
    rows, index = [], 0
    try:
        for e in experiments:
            jobs = []
            for variant in e.variants:
                for point in e.points(quick):
                    rng = np.random.default_rng([seed, index])
                    index += 1
                    f, x = e.factory(variant)(*point, rng=rng)
                    for task in e.tasks:
                        bar.set_description(f"{e.id} {task} {point_text(e.variables, point)}")
                        fn, setup = prepare(task, f, x, rng)
                        counts = op_counts(fn, setup=setup)
                        peak = peak_memory(fn, setup=setup)
                        jobs.append((variant, point, task, counts, peak,
                                     Stopwatch(fn, setup=setup, min_time=min_time), [], []))
                        bar.update(1)
            for r in range(repeats):
                bar.set_description(f"{e.id} timing, repeat {r + 1}/{repeats}")
                for *_, watch, times, cpu in jobs:
                    times.append(watch.repeat())
                    cpu.append(watch.last_cpu)
                    bar.update(1)
            for variant, point, task, counts, peak, watch, times, cpu in jobs:
                rows.append(Row(e.id, variant, task, point, Measurement(
                    Timing.from_times(times, watch.number, cpu), peak, counts.total_calls, counts.total_elements)))
    finally:
        bar.close()
    return rows


def point_text(names, point):
    """A sweep point as text, for progress bars and reports.

    >>> point_text(("L",), (8,))
    'L=8'
    """
    return ", ".join(f"{n}={v}" for n, v in zip(names, point))


class _NoBar:
    def set_description(self, text):
        pass

    def update(self, n):
        pass

    def close(self):
        pass


def _progress(total, enabled):
    if not enabled:
        return _NoBar()
    from tqdm.auto import tqdm
    return tqdm(total=total, unit="measurement", dynamic_ncols=True)


# ----------------------------------------------------------------------------------------------------
# Judging
# ----------------------------------------------------------------------------------------------------
