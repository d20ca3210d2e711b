"""A measured prototype of "record once, replay a fixed schedule" (issue 20, item 3): not part of admodes.

    python benchmarks/replay_prototype.py          # the scalar chain and the MLP: tape against replay

admodes' reverse mode pays, per primitive call, the dispatch (`Primitive.__call__`, `lift`), the engine's
unwrapping, a node object with its edges and saved values, and in the sweep a heap or chain walk and the
rule's unpacking. For a program whose graph does not change between calls (a training step, the chain),
all of that can be paid once: `record` runs ``f`` once on a `Recorder` value (a `Traced` whose engine
writes each primitive call into a list of steps), and `compile_gradient` turns the list into two flat
loops over precomputed closures: the forward impls on plain NumPy values, then the VJP rules (the op
library's own, `core.vjp_of`) in reverse order, with the cotangents in a list indexed by slot. Python
control flow is frozen at recording time, as in ``jax.jit``: a schedule is valid only while ``f`` takes
the same branches (a real implementation would guard on them).

    >>> import numpy as np, admodes.numpy as anp
    >>> grad = compile_gradient(lambda x: anp.sum(anp.sin(x) * x), np.array([0.5, 1.0]))
    >>> bool(np.allclose(grad(np.array([0.5, 1.0])), np.cos([0.5, 1.0]) * [0.5, 1.0] + np.sin([0.5, 1.0])))
    True
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import math  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from admodes.arraylike import ArrayLike  # noqa: E402
from admodes.ops.core import new_level, shape_of  # noqa: E402
from admodes.ops.rules import fit, vjp_of_fast  # noqa: E402

__all__ = ["Recorder", "record", "compile_gradient"]


class Recorder(ArrayLike):
    """A value being recorded: its plain value and its slot in the schedule."""

    __slots__ = ("value", "slot", "steps", "_level")

    def _inner(self):
        return self.value

    def _apply(self, prim, args, params):
        values = tuple(a.value if type(a) is Recorder else a for a in args)
        slots = tuple(a.slot if type(a) is Recorder else None for a in args)
        out = prim(*values, **params)
        return _recorded(out, self.steps, (prim, slots, values, params))


def _recorded(value, steps, step):
    r = object.__new__(Recorder)
    r.value, r.steps, r._level = value, steps, 1 << 60  # above every level: nothing else is traced inside
    r.slot = len(steps) + 1  # slot 0 is the input
    steps.append(step)
    return r


def record(f, x):
    """The steps of ``f`` at ``x``: (primitive, argument slots (None: a constant), values, params) each."""
    steps = []
    x_rec = object.__new__(Recorder)
    x_rec.value, x_rec.slot, x_rec.steps, x_rec._level = x, 0, steps, 1 << 60
    out = f(x_rec)
    return steps, out.slot


def compile_gradient(f, x):
    """The gradient of a scalar ``f`` as two fixed loops, recorded once at ``x`` (same shapes, same branches).

    Each backward step calls the declared per-argument VJP rules directly (summing a broadcast cotangent
    back only where recording saw one); joint rules go through the fast path's `vjp_of_fast`.
    """
    steps, out_slot = record(f, x)
    forward, backward = [], []
    for k, (prim, slots, values, params) in enumerate(steps, start=1):
        constants = [None if s is not None else v for s, v in zip(slots, values)]
        forward.append((prim.impl, slots, constants, params))
        rules = prim.rules
        if rules.joint or len(slots) > 2:
            needed = tuple(s is not None for s in slots)
            shapes = tuple(shape_of(v) for v in values)
            backward.append((k, slots, constants, params, None, (prim, needed, shapes)))
            continue
        grads = []  # (argument position, its slot, its rule, the shape to fit to, or None)
        for i, (s, v) in enumerate(zip(slots, values)):
            if s is not None and rules.vjp[i] is not None:
                grads.append((i, s, rules.vjp[i], shape_of(v)))
        backward.append((k, slots, constants, params, grads, None))
    backward.reverse()
    n = len(steps) + 1

    def gradient(x):
        vals = [x] + [None] * (n - 1)
        k = 1
        for impl, slots, constants, params in forward:
            vals[k] = impl(*[vals[s] if s is not None else c for s, c in zip(slots, constants)], **params)
            k += 1
        cts = [None] * n
        cts[out_slot] = np.ones_like(vals[out_slot])
        for k, slots, constants, params, grads, joint in backward:
            g = cts[k]
            cts[k] = None
            if g is None:
                continue
            args = [vals[s] if s is not None else c for s, c in zip(slots, constants)]
            if joint is not None:
                prim, needed, shapes = joint
                pairs = zip(slots, vjp_of_fast(prim, g, vals[k], tuple(args), params, needed, shapes))
            else:
                pairs = [(s, rule(g, vals[k], *args, **params)) for i, s, rule, shape in grads]
                pairs = [(s, ct if shape_of(ct) == grads[j][3] else fit(ct, grads[j][3]))
                         for j, (s, ct) in enumerate(pairs)]
            for s, ct in pairs:
                if s is not None and ct is not None:
                    cts[s] = ct if cts[s] is None else cts[s] + ct
        return cts[0]
    new_level()
    return gradient


def main():
    import time

    import table
    from workloads import mlp_loss, mlp_problem

    import admodes as ad
    import admodes.numpy as anp

    steps = table.CHAIN_STEPS

    def chain_f(y):
        for _ in range(steps):
            y = anp.sin(y) * 1.0001 + 0.1
        return y

    def tape_chain():
        x = ad.tensor(0.5, requires_grad=True)
        chain_f(x).backward()
        return x.grad

    replay_chain = compile_gradient(chain_f, np.array(0.5))
    assert np.isclose(float(replay_chain(np.array(0.5))), float(tape_chain().data))
    p = mlp_problem()
    theta = p.theta
    flat = lambda t: table.workloads.mlp_loss_flat(t, p.X, p.Y, p.shapes)  # noqa: E731
    tape_mlp = ad.grad(flat)
    replay_mlp = compile_gradient(flat, theta)
    np.testing.assert_allclose(replay_mlp(theta), tape_mlp(theta), rtol=1e-10, atol=1e-14)
    calls = {"chain: tape": tape_chain, "chain: replay": lambda: replay_chain(np.array(0.5)),
             "chain: forward only (plain NumPy through admodes)": lambda: chain_f(np.array(0.5)),
             "MLP f": lambda: mlp_loss(*p.params, p.X, p.Y), "MLP grad: tape": lambda: tape_mlp(theta),
             "MLP grad: replay": lambda: replay_mlp(theta)}
    try:  # the best peer on the chain, in the same rounds, if installed
        import micrograd.engine as mg
    except ImportError:
        mg = None
    if mg is not None:
        sys.setrecursionlimit(max(sys.getrecursionlimit(), 20 * steps))

        def micrograd_chain():
            x = y = mg.Value(0.5)
            for _ in range(steps):
                out = mg.Value(math.sin(y.data), (y,), "sin")
                out._backward = lambda out=out, y=y: setattr(y, "grad", y.grad + math.cos(y.data) * out.grad)
                y = out * 1.0001 + 0.1
            y.backward()
            return x.grad
        calls["chain: micrograd"] = micrograd_chain
    table.TIMER = time.process_time
    m = table.medians(calls, budget=6.0)
    per = 1e6 / (3 * steps)
    print(f"scalar chain, us per primitive (forward + backward): tape {m['chain: tape'] * per:.2f}, "
          f"replay {m['chain: replay'] * per:.2f} (forward alone on plain values: "
          f"{m['chain: forward only (plain NumPy through admodes)'] * per:.2f})"
          + (f", micrograd {m['chain: micrograd'] * per:.2f}" if mg is not None else ""))
    print(f"MLP grad / f: tape {m['MLP grad: tape'] / m['MLP f']:.2f}, replay {m['MLP grad: replay'] / m['MLP f']:.2f} "
          f"(f {m['MLP f'] * 1e3:.3f} ms)")


if __name__ == "__main__":
    main()
