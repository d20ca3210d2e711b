"""The report's text, ``report.md``: the verdict table on top, then one section per claim (its checks, the
crossovers, the clock's view, a table of every measurement), and the number formats it uses.

>>> format_bytes(1.5e6), format_seconds(0.0032)
('1.5 MB', '3.2 ms')
"""

from __future__ import annotations

import datetime as _dt
import math

from .output import plot_file
from .tasks import TASKS
from .timing import METRICS

__all__ = ["render_markdown", "format_bytes", "format_seconds", "VERDICT_RULE"]

VERDICT_RULE = (
    "Each claim is tested with the model it states. **\"O(n)\"** is cost = a + b·n: the fixed part a (recording "
    "the output, the final sum, ...) stays, and each unit of n adds the same b. It **holds** when the 95% "
    "confidence interval of b, the marginal cost, lies above 0 and the interval of the log-log exponent of the "
    "marginal cost (the increments between neighbouring points, against n) lies within 0 +/- 0.2: the marginal "
    "cost neither grows nor shrinks with n. (A power law fitted through affine points has an exponent below 1 "
    "at small n, however exact the model is, so the plain log-log exponent is shown but not judged.) "
    "**\"Independent of n\"** (O(1), one sweep whatever p) holds when the interval of the cost's log-log "
    "exponent lies within 0 +/- 0.2. A check **does not hold** when its interval lies wholly outside the band "
    "(or b's lies at or below 0); otherwise it is **inconclusive**. A claim holds when all its checks hold and "
    "does not hold when any check fails. Verdicts rest on the noise-free measures (op counts and peak memory); "
    "each check on an op count is fitted again on time (CPU seconds) with the same model, and the table says "
    "whether "
    "the clock agrees."
)


def format_bytes(b):
    """A byte count for people: ``1.5 MB``, ``512 B``."""
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if b >= size:
            return f"{b / size:.3g} {unit}"
    return f"{b:.0f} B"


def format_seconds(s):
    """A duration for people: ``120 s``, ``3.2 ms``."""
    if s >= 100:
        return f"{s:,.0f} s"
    for unit, size in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if s >= size:
            return f"{s / size:.3g} {unit}"
    return f"{s * 1e9:.3g} ns"


def _num(x, digits=3):
    """A number with ``digits`` significant digits; round-off (|x| < 1e-9) shows as 0."""
    if not math.isfinite(x):
        return str(x)
    return "0" if abs(x) < 1e-9 else f"{x:.{digits}g}"


def _fixed(x):
    """Two decimals, without a minus sign on a rounded zero."""
    text = f"{x:.2f}"
    return "0.00" if text == "-0.00" else text


def _model_text(name, power):
    """The model a claim states about one variable: "a + b·L, b > 0" or "independent of L"."""
    if power == 0:
        return f"independent of {name}"
    term = name if power == 1 else f"√{name}" if power == 0.5 else f"{name}^{power:g}"
    return f"a + b·{term}, b > 0"


def _expected_text(check, variables=("n",)):
    if check.below is not None:
        return f"< {check.below:g}"
    expected = check.expected if isinstance(check.expected, dict) else {variables[0]: check.expected}
    return "; ".join(_model_text(n, b) for n, b in expected.items())


def _series_text(check):
    name = check.series
    if check.ratio:
        num, den = check.ratio
        name = f"{TASKS[num].label} / {TASKS[den].label}"
    else:
        name = TASKS[name].label
    return f"{name}, {check.variant}" if check.variant else name


def _short_series(check):
    name = f"`{check.series}`" + (f" [{check.variant}]" if check.variant else "")
    return f"{name} {check.metric.replace('_', ' ')}"


def _summary(results):
    lines = ["| claim | n | verdict | the evidence: marginal costs and exponents, 95% CI | time |",
             "|---|---|---|---|---|"]
    for r in results:
        e = r.experiment
        evidence = [f"{_short_series(c.check)}: {c.evidence()}" for c in r.checks if c.law is not None]
        evidence += [f"{_short_series(c.check)}: {c.verdict.reason.split(': ', 1)[1].split(':')[0]}"
                     for c in r.checks if c.check.below is not None]
        evidence += [f"crossover {c.verdict.reason.split(';')[0]}" for c in r.crossovers]
        evidence += [f"`{p.per_unit.series}` {p.per_unit.metric.replace('_', ' ')} per unit: "
                     f"{_num(p.value)} [{_num(p.interval[0])}, {_num(p.interval[1])}] {p.per_unit.unit}"
                     for p in r.per_units if p.verdict is not None]
        evidence += [f"{_exact_text(x.exact)}: {'=' if x.verdict.outcome == 'holds' else '≠'} {x.exact.formula}"
                     for x in r.exacts]
        evidence += [f"`{x.series}` [{x.variant}] {x.metric}: {v.reason.split(':')[0]}" for x, v in r.exponentials]
        lines.append(f"| [{e.id}](#{e.id.lower()}): {e.claim} | {e.n.split(';')[0]} | **{r.verdict}** "
                     f"| {'<br>'.join(evidence)} | {r.time_agreement or 'n/a (a memory claim)'} |")
    return "\n".join(lines)


def _exact_text(exact):
    name = f"`{exact.series}` [{exact.variant}]" if exact.variant else f"`{exact.series}`"
    baseline = f" − [{exact.baseline}]" if exact.baseline is not None else ""
    return f"{name}{baseline} {exact.metric}"


def _exact_table(r):
    """One row per point: each `Exact` check's measured value beside its formula's."""
    e = r.experiment
    points = sorted({p for x in r.exacts for p in x.points})
    header = [*e.variables, *(f"{x.exact.variant or x.exact.series}: measured / formula" for x in r.exacts)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for point in points:
        cells = [f"{v:g}" for v in point]
        for x in r.exacts:
            if point in x.points:
                k = x.points.index(point)
                mark = "" if abs(x.measured[k] - x.expected[k]) <= 0.5 else " **≠**"
                cells.append(f"{x.measured[k]:,.0f} / {x.expected[k]:,.0f}{mark}")
            else:
                cells.append("–")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _frontier_table(r, rows, frontier):
    """At the largest point: each variant's memory and cost, and both relative to the first variant."""
    from .plots import frontier_points
    e = r.experiment
    point = max({row.point for row in rows if row.claim == e.id}, default=None)
    if point is None:
        return ""
    marks = frontier_points(e, rows, frontier, point)
    if not marks:
        return ""
    first = next(iter(marks.values()))
    def fmt(metric, v):
        return format_bytes(v) if metric == "peak_bytes" else format_seconds(v) if metric == "seconds" else f"{v:,.0f}"
    lines = [f"At {', '.join(f'{n} = {v:g}' for n, v in zip(e.variables, point))}, {TASKS[frontier.series].label}:",
             "", f"| variant | {METRICS[frontier.memory]} | × {e.variants[0]} | {METRICS[frontier.cost]} "
                 f"| × {e.variants[0]} |", "|---|---|---|---|---|"]
    for v, (memory, cost) in sorted(marks.items(), key=lambda item: -item[1][0]):
        lines.append(f"| {v} | {fmt(frontier.memory, memory)} | {memory / first[0]:.3g} | {fmt(frontier.cost, cost)} "
                     f"| {cost / first[1]:.3g} |")
    return "\n".join(lines)


def _checks_table(r):
    lines = ["| series | measure | the claim's model | fitted (95% CI) | verdict | "
             "time, same model (95% CI) | time |", "|---|---|---|---|---|---|---|"]
    variables = r.experiment.variables
    for c in r.checks:
        fitted = c.evidence() if c.law is not None else c.verdict.reason.split(":")[0]
        lines.append(f"| {_series_text(c.check)} | {METRICS[c.check.metric]} | {_expected_text(c.check, variables)} "
                     f"| {fitted} | {c.verdict.outcome} | {c.evidence(time=True)} "
                     f"| {c.time_agreement or '–'} |")
    return "\n".join(lines)


def _measurements_table(r, rows):
    e = r.experiment
    lines = ["| " + " | ".join([*e.variables, "variant", "task", "time (CPU, fastest)", "wall time (median)",
                                "IQR / median",
                                "peak memory", "primitive calls", "elements"]) + " |",
             "|" + "---|" * (len(e.variables) + 8)]
    if len(e.variants) == 1:
        lines = [line.replace(" variant |", "", 1) if i == 0 else "|" + "---|" * (len(e.variables) + 7)
                 for i, line in enumerate(lines)]
    mine = [row for row in rows if row.claim == e.id]
    mine.sort(key=lambda row: (e.variants.index(row.variant), row.point, e.tasks.index(row.task)))
    for row in mine:
        m = row.measurement
        cells = [f"{v:g}" for v in row.point]
        if len(e.variants) > 1:
            cells.append(row.variant)
        cells += [TASKS[row.task].label, format_seconds(m.time.min), format_seconds(m.time.median),
                  f"{m.time.spread:.0%}",
                  format_bytes(m.peak_bytes),
                  f"{m.calls:,}", f"{m.elements:,}"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _clock_text(r, rows, costs):
    """Which part of the time dominates at the sizes measured, and what the clock's agreement means."""
    from .overhead import fixed_shares
    shares = fixed_shares(r, rows, costs)
    if not shares or r.time_agreement is None:
        return []
    e = r.experiment
    modes = ", ".join(f"{c.per_call * 1e6:.2g} µs ({mode})" for mode, c in costs.items())
    element = max(c.per_element for c in costs.values())
    parts = []
    for task, variant, ends in shares:
        at = " and ".join(f"{share:.0%} at {', '.join(f'{n} = {v:g}' for n, v in zip(e.variables, point))}"
                          for point, share in ends)
        parts.append(f"{TASKS[task].label}{f' [{variant}]' if variant else ''}: {at}")
    every = [share for _, _, ends in shares for _, share in ends]
    if min(every) >= 0.5:
        dominant = ("the fixed cost per call dominates at these sizes (Python's work per op, not NumPy's), so wall "
                    "time follows the number of calls, plus the noise of a shared machine")
    elif max(every) < 0.5:
        dominant = ("NumPy's arithmetic dominates at these sizes, so time follows the elements processed as "
                    "well as the number of calls")
    else:
        dominant = ("the dominant part changes across the sweep: the fixed cost per call where arrays are small, "
                    "NumPy's arithmetic where they are large, so time does not grow like the op count alone")
    spread = max((row.measurement.time.spread for row in rows if row.claim == e.id), default=0.0)
    meaning = {
        "agrees": "The clock agrees: the same model fitted on time gives the same verdict.",
        "unclear": f"**Time unclear** means the same model fitted on time gives intervals too wide to "
                   f"decide (the repeats' interquartile range reaches {spread:.0%} of the median here): the clock "
                   "neither confirms nor contradicts the op counts.",
        "disagrees": "**Time disagrees**: fitted with the same model, the clock contradicts the op counts, "
                     "because the costs it pays are not all counted as calls (see the split above).",
    }[r.time_agreement]
    return [f"**What the clock sees.** Measured during the run on this machine, one primitive call costs a fixed "
            f"{modes}, plus up to {element * 1e9:.2g} ns per element of NumPy's arithmetic. The fixed part's share "
            f"of the time: {'; '.join(parts)}. So {dominant}. {meaning}", ""]


def _claim_section(r, rows, costs=None):
    e = r.experiment
    out = [f'<a id="{e.id.lower()}"></a>', f"## {e.id}: {e.claim}", ""]
    for q in e.quotes:
        out += [f"> {q.zh}", ">", f"> *{q.en}*", ""]
    out += [f"**What n is.** {e.n}", ""]
    if e.setting:
        out += [f"**Setting.** {e.setting}", ""]
    out += [f"**Verdict: {r.verdict}.**" + (f" Time {r.time_agreement}." if r.time_agreement else ""), ""]
    out += [_checks_table(r), ""]
    for c in r.checks:
        out.append(f"- {_series_text(c.check)} ({METRICS[c.check.metric]}): {c.verdict.reason}."
                   + (f" {c.check.note}" if c.check.note else ""))
        if c.time_agreement == "unclear":
            out.append(f"  - Time neither confirms nor contradicts this: {c.time_verdict.reason}.")
        elif c.time_agreement == "disagrees":
            out.append(f"  - **Time disagrees** with the op counts: {c.time_verdict.reason}.")
    for c in r.crossovers:
        out.append(f"- Crossover of {c.crossover.forward} and {c.crossover.reverse} ({METRICS[c.crossover.metric]}): "
                   f"{c.verdict.outcome}; {c.verdict.reason}.")
        found = ", ".join(f"{c.crossover.versus}={v:g}: {c.crossover.along}*≈{x:.3g}" if x is not None else
                          f"{c.crossover.versus}={v:g}: no crossing in the grid" for v, x in c.crossings.items())
        out.append(f"  - Crossings: {found}.")
        timed = ", ".join(f"{c.crossover.versus}={v:g}: {c.crossover.along}*≈{x:.3g}" if x is not None else
                          f"{c.crossover.versus}={v:g}: none in the grid" for v, x in c.time_crossings.items())
        out.append(f"  - In time (reported, not judged): {timed}.")
    for p in r.per_units:
        lo, hi = p.interval
        variant = f" [{p.per_unit.variant}]" if p.per_unit.variant else ""
        against = (f"the variants' numbers ({', '.join(f'{v}: {x:g}' for v, x in p.per_unit.across.items())}), "
                   f"over every {e.variables[0]}" if p.per_unit.across else e.variables[0])
        judged = f" Verdict: {p.verdict.outcome} ({p.verdict.reason})." if p.verdict is not None else ""
        out.append(f"- {TASKS[p.per_unit.series].label}{variant}: {_num(p.value)} {p.per_unit.unit} "
                   f"(95% CI [{_num(lo)}, {_num(hi)}]), from a straight-line fit of {METRICS[p.per_unit.metric]} "
                   f"against {against}.{judged}")
    for x in r.exacts:
        out.append(f"- {_exact_text(x.exact)} ({METRICS[x.exact.metric]}) against the formula {x.exact.formula}: "
                   f"{x.verdict.outcome}; {x.verdict.reason}.")
    for x, v in r.exponentials:
        out.append(f"- {TASKS[x.series].label} [{x.variant}] ({METRICS[x.metric]}), exponential in "
                   f"{e.variables[0]} (a straight line in log scale): {v.outcome}; {v.reason}.")
    out += [""] + _clock_text(r, rows, costs or {})
    if r.exacts:
        out += ["", _exact_table(r)]
    for frontier in r.frontiers:
        out += ["", _frontier_table(r, rows, frontier)]
    out += ["", f"![{e.id}: {e.claim}]({plot_file(r)})", "", "<details><summary>Measurements</summary>", "",
            _measurements_table(r, rows), "", "</details>", ""]
    return "\n".join(out)


def render_markdown(results, rows, meta):
    """The text of ``report.md``: the verdict table, then one section per claim.

    >>> render_markdown([], [], {"command": "python demo.py"}).splitlines()[0]
    '# Forward versus reverse mode: the complexity claims, measured'
    """
    machine = meta.get("machine", {})
    settings = meta.get("settings", {})
    when = meta.get("finished", _dt.datetime.now().isoformat(timespec="seconds"))
    out = [
        "# Forward versus reverse mode: the complexity claims, measured",
        "",
        f"Produced by `{meta.get('command', '?')}` on {when}; measuring took {meta.get('duration_seconds', 0):.0f} s"
        f" ({'quick run: small sizes' if settings.get('quick') else 'full run'}, {settings.get('repeats')} timed "
        f"repeats per point, seed {settings.get('seed')}).",
        f"Machine: {machine.get('processor')}, {machine.get('cpu_count')} CPUs, {machine.get('platform')}; "
        f"Python {machine.get('python')}, NumPy {machine.get('numpy')}, admodes {machine.get('admodes')}"
        + (f" (commit {machine['git_commit'][:10]}"
           + (", with uncommitted changes to admodes/" if machine.get("git_uncommitted_changes") else "") + ")"
           if machine.get("git_commit") else "") + ".",
        "",
        "## Verdicts",
        "",
        _summary(results),
        "",
        VERDICT_RULE,
        "",
        "Three measures per point: **time** (the CPU time of the fastest of the timed repeats after a warm-up, "
        "which fits and verdicts use: on a shared machine other programs take the CPU away in the middle of a "
        "call, which adds to its wall time but not to its CPU time, and only ever adds; the wall time's median "
        "and interquartile range are reported beside it), **peak memory** (tracemalloc, which sees every "
        "NumPy buffer; the peak during the call above the memory in use when it starts) and the op "
        "library's **op counts** (primitive calls, and elements processed: the size of the largest array "
        "of each call). Op counts count calls of admodes primitives; NumPy arithmetic that a derivative "
        "rule does directly on plain arrays is not a primitive call, so counts measure the number of "
        "operations, and time their full cost.",
        "",
        "The notes' n means different things in different sentences. Here L is the number of operations "
        "(nodes of the computational graph) in one evaluation of f, p the number of inputs and m the "
        "number of outputs; each claim below says which it is about.",
        "",
    ]
    from .overhead import overhead_from_json
    costs = overhead_from_json(meta.get("overhead"))
    out += [_claim_section(r, rows, costs) for r in results]
    out += ["## Files", "",
            "- `results.csv`: one row per measurement (claim, variant, task, mode, sweep variables, wall-time "
            "median, quartiles, min, max, the raw per-repeat times, peak bytes, primitive calls, elements).",
            "- `results.json`: the same measurements, every fit and verdict, the settings, the machine and the "
            "exact command.",
            "- One PNG per claim, embedded above.", ""]
    return "\n".join(out)
