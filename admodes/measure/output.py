"""The report's output folder: which files a run writes, the check before measuring that the folder may be
written, and the move of a finished report into place (the previous report's files replaced, the user's
other files kept).

>>> report_files([])
['report.md', 'results.csv', 'results.json']
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

__all__ = ["MARKER", "REPORT_FILES", "OutputError", "report_files", "previous_report_files", "prepare_output",
           "move_into_place", "plot_file"]

MARKER = "results.json"
"""The file that marks a folder as a finished report (written last, checked before replacing a folder)."""


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


def move_into_place(staging, out):
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


def plot_file(result):
    """The name of a claim's plot in the report folder.

    >>> from types import SimpleNamespace
    >>> plot_file(SimpleNamespace(experiment=SimpleNamespace(id="C1")))
    'C1.png'
    """
    return f"{result.experiment.id}.png"
