"""The ``admodes`` command: one subcommand per module in `admodes.commands`.

Each module there (but those whose name starts with ``_``, which hold shared helpers) defines
``register(subparsers)``, which adds its parser and sets ``func`` (called with the parsed arguments; its
return value is the exit code). A usage error is one line and exit status 2, never a traceback.

    $ admodes demo
    $ admodes check path/to/file.py:func --shape 3,4
"""

import argparse
import importlib
import pkgutil
import sys

from . import commands


def build_parser():
    """The parser with every subcommand found in `admodes.commands`.

    >>> "demo" in build_parser().format_help() or True
    True
    """
    parser = _OneLineErrors(prog="admodes", description="Forward- and reverse-mode AD, side by side.")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_OneLineErrors)
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if not info.name.startswith("_"):
            importlib.import_module(f"{commands.__name__}.{info.name}").register(subparsers)
    return parser


class _OneLineErrors(argparse.ArgumentParser):
    """argparse, with a usage error said in one line (``admodes check: argument --seed: ...``), exit 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def main(argv=None):
    """Run the command line; returns the exit code (0 success, 1 a failed check, 2 bad usage; ``admodes
    check`` also 3, cannot decide). ``--help`` and usage errors return their status too (argparse's exit)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as done:  # --help (0) or a usage error (2), already printed
        return done.code if isinstance(done.code, int) else 2
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 2
    return args.func(args) or 0


if __name__ == "__main__":
    sys.exit(main())
