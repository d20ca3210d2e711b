"""The report's raw data: every measurement as a record (``results.csv``, ``results.json``), every fit and
verdict as JSON, and the machine they were measured on.

>>> import pathlib, tempfile
>>> path = pathlib.Path(tempfile.mkdtemp()) / "results.csv"
>>> write_csv(path, [], []); path.read_text()
''
"""

from __future__ import annotations

import csv
import math
import os
import platform
import subprocess
import sys
from pathlib import Path

import numpy as np

from .harness import Row
from .output import plot_file
from .tasks import TASKS
from .verdicts import ClaimResult

__all__ = ["machine_info", "write_csv", "results_json"]


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


def write_csv(path, results, rows):
    """Every measurement, one row each, into the CSV file ``path`` (empty when there is none)."""
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
        "plot": plot_file(result),
    }


def results_json(results, rows, meta):
    """``meta`` (the command, the settings, the machine), every claim's fits and verdicts, and every
    measurement: the data of ``results.json``.

    >>> results_json([], [], {"command": "python demo.py"})
    {'command': 'python demo.py', 'claims': [], 'measurements': []}
    """
    variables = _variables(results)
    experiments = {r.experiment.id: r.experiment for r in results}
    return {**meta, "claims": [_claim_json(r) for r in results],
            "measurements": [_row_record(row, experiments[row.claim], variables) for row in rows]}
