"""``admodes demo`` (admodes/commands/demo.py): its output and exit codes, and every bad input."""

import subprocess
import sys

import pytest
from PIL import Image

from admodes.cli import main


def run(capsys, *argv):
    code = main(["demo", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_no_argument_runs_the_teaching_example(capsys):
    code, out, err = run(capsys)
    assert code == 0 and err == ""
    assert out.startswith("The teaching example y = (x + w) * (w + 1): a = x + w, b = w + 1, y = a * b.\n"
                          "(From the teaching note “一、PyTorch 核心模块” (“I. PyTorch's core modules”), section "
                          "“1.2.5 自动微分 (1) 计算图概念”")
    assert "seed note" not in out
    assert "a  x + w       3      ∂a/∂x·ẋ + ∂a/∂w·ẇ = 1·0 + 1·1  1" in out
    assert "y  a * b       6      ∂y/∂a·ȧ + ∂y/∂b·ḃ = 2·1 + 3·1  5" in out
    assert "w̄ += b̄·∂b/∂w = 3·1 = 3" in out and "w̄ = 3 + 2 = 5" in out
    assert "forward sweep (seed ẋ = 0, ẇ = 1): ẏ = 5 = ∂y/∂w" in out
    assert "reverse sweep (seed ȳ = 1): x̄ = 2 = ∂y/∂x, w̄ = 5 = ∂y/∂w" in out
    assert "the engines agree" in out


def test_teaching_example_at_another_point(capsys):
    code, out, _ = run(capsys, "--at", "x=3,w=2", "--wrt", "x", "--ascii")
    # y = (x + w)(w + 1): dy/dx = w + 1 = 3, dy/dw = x + 2w + 1 = 8
    assert code == 0 and "y = 15 at x = 3, w = 2" in out
    assert "dot(y) = 3 = dy/dx" in out and "bar(w) = 8 = dy/dw" in out
    out.encode("ascii")


def test_an_expression_with_pictures(capsys, tmp_path):
    png, svg, gif = tmp_path / "graph.png", tmp_path / "graph.svg", tmp_path / "sweeps.gif"
    code, out, err = run(capsys, "sin(x) * y + x", "--at", "x=0.0,y=2.0", "--png", str(png), "--svg", str(svg),
                         "--gif", str(gif), "--gif-mode", "reverse")
    assert code == 0 and err == ""
    assert out.startswith("f = sin(x) * y + x\n")
    assert "f = 0 at x = 0, y = 2" in out and "ḟ = 3 = ∂f/∂x" in out  # cos(0) * 2 + 1
    assert "x̄ = 3 = ∂f/∂x, ȳ = 0 = ∂f/∂y" in out
    assert f"wrote {png}" in out and f"wrote {gif}" in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and svg.read_text().lstrip().startswith("<?xml")
    with Image.open(gif) as im:
        assert im.n_frames == 1 + 5


def test_markdown_and_names(capsys):
    code, out, _ = run(capsys, "x * x + 1", "--at", "x=3", "--names", "s,y", "--markdown", "--digits", "3")
    assert code == 0
    assert "| s | `x * x` | 9 | `∂s/∂x·ẋ + ∂s/∂x·ẋ = 3·1 + 3·1` | 6 |" in out
    assert "- x̄ = 3 + 3: x is used by 2 ops (s, s)" in out


def test_non_finite_values_get_a_note(capsys):
    code, out, _ = run(capsys, "log(x)", "--at", "x=-1")
    assert code == 0 and "note: some values are not finite" in out


@pytest.mark.parametrize("argv, message", [
    (["foo(x)", "--at", "x=1"], "unknown function 'foo' at column 1"),
    (["x +", "--at", "x=1"], "syntax error at column 4"),
    (["np.sin(x)", "--at", "x=1"], "attribute access is not allowed ('np.sin' at column 1): write sin(...)"),
    (["(x + 1)(2)", "--at", "x=1"], "only functions of admodes.numpy can be called"),
    (["__import__('os').system('true')", "--at", "x=1"], "attribute access is not allowed"),
    (["exp(x) * q", "--at", "x=1"], "--at gives no value for the variable 'q'"),
    (["sin(x) * y"], "--at gives no value for the variable 'x' (nor for 'y')"),
    (["sin(x)", "--at", "x=abc"], "--at x=abc: 'abc' is not a number"),
    (["sin(x)", "--at", "x"], "'x' is not of the form name=value"),
    (["sin(x)", "--at", "x=1,z=2"], "--at names 'z', which is not a variable of the expression"),
    (["sin(x)", "--at", "x=1", "--wrt", "w"], "--wrt w: not a variable of the expression"),
    (["--names", "a,b"], "2 names but f has 3 ops"),
    (["--png", "graph.jpg"], "--png graph.jpg: the file name should end in .png"),
    (["--gif", "sweeps.png"], "--gif sweeps.png: the file name should end in .gif"),
    (["--digits", "0"], "--digits must be between 1 and 17"),
    # issue 13: each of these was a traceback
    (["x + " + "9" * 400, "--at", "x=1"], "(a 400-digit number) is too large for a float64"),
    (["x * 1e400", "--at", "x=1"], "('1e400') is too large for a float64"),
    (["sin(x)", "--at", "x=" + "9" * 400], "the value must be a finite number"),
    (["split(x, 0)", "--at", "x=1"], "split gives a list of arrays, not one value"),
    (["array_split(x, 2)", "--at", "x=1"], "array_split gives a list of arrays"),
    (["concatenate(x)", "--at", "x=1"], "concatenate takes a list of arrays"),
    (["stack(x)", "--at", "x=1"], "stack takes a list of arrays"),
    (["clip(x)", "--at", "x=1"], "clip needs 3 arguments here, got 1"),
    (["clip(x, 0)", "--at", "x=1"], "clip needs 3 arguments here, got 2"),
    (["repeat(x, 10 ** 13)", "--at", "x=1"], "'repeat(x, 10 ** 13)' could not be computed: Unable to allocate"),
    (["+".join(["sin(x)"] * 30), "--at", "x=1", "--gif", "big.gif"], "the graph has 60 nodes; an animation is "
                                                                       "readable up to 50"),
])
def test_bad_input_is_one_clear_line_and_exit_2(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.startswith("admodes demo: error: ") and message in err
    assert "Traceback" not in err


def test_clip_with_both_bounds_is_traced(capsys):
    code, out, _ = run(capsys, "clip(x, 0, 2) * x", "--at", "x=1")
    assert code == 0 and "the engines agree: jvp gives 2" in out


def test_a_constant_that_is_not_a_number_is_labelled():
    from admodes.teach.trace import Constant
    assert Constant(None).label == "None"


def test_unwritable_file_exits_1(capsys, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    code, _, err = run(capsys, "--png", str(blocker / "graph.png"))
    assert code == 1 and "could not write a file" in err


def test_exit_status_of_the_command():
    bad = subprocess.run([sys.executable, "-m", "admodes.cli", "demo", "foo(x)", "--at", "x=1"],
                         capture_output=True, text=True, encoding="utf-8")
    assert bad.returncode == 2 and "unknown function 'foo'" in bad.stderr


def test_ascii_applies_to_markdown_too(capsys):
    code, out, _ = run(capsys, "x * x + 1", "--at", "x=3", "--markdown", "--ascii")
    assert code == 0 and "dot(x)" in out
    out.encode("ascii")
