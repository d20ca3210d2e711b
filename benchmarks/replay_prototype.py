"""A measured prototype of "record once, replay a fixed schedule" (issue 20, item 3): not part of admodes.

    python benchmarks/replay_prototype.py          # the scalar chain and the MLP: tape against replay
                                                   # (and micrograd, PyTorch in the same rounds if installed)

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
import operator  # noqa: E402
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


def _recorded(value, steps, step, slot=None):
    r = object.__new__(Recorder)
    r.value, r.steps, r._level = value, steps, 1 << 60  # above every level: nothing else is traced inside
    r.slot = slot if slot is not None else len(steps)  # slots 0 .. len(inputs) - 1 are the inputs
    if slot is None:
        steps.append(step)
    return r


def record(f, *xs):
    """The steps of ``f`` at ``xs``: (primitive, argument slots (None: a constant), values, params) each,
    after one placeholder step per input."""
    steps = [None] * len(xs)
    out = f(*(_recorded(x, steps, None, slot=i) for i, x in enumerate(xs)))
    return steps, out.slot


def compile_gradient(f, *xs):
    """The gradient of a scalar ``f`` with respect to each of its arguments (one array, or a tuple for
    several), as two fixed loops, recorded once at ``xs`` (same shapes, same branches).

    Each backward step calls the declared per-argument VJP rules directly (summing a broadcast cotangent
    back only where recording saw one); joint rules go through the fast path's `vjp_of_fast`.
    """
    steps, out_slot = record(f, *xs)
    inputs = len(xs)
    forward, backward = [], []
    for k, (prim, slots, values, params) in enumerate(steps[inputs:], start=inputs):
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
    n = len(steps)

    def gradient(*xs):
        vals = list(xs) + [None] * (n - inputs)
        k = inputs
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
        return cts[0] if inputs == 1 else tuple(cts[:inputs])
    new_level()
    return gradient


# ---- the same schedule lowered to Python scalars (a program whose every value is 0-d) --------------------

_SCALAR = {np.sin: math.sin, np.cos: math.cos, np.exp: math.exp, np.log: math.log, np.tanh: math.tanh,
           np.sqrt: math.sqrt, np.add: operator.add, np.subtract: operator.sub, np.multiply: operator.mul,
           np.divide: operator.truediv, np.negative: operator.neg}
"""NumPy ufuncs and the Python function that computes the same correctly rounded (or libm) value on a float."""


def compile_scalar_gradient(f, x):
    """The gradient of a scalar function of one scalar, recorded once at ``x`` as one list of primitive
    calls, forward *and* backward (the op library's VJP rules run on recorded values, so their own calls are
    recorded too, as JAX traces a VJP), then run on Python floats: each call lowered to its `math` or
    `operator` equivalent where it has one (`_SCALAR`), else to its NumPy implementation.

    >>> import admodes.numpy as anp
    >>> grad = compile_scalar_gradient(lambda y: anp.sin(y) * 2.0, 0.5)
    >>> bool(np.isclose(grad(0.5), 2.0 * math.cos(0.5)))
    True
    """
    steps, out_slot = record(f, np.asarray(x, dtype=float))
    forward_steps = len(steps)
    recorded = [_recorded(np.asarray(x, dtype=float), steps, None, slot=0)]
    for prim, _slots, values, params in steps[1:forward_steps]:  # the forward values, as recorded operands
        recorded.append(_recorded(prim(*values, **params), steps, None, slot=len(recorded)))
    cts = [None] * forward_steps
    cts[out_slot] = _recorded(np.ones(()), steps, None, slot=None)  # the seed: a step of its own
    steps[-1] = (_ONE, (), (), {})
    for k in range(forward_steps - 1, 0, -1):  # the backward sweep, recorded
        g = cts[k]
        if g is None:
            continue
        prim, slots, values, params = steps[k]
        args = tuple(recorded[s] if s is not None else v for s, v in zip(slots, values))
        needed = tuple(s is not None for s in slots)
        shapes = tuple(shape_of(v) for v in values)
        for s, ct in zip(slots, vjp_of_fast(prim, g, recorded[k], args, params, needed, shapes)):
            if s is not None and ct is not None:
                cts[s] = ct if cts[s] is None else cts[s] + ct
    result = cts[0].slot
    program = []
    for prim, slots, values, params in steps[1:]:
        fn = _SCALAR.get(prim.impl) if not params else None
        if fn is None:
            fn = (lambda impl, params: lambda *a: float(impl(*a, **params)))(prim.impl, params)
        program.append((fn, tuple((True, s) if s is not None else (False, float(v) if np.ndim(v) == 0 else v)
                                  for s, v in zip(slots, values))))

    def gradient(x):
        vals = [float(x)]
        append = vals.append
        for fn, operands in program:
            append(fn(*[vals[a] if slot else a for slot, a in operands]))
        return vals[result]
    new_level()
    return gradient


class _One:
    """The seed step of the recorded backward sweep: 1.0."""
    impl = staticmethod(lambda: 1.0)


_ONE = _One()


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
    lowered_chain = compile_scalar_gradient(chain_f, 0.5)
    assert np.isclose(lowered_chain(0.5), float(tape_chain().data), rtol=1e-12)
    p = mlp_problem()  # the table's MLP row: the gradient with respect to the four parameters
    loss = lambda W1, b1, W2, b2: mlp_loss(W1, b1, W2, b2, p.X, p.Y)  # noqa: E731
    tape_mlp = ad.grad(loss, argnums=(0, 1, 2, 3))
    replay_mlp = compile_gradient(loss, *p.params)
    for got, expected in zip(replay_mlp(*p.params), tape_mlp(*p.params)):
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-14)
    calls = {"chain: tape": tape_chain, "chain: replay": lambda: replay_chain(np.array(0.5)),
             "chain: forward only (plain NumPy through admodes)": lambda: chain_f(np.array(0.5)),
             "chain: replay on floats": lambda: lowered_chain(0.5),
             "MLP f": lambda: loss(*p.params), "MLP grad: tape": lambda: tape_mlp(*p.params),
             "MLP grad: replay": lambda: replay_mlp(*p.params)}
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
    try:  # the best peer on the MLP, in the same rounds, if installed
        import torch
    except ImportError:
        torch = None
    if torch is not None:
        torch.set_num_threads(1)
        mlp = table.torch_mlp_calls()
        calls["MLP f: PyTorch"], calls["MLP grad: PyTorch"] = mlp["f"], mlp["grad"]
    table.TIMER = time.process_time
    m = table.medians(calls, budget=6.0)
    per = 1e6 / (3 * steps)
    print(f"scalar chain, us per primitive (forward + backward): tape {m['chain: tape'] * per:.2f}, "
          f"replay {m['chain: replay'] * per:.2f}, replay lowered to floats {m['chain: replay on floats'] * per:.2f} "
          f"(forward alone on plain values: "
          f"{m['chain: forward only (plain NumPy through admodes)'] * per:.2f})"
          + (f", micrograd {m['chain: micrograd'] * per:.2f}" if mg is not None else ""))
    print(f"MLP grad / f: tape {m['MLP grad: tape'] / m['MLP f']:.2f}, replay {m['MLP grad: replay'] / m['MLP f']:.2f} "
          f"(f {m['MLP f'] * 1e3:.3f} ms)"
          + (f", PyTorch {m['MLP grad: PyTorch'] / m['MLP f: PyTorch']:.2f} (f {m['MLP f: PyTorch'] * 1e3:.3f} ms)"
             if torch is not None else ""))


if __name__ == "__main__":
    main()
