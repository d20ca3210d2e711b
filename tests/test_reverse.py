"""Reverse mode: Tensor, the tape and PyTorch's autograd semantics (admodes/reverse/: tensor, tape, sweep)."""

import gc
import threading
import weakref

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import admodes as ad
import admodes.numpy as anp
from admodes.ops.core import REGISTRY, vjp_of
from admodes.reverse import Node, Tensor

from .ops.cases_shape import CASES as SHAPE_CASES
from .ops.harness import Draw


def leaf(values, dtype=np.float64):
    return ad.tensor(np.asarray(values, dtype=dtype), requires_grad=True)


# ---- 1. Tensor ---------------------------------------------------------------------------------------

def test_tensor_copies_user_data_and_from_numpy_shares_it():
    user = np.array([1.0, 2.0])
    t = ad.tensor(user)
    with ad.no_grad():
        t += 1.0
    assert user.tolist() == [1.0, 2.0] and t.data.tolist() == [2.0, 3.0]
    shared = Tensor.from_numpy(user)
    shared += 1.0
    assert user.tolist() == [2.0, 3.0]


def test_tensor_looks_like_an_array():
    x = leaf(np.arange(6.0).reshape(2, 3))
    assert x.shape == (2, 3) and x.ndim == 2 and x.size == 6 and x.dtype == np.float64 and len(x) == 2
    assert x.T.shape == (3, 2) and x.sum().shape == () and x.reshape(3, 2).shape == (3, 2)
    assert x.numpy is not None and x.detach().numpy().tolist() == [[0, 1, 2], [3, 4, 5]]


def test_plain_numpy_code_records_on_tensors():
    x = leaf([0.5, 1.0])
    y = np.sum(np.sin(x) * np.exp(x))
    assert type(y) is Tensor and y.grad_fn is not None
    y.backward()
    expected = np.cos([0.5, 1.0]) * np.exp([0.5, 1.0]) + np.sin([0.5, 1.0]) * np.exp([0.5, 1.0])
    np.testing.assert_allclose(x.grad.data, expected, rtol=1e-14)


def test_numpy_function_without_a_rule_is_a_clear_error():
    with pytest.raises(TypeError, match="numpy.fft|no derivative rule"):
        np.fft.hfft(leaf([1.0, 2.0]))  # (fft itself is differentiable: tests/test_complex.py)
    with pytest.raises(TypeError, match="drop its derivative"):
        np.asarray(leaf([1.0]))


def test_integer_and_complex_tensors_cannot_require_grad():
    with pytest.raises(RuntimeError, match="floating point"):
        ad.tensor([1, 2], requires_grad=True)
    with pytest.raises(TypeError, match="complex"):
        ad.tensor(np.array([1j]))


# ---- 2. The graph ------------------------------------------------------------------------------------

def test_requires_grad_propagates_and_unused_parts_are_pruned():
    x, c = leaf([1.0]), ad.tensor([2.0])
    assert x.is_leaf and x.grad_fn is None and c.is_leaf
    constant_part = c * c + 1.0
    assert not constant_part.requires_grad and constant_part.grad_fn is None and constant_part.is_leaf
    y = x * constant_part
    assert y.requires_grad and not y.is_leaf
    assert y.grad_fn.next_functions[1] == (None, 0)  # no edge into the constant branch


def test_grad_fn_types_are_named_after_the_op():
    x = leaf([1.0, 2.0])
    names = [type(op.grad_fn).__name__ for op in (x + x, x * x, anp.sin(x), x.sum(), x - x, x / 2.0, -x)]
    assert names == ["AddBackward", "MulBackward", "SinBackward", "SumBackward", "SubBackward", "DivBackward",
                     "NegBackward"]
    assert isinstance((x * x).grad_fn, Node)


def test_next_functions_walks_to_the_leaves():
    x, w = leaf(2.0), leaf(1.0)
    y = (x + w) * (w + 1.0)
    (a_fn, _), (b_fn, _) = y.grad_fn.next_functions
    assert type(a_fn).__name__ == "AddBackward" and type(b_fn).__name__ == "AddBackward"
    acc_x, acc_w = (fn for fn, _ in a_fn.next_functions)
    assert type(acc_x).__name__ == "AccumulateGrad" and acc_x.variable is x and acc_w.variable is w
    assert b_fn.next_functions[1] == (None, 0)


# ---- 3. backward -------------------------------------------------------------------------------------

def test_teaching_example():
    x, w = leaf(2.0), leaf(1.0)
    a = x + w
    b = w + 1.0
    y = a * b
    y.backward()
    assert float(y.data) == 6.0 and float(x.grad.data) == 2.0 and float(w.grad.data) == 5.0


def test_non_scalar_output_needs_a_gradient():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        (x * 2.0).backward()


def test_size_one_output_counts_as_scalar():
    x = leaf([3.0])
    (x * x).backward()
    assert x.grad.data.tolist() == [6.0]


def test_backward_with_gradient_gives_the_vector_jacobian_product():
    x = leaf([1.0, 2.0, 3.0])
    y = x * x * 2.0                     # J = diag(4 x)
    v = np.array([1.0, 0.5, -1.0])
    y.backward(gradient=v)
    np.testing.assert_allclose(x.grad.data, v * 4 * np.array([1.0, 2.0, 3.0]))


def test_gradient_of_the_wrong_shape_is_an_error():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"gradient has shape \(3,\) but the output has shape \(2,\)"):
        (x * 2.0).backward(gradient=np.ones(3))


def test_gradients_accumulate_and_reset():
    x = leaf([1.0, 2.0])
    (x * x).sum().backward()
    (x * 3.0).sum().backward()
    np.testing.assert_allclose(x.grad.data, [2.0 + 3.0, 4.0 + 3.0])
    x.grad = None
    (x * 3.0).sum().backward()
    np.testing.assert_allclose(x.grad.data, [3.0, 3.0])
    x.zero_grad()
    assert x.grad is None


def test_grad_never_aliases_the_users_gradient_array():
    x = leaf([1.0, 2.0])
    v = np.array([1.0, 1.0])
    (x + 0.0).backward(gradient=v)
    x.grad.data[0] = 100.0
    assert v.tolist() == [1.0, 1.0]


def test_retain_grad_keeps_a_non_leaf_gradient():
    x = leaf([1.0, 2.0])
    h = x * 3.0
    h.retain_grad()
    other = x * 2.0
    assert h.retains_grad and not other.retains_grad
    (h * h).sum().backward()
    np.testing.assert_allclose(h.grad.data, 2 * 3.0 * np.array([1.0, 2.0]))
    assert other.grad is None


# ---- 4. Freeing ---------------------------------------------------------------------------------------

def test_second_backward_needs_retain_graph():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_retain_graph_allows_a_second_backward_that_accumulates():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.data, 2 * 2 * np.array([1.0, 2.0]))


def test_a_graph_that_saved_nothing_can_be_swept_twice_as_in_pytorch():
    x = leaf([1.0, 2.0])
    y = (x + 1.0).sum()
    y.backward()
    y.backward()
    np.testing.assert_allclose(x.grad.data, [2.0, 2.0])


# ---- 5. Higher order ---------------------------------------------------------------------------------

def test_create_graph_records_the_backward_sweep():
    x = leaf(2.0)
    y = x * x * x
    (g,) = ad.gradients(y, x, create_graph=True)
    assert g.grad_fn is not None and float(g.data) == 12.0          # 3 x^2
    (h,) = ad.gradients(g, x, create_graph=True)
    assert float(h.data) == 12.0                                    # 6 x
    (t,) = ad.gradients(h, x)
    assert float(t.data) == 6.0                                     # third derivative


def test_backward_create_graph_gives_a_grad_with_grad_fn():
    x = leaf(0.7)
    y = anp.exp(anp.sin(x))       # exp's rule reads its output: the output must rejoin the graph
    y.backward(create_graph=True)
    first = x.grad
    assert first.grad_fn is not None
    np.testing.assert_allclose(first.data, np.cos(0.7) * np.exp(np.sin(0.7)), rtol=1e-14)
    x.grad = None
    first.backward()
    expected = (np.cos(0.7) ** 2 - np.sin(0.7)) * np.exp(np.sin(0.7))
    np.testing.assert_allclose(x.grad.data, expected, rtol=1e-13)


# ---- 6. detach, no_grad, requires_grad_ ----------------------------------------------------------------

def test_detach_shares_data_and_leaves_the_graph():
    x = leaf([1.0, 2.0])
    y = x * 2.0
    d = y.detach()
    assert d.is_leaf and not d.requires_grad and d.data is y.data
    z = (y * d).sum()                 # d is a constant: dz/dx = 2 * d
    z.backward()
    np.testing.assert_allclose(x.grad.data, 2.0 * np.array([2.0, 4.0]))


def test_no_grad_records_nothing_nests_and_decorates():
    x = leaf([1.0])
    with ad.no_grad():
        with ad.no_grad():
            inner = x * 2.0
        outer = x * 2.0
    assert not inner.requires_grad and not outer.requires_grad
    assert (x * 2.0).requires_grad

    @ad.no_grad()
    def step(t):
        return t * 2.0

    assert not step(x).requires_grad and ad.is_grad_enabled()


def test_no_grad_is_per_thread():
    x = leaf([1.0])
    seen = {}

    def other_thread():
        seen["requires_grad"] = (x * 2.0).requires_grad

    with ad.no_grad():
        worker = threading.Thread(target=other_thread)
        worker.start()
        worker.join()
    assert seen["requires_grad"] is True


def test_requires_grad_underscore_and_non_leaf_flag():
    x = ad.tensor([1.0]).requires_grad_()
    assert x.requires_grad
    with pytest.raises(RuntimeError, match="only change requires_grad flags of leaf"):
        (x * 2.0).requires_grad = False


# ---- 7. In-place safety ------------------------------------------------------------------------------

def test_in_place_on_a_leaf_that_requires_grad_raises():
    x = leaf([1.0])
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad is being used in an in-place"):
        x += 1.0


def test_in_place_on_a_leaf_under_no_grad_is_an_optimizer_step():
    x = leaf([1.0, 2.0])
    (x * x).sum().backward()
    with ad.no_grad():
        x -= 0.1 * x.grad
    np.testing.assert_allclose(x.data, [0.8, 1.6])
    assert x.is_leaf and x.requires_grad and x._version == 1


def test_in_place_on_a_non_leaf_is_recorded():
    x = leaf([1.0, 2.0])
    y = x * 2.0
    y += x                           # y = 3 x
    y *= x                           # y = 3 x^2: multiply saves y's old value? no: d/dy needs x only
    assert type(y.grad_fn).__name__ == "MulBackward" and y._version == 2
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, 6 * np.array([1.0, 2.0]))


def test_modifying_a_saved_input_makes_backward_raise_naming_the_op():
    x = leaf([1.0, 2.0])
    h = x * 1.0
    y = (h * h).sum()                # MulBackward saved h
    h += 1.0
    with pytest.raises(RuntimeError, match=r"MulBackward, of shape \(2,\), is at version 1; expected version 0"):
        y.backward()


def test_modifying_a_saved_output_makes_backward_raise():
    x = leaf([1.0, 2.0])
    y = anp.exp(x)                   # ExpBackward saved its output
    z = y.sum()
    y += 1.0
    with pytest.raises(RuntimeError, match="its output of ExpBackward"):
        z.backward()


# ---- 8. gradients() ----------------------------------------------------------------------------------

def test_gradients_of_several_outputs_and_inputs_leave_grad_alone():
    x, w = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    a, b = (x * w).sum(), (x * x).sum()
    gx, gw = ad.gradients([a, b], [x, w])
    np.testing.assert_allclose(gx.data, [3.0 + 2.0, 4.0 + 4.0])
    np.testing.assert_allclose(gw.data, [1.0, 2.0])
    assert x.grad is None and w.grad is None


def test_gradients_of_an_unused_input():
    x, unused = leaf([1.0]), leaf([1.0])
    y = (x * x).sum()
    with pytest.raises(RuntimeError, match="inputs\\[1\\] was not used"):
        ad.gradients(y, [x, unused], retain_graph=True)
    gx, gu = ad.gradients(y, [x, unused], allow_unused=True)
    assert gu is None and gx.data.tolist() == [2.0]


def test_gradients_with_respect_to_a_non_leaf():
    x = leaf([1.0, 2.0])
    h = x * 3.0
    y = (h * h).sum()
    (gh,) = ad.gradients(y, h)
    np.testing.assert_allclose(gh.data, 2 * 3.0 * np.array([1.0, 2.0]))


# ---- bad input ---------------------------------------------------------------------------------------

def test_backward_on_a_tensor_that_does_not_require_grad():
    with pytest.raises(RuntimeError, match="does not require grad"):
        ad.tensor([1.0]).sum().backward()
    with pytest.raises(RuntimeError, match="does not require grad"):
        ad.tensor([1, 2]).sum().backward()


# ---- 11. Deep and long graphs ------------------------------------------------------------------------

def test_a_long_chain_backpropagates_without_recursion():
    # 10^5 steps, far past Python's recursion limit; benchmarks/bench_reverse.py runs 10^6 ops.
    x = leaf(0.5)
    y = x
    for _ in range(100_000):
        y = y * 1.0000001 + 1e-9
    y.backward()
    np.testing.assert_allclose(x.grad.data, 1.0000001 ** 100_000, rtol=1e-9)
    del y  # freeing the chain is iterative too (no recursion in deallocation)


def test_the_tape_is_freed_when_the_output_is_dropped():
    gc.disable()  # no help from the cycle collector: plain reference counting must free it all
    try:
        x = leaf(np.ones(3))
        y = anp.sin(x * 2.0)
        nodes = [weakref.ref(y.grad_fn), weakref.ref(y.grad_fn.edges[0])]
        saved_array = weakref.ref(y.grad_fn.saved[0]) if hasattr(y.grad_fn.saved[0], "__weakref__") else None
        del y
        assert all(ref() is None for ref in nodes)
        assert saved_array is None or saved_array() is None
    finally:
        gc.enable()


def test_backward_frees_saved_values():
    gc.disable()
    try:
        x = leaf(np.ones(3))
        h = x * 2.0
        y = anp.sin(h).sum()
        saved = weakref.ref(h.data)
        del h
        assert saved() is not None       # kept by SinBackward for the backward sweep
        y.backward()
        assert saved() is None           # released after it
    finally:
        gc.enable()


def test_item_assignment_is_a_recorded_functional_update():
    x = leaf([1.0, 2.0, 3.0])
    y = x * 2.0
    y[1] = x[0] * 10.0               # y = [2 x0, 10 x0, 2 x2]
    assert type(y.grad_fn).__name__ == "IndexUpdateBackward" and y._version == 1
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, [12.0, 0.0, 2.0])


def test_item_assignment_into_a_leaf_that_requires_grad_raises():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="in-place operation"):
        x[0] = 5.0


def test_in_place_ops_on_a_tensor_never_write_into_the_users_array():
    user = np.array([1.0, 2.0])
    x = ad.tensor(user, requires_grad=True)
    y = x[0:2]                        # a view of x's data, made by getitem
    y += 1.0
    assert user.tolist() == [1.0, 2.0] and x.data.tolist() == [1.0, 2.0]


# ---- the engine's in-place getitem fast path agrees with the rule -------------------------------------

GETITEM_CASES = [c for c in SHAPE_CASES if c.name == "getitem"]


@pytest.mark.parametrize("case", GETITEM_CASES, ids=[c.id for c in GETITEM_CASES])
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_backward_through_indexing_equals_the_vjp_rule(case, data):
    # The sweep adds getitem's cotangent at its index in place (vjp_into); the rule scatters into
    # zeros (vjp_of). Two reads of x, so the in-place path also meets an accumulated cotangent.
    d = Draw(data)
    (x,), params = case.draw(d)
    index = params["index"]
    g1 = d.rng.standard_normal(np.shape(x[index]))
    g2 = d.rng.standard_normal(np.shape(x))
    t = ad.tensor(x, requires_grad=True)
    ((t[index] * g1).sum() + (t * g2).sum() + (t[index] * g1).sum()).backward()
    getitem = REGISTRY["getitem"]
    (by_rule,) = vjp_of(getitem, g1, None, (x,), {"index": index}, (True,), (x.shape,))
    np.testing.assert_allclose(t.grad.data, 2 * by_rule + g2, rtol=1e-14, atol=1e-14)


# ---- x * x: the engine sums the two cotangents in one rule (defvjp_same) -----------------------------

def test_a_value_times_itself_gets_both_cotangents():
    x = ad.tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True)
    y = ad.tensor(np.array([0.5, 4.0, -1.0]), requires_grad=True)
    w = x * 1.0
    ((w * w) * y).sum().backward()          # a non-leaf times itself, and a leaf below it
    np.testing.assert_array_equal(x.grad.data, 2.0 * x.data * y.data)
    z = ad.tensor(np.array([2.0, 3.0]), requires_grad=True)
    (dz,) = ad.gradients((z * z).sum(), z, create_graph=True)   # a leaf times itself, differentiated twice
    np.testing.assert_array_equal(dz.data, [4.0, 6.0])
    dz.sum().backward()
    np.testing.assert_array_equal(z.grad.data, [2.0, 2.0])
    a = ad.tensor(np.array([1.0, 2.0]), requires_grad=True)
    b = a.detach().requires_grad_()           # the same array, another leaf: each gets its own cotangent
    (a * b).sum().backward()
    np.testing.assert_array_equal(a.grad.data, [1.0, 2.0])
    np.testing.assert_array_equal(b.grad.data, [1.0, 2.0])


# ---- cotangents the sweep reuses: only those nothing else holds ---------------------------------------

def test_sole_tells_an_array_only_the_caller_holds():
    from admodes.temporaries import sole as _sole
    mine = np.ones(3)
    assert _sole(mine)
    others = [mine]
    assert not _sole(mine)
    del others
    assert _sole(mine)


def test_the_callers_gradient_and_data_are_never_written():
    x = ad.tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True)
    w = np.array([0.5, 2.0, -1.0])
    v = np.array([1.0, 10.0, 100.0])
    v_before, w_before = v.copy(), w.copy()
    (-(x * w)).backward(gradient=v)                 # negative's and multiply's in-place forms meet v, w
    np.testing.assert_array_equal(v, v_before)
    np.testing.assert_array_equal(w, w_before)
    np.testing.assert_array_equal(x.grad.data, -v * w)


def test_a_cotangent_that_also_goes_elsewhere_is_not_overwritten():
    a = ad.tensor(np.array([1.0, 2.0]), requires_grad=True)
    b = ad.tensor(np.array([3.0, 4.0]), requires_grad=True)
    ((a - b) * 3.0).sum().backward()                # subtract sends g itself to a, -g to b
    np.testing.assert_array_equal(a.grad.data, [3.0, 3.0])
    np.testing.assert_array_equal(b.grad.data, [-3.0, -3.0])
    assert not np.shares_memory(a.grad.data, b.grad.data)
    x = ad.tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = x * 2.0
    y.retain_grad()                                  # y's cotangent is kept: the rule below must not write it
    (-(y * 1.0)).backward(gradient=np.array([1.0, 1.0]))
    np.testing.assert_array_equal(y.grad.data, [-1.0, -1.0])
    np.testing.assert_array_equal(x.grad.data, [-2.0, -2.0])
    h = x * 1.0
    (gh, gx) = ad.gradients((-(h * 5.0)).sum(), (h, x))   # a non-leaf target's cotangent, then its rule
    np.testing.assert_array_equal(gh.data, [-5.0, -5.0])
    np.testing.assert_array_equal(gx.data, [-5.0, -5.0])


def test_an_in_place_form_that_would_narrow_the_dtype_falls_back_to_the_rule():
    x = ad.tensor(np.array([1.0, 2.0]), requires_grad=True)
    w = np.array([1.0 / 3.0, 2.0 / 3.0])
    (-(x * w)).backward(gradient=np.array([1.0, 3.0], np.float32))   # g is float32, w float64
    assert x.grad.data.dtype == np.float64
    np.testing.assert_array_equal(x.grad.data, -np.array([1.0, 3.0], np.float32) * w)


def test_the_functional_gradients_are_fresh_writable_arrays():
    x = np.array([1.0, 2.0, 3.0])
    g = ad.grad(lambda x: anp.sum(x))(x)             # sum's rule broadcasts a read-only view
    assert g.flags.writeable and g.flags.owndata
    g[0] = 5.0
    np.testing.assert_array_equal(ad.grad(lambda x: anp.sum(x))(x), [1.0, 1.0, 1.0])
    _, vjp_fn = ad.vjp(lambda x: x, x)
    u = np.array([1.0, 1.0, 1.0])
    (ct,) = vjp_fn(u)
    assert ct is not u and not np.shares_memory(ct, u)
    _, vjp_fn = ad.vjp(lambda x: -(x * 2.0), x)
    first, second = vjp_fn(u)[0], vjp_fn(u)[0]     # the tape is kept; nothing is spent by the first call
    np.testing.assert_array_equal(first, second)
    np.testing.assert_array_equal(u, [1.0, 1.0, 1.0])
