"""Measuring forward and reverse mode: timing, peak memory, op counts, power-law fits and verdicts,
and the harness that runs declared experiments and writes a report.

>>> import numpy as np
>>> from admodes.measure import fit_power_law, measure
>>> round(fit_power_law([10, 20, 40], [1.0, 2.0, 4.0]).exponent, 6)
1.0
>>> measure(lambda: np.ones(1000), repeats=2, min_time=0.001).peak_bytes >= 8000
True

The modules, one job each: `timing` (the three measures), `fits` (least squares with t intervals, the
affine model of an O(n) claim, verdict rules), `overhead` (what part of the time is paid per call),
`tasks` (what can be measured of f: f, jvp, vjp, backward, jacfwd, ...), `harness` (experiment
declarations, running, judging), `report` (the report folder, written whole: `output` the folder, `records`
the raw data, `markdown` the text, `plots` the pictures), `command` (the command line of an experiment
script).
"""

from .command import main
from .fits import (
                   FAILS,
                   HOLDS,
                   INCONCLUSIVE,
                   LinearFit,
                   MarginalCost,
                   PowerLaw,
                   Verdict,
                   base_verdict,
                   bound_verdict,
                   combine_verdicts,
                   exponent_verdict,
                   fit_linear,
                   fit_marginal_cost,
                   fit_power_law,
                   fit_power_laws,
                   marginal_verdict,
                   t_quantile,
)
from .harness import (
                   Check,
                   Crossover,
                   Exact,
                   Experiment,
                   Exponential,
                   Frontier,
                   PerUnit,
                   Quote,
                   Row,
                   run_experiments,
)
from .tasks import TASKS, prepare
from .timing import METRICS, Measurement, Timing, measure, op_counts, peak_memory, time_call
from .verdicts import ClaimResult, analyse, series

__all__ = [
    "main", "FAILS", "HOLDS", "INCONCLUSIVE", "LinearFit", "PowerLaw", "Verdict", "bound_verdict",
    "combine_verdicts", "exponent_verdict", "base_verdict",
    "fit_linear", "fit_power_law", "fit_power_laws", "t_quantile",
    "MarginalCost", "fit_marginal_cost", "marginal_verdict",
    "Check", "ClaimResult", "Crossover", "Exact", "Experiment", "Exponential",
    "Frontier", "PerUnit", "Quote", "Row", "analyse",
    "run_experiments",
    "series", "TASKS", "prepare", "METRICS", "Measurement", "Timing", "measure", "op_counts", "peak_memory",
    "time_call",
]
