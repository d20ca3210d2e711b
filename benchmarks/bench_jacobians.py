"""Jacobians of tanh(A @ x), one sweep per direction against all directions in one batched sweep.

    python -m pytest benchmarks/bench_jacobians.py --benchmark-enable -q

For (inputs, outputs) = (10, 1000), (100, 100), (1000, 10): the plain function, then `jacfwd` (one forward
sweep per input direction) and `jacrev` (one backward sweep per output element), each per direction and
batched (`admodes.batching`: every direction through one sweep). Issue 8's target for the batched ones:
within 1.5x of (time of f) x (directions) / (batch size). With the batch holding every direction that is
1.5 f for the whole Jacobian, so the table prints, for each batched Jacobian, its median over f x
directions / batch and over f x directions (what a loop of plain evaluations would cost). Numbers, not
pass/fail: each benchmark asserts only that its Jacobian is right.

On a loaded machine, CPU time is steadier than wall time:

    OPENBLAS_NUM_THREADS=1 python -m pytest benchmarks/bench_jacobians.py --benchmark-enable -q \
        --benchmark-timer time.process_time
"""

import numpy as np
import pytest
from reporting import print_lines, record_median

import admodes as ad
import admodes.numpy as anp

SHAPES = [(10, 1000), (100, 100), (1000, 10)]  # (inputs, outputs)
MEDIANS = {}  # (shape, kind) -> median seconds


def problem(inputs, outputs, seed=0):
    """A reproducible (A, x) for f(x) = tanh(A @ x), and its exact Jacobian diag(1 - f^2) A."""
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((outputs, inputs)) / np.sqrt(inputs)
    x = rng.standard_normal(inputs)
    return a, x, (1.0 - np.tanh(a @ x) ** 2)[:, None] * a


def tanh_affine(a):
    return lambda x: anp.tanh(a @ x)


JACOBIANS = {
    "jacfwd per direction": lambda f: ad.jacfwd(f, batch=False),
    "jacfwd batched": lambda f: ad.jacfwd(f),  # the default
    "jacrev per direction": lambda f: ad.jacrev(f, batch=False),
    "jacrev batched": lambda f: ad.jacrev(f),
}


def record(benchmark, shape, kind):
    record_median(benchmark, MEDIANS, (shape, kind))


@pytest.fixture(scope="module", autouse=True)
def table(request):
    """Print the medians and the batched ratios once every benchmark of this module has run."""
    yield
    if not MEDIANS:
        return
    lines = ["", "Jacobians of tanh(A @ x): medians in ms; 'target' = f x directions / batch (batch = all)",
             f"  {'(in, out)':<12}{'kind':<22}{'median':>10}{'directions':>12}{'/ target':>10}{'/ f x dirs':>12}"]
    for shape in SHAPES:
        plain = MEDIANS.get((shape, "plain"))
        if plain:
            lines.append(f"  {str(shape):<12}{'plain f':<22}{plain * 1e3:10.3f}")
        for kind in JACOBIANS:
            median = MEDIANS.get((shape, kind))
            if median is None or not plain:
                continue
            directions = shape[0] if kind.startswith("jacfwd") else shape[1]
            batch = directions if kind.endswith("batched") else 1
            lines.append(f"  {str(shape):<12}{kind:<22}{median * 1e3:10.3f}{directions:12d}"
                         f"{median / (plain * directions / batch):10.2f}{median / (plain * directions):12.3f}")
    print_lines(request, lines)


@pytest.mark.parametrize("shape", SHAPES, ids=[f"in{i}-out{o}" for i, o in SHAPES])
def test_plain(benchmark, shape):
    a, x, _ = problem(*shape)
    benchmark.group = f"tanh(A @ x) in={shape[0]} out={shape[1]}"
    value = benchmark(tanh_affine(a), x)
    record(benchmark, shape, "plain")
    np.testing.assert_allclose(value, np.tanh(a @ x), rtol=1e-12)


@pytest.mark.parametrize("kind", list(JACOBIANS))
@pytest.mark.parametrize("shape", SHAPES, ids=[f"in{i}-out{o}" for i, o in SHAPES])
def test_jacobian(benchmark, shape, kind):
    a, x, expected = problem(*shape)
    benchmark.group = f"tanh(A @ x) in={shape[0]} out={shape[1]}"
    jac = benchmark(JACOBIANS[kind](tanh_affine(a)), x)
    record(benchmark, shape, kind)
    np.testing.assert_allclose(jac, expected, rtol=1e-10, atol=1e-12)
