"""Experiments as declarations, and the machinery that runs and judges them.

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

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from .fits import (
    FAILS,
    HOLDS,
    INCONCLUSIVE,
    PowerLaw,
    Verdict,
    base_verdict,
    bound_verdict,
    combine_verdicts,
    exponent_verdict,
    fit_linear,
    fit_marginal_cost,
    fit_power_laws,
    marginal_verdict,
)
from .tasks import TASKS, prepare
from .timing import METRICS, Measurement, Stopwatch, Timing, op_counts, peak_memory

__all__ = ["Quote", "Check", "Crossover", "PerUnit", "Exact", "Exponential", "Frontier",
           "Experiment", "Row", "CheckResult",
           "CrossoverResult", "PerUnitResult", "ExactResult", "ClaimResult", "run_experiments", "analyse", "series"]

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
                        bar.set_description(f"{e.id} {task} {_point_text(e.variables, point)}")
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


def _point_text(names, point):
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

def series(rows, experiment, name, metric, variant=""):
    """The points and values of a series ("jvp" or a ratio "jvp/f") of one measure, in sweep order.

    Returns ``(points, values)``: an array of shape (k, number of variables) and one of shape (k,).

    >>> from admodes.measure.timing import Measurement, Timing
    >>> e = Experiment(id="X", claim="", n="L", quotes=(), build=None, sweep=(), quick=(), tasks=("f", "jvp"))
    >>> rows = [Row("X", "", task, (L,), Measurement(Timing.from_times([1.0]), 0, calls * L, 0))
    ...         for L in (1, 2) for task, calls in (("f", 1), ("jvp", 2))]
    >>> series(rows, e, "jvp/f", "calls")[1]
    array([2., 2.])
    """
    parts = name.split("/")
    table = {(r.task, r.point): r.measurement.metric(metric)
             for r in rows if r.claim == experiment.id and r.variant == variant}
    points, values = [], []
    for point in sorted({point for _, point in table}):
        if all((task, point) in table for task in parts):
            value = table[(parts[0], point)]
            if len(parts) == 2:
                value = value / table[(parts[1], point)] if table[(parts[1], point)] else math.inf
            points.append(point)
            values.append(value)
    return (np.array(points, dtype=float).reshape(len(points), len(experiment.variables)),
            np.array(values, dtype=float))


@dataclass
class CheckResult:
    """A check judged: the fitted law (or None for a bound), the verdict, and the refit on time (CPU seconds).

    >>> from admodes.measure.fits import fit_power_law, Verdict
    >>> r = CheckResult(Check("jvp", "calls", expected=1), fit_power_law([1, 2], [1.0, 2.0]), Verdict("holds", ""),
    ...                 time_verdict=Verdict("inconclusive", ""))
    >>> r.time_agreement
    'unclear'
    """

    check: Check
    law: PowerLaw | None  # the log-log fit: judged for variables expected constant, shown for the others
    verdict: Verdict
    time_law: PowerLaw | None = None
    time_verdict: Verdict | None = None
    marginals: tuple = ()  # a MarginalCost per variable the cost is expected to grow with
    time_marginals: tuple = ()

    def evidence(self, time=False):
        """The fits behind the verdict as text: per variable, the marginal cost and its exponent where the cost
        should grow, the log-log exponent where it should not ("–" when nothing was fitted).

        >>> from admodes.measure.fits import fit_power_law, fit_marginal_cost, Verdict
        >>> c = Check("jvp", "calls", expected=1)
        >>> n, y = [1, 2, 4, 8], [3.0, 5.0, 9.0, 17.0]
        >>> r = CheckResult(c, fit_power_law(n, y), Verdict("holds", ""), marginals=(fit_marginal_cost(n, y),))
        >>> r.evidence()
        '+2 calls per n [2, 2]; marginal-cost exponent 0.00 [0.00, 0.00]'
        """
        law, marginals = (self.time_law, self.time_marginals) if time else (self.law, self.marginals)
        if law is None:
            return "–"
        unit = series_unit(self.check, "seconds" if time else self.check.metric)
        names = list(self.check.expected) if isinstance(self.check.expected, dict) else [law.names[0]]
        by_name = {m.name: m for m in marginals}
        parts = []
        for name in names:
            if name in by_name:
                text = by_name[name].describe(unit)
            else:
                i = law.names.index(name)
                lo, hi = law.intervals[i]
                fmt = lambda v: "0.00" if f"{v:.2f}" == "-0.00" else f"{v:.2f}"
                ci = f" [{fmt(lo)}, {fmt(hi)}]" if math.isfinite(lo) else " [no interval]"
                text = f"exponent {fmt(law.exponents[i])}{ci}"
            parts.append((f"{name}: " if len(names) > 1 else "") + text)
        return "; ".join(parts)

    @property
    def time_agreement(self):
        """"agrees", "unclear" or "disagrees": the time fit judged by the same rule; None if not fitted."""
        if self.time_verdict is None:
            return None
        return {HOLDS: "agrees", INCONCLUSIVE: "unclear", FAILS: "disagrees"}[self.time_verdict.outcome]


@dataclass
class CrossoverResult:
    """Where the forward and reverse costs cross: one ``along`` value per ``versus`` value (None: no crossing).

    >>> CrossoverResult(Crossover("jacfwd", "jacrev", "calls", "p", "m"), {1.0: 1.2}, Verdict("holds", "")).crossings
    {1.0: 1.2}
    """

    crossover: Crossover
    crossings: dict
    verdict: Verdict
    time_crossings: dict = field(default_factory=dict)  # the same, in time (reported, not judged)


@dataclass
class PerUnitResult:
    """A linear slope per unit of the sweep variable, divided by the declared constant, with its interval.

    >>> PerUnitResult(PerUnit("vjp", "peak_bytes", 1000, "bytes per op per element"), 8.1, (8.0, 8.2)).value
    8.1
    """

    per_unit: PerUnit
    value: float
    interval: tuple[float, float]
    verdict: Verdict | None = None  # when the slope has an ``expected`` value


@dataclass
class ExactResult:
    """An `Exact` check judged: the measured and expected values at each point, and the verdict.

    >>> r = ExactResult(Exact("vjp", "calls", lambda L: L, "L"), [(8,)], [8.0], [8.0], Verdict("holds", ""))
    >>> r.verdict.outcome
    'holds'
    """

    exact: Exact
    points: list
    measured: list
    expected: list
    verdict: Verdict


@dataclass
class ClaimResult:
    """Everything judged about one experiment, and the claim's overall verdict (see `analyse`).

    >>> e = Experiment(id="X", claim="", n="L", quotes=(), build=None, sweep=(), quick=(), tasks=("f",))
    >>> ClaimResult(e).verdict   # nothing judged yet
    'inconclusive'
    """

    experiment: Experiment
    checks: list[CheckResult] = field(default_factory=list)
    crossovers: list[CrossoverResult] = field(default_factory=list)
    per_units: list[PerUnitResult] = field(default_factory=list)
    exacts: list[ExactResult] = field(default_factory=list)
    exponentials: list[tuple] = field(default_factory=list)  # (Exponential, Verdict)
    frontiers: list[Frontier] = field(default_factory=list)

    @property
    def verdict(self):
        """Holds when every judged check holds, does not hold when any fails, else inconclusive."""
        return combine_verdicts([c.verdict for c in self.checks] + [c.verdict for c in self.crossovers]
                                + [p.verdict for p in self.per_units if p.verdict is not None]
                                + [x.verdict for x in self.exacts] + [v for _, v in self.exponentials])

    @property
    def time_agreement(self):
        """"agrees" when every refit on time agrees, "disagrees" if any contradicts, else "unclear"."""
        marks = [c.time_agreement for c in self.checks if c.time_agreement is not None]
        if not marks:
            return None
        if "disagrees" in marks:
            return "disagrees"
        return "agrees" if all(m == "agrees" for m in marks) else "unclear"


def analyse(experiment, rows):
    """Judge every check of ``experiment`` on the measured ``rows``: a `ClaimResult`.

    >>> import numpy as np
    >>> e = Experiment(id="X", claim="", n="n", quotes=(), build=lambda n, rng: (np.sin, np.ones(n)),
    ...                sweep=(1000, 4000, 16000, 64000), quick=(), tasks=("f",),
    ...                checks=(Check("f", "peak_bytes", expected=1),))
    >>> analyse(e, run_experiments([e], repeats=1, progress=False)).verdict
    'holds'
    """
    result = ClaimResult(experiment)
    for check in experiment.checks:
        if isinstance(check, Check):
            result.checks.append(_judge(experiment, rows, check))
        elif isinstance(check, Crossover):
            result.crossovers.append(_judge_crossover(experiment, rows, check))
        elif isinstance(check, PerUnit):
            result.per_units.append(_per_unit(experiment, rows, check))
        elif isinstance(check, Exact):
            result.exacts.append(_judge_exact(experiment, rows, check))
        elif isinstance(check, Exponential):
            points, values = series(rows, experiment, check.series, check.metric, check.variant)
            result.exponentials.append((check, base_verdict(points[:, 0], values, check.at_least)))
        elif isinstance(check, Frontier):
            result.frontiers.append(check)
        else:
            raise TypeError(f"experiment {experiment.id}: not a check: {check!r}")
    return result


def _fit(experiment, points, values, expected):
    names = list(experiment.variables)
    if isinstance(expected, dict):
        names = list(expected)
    columns = [points[:, experiment.variables.index(n)] for n in names]
    return fit_power_laws(columns, values, names=names)


def _expected_by_variable(experiment, expected):
    return dict(expected) if isinstance(expected, dict) else {experiment.variables[0]: expected}


def _marginals(experiment, points, values, expected):
    """The affine fit along each variable the claim says the cost grows with (expected exponent above 0)."""
    out = []
    for name, power in _expected_by_variable(experiment, expected).items():
        if power > 0:
            i = experiment.variables.index(name)
            others = [tuple(row) for row in np.delete(points, i, axis=1)]
            out.append(fit_marginal_cost(points[:, i], values, power=power, groups=others, name=name))
    return tuple(out)


def _model_verdict(experiment, check, points, values, metric):
    """The verdict of one series under the model its claim states, with the fits it rests on.

    A variable with expected exponent 0 ("independent of n") is judged by the log-log exponent of the
    cost (a constant has exponent 0, whatever its level). A variable with expected exponent k > 0
    ("O(n^k)") is judged by the affine model cost = a + b n^k: b above 0 and the marginal cost constant
    (see `marginal_verdict`). A power law fitted to affine data has an exponent below k at small n, so
    it is reported beside the verdict, never judged.
    """
    law = _fit(experiment, points, values, check.expected)
    marginals = _marginals(experiment, points, values, check.expected)
    unit = series_unit(check, metric)
    verdicts, reasons = [], []
    for name, power in _expected_by_variable(experiment, check.expected).items():
        if power > 0:
            mc = next(m for m in marginals if m.name == name)
            v = marginal_verdict(mc, check.tolerance, unit)
        else:
            v = exponent_verdict(law, 0, check.tolerance, name=name)
        verdicts.append(v)
        reasons.append(v.reason)
    many = len(verdicts) > 1
    names = list(_expected_by_variable(experiment, check.expected))
    reason = "; ".join(f"{n}: {r}" if many else r for n, r in zip(names, reasons))
    return law, marginals, Verdict(combine_verdicts(verdicts), reason)


def series_unit(check, metric):
    """The unit of a series' values: the measure's ("calls", "bytes", "s"), or "× f" for a ratio to f.

    >>> jvp, ratio = Check("jvp", "calls", expected=1), Check("jvp/f", "calls", expected=0)
    >>> series_unit(jvp, "calls"), series_unit(jvp, "seconds"), series_unit(ratio, "seconds")
    ('calls', 's', '× f')
    """
    return f"× {check.ratio[1]}" if check.ratio else METRIC_UNITS.get(metric, "")


def _judge(experiment, rows, check):
    points, values = series(rows, experiment, check.series, check.metric, check.variant)
    if len(values) == 0:
        return CheckResult(check, None, Verdict(INCONCLUSIVE, "no measurements"))
    if check.below is not None:
        return CheckResult(check, None, bound_verdict(values, check.below, f"{check.series} ({check.metric})"))
    try:
        law, marginals, verdict = _model_verdict(experiment, check, points, values, check.metric)
    except ValueError as err:
        return CheckResult(check, None, Verdict(INCONCLUSIVE, f"cannot fit: {err}"))
    result = CheckResult(check, law, verdict, marginals=marginals)
    if check.metric in COUNT_METRICS:
        t_points, t_values = series(rows, experiment, check.series, "seconds", check.variant)
        try:
            result.time_law, result.time_marginals, result.time_verdict = _model_verdict(
                experiment, check, t_points, t_values, "seconds")
        except ValueError as err:
            result.time_verdict = Verdict(INCONCLUSIVE, f"cannot fit the time: {err}")
    return result


def crossings(experiment, rows, crossover, variant=""):
    """For each value of ``versus``: the ``along`` value where forward and reverse costs are equal.

    Interpolated linearly in log cost and log ``along``; None where the two never cross in the grid.

    >>> from admodes.measure.timing import Measurement, Timing
    >>> e = Experiment(id="J", claim="", n="", quotes=(), build=None, sweep=(), quick=(), variables=("p", "m"),
    ...                tasks=("jacfwd", "jacrev"))
    >>> rows = [Row("J", "", task, (p, 4), Measurement(Timing.from_times([1.0]), 0, cost, 0))
    ...         for p in (1, 2, 4, 8) for task, cost in (("jacfwd", p), ("jacrev", 4))]
    >>> crossings(e, rows, Crossover("jacfwd", "jacrev", "calls", along="p", versus="m"))
    {4.0: 4.0}
    """
    _, fwd = series(rows, experiment, crossover.forward, crossover.metric, variant)
    points, rev = series(rows, experiment, crossover.reverse, crossover.metric, variant)
    ia, iv = experiment.variables.index(crossover.along), experiment.variables.index(crossover.versus)
    out = {}
    for v in sorted(set(points[:, iv])):
        sel = points[:, iv] == v
        along = points[sel, ia]
        gap = np.log(fwd[sel]) - np.log(rev[sel])  # > 0: forward costs more
        order = np.argsort(along)
        along, gap = along[order], gap[order]
        found = None
        for k in range(len(gap)):
            if gap[k] == 0:
                found = float(along[k])
                break
            if k + 1 < len(gap) and (gap[k] < 0 < gap[k + 1] or gap[k] > 0 > gap[k + 1]):
                la, lb = math.log(along[k]), math.log(along[k + 1])
                found = float(math.exp(la + (lb - la) * gap[k] / (gap[k] - gap[k + 1])))
                break
        out[float(v)] = found
    return out


def _judge_crossover(experiment, rows, crossover):
    result = _crossover_verdict(experiment, rows, crossover)
    result.time_crossings = crossings(experiment, rows, replace(crossover, metric="seconds"))
    return result


def _crossover_verdict(experiment, rows, crossover):
    found = crossings(experiment, rows, crossover)
    ratios = [c / v for v, c in found.items() if c is not None]
    rule = f"crossing within a factor {crossover.factor:g} of {crossover.along} = {crossover.versus}"
    if not ratios:
        return CrossoverResult(crossover, found, Verdict(INCONCLUSIVE, f"no crossing inside the grid; needs {rule}"))
    text = (f"{crossover.along}*/{crossover.versus} at the crossings: "
            + ", ".join(f"{r:.2f}" for r in ratios) + f"; needs {rule}")
    inside = [1 / crossover.factor <= r <= crossover.factor for r in ratios]
    if all(inside) and len(ratios) >= 2:
        return CrossoverResult(crossover, found, Verdict(HOLDS, text))
    if not any(inside):
        return CrossoverResult(crossover, found, Verdict(FAILS, text))
    return CrossoverResult(crossover, found, Verdict(INCONCLUSIVE, text))


def _per_unit(experiment, rows, per_unit):
    if per_unit.across:
        pooled = [(x, v) for variant, x in per_unit.across.items()
                  for v in series(rows, experiment, per_unit.series, per_unit.metric, variant)[1]]
        along, values = (np.array(c, dtype=float) for c in zip(*pooled)) if pooled else (np.zeros(0), np.zeros(0))
    else:
        points, values = series(rows, experiment, per_unit.series, per_unit.metric, per_unit.variant)
        along = points[:, 0]
    fit = fit_linear(np.column_stack([np.ones(len(values)), along]), values)
    value, (lo, hi) = float(fit.coef[1] / per_unit.per), (float(fit.ci[1][0] / per_unit.per),
                                                          float(fit.ci[1][1] / per_unit.per))
    verdict = None
    if per_unit.expected is not None:
        low_edge, high_edge = per_unit.expected - per_unit.tolerance, per_unit.expected + per_unit.tolerance
        text = (f"slope {value:.2f} {per_unit.unit}, 95% CI [{lo:.2f}, {hi:.2f}]; expected "
                f"{per_unit.expected:g} +/- {per_unit.tolerance:g}")
        if not (math.isfinite(lo) and math.isfinite(hi)):
            verdict = Verdict(INCONCLUSIVE, f"{text}: too few points to estimate the uncertainty")
        elif low_edge <= lo and hi <= high_edge:
            verdict = Verdict(HOLDS, f"{text}: the interval lies inside the band")
        elif hi < low_edge or lo > high_edge:
            verdict = Verdict(FAILS, f"{text}: the interval lies outside the band")
        else:
            verdict = Verdict(INCONCLUSIVE, f"{text}: the interval straddles the band's edge")
    return PerUnitResult(per_unit, value, (lo, hi), verdict)


def _judge_exact(experiment, rows, exact):
    points, measured = series(rows, experiment, exact.series, exact.metric, exact.variant)
    if exact.baseline is not None:
        base_points, base = series(rows, experiment, exact.series, exact.metric, exact.baseline)
        common = [tuple(p) for p in points if any((p == q).all() for q in base_points)]
        lookup = {tuple(p): v for p, v in zip(points, measured)}
        base_lookup = {tuple(p): v for p, v in zip(base_points, base)}
        points = np.array(common, dtype=float).reshape(len(common), len(experiment.variables))
        measured = np.array([lookup[p] - base_lookup[p] for p in common], dtype=float)
    pts = [tuple(int(v) if float(v).is_integer() else float(v) for v in p) for p in points]
    expected = [float(exact.expected(*p)) for p in pts]
    if not pts:
        return ExactResult(exact, [], [], [], Verdict(INCONCLUSIVE, "no measurements"))
    wrong = [(p, m, e) for p, m, e in zip(pts, measured, expected) if abs(m - e) > 0.5]
    where = f"{exact.formula} at {len(pts)} points"
    if not wrong:
        return ExactResult(exact, pts, list(map(float, measured)), expected,
                           Verdict(HOLDS, f"equal to {where}"))
    p, m, e = wrong[0]
    return ExactResult(exact, pts, list(map(float, measured)), expected, Verdict(
        FAILS, f"differs from {where} at {len(wrong)} of them; first at {_point_text(experiment.variables, p)}: "
               f"measured {m:g}, formula {e:g}"))
