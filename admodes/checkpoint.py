"""Checkpointing: trading time for memory in reverse mode.

Reverse mode keeps on its tape every value the backward sweep will read, so its memory grows with
the length of the computation. Checkpointing keeps fewer values and recomputes the others when the
backward sweep needs them. Three ways, from the simplest to the optimal one:

- `checkpoint(f)`: ``f``'s intermediates are not kept; the tape holds one node that keeps ``f``'s
  inputs, and its backward runs ``f`` again with recording, then sweeps that short tape.
- `checkpoint_sequential(steps, x, segments)`: a chain of L steps cut into segments (sqrt(L) by
  default), each checkpointed: O(sqrt(L)) values kept for about one extra forward sweep.
- `revolve(step, x, steps, snapshots)`: binomial checkpointing of L equal steps with s snapshots
  (Griewank and Walther, "Algorithm 799: revolve"): the schedule that reverses the chain with the
  fewest recomputed steps, r*L - C(s + r, s + 1) with r the smallest integer such that C(s + r, s) >= L.

    >>> import numpy as np, admodes as ad, admodes.numpy as anp
    >>> block = checkpoint(lambda x: anp.sin(anp.sin(x)))
    >>> x = np.array([0.1, 0.2])
    >>> np.allclose(ad.grad(lambda x: anp.sum(block(x)))(x), np.cos(np.sin(x)) * np.cos(x))
    True
    >>> revolve_recomputations(steps=10, snapshots=2)   # r = 3: 3*10 - C(5, 3)
    20

How it fits the engines: a checkpointed call is one primitive (like a custom `Function`) whose forward
runs the user's code on plain arrays, so nothing is recorded, and whose VJP rule recomputes. The rule
is written with the engines themselves (a fresh level records the recomputation, `_sweep` sweeps it),
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

from .arraylike import value
from .forward import Dual, _returned
from .ops.core import Primitive, Traced, defjoint, new_level
from .reverse import Tensor, _sweep, is_grad_enabled

__all__ = [
    "checkpoint", "checkpoint_sequential", "revolve", "revolve_schedule", "revolve_recomputations",
    "repetition_number", "Schedule", "Action",
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
    out = _returned(out, who, "the function")
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
    new, old = np.asarray(value(new)), np.asarray(value(old))
    if new.shape != old.shape:
        return False
    if new.dtype.kind != "f" or old.dtype.kind != "f":
        return np.array_equal(new, old)
    tol = math.sqrt(np.finfo(old.dtype).eps)
    finite = np.abs(old[np.isfinite(old)])
    scale = float(finite.max()) if finite.size else 1.0
    return bool(np.allclose(new, old, rtol=tol, atol=tol * scale, equal_nan=True))


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
    return isinstance(x, (np.ndarray, np.generic, Traced)) and np.result_type(value(x)).kind == "f"


def _sweep_private(out, g, leaves, level, retain=False):
    """Sweep the private tape from ``out`` (seeded with ``g``) to ``leaves``: their cotangents, stripped.

    The sweep keeps the grad mode of the sweep calling it (``create_graph`` when that one records),
    so a backward that is itself differentiated sees through the recomputation.
    """
    if not (type(out) is Tensor and out._level == level and out._requires_grad):
        return [None] * len(leaves)  # the result does not depend on the leaves
    found = _sweep([out], [g], list(leaves), retain, is_grad_enabled(), accumulate=False)
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


def _check_int(value_, name, who, low, high, high_name):
    if isinstance(value_, bool) or not isinstance(value_, (int, np.integer)):
        raise TypeError(f"{who}: {name} must be an int, got {type(value_).__name__} {value_!r}")
    if value_ < low:
        raise ValueError(f"{who}: {name} must be at least {low}, got {value_}")
    if high is not None and value_ > high:
        raise ValueError(f"{who}: {name} must be at most {high_name} = {high}, got {value_}")
    return int(value_)


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
    On plain arrays and Duals, ``f`` simply runs. ``f`` returns one array; its array arguments are
    passed read-only (see the module's notes on what ``f`` must respect). ``preserve_rng_state``
    saves NumPy's global random state so that the recomputation draws the same numbers.

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
        if type(_top(args)) is not Tensor:  # no tape to save memory on: plain arrays or forward mode
            return fn(*args)
        rng = np.random.get_state() if preserve_rng_state else None
        return _CHECKPOINT(*args, fn=fn, rng=rng, floor=_floor(args))

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
            x = _returned(step(x, *args), who, f"step {first + k}")
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
    segments = _check_int(segments, "segments", who, 1, length, "the number of steps L")
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
# Binomial checkpointing: the schedule
# ----------------------------------------------------------------------------------------------------

def repetition_number(steps, snapshots):
    """The smallest r with C(s + r, s) >= L: each step is evaluated at most r times.

    C(s + r, s) is the longest chain that s snapshots reverse with r repetitions (Griewank and Walther).

    >>> repetition_number(10, 2), repetition_number(10, 9), repetition_number(1, 1)
    (3, 1, 0)
    """
    who = "repetition_number"
    steps = _check_int(steps, "steps", who, 1, None, "")
    snapshots = _check_int(snapshots, "snapshots", who, 1, None, "")
    # C(s + r, s) grows with r: double r until it reaches L, then bisect (r = L - 1 for one snapshot, so
    # counting r up one at a time took a billion binomials for L = 10^9).
    low, high = -1, 0  # C(s + low, s) < L (with C(s - 1, s) = 0) and C(s + high, s) is to be tried
    while math.comb(snapshots + high, snapshots) < steps:
        low, high = high, 2 * high + 1
    while high - low > 1:
        middle = (low + high) // 2
        if math.comb(snapshots + middle, snapshots) < steps:
            low = middle
        else:
            high = middle
    return high


def revolve_recomputations(steps, snapshots):
    """The fewest forward steps that reverse a chain of L steps with s snapshots: r*L - C(s + r, s + 1).

    These are the step evaluations done without recording, on top of the L recorded ones that plain
    reverse mode also does: the extra work of binomial checkpointing (Griewank and Walther,
    "Algorithm 799: revolve"). One snapshot means L(L - 1)/2; L - 1 snapshots or more, L - 1.

    >>> revolve_recomputations(10, 1), revolve_recomputations(10, 2), revolve_recomputations(10, 9)
    (45, 20, 9)
    """
    r = repetition_number(steps, snapshots)
    return r * steps - math.comb(snapshots + r, snapshots + 1)


@dataclass(frozen=True)
class Action:
    """One action of a checkpointing schedule, on the states x_0 ... x_L of the chain.

    ============  ==============================================================
    kind          meaning
    ============  ==============================================================
    ``snapshot``  keep the state in hand, x_start, in a free snapshot slot
    ``advance``   compute x_end from x_start without recording (end - start steps)
    ``reverse``   record step ``start`` from x_start and sweep it: the cotangent of
                  x_(start+1) becomes that of x_start
    ``restore``   take x_start from its snapshot as the state in hand
    ``free``      release the snapshot of x_start
    ============  ==============================================================

    >>> Action("advance", 0, 3)
    advance x0 -> x3
    """

    kind: str
    start: int
    end: int | None = None

    def __repr__(self):
        if self.kind == "advance":
            return f"advance x{self.start} -> x{self.end}"
        if self.kind == "reverse":
            return f"reverse step {self.start} (x{self.start} -> x{self.start + 1})"
        return f"{self.kind} x{self.start}"


@dataclass(frozen=True)
class Schedule:
    """A plan that reverses a chain of ``steps`` equal steps with at most ``snapshots`` stored states.

    ``actions`` lists `Action` objects; ``recomputations`` counts the steps they evaluate without
    recording (the ``advance`` actions), which for `revolve_schedule` equals the closed form
    `revolve_recomputations`. Printing a schedule gives the table a teacher can walk through.

    >>> s = revolve_schedule(4, 2)
    >>> s.recomputations, s.peak_snapshots
    (4, 2)
    >>> print(s)   # doctest: +NORMALIZE_WHITESPACE
    revolve: L = 4 steps, s = 2 snapshots, r = 2, 4 recomputed steps (closed form 4)
      1  snapshot x0                   held: x0
      2  advance x0 -> x2              held: x0
      3  snapshot x2                   held: x0 x2
      4  advance x2 -> x3              held: x0 x2
      5  reverse step 3 (x3 -> x4)     held: x0 x2
      6  restore x2                    held: x0 x2
      7  reverse step 2 (x2 -> x3)     held: x0 x2
      8  free x2                       held: x0
      9  restore x0                    held: x0
     10  advance x0 -> x1              held: x0
     11  reverse step 1 (x1 -> x2)     held: x0
     12  restore x0                    held: x0
     13  reverse step 0 (x0 -> x1)     held: x0
    """

    steps: int
    snapshots: int
    actions: tuple[Action, ...]

    @property
    def recomputations(self):
        """Steps evaluated without recording: the sum of the ``advance`` lengths."""
        return sum(a.end - a.start for a in self.actions if a.kind == "advance")

    @property
    def peak_snapshots(self):
        """The most states held in snapshots at once."""
        held = peak = 0
        for a in self.actions:
            held += {"snapshot": 1, "free": -1}.get(a.kind, 0)
            peak = max(peak, held)
        return peak

    @property
    def first_reverse(self):
        """The index of the first ``reverse`` action: the actions before it are the forward pass."""
        return next(i for i, a in enumerate(self.actions) if a.kind == "reverse")

    def __str__(self):
        r = repetition_number(self.steps, self.snapshots)
        lines = [f"revolve: L = {self.steps} steps, s = {self.snapshots} snapshots, r = {r}, "
                 f"{self.recomputations} recomputed steps (closed form "
                 f"{revolve_recomputations(self.steps, self.snapshots)})"]
        held = []
        for k, a in enumerate(self.actions, 1):
            if a.kind == "snapshot":
                held.append(a.start)
            elif a.kind == "free":
                held.remove(a.start)
            lines.append(f"{k:3d}  {a!r:<28}  held: " + " ".join(f"x{i}" for i in sorted(held)))
        return "\n".join(lines)


def _split(length, snapshots):
    """Where to take the next snapshot when reversing ``length`` steps with ``snapshots`` (>= 2) slots.

    The first ``m`` steps are then reversed with the same slots after being advanced over once, the
    other ``length - m`` with one slot fewer. With r = `repetition_number`, the cost
    m + t(length - m, s - 1) + t(m, s) is smallest exactly for
    max(C(s+r-2, s), L - C(s+r-1, s-1)) <= m <= min(C(s+r-1, s), L - C(s+r-2, s-1));
    we take the largest such m (the test checks the total against the closed form).
    """
    r = repetition_number(length, snapshots)
    if r <= 1:
        return 1
    return min(math.comb(snapshots + r - 1, snapshots), length - math.comb(snapshots + r - 2, snapshots - 1))


def revolve_schedule(steps, snapshots):
    """The binomial checkpointing schedule for a chain of ``steps`` equal steps with ``snapshots`` slots.

    The input x_0 occupies the first slot. To reverse steps a .. b-1 with x_a stored and k slots: one
    step is reversed at once; with one slot, each step i (last first) is reached by advancing from
    x_a; otherwise advance to the optimal split m, store x_m, reverse m .. b-1 with k - 1 slots, free
    x_m and reverse a .. m-1 with k slots. Its ``recomputations`` equal `revolve_recomputations`.

    >>> [a.kind for a in revolve_schedule(2, 1).actions]
    ['snapshot', 'advance', 'reverse', 'restore', 'reverse']
    """
    who = "revolve_schedule"
    steps = _check_int(steps, "steps", who, 1, None, "")
    snapshots = _check_int(snapshots, "snapshots", who, 1, steps, "the number of steps L")
    actions = [Action("snapshot", 0)]
    hand = 0  # the index of the state in hand (None once a reverse consumed it)
    todo = [(0, steps, snapshots)]  # (a, b, k): reverse steps a .. b-1, x_a stored, k slots; or ("free", i)
    while todo:
        task = todo.pop()
        if task[0] == "free":
            actions.append(Action("free", task[1]))
            continue
        a, b, k = task
        if b - a > 1 and k > 1:
            m = a + _split(b - a, k)
            if hand != a:
                actions.append(Action("restore", a))
            actions.append(Action("advance", a, m))
            hand = m
            if b - m == 1:  # the last step is reversed straight from the state in hand: no slot needed
                todo += [(a, m, k), (m, b, k - 1)]
            else:
                actions.append(Action("snapshot", m))
                todo += [(a, m, k), ("free", m), (m, b, k - 1)]  # a stack: the right part goes first
            continue
        for i in range(b - 1, a - 1, -1):  # one slot (or one step): reach each step from x_a
            if hand != a:
                actions.append(Action("restore", a))
            if i > a:
                actions.append(Action("advance", a, i))
            actions.append(Action("reverse", i))
            hand = None
    return Schedule(steps, snapshots, tuple(actions))


# ----------------------------------------------------------------------------------------------------
# Binomial checkpointing: running the schedule on the tape
# ----------------------------------------------------------------------------------------------------

_SAMPLES = 4  # elements of each state remembered to check that recomputations repeat the forward pass


def _sample_index(size):
    n = min(size, _SAMPLES)  # n points spread evenly over the elements, the first and the last among them
    return np.array(sorted({round(k * (size - 1) / max(n - 1, 1)) for k in range(n)}), dtype=np.intp)


def _fingerprint(x, index):
    return np.asarray(value(x)).reshape(-1)[index].astype(np.float64)


class _Chain:
    """Running ``step`` over the states of one `revolve` call, checking every state it produces.

    ``record`` holds a few sampled elements of each state x_k from the forward pass; a recomputed
    state must match them (None: nothing to check). In the ``forward`` pass, results are also checked
    against closed-over Tensors (see `_result`).
    """

    def __init__(self, step, extra, shape, floor, record, forward=False):
        self.step, self.extra, self.shape, self.floor, self.record = step, extra, shape, floor, record
        self.forward = forward

    def one(self, x, k, extra=None):
        """x_(k+1) = step(x_k), checked: one array, of x_k's shape, and the forward pass's value."""
        y = _returned(_call_user(self.step, (x, *(self.extra if extra is None else extra)), "revolve"), "revolve",
                      f"step {k}")
        if isinstance(y, (tuple, list)):
            raise TypeError(f"revolve: step {k} returned a {type(y).__name__}; the step must return the new "
                            "state as one array")
        shape = np.shape(value(y))
        if shape != self.shape:
            raise ValueError(f"revolve: step {k} changed the state's shape from {self.shape} to {shape}; "
                             "revolve reverses a chain of equal steps, each mapping a state to a state of the "
                             "same shape (use checkpoint_sequential for steps that change it)")
        self.check(y, k + 1)
        return y

    def advance(self, x, start, end):
        for k in range(start, end):
            x = self.one(x, k)
            if self.forward:
                x = _result(x, self.floor, "revolve")
        return x

    def check(self, y, k):
        """Remember x_k's sampled elements the first time; compare with them afterwards."""
        record = self.record
        if record is None:
            return
        sample = _fingerprint(y, record["index"])
        if not record["known"][k]:
            record["prints"][k] = sample
            record["known"][k] = True
        elif not _close(sample, record["prints"][k]):
            raise RuntimeError(
                f"revolve: recomputing state x{k} gave a different value than in the forward pass, so the "
                "gradient would be wrong. The step must compute the same thing every time it is called: no "
                "random draws or changing state inside it (pass such values in through args=)")


def _revolve_impl(*args, fn, steps, schedule, floor, record):
    """The forward pass: the schedule's first sweep (snapshots kept), then the last step, recorded."""
    if type(_top(args)) is Tensor:  # a lower Tensor level records its own revolve node
        return _REVOLVE(*args, fn=fn, steps=steps, schedule=schedule, floor=floor, record=record)
    x, extra = args[0], args[1:]
    shape = np.shape(value(x))
    record["index"] = _sample_index(int(np.prod(shape)))
    record["prints"] = np.empty((steps + 1, len(record["index"])))
    record["known"] = np.zeros(steps + 1, bool)
    chain = _Chain(fn, extra, shape, floor, record, forward=True)
    chain.check(x, 0)
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
    record["forward"] = (snaps, level, leaves, out)
    return _result(out.data if type(out) is Tensor and out._level == level else out, floor, "revolve")


def _revolve_vjp(g, ans, args, params, needed):
    """The rest of the schedule: restores, advances, snapshots and one recorded sweep per step."""
    fn, schedule, record = params["fn"], params["schedule"], params["record"]
    x, extra = args[0], args[1:]
    chain = _Chain(fn, extra, np.shape(value(x)), params["floor"], record)
    wanted = [i for i, need in enumerate(needed[1:]) if need]  # the extra arguments that want cotangents
    extra_cts = [None] * len(extra)
    # The first backward takes over the forward pass's snapshots and last-step tape, so that they are
    # freed as the schedule goes; a later backward (retain_graph=True) starts again from x_0.
    forward = record.pop("forward", None)
    if forward is not None and not any(isinstance(a, Traced) for a in args):
        # Plain inputs: continue from the forward pass's snapshots and its tape of the last step.
        snaps, level, leaves, out = forward
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
    steps = _check_int(steps, "steps", "revolve", 1, None, "")
    snapshots = _check_int(snapshots, "snapshots", "revolve", 1, steps, "the number of steps L")
    if not isinstance(args, (tuple, list)):
        raise TypeError(f"revolve: args must be a tuple of extra arguments for the step, got {type(args).__name__}")
    values = (x, *args)
    if type(_top(values)) is not Tensor:  # no tape to save memory on: plain arrays or forward mode
        chain = _Chain(step, tuple(args), np.shape(value(x)), None, None)
        for k in range(steps):
            x = chain.one(x, k)
        return x
    return _REVOLVE(*values, fn=step, steps=steps, schedule=_schedule(steps, snapshots), floor=_floor(values),
                    record={})


_schedules: dict = {}


def _schedule(steps, snapshots):
    """`revolve_schedule`, kept for the last few (L, s) asked for (a chain is usually reversed many times)."""
    key = (steps, snapshots)
    if key not in _schedules:
        if len(_schedules) > 32:
            _schedules.clear()
        _schedules[key] = revolve_schedule(steps, snapshots)
    return _schedules[key]
