"""The command line of an experiment script: ``python experiments/scaling.py [--quick] [--claims C1,C5] ...``.

`main` parses the options, checks them (and that the output folder can be written) before measuring
anything, runs the experiments with a progress bar, judges them and writes the report.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as _dt
import shlex
import shutil
import signal
import sys
import threading
import time

from .harness import run_experiments
from .overhead import calibrate, overhead_to_json
from .report import OutputError, machine_info, prepare_output, report_files, write_report
from .verdicts import analyse

__all__ = ["main", "build_parser"]


def build_parser(prog, default_out, ids):
    """The argument parser of an experiment script.

    >>> build_parser("scaling.py", "reports/scaling", ["C1"]).parse_args(["--quick"]).quick
    True
    """
    parser = argparse.ArgumentParser(
        prog=prog, description="Measure forward and reverse mode and test the complexity claims; write a report.")
    parser.add_argument("--quick", action="store_true", help="small sizes and fewer repeats (well under a minute)")
    parser.add_argument("--claims", default=None, metavar="IDS",
                        help=f"comma-separated claim ids to run (default: all of {','.join(ids)})")
    parser.add_argument("--repeats", type=int, default=None, help="timed repeats per point (default 7; 3 with --quick)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random inputs and tangents (default 0)")
    parser.add_argument("--out", default=str(default_out), help=f"output folder (default {default_out})")
    parser.add_argument("--force", action="store_true",
                        help="write into an output folder that holds other files (they are kept; only the "
                             "report's own files are replaced)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


class Terminated(BaseException):
    """SIGTERM arrived during a run: raised like KeyboardInterrupt so the staging folder is removed."""


def _raise_on_sigterm():
    """Make SIGTERM raise `Terminated` (in the main thread only); returns the handler to restore, or None."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def handler(signum, frame):
        raise Terminated()
    return signal.signal(signal.SIGTERM, handler)


def _stopped(prog, stop, staging):
    """Ctrl-C or SIGTERM: remove the staging folder, say so; the exit status of the signal (130 or 143)."""
    if staging is not None:
        shutil.rmtree(staging, ignore_errors=True)
    terminated = isinstance(stop, Terminated)
    print(f"{prog}: {'terminated' if terminated else 'interrupted'}; no report written", file=sys.stderr)
    return 143 if terminated else 130


def _restore(previous_handler):
    if previous_handler is not None:
        signal.signal(signal.SIGTERM, previous_handler)


@contextlib.contextmanager
def _sigterm_held():
    """Hold SIGTERM back inside the block (delivered at its end), where the platform allows it."""
    can = hasattr(signal, "pthread_sigmask") and threading.current_thread() is threading.main_thread()
    if can:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    try:
        yield
    finally:
        if can:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})


def _fail(prog, message):
    print(f"{prog}: error: {message}", file=sys.stderr)
    return 2


def main(experiments, argv=None, *, prog="scaling.py", default_out="reports/scaling", command=None):
    """Run ``experiments`` as the command line ``argv`` says; returns the exit code (0 ok, 2 bad input).

    ``command`` is the command recorded in the report (default: ``python <prog> <argv>``).

    >>> main([], ["--claims", "C9"], prog="demo.py")  # an unknown claim: a message on stderr, exit status 2
    2
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    ids = [e.id for e in experiments]
    args = build_parser(prog, default_out, ids).parse_args(argv)
    if args.claims is not None:
        wanted = [c.strip().upper() for c in args.claims.split(",") if c.strip()]
        unknown = [c for c in wanted if c not in ids]
        if unknown or not wanted:
            return _fail(prog, f"unknown claim id {', '.join(unknown) or repr(args.claims)}; "
                               f"choose from {', '.join(ids)}")
        experiments = [e for e in experiments if e.id in wanted]
    repeats = args.repeats if args.repeats is not None else (3 if args.quick else 7)
    if repeats < 1:
        return _fail(prog, f"--repeats must be at least 1, got {repeats}")
    previous_handler = _raise_on_sigterm()  # first: from the staging folder's birth, SIGTERM removes it
    staging = None
    try:
        with _sigterm_held():  # a SIGTERM while the folder is made waits until `staging` names it
            staging = prepare_output(args.out, writes=report_files(experiments), force=args.force)
    except OutputError as err:
        _restore(previous_handler)
        return _fail(prog, str(err))
    except (KeyboardInterrupt, Terminated) as stop:
        _restore(previous_handler)
        return _stopped(prog, stop, staging)
    command = command or shlex.join(["python", prog, *argv])
    started = time.time()
    try:
        rows = run_experiments(experiments, quick=args.quick, repeats=repeats, seed=args.seed,
                               min_time=0.002 if args.quick else 0.01, progress=not args.no_progress)
        results = [analyse(e, rows) for e in experiments]
        costs = calibrate(repeats=repeats)
        meta = {
            "command": command,
            "started": _dt.datetime.fromtimestamp(started).isoformat(timespec="seconds"),
            "finished": _dt.datetime.now().isoformat(timespec="seconds"),
            "duration_seconds": round(time.time() - started, 1),
            "settings": {"quick": args.quick, "repeats": repeats, "seed": args.seed,
                         "claims": [e.id for e in experiments]},
            "machine": machine_info(),
            "overhead": overhead_to_json(costs),
        }
        write_report(args.out, staging, results, rows, meta)
    except (KeyboardInterrupt, Terminated) as stop:
        return _stopped(prog, stop, staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        _restore(previous_handler)
    width = max(len(e.claim) for e in experiments)
    for r in results:
        clock = f"  (time {r.time_agreement})" if r.time_agreement else ""
        print(f"{r.experiment.id}  {r.experiment.claim:<{width}}  {r.verdict}{clock}")
    print(f"report: {args.out}/report.md  ({time.time() - started:.0f} s)")
    return 0
