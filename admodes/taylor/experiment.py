"""Experiment C10: the k-th directional derivative of a chain of L elementwise and bilinear ops, for
k = 1..8, by k nested jvps (forward over forward), by k nested grads (reverse over reverse) and by one
Taylor-mode sweep: primitive calls, elements processed, time and peak memory against k, with the fitted
growth (nested forward about 2^k, Taylor mode about k^2 in its products).

    >>> rows = measure_c10(orders=(1, 2), length=2, size=8, repeats=1, methods=("nested_jvp", "taylor"))
    >>> [(r["method"], r["k"], r["calls"]) for r in rows][:2]
    [('nested_jvp', 1, 8), ('nested_jvp', 2, 22)]
    >>> rows[0]["value"] == rows[2]["value"]   # the same first derivative by both
    True
"""

from __future__ import annotations

import time
import tracemalloc

import numpy as np

from ..ops.core import count_ops
from .engine import taylor

__all__ = ["chain", "measure_c10", "fit_growth", "METHODS"]


def chain(length):
    """f(x) = sum(h_L), h_0 = x, h_i = sin(h_{i-1}) * x: L elementwise ops and L bilinear (multiply) ones.

    >>> float(chain(1)(np.array([0.5, 1.0])))  == float(np.sum(np.sin([0.5, 1.0]) * [0.5, 1.0]))
    True
    """
    from .. import numpy as anp

    def f(x):
        h = x
        for _ in range(length):
            h = anp.multiply(anp.sin(h), x)
        return anp.sum(h)
    return f


def _nested_jvp(f, x, v, k):
    from ..transforms import jvp
    derivative = f
    for _ in range(k):
        derivative = (lambda g: lambda y: jvp(g, (y,), (v,))[1])(derivative)
    return derivative(x)


def _nested_grad(f, x, v, k):
    """D^k f[v, ..., v] = grad(D^(k-1) f[v, ..., v]) . v, k reverse sweeps nested (reverse over reverse)."""
    from .. import numpy as anp
    from ..transforms import grad
    derivative = f
    for _ in range(k - 1):
        derivative = (lambda g: lambda y: anp.sum(anp.multiply(grad(g)(y), v)))(derivative)
    return float(np.sum(np.asarray(grad(derivative)(x)) * v))


def _taylor(f, x, v, k):
    return taylor(f, order=k)(x, v)[k - 1]


METHODS = {"nested_jvp": _nested_jvp, "nested_grad": _nested_grad, "taylor": _taylor}
"""The k-th directional derivative of f at x along v, by each method."""


def measure_c10(orders=range(1, 9), length=8, size=1000, repeats=5, methods=tuple(METHODS), max_seconds=20.0, seed=0):
    """One row per method and order k: primitive calls and elements (`admodes.count_ops`), the median time
    (s) of ``repeats`` runs, the peak memory traced by tracemalloc (bytes) and the value. A method whose one
    run takes over ``max_seconds`` is not run at higher orders (its growth is already clear)."""
    rng = np.random.default_rng(seed)
    x, v = rng.uniform(-1.0, 1.0, size), rng.standard_normal(size)
    f = chain(length)
    rows = []
    for method in methods:
        run = METHODS[method]
        for k in orders:
            with count_ops() as counts:
                value = float(run(f, x, v, k))
            times = []
            for _ in range(repeats):
                start = time.perf_counter()
                run(f, x, v, k)
                times.append(time.perf_counter() - start)
            tracemalloc.start()
            run(f, x, v, k)
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            rows.append({"method": method, "k": k, "calls": counts.total_calls, "elements": counts.total_elements,
                         "seconds": float(np.median(times)), "peak_bytes": peak, "value": value})
            if times and min(times) > max_seconds:
                break
    return rows


def fit_growth(rows, method, metric="calls"):
    """The growth of ``metric`` with k for one method: ``(base, exponent)``, the base b of a fit c b^k
    (log-linear) and the exponent p of a fit c k^p (log-log), each by least squares over the orders measured.

    >>> rows = [{"method": "m", "k": k, "calls": 3 * 2 ** k} for k in range(1, 6)]
    >>> [round(g, 6) for g in fit_growth(rows, "m")]
    [2.0, 1.678506]
    """
    ks = np.array([r["k"] for r in rows if r["method"] == method], float)
    ys = np.log(np.array([r[metric] for r in rows if r["method"] == method], float))
    base = float(np.exp(np.polyfit(ks, ys, 1)[0]))
    exponent = float(np.polyfit(np.log(ks), ys, 1)[0])
    return base, exponent
