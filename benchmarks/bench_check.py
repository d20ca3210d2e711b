"""Benchmarks of the gradient checker and of finite differences (numbers, not pass/fail on speed).

    python -m pytest benchmarks/bench_check.py --benchmark-enable -q

Each benchmark records the evaluations of f it used in ``extra_info``. Run as a script, this file
prints the finite-difference accuracy table of docs/finite_differences.md instead:

    python benchmarks/bench_check.py            # needs numdifftools for its column
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import admodes.numpy as anp
from admodes.check import METHODS, check_grad, numeric_jacobian


def smooth_loss(x):
    """A smooth scalar function of a vector with neighbours coupled: elementwise work plus a shifted product."""
    return anp.sum(anp.tanh(x) ** 2 * anp.exp(x / 3)) + anp.sum(x[1:] * x[:-1]) / x.size


def _point(n, seed=0):
    return np.random.default_rng(seed).uniform(-1.5, 1.5, n)


@pytest.mark.parametrize("n", [10_000])
def test_check_grad_fast(benchmark, n):
    x = _point(n)
    report = benchmark(check_grad, smooth_loss, x, fast=True)
    assert report.passed
    benchmark.extra_info.update(n=n, evaluations=report.evaluations, ad_calls=report.sweeps)


@pytest.mark.parametrize("n", [100])
def test_check_grad_full(benchmark, n):
    x = _point(n)
    report = benchmark(check_grad, smooth_loss, x)
    assert report.passed
    benchmark.extra_info.update(n=n, evaluations=report.evaluations, ad_calls=report.sweeps)


@pytest.mark.parametrize("method", METHODS)
def test_numeric_jacobian(benchmark, method):
    f = lambda x: np.sin(x) * np.exp(x / 3)  # complex-safe, so every method runs
    x = _point(100)
    value, diff = benchmark(numeric_jacobian, f, x, method, full_output=True)
    benchmark.extra_info.update(n=100, evaluations=diff.evaluations)
    assert value.shape == (100, 100)


# ----------------------------------------------------------------------------------------------------
# The accuracy table (python benchmarks/bench_check.py)
# ----------------------------------------------------------------------------------------------------

def _numdifftools(f, x, exact):
    try:
        import numdifftools as nd
    except ImportError:
        return None
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if x.size == 1:
            return nd.Derivative(lambda s: f(np.array([s]))[0])(x[0])
        return nd.Gradient(f)(x) if np.ndim(exact) == 1 else nd.Jacobian(f)(x)


class _Counted:
    def __init__(self, f):
        self.f, self.calls = f, 0

    def __call__(self, x):
        self.calls += 1
        return self.f(x)


def accuracy_table():
    """Markdown: the largest relative error of each method (and numdifftools' default) per test function."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.test_check import ACCURACY_CASES, relative_error

    header = ["function"] + [f"{m} (evals)" for m in ("forward", "central", "richardson", "complex")]
    header.append("numdifftools default (evals)")
    rows = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name, f, x, exact, _ in ACCURACY_CASES:
        cells = [name]
        for method in ("forward", "central", "richardson", "complex"):
            try:
                value, diff = numeric_jacobian(f, x, method, full_output=True)
                cells.append(f"{relative_error(value, exact(x)):.1e} ({diff.evaluations})")
            except ValueError:
                cells.append("error: f not finite one step away")
        counted = _Counted(f)
        theirs = _numdifftools(counted, x, exact(x))
        if theirs is None:
            cells.append("-")
        elif not np.all(np.isfinite(theirs)):
            cells.append(f"nan ({counted.calls})")
        else:
            cells.append(f"{relative_error(theirs, exact(x)):.1e} ({counted.calls})")
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(accuracy_table())
