"""Issue 8's table in one run: every workload for admodes, and for the peers that are installed.

    python benchmarks/table.py                  # admodes, plus HIPS autograd / micrograd / PyTorch if installed
    python benchmarks/table.py --no-peers       # admodes only
    python benchmarks/table.py --wall           # wall-clock time instead of CPU time
    python benchmarks/table.py --quick          # fewer rounds (a smoke test, noisier)
    python benchmarks/table.py --before REV     # and admodes as it was at git revision REV, in the same run

Every ratio is a ratio of medians measured in this run. The two sides of a ratio (f and its gradient,
say) are timed in interleaved rounds, so a change of machine load during the run hits both alike.
BLAS and OpenMP are held to one thread (set before NumPy loads) and the default timer is the process's
CPU time, which a loaded machine disturbs less than wall time. The peers are never project
dependencies; install them into the virtualenv to get their columns (``pip install autograd micrograd``;
PyTorch from its CPU wheel). Columns: workload, then one per library; a "-" is a workload that a library
does not have (micrograd is scalar-only) or that this script does not measure for it. The Jacobian rows
(milliseconds) time every library's default ``jacfwd``/``jacrev`` (admodes; ``torch.func``; JAX eager, no
jit) in the same interleaved rounds, so their columns compare directly.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import gc  # noqa: E402
import math  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import workloads  # noqa: E402
from workloads import mlp_problem, rosenbrock_point, tape_bytes_per_step_per_element  # noqa: E402

import admodes as ad  # noqa: E402
import admodes.numpy as anp  # noqa: E402

CHAIN_STEPS = 1000  # 3 primitives a step
# glibc's malloc returns large freed blocks to the system, so every fresh large array page-faults; these
# settings make it keep them. They change the machine's allocator for every library alike (f included).
KEEP_FREED_MEMORY = {"MALLOC_TOP_PAD_": str(256 << 20), "MALLOC_TRIM_THRESHOLD_": str(2 << 30),
                     "MALLOC_MMAP_THRESHOLD_": str(512 << 20)}
TIMER = time.process_time
QUICK = False


# ----------------------------------------------------------------------------------------------------
# Timing: interleaved rounds, medians
# ----------------------------------------------------------------------------------------------------

def medians(calls, budget=3.0, min_rounds=7, max_rounds=200):
    """Median seconds per call of each callable in ``calls`` (a dict), timed in interleaved rounds.

    Each round calls every callable ``number`` times (calibrated so a round of the fastest takes ~20 ms),
    one after the other; rounds repeat until ``budget`` seconds have passed (at least ``min_rounds``).
    """
    if QUICK:
        budget, min_rounds = budget / 4, 3
    numbers = {}
    for name, fn in calls.items():
        fn()  # warm up (caches, first-call work)
        start = TIMER()
        fn()
        once = max(TIMER() - start, 1e-7)
        numbers[name] = max(1, int(0.02 / once))
    times = {name: [] for name in calls}
    started = time.perf_counter()
    rounds = 0
    while rounds < min_rounds or (time.perf_counter() - started < budget and rounds < max_rounds):
        for name, fn in calls.items():
            n = numbers[name]
            gc.collect()
            start = TIMER()
            for _ in range(n):
                fn()
            times[name].append((TIMER() - start) / n)
        rounds += 1
    return {name: statistics.median(ts) for name, ts in times.items()}


# ----------------------------------------------------------------------------------------------------
# The workloads, one function per library: each returns {row: value} for the rows it measures
# ----------------------------------------------------------------------------------------------------

ROWS = {
    "rosen_grad": "Rosenbrock, n = 10^6: reverse grad time / f time",
    "mlp_grad": "2-layer MLP loss (64x784, 784x256, 256x10): grad / f",
    "chain": "scalar chain y = sin(y)*1.0001 + 0.1: microseconds per primitive, forward + backward",
    "rosen_jvp": "one JVP / f, Rosenbrock n = 10^5",
    "mlp_jvp": "one JVP / f, MLP",
    "tape": "tape memory, chain of sin/mul/add on 10^5 floats: bytes per step per element",
    "jacfwd_1000x10": "jacfwd of tanh(A x), 1000 inputs, 10 outputs: ms",
    "jacrev_10x1000": "jacrev of tanh(A x), 10 inputs, 1000 outputs: ms",
    "jacfwd_100x100": "jacfwd of tanh(A x), 100 inputs, 100 outputs: ms",
    "jacrev_100x100": "jacrev of tanh(A x), 100 inputs, 100 outputs: ms",
}
TARGETS = {"rosen_grad": "<= 3.0", "mlp_grad": "<= 2.2", "chain": "<= 5", "rosen_jvp": "<= 2.0",
           "mlp_jvp": "<= 2.0", "tape": "8 (floor)", **{row: "<= PyTorch" for row in ROWS if row.startswith("jac")}}
JACOBIAN_ROWS = {row: (row[:6], *map(int, row[7:].split("x"))) for row in ROWS if row.startswith("jac")}
"""Each Jacobian row's (transform, inputs, outputs)."""
DETAIL = []  # lines of medians behind the ratios


def _ratio(row, lib, m, top, bottom):
    DETAIL.append(f"{lib:<10} {row:<11} {top}: {m[top] * 1e3:9.3f} ms   {bottom}: {m[bottom] * 1e3:9.3f} ms   "
                  f"ratio {m[top] / m[bottom]:.2f}")
    return m[top] / m[bottom]


def rosenbrock_jvp_by_hand(x, v):
    """Rosenbrock's value and JVP written out in NumPy with the fewest array passes (17, against f's 8)."""
    head, tail, dhead, dtail = x[:-1], x[1:], v[:-1], v[1:]
    r, s = tail - head * head, 1.0 - head
    dr = dtail - 2.0 * head * dhead
    return np.sum(100.0 * r * r + s * s), np.sum(200.0 * r * dr - 2.0 * s * dhead)


def admodes_rows(ad=ad, anp=anp, wl=workloads, label="admodes"):
    """The rows for one admodes: this checkout's, or (``--before``) an older one loaded beside it, whose
    workloads (``wl``, a copy of workloads.py) call its own ``anp``."""
    out = {}
    x = wl.rosenbrock_point(10**6)
    grad = ad.grad(wl.rosenbrock)
    out["rosen_grad"] = _ratio("rosen_grad", label, medians({"f": lambda: wl.rosenbrock(x),
                                                               "grad": lambda: grad(x)}), "grad", "f")
    p = wl.mlp_problem()
    mgrad = ad.grad(wl.mlp_loss, argnums=(0, 1, 2, 3))
    out["mlp_grad"] = _ratio("mlp_grad", label, medians({"f": lambda: wl.mlp_loss(*p),
                                                           "grad": lambda: mgrad(*p)}), "grad", "f")

    def chain():
        x = ad.tensor(0.5, requires_grad=True)
        y = x
        for _ in range(CHAIN_STEPS):
            y = anp.sin(y) * 1.0001 + 0.1
        y.backward()
        return x.grad
    m = medians({"chain": chain}, budget=2.0)
    out["chain"] = m["chain"] / (3 * CHAIN_STEPS) * 1e6
    DETAIL.append(f"{label:<10} {'chain':<11} {CHAIN_STEPS} steps: {m['chain'] * 1e3:.3f} ms")

    x5 = wl.rosenbrock_point(10**5)
    v5 = np.random.default_rng(1).normal(size=x5.shape)
    m = medians({"f": lambda: wl.rosenbrock(x5), "jvp": lambda: ad.jvp(wl.rosenbrock, (x5,), (v5,)),
                 "by hand": lambda: rosenbrock_jvp_by_hand(x5, v5)})
    out["rosen_jvp"] = _ratio("rosen_jvp", label, m, "jvp", "f")
    _ratio("rosen_jvp", "NumPy", m, "by hand", "f")  # the floor of any op-by-op forward mode
    rng = np.random.default_rng(2)
    dirs = tuple(rng.normal(size=q.shape) for q in p.params)
    f = lambda *params: wl.mlp_loss(*params, p.X, p.Y)  # noqa: E731
    out["mlp_jvp"] = _ratio("mlp_jvp", label, medians({"f": lambda: f(*p.params),
                                                         "jvp": lambda: ad.jvp(f, p.params, dirs)}), "jvp", "f")

    out["tape"] = wl.tape_bytes_per_step_per_element(lambda x: ad.tensor(x, requires_grad=True), sin=anp.sin)
    return out


def load_before(rev, name="admodes_before"):
    """admodes as it was at git revision ``rev``, imported beside this checkout's as package ``name`` (its
    code refers to itself by relative imports only), with a copy of workloads.py that calls it."""
    import atexit
    import importlib
    import importlib.util
    import shutil
    import subprocess
    import tarfile
    import tempfile

    repo = Path(__file__).resolve().parents[1]
    where = Path(tempfile.mkdtemp(prefix="admodes_before_"))
    atexit.register(shutil.rmtree, where, ignore_errors=True)
    archive = subprocess.run(["git", "-C", str(repo), "archive", "--format=tar", rev, "admodes"],
                             check=True, capture_output=True).stdout
    with tarfile.open(fileobj=__import__("io").BytesIO(archive)) as tar:
        tar.extractall(where, filter="data")
    (where / "admodes").rename(where / name)
    sys.path.insert(0, str(where))
    old_ad = importlib.import_module(name)
    old_anp = importlib.import_module(f"{name}.numpy")
    spec = importlib.util.spec_from_file_location(f"workloads_{name}", Path(__file__).with_name("workloads.py"))
    wl = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(wl)
    wl.anp = old_anp  # the workloads look anp up when called
    return old_ad, old_anp, wl


def jacobian_rows():
    """Batched jacfwd/jacrev of tanh(A @ x): median / (f x directions / batch), the batch holding every direction."""
    lines = []
    for inputs, outputs in [(10, 1000), (100, 100), (1000, 10)]:
        a, x = tanh_affine_problem(inputs, outputs)
        f = lambda x, a=a: anp.tanh(a @ x)  # noqa: E731
        jf, jr = ad.jacfwd(f), ad.jacrev(f)  # batched: the default
        pf, pr = ad.jacfwd(f, batch=False), ad.jacrev(f, batch=False)
        calls = {"f": lambda: f(x), "jacfwd batched": lambda: jf(x), "jacrev batched": lambda: jr(x)}
        if not QUICK:
            calls.update({"jacfwd per direction": lambda: pf(x), "jacrev per direction": lambda: pr(x)})
        m = medians(calls, budget=2.0, min_rounds=5)
        for kind in calls:
            if kind == "f":
                continue
            dirs = inputs if kind.startswith("jacfwd") else outputs
            batch = dirs if kind.endswith("batched") else 1
            lines.append(f"| ({inputs}, {outputs}) | {kind} | {m[kind] * 1e3:.3f} | {m['f'] * 1e6:.1f} | {dirs} | "
                         f"{m[kind] / (m['f'] * dirs / batch):.2f} | {m[kind] / (m['f'] * dirs):.3f} |")
    return lines


def tanh_affine_problem(inputs, outputs):
    """(A, x) of the Jacobian rows: f(x) = tanh(A @ x), A of shape (outputs, inputs)."""
    rng = np.random.default_rng(0)
    return rng.standard_normal((outputs, inputs)) / np.sqrt(inputs), rng.standard_normal(inputs)


def admodes_jacobian(ad=ad, anp=anp):
    """The maker of one admodes's Jacobian calls (its default jacfwd/jacrev: batched now, per direction before)."""
    def make(kind, a, x):
        jac = getattr(ad, kind)(lambda x: anp.tanh(a @ x))
        return lambda: jac(x)
    return make


def torch_jacobian():
    import torch
    import torch.func

    torch.set_num_threads(1)

    def make(kind, a, x):
        ta, tx = torch.from_numpy(a), torch.from_numpy(x)
        jac = getattr(torch.func, kind)(lambda x: torch.tanh(ta @ x))
        return lambda: jac(tx)
    return make


def jax_jacobian():
    jax, jnp = _jax()

    def make(kind, a, x):
        ja, jx = jnp.asarray(a), jnp.asarray(x)
        jac = getattr(jax, kind)(lambda x: jnp.tanh(ja @ x))  # eager: no jit
        return lambda: jac(jx).block_until_ready()
    return make


def jacobian_columns(makers):
    """{row: {library: median seconds}}: each Jacobian row timed for every library in interleaved rounds."""
    out = {}
    for row, (kind, inputs, outputs) in JACOBIAN_ROWS.items():
        a, x = tanh_affine_problem(inputs, outputs)
        m = medians({label: make(kind, a, x) for label, make in makers.items()}, budget=2.0, min_rounds=5)
        out[row] = m
        DETAIL.append(f"{'Jacobians':<10} {row:<15} " + "   ".join(f"{k}: {v * 1e3:.3f} ms" for k, v in m.items()))
    return out


def autograd_rows():
    import autograd
    import autograd.numpy as agnp
    from autograd.scipy.special import logsumexp

    out = {}

    def rosen(x):
        head, tail = x[:-1], x[1:]
        return agnp.sum(100.0 * (tail - head * head) ** 2 + (1.0 - head) ** 2)
    x = rosenbrock_point(10**6)
    g = autograd.grad(rosen)
    out["rosen_grad"] = _ratio("rosen_grad", "autograd", medians({"f": lambda: rosen(x), "grad": lambda: g(x)}),
                               "grad", "f")

    p = mlp_problem()

    def loss(params):
        W1, b1, W2, b2 = params
        hidden = agnp.tanh(agnp.dot(p.X, W1) + b1)
        o = agnp.dot(hidden, W2) + b2
        return -agnp.mean(agnp.sum(p.Y * (o - logsumexp(o, axis=1, keepdims=True)), axis=1))
    mg = autograd.grad(loss)
    params = tuple(p.params)
    out["mlp_grad"] = _ratio("mlp_grad", "autograd", medians({"f": lambda: loss(params), "grad": lambda: mg(params)}),
                             "grad", "f")

    def chain():
        def f(y):
            for _ in range(CHAIN_STEPS):
                y = agnp.sin(y) * 1.0001 + 0.1
            return y
        return autograd.grad(f)(0.5)
    m = medians({"chain": chain}, budget=2.0)
    out["chain"] = m["chain"] / (3 * CHAIN_STEPS) * 1e6

    x5 = rosenbrock_point(10**5)
    v5 = np.random.default_rng(1).normal(size=x5.shape)
    out["rosen_jvp"] = _ratio("rosen_jvp", "autograd", medians({"f": lambda: rosen(x5),
                                                                "jvp": lambda: autograd.make_jvp(rosen)(x5)(v5)}),
                              "jvp", "f")
    rng = np.random.default_rng(2)
    dirs = tuple(rng.normal(size=q.shape) for q in p.params)
    out["mlp_jvp"] = _ratio("mlp_jvp", "autograd", medians({"f": lambda: loss(params),
                                                            "jvp": lambda: autograd.make_jvp(loss)(params)(dirs)}),
                            "jvp", "f")

    from autograd.core import VJPNode
    from autograd.tracer import new_box, trace_stack
    with trace_stack.new_trace() as trace:  # autograd records only inside a trace
        out["tape"] = tape_bytes_per_step_per_element(lambda x: new_box(x, trace, VJPNode.new_root()), sin=agnp.sin)
    return out


def micrograd_rows():
    import micrograd.engine as mg

    def sin(v):
        out = mg.Value(math.sin(v.data), (v,), "sin")

        def _backward():
            v.grad += math.cos(v.data) * out.grad
        out._backward = _backward
        return out

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 20 * CHAIN_STEPS))  # micrograd's topological sort recurses

    def chain():
        x = mg.Value(0.5)
        y = x
        for _ in range(CHAIN_STEPS):
            y = sin(y) * 1.0001 + 0.1
        y.backward()
        return x.grad
    m = medians({"chain": chain}, budget=2.0)
    return {"chain": m["chain"] / (3 * CHAIN_STEPS) * 1e6}


def torch_mlp_calls():
    """PyTorch's MLP loss, its gradient with respect to the four parameters and one JVP: calls to time."""
    import torch
    import torch.func

    p = mlp_problem()
    X, Y = torch.from_numpy(p.X), torch.from_numpy(p.Y)
    params = [torch.from_numpy(q) for q in p.params]

    def loss(W1, b1, W2, b2):
        hidden = torch.tanh(X @ W1 + b1)
        o = hidden @ W2 + b2
        return -torch.mean(torch.sum(Y * (o - torch.logsumexp(o, dim=1, keepdim=True)), dim=1))

    def mf():
        with torch.no_grad():
            return loss(*params)

    def mgrad():
        ps = [q.detach().requires_grad_(True) for q in params]
        return torch.autograd.grad(loss(*ps), ps)
    rng = np.random.default_rng(2)
    dirs = tuple(torch.from_numpy(rng.normal(size=q.shape)) for q in p.params)
    mjvp = lambda: torch.func.jvp(loss, tuple(params), dirs)  # noqa: E731
    return {"f": mf, "grad": mgrad, "jvp": mjvp}


def torch_rows():
    import torch
    import torch.func

    torch.set_num_threads(1)
    out = {}

    def rosen(x):
        head, tail = x[:-1], x[1:]
        return torch.sum(100.0 * (tail - head * head) ** 2 + (1.0 - head) ** 2)
    x = torch.from_numpy(rosenbrock_point(10**6))

    def f():
        with torch.no_grad():
            return rosen(x)

    def g():
        xr = x.detach().requires_grad_(True)
        rosen(xr).backward()
        return xr.grad
    out["rosen_grad"] = _ratio("rosen_grad", "torch", medians({"f": f, "grad": g}), "grad", "f")

    mlp = torch_mlp_calls()
    out["mlp_grad"] = _ratio("mlp_grad", "torch", medians({"f": mlp["f"], "grad": mlp["grad"]}), "grad", "f")

    def chain():
        x = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
        y = x
        for _ in range(CHAIN_STEPS):
            y = torch.sin(y) * 1.0001 + 0.1
        y.backward()
        return x.grad
    m = medians({"chain": chain}, budget=2.0)
    out["chain"] = m["chain"] / (3 * CHAIN_STEPS) * 1e6

    x5 = torch.from_numpy(rosenbrock_point(10**5))
    v5 = torch.from_numpy(np.random.default_rng(1).normal(size=10**5))

    def f5():
        with torch.no_grad():
            return rosen(x5)
    jvp5 = lambda: torch.func.jvp(rosen, (x5,), (v5,))  # noqa: E731
    out["rosen_jvp"] = _ratio("rosen_jvp", "torch", medians({"f": f5, "jvp": jvp5}), "jvp", "f")
    out["mlp_jvp"] = _ratio("mlp_jvp", "torch", medians({"f": mlp["f"], "jvp": mlp["jvp"]}), "jvp", "f")
    return out


def _jax():
    os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)  # float64, as every other column
    jax.config.update("jax_platforms", "cpu")
    return jax, jnp


def jax_rows():
    jax, jnp = _jax()
    from jax.scipy.special import logsumexp

    out = {}

    def rosen(x):
        head, tail = x[:-1], x[1:]
        return jnp.sum(100.0 * (tail - head * head) ** 2 + (1.0 - head) ** 2)
    x = jnp.asarray(rosenbrock_point(10**6))
    g = jax.grad(rosen)  # eager: no jit anywhere in this column
    out["rosen_grad"] = _ratio("rosen_grad", "jax", medians({"f": lambda: rosen(x).block_until_ready(),
                                                             "grad": lambda: g(x).block_until_ready()}), "grad", "f")
    p = mlp_problem()
    X, Y = jnp.asarray(p.X), jnp.asarray(p.Y)
    params = tuple(jnp.asarray(q) for q in p.params)

    def loss(W1, b1, W2, b2):
        hidden = jnp.tanh(X @ W1 + b1)
        o = hidden @ W2 + b2
        return -jnp.mean(jnp.sum(Y * (o - logsumexp(o, axis=1, keepdims=True)), axis=1))
    mg = jax.grad(loss, argnums=(0, 1, 2, 3))
    out["mlp_grad"] = _ratio("mlp_grad", "jax", medians({"f": lambda: loss(*params).block_until_ready(),
                                                         "grad": lambda: jax.block_until_ready(mg(*params))}),
                             "grad", "f")
    steps = min(CHAIN_STEPS, 100)  # JAX's eager dispatch is slow: a shorter chain, the same per-primitive measure

    def chain_f(y):
        for _ in range(steps):
            y = jnp.sin(y) * 1.0001 + 0.1
        return y
    m = medians({"chain": lambda: jax.grad(chain_f)(jnp.asarray(0.5)).block_until_ready()}, budget=2.0)
    out["chain"] = m["chain"] / (3 * steps) * 1e6
    x5 = jnp.asarray(rosenbrock_point(10**5))
    v5 = jnp.asarray(np.random.default_rng(1).normal(size=10**5))
    out["rosen_jvp"] = _ratio("rosen_jvp", "jax", medians({
        "f": lambda: rosen(x5).block_until_ready(),
        "jvp": lambda: jax.block_until_ready(jax.jvp(rosen, (x5,), (v5,)))}), "jvp", "f")
    rng = np.random.default_rng(2)
    dirs = tuple(jnp.asarray(rng.normal(size=q.shape)) for q in p.params)
    out["mlp_jvp"] = _ratio("mlp_jvp", "jax", medians({
        "f": lambda: loss(*params).block_until_ready(),
        "jvp": lambda: jax.block_until_ready(jax.jvp(loss, params, dirs))}), "jvp", "f")
    return out


PEERS = {"HIPS autograd": ("autograd", autograd_rows), "micrograd": ("micrograd", micrograd_rows),
         "PyTorch eager": ("torch", torch_rows), "JAX eager": ("jax", jax_rows)}
PEER_JACOBIANS = {"PyTorch eager": torch_jacobian, "JAX eager": jax_jacobian}  # torch.func / jax, no jit


def _available(module):
    try:
        __import__(module)
        return True
    except ImportError:
        return False


def _fmt(row, v):
    if v is None:
        return "-"
    return f"{v:.1f}" if row in ("chain", "tape") else f"{v:.3g}" if row in JACOBIAN_ROWS else f"{v:.2f}"


def main(argv=None):
    global TIMER, QUICK
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-peers", action="store_true", help="admodes only")
    parser.add_argument("--wall", action="store_true", help="wall-clock time (default: process CPU time)")
    parser.add_argument("--quick", action="store_true", help="fewer rounds: a smoke test")
    parser.add_argument("--no-jacobians", action="store_true", help="skip the batched Jacobian table")
    parser.add_argument("--before", metavar="REV", action="append", default=[],
                        help="also measure admodes as it was at git revision REV (a column beside this checkout's, "
                        "in the same run); may be given more than once")
    parser.add_argument("--keep-freed-memory", action="store_true",
                        help="run with glibc told to keep freed memory (no page faults from fresh large arrays)")
    args = parser.parse_args(argv)
    if args.keep_freed_memory and os.environ.get("MALLOC_TOP_PAD_") is None:
        os.environ.update(KEEP_FREED_MEMORY)  # read by glibc at start-up: run this script again with them
        os.execv(sys.executable, [sys.executable, *sys.argv])
    TIMER = time.perf_counter if args.wall else time.process_time
    QUICK = args.quick

    columns, jacobian_makers = {}, {}
    for k, rev in enumerate(args.before):
        label = f"admodes {rev}"
        old_ad, old_anp, wl = load_before(rev, f"admodes_before{k}")
        columns[label] = admodes_rows(old_ad, old_anp, wl, label=label)
        jacobian_makers[label] = admodes_jacobian(old_ad, old_anp)
    columns["admodes"] = admodes_rows()
    jacobian_makers["admodes"] = admodes_jacobian()
    if not args.no_peers:
        for label, (module, fn) in PEERS.items():
            if _available(module):
                columns[label] = fn()
                if label in PEER_JACOBIANS:
                    jacobian_makers[label] = PEER_JACOBIANS[label]()
    if not args.no_jacobians:
        for row, m in jacobian_columns(jacobian_makers).items():
            for label, seconds in m.items():
                columns[label][row] = seconds * 1e3
    timer = "wall time" if args.wall else "CPU time"
    kept = ", glibc keeping freed memory" if os.environ.get("MALLOC_TOP_PAD_") else ""
    print(f"# issue 8's table: medians of {timer}, ratios from this one run (numpy {np.__version__}, "
          f"single-threaded BLAS{kept})\n")
    print("| workload | target | " + " | ".join(columns) + " |")
    print("|---|---|" + "---|" * len(columns))
    for row, title in ROWS.items():
        if all(c.get(row) is None for c in columns.values()):
            continue  # --no-jacobians
        print(f"| {title} | {TARGETS[row]} | " + " | ".join(_fmt(row, c.get(row)) for c in columns.values()) + " |")
    if not args.no_jacobians:
        print("\nBatched Jacobians of tanh(A @ x) (admodes); target: median <= 1.5 x (f x directions / batch), "
              "the batch holding every direction\n")
        print("| (in, out) | kind | median ms | f us | directions | / (f x dirs / batch) | / (f x dirs) |")
        print("|---|---|---|---|---|---|---|")
        for line in jacobian_rows():
            print(line)
    print("\nMedians behind the ratios:\n")
    for line in DETAIL:
        print("    " + line)


if __name__ == "__main__":
    main()
