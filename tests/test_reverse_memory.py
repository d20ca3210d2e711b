"""What the tape keeps: only what the backward sweep reads (tracemalloc counts NumPy's buffers exactly)."""

import tracemalloc

import numpy as np

import admodes as ad
import admodes.numpy as anp

N = 10**5


def peak_bytes(fn):
    tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        kept = fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del kept
    return peak


def sin_mul_add_chain(steps):
    x = ad.tensor(np.linspace(-1.0, 1.0, N), requires_grad=True)

    def run():
        y = x
        for _ in range(steps):
            y = anp.sin(y) * 1.0001 + 0.1
        return y

    return run


def test_the_chain_keeps_eight_bytes_per_step_per_element():
    # Per step, sin's rule reads its input (8 bytes an element); mul by a constant reads the constant;
    # add reads nothing. So the tape holds one array a step: the floor, as in PyTorch and JAX.
    short, long = peak_bytes(sin_mul_add_chain(20)), peak_bytes(sin_mul_add_chain(120))
    per_step_per_element = (long - short) / 100 / N
    assert 7.9 < per_step_per_element < 8.6, per_step_per_element


def test_an_op_whose_rule_reads_only_a_shape_keeps_no_array():
    x = ad.tensor(np.ones(N), requires_grad=True)

    def reshapes():
        y = x * 2.0                   # keeps the constant only
        for _ in range(50):
            y = anp.reshape(y, (N,)) + 1.0
        return y

    assert peak_bytes(reshapes) < 4 * 8 * N  # a few live arrays, not fifty


def test_concatenate_keeps_only_the_shapes_of_its_inputs():
    x = ad.tensor(np.ones(N), requires_grad=True)

    def joins():
        y = x * 1.0
        for _ in range(20):
            y = anp.concatenate([y * 1.0, y * 1.0])[:N]  # each product is dropped after the join
        return y

    assert peak_bytes(joins) < 8 * 8 * N
