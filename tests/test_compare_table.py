"""The output table of ``admodes compare`` (issue 17 item 5): arguments by the function's parameter names,
what the call column counts, and singular sweeps."""

import argparse

from admodes.commands.compare import compare

MODEL = """
import numpy as np
import admodes.numpy as anp

def dense(weights, x):
    return anp.sum(anp.tanh(anp.matmul(weights, x)))

def plain(x):
    return np.sum(np.sin(x))
"""


def _compare(tmp_path, name, *shapes, argnum=0):
    path = tmp_path / "model.py"
    path.write_text(MODEL)
    return str(compare(argparse.Namespace(function=f"{path}:{name}", shape=list(shapes), argnum=argnum, repeats=1,
                                          seed=0, max_seconds=60.0)))


def test_arguments_are_named_by_the_functions_parameters(tmp_path):
    text = _compare(tmp_path, "dense", "4,3", "3", argnum=1)
    assert "arguments weights: (4, 3), x: (3,); differentiating x: p = 3 inputs, m = 1 output" in text
    assert "x0" not in text and "x1" not in text


def test_one_sweep_is_singular_and_the_counted_calls_are_named(tmp_path):
    text = _compare(tmp_path, "dense", "4,3", "3", argnum=1)
    assert "against m = 1 reverse sweep, so reverse mode should win" in text
    assert "prim. calls: the admodes primitives called while the row runs, in every row the same count" in text


def test_f_in_plain_numpy_says_why_it_counts_no_calls(tmp_path):
    text = _compare(tmp_path, "plain", "5")
    f_row = next(line for line in text.splitlines() if line.startswith("f "))
    assert f_row.split()[-3] == "0"  # no primitive call on plain arrays
    assert "f makes no primitive call on plain arrays" in text
