"""``admodes demo``: both sweeps of automatic differentiation, step by step, for an expression.

    $ admodes demo
    $ admodes demo "sin(x) * y + x" --at x=1.0,y=2.0 --png graph.png --gif sweeps.gif

With no expression it runs the teaching example y = (x + w) * (w + 1) at x = 2, w = 1 (from the
teaching note "PyTorch's core modules", see `admodes.teach.notes`): the forward sweep along w and the
reverse sweep, where the adjoint of w sums over its two paths. An expression has names, numbers,
``+ - * / **`` and functions of `admodes.numpy`; it is parsed with `ast` (never ``eval``). Exit status:
0 done, 1 a file could not be written, 2 bad input (the message names the problem: an unknown name, a
syntax error, attribute access, a call outside admodes.numpy, a variable with no ``--at`` value).
"""

from __future__ import annotations

import sys

import numpy as np

DONE, UNWRITABLE, BAD_INPUT = 0, 1, 2

TEACHING_EXAMPLE = "(x + w) * (w + 1)"
TEACHING_POINT = {"x": 2.0, "w": 1.0}


def register(subparsers):
    """Add the ``demo`` subcommand to the ``admodes`` parser.

    >>> import argparse
    >>> sub = argparse.ArgumentParser(prog="admodes").add_subparsers()
    >>> register(sub).parse_args(["sin(x)", "--at", "x=1"]).at
    ['x=1']
    """
    parser = subparsers.add_parser(
        "demo", help="show the forward and reverse sweeps of an expression, step by step",
        description="Trace an expression and print its forward sweep (tangents, in order) and its reverse sweep "
                    "(adjoints, in reverse order). With no expression: the teaching example "
                    f"y = {TEACHING_EXAMPLE} at x = 2, w = 1. Exit status: 0 done, 1 a file could not be "
                    "written, 2 bad input.")
    parser.add_argument("expression", nargs="?", default=None, metavar="EXPRESSION",
                        help="e.g. \"sin(x) * y + x\": names, numbers, + - * / ** and functions of admodes.numpy "
                             "(sin, exp, log, sqrt, tanh, ...)")
    parser.add_argument("--at", action="append", metavar="NAME=VALUE,...",
                        help="the value of every variable, e.g. --at x=1.0,y=2.0")
    parser.add_argument("--wrt", metavar="NAME", default=None,
                        help="the variable the forward sweep differentiates along (default: the first; w in the "
                             "teaching example)")
    parser.add_argument("--names", metavar="A,B,...", default=None,
                        help="names for the ops' results, in order (default v1, v2, ..., and y for the output)")
    parser.add_argument("--png", metavar="PATH", help="also draw the computational graph as a PNG")
    parser.add_argument("--svg", metavar="PATH", help="also draw the computational graph as an SVG")
    parser.add_argument("--gif", metavar="PATH", help="also write an animated GIF of the sweeps")
    parser.add_argument("--gif-mode", choices=("both", "forward", "reverse"), default="both",
                        help="which sweep the GIF shows (default both, side by side)")
    parser.add_argument("--markdown", action="store_true", help="print Markdown tables instead of plain text")
    parser.add_argument("--ascii", action="store_true", help="write dot(x) and bar(x) instead of ẋ and x̄")
    parser.add_argument("--digits", type=int, default=4, help="significant digits (default 4)")
    parser.set_defaults(func=run)
    return parser


def run(args, out=None, err=None):
    """Run ``admodes demo`` with parsed ``args``; returns the exit status.

    >>> import io
    >>> from admodes.cli import build_parser
    >>> out, err = io.StringIO(), io.StringIO()
    >>> run(build_parser().parse_args(["demo", "x * x", "--at", "x=3"]), out, err), out.getvalue().splitlines()[-1]
    (0, 'the engines agree: jvp gives 6; y.backward() gives x.grad = 6')
    >>> run(build_parser().parse_args(["demo", "np.exp(x)", "--at", "x=3"]), out, err), err.getvalue()[:50]
    (2, 'admodes demo: error: attribute access is not allow')
    """
    out, err = out or sys.stdout, err or sys.stderr
    from ..teach.expression import ExpressionError, parse_assignments, trace_expression
    from ..teach.notation import ASCII, UNICODE

    teaching = args.expression is None
    text = TEACHING_EXAMPLE if teaching else args.expression
    try:
        if not 1 <= args.digits <= 17:
            raise ExpressionError(f"--digits must be between 1 and 17, got {args.digits}")
        _check_suffixes(args)
        at = parse_assignments(args.at)
        if teaching:
            at = {**TEACHING_POINT, **at}
        names = args.names if args.names is not None else ("a,b,y" if teaching else None)
        wrt = args.wrt or ("w" if teaching else None)
        t = trace_expression(text, at, wrt=wrt, names=names)
        _check_pictures(args, t)
    except (ExpressionError, ValueError, TypeError) as problem:
        print(f"admodes demo: error: {problem}", file=err)
        return BAD_INPUT

    notation = ASCII if args.ascii or not _can_print(out) else UNICODE
    out_name = t.output.name
    if teaching:
        from ..teach.notes import cite
        print(f"The teaching example {out_name} = {text}: a = x + w, b = w + 1, y = a * b.", file=out)
        print(f"(From {cite('004', ascii=notation is ASCII)}.)", file=out)
    else:
        print(f"{out_name} = {text}", file=out)
    print("", file=out)
    print(t.markdown(args.digits, notation) if args.markdown else t.text(notation, args.digits), file=out)
    if not np.all(np.isfinite(t.value)) or any(not np.all(np.isfinite(g)) for g in t.gradient):
        print("note: some values are not finite (nan or inf): the expression is not differentiable at this point",
              file=out)

    try:
        from ..teach import animate, draw_graph
        for path in filter(None, (args.png, args.svg)):
            print(f"wrote {draw_graph(t, path)}", file=out)
        if args.gif:
            print(f"wrote {animate(t, args.gif, mode=args.gif_mode)}", file=out)
    except OSError as problem:
        print(f"admodes demo: error: could not write a file: {problem}", file=err)
        return UNWRITABLE
    return DONE


def _check_pictures(args, t):
    """Refuse a GIF of a graph too big to read before printing anything (a PNG draws a summary instead)."""
    from ..teach.expression import ExpressionError
    from ..teach.graph import MAX_NODES
    if args.gif and len(t.nodes) > MAX_NODES:
        raise ExpressionError(f"--gif {args.gif}: the graph has {len(t.nodes)} nodes; an animation is readable up "
                              f"to {MAX_NODES} (draw it with --png, which summarises a big graph)")


def _check_suffixes(args):
    from ..teach.expression import ExpressionError
    for option, path, suffix in (("--png", args.png, ".png"), ("--svg", args.svg, ".svg"), ("--gif", args.gif, ".gif")):
        if path is not None and not path.lower().endswith(suffix):
            raise ExpressionError(f"{option} {path}: the file name should end in {suffix}")


def _can_print(out):
    encoding = getattr(out, "encoding", None) or "utf-8"
    try:
        "ẋ x̄ ∂ · ᵀ …".encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True
