"""Forward mode's memory is O(1) in the length of the computation (admodes/forward.py).

The engine keeps nothing for later: each op computes its output and output tangent and the inputs'
duals die as the user's code drops them. `tracemalloc` sees NumPy's buffers exactly (NumPy reports its
allocations to it), so the peak is deterministic: we measure it in units of one array of the chain.
"""

import tracemalloc

import numpy as np
import pytest

import admodes as ad
import admodes.numpy as anp

N = 10**5
ARRAY = N * np.dtype(np.float64).itemsize  # bytes of one array of the chain

# elementwise ops that keep values bounded, so a long chain stays finite
STEPS = (anp.sin, lambda x: x * 0.9, anp.tanh, lambda x: x + 0.5, lambda x: x * x, anp.cos, anp.exp,
         lambda x: 1.0 / (1.0 + x))


def chain(x, length):
    for k in range(length):
        x = STEPS[k % len(STEPS)](x)
    return x


def chain_derivative(x, length):
    """d chain / dx elementwise, by hand: the product of the steps' derivatives (for the check)."""
    derivative = np.ones_like(x)
    partials = (np.cos, lambda x: 0.9, lambda x: 1 - np.tanh(x) ** 2, lambda x: 1.0, lambda x: 2 * x,
                lambda x: -np.sin(x), np.exp, lambda x: -1.0 / (1.0 + x) ** 2)
    for k in range(length):
        derivative = derivative * partials[k % len(STEPS)](x)
        x = STEPS[k % len(STEPS)](x)
    return derivative


def peak_arrays(run):
    """The peak memory allocated while ``run()`` executes (its result included), in arrays of N float64."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        result = run()
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    return peak / ARRAY, result


@pytest.fixture(scope="module")
def point():
    rng = np.random.default_rng(0)
    return rng.uniform(-1.0, 1.0, N), rng.normal(size=N)


@pytest.fixture(scope="module")
def peaks(point):
    x, v = point
    return {length: peak_arrays(lambda: ad.jvp(lambda x: chain(x, length), (x,), (v,)))
            for length in (100, 1000)}


def test_jvp_through_1000_elementwise_ops_peaks_below_8_arrays(peaks):
    peak, (out, tangent) = peaks[1000]
    assert peak < 8, f"peak {peak:.2f} arrays"
    assert out.shape == tangent.shape == (N,) and np.all(np.isfinite(tangent))


def test_peak_is_independent_of_the_chain_length(peaks):
    short, long = peaks[100][0], peaks[1000][0]
    assert abs(long - short) < 0.5, f"100 ops: {short:.2f} arrays, 1000 ops: {long:.2f} arrays"


def test_jvp_costs_a_few_arrays_more_than_the_plain_function(point, peaks):
    x, _ = point
    plain, _ = peak_arrays(lambda: chain(x, 1000))
    assert plain < 4 and peaks[1000][0] - plain < 5, f"plain {plain:.2f} arrays, jvp {peaks[1000][0]:.2f}"


def test_the_chain_tangent_is_right(point):
    x, v = point
    x, v = x[:1000], v[:1000]
    _, tangent = ad.jvp(lambda x: chain(x, 100), (x,), (v,))
    np.testing.assert_allclose(tangent, chain_derivative(x, 100) * v, rtol=1e-10, atol=1e-300)
