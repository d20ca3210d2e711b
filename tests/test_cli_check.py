"""``admodes check FILE:FUNC --shape ...``: exit 0 when derivatives are right, 1 when wrong, 2 when unusable."""

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from admodes.cli import main

MODULE = textwrap.dedent('''
    import sys

    import numpy as np
    import admodes as ad
    import admodes.numpy as anp

    def loss(x):
        return np.sum(np.tanh(x) ** 2)

    def bilinear(x, w):
        return np.sum(np.sin(x @ w))

    def positive(x):
        return np.sum(np.log(x))

    def boom(x):
        raise ZeroDivisionError("my model divided by zero")

    def listy(x):
        return [x, "two"]

    class Exp(ad.Function):
        @staticmethod
        def forward(ctx, x):
            y = np.exp(x)
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, g):
            (y,) = ctx.saved_tensors
            return g * y * 1.001

        @staticmethod
        def jvp(ctx, t):
            (y,) = ctx.saved_tensors
            return t * y

    def wrong(x):
        return anp.sum(Exp.apply(x))

    def offset(x):
        return np.sum(np.sin(x)) + 1e12

    def forever(x):
        while True:
            try:
                pass
            except Exception:  # a function that swallows exceptions is still stopped
                pass

    def quits(x):
        sys.exit(0)

    def ticking(x):
        with open("ticks.txt", "a") as ticks:
            while True:
                ticks.write(".")
                ticks.flush()

    def complex_out(x):
        return np.sum(x) * 1j

    answer = 42
''')


@pytest.fixture
def funcs(tmp_path, monkeypatch):
    path = tmp_path / "funcs.py"
    path.write_text(MODULE)
    monkeypatch.chdir(tmp_path)
    return path


def run(capsys, *argv):
    code = main(["check", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_right_gradient_passes(funcs, capsys):
    code, out, err = run(capsys, f"{funcs}:loss", "--shape", "3,4")
    assert code == 0 and err == ""
    assert out.startswith("check_grad(loss): order 1, forward, reverse vs richardson differences")
    assert "argument 0 `x` (shape (3, 4), float64)" in out and ": passed" in out


def test_several_arguments_second_order_and_seed(funcs, capsys):
    code, out, _ = run(capsys, "funcs.py:bilinear", "--shape", "2,3", "--shape", "3", "--order", "2", "--seed", "5")
    assert code == 0
    assert "argument 1 `w` (shape (3,), float64)" in out and "reverse-over-forward vs numeric" in out


def test_a_range_keeps_the_point_in_the_domain(funcs, capsys):
    assert run(capsys, "funcs.py:positive", "--shape", "4", "--range", "0.5,2")[0] == 0


def test_module_colon_function(funcs, capsys, monkeypatch):
    monkeypatch.syspath_prepend(str(funcs.parent))
    code, out, _ = run(capsys, "funcs:loss", "--shape", "3", "--fast", "--float32")
    assert code == 0 and "(shape (3,), float32)" in out and "random projections" in out


def test_a_wrong_gradient_fails_with_the_message_and_the_report(funcs, capsys):
    code, out, _ = run(capsys, "funcs.py:wrong", "--shape", "4")
    assert code == 1
    assert out.startswith("reverse mode gives a wrong derivative of `wrong` for argument 0 `x` (shape (4,), float64)")
    assert "only reverse mode is wrong" in out and "FAILED at 4 of 4" in out


def test_finite_differences_too_coarse_to_decide_exit_3_never_0(funcs, capsys):
    code, out, err = run(capsys, "funcs.py:offset", "--shape", "3")
    assert code == 3 and err == ""
    assert out.startswith("cannot decide whether forward mode gives the right derivative of `offset`")
    assert "is large next to this derivative's share of its changes" in out and ": cannot decide" in out


def test_help_documents_every_exit_status(capsys):
    assert main(["check", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    for status in ("0 passed", "1 a wrong derivative", "2 the check could not run", "3 cannot decide"):
        assert status in text


@pytest.mark.parametrize("argv, message", [
    (["nofile.py:f", "--shape", "3"], "no such file: nofile.py"),
    (["funcs.py:nope", "--shape", "3"], "funcs.py has no function 'nope' (it has: Exp, bilinear, boom, complex_out"),
    (["funcs.py:answer", "--shape", "3"], "funcs.py:answer is not a function (it is of type int)"),
    (["funcs.py", "--shape", "3"], "'funcs.py' does not name a function"),
    (["nosuchmodule:f", "--shape", "3"], "cannot import 'nosuchmodule'"),
    (["funcs.py:loss"], "give the shape of each argument with --shape"),
    (["funcs.py:loss", "--shape", ""], "--shape '' is empty"),
    (["funcs.py:loss", "--shape", "0,3"], "has a size below 1"),
    (["funcs.py:loss", "--shape", "a,b"], "is not a shape"),
    (["funcs.py:boom", "--shape", "3"],
     "funcs.py:boom raised ZeroDivisionError at a random point of shape (3,) (seed 0): my model divided by zero"),
    (["funcs.py:positive", "--shape", "3"], "f is not finite at the point: f(x) = nan"),
    (["funcs.py:listy", "--shape", "3"], "f (at its output[1]) must return a real array, but it returned a str"),
    # issue 13: each of these was a traceback (exit 1, "wrong derivative") or a silent exit 0
    (["funcs.py:loss", "--shape", "100000000000"],
     "--shape '100000000000' has 100,000,000,000 elements: one array of them needs 745 GiB, more than this machine"),
    (["funcs.py:loss", "--shape", "99999999999999999999999"], "one array of them needs 7.45e+14 GiB"),
    (["funcs.py:loss", "--shape", "100000,100000"], "has 10,000,000,000 elements"),
    (["funcs.py:loss", "--shape", "3", "--seed", "-1"], "--seed -1 is negative: give a non-negative integer"),
    (["funcs.py:loss", "--shape", "3", "--range=-inf,inf"], "--range '-inf,inf': LOW and HIGH must be finite"),
    (["funcs.py:loss", "--shape", "3", "--range", "1,nan"], "LOW and HIGH must be finite"),
    (["funcs.py:loss", "--shape", "3", "--range=-1e308,1e308"], "is wider than the largest float"),
    (["funcs.py:loss", "--shape", "3,,4"], "--shape '3,,4' has an empty size between commas"),
    (["funcs.py:loss", "--shape", ",3"], "has an empty size between commas"),
    (["funcs.py:loss", "--shape", "-3"], "has a size below 1"),
    (["funcs.py:quits", "--shape", "3"], "funcs.py:quits called sys.exit(0): a checked function must return a value"),
    (["funcs.py:forever", "--shape", "3", "--timeout", "0.5"],
     "funcs.py:forever did not finish within --timeout 0.5 s: stopped it"),
    (["funcs.py:loss", "--shape", "3", "--timeout", "0"], "--timeout 0 is not a number of seconds"),
    (["funcs.py:loss", "--shape", "3", "--timeout", "nan"], "--timeout nan is not a number of seconds"),
    (["funcs.py:complex_out", "--shape", "3"], "f must return a float array or number, got complex128"),
    (["funcs.py:loss", "--shape", "3", "--seed", "abc"], "argument --seed: invalid int value: 'abc'"),
    (["funcs.py:loss", "--shape", "3", "--order", "3"], "argument --order: invalid choice: 3"),
    (["funcs.py:loss", "--shape", "3", "--method", "bogus"], "unknown finite-difference method 'bogus'"),
    (["funcs.py:loss", "--shape", "3", "--modes", "sideways"], "unknown mode 'sideways'"),
    (["funcs.py:loss", "--shape", "1000000"], "x has 1,000,000 elements, so the richardson Jacobian takes at least"),
    (["funcs.py:loss", "--shape", "1000000"], "check_grad(fast=True) (admodes check --fast) takes a constant number"),
])
def test_bad_input_is_one_line_and_exit_2(funcs, capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.startswith("admodes check: ") and message in err
    assert "Traceback" not in err and err.count("\n") == 1


def test_the_timeout_stops_f_for_good_and_passes_results_through(funcs, capsys):
    code, _, err = run(capsys, "funcs.py:ticking", "--shape", "3", "--timeout", "0.3")
    assert code == 2 and "funcs.py:ticking did not finish within --timeout 0.3 s: stopped it" in err
    ticks = funcs.parent / "ticks.txt"
    size = ticks.stat().st_size
    assert size > 0  # it ran, and then
    time.sleep(0.3)
    assert ticks.stat().st_size == size  # it was stopped, not left running
    code, out, err = run(capsys, "funcs.py:loss", "--shape", "3", "--timeout", "60")
    assert code == 0 and err == "" and out.startswith("check_grad(loss): order 1") and ": passed" in out
    code, out, _ = run(capsys, "funcs.py:wrong", "--shape", "4", "--timeout", "60")
    assert code == 1 and out.startswith("reverse mode gives a wrong derivative of `wrong`") and "FAILED at 4" in out


@pytest.mark.parametrize("source, message", [
    ("raise RuntimeError('no config')\n", "importing broken.py failed: no config"),
    ("import sys\nsys.exit(4)\n", "broken.py:f called sys.exit(4)"),
])
def test_a_module_that_fails_on_import_is_one_line(tmp_path, monkeypatch, capsys, source, message):
    (tmp_path / "broken.py").write_text(source)
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "broken.py:f", "--shape", "3")
    assert code == 2 and message in err and err.count("\n") == 1


def test_a_trailing_comma_is_a_one_element_tuple(funcs, capsys):
    code, out, _ = run(capsys, "funcs.py:loss", "--shape", "3,")
    assert code == 0 and "(shape (3,), float64)" in out


def test_the_real_command_line_stops_a_function_that_loops_forever(funcs):
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, "-m", "admodes.cli", "check", f"{funcs}:forever", "--shape", "3",
                           "--timeout", "0.5"], capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == f"admodes check: {funcs}:forever did not finish within --timeout 0.5 s: stopped it\n"
