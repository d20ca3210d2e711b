"""Regression tests of the engines' defects found by using admodes as a user would (issue 13).

Each test failed on the code before its fix; the siblings found for each defect class are tested beside it.
"""

import numpy as np
import pytest

import admodes as ad
import admodes.numpy as anp

X = np.array([1.0, 2.0])
Y = np.array([3.0, 4.0])


# ----------------------------------------------------------------------------------------------------
# 1. Duplicate argnums: refused by every transform taking argnums, in both modes (PyTorch's torch.func
#    refuses them; JAX has no meaning for them), never an internal object or a zero gradient.
# ----------------------------------------------------------------------------------------------------

_TRANSFORMS_WITH_ARGNUMS = {
    "grad": lambda f, nums: ad.grad(lambda a, b: anp.sum(f(a, b)), argnums=nums),
    "grad-forward": lambda f, nums: ad.grad(lambda a, b: anp.sum(f(a, b)), argnums=nums, mode="forward"),
    "value_and_grad": lambda f, nums: ad.value_and_grad(lambda a, b: anp.sum(f(a, b)), argnums=nums),
    "value_and_grad-forward": lambda f, nums: ad.value_and_grad(lambda a, b: anp.sum(f(a, b)), argnums=nums,
                                                                mode="forward"),
    "jacrev": lambda f, nums: ad.jacrev(f, argnums=nums, batch=False),
    "jacrev-batch": lambda f, nums: ad.jacrev(f, argnums=nums),  # the default
    "jacfwd": lambda f, nums: ad.jacfwd(f, argnums=nums, batch=False),
    "jacfwd-batch": lambda f, nums: ad.jacfwd(f, argnums=nums),
    "hessian": lambda f, nums: ad.hessian(lambda a, b: anp.sum(f(a, b)), argnums=nums),
    "hessian-per-direction": lambda f, nums: ad.hessian(lambda a, b: anp.sum(f(a, b)), argnums=nums, batch=False),
}


@pytest.mark.parametrize("nums", [(0, 1, 0), (1, 1), (0, -2)])
@pytest.mark.parametrize("transform", sorted(_TRANSFORMS_WITH_ARGNUMS))
def test_duplicate_argnums_are_refused_naming_argnums(transform, nums):
    differentiated = _TRANSFORMS_WITH_ARGNUMS[transform](lambda a, b: a * b * b, nums)
    with pytest.raises(ValueError, match=r"argnums .* names argument \d more than once"):
        differentiated(X, Y)


@pytest.mark.parametrize("transform", sorted(set(_TRANSFORMS_WITH_ARGNUMS) - {"hessian", "hessian-per-direction"}))
def test_distinct_argnums_still_give_each_argument_its_derivative(transform):
    out = _TRANSFORMS_WITH_ARGNUMS[transform](lambda a, b: a * b * b, (1, 0))(X, Y)
    out = out[1] if transform.startswith("value_and_grad") else out
    expected_b, expected_a = 2 * X * Y, Y * Y  # d/db sum(a b^2), d/da sum(a b^2)
    if transform.startswith("jac"):
        expected_b, expected_a = np.diag(expected_b), np.diag(expected_a)
    np.testing.assert_allclose(out[0], expected_b)
    np.testing.assert_allclose(out[1], expected_a)


def test_backward_with_a_tensor_named_twice_in_inputs_accumulates_once():
    # (a sibling: each mention of the tensor added the gradient again, doubling it)
    w = ad.tensor(X, requires_grad=True)
    (w * 3.0).sum().backward(inputs=[w, w])
    np.testing.assert_array_equal(w.grad.data, [3.0, 3.0])
    (g, g_again) = ad.gradients((w * 3.0).sum(), [w, w])  # one result per input asked for, as PyTorch
    np.testing.assert_array_equal(g.data, [3.0, 3.0])
    np.testing.assert_array_equal(g_again.data, [3.0, 3.0])


# ----------------------------------------------------------------------------------------------------
# 2. Threads: accumulation into .grad is atomic, and count_ops counts the calling thread's work only.
# ----------------------------------------------------------------------------------------------------

def _in_threads(work, n_threads=8):
    """Run ``work(k)`` in ``n_threads`` threads at once, switching threads as often as the interpreter can."""
    import sys
    import threading

    start = threading.Barrier(n_threads)
    errors = []

    def run(k):
        start.wait()
        try:
            work(k)
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=run, args=(k,)) for k in range(n_threads)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    assert not errors, errors


def test_concurrent_backward_into_one_leaf_loses_no_update():
    w = ad.tensor(1.0, requires_grad=True)

    def work(_):
        for _ in range(2000):
            (anp.sin(w) * 0 + w).sum().backward()

    _in_threads(work)
    assert float(w.grad.data) == 16000.0


def test_count_ops_counts_the_calling_threads_work_only():
    import threading

    counting, done = threading.Event(), threading.Event()
    others_calls = []
    results = {}

    def work(k):
        if k == 0:  # the counting thread: counts while the others compute
            with ad.count_ops() as counts:
                counting.set()
                while len(others_calls) < 200:  # the others' calls happen inside this block
                    pass
                anp.exp(np.zeros(3))
            done.set()
            results.update(counts.calls)
            return
        counting.wait()
        while not done.is_set():
            anp.sin(np.zeros(3))
            others_calls.append(k)

    _in_threads(work, n_threads=3)
    assert results == {"exp": 1}


def test_count_ops_nests_and_still_sees_the_impls_own_calls_once():
    with ad.count_ops() as outer:
        anp.sin(np.zeros(2))
        with ad.count_ops() as inner:
            anp.linalg.norm(np.ones(3))
    assert inner.total_calls >= 1 and set(inner.calls) <= set(outer.calls)
    assert outer.calls["sin"] == 1 and outer.total_calls == 1 + inner.total_calls


def test_numpy_functions_on_tensors_from_threads_while_the_table_is_built(monkeypatch):
    # (a sibling: the table from NumPy functions to admodes ones was cleared and refilled in place, so a
    # thread reading it meanwhile found no rule for np.sum and raised)
    from admodes import arraylike

    w = ad.tensor([1.0, 2.0], requires_grad=True)
    for _ in range(5):
        monkeypatch.setattr(arraylike, "_NUMPY_FUNCTIONS", {})  # as if the op library had just grown
        _in_threads(lambda _: [np.sum(w * np.float64(1.0)) for _ in range(20)])


# ----------------------------------------------------------------------------------------------------
# 5. f returning no array (a forgotten `return`, a string, an object array, a dict, a complex value): every
#    transform in both modes raises a TypeError saying what f returned, never zeros.
# ----------------------------------------------------------------------------------------------------

def _forgets_to_return(x):
    anp.sum(x * x)


_NOT_ARRAYS = {
    "None": (_forgets_to_return, "returned None"),
    "str": (lambda x: "loss", "returned a str"),
    "object array": (lambda x: np.array([object()], dtype=object), "returned an array of dtype object"),
    "dict": (lambda x: {"loss": anp.sum(x)}, "returned a dict"),
}
# (a complex value is an array: tests/test_complex.py checks which transforms take it, as JAX's do)

_EVERY_TRANSFORM = {
    "grad": lambda f, x: ad.grad(f)(x),
    "grad-forward": lambda f, x: ad.grad(f, mode="forward")(x),
    "value_and_grad": lambda f, x: ad.value_and_grad(f)(x),
    "vjp": lambda f, x: ad.vjp(f, x)[1](np.ones(())),
    "jvp": lambda f, x: ad.jvp(f, (x,), (np.ones_like(x),)),
    "jacrev": lambda f, x: ad.jacrev(f, batch=False)(x),
    "jacrev-batch": lambda f, x: ad.jacrev(f)(x),
    "jacfwd": lambda f, x: ad.jacfwd(f, batch=False)(x),
    "jacfwd-batch": lambda f, x: ad.jacfwd(f)(x),
    "jacfwd-empty-input": lambda f, x: ad.jacfwd(f, batch=True)(x[:0]),
    "hessian": lambda f, x: ad.hessian(f)(x),
    "hessian-per-direction": lambda f, x: ad.hessian(f, batch=False)(x),
    "hvp": lambda f, x: ad.hvp(f, x, np.ones_like(x)),
    "vmap": lambda f, x: ad.vmap(f)(np.stack([x, x])),
}


# (A dict is a container, which the transforms other than grad take and return: tests/test_trees.py.)
_TAKE_CONTAINERS = {"vjp", "jvp", "jacrev", "jacrev-batch", "jacfwd", "jacfwd-batch", "jacfwd-empty-input", "hessian",
                    "hessian-per-direction", "vmap"}


@pytest.mark.parametrize("transform, returned", [(t, r) for t in sorted(_EVERY_TRANSFORM) for r in sorted(_NOT_ARRAYS)
                                                 if not (r == "dict" and t in _TAKE_CONTAINERS)])
def test_a_function_returning_no_array_is_a_type_error_saying_what_it_returned(transform, returned):
    f, said = _NOT_ARRAYS[returned]
    with pytest.raises(TypeError, match=said):
        _EVERY_TRANSFORM[transform](f, X)


class _ForgetfulExp(ad.Function):
    @staticmethod
    def forward(ctx, x):
        np.exp(x)  # no return

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output

    @staticmethod
    def jvp(ctx, x_tangent):
        return x_tangent


@pytest.mark.parametrize("transform", ["plain", "tensor", "grad", "jvp"])
def test_a_custom_function_whose_forward_returns_none_says_so(transform):
    # (a sibling: an AttributeError from inside the engine, or a broadcasting error in forward mode)
    call = {"plain": lambda: _ForgetfulExp.apply(X),
            "tensor": lambda: _ForgetfulExp.apply(ad.tensor(X, requires_grad=True)),
            "grad": lambda: ad.grad(lambda x: anp.sum(_ForgetfulExp.apply(x)))(X),
            "jvp": lambda: ad.jvp(_ForgetfulExp.apply, (X,), (X,))}[transform]
    with pytest.raises(TypeError, match="_ForgetfulExp: forward must return a real array, but it returned None"):
        call()


# ----------------------------------------------------------------------------------------------------
# 6. no_grad / enable_grad keep the grad mode to restore per entry, not on the instance.
# ----------------------------------------------------------------------------------------------------

def test_a_recursive_no_grad_function_leaves_grad_mode_on():
    @ad.no_grad()
    def depth(n):
        return 0 if n == 0 else 1 + depth(n - 1)

    assert depth(3) == 3
    assert ad.is_grad_enabled()
    w = ad.tensor(1.0, requires_grad=True)
    assert (w * 2).requires_grad


@pytest.mark.parametrize("manager", [ad.no_grad, ad.enable_grad])
def test_one_instance_entered_twice_restores_each_entrys_mode(manager):
    block = manager()
    with ad.no_grad():
        with block:
            with block:
                pass
            inner_after = ad.is_grad_enabled()
        assert not ad.is_grad_enabled()
    assert ad.is_grad_enabled()
    assert inner_after == (manager is ad.enable_grad)


def test_one_no_grad_instance_shared_by_threads_restores_each_threads_mode():
    block = ad.no_grad()
    modes = []

    def work(_):
        for _ in range(200):
            with block:
                pass
        modes.append(ad.is_grad_enabled())

    _in_threads(work)
    assert modes == [True] * 8 and ad.is_grad_enabled()


# ----------------------------------------------------------------------------------------------------
# 10. A leaf that reaches the output only through ops whose derivative is zero gets a zero gradient (the op is
#     in the graph; its derivative is zero), as in PyTorch and JAX: not "does not require grad".
# ----------------------------------------------------------------------------------------------------

_PIECEWISE_CONSTANT = {
    "sign": lambda x: anp.sign(x),
    "heaviside": lambda x: anp.heaviside(x, 0.5),
    "sign then more": lambda x: anp.sign(x) * 3.0 + 1.0,
    "slogdet's sign": lambda x: anp.linalg.slogdet(anp.reshape(x, (2, 2)))[0] * anp.ones(4),
}
X4 = np.array([1.0, -2.0, 0.5, 3.0])


@pytest.mark.parametrize("op", sorted(_PIECEWISE_CONSTANT))
def test_backward_through_only_zero_derivative_ops_gives_zero_grad(op):
    w = ad.tensor(X4, requires_grad=True)
    y = anp.sum(_PIECEWISE_CONSTANT[op](w))
    assert y.requires_grad and y.grad_fn is not None
    y.backward()
    np.testing.assert_array_equal(w.grad.data, np.zeros(4))
    assert w.grad.dtype == np.float64


@pytest.mark.parametrize("op", sorted(_PIECEWISE_CONSTANT))
def test_gradients_and_every_transform_give_zeros_through_zero_derivative_ops(op):
    f = _PIECEWISE_CONSTANT[op]
    w = ad.tensor(X4, requires_grad=True)
    (g,) = ad.gradients(anp.sum(f(w)), w)
    np.testing.assert_array_equal(g.data, np.zeros(4))
    for mode in ("reverse", "forward"):
        np.testing.assert_array_equal(ad.grad(lambda x: anp.sum(f(x)), mode=mode)(X4), np.zeros(4))
    for jac in (ad.jacrev(f), ad.jacrev(f, batch=True), ad.jacfwd(f), ad.jacfwd(f, batch=True)):
        np.testing.assert_array_equal(jac(X4), np.zeros((4, 4)))


def test_a_zero_derivative_path_adds_nothing_to_a_differentiable_one():
    w = ad.tensor(X4.astype(np.float32), requires_grad=True)
    (anp.sign(w) * w + w * w).sum().backward()  # d/dw = sign(w) + 2 w: the sign's own derivative is 0
    np.testing.assert_allclose(w.grad.data, np.sign(X4) + 2 * X4)
    assert w.grad.dtype == np.float32
    w2 = ad.tensor(X4, requires_grad=True)
    (g,) = ad.gradients(anp.sum(anp.sign(w2) * w2 ** 2), w2, create_graph=True)
    g.sum().backward()  # second order through the zero-derivative path: 2 sign(w)
    np.testing.assert_allclose(w2.grad.data, 2 * np.sign(X4))


# ----------------------------------------------------------------------------------------------------
# Smaller ones: empty outputs in the batched Jacobians
# ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("batch", [True, 1, 3])
@pytest.mark.parametrize("jacobian", [ad.jacrev, ad.jacfwd])
def test_batched_jacobians_of_an_empty_output(jacobian, batch):
    jac = jacobian(lambda x: x[:0] * 2.0, batch=batch)(X)
    assert jac.shape == (0, 2) and jac.dtype == np.float64
    np.testing.assert_array_equal(jac, jacobian(lambda x: x[:0] * 2.0)(X))


# ----------------------------------------------------------------------------------------------------
# Smaller ones: what a user passes as a cotangent (backward's gradient=, vjp_fn's argument) is checked as
# strictly as jvp checks tangents; Python numbers and lists are taken, as a user types them
# ----------------------------------------------------------------------------------------------------

def test_backward_takes_a_list_or_a_python_number_as_gradient():
    w = ad.tensor(X, requires_grad=True)
    (w * 3.0).backward(gradient=[1.0, 2.0])
    np.testing.assert_array_equal(w.grad.data, [3.0, 6.0])
    s = ad.tensor(2.0, requires_grad=True)
    (s * s).backward(gradient=0.5)
    assert float(s.grad.data) == 2.0
    (g,) = ad.gradients(w * 3.0, w, grad_outputs=[[1.0, 1.0]])
    np.testing.assert_array_equal(g.data, [3.0, 3.0])


@pytest.mark.parametrize("bad, error, said", [
    (np.array([1 + 1j, 1.0]), TypeError, "gradient has dtype complex128 but the output has dtype float64"),
    (np.array(["a", "b"]), TypeError, "gradient has dtype <U1"),
    ([1.0, 2.0, 3.0], RuntimeError, r"gradient has shape \(3,\) but the output has shape \(2,\)"),
])
def test_backward_refuses_a_gradient_it_cannot_use(bad, error, said):
    w = ad.tensor(X, requires_grad=True)
    with pytest.raises(error, match=said):
        (w * 3.0).backward(gradient=bad)


def test_backward_still_casts_a_real_gradient_to_the_outputs_dtype_as_pytorch():
    w = ad.tensor(X.astype(np.float32), requires_grad=True)
    (w * 3.0).backward(gradient=np.array([1, 2]))
    np.testing.assert_array_equal(w.grad.data, [3.0, 6.0])
    assert w.grad.dtype == np.float32


@pytest.mark.parametrize("cotangent, said", [
    (np.array([1 + 1j, 1.0]), "vjp: the cotangent has dtype complex128 but f's output has dtype float64"),
    (np.array([1, 2]), "vjp: the cotangent has dtype int64 but f's output has dtype float64"),
    (np.array([1.0, 2.0], np.float32), "vjp: the cotangent has dtype float32 but f's output has dtype float64"),
])
def test_vjp_checks_the_cotangents_dtype_as_jvp_checks_the_tangents(cotangent, said):
    _, vjp_fn = ad.vjp(lambda x: x * 2.0, X)
    with pytest.raises(TypeError, match=said):
        vjp_fn(cotangent)
    with pytest.raises(TypeError, match=said.replace("vjp: the cotangent", "jvp: tangent 0").replace(
            "f's output", "primal 0")):
        ad.jvp(lambda x: x * 2.0, (X,), (cotangent,))


def test_vjp_of_a_float32_output_refuses_a_wider_cotangent_and_takes_python_values():
    _, vjp_fn = ad.vjp(lambda x: x * 2.0, X.astype(np.float32))
    with pytest.raises(TypeError, match="cotangent has dtype float64 but f's output has dtype float32"):
        vjp_fn(np.ones(2))
    (g,) = vjp_fn([1.0, 10.0])
    np.testing.assert_array_equal(g, [2.0, 20.0])
    assert g.dtype == np.float32
    _, vjp_scalar = ad.vjp(lambda x: anp.sum(x), X)
    np.testing.assert_array_equal(vjp_scalar(3.0)[0], [3.0, 3.0])
    with pytest.raises(ValueError, match=r"cotangent has shape \(3,\) but f's output has shape \(2,\)"):
        vjp_fn([1.0, 2.0, 3.0])


# ----------------------------------------------------------------------------------------------------
# Smaller ones: a derivative has its input's dtype (as in JAX), even when f mixes in float64 constants
# ----------------------------------------------------------------------------------------------------

_WIDENING = np.array([2.0, 3.0])  # float64: x32 * _WIDENING is float64


def _widening_scalar(x):
    return anp.sum(anp.sin(x) * _WIDENING)


def _widening_vector(x):
    return anp.sin(x) * _WIDENING


def _by_backward(x, how):
    return how(ad.tensor(x, requires_grad=True))


_DERIVATIVES = {
    "grad": lambda x: ad.grad(_widening_scalar)(x),
    "grad-forward": lambda x: ad.grad(_widening_scalar, mode="forward")(x),
    "value_and_grad": lambda x: ad.value_and_grad(_widening_scalar)(x)[1],
    "vjp": lambda x: ad.vjp(_widening_vector, x)[1](np.ones(2))[0],
    "jacrev": lambda x: ad.jacrev(_widening_vector, batch=False)(x),
    "jacrev-batch": lambda x: ad.jacrev(_widening_vector)(x),
    "jacfwd": lambda x: ad.jacfwd(_widening_vector, batch=False)(x),
    "jacfwd-batch": lambda x: ad.jacfwd(_widening_vector)(x),
    "hessian": lambda x: ad.hessian(_widening_scalar)(x),
    "hessian-per-direction": lambda x: ad.hessian(_widening_scalar, batch=False)(x),
    "gradients": lambda x: _by_backward(x, lambda w: ad.gradients(_widening_scalar(w), w)[0].data),
    "backward": lambda x: _by_backward(x, lambda w: (_widening_scalar(w).backward(), w.grad.data)[1]),
}


@pytest.mark.parametrize("derivative", sorted(_DERIVATIVES))
def test_the_derivative_of_a_float32_input_is_float32(derivative):
    x32 = X.astype(np.float32)
    d = _DERIVATIVES[derivative](x32)
    assert d.dtype == np.float32
    np.testing.assert_allclose(d, _DERIVATIVES[derivative](X), rtol=1e-6)  # the float64 values, rounded


def test_a_float32_derivative_in_a_tuple_of_arguments_keeps_each_arguments_dtype():
    g32, g64 = ad.grad(lambda a, b: anp.sum(a * b * _WIDENING), argnums=(0, 1))(X.astype(np.float32), Y)
    assert (g32.dtype, g64.dtype) == (np.float32, np.float64)
    j32, j64 = ad.jacfwd(lambda a, b: a * b * _WIDENING, argnums=(0, 1))(X.astype(np.float32), Y)
    assert (j32.dtype, j64.dtype) == (np.float32, np.float64)


# ----------------------------------------------------------------------------------------------------
# Smaller ones: a custom Function's ctx frees what it saved after backward, as built-in nodes do
# ----------------------------------------------------------------------------------------------------

class _SavesATemporary(ad.Function):
    @staticmethod
    def forward(ctx, x):
        twice = x * 2.0  # an array only ctx holds
        ctx.save_for_backward(twice)
        return twice * twice

    @staticmethod
    def backward(ctx, grad_output):
        (twice,) = ctx.saved_tensors
        return grad_output * 4.0 * twice


def _temporary_of(y):
    import weakref

    return weakref.ref(y.grad_fn.params["ctx"]._saved[0])


def test_a_custom_functions_ctx_frees_its_saved_arrays_after_backward():
    x = ad.tensor(X, requires_grad=True)
    y = _SavesATemporary.apply(x)
    temporary = _temporary_of(y)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, 8.0 * X)
    assert temporary() is None
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.sum().backward()
    with pytest.raises(RuntimeError, match="saved tensors after they have already been freed"):
        _ = y.grad_fn.params["ctx"].saved_tensors


def test_a_custom_functions_ctx_keeps_its_saved_arrays_with_retain_graph():
    x = ad.tensor(X, requires_grad=True)
    y = _SavesATemporary.apply(x)
    temporary = _temporary_of(y)
    y.sum().backward(retain_graph=True)
    assert temporary() is not None
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, 16.0 * X)
    assert temporary() is None
    np.testing.assert_allclose(ad.grad(lambda x: anp.sum(_SavesATemporary.apply(x)))(X), 8.0 * X)


# ----------------------------------------------------------------------------------------------------
# Smaller ones: revolve_recomputations(10**9, 1) took 44 s (a linear search over r); a bisection now
# ----------------------------------------------------------------------------------------------------

def _repetition_number_by_linear_search(steps, snapshots):
    """The implementation before the fix, kept as the reference."""
    import math

    r = 0
    while math.comb(snapshots + r, snapshots) < steps:
        r += 1
    return r


def test_repetition_number_matches_the_linear_search_on_a_grid():
    from admodes.checkpoint import repetition_number, revolve_recomputations

    for steps in [*range(1, 130), 1000, 4097, 10**5]:
        for snapshots in [*range(1, 13), 50, steps - 1, steps, steps + 7]:
            if snapshots < 1:
                continue
            r = _repetition_number_by_linear_search(steps, snapshots)
            assert repetition_number(steps, snapshots) == r, (steps, snapshots)
            assert revolve_recomputations(steps, snapshots) == r * steps - _comb(snapshots + r, snapshots + 1)


def _comb(n, k):
    import math

    return math.comb(n, k)


def test_revolve_recomputations_of_a_billion_steps_takes_few_binomials(monkeypatch):
    import importlib
    import math
    import types

    checkpoint = importlib.import_module("admodes.checkpoint")  # (the package's name `checkpoint` is the function)
    calls = []

    def counted_comb(n, k):
        calls.append((n, k))
        if len(calls) > 1000:
            raise AssertionError("more than 1000 binomial coefficients for one repetition number")
        return math.comb(n, k)

    monkeypatch.setattr(checkpoint, "math", types.SimpleNamespace(comb=counted_comb, sqrt=math.sqrt))
    assert checkpoint.revolve_recomputations(10**9, 1) == 10**9 * (10**9 - 1) // 2  # one snapshot: L(L-1)/2
    assert checkpoint.revolve_recomputations(10**9, 10**9 - 1) == 10**9 - 1
    assert checkpoint.repetition_number(10**30, 3) == _repetition_number_by_bisection_check(10**30, 3)


def _repetition_number_by_bisection_check(steps, snapshots):
    """The smallest r with C(s + r, s) >= L, checked from its definition around the value found."""
    from admodes.checkpoint import repetition_number

    r = repetition_number(steps, snapshots)
    assert _comb(snapshots + r, snapshots) >= steps > (_comb(snapshots + r - 1, snapshots) if r else 0)
    return r


def _step_without_return(x):
    anp.sin(x)


@pytest.mark.parametrize("chain", ["checkpoint", "checkpoint_sequential", "revolve", "revolve-plain"])
def test_checkpointed_code_that_forgets_to_return_says_so(chain):
    # (a sibling: a shape-change error, an error from sin(None), or "dtype object")
    run = {"checkpoint": lambda x: ad.checkpoint(_step_without_return)(x),
           "checkpoint_sequential": lambda x: ad.checkpoint_sequential([_step_without_return] * 2, x),
           "revolve": lambda x: ad.revolve(_step_without_return, x, 4, 2),
           "revolve-plain": None}[chain]
    with pytest.raises(TypeError, match="returned None"):
        if run is None:
            ad.revolve(_step_without_return, X, 4, 2)
        else:
            ad.grad(lambda x: anp.sum(run(x)))(X)


# ----------------------------------------------------------------------------------------------------
# Every supported Python: NumPy 2.2 (the newest on Python 3.10) gives ufuncs no signature, and the names
# guessed for their arguments (x1 for sin) then differed from NumPy's own (x), in every error message
# ----------------------------------------------------------------------------------------------------

def test_ufunc_argument_names_without_a_signature_are_numpys_own(monkeypatch):
    import inspect

    from admodes.ops import primitive

    def no_signature_for_ufuncs(obj, *args, **kwargs):
        if isinstance(obj, np.ufunc):
            raise ValueError(f"callable {obj!r} is not supported by signature")
        return signature(obj, *args, **kwargs)

    signature = inspect.signature
    monkeypatch.setattr(inspect, "signature", no_signature_for_ufuncs)
    assert primitive._signature_split(np.sin) == (["x"], [])
    assert primitive._signature_split(np.arctan2) == (["x1", "x2"], [])
    assert primitive._signature_split(np.divmod)[0] == ["x1", "x2"]


# ----------------------------------------------------------------------------------------------------
# 7. Division by a Python zero through the operators of every engine: NumPy's inf and its warning. (The
#    ZeroDivisionError came from divide's rule, fixed in the op library; the engines pass a Python number
#    to the primitive unchanged, which NumPy's weak-scalar promotion needs: float32 / 2.0 stays float32.)
# ----------------------------------------------------------------------------------------------------

# (Not grad(mode="forward"): its direction [1, 0] meets 1/0 as 0 * inf = nan in the other component, as in JAX.)
@pytest.mark.filterwarnings("ignore:invalid value encountered in multiply")  # (the batch's 0 * inf elsewhere)
@pytest.mark.parametrize("mode", ["values", "tensor", "dual", "grad", "jacrev-batch"])
def test_division_by_a_python_zero_is_inf_with_numpys_warning_in_every_engine(mode):
    run = {"values": lambda: ad.tensor(X) / 0.0,
           "tensor": lambda: (lambda w: ((w / 0.0).sum().backward(), w.grad)[1])(ad.tensor(X, requires_grad=True)),
           "dual": lambda: (ad.Dual(X, np.ones(2)) / 0.0).tangent,
           "grad": lambda: ad.grad(lambda x: anp.sum(x / 0.0))(X),
           "jacrev-batch": lambda: np.diag(ad.jacrev(lambda x: x / 0.0, batch=True)(X))}[mode]
    with pytest.warns(RuntimeWarning, match="divide by zero"):
        out = run()
    np.testing.assert_array_equal(np.asarray(getattr(out, "data", out)), [np.inf, np.inf])
    assert (ad.tensor(X.astype(np.float32)) / 2.0).dtype == np.float32
