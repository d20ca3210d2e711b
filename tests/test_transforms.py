"""Functional transforms and their nesting in every combination (admodes/transforms/)."""

import numpy as np
import pytest

import admodes as ad
import admodes.numpy as anp


def f(x):
    return anp.sum(anp.sin(x) * x * x)


def grad_f(x):
    return np.cos(x) * x * x + 2 * x * np.sin(x)


def hess_f(x):
    return np.diag(-np.sin(x) * x * x + 4 * x * np.cos(x) + 2 * np.sin(x))


X = np.array([0.3, -1.2, 2.0])


def numeric_jacobian(fn, x, h=1e-6):
    cols = [(np.asarray(fn(x + h * e)) - np.asarray(fn(x - h * e))) / (2 * h) for e in np.eye(x.size)]
    return np.stack(cols, axis=-1)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_grad_and_value_and_grad_match_the_closed_form(mode):
    np.testing.assert_allclose(ad.grad(f, mode=mode)(X), grad_f(X), rtol=1e-13)
    value, g = ad.value_and_grad(f, mode=mode)(X)
    np.testing.assert_allclose(value, f(X), rtol=1e-15)
    np.testing.assert_allclose(g, grad_f(X), rtol=1e-13)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_argnums_tuples(mode):
    g = ad.grad(lambda x, y: anp.sum(x * anp.exp(y)), argnums=(0, 1), mode=mode)(X, X[::-1].copy())
    np.testing.assert_allclose(g[0], np.exp(X[::-1]))
    np.testing.assert_allclose(g[1], X * np.exp(X[::-1]))


def test_vjp_gives_u_transpose_j_and_can_be_called_again():
    out, vjp_fn = ad.vjp(anp.sin, X)
    np.testing.assert_allclose(out, np.sin(X))
    for u in (np.ones(3), np.array([1.0, -2.0, 0.5])):
        (ct,) = vjp_fn(u)
        np.testing.assert_allclose(ct, u * np.cos(X))


def test_jacobians_by_both_modes_agree_with_differences():
    g = lambda x: anp.tanh(anp.exp(x) * anp.sum(x))
    expected = numeric_jacobian(lambda x: np.tanh(np.exp(x) * np.sum(x)), X)
    np.testing.assert_allclose(ad.jacrev(g)(X), expected, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(ad.jacfwd(g)(X), expected, rtol=1e-7, atol=1e-9)


def test_jacobian_layout_is_output_shape_then_input_shape():
    A = np.arange(6.0).reshape(2, 3)
    jac = ad.jacrev(lambda x: x * 2.0)(A)
    assert jac.shape == (2, 3, 2, 3)
    assert jac[1, 2, 1, 2] == 2.0 and jac[1, 2, 0, 0] == 0.0


def test_hessian_and_hvp():
    np.testing.assert_allclose(ad.hessian(f)(X), hess_f(X), rtol=1e-12, atol=1e-14)
    v = np.array([1.0, 0.5, -2.0])
    np.testing.assert_allclose(ad.hvp(f, X, v), hess_f(X) @ v, rtol=1e-12)


@pytest.mark.parametrize("outer", ["reverse", "forward"])
@pytest.mark.parametrize("inner", ["reverse", "forward"])
def test_second_derivatives_in_every_combination(outer, inner):
    d2 = ad.grad(ad.grad(lambda x: x * x * anp.sin(x), mode=inner), mode=outer)(np.array(0.7))
    x = 0.7
    np.testing.assert_allclose(d2, 2 * np.sin(x) + 4 * x * np.cos(x) - x * x * np.sin(x), rtol=1e-13)


def test_third_derivative_by_three_nested_reverse_sweeps():
    d3 = ad.grad(ad.grad(ad.grad(lambda x: anp.exp(2.0 * x))))(np.array(0.1))
    np.testing.assert_allclose(d3, 8 * np.exp(0.2), rtol=1e-13)


@pytest.mark.parametrize("outer", ["reverse", "forward"])
@pytest.mark.parametrize("inner", ["reverse", "forward"])
def test_no_perturbation_confusion(outer, inner):
    # d/dx [x * d/dy (x + y)] = d/dx [x * 1] = 1, at any x (Siskind and Pearlmutter's classic).
    def inner_derivative_times_x(x):
        return x * ad.grad(lambda y: x + y, mode=inner)(np.array(1.0))
    for x in (0.0, 3.0):
        assert float(ad.grad(inner_derivative_times_x, mode=outer)(np.array(x))) == 1.0


def test_reverse_over_forward_jvp():
    # d/dx of the directional derivative of sin at x along 1: d/dx cos(x) = -sin(x)
    g = ad.grad(lambda x: ad.jvp(anp.sin, (x,), (np.ones_like(x),))[1].sum())(X)
    np.testing.assert_allclose(g, -np.sin(X), rtol=1e-14)


def test_functions_that_ignore_their_input_have_zero_gradients():
    np.testing.assert_array_equal(ad.grad(lambda x: anp.sum(np.ones(3)))(X), np.zeros(3))
    np.testing.assert_array_equal(ad.jacrev(lambda x: np.ones(2))(X), np.zeros((2, 3)))


def test_float32_stays_float32():
    x32 = X.astype(np.float32)
    for mode in ("reverse", "forward"):
        g = ad.grad(f, mode=mode)(x32)
        assert g.dtype == np.float32
        np.testing.assert_allclose(g, grad_f(X), rtol=1e-5)


def test_inputs_are_never_modified():
    x = X.copy()
    ad.grad(f)(x), ad.hessian(f)(x), ad.jacrev(anp.sin)(x), ad.jacfwd(anp.sin)(x)
    np.testing.assert_array_equal(x, X)


def test_grad_of_a_non_scalar_function_says_what_to_do():
    with pytest.raises(TypeError, match=r"scalar output, but f returned shape \(3,\).*jacrev"):
        ad.grad(anp.sin)(X)


def test_integer_inputs_are_an_error_not_a_zero_gradient():
    with pytest.raises(TypeError, match="argument 0 has dtype int64"):
        ad.grad(lambda x: anp.sum(x * 1.0))(np.array([1, 2]))


def test_bad_argnums_and_modes():
    with pytest.raises(ValueError, match="argnums 2 is out of range"):
        ad.grad(lambda x, y: anp.sum(x * y), argnums=2)(X, X)
    with pytest.raises(ValueError, match="mode must be one of"):
        ad.grad(f, mode="sideways")


def test_vjp_cotangent_of_the_wrong_shape():
    _, vjp_fn = ad.vjp(anp.sin, X)
    with pytest.raises(ValueError, match=r"cotangent has shape \(2,\) but f's output has shape \(3,\)"):
        vjp_fn(np.ones(2))


def test_static_parameters_by_position_and_arrays_by_keyword_when_traced():
    x = np.arange(6.0).reshape(2, 3)
    expected = 2 * np.broadcast_to(x.sum(0), x.shape)
    np.testing.assert_allclose(ad.grad(lambda a: anp.sum(anp.sum(a, 0) ** 2))(x), expected)
    g = ad.grad(lambda a: anp.sum(anp.where(x > 2, x=a * 2.0, y=a)))(x)
    np.testing.assert_allclose(g, np.where(x > 2, 2.0, 1.0))


def test_a_keyword_the_rules_do_not_know_is_refused_not_ignored():
    with pytest.raises(TypeError, match="admodes.add does not take 'where'"):
        ad.grad(lambda a: anp.sum(np.add(a, 1.0, where=np.array([True, False, True]))))(X)


@pytest.mark.parametrize("batch", [True, 2])
def test_batched_jacobians_equal_the_per_direction_ones(batch):
    A = np.arange(12.0).reshape(4, 3) / 10.0
    g = lambda x: anp.tanh(A @ x) * anp.sum(x * x)
    expected = ad.jacrev(g)(X)
    np.testing.assert_allclose(ad.jacrev(g, batch=batch)(X), expected, rtol=1e-13)
    np.testing.assert_allclose(ad.jacfwd(g, batch=batch)(X), expected, rtol=1e-13)
    np.testing.assert_allclose(ad.jacfwd(g)(X), expected, rtol=1e-13)


def test_batched_jacobians_take_one_sweep_not_one_per_direction():
    A = np.ones((5, 3))
    g = lambda x: anp.tanh(A @ x)
    with ad.count_ops() as per_direction:
        ad.jacfwd(g, batch=False)(X)
    with ad.count_ops() as batched:
        ad.jacfwd(g)(X)  # the default
    assert per_direction.calls["matmul"] == 2 * 3      # f's matmul and its JVP's, once per input direction
    assert batched.calls["matmul"] == 2                 # once, for all three directions
