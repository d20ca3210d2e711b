"""``admodes lesson --out DIR``: a teacher's classroom pack, in one command.

    $ admodes lesson --out slides/

It writes the slides' figures (the teaching example's graph, both sweeps' tables, the sweeps' GIF, the
Jacobian crossover, the memory/time trade-off) at a projector's size and font, and ``index.html``, which
shows them in order (see `admodes.teach.slides`). Only those files are written; the folder's other files are
left alone. Exit status: 0 done, 1 a file could not be written, 2 bad input.
"""

from __future__ import annotations

import sys
from pathlib import Path

DONE, UNWRITABLE, BAD_INPUT = 0, 1, 2


def register(subparsers):
    """Add the ``lesson`` subcommand to the ``admodes`` parser.

    >>> import argparse
    >>> sub = argparse.ArgumentParser(prog="admodes").add_subparsers()
    >>> register(sub).parse_args(["--out", "pack"]).out
    'pack'
    """
    parser = subparsers.add_parser(
        "lesson", help="write a classroom pack: the slides' figures and an index page",
        description="Write the lesson's figures at a projector's size and font (graph, both sweeps' tables, the "
                    "sweeps' GIF, the Jacobian crossover, the memory/time trade-off) and index.html, which shows "
                    "them in order. Exit status: 0 done, 1 a file could not be written, 2 bad input.")
    parser.add_argument("--out", required=True, metavar="DIR", help="the folder to write (created if needed)")
    parser.add_argument("--quick", action="store_true", help="smaller pictures (for a quick look)")
    parser.set_defaults(func=run)
    return parser


def run(args, out=None, err=None):
    """Run ``admodes lesson`` with parsed ``args``; returns the exit status.

    >>> import argparse, io, pathlib, tempfile
    >>> blocker = pathlib.Path(tempfile.mkdtemp()) / "a-file"; _ = blocker.write_text("")
    >>> err = io.StringIO()
    >>> run(argparse.Namespace(out=str(blocker), quick=True), io.StringIO(), err), err.getvalue().split(":")[1]
    (2, ' error')
    """
    out, err = out or sys.stdout, err or sys.stderr
    folder = Path(args.out)
    if folder.exists() and not folder.is_dir():
        print(f"admodes lesson: error: --out {args.out}: exists and is not a folder", file=err)
        return BAD_INPUT
    from ..teach.slides import write_pack
    try:
        index = write_pack(folder, quick=args.quick)
    except OSError as problem:
        print(f"admodes lesson: error: could not write the pack into {args.out}: {problem.strerror or problem}",
              file=err)
        return UNWRITABLE
    print(f"wrote {index} and its figures; open it in a browser", file=out)
    return DONE
