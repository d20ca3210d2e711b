"""The ``admodes`` command: one subcommand per module in `admodes.commands`.

Each module there defines ``register(subparsers)``, which adds its parser and sets ``func`` (called
with the parsed arguments; its return value is the exit code).

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
    parser = argparse.ArgumentParser(prog="admodes", description="Forward- and reverse-mode AD, side by side.")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        importlib.import_module(f"{commands.__name__}.{info.name}").register(subparsers)
    return parser


def main(argv=None):
    """Run the command line; returns the exit code (0 success, 1 a failed check, 2 bad usage)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 2
    return args.func(args) or 0


if __name__ == "__main__":
    sys.exit(main())
