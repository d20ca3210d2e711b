"""The scaling report: ``report.md`` with a verdict table on top, one PNG per claim, and every raw
measurement in ``results.csv`` and ``results.json`` (with the machine and the exact command).

`write_report` builds everything in a hidden sibling folder and moves the files into place at the end, so
an interrupted run never leaves a half-written report that looks complete; a run replaces only the files a
run writes, never the user's other files in the folder. The parts, one job each: `output` (the folder),
`records` (the raw data and the machine), `markdown` (the text), `plots` (the pictures).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from .markdown import format_bytes, format_seconds, render_markdown
from .output import MARKER, OutputError, move_into_place, plot_file, prepare_output, previous_report_files, report_files
from .records import machine_info, results_json, write_csv

__all__ = ["machine_info", "prepare_output", "write_report", "report_files", "previous_report_files", "OutputError",
           "MARKER", "render_markdown", "format_bytes", "format_seconds"]


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
            plot_claim(result, rows, staging / plot_file(result), costs=costs)
        write_csv(staging / "results.csv", results, rows)
        (staging / "report.md").write_text(render_markdown(results, rows, meta), encoding="utf-8")
        (staging / MARKER).write_text(json.dumps(results_json(results, rows, meta), indent=1, ensure_ascii=False),
                                      encoding="utf-8")
        move_into_place(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
