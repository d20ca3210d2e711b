"""Forward mode's speed: one JVP beside the plain function, on the shared workloads.

    python -m pytest benchmarks/bench_forward.py --benchmark-enable -q

Each pair (the plain function, then one JVP of it) is a benchmark group; the ratio of the medians,
``jvp / plain``, is printed at the end and stored in each JVP benchmark's ``extra_info`` (see
``--benchmark-json``). Textbook expectation: a JVP costs about 1-3 evaluations of the function. These are
numbers, not pass/fail: each benchmark asserts only that its result is right.

Beside the Rosenbrock JVP runs a forward sweep written by hand in NumPy with the fewest array passes:
the floor for any forward mode that evaluates op by op. On a shared or loaded machine, wall time is
noisy (page faults, BLAS threads competing for cores); CPU time is steadier:

    OPENBLAS_NUM_THREADS=1 python -m pytest benchmarks/bench_forward.py --benchmark-enable -q \
        --benchmark-timer time.process_time
"""

import numpy as np
import pytest
from reporting import print_lines, record_median

import admodes as ad
from benchmarks.workloads import mlp_loss, mlp_problem, rosenbrock, rosenbrock_point

N_ROSENBROCK = 10**5
MEDIANS = {}  # (group, kind) -> median seconds


def rosenbrock_gradient(x):
    """The closed-form gradient of `rosenbrock`, to check the JVP once."""
    head, tail = x[:-1], x[1:]
    g = np.zeros_like(x)
    g[:-1] = -400.0 * head * (tail - head**2) - 2.0 * (1.0 - head)
    g[1:] += 200.0 * (tail - head**2)
    return g


@pytest.fixture(scope="module", autouse=True)
def ratios(request):
    """Print the medians and the jvp / plain ratios once every benchmark of this module has run."""
    yield
    if not MEDIANS:
        return
    lines = ["", "forward mode: median of one JVP beside the plain function"]
    for group in sorted({g for g, _ in MEDIANS}):
        plain = MEDIANS.get((group, "plain"))
        for kind in ("jvp", "jvp by hand"):
            jvp = MEDIANS.get((group, kind))
            if plain and jvp:
                lines.append(f"  {group:<32} plain {plain * 1e3:8.3f} ms   {kind:<11} {jvp * 1e3:8.3f} ms   "
                             f"ratio {jvp / plain:5.2f}")
    print_lines(request, lines)


def record(benchmark, group, kind):
    median = record_median(benchmark, MEDIANS, (group, kind))
    plain = MEDIANS.get((group, "plain"))
    if median is not None and kind != "plain" and plain:
        benchmark.extra_info["ratio_to_plain"] = median / plain


# ---- Rosenbrock, n = 10^5 ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def rosenbrock_point_and_direction():
    x = rosenbrock_point(N_ROSENBROCK)
    return x, np.random.default_rng(1).normal(size=x.shape)


@pytest.mark.benchmark(group="rosenbrock n=1e5")
def test_rosenbrock_plain(benchmark, rosenbrock_point_and_direction):
    x, _ = rosenbrock_point_and_direction
    value = benchmark(rosenbrock, x)
    record(benchmark, "rosenbrock n=1e5", "plain")
    head, tail = x[:-1], x[1:]
    np.testing.assert_allclose(value, np.sum(100 * (tail - head**2) ** 2 + (1 - head) ** 2), rtol=1e-12)


@pytest.mark.benchmark(group="rosenbrock n=1e5")
def test_rosenbrock_jvp(benchmark, rosenbrock_point_and_direction):
    x, v = rosenbrock_point_and_direction
    value, tangent = benchmark(ad.jvp, rosenbrock, (x,), (v,))
    record(benchmark, "rosenbrock n=1e5", "jvp")
    np.testing.assert_allclose(value, rosenbrock(x), rtol=1e-12)
    np.testing.assert_allclose(tangent, rosenbrock_gradient(x) @ v, rtol=1e-10)


def rosenbrock_jvp_by_hand(x, v):
    """The JVP of `rosenbrock` written out in NumPy with few array passes: 17, against 8 for f and 21 in
    admodes (the op library's rules: ``x * x`` takes t*x + x*t, ``a - b`` takes -t then an add)."""
    head, tail, dhead, dtail = x[:-1], x[1:], v[:-1], v[1:]
    r, s = tail - head * head, 1.0 - head
    dr = dtail - 2.0 * head * dhead
    return np.sum(100.0 * r * r + s * s), np.sum(200.0 * r * dr - 2.0 * s * dhead)


@pytest.mark.benchmark(group="rosenbrock n=1e5")
def test_rosenbrock_jvp_by_hand(benchmark, rosenbrock_point_and_direction):
    x, v = rosenbrock_point_and_direction
    value, tangent = benchmark(rosenbrock_jvp_by_hand, x, v)
    record(benchmark, "rosenbrock n=1e5", "jvp by hand")
    np.testing.assert_allclose(value, rosenbrock(x), rtol=1e-12)
    np.testing.assert_allclose(tangent, rosenbrock_gradient(x) @ v, rtol=1e-10)


# ---- the 2-layer MLP loss: a JVP along a random direction of all four parameters --------------------

@pytest.fixture(scope="module")
def mlp():
    problem = mlp_problem()
    rng = np.random.default_rng(2)
    directions = tuple(rng.normal(size=p.shape) for p in problem.params)
    return problem, directions


@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
def test_mlp_plain(benchmark, mlp, loss):
    problem, _ = mlp
    benchmark.group = f"mlp 64x784-256-10 {loss}"
    value = benchmark(mlp_loss, *problem.params, problem.X, problem.Y, loss=loss)
    record(benchmark, benchmark.group, "plain")
    assert np.isfinite(value) and value > 0


@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
def test_mlp_jvp(benchmark, mlp, loss):
    problem, directions = mlp
    benchmark.group = f"mlp 64x784-256-10 {loss}"

    def f(*params):
        return mlp_loss(*params, problem.X, problem.Y, loss=loss)

    value, tangent = benchmark(ad.jvp, f, problem.params, directions)
    record(benchmark, benchmark.group, "jvp")
    gradients = ad.grad(f, argnums=(0, 1, 2, 3))(*problem.params)  # reverse mode: J v = <grad, v>
    np.testing.assert_allclose(value, f(*problem.params), rtol=1e-12)
    np.testing.assert_allclose(tangent, sum(np.sum(g * v) for g, v in zip(gradients, directions)), rtol=1e-9)
