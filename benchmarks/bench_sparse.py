"""Sparse Jacobians of a tridiagonal f: compressed sweeps against f, detection and coloring, dense for contrast.

    python -m pytest benchmarks/bench_sparse.py --benchmark-enable -q --benchmark-timer time.process_time

f(x)_i = x_(i-1) - 2 x_i sin(x_i) + x_(i+1)^2 (zero beyond the ends): a tridiagonal Jacobian, 3 colors in
either direction. At p = 10^4 and 10^5: f, one JVP, the compressed Jacobian (`sparse_jacfwd`,
`sparse_jacrev`, pattern and coloring prepared beforehand, as they are reused across x), the detection
pass (`jacobian_sparsity`) and the column coloring; and `sparse_hessian` of a scalar f with a tridiagonal
Hessian, as a ratio to that f. At p = 10^3: the dense `jacfwd` (one sweep per column)
and its batched form, for contrast. Issue 18's goal: compressed / f within 2 x colors x (JVP / f). The table
printed at the end gives each median as a ratio to f; numbers, not pass/fail (each benchmark asserts only
that its result is right).
"""

import numpy as np
import pytest
import scipy.sparse as sp
from reporting import print_lines, record_median

import admodes as ad
import admodes.numpy as anp

SIZES = [10**4, 10**5]
DENSE_SIZE = 10**3
MEDIANS = {}  # (p, kind) -> median seconds


def tridiagonal(x):
    zero = np.zeros(1, x.dtype)
    return anp.concatenate([zero, x[:-1]]) - 2.0 * x * anp.sin(x) + anp.concatenate([x[1:] ** 2, zero])


def exact_jacobian(x):
    """The Jacobian by hand, as a sparse matrix."""
    main = -2.0 * (np.sin(x) + x * np.cos(x))
    return sp.diags_array([np.ones(x.size - 1), main, 2.0 * x[1:]], offsets=[-1, 0, 1], format="csr")


def point(p):
    return np.random.default_rng(0).uniform(-1, 1, p)


def record(benchmark, p, kind):
    record_median(benchmark, MEDIANS, (p, kind))


@pytest.fixture(scope="module", autouse=True)
def table(request):
    """Print the medians as ratios to f once every benchmark of this module has run."""
    yield
    if not MEDIANS:
        return
    lines = ["", "Tridiagonal f: medians in ms and as ratios to f; goal: compressed / f <= 2 x colors x (JVP / f)",
             f"  {'p':>8}  {'kind':<28}{'median ms':>12}{'/ f':>10}"]
    for p in SIZES + [DENSE_SIZE]:
        plain = MEDIANS.get((p, "f"))
        for (size, kind), median in MEDIANS.items():
            own = MEDIANS.get((p, "scalar f for the Hessian"), plain) if kind.startswith("sparse_hessian") else plain
            if size == p and own:  # (the Hessian's ratio is to its own scalar f)
                lines.append(f"  {p:>8}  {kind:<28}{median * 1e3:12.3f}{median / own:10.2f}")
        jvp = MEDIANS.get((p, "one JVP"))
        if plain and jvp:
            lines.append(f"  {p:>8}  {'goal: 2 x 3 colors x JVP/f':<28}{'':>12}{6 * jvp / plain:10.2f}")
    print_lines(request, lines)


@pytest.mark.parametrize("p", SIZES + [DENSE_SIZE])
def test_f(benchmark, p):
    x = point(p)
    benchmark.group = f"tridiagonal p={p}"
    out = benchmark(tridiagonal, x)
    record(benchmark, p, "f")
    assert out.shape == (p,)


@pytest.mark.parametrize("p", SIZES)
def test_one_jvp(benchmark, p):
    x = point(p)
    benchmark.group = f"tridiagonal p={p}"
    _, tangent = benchmark(ad.jvp, tridiagonal, (x,), (np.ones(p),))
    record(benchmark, p, "one JVP")
    assert tangent.shape == (p,)


@pytest.mark.parametrize("mode", ["forward", "reverse"])
@pytest.mark.parametrize("p", SIZES)
def test_compressed_jacobian(benchmark, p, mode):
    x = point(p)
    benchmark.group = f"tridiagonal p={p}"
    jac = ad.sparse_jacobian(tridiagonal, mode=mode).prepare(x)  # pattern and coloring: once, outside the timing
    J = benchmark(jac, x)
    record(benchmark, p, f"compressed {mode} ({jac.sweeps} colors)")
    assert J.nnz == 3 * p - 2 and abs(J - exact_jacobian(x)).max() < 1e-12


@pytest.mark.parametrize("p", SIZES)
def test_detection(benchmark, p):
    x = point(p)
    benchmark.group = f"tridiagonal p={p}"
    pattern = benchmark(ad.jacobian_sparsity(tridiagonal), x)
    record(benchmark, p, "detection (jacobian_sparsity)")
    assert pattern.nnz == 3 * p - 2


@pytest.mark.parametrize("p", SIZES)
def test_coloring(benchmark, p):
    pattern = ad.jacobian_sparsity(tridiagonal)(point(p))
    benchmark.group = f"tridiagonal p={p}"
    result = benchmark(ad.coloring, pattern, "column")
    record(benchmark, p, "column coloring")
    assert result.count == 3


def coupled(x):
    """A scalar f with a tridiagonal Hessian (3 colors in a star coloring)."""
    return anp.sum(x[1:] ** 2 * x[:-1]) + anp.sum(anp.sin(x))


@pytest.mark.parametrize("p", SIZES)
def test_hessian_f(benchmark, p):
    benchmark.group = f"tridiagonal p={p}"
    benchmark(coupled, point(p))
    record(benchmark, p, "scalar f for the Hessian")


@pytest.mark.parametrize("p", SIZES)
def test_compressed_hessian(benchmark, p):
    x = point(p)
    benchmark.group = f"tridiagonal p={p}"
    hess = ad.sparse_hessian(coupled).prepare(x)
    H = benchmark(hess, x)
    record(benchmark, p, f"sparse_hessian ({hess.sweeps} colors)")
    assert H.nnz == 3 * p - 2 and abs(H[1, 0] - 2.0 * x[1]) < 1e-12


@pytest.mark.parametrize("batch", [False, True], ids=["per-column", "batched"])
def test_dense_jacfwd(benchmark, batch):
    x = point(DENSE_SIZE)
    benchmark.group = f"tridiagonal p={DENSE_SIZE}"
    J = benchmark.pedantic(ad.jacfwd(tridiagonal, batch=batch), (x,), rounds=3 if not batch else 10, iterations=1)
    record(benchmark, DENSE_SIZE, f"dense jacfwd {'batched' if batch else 'per column'}")
    np.testing.assert_allclose(J, exact_jacobian(x).toarray(), rtol=1e-12, atol=1e-15)
