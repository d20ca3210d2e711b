"""``admodes compare``: a user's function measured both ways, and every way the input can be wrong."""

import argparse
import textwrap

import numpy as np
import pytest

from admodes.cli import main
from admodes.commands.check import Unusable
from admodes.commands.compare import compare

USER_CODE = textwrap.dedent("""
    import numpy as np
    import admodes.numpy as anp

    def loss(x):                      # R^p -> R: reverse mode's case
        return anp.sum(anp.sin(x) * x)

    def spread(x):                    # R^p -> R^(20 p): forward mode's case
        return anp.outer(anp.cos(x), np.ones(20))

    def scaled(w, x):                 # two arguments
        return anp.sum(w * anp.exp(x))

    def needs_matrix(x):
        return anp.matmul(x, np.ones((4, 3)))

    def words(x):
        return "not a number"

    def positive(x):
        return anp.sum(x) > 0

    def forever(x):
        while True:
            pass

    def quits(x):
        import sys
        sys.exit(0)

    not_a_function = 3
""")


@pytest.fixture
def user_file(tmp_path):
    path = tmp_path / "model.py"
    path.write_text(USER_CODE)
    return path


def _args(target, *shapes, argnum=0, repeats=1, max_seconds=60.0):
    return argparse.Namespace(function=target, shape=list(shapes), argnum=argnum, repeats=repeats, seed=0,
                              max_seconds=max_seconds)


def test_compare_prints_every_measurement_and_a_conclusion(user_file, capsys):
    code = main(["compare", f"{user_file}:loss", "--shape", "50", "--repeats", "2"])
    assert code == 0
    out = capsys.readouterr().out
    for row in ("f ", "JVP", "VJP", "jacfwd  50 forward sweeps", "jacrev  1 reverse sweep"):
        assert row in out
    assert "p = 50 inputs, m = 1 output" in out
    assert "Jacobian (1 x 50):" in out and "cheaper" in out or "about the same" in out
    assert "so reverse mode should win" in out


def test_compare_op_counts_follow_the_sweeps(user_file):
    """p forward sweeps for jacfwd, m reverse sweeps for jacrev: exact, whatever the machine's load."""
    result = compare(_args(f"{user_file}:loss", "30"))
    m = result.measurements
    assert (result.p, result.m) == (30, 1)
    assert m["jacfwd"].calls == 30 * m["jvp"].calls
    assert m["jacrev"].calls == m["vjp"].calls
    assert m["f"].calls == 2  # sin and sum; on plain arrays, `*` is NumPy's own multiply, not an admodes op
    spread = compare(_args(f"{user_file}:spread", "4"))
    assert (spread.p, spread.m) == (4, 80)
    assert spread.measurements["jacfwd"].calls == 4 * spread.measurements["jvp"].calls
    assert spread.measurements["jacrev"].calls > 10 * spread.measurements["jacfwd"].calls
    assert "so forward mode should win" in str(spread)


def test_compare_differentiates_the_argument_argnum_names(user_file):
    result = compare(_args(f"{user_file}:scaled", "1", "7", argnum=1))
    assert (result.p, result.m) == (7, 1)
    assert result.measurements["jacfwd"].calls == 7 * result.measurements["jvp"].calls
    assert "differentiating x:" in str(result)  # the parameter's name (issue 17)


def test_compare_skips_jacobians_that_would_take_too_long(user_file, capsys):
    code = main(["compare", f"{user_file}:loss", "--shape", "200", "--repeats", "1", "--max-seconds", "0"])
    assert code == 0
    out = capsys.readouterr().out
    assert "jacfwd  200 forward sweeps     skipped: about" in out
    assert "jacrev  1 reverse sweep        skipped: about" in out
    assert "not measured (both Jacobians skipped)" in out


def test_a_skipped_jacobian_is_compared_by_its_estimate(user_file):
    result = compare(_args(f"{user_file}:loss", "200"))
    jvp = result.measurements["jvp"].seconds
    result.skipped = {"jacfwd": (200 * jvp, 200, 0.5)}  # as if the forward Jacobian had been skipped
    text = str(result)
    assert "skipped: about" in text and "over --max-seconds 0.5" in text
    assert "estimated: jacfwd was not run (200 sweeps, about" in text
    factor = 200 * jvp / result.measurements["jacrev"].seconds
    assert ("reverse mode is cheaper" in text) == (factor >= 1.1)


@pytest.mark.parametrize("argv, message", [
    (["{f}:needs_matrix", "--shape", "5"], "raised ValueError with arguments of shape (5,)"),
    (["{f}:needs_matrix", "--shape", "5"], "Does --shape fit the function"),
    (["{f}:loss", "--shape", "3", "--shape", "4"], "raised TypeError"),
    (["{f}:loss"], "give the shape of each argument with --shape"),
    (["{f}:loss", "--shape", "3,x"], "is not a shape"),
    (["{f}:loss", "--shape", "3", "--argnum", "2"], "--argnum 2 is not one of the 1 argument(s)"),
    (["{f}:words", "--shape", "3"], "compare needs a real array or number"),
    (["{f}:nope", "--shape", "3"], "has no function 'nope'"),
    (["{f}:not_a_function", "--shape", "3"], "is not a function"),
    (["{d}/missing.py:loss", "--shape", "3"], "no such file"),
    (["{f}:loss", "--shape", "3", "--repeats", "0"], "--repeats must be at least 1"),
    # issue 13: each of these was a traceback (exit 1) or a silent exit 0
    (["{f}:loss", "--shape", "100000000000"], "has 100,000,000,000 elements: one array of them needs 745 GiB"),
    (["{f}:loss", "--shape", "99999999999999999999999"], "one array of them needs 7.45e+14 GiB"),
    (["{f}:loss", "--shape", "3", "--seed", "-1"], "--seed -1 is negative"),
    (["{f}:loss", "--shape", "3,,4"], "has an empty size between commas"),
    (["{f}:loss", "--shape", "3", "--max-seconds", "-1"], "--max-seconds -1 is not a number of seconds: give 0 or"),
    (["{f}:loss", "--shape", "3", "--max-seconds", "nan"], "--max-seconds nan is not a number of seconds"),
    (["{f}:loss", "--shape", "3", "--timeout", "-2"], "--timeout -2 is not a number of seconds"),
    (["{f}:forever", "--shape", "3", "--timeout", "0.5"], "forever did not finish within --timeout 0.5 s: stopped it"),
    (["{f}:quits", "--shape", "3"], "quits called sys.exit(0)"),
    (["{f}:positive", "--shape", "3"], "an integer or bool output has no derivative; return floats"),
    (["{f}:loss", "--shape", "3", "--argnum", "x"], "argument --argnum: invalid int value: 'x'"),
])
def test_bad_input_is_one_clear_message_and_exit_status_2(user_file, capsys, argv, message):
    argv = [a.format(f=user_file, d=user_file.parent) for a in argv]
    code = main(["compare", *argv])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.err.startswith("admodes compare: ")
    assert message in captured.err
    assert "Traceback" not in captured.err and captured.out == "" and captured.err.count("\n") == 1


def test_compare_raises_unusable_for_a_shape_mismatch(user_file):
    with pytest.raises(Unusable, match="Does --shape fit"):
        compare(_args(f"{user_file}:needs_matrix", "5"))
    result = compare(_args(f"{user_file}:needs_matrix", "2,4"))
    assert (result.p, result.m) == (8, 6)
    assert np.isfinite(result.measurements["jacrev"].seconds)


def test_compare_counts_the_colors_and_recommends_the_compressed_jacobian(tmp_path, capsys):
    """A tridiagonal Jacobian takes 3 colors each way: 3 compressed sweeps instead of p = 60 (issue 18, item 5)."""
    path = tmp_path / "tridiagonal.py"
    path.write_text(textwrap.dedent("""
        import admodes.numpy as anp

        def tridiagonal(x):
            return anp.concatenate([x[:1] * x[1:2], x[:-2] + anp.sin(x[1:-1]) * x[2:], x[-2:-1] - x[-1:]])
    """))
    code = main(["compare", f"{path}:tridiagonal", "--shape", "60", "--repeats", "1"])
    out = capsys.readouterr().out
    assert code == 0
    assert "Jacobian pattern: 178 nonzeros of 60 x 60" in out
    assert "colors: 3 by columns (forward; at least 3), 3 by rows (reverse; at least 3)" in out
    assert "use sparse_jacfwd: 3 forward sweeps instead of 60" in out


def test_compare_says_when_compression_buys_nothing(user_file):
    lines = compare(_args(f"{user_file}:loss", "30")).colors  # a gradient: one reverse sweep already
    assert lines[-1] == "compression buys nothing here: use jacrev"
