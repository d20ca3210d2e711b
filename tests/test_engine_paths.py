"""Each engine's fast paths against its generic body, in one process (both are importable side by side), and
the switch: ``ADMODES_REFERENCE=1`` makes the engines run the generic bodies alone.

The whole engine suite also runs both ways (see docs/architecture.md); these tests compare the two paths
directly, cotangent by cotangent, on graphs that reach every shortcut: a chain (the heap skipped), x * x
(the summed rule), getitem (added into its input's buffer), broadcasting, a value used many times (buffers
reused), retained gradients and a recorded sweep.
"""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import admodes as ad
import admodes.numpy as anp
from admodes.fastpaths import FAST
from admodes.forward import Dual
from admodes.reverse import Tensor, backward_pass, fast_backward_pass, run_backward

ROOT = Path(__file__).resolve().parents[1]


def chain(x, w):
    y = x
    for _ in range(20):
        y = anp.sin(y) * 1.0001 + 0.1
    return anp.sum(y * w)


def square_and_index(x, w):
    y = x * x
    return anp.sum(y[1:] * w[:-1]) + anp.sum(y[0] * y) + anp.sum(x[::2])


def broadcast_and_reuse(x, w):
    a = anp.exp(x)[:, None] * w[None, :]     # (3, 3): broadcasting both ways
    b = a + a * 2.0 - a / 3.0                 # a used three times: cotangents added into one buffer
    return anp.sum(anp.tanh(b) @ w) + anp.sum(anp.maximum(x, 0.1) ** 3)


def many_arguments(x, w):
    stacked = anp.stack([x, w, x * w], axis=0)
    return anp.sum(anp.where(stacked > 0.0, stacked, 0.5 * stacked) ** 2)


GRAPHS = [chain, square_and_index, broadcast_and_reuse, many_arguments]


def leaves(rng, dtype=np.float64):
    return (ad.tensor(rng.standard_normal(3).astype(dtype), requires_grad=True),
            ad.tensor(rng.standard_normal(3).astype(dtype), requires_grad=True))


@pytest.mark.parametrize("f", GRAPHS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_fast_sweep_gives_the_generic_sweeps_cotangents(f, dtype):
    x, w = leaves(np.random.default_rng(0), dtype)
    out = f(x, w)
    seed = np.ones((), dtype)
    generic = backward_pass([out], [seed], targets=[x, w], retain_graph=True, accumulate=False)
    fast = fast_backward_pass([out], [seed], targets=[x, w], retain_graph=True, accumulate=False)
    for g, h in zip(generic, fast):
        assert g.dtype == h.dtype == dtype
        np.testing.assert_allclose(h, g, rtol=1e-6 if dtype == np.float32 else 1e-13)
    assert not np.allclose(generic[0], 0.0)  # (a graph whose gradient is zero would compare nothing)


@pytest.mark.parametrize("sweep", [backward_pass, fast_backward_pass], ids=["generic", "fast"])
def test_both_sweeps_accumulate_retain_and_record_alike(sweep):
    x = ad.tensor([0.5, -1.0, 2.0], requires_grad=True)
    h = anp.sin(x) * x
    h.retain_grad()
    y = anp.sum(h * h)
    sweep([y], [np.ones(())], create_graph=True)
    expected = 2 * np.sin(x.data) * x.data * (np.cos(x.data) * x.data + np.sin(x.data))
    np.testing.assert_allclose(x.grad.data, expected, rtol=1e-14)
    np.testing.assert_allclose(h.grad.data, 2 * np.sin(x.data) * x.data, rtol=1e-14)
    assert x.grad.grad_fn is not None  # recorded: differentiable again
    (second,) = ad.gradients(anp.sum(x.grad), x)
    numeric = ad.numeric_grad(lambda v: np.sum(2 * np.sin(v) * v * (np.cos(v) * v + np.sin(v))), x.data.copy())
    np.testing.assert_allclose(second.data, numeric, rtol=1e-6)


@pytest.mark.parametrize("f", GRAPHS, ids=lambda f: f.__name__)
def test_generic_recording_gives_the_fast_recordings_tape(f, monkeypatch):
    def gradients_and_nodes():
        x, w = leaves(np.random.default_rng(1))
        out = f(x, w)
        kinds = []
        node, todo = out.grad_fn, [out.grad_fn]
        while todo:  # every node's class and saved contents, in a fixed order
            node = todo.pop()
            kinds.append((type(node).__name__, len(node.edges), node.plan.actions))
            todo += [e for e in node.edges if e is not None and not isinstance(e, Tensor)]
        out.backward()
        return [x.grad.data, w.grad.data], kinds

    fast_grads, fast_nodes = gradients_and_nodes()
    monkeypatch.setattr(Tensor, "_apply", Tensor._apply_generic)
    generic_grads, generic_nodes = gradients_and_nodes()
    assert generic_nodes == fast_nodes
    for g, h in zip(generic_grads, fast_grads):
        np.testing.assert_allclose(h, g, rtol=1e-13)


@pytest.mark.parametrize("f", GRAPHS, ids=lambda f: f.__name__)
def test_generic_forward_engine_gives_the_fast_ones_tangents(f, monkeypatch):
    rng = np.random.default_rng(2)
    x, w, t = rng.standard_normal(3), rng.standard_normal(3), rng.standard_normal(3)
    fast = ad.jvp(lambda x: f(x, w), (x,), (t,))
    monkeypatch.setattr(Dual, "_apply", Dual._apply_generic)
    generic = ad.jvp(lambda x: f(x, w), (x,), (t,))
    np.testing.assert_allclose(fast[0], generic[0], rtol=1e-15)
    np.testing.assert_allclose(fast[1], generic[1], rtol=1e-13)
    assert generic[1] != 0.0


def test_the_default_runs_the_fast_paths():
    if not FAST:
        pytest.skip("this run has ADMODES_REFERENCE set")
    assert run_backward is fast_backward_pass
    assert Tensor._apply is Tensor._apply_fast and Dual._apply is Dual._apply_fast


def test_admodes_reference_runs_the_generic_bodies_alone():
    check = ("import admodes.fastpaths as f, admodes.reverse as r; from admodes.forward import Dual; "
             "print(f.FAST, r.run_backward is r.backward_pass, r.Tensor._apply is r.Tensor._apply_generic, "
             "Dual._apply is Dual._apply_generic)")
    env = {**os.environ, "ADMODES_REFERENCE": "1", "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", check], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True", "True", "True"]
