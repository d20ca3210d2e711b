"""``admodes compare``: measure a user's function both ways and say which mode is cheaper for it.

    $ admodes compare path/to/model.py:loss --shape 1000
    $ admodes compare mypackage.layers:dense --shape 64 --shape 64,10 --argnum 1 --repeats 7

It measures f, one JVP (a forward sweep), one VJP (a reverse sweep), the full Jacobian by jacfwd
(p forward sweeps, p the number of inputs) and by jacrev (m reverse sweeps, m the number of outputs):
wall time, peak memory and op counts, then says which mode is cheaper for the Jacobian and by how much.
Derivatives are taken with respect to one argument (``--argnum``, default 0); one ``--shape`` per
array argument. Exit status: 0 done, 2 it could not run (bad input, f raised, returned no float
array, called sys.exit or ran past ``--timeout``: then one line says why).
"""

from __future__ import annotations

import sys

import numpy as np

from ._guard import Unusable, guarded, parse_seed, parse_shape, run_command, seconds
from .check import load_function

OK, UNUSABLE = 0, 2

ROWS = [
    ("f", "f", "f(x)"),
    ("jvp", "JVP", "1 forward sweep"),
    ("vjp", "VJP", "1 reverse sweep"),
    ("jacfwd", "jacfwd", "{p} forward sweep{ps}"),
    ("jacrev", "jacrev", "{m} reverse sweep{ms}"),
]


def register(subparsers):
    """Add the ``compare`` subcommand to the ``admodes`` parser.

    >>> import argparse
    >>> sub = argparse.ArgumentParser(prog="admodes").add_subparsers()
    >>> register(sub).parse_args(["f.py:g", "--shape", "3"]).shape
    ['3']
    """
    parser = subparsers.add_parser(
        "compare", help="measure forward and reverse mode on a function",
        description="Measure f, one JVP, one VJP, jacfwd and jacrev of FUNCTION at a random point (wall time, "
                    "peak memory, op counts) and say which mode is cheaper for it. Exit status: 0 done, 2 the "
                    "comparison could not run.")
    parser.add_argument("function", metavar="FUNCTION", help="path/to/file.py:name or package.module:name")
    parser.add_argument("--shape", action="append", metavar="N,M,...",
                        help="shape of one array argument, e.g. 1000 or 3,4 (repeat for each argument; required)")
    parser.add_argument("--argnum", type=int, default=0, help="the argument to differentiate (default 0)")
    parser.add_argument("--repeats", type=int, default=5, help="timed repeats of each measurement (default 5)")
    parser.add_argument("--seed", type=int, default=0, help="random seed for the point and directions (default 0)")
    parser.add_argument("--max-seconds", type=float, default=60.0,
                        help="skip a Jacobian whose estimated time (sweeps x one sweep) exceeds this (default 60)")
    parser.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                        help="stop (exit 2) when the comparison has not finished after SECONDS (default: no limit)")
    parser.set_defaults(func=run)
    return parser


def run(args, out=None, err=None):
    """Run ``admodes compare`` with parsed ``args``; returns the exit status.

    >>> import argparse
    >>> ns = argparse.Namespace(function="no/such/file.py:f", shape=["3"], argnum=0, repeats=1, seed=0,
    ...                         max_seconds=1.0)
    >>> import io; err = io.StringIO(); run(ns, out=io.StringIO(), err=err), "no such file" in err.getvalue()
    (2, True)
    """
    return run_command("admodes compare", lambda: _compared(args), args, out or sys.stdout, err or sys.stderr)


def _compared(args):
    """(exit status, the comparison's text, the one line saying why it could not run)."""
    try:
        with guarded(args.function):
            return OK, str(compare(args)), ""
    except Unusable as problem:
        return UNUSABLE, "", str(problem)


class Comparison:
    """The measurements of one function, and the text that reports them (``str(comparison)``).

    ``p`` is the size of the differentiated argument, ``m`` the size of the output.

    >>> import argparse, pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "model.py"
    >>> _ = path.write_text("import admodes.numpy as anp\\ndef f(x):\\n    return anp.sum(anp.sin(x))\\n")
    >>> c = compare(argparse.Namespace(function=f"{path}:f", shape=["5"], argnum=0, repeats=1, seed=0,
    ...                                max_seconds=60.0))
    >>> c.p, c.m, c.measurements["jacfwd"].calls == 5 * c.measurements["jvp"].calls
    (5, 1, True)
    """

    def __init__(self, label, shapes, argnum, out_shape, measurements, skipped, names=None, colors=()):
        self.label, self.shapes, self.argnum, self.out_shape = label, shapes, argnum, out_shape
        self.colors = list(colors)  # `admodes.sparse.color_advice`'s lines: what compressing the Jacobian buys
        self.measurements, self.skipped = measurements, skipped
        self.names = list(names or ()) + [f"x{i}" for i in range(len(names or ()), len(shapes))]
        self.p = int(np.prod(shapes[argnum], dtype=int))
        self.m = int(np.prod(out_shape, dtype=int))

    def cheaper(self, forward, reverse):
        """``(mode, factor)``: the cheaper of two tasks by median wall time, and how many times cheaper.

        For example ``("reverse", 12.5)`` when ``reverse`` took a twelfth and a half of ``forward``'s time.
        """
        tf, tr = self.measurements[forward].seconds, self.measurements[reverse].seconds
        return ("forward", tr / tf) if tf <= tr else ("reverse", tf / tr)

    def __str__(self):
        from ..measure.report import format_bytes, format_seconds
        shapes = ", ".join(f"{name}: {tuple(s)}" for name, s in zip(self.names, self.shapes))
        lines = [f"admodes compare {self.label}", f"  arguments {shapes}; differentiating {self.names[self.argnum]}: "
                 f"p = {self.p:,} input{'s' * (self.p != 1)}, m = {self.m:,} output{'s' * (self.m != 1)} "
                 f"(shape {tuple(self.out_shape)})", ""]
        header = (f"{'':7} {'':22} {'time (median)':>13} {'spread':>7} {'peak memory':>12} {'prim. calls':>11} "
                  f"{'elements':>12} {'time / f':>9}")
        lines += [header, "-" * len(header)]
        base = self.measurements["f"].seconds
        for task, name, what in ROWS:
            what = what.format(p=f"{self.p:,}", m=f"{self.m:,}", ps="s" * (self.p != 1), ms="s" * (self.m != 1))
            if task in self.skipped:
                estimate, sweeps, limit = self.skipped[task]
                lines.append(f"{name:7} {what:22} skipped: about {format_seconds(estimate)} estimated, over "
                             f"--max-seconds {limit:g}")
                continue
            m = self.measurements[task]
            lines.append(f"{name:7} {what:22} {format_seconds(m.seconds):>13} {m.time.spread:>7.0%} "
                         f"{format_bytes(m.peak_bytes):>12} {m.calls:>11,} {m.elements:>12,} {m.seconds / base:>9.3g}")
        lines.append("")
        lines += ["prim. calls: the admodes primitives called while the row runs, in every row the same count: the "
                  "ops of f (each sweep records them again) and the ops its derivative rules call; elements: the "
                  "size of each call's largest array, summed."]
        if self.measurements["f"].calls == 0:
            lines += ["f makes no primitive call on plain arrays: it calls NumPy directly, which the counts see only "
                      "once a traced value reaches it (the JVP and VJP rows)."]
        lines.append("")
        mode, factor = self.cheaper("jvp", "vjp")
        lines.append(f"One sweep: {_verdict(mode, factor)} (JVP {format_seconds(self.measurements['jvp'].seconds)}, "
                     f"VJP {format_seconds(self.measurements['vjp'].seconds)}). Peak memory: forward "
                     f"{format_bytes(self.measurements['jvp'].peak_bytes)}, reverse "
                     f"{format_bytes(self.measurements['vjp'].peak_bytes)} (its tape included).")
        if not self.skipped:
            mode, factor = self.cheaper("jacfwd", "jacrev")
            fwd, rev = self.measurements["jacfwd"], self.measurements["jacrev"]
            lines.append(f"Jacobian ({self.m:,} x {self.p:,}): {_verdict(mode, factor)}: jacfwd "
                         f"{format_seconds(fwd.seconds)} ({fwd.calls:,} op calls), "
                         f"jacrev {format_seconds(rev.seconds)} "
                         f"({rev.calls:,} op calls).")
        elif len(self.skipped) == 1:
            (gone, (estimate, sweeps, _)), = self.skipped.items()
            ran = "jacrev" if gone == "jacfwd" else "jacfwd"
            factor = estimate / self.measurements[ran].seconds
            mode = "reverse" if ran == "jacrev" else "forward"
            lines.append(f"Jacobian ({self.m:,} x {self.p:,}): {_verdict(mode, factor)}, estimated: {gone} was not "
                         f"run ({sweeps:,} sweeps, about {format_seconds(estimate)}); {ran} took "
                         f"{format_seconds(self.measurements[ran].seconds)}.")
        else:
            lines.append(f"Jacobian ({self.m:,} x {self.p:,}): not measured (both Jacobians skipped).")
        textbook = "forward" if self.p < self.m else "reverse" if self.m < self.p else None
        lines.append(f"Textbook: p = {self.p:,} forward sweep{'s' * (self.p != 1)} against m = {self.m:,} reverse "
                     f"sweep{'s' * (self.m != 1)}, so "
                     + (f"{textbook} mode should win." if textbook else "the two should be close."))
        if self.colors:
            lines += ["", *self.colors]
        return "\n".join(lines)


def _verdict(mode, factor):
    if factor < 1.1:
        return "the two modes cost about the same"
    return f"{mode} mode is cheaper, by {factor:,.0f}x" if factor >= 100 else \
        f"{mode} mode is cheaper, by {factor:.3g}x"


def compare(args):
    """Measure the function ``args.function`` names; returns a `Comparison` (raises `Unusable`).

    ``args`` has the attributes of the command line: function, shape (a list), argnum, repeats, seed,
    max_seconds; see `Comparison` for an example.
    """
    from ..measure import measure, prepare
    if args.repeats < 1:
        raise Unusable(f"--repeats must be at least 1, got {args.repeats}")
    seconds(args.max_seconds, "--max-seconds", zero_ok=True)
    f, label = load_function(args.function)
    if not args.shape:
        raise Unusable("give the shape of each argument with --shape, e.g. --shape 1000")
    shapes = [parse_shape(text) for text in args.shape]
    if not 0 <= args.argnum < len(shapes):
        raise Unusable(f"--argnum {args.argnum} is not one of the {len(shapes)} argument(s) given by --shape")
    rng = np.random.default_rng(parse_seed(args.seed))
    try:
        point = [rng.standard_normal(shape) for shape in shapes]
    except MemoryError:
        raise Unusable(f"not enough free memory for arguments of shape {', '.join(map(str, shapes))}") from None

    def g(x):
        return f(*point[:args.argnum], x, *point[args.argnum + 1:])

    where = f"with arguments of shape {', '.join(str(s) for s in shapes)}"
    try:
        value = g(point[args.argnum])
    except Exception as error:
        raise Unusable(f"{label} raised {type(error).__name__} {where}: {_one_line(error)}. Does --shape "
                       f"fit the function (one --shape per array argument, in order)?") from None
    value = np.asarray(value)
    if value.dtype.kind in "iub":
        raise Unusable(f"{label} returned {type(value).__name__} of dtype {value.dtype} {where}: an integer or "
                       "bool output has no derivative; return floats")
    if value.dtype.kind != "f":
        raise Unusable(f"{label} returned {type(value).__name__} of dtype {value.dtype} {where}: "
                       "compare needs a real array or number")
    measurements, skipped = {}, {}
    for task, name, _ in ROWS:
        if task in ("jacfwd", "jacrev"):
            sweep = measurements["jvp" if task == "jacfwd" else "vjp"].seconds
            sweeps = int(np.prod(shapes[args.argnum], dtype=int)) if task == "jacfwd" else value.size
            if sweep * sweeps > args.max_seconds:
                skipped[task] = (sweep * sweeps, sweeps, args.max_seconds)
                continue
        try:
            fn, setup = prepare(task, g, point[args.argnum], rng)
            measurements[task] = measure(fn, setup=setup, repeats=args.repeats)
        except Unusable:
            raise
        except Exception as error:
            raise Unusable(f"{name} of {label} failed {where}: {type(error).__name__}: {_one_line(error)}") from None
    return Comparison(label, shapes, args.argnum, value.shape, measurements, skipped, _parameter_names(f),
                      _color_lines(g, point[args.argnum]))


def _color_lines(g, x):
    """The Jacobian's colors each way and the cheapest way (`admodes.sparse.color_advice`), or one line saying
    why its pattern could not be found (the measurements above stand either way).

    >>> import admodes.numpy as anp
    >>> _color_lines(lambda x: anp.sin(x), np.ones(50))[-1]
    'use sparse_jacfwd: 1 forward sweeps instead of 50'
    """
    from ..sparse import color_advice
    try:
        return color_advice(g, x).lines()
    except Exception as error:
        return [f"Jacobian colors: its sparsity pattern could not be traced ({type(error).__name__}: "
                f"{_one_line(error)})"]


def _parameter_names(f):
    """The names of f's positional parameters, in order (empty when f has no readable signature).

    >>> _parameter_names(lambda w, x, *rest: None)
    ['w', 'x']
    """
    import inspect
    try:
        parameters = inspect.signature(f).parameters.values()
    except (TypeError, ValueError):
        return []
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return [p.name for p in parameters if p.kind in kinds]


def _one_line(error):
    text = " ".join(str(error).split())
    return text or type(error).__name__


__all__ = ["register", "run", "compare", "Comparison"]
