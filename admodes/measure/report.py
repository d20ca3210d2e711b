"""The scaling report: ``report.md`` with a verdict table on top, one PNG per claim, and every raw
measurement in ``results.csv`` and ``results.json`` (with the machine and the exact command).

`write_report` builds everything in a hidden sibling folder and moves the files into place at the end, so
an interrupted run never leaves a half-written report that looks complete; a run replaces only the files a
run writes, never the user's other files in the folder.
"""

from __future__ import annotations

import csv
import datetime as _dt
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from .harness import Row
from .tasks import TASKS
from .timing import METRICS
from .verdicts import ClaimResult

__all__ = ["machine_info", "prepare_output", "write_report", "report_files", "previous_report_files", "OutputError",
           "MARKER"]

MARKER = "results.json"
"""The file that marks a folder as a finished report (written last, checked before replacing a folder)."""

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


class OutputError(Exception):
    """The output folder cannot be written (or is not ours to replace).

    >>> import tempfile, pathlib
    >>> blocker = pathlib.Path(tempfile.mkdtemp()) / "a-file"; _ = blocker.write_text("")
    >>> try:
    ...     prepare_output(blocker / "report")
    ... except OutputError as err:
    ...     print(str(err).split(" /")[0])
    cannot write the output folder
    """


def machine_info():
    """Where and with what the measurements ran: machine, OS, Python, NumPy, admodes, git commit.

    >>> sorted(machine_info())[:3]
    ['admodes', 'cpu_count', 'git_commit']
    """
    import admodes
    info = {
        "admodes": getattr(admodes, "__version__", "unknown"),
        "cpu_count": os.cpu_count(),
        "git_commit": None,
        "machine": platform.machine(),
        "numpy": np.__version__,
        "platform": platform.platform(),
        "processor": _cpu_model(),
        "python": sys.version.split()[0],
        "python_implementation": platform.python_implementation(),
    }
    try:
        root = Path(admodes.__file__).resolve().parent.parent
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=5)
        if commit.returncode == 0:
            info["git_commit"] = commit.stdout.strip()
            status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", "admodes"],
                                    cwd=root, capture_output=True, text=True, timeout=5)
            info["git_uncommitted_changes"] = bool(status.stdout.strip()) if status.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        pass
    return info


def _cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


# ----------------------------------------------------------------------------------------------------
# The output folder, written atomically
# ----------------------------------------------------------------------------------------------------

REPORT_FILES = ("report.md", "results.csv", MARKER)
"""The files every run writes, beside one PNG per claim."""


def report_files(experiments):
    """The names of the files a run of ``experiments`` writes into its output folder.

    >>> from types import SimpleNamespace
    >>> report_files([SimpleNamespace(id="C1")])
    ['report.md', 'results.csv', 'results.json', 'C1.png']
    """
    return [*REPORT_FILES, *(f"{e.id}.png" for e in experiments)]


def previous_report_files(out):
    """The files of the report already in ``out`` (named by its ``results.json``); empty if there is none.

    >>> import tempfile, pathlib
    >>> previous_report_files(pathlib.Path(tempfile.mkdtemp()))
    []
    """
    try:
        data = json.loads((Path(out) / MARKER).read_text(encoding="utf-8"))
        plots = [c["plot"] for c in data.get("claims", []) if isinstance(c.get("plot"), str)]
    except (OSError, ValueError, AttributeError, TypeError):
        return []
    return [name for name in [*REPORT_FILES, *plots] if name and Path(name).name == name]


def prepare_output(out, writes=REPORT_FILES, force=False):
    """Check that ``out`` can be written, before any measuring; returns a fresh hidden staging folder.

    ``out`` may not exist yet. If it does, a run replaces only the files it writes (``writes``) and those
    of the previous report there; any other file in it is the user's, and the folder is refused unless
    ``force`` (then those files are kept untouched).

    >>> import tempfile, pathlib
    >>> staging = prepare_output(pathlib.Path(tempfile.mkdtemp()) / "scaling")
    >>> staging.name.startswith(".scaling.partial-"), staging.is_dir()
    (True, True)
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise OutputError(f"output {out} exists and is not a folder")
    if out.is_dir() and not force:
        ours = set(writes) | set(previous_report_files(out))
        foreign = sorted(p.name for p in out.iterdir() if p.name not in ours)
        if foreign:
            shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
            raise OutputError(f"output folder {out} holds files a run does not write ({shown}); choose a new or "
                              "empty folder with --out, or pass --force to write the report beside them (they "
                              "are kept)")
    parent = out.resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=parent))
    except OSError as err:
        raise OutputError(f"cannot write the output folder {out}: {err.strerror or err}") from None
    return staging


def _move_into_place(staging, out):
    """Move the staged files into ``out``: the previous report's files go, the user's other files stay.

    The marker goes first and comes back last, so a folder caught half-way holds no marker claiming a
    finished report. ``out`` is created with the usual permissions (the umask's), not the staging folder's 0700.
    """
    out = Path(out)
    names = sorted(p.name for p in staging.iterdir())
    if out.is_dir():
        for name in [MARKER, *previous_report_files(out)]:
            if name not in names or name == MARKER:
                (out / name).unlink(missing_ok=True)
    else:
        out.mkdir()
    for name in sorted(names, key=lambda n: n == MARKER):
        os.replace(staging / name, out / name)
    staging.rmdir()


def write_report(out, staging, results, rows, meta):
    """Write the report into ``staging`` (from `prepare_output`), then move its files into ``out``.

    ``results`` are the `ClaimResult` list, ``rows`` every measurement, ``meta`` the command, the
    settings and the machine. ``results.json`` is written last; the files are moved into place only
    when everything is there.

    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "empty-report"
    >>> write_report(out, prepare_output(out), [], [], {"command": "python demo.py"})
    >>> sorted(p.name for p in out.iterdir())
    ['report.md', 'results.csv', 'results.json']
    """
    from .plots import plot_claim
    staging = Path(staging)
    try:
        from .overhead import overhead_from_json
        costs = overhead_from_json(meta.get("overhead"))
        for result in results:
            plot_claim(result, rows, staging / _png(result), costs=costs)
        _write_csv(staging / "results.csv", results, rows)
        (staging / "report.md").write_text(render_markdown(results, rows, meta), encoding="utf-8")
        (staging / MARKER).write_text(json.dumps(_json(results, rows, meta), indent=1, ensure_ascii=False),
                                      encoding="utf-8")
        _move_into_place(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _png(result):
    return f"{result.experiment.id}.png"


# ----------------------------------------------------------------------------------------------------
# Raw data
# ----------------------------------------------------------------------------------------------------

def _variables(results):
    names = []
    for r in results:
        for v in r.experiment.variables:
            if v not in names:
                names.append(v)
    return names


def _row_record(row: Row, experiment, variables):
    m = row.measurement
    record = {"claim": row.claim, "variant": row.variant, "task": row.task, "mode": TASKS[row.task].mode}
    point = dict(zip(experiment.variables, row.point))
    for v in variables:
        record[v] = point.get(v)
    record.update({
        "seconds_median": m.time.median, "seconds_q1": m.time.q1, "seconds_q3": m.time.q3,
        "seconds_min": m.time.min, "seconds_max": m.time.max, "repeats": m.time.repeats,
        "calls_per_repeat": m.time.number, "peak_bytes": m.peak_bytes, "calls": m.calls, "elements": m.elements,
        "seconds_raw": list(m.time.times), "cpu_seconds_raw": list(m.time.cpu),
    })
    return record


def _write_csv(path, results, rows):
    variables = _variables(results)
    experiments = {r.experiment.id: r.experiment for r in results}
    records = [_row_record(row, experiments[row.claim], variables) for row in rows]
    if not records:
        path.write_text("", encoding="utf-8")
        return
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(records[0]))
        writer.writeheader()
        for record in records:
            record = dict(record, seconds_raw=" ".join(f"{t:.6g}" for t in record["seconds_raw"]),
                          cpu_seconds_raw=" ".join(f"{t:.6g}" for t in record["cpu_seconds_raw"]))
            writer.writerow({k: ("" if v is None else v) for k, v in record.items()})


def _finite(x):
    return None if x is None or (isinstance(x, float) and not math.isfinite(x)) else x


def _law_json(law):
    if law is None:
        return None
    return {"variables": list(law.names), "exponents": list(law.exponents),
            "intervals_95": [[_finite(lo), _finite(hi)] for lo, hi in law.intervals],
            "prefactor": law.prefactor, "r2": law.r2, "points": law.points, "dof": law.dof}


def _marginal_json(m):
    return {"variable": m.name, "power": m.power, "slope": m.slope, "slope_interval_95": [_finite(v) for v in
            m.slope_interval], "intercepts": list(m.intercepts), "exponent": m.exponent,
            "exponent_interval_95": [_finite(v) for v in m.exponent_interval] if m.exponent_interval else None,
            "increments": m.increments, "dof": m.dof}


def _claim_json(result: ClaimResult):
    e = result.experiment
    return {
        "id": e.id, "claim": e.claim, "n": e.n, "setting": e.setting, "variables": list(e.variables),
        "quotes": [{"zh": q.zh, "en": q.en} for q in e.quotes],
        "verdict": result.verdict, "time": result.time_agreement,
        "checks": [{
            "series": c.check.series, "variant": c.check.variant, "metric": c.check.metric,
            "expected": c.check.expected, "below": c.check.below, "tolerance": c.check.tolerance,
            "fit": _law_json(c.law), "verdict": c.verdict.outcome, "reason": c.verdict.reason, "note": c.check.note,
            "marginal_costs": [_marginal_json(m) for m in c.marginals],
            "time_fit": _law_json(c.time_law),
            "time_marginal_costs": [_marginal_json(m) for m in c.time_marginals],
            "time_verdict": c.time_verdict.outcome if c.time_verdict else None,
            "time_reason": c.time_verdict.reason if c.time_verdict else None,
        } for c in result.checks],
        "crossovers": [{
            "forward": c.crossover.forward, "reverse": c.crossover.reverse, "metric": c.crossover.metric,
            "along": c.crossover.along, "versus": c.crossover.versus, "factor": c.crossover.factor,
            "crossings": {f"{k:g}": v for k, v in c.crossings.items()},
            "time_crossings": {f"{k:g}": v for k, v in c.time_crossings.items()},
            "verdict": c.verdict.outcome, "reason": c.verdict.reason,
        } for c in result.crossovers],
        "per_unit": [{
            "series": p.per_unit.series, "variant": p.per_unit.variant, "metric": p.per_unit.metric,
            "unit": p.per_unit.unit,
            "value": p.value, "interval_95": list(p.interval),
            **({"across": p.per_unit.across} if p.per_unit.across else {}),
            **({"expected": p.per_unit.expected, "tolerance": p.per_unit.tolerance, "verdict": p.verdict.outcome,
                "reason": p.verdict.reason} if p.verdict is not None else {}),
        } for p in result.per_units],
        "exact": [{
            "series": x.exact.series, "metric": x.exact.metric, "variant": x.exact.variant,
            "baseline": x.exact.baseline, "formula": x.exact.formula,
            "points": [list(p) for p in x.points], "measured": x.measured, "expected": x.expected,
            "verdict": x.verdict.outcome, "reason": x.verdict.reason,
        } for x in result.exacts],
        "exponential": [{
            "series": x.series, "metric": x.metric, "variant": x.variant, "at_least": x.at_least,
            "verdict": v.outcome, "reason": v.reason,
        } for x, v in result.exponentials],
        "plot": _png(result),
    }


def _json(results, rows, meta):
    variables = _variables(results)
    experiments = {r.experiment.id: r.experiment for r in results}
    return {**meta, "claims": [_claim_json(r) for r in results],
            "measurements": [_row_record(row, experiments[row.claim], variables) for row in rows]}


# ----------------------------------------------------------------------------------------------------
# The markdown report
# ----------------------------------------------------------------------------------------------------

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
    out += ["", f"![{e.id}: {e.claim}]({_png(r)})", "", "<details><summary>Measurements</summary>", "",
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
