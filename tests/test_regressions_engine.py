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
    "jacrev": lambda f, nums: ad.jacrev(f, argnums=nums),
    "jacrev-batch": lambda f, nums: ad.jacrev(f, argnums=nums, batch=True),
    "jacfwd": lambda f, nums: ad.jacfwd(f, argnums=nums),
    "jacfwd-batch": lambda f, nums: ad.jacfwd(f, argnums=nums, batch=True),
    "hessian": lambda f, nums: ad.hessian(lambda a, b: anp.sum(f(a, b)), argnums=nums),
}


@pytest.mark.parametrize("nums", [(0, 1, 0), (1, 1), (0, -2)])
@pytest.mark.parametrize("transform", sorted(_TRANSFORMS_WITH_ARGNUMS))
def test_duplicate_argnums_are_refused_naming_argnums(transform, nums):
    differentiated = _TRANSFORMS_WITH_ARGNUMS[transform](lambda a, b: a * b * b, nums)
    with pytest.raises(ValueError, match=r"argnums .* names argument \d more than once"):
        differentiated(X, Y)


@pytest.mark.parametrize("transform", sorted(set(_TRANSFORMS_WITH_ARGNUMS) - {"hessian"}))
def test_distinct_argnums_still_give_each_argument_its_derivative(transform):
    out = _TRANSFORMS_WITH_ARGNUMS[transform](lambda a, b: a * b * b, (1, 0))(X, Y)
    out = out[1] if transform.startswith("value_and_grad") else out
    expected_b, expected_a = 2 * X * Y, Y * Y  # d/db sum(a b^2), d/da sum(a b^2)
    if transform.startswith("jac"):
        expected_b, expected_a = np.diag(expected_b), np.diag(expected_a)
    np.testing.assert_allclose(out[0], expected_b)
    np.testing.assert_allclose(out[1], expected_a)


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
    "complex": (lambda x: np.complex128(1j), "returned a complex"),
}

_EVERY_TRANSFORM = {
    "grad": lambda f, x: ad.grad(f)(x),
    "grad-forward": lambda f, x: ad.grad(f, mode="forward")(x),
    "value_and_grad": lambda f, x: ad.value_and_grad(f)(x),
    "vjp": lambda f, x: ad.vjp(f, x)[1](np.ones(())),
    "jvp": lambda f, x: ad.jvp(f, (x,), (np.ones_like(x),)),
    "jacrev": lambda f, x: ad.jacrev(f)(x),
    "jacrev-batch": lambda f, x: ad.jacrev(f, batch=True)(x),
    "jacfwd": lambda f, x: ad.jacfwd(f)(x),
    "jacfwd-batch": lambda f, x: ad.jacfwd(f, batch=True)(x),
    "jacfwd-empty-input": lambda f, x: ad.jacfwd(f, batch=True)(x[:0]),
    "hessian": lambda f, x: ad.hessian(f)(x),
    "hvp": lambda f, x: ad.hvp(f, x, np.ones_like(x)),
    "vmap": lambda f, x: ad.vmap(f)(np.stack([x, x])),
}


@pytest.mark.parametrize("returned", sorted(_NOT_ARRAYS))
@pytest.mark.parametrize("transform", sorted(_EVERY_TRANSFORM))
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
