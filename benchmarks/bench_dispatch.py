"""The op library's fast path: a primitive called on plain arrays, beside the raw NumPy call.

    python -m pytest benchmarks/bench_dispatch.py --benchmark-enable -q --benchmark-group-by=group

Each group holds the raw NumPy call and the same call through `admodes.numpy`; the ratio of their
medians is the dispatch overhead (one isinstance check per argument, the impl, a dtype check).
"""

import numpy as np
import pytest

import admodes.numpy as anp

SIZES = {"0-d": np.asarray(0.5), "1e6": np.random.default_rng(0).uniform(-1, 1, 10**6)}


@pytest.mark.parametrize("size", SIZES)
def test_numpy_sin(benchmark, size):
    benchmark.group = f"sin {size}"
    benchmark(np.sin, SIZES[size])


@pytest.mark.parametrize("size", SIZES)
def test_admodes_sin(benchmark, size):
    benchmark.group = f"sin {size}"
    benchmark(anp.sin, SIZES[size])


@pytest.mark.parametrize("size", SIZES)
def test_numpy_multiply(benchmark, size):
    benchmark.group = f"multiply {size}"
    benchmark(np.multiply, SIZES[size], SIZES[size])


@pytest.mark.parametrize("size", SIZES)
def test_admodes_multiply(benchmark, size):
    benchmark.group = f"multiply {size}"
    benchmark(anp.multiply, SIZES[size], SIZES[size])


@pytest.mark.parametrize("size", SIZES)
def test_numpy_sum(benchmark, size):
    benchmark.group = f"sum {size}"
    benchmark(np.sum, SIZES[size])


@pytest.mark.parametrize("size", SIZES)
def test_admodes_sum(benchmark, size):
    benchmark.group = f"sum {size}"
    benchmark(anp.sum, SIZES[size])
