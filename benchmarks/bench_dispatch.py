"""The op library's fast path: a primitive called on plain arrays, beside the raw NumPy call.

    python -m pytest benchmarks/bench_dispatch.py --benchmark-enable -q --benchmark-group-by=group

Each group holds the raw NumPy call and the same call through `admodes.numpy`; the ratio of their
medians is the dispatch overhead (one isinstance check per argument, the impl, a dtype check).
"""

import numpy as np
import pytest

import admodes.numpy as anp

ARRAYS = {"0-d": np.asarray(0.5), "1e6": np.random.default_rng(0).uniform(-1, 1, 10**6)}
CALLS = {"sin": lambda lib, x: lib.sin(x), "multiply": lambda lib, x: lib.multiply(x, x),
         "sum": lambda lib, x: lib.sum(x)}


@pytest.mark.parametrize("library", ["numpy", "admodes"])
@pytest.mark.parametrize("op", CALLS)
@pytest.mark.parametrize("size", ARRAYS)
def test_dispatch(benchmark, library, op, size):
    benchmark.group = f"{op} {size}"
    lib = np if library == "numpy" else anp
    benchmark(CALLS[op], lib, ARRAYS[size])
