"""Reverse mode: gradient cost beside the plain function, per-primitive overhead, and tape memory.

    python -m pytest benchmarks/bench_reverse.py --benchmark-enable -q

Each workload is benchmarked twice in one run, the plain function and its gradient, so their medians
give the ratio grad / f that issue 4 asks for (``--benchmark-group-by=group`` puts them side by side).
"""

import numpy as np
import pytest
from workloads import mlp_loss, mlp_problem, rosenbrock, rosenbrock_point, tape_bytes_per_step_per_element

import admodes as ad
import admodes.numpy as anp

X_ROSENBROCK = rosenbrock_point(10**6)
MLP = mlp_problem()


@pytest.mark.benchmark(group="rosenbrock n=1e6")
def test_rosenbrock_f(benchmark):
    benchmark(rosenbrock, X_ROSENBROCK)


@pytest.mark.benchmark(group="rosenbrock n=1e6")
def test_rosenbrock_grad_reverse(benchmark):
    g = benchmark(ad.grad(rosenbrock), X_ROSENBROCK)
    assert g.shape == X_ROSENBROCK.shape


@pytest.mark.benchmark(group="mlp 64x784x256x10")
def test_mlp_f(benchmark):
    benchmark(mlp_loss, *MLP)


@pytest.mark.benchmark(group="mlp 64x784x256x10")
def test_mlp_grad_reverse(benchmark):
    grads = benchmark(ad.grad(mlp_loss, argnums=(0, 1, 2, 3)), *MLP)
    assert grads[0].shape == MLP.W1.shape


def scalar_chain(steps):
    """y = sin(y) * 1.0001 + 0.1, ``steps`` times (3 primitives a step), then backward."""
    x = ad.tensor(0.5, requires_grad=True)
    y = x
    for _ in range(steps):
        y = anp.sin(y) * 1.0001 + 0.1
    y.backward()
    return x.grad


@pytest.mark.benchmark(group="scalar chain 1e4 ops")
def test_scalar_chain_forward_and_backward(benchmark):
    steps = 10**4 // 3
    benchmark.extra_info["primitives"] = 3 * steps
    benchmark(scalar_chain, steps)


@pytest.mark.benchmark(group="chain of 1e6 ops")
def test_a_million_op_chain_forward_and_backward(benchmark):
    """Issue 4: a chain of 10^6 primitives backpropagates (iteratively) in time linear in its length."""
    def chain():
        x = ad.tensor(0.5, requires_grad=True)
        y = x
        for _ in range(10**6):
            y = y * 1.0000001
        y.backward()
        return x.grad
    g = benchmark.pedantic(chain, rounds=1, iterations=1)
    np.testing.assert_allclose(g.data, 1.0000001 ** 10**6, rtol=1e-8)


def test_tape_memory(benchmark):
    per_step = benchmark.pedantic(tape_bytes_per_step_per_element, args=(lambda x: ad.tensor(x, requires_grad=True),),
                                  rounds=1, iterations=1)
    benchmark.extra_info["bytes per step per element"] = round(per_step, 3)
