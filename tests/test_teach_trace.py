"""Evaluation traces (admodes/teach/trace.py and tables.py): values against closed forms."""

import json
import math

import numpy as np
import pytest

import admodes as ad
import admodes.numpy as anp
from admodes.teach import trace
from admodes.teach.notation import ASCII, PICTURE, UNICODE, fmt, width
from admodes.teach.tables import forward_rule, render_text, reverse_update


def teaching(x, w):
    return (x + w) * (w + 1)


def by_name(t):
    return {n.name: n for n in t.nodes}


# ---- the teaching example y = (x + w) * (w + 1) at x = 2, w = 1 --------------------------------------

def test_teaching_example_values_and_both_sweeps():
    t = trace(teaching, 2.0, 1.0, wrt="w", names="a b y")
    n = by_name(t)
    assert [node.name for node in t.nodes] == ["x", "w", "a", "b", "y"]
    assert [float(n[k].value) for k in "xwaby"] == [2.0, 1.0, 3.0, 2.0, 6.0]
    # forward sweep along w: a' = 1, b' = 1, y' = a' b + a b' = 2 + 3 = 5
    assert [float(n[k].tangent) for k in "xwaby"] == [0.0, 1.0, 1.0, 1.0, 5.0]
    assert float(t.derivative) == 5.0
    # reverse sweep: a-bar = b = 2, b-bar = a = 3, w-bar = b-bar + a-bar = 5, x-bar = a-bar = 2
    assert [float(n[k].adjoint) for k in "yabxw"] == [1.0, 2.0, 3.0, 2.0, 5.0]
    assert [float(g) for g in t.gradient] == [2.0, 5.0]


def test_adjoint_of_w_sums_over_its_two_paths_in_reverse_order():
    t = trace(teaching, 2.0, 1.0, wrt="w", names="a b y")
    w = t.inputs[1]
    steps = t.contributions(w)
    assert [(s.node.name, float(s.contribution), float(s.partial)) for s in steps] == [("b", 3.0, 1.0), ("a", 2.0, 1.0)]
    assert steps[0].previous is None and float(steps[1].previous) == 3.0 and float(steps[1].total) == 5.0
    # the reverse sweep visits the ops in reverse creation order: y, then b, then a
    assert [s.node.name for s in t.steps] == ["y", "y", "y", "b", "a", "a"]
    assert [s.target.name for s in t.steps] == ["y", "a", "b", "w", "x", "w"]
    text = t.text()
    assert "w̄ += b̄·∂b/∂w = 3·1 = 3" in text and "w̄ = 3 + 2 = 5" in text
    assert "w̄ = 3 + 2: w is used by 2 ops (b, a)" in text


def test_teaching_example_along_x_gives_dy_dx():
    t = trace(teaching, 2.0, 1.0)  # wrt defaults to the first argument
    assert float(t.derivative) == 2.0  # dy/dx = w + 1
    assert "ẏ = 2 = ∂y/∂x" in t.summary()


def test_trace_records_the_reverse_engines_nodes():
    t = trace(teaching, 2.0, 1.0, names="a b y")
    n = by_name(t)
    assert [type(n[k].grad_fn).__name__ for k in "aby"] == ["AddBackward", "AddBackward", "MulBackward"]
    assert n["a"].grad_fn.order < n["b"].grad_fn.order < n["y"].grad_fn.order
    assert n["x"].grad_fn is None


def test_engines_agree_with_the_table():
    t = trace(teaching, 2.0, 1.0, wrt=1)
    assert float(t.engines["forward"]) == 5.0
    assert [float(g) for g in t.engines["reverse"]] == [2.0, 5.0]
    assert "the engines agree: jvp gives 5; y.backward() gives x.grad = 2, w.grad = 5" in t.summary()


def test_constants_appear_in_the_definitions():
    t = trace(lambda x: 2.0 * x - 1.0 + x * -3.0, 1.5)
    assert [node.definition() for node in t.nodes] == ["input", "2 * x", "v1 - 1", "x * (-3)", "v2 + v3"]
    assert float(t.value) == 2.0 * 1.5 - 1.0 - 4.5 and float(t.derivative) == -1.0


# ---- another function, against its closed form -------------------------------------------------------

def test_sin_x_times_y_plus_x_against_closed_form():
    x, y = 0.7, -1.3
    t = trace(lambda x, y: anp.sin(x) * y + x, x, y)
    assert math.isclose(float(t.value), math.sin(x) * y + x, rel_tol=1e-15)
    assert math.isclose(float(t.derivative), math.cos(x) * y + 1.0, rel_tol=1e-15)
    gx, gy = (float(g) for g in t.gradient)
    assert math.isclose(gx, math.cos(x) * y + 1.0, rel_tol=1e-15) and math.isclose(gy, math.sin(x), rel_tol=1e-15)
    assert t.output.name == "f"  # y is taken by an input
    # x is used twice (by sin and by the final +): two contributions to x-bar
    assert [s.node.name for s in t.contributions(t.inputs[0])] == ["f", "v1"]
    sin_row = t.to_rows()[2]
    assert sin_row["definition"] == "sin(x)" and math.isclose(sin_row["tangent"], math.cos(x))


def test_array_function_against_closed_form():
    x = np.array([0.5, -1.0, 2.0])
    t = trace(lambda x: anp.sum(anp.tanh(x) * x), x, tangents=(np.array([1.0, 0.0, -1.0]),))
    expected = (1 - np.tanh(x) ** 2) * x + np.tanh(x)
    np.testing.assert_allclose(t.gradient[0], expected, rtol=1e-14)
    np.testing.assert_allclose(t.derivative, expected[0] - expected[2], rtol=1e-14)
    rows = t.to_rows()
    assert rows[0]["value"] == [0.5, -1.0, 2.0] and rows[-1]["name"] == "y"
    assert "(the derivative of y along the seed)" in t.summary()


def test_same_input_twice_gives_two_contributions():
    t = trace(lambda x: x * x, 3.0)
    assert [float(s.contribution) for s in t.contributions(t.inputs[0])] == [3.0, 3.0]
    assert float(t.gradient[0]) == 6.0 and float(t.derivative) == 6.0
    assert forward_rule(t.output) == "∂y/∂x·ẋ + ∂y/∂x·ẋ = 3·1 + 3·1"


def test_custom_function_is_one_node():
    class Exp(ad.Function):
        @staticmethod
        def forward(ctx, x):
            y = np.exp(x)
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, g):
            (y,) = ctx.saved_tensors
            return g * y

        @staticmethod
        def jvp(ctx, t):
            (y,) = ctx.saved_tensors
            return t * y

    t = trace(lambda x: Exp.apply(x) * 2.0, 1.0)
    assert [node.op for node in t.nodes] == [None, "Exp", "multiply"]
    assert type(t.nodes[1].grad_fn).__name__ == "ExpBackward"
    assert math.isclose(float(t.gradient[0]), 2 * math.e, rel_tol=1e-15)


def test_values_that_do_not_reach_the_output_are_left_out():
    def f(x):
        unused = anp.exp(x)  # noqa: F841 - a dead branch
        return anp.sin(x)
    t = trace(f, 0.0)
    assert [node.op for node in t.nodes] == [None, "sin"]


def test_piecewise_constant_op_has_a_zero_tangent():
    t = trace(lambda x: anp.sign(x) * x, -2.0)
    sign = t.nodes[1]
    assert sign.op == "sign" and sign.tangent is None and sign.terms == []
    assert forward_rule(sign) == "0 (sign is piecewise constant)"
    assert float(t.gradient[0]) == -1.0


def test_unused_input_has_zero_adjoint():
    t = trace(lambda x, y: x * 2.0, 1.0, 5.0)
    assert [float(g) for g in t.gradient] == [2.0, 0.0]
    assert t.to_rows()[1]["adjoint"] == 0.0


def test_identity_function():
    t = trace(lambda x: x, 4.0)
    assert len(t.nodes) == 1 and float(t.derivative) == 1.0 and float(t.gradient[0]) == 1.0


def test_non_scalar_output_with_a_cotangent():
    t = trace(lambda x: x * np.array([1.0, 2.0]), 2.0, cotangent=np.array([1.0, 10.0]))
    assert float(t.gradient[0]) == 21.0 and t.derivative.tolist() == [1.0, 2.0]
    assert "(ȳᵀJ for each input)" in t.summary()


# ---- the views ---------------------------------------------------------------------------------------

def test_to_rows_is_plain_data():
    t = trace(teaching, 2.0, 1.0, wrt="w", names="a b y")
    rows = t.to_rows()
    json.dumps(rows)
    assert rows[4] == {"step": 4, "name": "y", "kind": "op", "op": "multiply", "grad_fn": "MulBackward",
                       "definition": "a * b", "inputs": ["a", "b"], "value": 6.0, "tangent": 5.0, "adjoint": 1.0,
                       "output": True}
    reverse = t.to_rows("reverse")
    json.dumps(reverse)
    assert [(r["target"], r["contribution"], r["adjoint"]) for r in reverse if r["target"] == "w"] == \
        [("w", 3.0, 3.0), ("w", 2.0, 5.0)]
    with pytest.raises(ValueError, match="'forward' or 'reverse'"):
        t.to_rows("sideways")


def test_markdown_tables():
    md = trace(teaching, 2.0, 1.0, wrt="w", names="a b y").markdown()
    assert "| v | definition | value | tangent rule | tangent |" in md
    assert "| y | `a * b` | 6 | `∂y/∂a·ȧ + ∂y/∂b·ḃ = 2·1 + 3·1` | 5 |" in md
    assert "| 5 |  | `w̄ += ā·∂a/∂w = 2·1 = 2` | `w̄ = 3 + 2 = 5` |" in md


def test_text_table_columns_line_up_with_combining_marks():
    text = trace(teaching, 2.0, 1.0, wrt="w", names="a b y").text()
    header, _, *rows = text.split("\n\n")[1].splitlines()[1:]  # the reverse table
    column = header.rindex("adjoint")
    last_cells = ["ȳ = 1", "ā = 2", "b̄ = 3", "w̄ = 3", "x̄ = 2", "w̄ = 3 + 2 = 5"]
    assert [width(row[: row.rindex(cell)]) for row, cell in zip(rows, last_cells)] == [column] * 6


def test_ascii_notation():
    text = render_text(trace(teaching, 2.0, 1.0, wrt="w", names="a b y"), ASCII)
    assert "bar(w) += bar(a)*da/dw = 2*1 = 2" in text
    text.encode("ascii")


def test_notation_and_numbers():
    assert UNICODE.dot("v1") == "v̇1" and PICTURE.bar("v12") == "v̄₁₂"
    assert fmt(None) == "0" and fmt(np.array([[1.0, 2.0], [3.0, 4.0]])) == "[[1, 2], [3, 4]]"
    with pytest.raises(ValueError, match="notation style"):
        from admodes.teach.notation import Notation
        Notation("latex")


def test_reverse_update_for_arrays_shows_the_contribution():
    t = trace(lambda x: anp.sum(x * x), np.array([1.0, 2.0]))
    assert reverse_update(t.steps[1]) == "v̄1 += ȳ·∂y/∂v1 = [1, 1]"


def test_repr():
    assert repr(trace(teaching, 2.0, 1.0)) == "<Trace of teaching: 2 inputs, 3 ops; y = 6>"


# ---- bad input ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("call, error, message", [
    (lambda: trace(teaching, 2.0, 1.0, names="a b"), ValueError, "2 names but f has 3 ops"),
    (lambda: trace(teaching, 2.0, 1.0, names="a x y"), ValueError, "names gives 'x' twice, or for an op and an input"),
    (lambda: trace(teaching, 2.0, 1.0, names="a a y"), ValueError, "names gives 'a' twice"),
    (lambda: trace(teaching, 2.0, 1.0, wrt="z"), ValueError, "not an argument of f .its arguments: x, w"),
    (lambda: trace(teaching, 2.0, 1.0, wrt=5), ValueError, "wrt must be an argument's position"),
    (lambda: trace(teaching, 2.0, 1.0, tangents=(1.0,)), ValueError, "one tangent per argument"),
    (lambda: trace(teaching, 2.0, 1.0, tangents=(1.0, np.ones(2))), ValueError, "tangent 1 .w. has shape"),
    (lambda: trace(teaching, 2.0, 1.0, cotangent=np.ones(3)), ValueError, "cotangent has shape"),
    (lambda: trace(teaching, np.array([1, 2]), 1.0), TypeError, "argument 0 .x. has dtype int64"),
    (lambda: trace(teaching, True, 1.0), TypeError, "is a bool"),
    (lambda: trace(teaching, 1j, 1.0), TypeError, "complex"),
    (lambda: trace(lambda x: np.float64(3.0), 1.0), ValueError, "does not depend on its inputs"),
    (lambda: trace(lambda x: (x, x), 1.0), TypeError, "single array"),
    (lambda: trace(teaching), TypeError, "give the point"),
    (lambda: trace(3.0, 1.0), TypeError, "f must be a function"),
])
def test_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_teach_has_no_import_cycle():
    """Issue 14: a Trace is data that graph and animate read; no module of admodes.teach imports back into one
    that imports it (lazy imports inside functions count too)."""
    import ast
    from pathlib import Path
    folder = Path(__file__).resolve().parent.parent / "admodes" / "teach"
    names = {p.stem for p in folder.glob("*.py")}
    imports = {}
    for path in folder.glob("*.py"):
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                found |= {node.module} if node.module else {a.name for a in node.names}
        imports[path.stem] = found & names - {path.stem}
    done, active = set(), []

    def visit(name):
        assert name not in active, f"import cycle: {' -> '.join(active[active.index(name):] + [name])}"
        if name in done:
            return
        active.append(name)
        for other in sorted(imports[name]):
            visit(other)
        active.pop()
        done.add(name)

    for name in sorted(names - {"__init__"}):
        visit(name)
    assert "graph" not in imports["trace"] and "animate" not in imports["trace"]
