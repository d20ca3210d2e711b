"""ad.jet and ad.taylor: JAX's jet convention, K nested jvps, derivative tensors by jacfwd/jacrev/hessian,
nesting with the other transforms, and bad input."""

import math

import numpy as np
import pytest

import admodes as ad
import admodes.numpy as anp

RNG = np.random.default_rng(19)
X = RNG.uniform(0.5, 1.5, 3)
V = RNG.standard_normal(3)
W = RNG.standard_normal((3, 3)) / 3


def composite(x):
    """Elementwise, bilinear, reductions and a division: a chain every order of which is nonzero."""
    h = anp.tanh(W.astype(x.dtype) @ x) * anp.exp(-x) + anp.sin(x) / (1.0 + x ** 2)
    return anp.sum(anp.log(1.0 + h * h) + anp.sqrt(x) * anp.arctan(h))


def vector_valued(x):
    return anp.cos(W @ anp.sinh(x)) * x[::-1]


def nested_jvp(f, x, v, k):
    derivative = f
    for _ in range(k):
        derivative = (lambda g: lambda y: ad.jvp(g, (y,), (v,))[1])(derivative)
    return derivative(x)


@pytest.mark.parametrize("f", [composite, vector_valued])
def test_taylor_equals_k_nested_jvps(f):
    derivatives = ad.taylor(f, order=5)(X, V)
    assert len(derivatives) == 5
    for k, d in enumerate(derivatives, 1):
        np.testing.assert_allclose(d, nested_jvp(f, X, V, k), rtol=1e-10, atol=1e-12, err_msg=f"order {k}")


def test_jet_follows_jax_convention_series_are_derivatives():
    # x(t) = x0 + x1 t + x2 t^2 / 2: d/dt sin(x) = cos(x) x1, d2/dt2 = -sin(x) x1^2 + cos(x) x2
    x0, x1, x2 = np.array(0.7), np.array(1.3), np.array(-0.4)
    out, (d1, d2) = ad.jet(anp.sin, (x0,), ([x1, x2],))
    assert out == np.sin(x0)
    np.testing.assert_allclose(d1, np.cos(x0) * x1, rtol=1e-14)
    np.testing.assert_allclose(d2, -np.sin(x0) * x1 ** 2 + np.cos(x0) * x2, rtol=1e-14)


def test_factorial_scaled_false_takes_and_gives_normalized_coefficients():
    # x(t) = 0 + t: exp(t) = 1 + t + t^2/2 + t^3/6, coefficients not derivatives
    _, series = ad.jet(anp.exp, (np.array(0.0),), ([np.array(1.0), np.array(0.0), np.array(0.0)],),
                       factorial_scaled=False)
    np.testing.assert_allclose(series, [1.0, 0.5, 1 / 6], rtol=1e-15)
    # x(t) = t + t^2 (normalized): d2/dt2 at 0 of exp(x(t)) is 3, so its coefficient is 1.5
    _, series = ad.jet(anp.exp, (np.array(0.0),), ([np.array(1.0), np.array(1.0)],), factorial_scaled=False)
    np.testing.assert_allclose(series, [1.0, 1.5], rtol=1e-15)


def test_jet_of_two_primals_and_a_constant_function():
    out, series = ad.jet(lambda a, b: a * b, (np.array(2.0), np.array(3.0)),
                         ([np.array(1.0), np.array(0.0)], [np.array(0.0), np.array(0.0)]))
    assert (float(out), [float(s) for s in series]) == (6.0, [3.0, 0.0])
    out, series = ad.jet(lambda a: np.ones(2), (np.array(2.0),), ([np.array(1.0)],))
    assert out.tolist() == [1.0, 1.0] and series[0].tolist() == [0.0, 0.0]


def test_hessian_quadratic_form_is_the_second_taylor_coefficient():
    hessian = ad.hessian(composite)(X)
    np.testing.assert_allclose(ad.taylor(composite, order=2)(X, V)[1], V @ hessian @ V, rtol=1e-10)


@pytest.mark.parametrize("outer, inner", [(ad.jacfwd, ad.jacfwd), (ad.jacfwd, ad.jacrev), (ad.jacrev, ad.jacrev)])
def test_third_derivative_tensor_contracted_with_v_three_times(outer, inner):
    small = lambda x: anp.sum(anp.exp(x[0] * x[1]) * anp.sin(x))  # noqa: E731
    x, v = X[:2], V[:2]
    tensor = outer(outer(inner(small)))(x)  # shape (2, 2, 2)
    np.testing.assert_allclose(ad.taylor(small, order=3)(x, v)[2], np.einsum("ijk,i,j,k->", tensor, v, v, v),
                               rtol=1e-10)


def test_taylor_order_one_is_the_jvp():
    np.testing.assert_allclose(ad.taylor(vector_valued, order=1)(X, V)[0], ad.jvp(vector_valued, (X,), (V,))[1],
                               rtol=1e-14)


def test_jet_nests_inside_jvp_and_grad():
    # d/ds [d/dt f(x + s v + t v)] = the second directional derivative
    first = lambda x: ad.taylor(composite, order=1)(x, V)[0]  # noqa: E731
    second = ad.taylor(composite, order=2)(X, V)[1]
    np.testing.assert_allclose(ad.jvp(first, (X,), (V,))[1], second, rtol=1e-10)
    np.testing.assert_allclose(ad.grad(first)(X) @ V, second, rtol=1e-10)


def test_jvp_nests_inside_jet():
    inner = lambda x: ad.jvp(composite, (x,), (V,))[1]  # noqa: E731
    np.testing.assert_allclose(ad.taylor(inner, order=2)(X, V)[1], nested_jvp(composite, X, V, 3), rtol=1e-10)


def test_float32_stays_float32():
    out = ad.taylor(composite, order=3)(X.astype(np.float32), V.astype(np.float32))
    assert [d.dtype for d in out] == [np.float32] * 3
    np.testing.assert_allclose(out[2], nested_jvp(composite, X, V, 3), rtol=2e-3)


def test_results_are_fresh_arrays():
    x = X.copy()
    primal, series = ad.jet(lambda a: a, (x,), ([V],))
    primal[0] = 100.0
    series[0][0] = 100.0
    assert x[0] == X[0] and V[0] != 100.0


# ---- bad input -----------------------------------------------------------------------------------


def test_order_zero_is_refused():
    with pytest.raises(ValueError, match="series 0 is empty"):
        ad.jet(anp.sin, (X,), ([],))
    with pytest.raises(ValueError, match="order must be an int >= 1"):
        ad.taylor(anp.sin, order=0)
    with pytest.raises(ValueError, match="order must be an int >= 1"):
        ad.taylor(anp.sin, order=2.0)


def test_series_of_the_wrong_shape_names_the_argument():
    with pytest.raises(ValueError, match=r"series 1 coefficient 2 has shape \(2,\) but primal 1 has shape \(3,\)"):
        ad.jet(lambda a, b: a * b, (X, X), ([V, V], [V, V[:2]]))
    with pytest.raises(ValueError, match="one series per primal"):
        ad.jet(anp.sin, (X,), ([V], [V]))
    with pytest.raises(ValueError, match="different lengths"):
        ad.jet(lambda a, b: a * b, (X, X), ([V], [V, V]))
    with pytest.raises(TypeError, match="series 0 must be a list"):
        ad.jet(anp.sin, (X,), (V,))


def test_complex_input_is_refused():
    with pytest.raises(TypeError, match="series 0 coefficient 1 is complex"):
        ad.jet(anp.sin, (X,), ([V + 1j],))
    with pytest.raises(TypeError, match="primal 0 is complex"):
        ad.jet(anp.sin, (X + 0j,), ([V],))
    with pytest.raises(TypeError, match="series 0 coefficient 1 has dtype float32 but primal 0 has dtype float64"):
        ad.jet(anp.sin, (X,), ([V.astype(np.float32)],))


def test_overflow_at_high_orders_is_inf_not_a_finite_wrong_value():
    # d^k/dt^k exp(700 + 10 t) = 10^k e^700 overflows float64 from k = 5 on
    with np.errstate(over="ignore", invalid="ignore"):
        derivatives = ad.taylor(anp.exp, order=8)(np.array(700.0), np.array(10.0))
    for k, d in enumerate(derivatives, 1):
        exact = math.exp(700.0) * 10.0 ** k  # inf once it overflows
        if math.isfinite(exact):
            np.testing.assert_allclose(d, exact, rtol=1e-12)
        else:
            assert not np.isfinite(d), f"order {k}: {d} should be inf (the exact value {exact:.3g} overflows)"


def test_a_custom_function_without_a_jet_rule_raises_naming_it():
    class Cube(ad.Function):
        forward = staticmethod(lambda ctx, x: x ** 3)
        backward = staticmethod(lambda ctx, g: None)  # (never reached: the jet engine refuses first)
        jvp = staticmethod(lambda ctx, t: None)
    with pytest.raises(NotImplementedError, match="Cube.*no Taylor-mode"):
        ad.taylor(Cube.apply, order=2)(X, V)


def test_jet_nests_inside_jet():
    # the first directional derivative, differentiated twice more along v by an outer jet: the third
    first = lambda x: ad.taylor(composite, order=1)(x, V)[0]  # noqa: E731
    np.testing.assert_allclose(ad.taylor(first, order=2)(X, V)[1], nested_jvp(composite, X, V, 3), rtol=1e-10)
