"""The expression language of ``admodes demo``: arithmetic and the functions of `admodes.numpy`, parsed safely.

An expression has names (its variables), numbers, ``+ - * / **``, unary minus and calls of the
differentiable functions of `admodes.numpy` (``sin``, ``exp``, ``log``, ``sqrt``, ``tanh``, ...);
``pi`` and ``e`` are the constants. It is parsed with Python's `ast` and checked node by node before
anything runs; user text is never given to ``eval``. Anything else (attribute access, other calls,
subscripts, comparisons, strings, ...) is an `ExpressionError` that names the problem.

    >>> expr = parse_expression("sin(x) * y + x")
    >>> expr.variables
    ('x', 'y')
    >>> round(float(expr(0.0, 2.0)), 6)
    0.0
    >>> parse_expression("np.sin(x)")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    admodes.teach.expression.ExpressionError: attribute access is not allowed ('np.sin' at column 1): write sin...
"""

from __future__ import annotations

import ast
import inspect

import numpy as np

from ..ops.core import FUNCTIONS

__all__ = ["ExpressionError", "Expression", "parse_expression", "trace_expression", "functions", "CONSTANTS",
           "parse_assignments"]

CONSTANTS = {"pi": np.pi, "e": np.e}
"""The named constants an expression may use."""

MAX_LENGTH = 2000
TAKES_A_LIST = frozenset({"concatenate", "stack", "hstack", "vstack"})
"""Functions whose first argument is a list of arrays: an expression has no lists."""
GIVES_A_LIST = frozenset({"split", "array_split"})
"""Functions that return several arrays: an expression's value is one array."""
NEEDS_ARGUMENTS = {"clip": 3}
"""The fewest positional arguments a function takes in an expression, where admodes' signature allows fewer
(keywords are not allowed, so bounds NumPy requires must be positional); 1 for every other function."""
NEEDS_ARGUMENTS_WHY = {"clip": "clip(x, low, high), as NumPy needs at least one bound"}
_OPERATORS = {ast.Add: "add", ast.Sub: "subtract", ast.Mult: "multiply", ast.Div: "divide", ast.Pow: "power"}
_SYMBOLS = {ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.BitXor: "^", ast.BitAnd: "&", ast.BitOr: "|",
            ast.LShift: "<<", ast.RShift: ">>"}
_WHAT = {
    ast.Subscript: "indexing (a[...])", ast.Compare: "comparison", ast.BoolOp: "'and'/'or'", ast.IfExp: "'if'/'else'",
    ast.Lambda: "lambda", ast.List: "a list", ast.Tuple: "a tuple", ast.Dict: "a dict", ast.Set: "a set",
    ast.ListComp: "a comprehension", ast.SetComp: "a comprehension", ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a generator", ast.NamedExpr: "assignment (:=)", ast.Starred: "starred arguments (*a)",
    ast.JoinedStr: "an f-string", ast.Await: "await", ast.Yield: "yield", ast.YieldFrom: "yield",
    ast.Slice: "a slice",
}


class ExpressionError(ValueError):
    """A bad expression or a bad value for one of its variables; the message names the problem.

    >>> try:
    ...     parse_expression("x ^ 2")
    ... except ExpressionError as err:
    ...     print(str(err).split(";")[0])
    the operator '^' is not allowed ('x ^ 2' at column 1)
    """


def functions():
    """The names an expression may call: the differentiable functions of `admodes.numpy`.

    >>> {"sin", "exp", "log", "sqrt", "tanh"} <= set(functions())
    True
    """
    return sorted(name for name, fn in FUNCTIONS.items() if "." not in name and callable(fn))


def _where(node, text):
    segment = ast.get_source_segment(text, node) or ""
    return f"{segment!r} at column {node.col_offset + 1}"


def parse_expression(text):
    """Parse and check ``text``; returns an `Expression` (a function of its variables, in order of appearance).

    >>> parse_expression("(x + w) * (w + 1)").variables
    ('x', 'w')
    >>> parse_expression("x +")
    Traceback (most recent call last):
    ...
    admodes.teach.expression.ExpressionError: syntax error at column 4: invalid syntax
      x +
         ^
    """
    if not isinstance(text, str):
        raise ExpressionError(f"an expression must be text, got {type(text).__name__}")
    if not text.strip():
        raise ExpressionError("the expression is empty; write one, e.g. \"sin(x) * y + x\"")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"the expression is {len(text)} characters long; the limit is {MAX_LENGTH}")
    if "\n" in text.strip() or "\r" in text:
        raise ExpressionError("the expression must be one line")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as err:
        column = err.offset if err.offset else len(text.strip()) + 1  # 0: at the end of the text
        shown = f"\n  {text.strip()}\n  {' ' * (column - 1)}^" if len(text.strip()) <= 100 else ""
        raise ExpressionError(f"syntax error at column {column}: {err.msg}{shown}") from None
    except (RecursionError, MemoryError):
        raise ExpressionError("the expression is nested too deeply") from None
    text = text.strip()
    known = set(functions())
    variables = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.Expression, ast.Load)) or type(node) in _OPERATORS:
            continue
        if isinstance(node, (ast.BinOp, ast.UnaryOp)):
            _check_operator(node, text)
        elif isinstance(node, ast.Constant):
            _check_constant(node, text)
        elif isinstance(node, ast.Name):
            _check_name(node, text, known, variables)
        elif isinstance(node, ast.Call):
            _check_call(node, text, known)
        elif isinstance(node, ast.Attribute):
            raise ExpressionError(f"attribute access is not allowed ({_where(node, text)}): write "
                                  f"{node.attr}(...) instead" if node.attr in known else
                                  f"attribute access is not allowed ({_where(node, text)})")
        elif isinstance(node, (ast.USub, ast.UAdd)):
            continue
        elif isinstance(node, ast.keyword):
            continue  # reported by _check_call
        else:
            what = _WHAT.get(type(node), type(node).__name__)
            raise ExpressionError(f"{what} is not allowed in an expression"
                                  + (f" ({_where(node, text)})" if hasattr(node, "col_offset") else "")
                                  + "; use names, numbers, + - * / ** and functions of admodes.numpy")
    order = sorted(variables.items(), key=lambda item: item[1])
    return Expression(text, tree.body, tuple(name for name, _ in order))


def _check_operator(node, text):
    op = type(node.op)
    if isinstance(node, ast.UnaryOp):
        if op not in (ast.USub, ast.UAdd):
            symbol = {ast.Not: "not", ast.Invert: "~"}.get(op, op.__name__)
            raise ExpressionError(f"the operator {symbol!r} is not allowed ({_where(node, text)}); "
                                  "use + - * / ** and unary minus")
        return
    if op not in _OPERATORS:
        symbol = _SYMBOLS.get(op, op.__name__)
        hint = "; write powers with **" if op is ast.BitXor else ""
        raise ExpressionError(f"the operator {symbol!r} is not allowed ({_where(node, text)}); use + - * / **{hint}")


def _check_constant(node, text):
    v = node.value
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        kind = "complex numbers are" if isinstance(v, complex) else f"{type(v).__name__} values are"
        raise ExpressionError(f"{kind} not allowed ({_where(node, text)}); only real numbers")
    try:
        finite = np.isfinite(float(v))
    except OverflowError:  # an integer with hundreds of digits
        finite = False
    if not finite:
        digits = len(str(abs(v))) if isinstance(v, int) else None
        shown = f"a {digits}-digit number" if digits else repr(ast.get_source_segment(text, node))
        raise ExpressionError(f"the number at column {node.col_offset + 1} ({shown}) is too large for a float64 "
                              "(the largest is about 1.8e308)")


def _check_name(node, text, known, variables):
    name = node.id
    if name.startswith("_"):
        raise ExpressionError(f"unknown name {name!r} at column {node.col_offset + 1}: names may not start with '_'")
    if name in CONSTANTS:
        return
    if name in known and not _is_called(node):
        raise ExpressionError(f"{name!r} is a function of admodes.numpy, not a variable ({_where(node, text)}); "
                              f"call it: {name}(...)")
    if not _is_called(node):  # ordered by first appearance (the walk is breadth first, not left to right)
        variables[name] = min(variables.get(name, (node.lineno, node.col_offset)), (node.lineno, node.col_offset))


def _is_called(name_node):
    return getattr(name_node, "_called", False)


def _check_call(node, text, known):
    func = node.func
    if isinstance(func, ast.Attribute):
        return  # reported as attribute access
    if not isinstance(func, ast.Name):
        raise ExpressionError(f"only functions of admodes.numpy can be called ({_where(node, text)})")
    if func.id not in known:
        what = "a variable or constant" if func.id in CONSTANTS else "not a function of admodes.numpy"
        raise ExpressionError(f"unknown function {func.id!r} at column {func.col_offset + 1}: {what}; an expression "
                              "may call only functions of admodes.numpy (e.g. sin, exp, log, sqrt, tanh)")
    func._called = True  # the name is a function here, not a variable
    if node.keywords:
        raise ExpressionError(f"keyword arguments are not allowed ({_where(node, text)}); pass arguments by position")
    if func.id in TAKES_A_LIST:
        raise ExpressionError(f"{func.id} takes a list of arrays, and an expression has no lists ({_where(node, text)})"
                              f"; combine values with + - * / ** instead")
    if func.id in GIVES_A_LIST:
        raise ExpressionError(f"{func.id} gives a list of arrays, not one value ({_where(node, text)}); an "
                              "expression's functions must each give one value")
    needed = NEEDS_ARGUMENTS.get(func.id, 1)
    if len(node.args) < needed:
        raise ExpressionError(f"{func.id} needs {needed} arguments here, got {len(node.args)} ({_where(node, text)})"
                              + (f": {NEEDS_ARGUMENTS_WHY[func.id]}" if func.id in NEEDS_ARGUMENTS_WHY else ""))


class Expression:
    """A checked expression: call it with one value per variable (in ``variables`` order).

    It can be traced like any function: ``trace(expr, 1.0, 2.0)`` names the inputs after the variables.

    >>> from admodes.teach import trace
    >>> t = trace(parse_expression("x * x + 1"), 3.0)
    >>> [n.definition() for n in t.nodes]
    ['input', 'x * x', 'v1 + 1']
    """

    def __init__(self, source, body, variables):
        self.source, self._body, self.variables = source, body, variables
        self.__name__ = source
        self.__signature__ = inspect.Signature(
            [inspect.Parameter(v, inspect.Parameter.POSITIONAL_ONLY) for v in variables])

    def __call__(self, *values):
        if len(values) != len(self.variables):
            raise ExpressionError(f"{self.source!r} takes {len(self.variables)} values "
                                  f"({', '.join(self.variables)}), got {len(values)}")
        return self.evaluate(dict(zip(self.variables, values)))

    def evaluate(self, env):
        """The value of the expression with ``env`` giving each variable (iterative: no recursion limit).

        >>> float(parse_expression("x ** 2 + pi").evaluate({"x": 1.0})) == 1.0 + np.pi
        True
        """
        stack, results = [(self._body, False)], []
        with np.errstate(all="ignore"):  # log(-1) is nan: the demo reports non-finite values itself
            while stack:
                node, ready = stack.pop()
                children = _children(node)
                if not ready:
                    stack.append((node, True))
                    stack.extend((child, False) for child in reversed(children))
                    continue
                args = results[len(results) - len(children):] if children else []
                del results[len(results) - len(children):]
                results.append(self._apply(node, args, env))
        return results[0]

    def _apply(self, node, args, env):
        if isinstance(node, ast.Constant):
            return np.array(float(node.value))
        if isinstance(node, ast.Name):
            if node.id in CONSTANTS:
                return np.array(CONSTANTS[node.id])
            if node.id not in env:
                raise ExpressionError(f"no value for variable {node.id!r}")
            return env[node.id]
        if isinstance(node, ast.UnaryOp):
            return FUNCTIONS["negative"](args[0]) if isinstance(node.op, ast.USub) else args[0]
        name = _OPERATORS[type(node.op)] if isinstance(node, ast.BinOp) else node.func.id
        shown = ast.get_source_segment(self.source, node) or name
        try:
            result = FUNCTIONS[name](*args)
        except (TypeError, ValueError, NotImplementedError, LookupError, ArithmeticError, MemoryError) as err:
            raise ExpressionError(f"{shown!r} could not be computed: {err or type(err).__name__}") from None
        if isinstance(result, (list, tuple)):
            raise ExpressionError(f"{shown!r} gives {len(result)} arrays, not one value")
        return result

    def __repr__(self):
        return f"Expression({self.source!r})"


def _children(node):
    if isinstance(node, ast.BinOp):
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp):
        return [node.operand]
    if isinstance(node, ast.Call):
        return list(node.args)
    return []


# ----------------------------------------------------------------------------------------------------
# Values for the variables, and tracing an expression
# ----------------------------------------------------------------------------------------------------

def parse_assignments(items):
    """``["x=1.0,y=2.0", "z=3"]`` (the ``--at`` options) as ``{"x": 1.0, "y": 2.0, "z": 3.0}``.

    >>> parse_assignments(["x=1.0,y=-2"])
    {'x': 1.0, 'y': -2.0}
    """
    values = {}
    for item in items or ():
        for part in item.split(","):
            if not part.strip():
                continue
            name, sep, number = part.partition("=")
            name, number = name.strip(), number.strip()
            if not sep or not name:
                raise ExpressionError(f"--at: {part.strip()!r} is not of the form name=value (e.g. --at x=1.0,y=2.0)")
            if not name.isidentifier():
                raise ExpressionError(f"--at: {name!r} is not a variable name")
            try:
                value = float(number)
            except ValueError:
                raise ExpressionError(f"--at {name}={number}: {number!r} is not a number") from None
            if not np.isfinite(value):
                raise ExpressionError(f"--at {name}={number[:20]}{'…' if len(number) > 20 else ''}: the value must "
                                      "be a finite number (at most about 1.8e308 in size)")
            if name in values:
                raise ExpressionError(f"--at gives {name} twice")
            values[name] = value
    return values


def trace_expression(expr, at, wrt=None, names=None):
    """Trace an expression at the point ``at`` (a dict of values, one per variable); returns the `Trace`.

    ``wrt`` names the variable whose tangent the forward sweep seeds (default: the first variable).

    >>> t = trace_expression("sin(x) * y + x", {"x": 0.0, "y": 2.0}, wrt="y")
    >>> float(t.derivative), [float(g) for g in t.gradient]   # d/dy = sin(x); the gradient (cos(x) y + 1, sin(x))
    (0.0, [3.0, 0.0])
    """
    from .trace import trace

    expr = parse_expression(expr) if isinstance(expr, str) else expr
    if not expr.variables:
        raise ExpressionError(f"{expr.source!r} has no variables, so there is nothing to differentiate; use a name, "
                              "e.g. \"sin(x) * x\"")
    variables = ", ".join(expr.variables)
    missing = [v for v in expr.variables if v not in at]
    if missing:
        example = ",".join(f"{v}={at.get(v, '...')}" for v in expr.variables)
        others = f" (nor for {', '.join(map(repr, missing[1:]))})" if len(missing) > 1 else ""
        raise ExpressionError(f"--at gives no value for the variable {missing[0]!r}{others}: a name that is not a "
                              f"function of admodes.numpy or a constant (pi, e) is a variable. The expression's "
                              f"variables are {variables}: e.g. --at {example}")
    extra = [name for name in at if name not in expr.variables]
    if extra:
        raise ExpressionError(f"--at names {extra[0]!r}, which is not a variable of the expression (its variables: "
                              f"{variables})")
    if wrt is not None and wrt not in expr.variables:
        raise ExpressionError(f"--wrt {wrt}: not a variable of the expression (its variables: {variables})")
    return trace(expr, *(at[v] for v in expr.variables), wrt=wrt or expr.variables[0], names=names)
