"""The textbook complexity claims of forward and reverse mode, measured and judged.

    python experiments/scaling.py                    # every claim, full sizes -> reports/scaling/
    python experiments/scaling.py --quick            # small sizes, under a minute
    python experiments/scaling.py --claims C1,C5 --repeats 7 --seed 1 --out /tmp/scaling

This file only declares the experiments; `admodes.measure` measures, fits, judges and writes the
report. Each experiment is a function factory, a sweep, the tasks to measure and the checks that
decide the verdict.

To add a claim (C9, say): write one module, ``experiments/claim_c9_sparse.py``, that defines
``EXPERIMENT = Experiment(id="C9", ...)`` (a factory ``build(*point, rng) -> (f, x)``, the sweeps, the tasks
and the checks: ``Check(task, metric, expected=1)`` for "O(n)", ``expected=0`` for "independent of n"), and
add its name to ``CLAIM_MODULES`` below: one line. The report, the figures, ``--claims C9`` and the test that
every claim gets a verdict from ``--quick`` (tests/test_scaling.py) pick it up from there.
"""

import sys
from pathlib import Path

import numpy as np

import admodes.numpy as anp
from admodes.checkpoint import checkpoint_sequential, revolve, revolve_recomputations
from admodes.measure import Check, Crossover, Exact, Experiment, Frontier, PerUnit, Quote, main

N = 10_000
"""Elements of every array in the chains: large enough that NumPy's work, not Python's, sets the cost."""

# ---- function factories: (sweep values, rng) -> (f, x) ---------------------------------------------


def sin_chain(L, rng, size=N):
    """f(x) = sum(sin(sin(...sin(x)))), L sins on an array of ``size`` doubles: L + 1 primitive ops.

    >>> f, x = sin_chain(3, np.random.default_rng(0), size=4)
    >>> bool(np.isclose(f(x), np.sum(np.sin(np.sin(np.sin(x))))))
    True
    """
    def f(x):
        for _ in range(L):
            x = anp.sin(x)
        return anp.sum(x)
    return f, rng.uniform(-1.0, 1.0, size)


def gradient_of_p_inputs(p, rng, length=16):
    """f: R^p -> R, a chain of ``length`` elementwise ops on the p inputs, then a sum.

    >>> gradient_of_p_inputs(7, np.random.default_rng(0))[1].shape
    (7,)
    """
    return sin_chain(length, rng, size=p)


def constant_branch(B, rng, length=64, size=N):
    """f(x) = sum(chain(x)) + sum(branch(c)): the branch of B ops starts from a constant array c.

    >>> f, x = constant_branch(2, np.random.default_rng(0), length=1, size=3)
    >>> x.shape, np.ndim(f(x))
    ((3,), 0)
    """
    c = rng.uniform(-1.0, 1.0, size)

    def f(x):
        for _ in range(length):
            x = anp.sin(x)
        branch = c
        for _ in range(B):
            branch = anp.sin(branch)
        return anp.sum(x) + anp.sum(branch)
    return f, rng.uniform(-1.0, 1.0, size)


def dead_branch(B, rng, length=64, size=N):
    """f(x) = sum(chain(x)); on the way, a branch of B ops computed from x that never reaches the output
    (a quantity logged for monitoring, say).

    >>> f, x = dead_branch(5, np.random.default_rng(0), length=2, size=3)
    >>> bool(np.isclose(f(x), np.sum(np.sin(np.sin(x)))))
    True
    """
    log = []

    def f(x):
        monitored = x
        for _ in range(B):
            monitored = anp.sin(monitored)
        log[:] = [monitored]  # kept for inspection, never part of the output
        for _ in range(length):
            x = anp.sin(x)
        return anp.sum(x)
    return f, rng.uniform(-1.0, 1.0, size)


def jacobian_p_to_m(p, m, rng, hidden=64, length=8):
    """f: R^p -> R^m, f(x) = W2 sin^length(W1 x) with a hidden layer of fixed width: the same work per sweep.

    >>> f, x = jacobian_p_to_m(3, 5, np.random.default_rng(0))
    >>> x.shape, f(x).shape
    ((3,), (5,))
    """
    w1 = rng.standard_normal((hidden, p)) / np.sqrt(p)
    w2 = rng.standard_normal((m, hidden)) / np.sqrt(hidden)

    def f(x):
        h = anp.matmul(w1, x)
        for _ in range(length):
            h = anp.sin(h)
        return anp.matmul(w2, h)
    return f, rng.standard_normal(p)


def checkpointed_chain(strategy, snapshots=None):
    """A factory of f(x) = sum(sin(...sin(x))), L sins, whose reverse mode uses ``strategy``: "plain" (the
    whole tape), "segments" (checkpoint_sequential with round(sqrt(L)) segments) or "revolve" (binomial
    checkpointing with ``snapshots`` snapshots). The three compute the same f and the same gradient."""
    def build(L, rng, size=N):
        if strategy == "plain":
            return sin_chain(L, rng, size)
        if strategy == "segments":
            f = lambda x: anp.sum(checkpoint_sequential([anp.sin] * L, x))
        else:
            f = lambda x: anp.sum(revolve(anp.sin, x, L, snapshots))
        return f, rng.uniform(-1.0, 1.0, size)
    return build


SNAPSHOTS = (2, 4, 8)
CHECKPOINTING = {"plain reverse": checkpointed_chain("plain"), "sqrt(L) segments": checkpointed_chain("segments"),
                 **{f"revolve, s = {s}": checkpointed_chain("revolve", s) for s in SNAPSHOTS}}


def segment_recomputations(L):
    """Steps checkpoint_sequential evaluates again: all but the last of round(sqrt(L)) segments (sizes
    differ by at most one, the shortest last)."""
    return L - L // max(1, round(L ** 0.5))


# ---- the teaching notes (seed 002), quoted --------------------------------------------------------

FORWARD_COST = Quote("计算复杂度正向是O(n)", "In computational complexity, forward mode is O(n).")
EVERY_SWEEP = Quote("那正向每算一次都是O(n)的计算消耗",
                    "so every single forward computation costs O(n).")
MEMORY = Quote("内存复杂度上来说，正向是O(1)，反向还是O(n)，因为正向在不断构造计算图的过程中就已经求导了，"
               "而反向是要储存中间变量，不能像正向一样删掉",
               "In memory complexity, forward mode is O(1) and reverse mode is still O(n): forward mode has "
               "already taken the derivative while it builds the computational graph, whereas reverse mode "
               "must store the intermediate variables and cannot delete them the way forward mode does.")
REVERSE_ADVANTAGE = Quote("在计算复杂度上，反向我认为有很大的优势",
                          "In computational complexity, I think reverse mode has a great advantage.")
SKIPS = Quote("反向在返回去计算的时候，可以完全不管一些无关的变量，因为和我们要求的导数没关系，肯定是0的，"
              "这样计算的开销就比正向那种所有操作子都得算的O(n)要好很多",
              "When reverse mode goes back through the graph it can completely ignore irrelevant variables, "
              "because they have nothing to do with the derivative we want and are certainly 0, so its cost "
              "is much better than forward mode's O(n), where every operator has to be computed.")
GPU_MEMORY = Quote("上面内存复杂度的差别也导致了，为啥现在深度学习训练要那么夸张的显存",
                   "This difference in memory complexity is also why deep learning training today needs such an "
                   "exaggerated amount of GPU memory.")
EVERY_LAYER = Quote("而且对神经网络来说，我们常常要对每一层都计算梯度，那正向每算一次都是O(n)的计算消耗，"
                    "这样对于一些深一点的神经网络来说计算消耗太恐怖了",
                    "And for neural networks we often need the gradient for every layer; since every forward "
                    "computation costs O(n), for somewhat deeper networks the cost becomes frightening.")

# ---- the experiments ------------------------------------------------------------------------------

CHAIN = (8, 16, 32, 64, 128, 256, 512, 1024, 2048)
CHAIN_QUICK = (4, 8, 16, 32, 64)
CHAIN_SETTING = (f"f(x) = sum(sin(...sin(x))) with L sins on x of {N:,} doubles (so p = {N:,} inputs, m = 1 "
                 "output); the tangent and the cotangent are random.")

EXPERIMENTS = [
    Experiment(
        id="C1", claim="One forward sweep (a JVP) costs O(L)",
        quotes=(FORWARD_COST, EVERY_SWEEP),
        n="L, the number of operations in f; p and m are fixed.",
        setting=CHAIN_SETTING, build=sin_chain, sweep=CHAIN, quick=CHAIN_QUICK, tasks=("f", "jvp"),
        checks=(Check("jvp", "calls", expected=1), Check("jvp/f", "calls", expected=0)),
    ),
    Experiment(
        id="C2", claim="Forward mode needs O(1) extra memory in L", quotes=(MEMORY,),
        n="L, the number of operations in f; memory here is what the call allocates beyond its inputs.",
        setting=CHAIN_SETTING + f" Peak memory is measured during one JVP (forward) and one VJP (reverse, "
                                f"for contrast); one array like x takes {8 * N // 1000} kB.",
        build=sin_chain, sweep=CHAIN, quick=CHAIN_QUICK, tasks=("f", "jvp", "vjp"),
        checks=(Check("jvp", "peak_bytes", expected=0),),
    ),
    Experiment(
        id="C3", claim="Reverse mode needs O(L) memory (the tape)",
        quotes=(MEMORY,),
        n="L, the number of operations in f; the tape keeps what each operation's backward rule needs.",
        setting=CHAIN_SETTING + " Peak memory is measured during one VJP: the forward pass records the tape, "
                                "the backward sweep consumes it. Expected per op: sin's backward rule needs its "
                                "input, one float64 (8 bytes) per element.",
        build=sin_chain, sweep=CHAIN, quick=CHAIN_QUICK, tasks=("f", "record", "vjp"),
        checks=(Check("vjp", "peak_bytes", expected=1), Check("record", "peak_bytes", expected=1),
                PerUnit("vjp", "peak_bytes", per=N, unit="bytes per op per element")),
    ),
    Experiment(
        id="C4", claim="One reverse sweep (a VJP) costs O(L), a small constant times f", quotes=(REVERSE_ADVANTAGE,),
        n="L, the number of operations in f; p and m are fixed.",
        setting=CHAIN_SETTING + " The VJP is the forward pass that records the tape plus the backward sweep.",
        build=sin_chain, sweep=CHAIN, quick=CHAIN_QUICK, tasks=("f", "vjp", "backward"),
        checks=(Check("vjp", "calls", expected=1), Check("vjp/f", "calls", expected=0),
                Check("vjp/f", "seconds", below=5.0,
                      note="This check rests on time (CPU seconds): op counts see primitive calls, not the NumPy "
                           "arithmetic inside the derivative rules, so they cannot weigh the sweeps against f.")),
    ),
    Experiment(
        id="C5", claim="A gradient of f: R^p -> R costs p forward sweeps but one reverse sweep", quotes=(EVERY_LAYER,),
        n="p, the number of inputs of f; L = 17 operations and m = 1 output are fixed.",
        setting="f(x) = sum(sin(...sin(x))) with 16 sins on x of p doubles; gradients by grad(f, mode=...). "
                "Arrays of at most 1,024 doubles are small: an op's time is mostly fixed Python overhead, "
                "so time grows more slowly in p than the work does.",
        variables=("p",), build=gradient_of_p_inputs, sweep=(2, 4, 8, 16, 32, 64, 128, 256, 512, 1024),
        quick=(2, 4, 8, 16, 32), tasks=("f", "grad_forward", "grad_reverse"),
        checks=(Check("grad_forward/f", "calls", expected=1), Check("grad_reverse/f", "calls", expected=0)),
    ),
    Experiment(
        id="C6", claim="The reverse sweep skips work that does not reach the differentiated inputs", quotes=(SKIPS,),
        n="B, the number of operations in a branch of f unrelated to the derivative; the chain from x "
          "to the output (64 ops) is fixed.",
        setting=(f"Two versions, on arrays of {N:,} doubles: a branch of B sins computed from a constant array and "
                 "added to the output (it does not depend on x), and a branch of B sins computed from x that never "
                 "reaches the output. Backward is the backward sweep alone, on a tape recorded beforehand; the JVP "
                 "(forward mode) is shown for contrast."),
        variables=("B",), build={"branch from a constant": constant_branch, "dead branch from x": dead_branch},
        sweep=(4, 16, 64, 256, 1024), quick=(4, 8, 16, 32, 64), tasks=("f", "jvp", "backward"),
        checks=(Check("backward", "calls", expected=0, variant="branch from a constant"),
                Check("backward", "calls", expected=0, variant="dead branch from x"),
                Check("jvp", "calls", expected=1, variant="branch from a constant"),
                Check("jvp", "calls", expected=1, variant="dead branch from x")),
    ),
    Experiment(
        id="C7", claim="A Jacobian of f: R^p -> R^m costs p forward sweeps or m reverse sweeps",
        quotes=(FORWARD_COST, REVERSE_ADVANTAGE),
        n="p, the number of inputs, and m, the number of outputs; the 10 operations of f are fixed.",
        setting="f(x) = W2 sin^8(W1 x) with W1 of shape (64, p) and W2 of shape (m, 64); "
                "Jacobians by jacfwd and jacrev one sweep per direction (batch=False: the textbook claim), and "
                "beside them batched (the default: every direction in one sweep, whose calls do not grow).",
        variables=("p", "m"), build=jacobian_p_to_m,
        sweep=[(p, m) for m in (1, 2, 4, 8, 16, 32, 64, 128) for p in (1, 2, 4, 8, 16, 32, 64, 128)],
        quick=[(p, m) for m in (1, 4, 16) for p in (1, 4, 16)],
        tasks=("f", "jacfwd", "jacrev", "jacfwd_batched", "jacrev_batched"),
        checks=(Check("jacfwd", "calls", expected={"p": 1, "m": 0}),
                Check("jacrev", "calls", expected={"p": 0, "m": 1}),
                Crossover("jacfwd", "jacrev", "calls", along="p", versus="m", factor=3.0),
                *(Check(f"{kind}_batched/f", "calls", below=5.0,
                        note="Batched (the default), one sweep carries every direction: its calls stay under 5 f "
                             "at every p and m (one direction takes a plain sweep, a few calls fewer).")
                  for kind in ("jacfwd", "jacrev"))),
    ),
    Experiment(
        id="C8", claim="Checkpointing trades time for memory: O(L), O(sqrt(L)) or O(s) memory for 0, about L or "
                       "r*L - C(s+r, s+1) recomputed steps", quotes=(MEMORY, GPU_MEMORY),
        n="L, the number of steps in the chain; s, the number of snapshots of binomial checkpointing, is fixed "
          "in each variant.",
        setting=(f"f(x) = sum(sin(...sin(x))) with L sins on x of {N:,} doubles (one state: {8 * N // 1000} kB), "
                 "differentiated by one VJP in five ways: plain reverse mode (every state on the tape); "
                 "checkpoint_sequential with round(sqrt(L)) segments (the state at each segment boundary; each "
                 "segment but the last recomputed once); and revolve, binomial checkpointing (Griewank and "
                 "Walther's Algorithm 799) with s = 2, 4 and 8 snapshots, which recomputes the fewest steps "
                 "possible with s stored states: r*L - C(s+r, s+1), r the smallest integer with C(s+r, s) >= L. "
                 "Each sin is one primitive call, so the VJP's extra calls over plain reverse mode are exactly "
                 "the recomputed steps. Peak memory is that of the whole VJP (forward pass and backward sweep)."),
        build=CHECKPOINTING, sweep=(16, 32, 64, 128, 256, 512, 1024), quick=(16, 32, 64, 128), tasks=("f", "vjp"),
        checks=(Check("vjp", "peak_bytes", expected=1, variant="plain reverse"),
                Check("vjp", "peak_bytes", expected=0.5, variant="sqrt(L) segments"),
                *(Check("vjp", "peak_bytes", expected=0, variant=f"revolve, s = {s}") for s in SNAPSHOTS),
                PerUnit("vjp", "peak_bytes", per=8 * N, unit="states per snapshot",
                        across={f"revolve, s = {s}": s for s in SNAPSHOTS}, expected=1, tolerance=0.25),
                Exact("vjp", "calls", expected=segment_recomputations, formula="L - L // round(sqrt(L))",
                      variant="sqrt(L) segments", baseline="plain reverse"),
                *(Exact("vjp", "calls", expected=lambda L, s=s: revolve_recomputations(L, s),
                        formula=f"r*L - C({s}+r, {s + 1})", variant=f"revolve, s = {s}", baseline="plain reverse")
                  for s in SNAPSHOTS),
                Frontier("vjp")),
    ),
]

# ---- claims declared in their own modules (see the docstring): one line each ---------------------

CLAIM_MODULES = [
    "claim_c9_sparse",
    "claim_c10_taylor",
]


def _claim_module(name):
    """The module ``experiments/<name>.py`` (loaded by path: this file also runs as a script and as a test's
    import, and experiments/ is not a package)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(f"admodes_experiments_{name}", Path(__file__).with_name(f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


EXPERIMENTS += [_claim_module(name).EXPERIMENT for name in CLAIM_MODULES]

if __name__ == "__main__":
    sys.exit(main(EXPERIMENTS, prog="experiments/scaling.py",
                  default_out=Path(__file__).resolve().parent.parent / "reports" / "scaling"))
