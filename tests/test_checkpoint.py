"""Checkpointing in reverse mode: checkpoint, checkpoint_sequential and revolve (admodes/checkpoint.py)."""

import gc
import math
import tracemalloc
from functools import lru_cache

import numpy as np
import pytest

import admodes as ad
import admodes.numpy as anp
from admodes.checkpoint import (
    Action,
    checkpoint,
    checkpoint_sequential,
    repetition_number,
    revolve,
    revolve_recomputations,
    revolve_schedule,
)

N = 10_000  # doubles per array in the memory tests: 80 kB, far above the bookkeeping of a node
ARRAY = 8 * N


def chain(L):
    """x -> sin(sin(...sin(x))), L sins."""
    def f(x):
        for _ in range(L):
            x = anp.sin(x)
        return x
    return f


def mixed(x, w):
    """A function with several kinds of ops, two arguments and broadcasting."""
    h = anp.tanh(x[:, None] * w) + anp.exp(-x[:, None] ** 2)
    return anp.log1p(h * h) @ w


def loss(f):
    return lambda *args: anp.sum(f(*args))


def graph_nodes(t):
    """The names of all nodes reachable from a tensor's grad_fn."""
    seen, todo, names = set(), [t.grad_fn], []
    while todo:
        node = todo.pop()
        if node is None or id(node) in seen or isinstance(node, ad.AccumulateGrad):
            continue
        seen.add(id(node))
        names.append(type(node).__name__)
        todo += [n for n, _ in node.next_functions]
    return names


def traced_bytes(fn):
    """(peak, held) bytes allocated while ``fn`` runs and still held by its result, above the start.

    ``fn`` runs once before, untraced, so that first-use costs (lazy imports, caches) are not counted.
    """
    fn()
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        result = fn()
        held, peak = tracemalloc.get_traced_memory()
        del result
    finally:
        tracemalloc.stop()
    return peak - base, held - base


@pytest.fixture
def rng():
    return np.random.default_rng(0)


# ----------------------------------------------------------------------------------------------------
# checkpoint(f): the same gradients, everywhere
# ----------------------------------------------------------------------------------------------------

def test_gradient_in_grad_equals_the_unwrapped_function(rng):
    x, w = rng.standard_normal(4), rng.standard_normal(3)
    expected = ad.grad(loss(mixed), argnums=(0, 1))(x, w)
    found = ad.grad(loss(checkpoint(mixed)), argnums=(0, 1))(x, w)
    for a, b in zip(found, expected):
        np.testing.assert_allclose(a, b, rtol=1e-14, atol=1e-15)


def test_with_tensors_one_node_keeps_the_inputs_and_backward_matches(rng):
    x0, w0 = rng.standard_normal(4), rng.standard_normal(3)
    x, w = ad.tensor(x0, requires_grad=True), ad.tensor(w0, requires_grad=True)
    y = checkpoint(mixed)(x, w)
    assert graph_nodes(y) == ["CheckpointBackward"]  # nothing of mixed's tape
    assert [type(n).__name__ for n, _ in y.grad_fn.next_functions] == ["AccumulateGrad", "AccumulateGrad"]
    (y * y).sum().backward()
    xr, wr = ad.tensor(x0, requires_grad=True), ad.tensor(w0, requires_grad=True)
    (mixed(xr, wr) ** 2).sum().backward()
    np.testing.assert_allclose(x.grad.data, xr.grad.data, rtol=1e-14)
    np.testing.assert_allclose(w.grad.data, wr.grad.data, rtol=1e-14)


def test_a_second_backward_needs_retain_graph_and_then_accumulates():
    x = ad.tensor([0.3, 0.4], requires_grad=True)
    y = checkpoint(chain(3))(x).sum()
    y.backward(retain_graph=True)
    y.backward()
    once = np.cos(np.sin(np.sin(x.data))) * np.cos(np.sin(x.data)) * np.cos(x.data)
    np.testing.assert_allclose(x.grad.data, 2 * once, rtol=1e-14)
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_checkpoint_inside_checkpoint():
    inner = checkpoint(chain(2))
    outer = checkpoint(lambda x: inner(anp.exp(inner(x))))
    plain = lambda x: chain(2)(anp.exp(chain(2)(x)))
    x = np.array([0.2, -0.7, 1.1])
    np.testing.assert_allclose(ad.grad(loss(outer))(x), ad.grad(loss(plain))(x), rtol=1e-14)
    with ad.count_ops() as counts:
        ad.grad(loss(outer))(x)
    # 4 sins forward; the outer recomputation runs them again (inner checkpoints keep only their
    # inputs), and each inner checkpoint's backward runs its 2 sins once more: 4 + 4 + 4
    assert counts.calls["sin"] == 12


def test_grad_of_grad_hessian_and_hvp_see_through_the_checkpoint(rng):
    f = lambda x: anp.sum(anp.sin(x) * anp.exp(x / 2))
    cf = lambda x: anp.sum(checkpoint(lambda z: anp.sin(z) * anp.exp(z / 2))(x))
    x, v = rng.standard_normal(3), rng.standard_normal(3)
    scalar = np.array(0.4)
    np.testing.assert_allclose(ad.grad(ad.grad(cf))(scalar), ad.grad(ad.grad(f))(scalar), rtol=1e-14)
    np.testing.assert_allclose(ad.hessian(cf)(x), ad.hessian(f)(x), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(ad.hvp(cf, x, v), ad.hvp(f, x, v), rtol=1e-13, atol=1e-15)
    third = lambda g: ad.grad(ad.grad(ad.grad(g)))(scalar)
    np.testing.assert_allclose(third(cf), third(f), rtol=1e-13)


def test_create_graph_with_tensors_gives_second_derivatives():
    x = ad.tensor([0.3, -1.2], requires_grad=True)
    y = checkpoint(lambda z: anp.sin(z) * z)(x).sum()
    (g,) = ad.gradients(y, x, create_graph=True)
    np.testing.assert_allclose(g.data, np.cos(x.data) * x.data + np.sin(x.data), rtol=1e-15)
    assert g.grad_fn is not None
    g.sum().backward()
    np.testing.assert_allclose(x.grad.data, 2 * np.cos(x.data) - x.data * np.sin(x.data), rtol=1e-14)


def test_forward_mode_and_plain_arrays_simply_run_f(rng):
    x, t = rng.standard_normal(4), rng.standard_normal(4)
    w = rng.standard_normal(3)
    np.testing.assert_array_equal(checkpoint(mixed)(x, w), mixed(x, w))
    out, tangent = ad.jvp(lambda x: checkpoint(mixed)(x, w), (x,), (t,))
    expected = ad.jvp(lambda x: mixed(x, w), (x,), (t,))
    np.testing.assert_allclose(out, expected[0], rtol=1e-15)
    np.testing.assert_allclose(tangent, expected[1], rtol=1e-14)


def test_the_primitives_forward_rule_on_a_dual():
    from admodes.checkpoint import _CHECKPOINT
    d = ad.Dual(np.array([0.5, 1.0]), np.array([1.0, 2.0]))
    out = _CHECKPOINT(d, fn=lambda x: anp.exp(x) * 3.0, rng=None, floor=None)
    np.testing.assert_allclose(out.tangent, 3.0 * np.exp([0.5, 1.0]) * [1.0, 2.0], rtol=1e-15)


def test_keyword_and_non_array_arguments_and_constant_inputs(rng):
    x, c = rng.standard_normal(3), rng.standard_normal(3)
    f = lambda x, c, k, power=2.0: anp.sum((x * c + k) ** power)
    g = ad.grad(lambda x: checkpoint(f)(x, c, 0.5, power=3.0))(x)
    np.testing.assert_allclose(g, 3.0 * (x * c + 0.5) ** 2 * c, rtol=1e-14)
    t = ad.tensor(x, requires_grad=True)
    with pytest.raises(TypeError, match="keyword argument 'power'"):
        checkpoint(f)(x, c, 0.5, power=t)


def test_numpys_global_random_state_is_replayed(rng):
    """Dropout-style noise from np.random inside f: the recomputation draws the same numbers."""
    def noisy(x):
        keep = np.random.uniform(size=x.shape) > 0.3
        return anp.where(keep, anp.sin(x), 0.0) * np.random.standard_normal(x.shape)

    x = rng.standard_normal(50)
    np.random.seed(7)
    expected = ad.grad(loss(noisy))(x)
    np.random.seed(7)
    found = ad.grad(loss(checkpoint(noisy)))(x)
    np.testing.assert_allclose(found, expected, rtol=1e-15)
    assert np.count_nonzero(found == 0) > 5  # the mask really dropped entries


# ----------------------------------------------------------------------------------------------------
# checkpoint(f): bad input is an error, never a wrong gradient
# ----------------------------------------------------------------------------------------------------

def test_a_function_that_draws_from_a_generator_is_refused():
    noise = np.random.default_rng(1)
    f = checkpoint(lambda x: x * noise.standard_normal(x.shape))
    with pytest.raises(RuntimeError, match="different result"):
        ad.grad(loss(f))(np.ones(5))
    np.random.seed(0)  # without the saved state, np.random draws new numbers in the recomputation
    with pytest.raises(RuntimeError, match="different result"):
        ad.grad(loss(checkpoint(lambda x: x * np.random.standard_normal(x.shape), preserve_rng_state=False)))(
            np.ones(5))


@pytest.mark.parametrize("write", ["iadd", "setitem", "out"])
def test_writing_into_an_input_is_refused_and_the_input_survives(write):
    def f(x):
        if write == "iadd":
            x += 1.0
        elif write == "setitem":
            x[0] = 0.0
        else:
            np.sin(x, out=x)
        return x * 2.0
    x = np.array([1.0, 2.0])
    with pytest.raises(RuntimeError, match="wrote into one of its input arrays"):
        ad.grad(loss(checkpoint(f)))(x)
    t = ad.tensor(x, requires_grad=True)
    with pytest.raises(RuntimeError, match="must not modify"):
        checkpoint(f)(t)
    assert x.tolist() == [1.0, 2.0] and t.data.tolist() == [1.0, 2.0]


def test_an_input_modified_in_place_after_the_forward_pass_is_an_error():
    x = ad.tensor([0.5, 1.5], requires_grad=True)
    h = x * 2.0
    y = checkpoint(chain(2))(h).sum()
    h += 1.0  # the checkpoint recomputes from h: its saved version no longer matches
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.backward()


def test_a_closed_over_parameter_must_be_passed_in():
    w = ad.tensor([2.0, 3.0], requires_grad=True)
    x = ad.tensor([0.5, 0.1], requires_grad=True)
    with pytest.raises(RuntimeError, match="not an argument of the checkpointed function"):
        checkpoint(lambda x: anp.sin(x * w))(x)
    checkpoint(lambda x, w: anp.sin(x * w))(x, w).sum().backward()
    np.testing.assert_allclose(w.grad.data, np.cos([1.0, 0.3]) * [0.5, 0.1], rtol=1e-15)
    constant = ad.tensor([2.0, 3.0])  # requires no grad: closing over it is fine
    x.grad = None
    checkpoint(lambda x: anp.sin(x * constant))(x).sum().backward()
    np.testing.assert_allclose(x.grad.data, np.cos([1.0, 0.3]) * [2.0, 3.0], rtol=1e-15)


def test_closing_over_an_enclosing_transforms_value_is_fine():
    x0, w0 = np.array([0.3, 0.8]), np.array(1.5)

    def outer(w, wrap):
        inner = lambda x: anp.sum(anp.sin(x * w) * w)  # w belongs to the outer grad
        return anp.sum(ad.grad(lambda x: wrap(inner)(x))(x0))

    found = ad.grad(lambda w: outer(w, checkpoint))(w0)
    expected = ad.grad(lambda w: outer(w, lambda f: f))(w0)
    np.testing.assert_allclose(found, expected, rtol=1e-14)


def test_other_bad_input():
    with pytest.raises(TypeError, match="f must be callable"):
        checkpoint(3)
    x = ad.tensor([1.0], requires_grad=True)
    with pytest.raises(TypeError, match=r"checkpoint: f \(at its output\[1\]\) must return a real array, but it "
                                        "returned a str"):
        checkpoint(lambda x: (x, "x"))(x)


# ----------------------------------------------------------------------------------------------------
# The trade, measured: memory with tracemalloc, recomputation with op counts
# ----------------------------------------------------------------------------------------------------

def test_the_tape_of_a_checkpointed_chain_keeps_its_input_only(rng):
    L = 48
    x = ad.tensor(rng.uniform(-1, 1, N), requires_grad=True)
    _, plain_held = traced_bytes(lambda: chain(L)(x))
    peak, held = traced_bytes(lambda: checkpoint(chain(L))(x))
    assert plain_held > (L - 1) * ARRAY                     # every intermediate is on the tape
    assert held < 1.5 * ARRAY and peak < 2.5 * ARRAY      # the output only; x is the user's


def test_peak_memory_of_a_long_chain_plain_segments_revolve(rng):
    L = 64
    x = rng.uniform(-1, 1, N)
    plain, _ = traced_bytes(lambda: ad.grad(loss(chain(L)))(x))
    one, _ = traced_bytes(lambda: ad.grad(loss(checkpoint(chain(L))))(x))
    segments, _ = traced_bytes(lambda: ad.grad(loss(lambda x: checkpoint_sequential([anp.sin] * L, x)))(x))
    binomial, _ = traced_bytes(lambda: ad.grad(loss(lambda x: revolve(anp.sin, x, L, 4)))(x))
    assert plain > L * ARRAY
    assert one > L * ARRAY  # one checkpoint of everything: the recomputation records the whole chain again
    assert segments < 4 * math.sqrt(L) * ARRAY  # 8 segment inputs, one segment's tape, cotangents
    assert binomial < (4 + 8) * ARRAY           # 4 snapshots, one step's tape and its cotangents


def test_a_checkpoint_costs_one_more_run_of_f(rng):
    x = rng.standard_normal(5)
    for L in (1, 7, 30):
        with ad.count_ops() as counts:
            ad.grad(loss(checkpoint(chain(L))))(x)
        assert counts.calls["sin"] == 2 * L and counts.calls["cos"] == L


@pytest.mark.parametrize("L, segments", [(16, None), (16, 1), (16, 16), (10, 3), (50, None), (7, 2)])
def test_sequential_costs_about_one_extra_forward_sweep(L, segments, rng):
    x = rng.standard_normal(5)
    with ad.count_ops() as counts:
        ad.grad(loss(lambda x: checkpoint_sequential([anp.sin] * L, x, segments)))(x)
    k = round(math.sqrt(L)) if segments is None else segments
    last = L // k  # the shortest runs come last; the last one is not checkpointed
    assert counts.calls["sin"] == L + (L - last)


# ----------------------------------------------------------------------------------------------------
# checkpoint_sequential
# ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("L, segments, nodes", [(16, None, 3), (50, None, 6), (9, 1, 0), (9, 9, 8)])
def test_sequential_records_one_node_per_checkpointed_segment(L, segments, nodes):
    x = ad.tensor(np.linspace(0, 1, 4), requires_grad=True)
    y = checkpoint_sequential([anp.sin] * L, x, segments)
    names = graph_nodes(y)
    assert names.count("CheckpointBackward") == nodes
    assert names.count("SinBackward") == L - sum(_sizes(L, segments)[:-1])


def _sizes(L, segments):
    k = round(math.sqrt(L)) if segments is None else segments
    return [L // k + (1 if i < L % k else 0) for i in range(k)]


@pytest.mark.parametrize("segments", [1, 2, 3, 5, 12])
def test_sequential_gradients_with_shared_weights_equal_plain_reverse(segments, rng):
    w, b = rng.standard_normal((4, 4)) / 2, rng.standard_normal(4)
    step = lambda h, w, b: anp.tanh(h @ w + b)
    x = rng.standard_normal(4)
    plain = lambda x, w, b: anp.sum(chain_of(step, 12, x, w, b))
    cp = lambda x, w, b: anp.sum(checkpoint_sequential([step] * 12, x, segments, args=(w, b)))
    for found, expected in zip(ad.grad(cp, argnums=(0, 1, 2))(x, w, b), ad.grad(plain, argnums=(0, 1, 2))(x, w, b)):
        np.testing.assert_allclose(found, expected, rtol=1e-13, atol=1e-15)


def chain_of(step, L, x, *args):
    for _ in range(L):
        x = step(x, *args)
    return x


def test_sequential_steps_may_change_the_shape(rng):
    weights = [rng.standard_normal((n, m)) / 2 for n, m in [(3, 5), (5, 2), (2, 4), (4, 1)]]
    steps = [lambda h, w=w: anp.sin(h @ w) for w in weights]
    x = rng.standard_normal(3)
    plain = ad.grad(lambda x: anp.sum(chain_of_steps(steps, x)))(x)
    found = ad.grad(lambda x: anp.sum(checkpoint_sequential(steps, x, 3)))(x)
    np.testing.assert_allclose(found, plain, rtol=1e-14)


def chain_of_steps(steps, x):
    for step in steps:
        x = step(x)
    return x


def test_sequential_with_tensors_and_backward(rng):
    x0 = rng.standard_normal(6)
    x = ad.tensor(x0, requires_grad=True)
    (checkpoint_sequential([anp.sin, anp.exp, anp.tanh, anp.sin], x) ** 2).sum().backward()
    xr = ad.tensor(x0, requires_grad=True)
    (chain_of_steps([anp.sin, anp.exp, anp.tanh, anp.sin], xr) ** 2).sum().backward()
    np.testing.assert_allclose(x.grad.data, xr.grad.data, rtol=1e-14)


@pytest.mark.parametrize("segments, error, match", [
    (0, ValueError, "segments must be at least 1, got 0"),
    (-2, ValueError, "segments must be at least 1"),
    (5, ValueError, "segments must be at most the number of steps L = 4, got 5"),
    (2.0, TypeError, "segments must be an int"),
    (True, TypeError, "segments must be an int"),
])
def test_sequential_bad_segments(segments, error, match):
    with pytest.raises(error, match=match):
        checkpoint_sequential([anp.sin] * 4, ad.tensor([1.0], requires_grad=True), segments)


def test_sequential_other_bad_input():
    x = ad.tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match="steps is empty"):
        checkpoint_sequential([], x)
    with pytest.raises(TypeError, match=r"steps\[1\] is not callable"):
        checkpoint_sequential([anp.sin, 2.0], x)
    with pytest.raises(TypeError, match="step 2 returned a tuple"):
        checkpoint_sequential([anp.sin, anp.sin, lambda h: (h, h), anp.sin], x, 2)
    with pytest.raises(TypeError, match="args must be a tuple"):
        checkpoint_sequential([anp.sin] * 2, x, args=np.ones(1))


# ----------------------------------------------------------------------------------------------------
# revolve: the schedule and its count against the closed form
# ----------------------------------------------------------------------------------------------------

def closed_form(L, s):
    """Griewank and Walther: r*L - C(s + r, s + 1), r the smallest with C(s + r, s) >= L."""
    r = 0
    while math.comb(s + r, s) < L:
        r += 1
    return r * L - math.comb(s + r, s + 1)


def test_the_schedules_recomputations_equal_the_closed_form_on_a_grid():
    for L in range(1, 121):
        for s in range(1, min(L, 10) + 1):
            schedule = revolve_schedule(L, s)
            assert schedule.recomputations == revolve_recomputations(L, s) == closed_form(L, s), (L, s)
            assert schedule.peak_snapshots <= s


@pytest.mark.parametrize("L, s, r, expected", [
    (1, 1, 0, 0), (2, 1, 1, 1), (10, 1, 9, 45), (100, 1, 99, 4950),  # one snapshot: L(L-1)/2
    (10, 9, 1, 9), (10, 10, 1, 9), (64, 63, 1, 63),                    # a snapshot per step: L - 1
    (10, 2, 3, 20),        # C(5, 2) = 10 >= 10: 3*10 - C(5, 3) = 30 - 10
    (15, 2, 4, 40),        # C(5, 2) = 10 < 15 <= C(6, 2): 4*15 - C(6, 4) = 60 - 20
    (16, 2, 5, 45),        # C(6, 2) = 15 < 16 <= C(7, 2): 5*16 - C(7, 3) = 80 - 35
    (1000, 8, 5, 4285),    # C(12, 8) = 495 < 1000 <= C(13, 8) = 1287: 5000 - C(13, 9) = 5000 - 715
])
def test_closed_form_values(L, s, r, expected):
    assert repetition_number(L, s) == r
    assert revolve_recomputations(L, s) == expected == closed_form(L, s)


def test_the_closed_form_is_the_optimum_of_every_split():
    """Brute force over every place of the first snapshot, recursively: nothing beats the closed form."""
    @lru_cache(None)
    def best(L, s):
        if L == 1:
            return 0
        if s == 1:
            return L * (L - 1) // 2
        return min(m + best(L - m, s - 1) + best(m, s) for m in range(1, L))

    for L in range(1, 41):
        for s in range(1, 7):
            assert best(L, s) == closed_form(L, s), (L, s)


@pytest.mark.parametrize("L, s", [(1, 1), (5, 1), (6, 2), (20, 3), (33, 4), (12, 12)])
def test_a_schedule_is_valid_and_reverses_every_step_once_last_first(L, s):
    schedule = revolve_schedule(L, s)
    held, hand, reversed_ = set(), None, []
    hand = 0
    for a in schedule.actions:
        if a.kind == "snapshot":
            assert hand == a.start and a.start not in held
            held.add(a.start)
        elif a.kind == "advance":
            assert hand == a.start < a.end <= L - 1
            hand = a.end
        elif a.kind == "restore":
            assert a.start in held
            hand = a.start
        elif a.kind == "free":
            held.remove(a.start)
        else:
            assert a.kind == "reverse" and hand == a.start
            reversed_.append(a.start)
            hand = None
        assert len(held) <= s
    assert reversed_ == list(range(L - 1, -1, -1))
    assert held == {0}


def test_the_schedule_reads_as_a_table():
    text = str(revolve_schedule(6, 2))
    assert text.splitlines()[0] == "revolve: L = 6 steps, s = 2 snapshots, r = 2, 8 recomputed steps (closed form 8)"
    assert "advance x0 -> x3" in text and "held: x0 x3" in text
    assert repr(Action("reverse", 4)) == "reverse step 4 (x4 -> x5)"


# ----------------------------------------------------------------------------------------------------
# revolve: running the schedule
# ----------------------------------------------------------------------------------------------------

def damped(x, w):
    """One step of a small nonlinear recurrence with a parameter vector w."""
    return anp.tanh(w * x + 0.3 * x[::-1]) + 0.5 * x


@pytest.mark.parametrize("L, s", [(1, 1), (2, 1), (7, 1), (10, 2), (16, 3), (25, 4), (30, 8), (9, 9)])
def test_revolve_gradients_equal_plain_reverse(L, s, rng):
    x, w = rng.standard_normal(5), rng.uniform(0.5, 1.5, 5)
    plain = lambda x, w: anp.sum(chain_of(damped, L, x, w) ** 2)
    binomial = lambda x, w: anp.sum(revolve(damped, x, L, s, args=(w,)) ** 2)
    for found, expected in zip(ad.grad(binomial, argnums=(0, 1))(x, w), ad.grad(plain, argnums=(0, 1))(x, w)):
        np.testing.assert_allclose(found, expected, rtol=1e-13, atol=1e-15)
    # only the parameter differentiated: the chain's cotangents still flow through every state
    np.testing.assert_allclose(ad.grad(binomial, argnums=1)(x, w), ad.grad(plain, argnums=1)(x, w), rtol=1e-13)


@pytest.mark.parametrize("L, s", [(10, 2), (16, 3), (40, 4), (13, 13), (20, 1)])
def test_revolve_evaluates_each_step_once_recorded_plus_the_closed_form(L, s):
    calls = {"recorded": 0, "plain": 0}

    def step(x):
        calls["recorded" if isinstance(x, ad.Tensor) else "plain"] += 1
        return anp.sin(x)

    ad.grad(loss(lambda x: revolve(step, x, L, s)))(np.linspace(0.1, 1, 3))
    assert calls == {"recorded": L, "plain": revolve_recomputations(L, s)}


def test_revolve_with_tensors_backward_twice_and_create_graph(rng):
    x0 = rng.standard_normal(4)
    x = ad.tensor(x0, requires_grad=True)
    y = (revolve(anp.sin, x, 12, 3) ** 2).sum()
    assert graph_nodes(y)[-1] == "RevolveBackward"
    y.backward(retain_graph=True)
    first = x.grad.data.copy()
    y.backward()  # a second backward starts the schedule again from x_0
    xr = ad.tensor(x0, requires_grad=True)
    (chain(12)(xr) ** 2).sum().backward()
    np.testing.assert_allclose(first, xr.grad.data, rtol=1e-14)
    np.testing.assert_allclose(x.grad.data, 2 * xr.grad.data, rtol=1e-14)

    x = ad.tensor(x0, requires_grad=True)
    (g,) = ad.gradients(revolve(anp.sin, x, 5, 2).sum(), x, create_graph=True)
    (h,) = ad.gradients(g.sum(), x)
    xr = ad.tensor(x0, requires_grad=True)
    (gr,) = ad.gradients(chain(5)(xr).sum(), xr, create_graph=True)
    (hr,) = ad.gradients(gr.sum(), xr)
    np.testing.assert_allclose(g.data, gr.data, rtol=1e-14)
    np.testing.assert_allclose(h.data, hr.data, rtol=1e-13)


def test_revolve_under_hessian_grad_of_grad_and_forward_mode(rng):
    x, w = rng.standard_normal(3), rng.uniform(0.5, 1.5, 3)
    plain = lambda x: anp.sum(chain_of(damped, 6, x, w))
    binomial = lambda x: anp.sum(revolve(damped, x, 6, 2, args=(w,)))
    np.testing.assert_allclose(ad.hessian(binomial)(x), ad.hessian(plain)(x), rtol=1e-12, atol=1e-14)
    gw = lambda f: ad.grad(lambda w: anp.sum(ad.grad(lambda x: f(x, w))(x)))(w)
    np.testing.assert_allclose(gw(lambda x, w: anp.sum(revolve(damped, x, 6, 3, args=(w,)))),
                               gw(lambda x, w: anp.sum(chain_of(damped, 6, x, w))), rtol=1e-12)
    t = rng.standard_normal(3)
    np.testing.assert_allclose(ad.jvp(binomial, (x,), (t,))[1], ad.jvp(plain, (x,), (t,))[1], rtol=1e-14)
    np.testing.assert_allclose(revolve(damped, x, 6, 2, args=(w,)), chain_of(damped, 6, x, w), rtol=1e-15)


def test_revolve_memory_grows_with_the_snapshots_not_the_length(rng):
    x = rng.uniform(-1, 1, N)
    peaks = {(L, s): traced_bytes(lambda: ad.grad(loss(lambda x: revolve(anp.sin, x, L, s)))(x))[0] / ARRAY
             for L, s in [(32, 2), (128, 2), (32, 8)]}
    assert abs(peaks[(128, 2)] - peaks[(32, 2)]) < 1.5       # four times the chain, the same memory
    assert 4 <= peaks[(32, 8)] - peaks[(32, 2)] <= 7.5         # about one array per extra snapshot


@pytest.mark.parametrize("steps, snapshots, error, match", [
    (10, 0, ValueError, "snapshots must be at least 1, got 0"),
    (10, 11, ValueError, "snapshots must be at most the number of steps L = 10, got 11"),
    (0, 1, ValueError, "steps must be at least 1, got 0"),
    (10.0, 2, TypeError, "steps must be an int"),
    (10, None, TypeError, "snapshots must be an int"),
])
def test_revolve_bad_counts(steps, snapshots, error, match):
    with pytest.raises(error, match=match):
        revolve(anp.sin, ad.tensor([1.0], requires_grad=True), steps, snapshots)
    with pytest.raises(error, match=match):
        revolve_schedule(steps, snapshots)


def test_revolve_refuses_a_step_that_changes_the_shape():
    grow = lambda x: anp.concatenate([x, x[:1]])
    with pytest.raises(ValueError, match=r"step 0 changed the state's shape from \(2,\) to \(3,\)"):
        ad.grad(loss(lambda x: revolve(grow, x, 4, 2)))(np.ones(2))
    with pytest.raises(ValueError, match="changed the state's shape"):
        revolve(grow, np.ones(2), 4, 2)  # on plain arrays too
    with pytest.raises(TypeError, match="step 0 returned a tuple"):
        revolve(lambda x: (x, x), ad.tensor([1.0], requires_grad=True), 3, 2)


def test_revolve_refuses_a_step_that_writes_into_its_input_or_is_random():
    def scale_in_place(x):
        x *= 0.5
        return x
    x = np.array([1.0, 2.0])
    with pytest.raises(RuntimeError, match="wrote into one of its input arrays"):
        ad.grad(loss(lambda x: revolve(scale_in_place, x, 4, 2)))(x)
    assert x.tolist() == [1.0, 2.0]
    noise = np.random.default_rng(0)
    with pytest.raises(RuntimeError, match="recomputing state x"):
        ad.grad(loss(lambda x: revolve(lambda h: anp.sin(h) + 1e-3 * noise.standard_normal(h.shape), x, 8, 2)))(x)


def test_revolve_refuses_a_closed_over_parameter():
    w = ad.tensor([0.5], requires_grad=True)
    x = ad.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="pass args="):
        revolve(lambda h: anp.sin(h * w), x, 4, 2)
    revolve(lambda h, w: anp.sin(h * w), x, 4, 2, args=(w,)).sum().backward()
    assert w.grad is not None and x.grad is not None


def test_revolves_forward_state_is_an_explicit_object_taken_over_by_the_first_backward():
    from admodes.checkpoint import ForwardPass, RevolveState
    x = ad.tensor(np.array([0.5, 1.0]), requires_grad=True)
    y = revolve(anp.sin, x, steps=6, snapshots=2)
    state = y.grad_fn.params["state"]
    assert type(state) is RevolveState and type(state.forward) is ForwardPass
    assert sorted(state.forward.snapshots) == [0, 3]  # x_0, and the split the schedule chose for L=6, s=2
    assert state.fingerprints.known.tolist() == [True] * 7  # every state seen once in the forward pass
    anp.sum(y).backward(retain_graph=True)
    assert state.forward is None  # the snapshots and the last step's tape are freed with the first backward
    expected = x.grad.data.copy()
    x.grad = None
    anp.sum(y).backward()  # a second backward starts again from x_0, and gives the same gradient
    np.testing.assert_allclose(x.grad.data, expected, rtol=1e-15)


def test_the_schedule_module_and_the_revolve_function_keep_their_names():
    # (A module named revolve would be shadowed by the function: `import admodes.revolve as m` gives the function.)
    import admodes.schedule as schedules
    assert callable(ad.revolve) and ad.revolve is revolve
    assert schedules.revolve_schedule(6, 2) == revolve_schedule(6, 2)
    assert schedules.schedule_for(6, 2) is schedules.schedule_for(6, 2)
