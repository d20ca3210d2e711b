"""Finite differences (`numeric_grad`, `numeric_jacobian`, `numeric_jvp`) and the gradient checker."""

import numpy as np
import pytest

from admodes.check import METHODS, numeric_grad, numeric_jacobian, numeric_jvp

# ----------------------------------------------------------------------------------------------------
# Finite differences: accuracy against closed forms
# ----------------------------------------------------------------------------------------------------


def _vector_map(x):
    return np.array([np.sin(x[0]) * x[1], np.exp(x[0] * x[1]), x[2] ** 3 / x[0], np.log(x[1]) * np.cos(x[2])])


def _vector_map_jacobian(x):
    a, b, c = x
    return np.array([[np.cos(a) * b, np.sin(a), 0.0],
                     [b * np.exp(a * b), a * np.exp(a * b), 0.0],
                     [-c ** 3 / a ** 2, 0.0, 3 * c ** 2 / a],
                     [0.0, np.cos(c) / b, -np.log(b) * np.sin(c)]])


_PRODUCT_POINT = np.random.default_rng(0).uniform(0.5, 1.5, 20)

# (name, f, x, exact Jacobian, the relative error richardson must reach)
ACCURACY_CASES = [
    ("exp at 20", np.exp, np.array([20.0]), lambda x: np.diag(np.exp(x)), 1e-12),
    ("exp at -20", np.exp, np.array([-20.0]), lambda x: np.diag(np.exp(x)), 1e-12),
    ("log at 1e-8", np.log, np.array([1e-8]), lambda x: np.diag(1 / x), 1e-10),
    ("sin at 1e6", np.sin, np.array([1e6]), lambda x: np.diag(np.cos(x)), 1e-10),
    ("x**2 at 1e8", lambda x: x ** 2, np.array([1e8]), lambda x: np.diag(2 * x), 1e-12),
    ("product of 20 terms", np.prod, _PRODUCT_POINT, lambda x: np.prod(x) / x, 1e-12),
    ("vector map R^3 -> R^4", _vector_map, np.array([0.7, 1.3, -0.4]), _vector_map_jacobian, 1e-11),
]
_IDS = [case[0] for case in ACCURACY_CASES]


def relative_error(approx, exact):
    """Elementwise |approx - exact| / |exact| (absolute where exact is 0), the largest."""
    approx, exact = np.asarray(approx, dtype=float).reshape(np.shape(exact)), np.asarray(exact, dtype=float)
    with np.errstate(invalid="ignore"):
        err = np.abs(approx - exact) / np.where(exact == 0, 1.0, np.abs(exact))
    return float(np.max(np.where(np.isnan(err), np.inf, err)))


@pytest.mark.parametrize("name, f, x, exact, bound", ACCURACY_CASES, ids=_IDS)
def test_richardson_is_accurate_across_scales(name, f, x, exact, bound):
    assert relative_error(numeric_jacobian(f, x), exact(x)) < bound


@pytest.mark.parametrize("name, f, x, exact, bound", ACCURACY_CASES, ids=_IDS)
def test_richardson_is_never_worse_than_central(name, f, x, exact, bound):
    try:
        central = relative_error(numeric_jacobian(f, x, "central"), exact(x))
    except ValueError:  # central cannot step around log near 1e-8 at all
        central = np.inf
    assert relative_error(numeric_jacobian(f, x), exact(x)) <= max(central, 1e-15)


@pytest.mark.filterwarnings("ignore::RuntimeWarning", "ignore::UserWarning")  # numdifftools on log near 1e-8
@pytest.mark.parametrize("name, f, x, exact, bound", ACCURACY_CASES, ids=_IDS)
def test_richardson_is_within_10x_of_numdifftools(name, f, x, exact, bound):
    nd = pytest.importorskip("numdifftools")
    if x.size == 1:
        theirs = nd.Derivative(lambda s: f(np.array([s]))[0])(x[0])
    elif np.ndim(exact(x)) == 1:
        theirs = nd.Gradient(f)(x)
    else:
        theirs = nd.Jacobian(f)(x)
    ours = relative_error(numeric_jacobian(f, x), exact(x))
    # Both at machine precision counts as a tie: a 1e-16 against a 0.0 is not 10x worse.
    assert ours <= 10 * max(relative_error(theirs, exact(x)), 4 * np.finfo(float).eps)


@pytest.mark.parametrize("method, bound", [("forward", 1e-6), ("central", 1e-9), ("richardson", 1e-11),
                                           ("complex", 1e-15)])
def test_each_method_reaches_its_accuracy(method, bound):
    x = np.array([[0.3, -1.2], [2.0, 0.5]])
    f = lambda x: np.sin(x) * np.exp(x / 3)
    exact = np.diag((np.cos(x) * np.exp(x / 3) + np.sin(x) * np.exp(x / 3) / 3).ravel()).reshape(2, 2, 2, 2)
    assert relative_error(numeric_jacobian(f, x, method), exact) < bound


def test_float32_points_get_float32_steps():
    x = np.linspace(-2, 2, 5).astype(np.float32)
    exact = np.cos(x.astype(float))
    for method, bound in [("central", 1e-4), ("richardson", 1e-4), ("complex", 1e-6)]:
        got = numeric_grad(lambda x: np.sum(np.sin(x)), x, method)
        assert got.dtype == np.float32
        assert relative_error(got, exact) < bound


def test_error_estimate_bounds_the_actual_error():
    x = np.array([0.7, 1.3, -0.4])
    value, diff = numeric_jacobian(_vector_map, x, full_output=True)
    assert np.all(np.abs(value - _vector_map_jacobian(x)) <= diff.error)
    assert diff.evaluations < 3 * 2 * 19  # stops early once converged: far fewer than the full ladder
    assert diff.method == "richardson"


def test_evaluations_per_method():
    x = np.arange(1.0, 5.0)
    for method, expected in [("forward", 1 + 4), ("central", 1 + 8), ("complex", 1 + 4)]:
        assert numeric_jacobian(np.sin, x, method, full_output=True)[1].evaluations == expected


# ----------------------------------------------------------------------------------------------------
# Finite differences: layout, scalars, directions
# ----------------------------------------------------------------------------------------------------

def test_jacobian_layout_is_output_shape_then_input_shape():
    x = np.arange(6.0).reshape(2, 3) / 10
    a = np.arange(12.0).reshape(4, 3) / 7
    jac = numeric_jacobian(lambda x: (a @ x.T) ** 2, x)  # output shape (4, 2)
    assert jac.shape == (4, 2, 2, 3)
    out = a @ x.T
    exact = np.zeros((4, 2, 2, 3))
    for i in range(4):
        for j in range(2):
            exact[i, j, j, :] = 2 * out[i, j] * a[i]
    assert relative_error(jac, exact) < 1e-11


def test_numeric_grad_of_a_scalar_has_the_input_shape():
    x = np.array([[1.0, 2.0], [3.0, -1.0]])
    grad = numeric_grad(lambda x: np.sum(x ** 3), x)
    assert grad.shape == (2, 2)
    np.testing.assert_allclose(grad, 3 * x ** 2, rtol=1e-12)


def test_numeric_grad_counts_a_size_one_output_as_a_scalar():
    grad = numeric_grad(lambda x: np.sum(x ** 2, keepdims=True), np.array([1.0, 2.0]))
    assert grad.shape == (2,)
    np.testing.assert_allclose(grad, [2.0, 4.0], rtol=1e-12)


def test_numeric_grad_of_a_vector_function_is_its_jacobian():
    jac = numeric_grad(lambda x: x[::-1] * 2, np.array([1.0, 2.0]))
    np.testing.assert_allclose(jac, [[0.0, 2.0], [2.0, 0.0]], atol=1e-12)


def test_scalar_input_and_python_float():
    assert abs(numeric_grad(lambda x: x ** 3, 2.0) - 12.0) < 1e-10
    assert abs(numeric_grad(np.exp, np.float64(0.0)) - 1.0) < 1e-12


def test_numeric_jvp_is_the_jacobian_times_the_direction():
    x, v = np.array([0.7, 1.3, -0.4]), np.array([0.5, -2.0, 1.0])
    value, diff = numeric_jvp(_vector_map, x, v, full_output=True)
    np.testing.assert_allclose(value, _vector_map_jacobian(x) @ v, rtol=1e-10)
    assert diff.evaluations <= 1 + 2 * 19


def test_zero_derivatives_stop_early():
    value, diff = numeric_jacobian(lambda x: np.array([x[0] * 0 + 1.0, x[1] ** 2]), np.array([1.0, 2.0]),
                                   full_output=True)
    np.testing.assert_allclose(value, [[0.0, 0.0], [0.0, 4.0]], atol=1e-12)
    assert diff.evaluations < 1 + 2 * 2 * 10


# ----------------------------------------------------------------------------------------------------
# Finite differences: bad input is explained
# ----------------------------------------------------------------------------------------------------

def test_the_callers_array_is_never_modified():
    x = np.array([1.0, 2.0])

    def rude(y):
        y[0] = 100.0  # f mutating its argument must not change the caller's x, nor our base point
        return np.sum(y ** 2)

    numeric_grad(rude, x)
    np.testing.assert_array_equal(x, [1.0, 2.0])


def test_non_finite_value_at_the_point_is_an_error():
    with pytest.raises(ValueError, match=r"f is not finite at the point: output\[1\] = nan"):
        numeric_jacobian(np.log, np.array([1.0, -1.0]))


def test_central_next_to_the_domain_edge_says_to_use_richardson():
    with pytest.raises(ValueError, match=r"not finite one central step .* along x\[0\].*richardson"):
        numeric_grad(np.log, np.array([1e-8]), "central")


def test_richardson_shrinks_the_step_until_f_is_finite():
    np.testing.assert_allclose(numeric_grad(np.sqrt, np.array([1e-9])), [0.5 / np.sqrt(1e-9)], rtol=1e-9)


@pytest.mark.parametrize("x, error, match", [
    (np.array([1, 2]), TypeError, r"dtype int64.*astype\(float\)"),
    (np.array([True]), TypeError, "dtype bool"),
    (np.zeros(0), ValueError, r"empty \(shape \(0,\)\)"),
    ("1.0", TypeError, "got str"),
    (np.array([1.0, np.inf]), ValueError, r"non-finite values \(x\[1\] = inf\)"),
    (np.array([1j]), TypeError, "complex"),
])
def test_bad_points_are_named(x, error, match):
    with pytest.raises(error, match=match):
        numeric_grad(np.sin, x)


@pytest.mark.parametrize("f, match", [
    (lambda x: (x, x), "got tuple .*np.stack"),
    (lambda x: None, "got NoneType"),
    (lambda x: np.argmax(x), "dtype int64"),
    (lambda x: x[: int(x[0] * 1e6) % 2 + 1], "output shape must not depend"),
])
def test_bad_outputs_are_named(f, match):
    with pytest.raises((TypeError, ValueError), match=match):
        numeric_grad(f, np.array([0.5, 1.0]))


def test_unknown_method():
    with pytest.raises(ValueError, match="unknown finite-difference method 'backward'.*richardson"):
        numeric_grad(np.sin, np.ones(2), "backward")
    assert METHODS[0] == "richardson"


def test_complex_step_needs_a_function_that_accepts_complex_input():
    with pytest.raises(TypeError, match="drops the imaginary part"):
        numeric_grad(lambda x: np.sum(np.abs(x)), np.ones(2), "complex")
    with pytest.raises(TypeError, match="does not accept complex input.*richardson"):
        numeric_grad(lambda x: float(x[0]) ** 2, np.ones(1), "complex")


def test_an_exception_in_f_propagates_with_a_note():
    def broken(x):
        raise KeyError("oops")

    with pytest.raises(KeyError) as info:
        numeric_grad(broken, np.ones(2))
    assert "oops" in str(info.value)
