"""Taylor mode against nested forward mode: the k-th directional derivative of a chain of elementwise and
bilinear ops (experiment C10's function, `admodes.taylor.experiment.chain`).

    python -m pytest benchmarks/bench_taylor.py --benchmark-enable -q

One group per order k: k nested ``jvp`` calls (about 2.8^k primitive calls here) beside one ``taylor`` sweep
(about k^2). Numbers, not pass/fail: each benchmark asserts only that both give the same derivative.
The whole table (calls, time, peak memory, nested grad too, for k = 1..8) comes from
``admodes.taylor.experiment.measure_c10``.
"""

import numpy as np
import pytest

from admodes.taylor.experiment import METHODS, chain

RNG = np.random.default_rng(0)
X, V = RNG.uniform(-1.0, 1.0, 1000), RNG.standard_normal(1000)
F = chain(8)


@pytest.mark.parametrize("k", [2, 4, 6, 8])
@pytest.mark.parametrize("method", ["nested_jvp", "taylor"])
def test_kth_directional_derivative(benchmark, method, k):
    benchmark.group = f"order k={k}"
    got = benchmark(METHODS[method], F, X, V, k)
    reference = METHODS["taylor" if method == "nested_jvp" else "nested_jvp"](F, X, V, k)
    np.testing.assert_allclose(got, reference, rtol=1e-9)
