"""Checkpointing: trading time for memory in reverse mode.

Reverse mode keeps on its tape every value the backward sweep will read, so its memory grows with
the length of the computation. Checkpointing keeps fewer values and recomputes the others when the
backward sweep needs them. Three ways, from the simplest to the optimal one:

- `checkpoint(f)`: ``f``'s intermediates are not kept; the tape holds one node that keeps ``f``'s
  inputs, and its backward runs ``f`` again with recording, then sweeps that short tape.
- `checkpoint_sequential(steps, x, segments)`: a chain of L steps cut into segments (sqrt(L) by
  default), each checkpointed: O(sqrt(L)) values kept for about one extra forward sweep.
- `revolve(step, x, steps, snapshots)`: binomial checkpointing of L equal steps with s snapshots
  (Griewank and Walther, "Algorithm 799: revolve"): the schedule (`admodes.schedule`) that reverses the
  chain with the fewest recomputed steps, r*L - C(s + r, s + 1) with r the smallest integer such that
  C(s + r, s) >= L, run on the tape here.

    >>> import numpy as np, admodes as ad, admodes.numpy as anp
    >>> block = checkpoint(lambda x: anp.sin(anp.sin(x)))
    >>> x = np.array([0.1, 0.2])
    >>> np.allclose(ad.grad(lambda x: anp.sum(block(x)))(x), np.cos(np.sin(x)) * np.cos(x))
    True
    >>> revolve_recomputations(steps=10, snapshots=2)   # r = 3: 3*10 - C(5, 3)
    20

How it fits the engines: a checkpointed call is one primitive (like a custom `Function`) whose forward
runs the user's code on plain arrays, so nothing is recorded, and whose VJP rule recomputes. The rule
is written with the engines themselves (a fresh level records the recomputation, `run_backward` sweeps it),
so it is differentiable like every other rule: checkpoints nest, and grad of grad, ``create_graph=True``
and forward over reverse all see through them. Forward mode keeps no tape, so under it (and on plain
arrays) a checkpointed function simply runs.

What the wrapped code must respect, since it runs more than once:

- It must compute the same thing every time. NumPy's global random state is saved with each
  checkpoint and restored for the recomputation (``preserve_rng_state``), so ``np.random`` draws repeat;
  a recomputation that still differs from the forward pass (a ``Generator`` object's draws, global state
  that changed) raises ``RuntimeError`` instead of giving a wrong gradient.
- It must not write into its inputs: they are passed read-only, and an in-place write raises
  ``RuntimeError`` naming the argument. Other side effects (appending to a list, printing, counting
  calls) happen again at each recomputation.
- Arrays it should be differentiated with respect to must be passed as arguments, not closed over: a
  closed-over Tensor that requires grad at the level being checkpointed raises ``RuntimeError`` (pass it
  as an argument, or ``args=`` for the chains). Closed-over values of an enclosing transform are fine.
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from .arraylike import comparable, value
from .forward import Dual
from .inputs import check_int, dtype_of, returned
from .ops.core import Primitive, Traced, defjoint, new_level
from .reverse import Tensor, is_grad_enabled, run_backward
from .schedule import Action, Schedule, repetition_number, revolve_recomputations, revolve_schedule, schedule_for
from .transforms.containers import Outputs
from .tree import tree_flatten

__all__ = [
    "checkpoint", "checkpoint_sequential", "revolve", "revolve_schedule", "revolve_recomputations",
    "repetition_number", "Schedule", "Action", "RevolveState", "ForwardPass", "Fingerprints",
]


# ----------------------------------------------------------------------------------------------------
# Shared machinery: which levels record a node, running user code safely, comparing recomputations
# ----------------------------------------------------------------------------------------------------

def _top(values):
    """The traced value of the highest level among ``values`` (None if all are plain)."""
    top = None
    for v in values:
        if isinstance(v, Traced) and (top is None or v._level > top._level):
            top = v
    return top


def _floor(values):
    """The lowest Tensor level at which a call on ``values`` will record a checkpoint node.

    The engines unwrap the highest level first; each Tensor level met on the way down records a node,
    until the values are plain or a Dual is on top (forward mode keeps no tape: the code runs on it).
    The user's code then runs on what is left, and its result must not be traced at any of these
    levels (see `_result`).
    """
    floor = None
    values = list(values)
    while True:
        top = _top(values)
        if type(top) is not Tensor:
            return floor
        floor = top._level
        values = [v.data if type(v) is Tensor and v._level == floor else v for v in values]


def _read_only(x):
    """A view of a NumPy array that the user's code cannot write into (other values unchanged)."""
    if type(x) is np.ndarray:
        x = x.view()
        x.flags.writeable = False
    return x


def _call_user(fn, args, who):
    """``fn(*args)`` with read-only array arguments; an in-place write into one becomes a clear error."""
    try:
        return fn(*[_read_only(a) for a in args])
    except ValueError as err:
        if "read-only" not in str(err):
            raise
        raise RuntimeError(
            f"{who}: the function wrote into one of its input arrays in place ({err}). A checkpointed "
            "function runs again during the backward pass from the same inputs, so it must not modify "
            "them: compute a new array instead (x = x + 1, not x += 1; anp.where instead of x[i] = v)") from None


def _result(out, floor, who):
    """The user's result as a value the engines can wrap: one array, not traced at a recording level."""
    out = returned(out, who, "the function")
    if isinstance(out, (tuple, list)):
        raise TypeError(f"{who}: the function must return a single array, got a {type(out).__name__}; "
                        "return one array (concatenate or stack several outputs)")
    # A constant Tensor the code closed over (requires_grad=False) carries no derivative: keep its value.
    while type(out) is Tensor and floor is not None and out._level >= floor and not out._requires_grad:
        out = out.data
    if isinstance(out, Traced):
        if floor is not None and out._level >= floor:
            raise RuntimeError(
                f"{who}: the result depends on a Tensor that requires grad but is not an argument of the "
                "checkpointed function (a closed-over parameter?). Its gradient can only flow through the "
                "recomputation if it is passed in: call checkpoint(f)(x, w) with f(x, w), or pass args=(w,) "
                "to checkpoint_sequential and revolve")
        return out
    if isinstance(out, np.ndarray):
        # A read-only result is a view of an input (or a broadcast): give the caller an array of its own.
        return out if out.flags.writeable else out.copy()
    out = np.asarray(out)
    if out.dtype.kind not in "fiub":
        raise TypeError(f"{who}: the function must return a real numeric array, got dtype {out.dtype}")
    return out


def _strip(ct, level):
    """A cotangent found by a private sweep at ``level``, as a value of the levels below it.

    A Tensor that records nothing (no grad at its level) is only a constant there: its value is kept.
    """
    while type(ct) is Tensor and (ct._level == level or not ct._requires_grad):
        ct = ct.data
    return ct


def _close(new, old):
    """Whether a recomputed value equals the forward pass's, up to rounding."""
    new, old = _all_values(new), _all_values(old)
    if new.shape != old.shape:
        return False
    if new.dtype.kind != "f" or old.dtype.kind != "f":
        return np.array_equal(new, old)
    tol = math.sqrt(np.finfo(old.dtype).eps)
    finite = np.abs(old[np.isfinite(old)])
    scale = float(finite.max()) if finite.size else 1.0
    return bool(np.allclose(new, old, rtol=tol, atol=tol * scale, equal_nan=True))


def _all_values(x):
    """The plain values of ``x``: through every level, and for a batch (under vmap) all its elements, stacked."""
    x = comparable(x)
    while isinstance(x, Traced):  # a batch
        x = comparable(x.value)
    return np.asarray(x)


@contextmanager
def _random_state(saved):
    """Run a recomputation with NumPy's global random state as it was in the forward pass."""
    if saved is None:
        yield
        return
    current = np.random.get_state()
    np.random.set_state(saved)
    try:
        yield
    finally:
        np.random.set_state(current)


def _leaf(x, level):
    """A leaf of a private recording level around ``x`` (read-only if it is a NumPy array)."""
    return Tensor._make(_read_only(x), level, requires_grad=True)


def _wants_leaf(x):
    """Whether ``x`` is an array that can carry a cotangent (a float array, plain or traced)."""
    return isinstance(x, (np.ndarray, np.generic, Traced)) and dtype_of(x).kind == "f"


def _sweep_private(out, g, leaves, level, retain=False):
    """Sweep the private tape from ``out`` (seeded with ``g``) to ``leaves``: their cotangents, stripped.

    The sweep keeps the grad mode of the sweep calling it (``create_graph`` when that one records),
    so a backward that is itself differentiated sees through the recomputation.
    """
    if not (type(out) is Tensor and out._level == level and out._requires_grad):
        return [None] * len(leaves)  # the result does not depend on the leaves
    found = run_backward([out], [g], list(leaves), retain, is_grad_enabled(), accumulate=False)
    return [None if c is None else _strip(c, level) for c in found]


def _check_untouched(leaves, who):
    """The recomputation must not have written into its inputs (Tensors get a new version when it does)."""
    for leaf in leaves:
        if leaf.grad_fn is not None or leaf._versions[0] != 0:
            raise RuntimeError(f"{who}: the function modified one of its inputs in place while it was recomputed; "
                               "it runs again from the same inputs, so it must not modify them (x = x + 1, "
                               "not x += 1)")


def _add(total, ct):
    return ct if total is None else total if ct is None else total + ct


# ----------------------------------------------------------------------------------------------------
# checkpoint(f)
# ----------------------------------------------------------------------------------------------------

def _checkpoint_impl(*args, fn, rng, floor):
    """The primitive's forward: on each Tensor level a node, then ``fn`` on what is inside, unrecorded."""
    if type(_top(args)) is Tensor:  # a lower Tensor level records its own checkpoint node
        return _CHECKPOINT(*args, fn=fn, rng=rng, floor=floor)
    return _result(_call_user(fn, args, "checkpoint"), floor, "checkpoint")


def _checkpoint_vjp(g, ans, args, params, needed):
    """Recompute ``fn`` from the saved inputs with recording, then sweep that tape from ``g``."""
    fn = params["fn"]
    level = new_level()
    inputs = [_leaf(a, level) if need else a for a, need in zip(args, needed)]
    with _random_state(params["rng"]):
        out = _call_user(fn, inputs, "checkpoint")
    if isinstance(out, (tuple, list)) or not _close(out, ans):
        raise RuntimeError(
            "checkpoint: running the function again in the backward pass gave a different result than in "
            "the forward pass, so its gradient would be wrong. A checkpointed function must compute the same "
            "thing every time: draw random numbers outside it and pass them in (np.random's global state is "
            "restored for you, a Generator's is not), and do not let it depend on state that changes")
    leaves = [x for x, need in zip(inputs, needed) if need]
    _check_untouched(leaves, "checkpoint")
    cts = iter(_sweep_private(out, g, leaves, level))
    return tuple(next(cts) if need else None for need in needed)


def _checkpoint_jvp(tangents, ans, args, params):
    """Forward mode through ``fn`` (reached only if a Dual is handed to the primitive directly)."""
    level = new_level()
    duals = [a if t is None else Dual._make(a, t, level) for a, t in zip(args, tangents)]
    with _random_state(params["rng"]):
        out = params["fn"](*duals)
    return out._tangent if type(out) is Dual and out._level == level else None


_CHECKPOINT = Primitive("checkpoint", _checkpoint_impl, variadic=True, short="Checkpoint", registered=False,
                        impl_takes_traced=True)
defjoint(_CHECKPOINT, jvp=_checkpoint_jvp, vjp=_checkpoint_vjp, saves=("args", "ans"))


def checkpoint(f, *, preserve_rng_state=True):
    """``f`` wrapped so that reverse mode keeps its inputs instead of its intermediates.

    On Tensors (and inside `grad`, `vjp`, ...) the call records one ``CheckpointBackward`` node that
    keeps ``f``'s inputs and output; its backward runs ``f`` again with recording and sweeps that short
    tape. The gradients are those of ``f`` itself, to rounding; the price is one more run of ``f``.
    On plain arrays and Duals, ``f`` simply runs. ``f`` takes and returns arrays or containers of them
    (tuples, lists, dicts: `admodes.tree`); its array arguments are passed read-only (see the module's
    notes on what ``f`` must respect). ``preserve_rng_state`` saves NumPy's global random state so that
    the recomputation draws the same numbers.

    >>> import numpy as np, admodes as ad, admodes.numpy as anp
    >>> f = lambda x: anp.exp(anp.sin(x))
    >>> x = ad.tensor([0.0, 1.0], requires_grad=True)
    >>> y = checkpoint(f)(x); y.grad_fn
    <CheckpointBackward>
    >>> y.sum().backward()
    >>> np.allclose(x.grad.data, np.exp(np.sin([0.0, 1.0])) * np.cos([0.0, 1.0]))
    True
    """
    if not callable(f):
        raise TypeError(f"checkpoint: f must be callable, got {type(f).__name__}")

    def checkpointed(*args, **kwargs):
        for name, v in kwargs.items():
            if isinstance(v, Traced):
                raise TypeError(f"checkpoint: keyword argument {name!r} is a traced value; pass arrays that "
                                "are differentiated positionally")
        fn = (lambda *a: f(*a, **kwargs)) if kwargs else f
        leaves, structure = tree_flatten(args)  # containers in: their leaves are the primitive's arguments
        if type(_top(leaves)) is not Tensor:  # no tape to save memory on: plain arrays or forward mode
            return fn(*args)
        rng = np.random.get_state() if preserve_rng_state else None
        outputs = Outputs("checkpoint")  # containers out: one array for the primitive, unpacked after it
        flat = _CHECKPOINT(*leaves, fn=lambda *ls: outputs.pack(fn(*structure.unflatten(ls))), rng=rng,
                           floor=_floor(leaves))
        return outputs.unpack(flat)

    checkpointed.__name__ = f"checkpoint({getattr(f, '__name__', type(f).__name__)})"
    checkpointed.__doc__ = getattr(f, "__doc__", None)
    checkpointed.__wrapped__ = f
    return checkpointed


# ----------------------------------------------------------------------------------------------------
# checkpoint_sequential(steps, x, segments)
# ----------------------------------------------------------------------------------------------------

def _segment_sizes(length, segments):
    """``length`` steps in ``segments`` runs of nearly equal size (the longer ones first)."""
    base, extra = divmod(length, segments)
    return [base + (1 if k < extra else 0) for k in range(segments)]


def _run_steps(steps, first, who):
    def run(x, *args):
        for k, step in enumerate(steps):
            x = returned(step(x, *args), who, f"step {first + k}")
            if isinstance(x, (tuple, list)):
                raise TypeError(f"{who}: step {first + k} returned a {type(x).__name__}; each step must return "
                                "the new state as one array")
        return x
    return run


def checkpoint_sequential(steps, x, segments=None, *, args=(), preserve_rng_state=True):
    """Apply a chain of step functions to ``x``, keeping only the state at segment boundaries for reverse mode.

    ``steps`` are L functions, each mapping the state to the next (``step(x, *args)``: ``args`` are
    extra arrays every step reads, such as shared weights, differentiated too). The chain is cut into
    ``segments`` runs of nearly equal length, round(sqrt(L)) by default; every run but the last is a
    `checkpoint`, so the tape keeps one state per segment plus the last run's intermediates: O(sqrt(L))
    values instead of L. The backward sweep recomputes each checkpointed run once: L - (length of the
    last run) extra step evaluations, about one extra forward sweep. ``segments=1`` checkpoints nothing.
    Steps may change the state's shape (layers of different widths); each must return one array.

    >>> import numpy as np, admodes as ad, admodes.numpy as anp
    >>> steps = [anp.sin] * 9
    >>> f = lambda x: anp.sum(checkpoint_sequential(steps, x))     # 3 segments of 3
    >>> x = np.array([0.5, 1.0])
    >>> with ad.count_ops() as counts:
    ...     g = ad.grad(f)(x)
    >>> counts.calls["sin"]      # 9 in the forward pass, 6 again for the two checkpointed segments
    15
    """
    who = "checkpoint_sequential"
    try:
        steps = list(steps)
    except TypeError:
        raise TypeError(f"{who}: steps must be a sequence of functions, got {type(steps).__name__}") from None
    for k, step in enumerate(steps):
        if not callable(step):
            raise TypeError(f"{who}: steps[{k}] is not callable (got {type(step).__name__})")
    length = len(steps)
    if length == 0:
        raise ValueError(f"{who}: steps is empty; give at least one step function")
    if segments is None:
        segments = max(1, round(math.sqrt(length)))
    segments = check_int(segments, "segments", who, 1, length, "the number of steps L")
    if not isinstance(args, (tuple, list)):
        raise TypeError(f"{who}: args must be a tuple of extra arguments for every step, got {type(args).__name__}")
    start = 0
    for k, size in enumerate(_segment_sizes(length, segments)):
        run = _run_steps(steps[start:start + size], start, who)
        last = k == segments - 1
        # The last run's tape is swept first, right after the forward pass: recomputing it would be waste.
        x = run(x, *args) if last else checkpoint(run, preserve_rng_state=preserve_rng_state)(x, *args)
        start += size
    return x


# ----------------------------------------------------------------------------------------------------
# Binomial checkpointing: running the schedule on the tape
# ----------------------------------------------------------------------------------------------------

_SAMPLES = 4  # elements of each state remembered to check that recomputations repeat the forward pass


def _sample_index(size):
    n = min(size, _SAMPLES)  # n points spread evenly over the elements, the first and the last among them
    return np.array(sorted({round(k * (size - 1) / max(n - 1, 1)) for k in range(n)}), dtype=np.intp)


class Fingerprints:
    """A few sampled elements of each state x_0 ... x_L of one `revolve` call, taken the first time the
    state is computed (in the forward pass): a recomputed state must match them.

    >>> prints = Fingerprints(np.zeros(3), steps=2)
    >>> prints.check(np.ones(3), 1); prints.check(np.ones(3), 1)     # the same value again: fine
    >>> prints.check(np.zeros(3), 1)
    Traceback (most recent call last):
    ...
    RuntimeError: revolve: recomputing state x1 gave a different value than in the forward pass, ...
    """

    def __init__(self, x, steps):
        self.index = _sample_index(int(np.prod(np.shape(value(x)))))
        self.prints = np.empty((steps + 1, len(self.index)))
        self.known = np.zeros(steps + 1, bool)

    def check(self, y, k):
        """Remember x_k's sampled elements the first time; compare with them afterwards."""
        sample = np.asarray(value(y)).reshape(-1)[self.index].astype(np.float64)
        if not self.known[k]:
            self.prints[k] = sample
            self.known[k] = True
        elif not _close(sample, self.prints[k]):
            raise RuntimeError(
                f"revolve: recomputing state x{k} gave a different value than in the forward pass, so the "
                "gradient would be wrong. The step must compute the same thing every time it is called: no "
                "random draws or changing state inside it (pass such values in through args=)")


@dataclass
class ForwardPass:
    """What `revolve`'s forward pass leaves for the first backward: the snapshots it took (index -> state),
    and the tape of the last step (recorded at ``level`` from ``leaves``, the state and the extra
    arguments, to ``out``)."""

    snapshots: dict
    level: int
    leaves: list
    out: object


class RevolveState:
    """The state one `revolve` call carries from its forward pass to its backward pass (the primitive's
    ``state`` parameter): the states' `Fingerprints`, and the `ForwardPass` that the first backward takes
    over (None before the forward pass ran and after it was taken)."""

    __slots__ = ("fingerprints", "forward")

    def __init__(self):
        self.fingerprints = self.forward = None


class _Chain:
    """Running ``step`` over the states of one `revolve` call, checking every state it produces against
    ``fingerprints`` (None: nothing to check). In the ``forward`` pass, results are also checked
    against closed-over Tensors (see `_result`)."""

    def __init__(self, step, extra, shape, floor, fingerprints, forward=False):
        self.step, self.extra, self.shape, self.floor = step, extra, shape, floor
        self.fingerprints, self.forward = fingerprints, forward

    def one(self, x, k, extra=None):
        """x_(k+1) = step(x_k), checked: one array, of x_k's shape, and the forward pass's value."""
        y = returned(_call_user(self.step, (x, *(self.extra if extra is None else extra)), "revolve"), "revolve",
                     f"step {k}")
        if isinstance(y, (tuple, list)):
            raise TypeError(f"revolve: step {k} returned a {type(y).__name__}; the step must return the new "
                            "state as one array")
        shape = np.shape(value(y))
        if shape != self.shape:
            raise ValueError(f"revolve: step {k} changed the state's shape from {self.shape} to {shape}; "
                             "revolve reverses a chain of equal steps, each mapping a state to a state of the "
                             "same shape (use checkpoint_sequential for steps that change it)")
        if self.fingerprints is not None:
            self.fingerprints.check(y, k + 1)
        return y

    def advance(self, x, start, end):
        for k in range(start, end):
            x = self.one(x, k)
            if self.forward:
                x = _result(x, self.floor, "revolve")
        return x


def _revolve_impl(*args, fn, steps, schedule, floor, state):
    """The forward pass: the schedule's first sweep (snapshots kept), then the last step, recorded."""
    if type(_top(args)) is Tensor:  # a lower Tensor level records its own revolve node
        return _REVOLVE(*args, fn=fn, steps=steps, schedule=schedule, floor=floor, state=state)
    x, extra = args[0], args[1:]
    state.fingerprints = Fingerprints(x, steps)
    chain = _Chain(fn, extra, np.shape(value(x)), floor, state.fingerprints, forward=True)
    state.fingerprints.check(x, 0)
    snaps, hand = {}, x
    for a in schedule.actions[:schedule.first_reverse]:  # only snapshots and advances before it
        if a.kind == "snapshot":
            snaps[a.start] = hand
        else:
            hand = chain.advance(hand, a.start, a.end)
    # The last step is the first reversed: record it now, so the backward pass starts with its tape.
    level = new_level()
    leaves = [_leaf(v, level) if _wants_leaf(v) else v for v in (hand, *extra)]
    out = chain.one(leaves[0], steps - 1, extra=leaves[1:])
    state.forward = ForwardPass(snaps, level, leaves, out)
    return _result(out.data if type(out) is Tensor and out._level == level else out, floor, "revolve")


def _revolve_vjp(g, ans, args, params, needed):
    """The rest of the schedule: restores, advances, snapshots and one recorded sweep per step."""
    fn, schedule, state = params["fn"], params["schedule"], params["state"]
    x, extra = args[0], args[1:]
    chain = _Chain(fn, extra, np.shape(value(x)), params["floor"], state.fingerprints)
    wanted = [i for i, need in enumerate(needed[1:]) if need]  # the extra arguments that want cotangents
    extra_cts = [None] * len(extra)
    # The first backward takes over the forward pass's snapshots and last-step tape, so that they are
    # freed as the schedule goes; a later backward (retain_graph=True) starts again from x_0.
    forward, state.forward = state.forward, None
    if forward is not None and not any(isinstance(a, Traced) for a in args):
        # Plain inputs: continue from the forward pass's snapshots and its tape of the last step.
        snaps, level, leaves, out = forward.snapshots, forward.level, forward.leaves, forward.out
        targets = [leaves[0]] + [leaves[1 + i] for i in wanted]
        found = _sweep_private(out, g, targets, level)
        hand, start = None, schedule.first_reverse + 1
        g = found[0]
        for i, ct in zip(wanted, found[1:]):
            extra_cts[i] = _add(extra_cts[i], ct)
    else:
        # Traced inputs (create_graph, nested transforms): the whole schedule again on the traced values,
        # so that every recomputation is recorded at the levels below.
        snaps, hand, start = {}, x, 0
    for a in schedule.actions[start:]:
        if g is None:  # the cotangent vanished: the earlier steps contribute nothing
            break
        if a.kind == "snapshot":
            snaps[a.start] = hand
        elif a.kind == "restore":
            hand = snaps[a.start]
        elif a.kind == "free":
            del snaps[a.start]
        elif a.kind == "advance":
            hand = chain.advance(hand, a.start, a.end)
        else:  # reverse step a.start from the state in hand
            level = new_level()
            state = _leaf(hand, level)
            step_extra = [_leaf(v, level) if i in wanted else v for i, v in enumerate(extra)]
            out = chain.one(state, a.start, extra=step_extra)
            found = _sweep_private(out, g, [state] + [step_extra[i] for i in wanted], level)
            g, hand = found[0], None
            for i, ct in zip(wanted, found[1:]):
                extra_cts[i] = _add(extra_cts[i], ct)
    return (g if needed[0] else None, *(ct if need else None for ct, need in zip(extra_cts, needed[1:])))


def _revolve_jvp(tangents, ans, args, params):
    """Forward mode along the chain (reached only if a Dual is handed to the primitive directly)."""
    level = new_level()
    x, *extra = [a if t is None else Dual._make(a, t, level) for a, t in zip(args, tangents)]
    for _ in range(params["steps"]):
        x = params["fn"](x, *extra)
    return x._tangent if type(x) is Dual and x._level == level else None


_REVOLVE = Primitive("revolve", _revolve_impl, variadic=True, short="Revolve", registered=False,
                     impl_takes_traced=True)
defjoint(_REVOLVE, jvp=_revolve_jvp, vjp=_revolve_vjp, saves=("args",))


def revolve(step, x, steps, snapshots, *, args=()):
    """``step`` applied ``steps`` times to ``x``, reversed by binomial checkpointing with ``snapshots`` slots.

    ``step(x, *args)`` maps a state to the next state of the same shape; ``args`` are extra arrays
    every step reads (weights, parameters), differentiated too. The forward pass keeps at most
    ``snapshots`` states (the input among them) and the tape of the last step; the backward pass
    follows `revolve_schedule`, recomputing the fewest steps possible with that memory:
    `revolve_recomputations` of them, each step is recorded exactly once. With Duals or plain
    arrays (no tape) the steps simply run. The step must be deterministic and must not write into its
    input (both are checked: a recomputed state that differs from the forward pass's raises).

    >>> import numpy as np, admodes as ad, admodes.numpy as anp
    >>> f = lambda x: anp.sum(revolve(anp.sin, x, steps=10, snapshots=3))
    >>> x = np.array([0.5, 1.0])
    >>> plain = ad.grad(lambda x: anp.sum(revolve(anp.sin, x, 10, 10)))(x)
    >>> np.allclose(ad.grad(f)(x), plain)
    True
    """
    if not callable(step):
        raise TypeError(f"revolve: step must be callable, got {type(step).__name__}")
    steps = check_int(steps, "steps", "revolve", 1)
    snapshots = check_int(snapshots, "snapshots", "revolve", 1, steps, "the number of steps L")
    if not isinstance(args, (tuple, list)):
        raise TypeError(f"revolve: args must be a tuple of extra arguments for the step, got {type(args).__name__}")
    values = (x, *args)
    if type(_top(values)) is not Tensor:  # no tape to save memory on: plain arrays or forward mode
        chain = _Chain(step, tuple(args), np.shape(value(x)), None, None)
        for k in range(steps):
            x = chain.one(x, k)
        return x
    return _REVOLVE(*values, fn=step, steps=steps, schedule=schedule_for(steps, snapshots), floor=_floor(values),
                    state=RevolveState())


_schedules: dict = {}
