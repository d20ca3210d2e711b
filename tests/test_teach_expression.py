"""The demo's expression language (admodes/teach/expression.py): parsing, evaluation and every bad input."""

import math

import numpy as np
import pytest

import admodes.teach.expression as expression_module
from admodes.teach.expression import (
    ExpressionError,
    functions,
    parse_assignments,
    parse_expression,
    trace_expression,
)


def test_variables_in_order_of_first_appearance():
    assert parse_expression("sin(x) * y + x").variables == ("x", "y")
    assert parse_expression("(x + w) * (w + 1)").variables == ("x", "w")
    assert parse_expression("exp(b) + a * pi - e").variables == ("b", "a")


def test_evaluation_against_closed_forms():
    f = parse_expression("sqrt(x) / y ** 2 - -tanh(x) + log(y) * e")
    x, y = 2.0, 3.0
    assert math.isclose(float(f(x, y)), math.sqrt(x) / y ** 2 + math.tanh(x) + math.log(y) * math.e, rel_tol=1e-15)
    assert float(parse_expression("+x")(5.0)) == 5.0
    assert float(parse_expression("2 ** 10 + 0 * x")(1.0)) == 1024.0


def test_functions_are_those_of_admodes_numpy():
    names = functions()
    assert {"sin", "exp", "log", "sqrt", "tanh", "maximum"} <= set(names)
    assert not any("." in n for n in names)


def test_an_expression_is_a_function_that_traces_with_its_variable_names():
    t = trace_expression("sin(x) * y + x", {"x": 1.0, "y": 2.0})
    assert [n.name for n in t.inputs] == ["x", "y"] and t.function_name == "sin(x) * y + x"
    assert math.isclose(float(t.derivative), 2 * math.cos(1.0) + 1, rel_tol=1e-15)
    assert math.isclose(float(t.gradient[1]), math.sin(1.0), rel_tol=1e-15)
    t = trace_expression("sin(x) * y + x", {"x": 1.0, "y": 2.0}, wrt="y")
    assert math.isclose(float(t.derivative), math.sin(1.0), rel_tol=1e-15)


def test_long_expressions_need_no_recursion():
    t = trace_expression("+".join(["x"] * 900), {"x": 1.0})
    assert float(t.derivative) == 900.0 and len(t.nodes) == 900
    assert float(parse_expression("-" * 1500 + "x")(2.0)) == 2.0


def test_eval_is_never_used():
    source = open(expression_module.__file__).read()
    assert "eval(" not in source.replace(".evaluate(", "").replace('mode="eval"', "")


def test_parse_assignments():
    assert parse_assignments(["x=1.0,y=-2", "z = 3e-1"]) == {"x": 1.0, "y": -2.0, "z": 0.3}
    assert parse_assignments(None) == {}


@pytest.mark.parametrize("text, message", [
    ("foo(x)", "unknown function 'foo' at column 1: not a function of admodes.numpy"),
    ("__import__('os')", "unknown function '__import__'"),
    ("_secret + x", "unknown name '_secret' at column 1"),
    ("x +", "syntax error at column 4: invalid syntax"),
    ("sin(x", "syntax error at column 4: '.' was never closed"),
    ("np.sin(x)", "attribute access is not allowed .'np.sin' at column 1.: write sin"),
    ("x.foo", "attribute access is not allowed .'x.foo' at column 1.$"),  # (x.real: 'write real(...) instead')
    ("().__class__", "attribute access is not allowed"),
    ("(x + 1)(2)", "only functions of admodes.numpy can be called"),
    ("(lambda: 1)()", "only functions of admodes.numpy can be called"),
    ("pi(x)", "unknown function 'pi' at column 1: a variable or constant"),
    ("exp", "'exp' is a function of admodes.numpy, not a variable .'exp' at column 1.; call it: exp"),
    ("x ^ 2", "the operator '\\^' is not allowed .* write powers with \\*\\*"),
    ("x // 2", "the operator '//' is not allowed"),
    ("x @ x", "the operator '@' is not allowed"),
    ("not x", "the operator 'not' is not allowed"),
    ("x[0]", "indexing .a\\[...\\]. is not allowed"),
    ("x < 1", "comparison is not allowed"),
    ("x if x else 1", "'if'/'else' is not allowed"),
    ("[x]", "a list is not allowed"),
    ("'text'", "str values are not allowed"),
    ("1j * x", "complex numbers are not allowed"),
    ("True * x", "bool values are not allowed"),
    ("sin(x=1)", "keyword arguments are not allowed"),
    ("sin(*x)", "starred arguments"),
    ("", "the expression is empty"),
    ("x\n+ 1", "must be one line"),
    ("x" * 2001, "2001 characters long; the limit is 2000"),
])
def test_bad_expressions_name_the_problem(text, message):
    with pytest.raises(ExpressionError, match=message):
        parse_expression(text)


def test_errors_while_computing_name_the_subexpression():
    with pytest.raises(ExpressionError, match="'sin\\(x, x, x\\)' could not be computed"):
        parse_expression("sin(x, x, x)")(1.0)
    with pytest.raises(ExpressionError, match="takes 2 values .x, y., got 1"):
        parse_expression("x * y")(1.0)


@pytest.mark.parametrize("at, wrt, message", [
    ({"x": 1.0}, None, "--at gives no value for the variable 'y'.*variables are x, y: e.g. --at x=1.0,y=..."),
    ({}, None, "no value for the variable 'x' .nor for 'y'."),
    ({"x": 1.0, "y": 2.0, "z": 3.0}, None, "--at names 'z', which is not a variable of the expression"),
    ({"x": 1.0, "y": 2.0}, "q", "--wrt q: not a variable of the expression .its variables: x, y."),
])
def test_bad_values_for_the_variables(at, wrt, message):
    with pytest.raises(ExpressionError, match=message):
        trace_expression("sin(x) * y", at, wrt=wrt)


@pytest.mark.parametrize("items, message", [
    (["x"], "'x' is not of the form name=value"),
    (["=1"], "'=1' is not of the form name=value"),
    (["x=abc"], "--at x=abc: 'abc' is not a number"),
    (["x=1,x=2"], "--at gives x twice"),
    (["1x=2"], "'1x' is not a variable name"),
])
def test_bad_assignments(items, message):
    with pytest.raises(ExpressionError, match=message):
        parse_assignments(items)


def test_an_expression_without_variables_cannot_be_differentiated():
    with pytest.raises(ExpressionError, match="has no variables"):
        trace_expression("sin(pi) + 1", {})


def test_non_finite_values_are_computed_quietly():
    with np.errstate(all="raise"):
        value = parse_expression("log(x)")(-1.0)
    assert np.isnan(value)
