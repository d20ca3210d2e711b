"""Judging experiments: each claim's series measured by `harness.run_experiments`, fitted with the model the
claim states (`fits`), and turned into verdicts (`ClaimResult`) that the report and the figures read.

>>> from admodes.measure.verdicts import series
>>> callable(series)
True
"""

from __future__ import annotations

import math
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
from .harness import (
    COUNT_METRICS,
    METRIC_UNITS,
    Check,
    Crossover,
    Exact,
    Experiment,
    Exponential,
    Frontier,
    PerUnit,
    Row,  # noqa: F401  (the doctests build rows)
    point_text,
)

__all__ = ["CheckResult", "CrossoverResult", "PerUnitResult", "ExactResult", "ClaimResult", "analyse", "series",
           "series_unit", "crossings"]


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
    >>> from admodes.measure.harness import run_experiments
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
        FAILS, f"differs from {where} at {len(wrong)} of them; first at {point_text(experiment.variables, p)}: "
               f"measured {m:g}, formula {e:g}"))
