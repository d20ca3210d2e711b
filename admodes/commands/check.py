"""``admodes check``: gradient-check a user's function at a random point, from the command line.

    $ admodes check path/to/model.py:loss --shape 3,4
    $ admodes check mypackage.losses:huber --shape 10 --shape 10 --seed 3 --order 2

One ``--shape`` per array argument (``--shape ''`` is not a shape; ``--shape 1`` is a one-element
vector). A container argument is given as JSON: an object for a dict, a list of shapes for a list
(``--shape '{"w": [3, 4], "b": [4]}'``, ``--shape '[[3], [2, 2]]'``); a list of ints is one shape.

Exit status: 0 when the check passes, 1 when a derivative is wrong, 2 when the check could
not run (bad usage, a missing file, a function that raises or returns something unusable): then one
line says why, never a traceback; 3 when finite differences cannot decide (too coarse to see an error
of the tolerance's size: f huge next to its changes, noisy, or a tiny derivative).
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import sys
from pathlib import Path

import numpy as np

from ..tree import tree_map
from ._guard import Unusable, guarded, parse_range, parse_seed, parse_shape, run_command

__all__ = ["register", "run", "load_function", "random_point", "parse_shape", "parse_shapes", "Unusable"]

PASSED, FAILED, UNUSABLE, UNDECIDED = 0, 1, 2, 3

EXIT_STATUS = ("Exit status: 0 passed; 1 a wrong derivative; 2 the check could not run (bad input or usage, "
               "f raised, returned something unusable or ran out of time; one line says why); 3 cannot decide "
               "(finite differences too coarse to see an error of the tolerance's size).")


def register(subparsers):
    """Add the ``check`` subcommand to the ``admodes`` parser."""
    parser = subparsers.add_parser(
        "check", help="gradient-check a function at a random point",
        description="Check forward- and reverse-mode derivatives of FUNCTION against finite differences at a "
                    "random point. " + EXIT_STATUS)
    parser.add_argument("function", metavar="FUNCTION",
                        help="path/to/file.py:name or package.module:name")
    parser.add_argument("--shape", action="append", metavar="N,M,...",
                        help="shape of one array argument, e.g. 3,4 (repeat for each argument; required); a "
                             "container argument as JSON: '{\"w\": [3, 4], \"b\": [4]}' for a dict, "
                             "'[[3], [2, 2]]' for a list")
    parser.add_argument("--seed", type=int, default=0, help="random seed for the point (default 0)")
    parser.add_argument("--order", type=int, choices=(1, 2), default=1, help="also check second derivatives")
    parser.add_argument("--range", metavar="LOW,HIGH", default=None,
                        help="draw the point uniformly from [LOW, HIGH] (default: standard normal)")
    parser.add_argument("--modes", default="forward,reverse", help="AD modes to check (default forward,reverse)")
    parser.add_argument("--fast", action="store_true", help="check random projections u^T J v only")
    parser.add_argument("--method", default="richardson",
                        help="finite differences: richardson, central, forward or complex-step (also: complex; "
                             "default richardson)")
    parser.add_argument("--float32", action="store_true", help="check at a float32 point")
    parser.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                        help="stop the check (exit 2) when it has not finished after SECONDS: it runs in a child "
                             "process, killed then (default: no limit, in this process)")
    parser.set_defaults(func=run)
    return parser


def run(args, out=None, err=None):
    """Run ``admodes check`` with parsed ``args``; returns the exit status."""
    return run_command("admodes check", lambda: _check(args), args, out or sys.stdout, err or sys.stderr)


def _check(args):
    """The check itself: (exit status, the text for stdout, the one line for stderr)."""
    from ..check import GradcheckError, GradcheckUndecided, check_grad

    try:
        with guarded(args.function):
            f, label = load_function(args.function)
            point = random_point(args)
            modes = tuple(m.strip() for m in args.modes.split(",") if m.strip())
            report = _call(check_grad, label, f, *point, order=args.order, modes=modes, fast=args.fast,
                           method=args.method, seed=args.seed)
    except GradcheckError as failure:
        text = str(failure) + (f"\n\n{failure.report}" if failure.report is not None else "")
        return (UNDECIDED if isinstance(failure, GradcheckUndecided) else FAILED), text, ""
    except Unusable as problem:
        return UNUSABLE, "", str(problem)
    return PASSED, str(report), ""


def load_function(spec):
    """``path/to/file.py:name`` or ``module:name`` -> (the function, a label for messages)."""
    target, sep, name = spec.rpartition(":")
    if not sep or not target or not name:
        raise Unusable(f"{spec!r} does not name a function: write path/to/file.py:name or package.module:name")
    if target.endswith(".py") or "/" in target or "\\" in target:
        module = _load_file(Path(target))
    else:
        module = _import_module(target)
    f = getattr(module, name, None)
    if f is None:
        public = sorted(n for n, v in vars(module).items() if callable(v) and not n.startswith("_"))
        raise Unusable(f"{target} has no function {name!r}" + (f" (it has: {', '.join(public[:12])})" if public
                                                                  else ""))
    if not callable(f):
        raise Unusable(f"{target}:{name} is not a function (it is of type {type(f).__name__})")
    return f, f"{target}:{name}"


def _load_file(path):
    if not path.is_file():
        raise Unusable(f"no such file: {path}" + ("" if path.suffix == ".py" else " (expected a .py file)"))
    spec = importlib.util.spec_from_file_location(f"_admodes_check_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path.resolve().parent))  # so the file can import its neighbours
    try:
        spec.loader.exec_module(module)
    except Exception as error:
        raise Unusable(f"importing {path} failed: {_one_line(error)}") from None
    finally:
        sys.path.remove(str(path.resolve().parent))
    return module


def _import_module(name):
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as error:
        raise Unusable(f"cannot import {name!r}: {error} (for a file, give its path ending in .py)") from None
    except Exception as error:
        raise Unusable(f"importing {name} failed: {_one_line(error)}") from None


def parse_shapes(text):
    """One ``--shape``: a shape (``"3,4"``), or a container of shapes as JSON (an object for a dict, a list
    holding lists or objects for a list; a list of ints is one shape).

    >>> parse_shapes('{"w": [3, 4], "b": 2}'), parse_shapes("[[3], []]")
    ({'w': (3, 4), 'b': (2,)}, [(3,), ()])
    """
    stripped = text.strip()
    if not stripped.startswith(("{", "[[", "[{", "[ [", "[ {")):
        return parse_shape(text)
    try:
        tree = json.loads(stripped)
    except ValueError as err:
        raise Unusable(f"--shape {text!r} is not valid JSON ({err}): give e.g. "
                       "'{\"w\": [3, 4], \"b\": [4]}'") from None
    return _shape_tree(tree, text)


def _shape_tree(node, text):
    if isinstance(node, dict):
        return {key: _shape_tree(value, text) for key, value in node.items()}
    if isinstance(node, list) and any(isinstance(v, (list, dict)) for v in node):
        return [_shape_tree(value, text) for value in node]
    if isinstance(node, list) and not node:
        return ()
    if isinstance(node, (int, list)) and not isinstance(node, bool):
        return parse_shape(",".join(str(n) for n in (node if isinstance(node, list) else [node])) + ",")
    raise Unusable(f"--shape {text!r} holds {node!r}: each shape is a list of sizes, e.g. [3, 4]")


def _is_shape(x):
    return isinstance(x, tuple)


def random_point(args):
    """One random float array (or container of them) per ``--shape``, from the seed."""
    if not args.shape:
        raise Unusable("give the shape of each argument with --shape, e.g. --shape 3,4")
    shapes = [parse_shapes(text) for text in args.shape]
    rng = np.random.default_rng(parse_seed(args.seed))
    dtype = np.float32 if args.float32 else np.float64
    low_high = parse_range(args.range) if args.range else None

    def draw(shape):
        text = ",".join(map(str, shape))
        try:
            values = rng.uniform(*low_high, size=shape) if low_high else rng.standard_normal(shape)
        except MemoryError:
            raise Unusable(f"--shape {text!r}: not enough free memory for an array of shape {shape}") from None
        return np.asarray(values, dtype=dtype)

    return [tree_map(draw, shape, is_leaf=_is_shape) for shape in shapes]


def _call(check_grad, label, f, *point, **options):
    """check_grad, with every way the user's function can go wrong turned into one paragraph."""
    from ..check import GradcheckError

    shapes = [str(tree_map(np.shape, p)) for p in point]
    where = f"at a random point of shape {', '.join(shapes)} (seed {options['seed']})"
    try:
        return check_grad(f, *point, **options)
    except GradcheckError:
        raise
    except Exception as error:
        if _raised_by_user(error):
            raise Unusable(f"{label} raised {type(error).__name__} {where}: {_one_line(error)}") from None
        raise Unusable(f"cannot check {label} {where}: {_one_line(error)}") from None


def _raised_by_user(error):
    """True when the innermost frame of the traceback is outside admodes (and NumPy): the user's code."""
    package = str(Path(__file__).resolve().parents[1])
    frames, tb = [], error.__traceback__
    while tb is not None:
        frames.append(tb.tb_frame.f_code.co_filename)
        tb = tb.tb_next
    own = [name for name in frames if "numpy" not in Path(name).parts]
    return bool(own) and not str(Path(own[-1]).resolve()).startswith(package)


def _one_line(error):
    text = " ".join(str(error).split())
    notes = " ".join(getattr(error, "__notes__", ()))
    return f"{text} {notes}".strip() or type(error).__name__
