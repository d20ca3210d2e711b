"""Closed-form derivatives of the reductions (admodes/ops/reductions.py), read off their rules.

The rules are applied directly (`jvp_of`, `vjp_of`), without an AD engine; the random-shape checks
against finite differences live in cases_reductions.py.
"""

import warnings

import numpy as np
import pytest

from admodes.ops.core import FUNCTIONS, REGISTRY, jvp_of, vjp_of
from admodes.ops.reductions import linear_scan, logsumexp

PUBLIC = ["sum", "mean", "prod", "max", "min", "var", "std", "logsumexp", "cumsum", "cumprod"]


def grad(name, a, g=None, **params):
    """The cotangent of ``a`` from the output cotangent ``g`` (default: ones)."""
    prim = REGISTRY[name]
    ans = prim(a, **params)
    g = np.ones(np.shape(ans), np.asarray(a).dtype) if g is None else g
    return vjp_of(prim, g, ans, (a,), params, (True,), (np.shape(a),))[0]


def tangent(name, a, t, **params):
    prim = REGISTRY[name]
    return jvp_of(prim, (t,), prim(a, **params), (a,), params)


@pytest.fixture
def strict():
    """Overflow, division by zero and invalid operations are errors (underflow to 0 is harmless)."""
    with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
        warnings.simplefilter("error")
        yield


# ---- sum and mean ----------------------------------------------------------------------------------

def test_sum_and_mean_copy_the_cotangent_over_the_reduced_axes():
    a = np.arange(6.0).reshape(2, 3)
    g = np.array([1.0, 2.0])
    np.testing.assert_array_equal(grad("sum", a, g, axis=1), [[1, 1, 1], [2, 2, 2]])
    np.testing.assert_array_equal(grad("sum", a, g[:, None], axis=-1, keepdims=True), [[1, 1, 1], [2, 2, 2]])
    np.testing.assert_allclose(grad("mean", a, g, axis=1), [[1 / 3] * 3, [2 / 3] * 3])
    np.testing.assert_allclose(grad("mean", a, np.float64(6.0), axis=(0, 1)), np.ones((2, 3)))
    assert float(tangent("mean", a, np.arange(6.0))) == 2.5


# ---- prod: zeros among the factors -------------------------------------------------------------------

@pytest.mark.parametrize("a, expected", [
    ([2.0, 3.0, 4.0], [12.0, 8.0, 6.0]),     # no zero: the product of the others
    ([2.0, 0.0, 4.0], [0.0, 8.0, 0.0]),      # one zero: only the zero moves the product
    ([0.0, 3.0, 0.0], [0.0, 0.0, 0.0]),      # two zeros: nothing does
    ([0.0, 0.0, 0.0], [0.0, 0.0, 0.0]),
])
def test_prod_gradient_with_zeros_does_not_divide(strict, a, expected):
    np.testing.assert_array_equal(grad("prod", np.array(a)), expected)


def test_prod_tangent_at_one_zero_is_the_product_of_the_others(strict):
    assert float(tangent("prod", np.array([2.0, 0.0, 4.0]), np.array([5.0, 1.0, 7.0]))) == 8.0


def test_prod_over_several_axes_with_zeros(strict):
    a = np.array([[[2.0, 0.0], [3.0, 4.0]], [[1.0, 2.0], [3.0, 5.0]]])  # reduce axes 1 and 2 of each block
    expected = [[[0.0, 24.0], [0.0, 0.0]], [[30.0, 15.0], [10.0, 6.0]]]
    np.testing.assert_array_equal(grad("prod", a, axis=(-1, 1)), expected)
    np.testing.assert_array_equal(grad("prod", a, np.ones((2, 1, 1)), axis=(1, 2), keepdims=True), expected)


# ---- max and min: ties share the derivative equally ---------------------------------------------------

def test_max_gives_the_whole_derivative_to_a_unique_maximum():
    np.testing.assert_array_equal(grad("max", np.array([1.0, 4.0, 2.0])), [0.0, 1.0, 0.0])
    np.testing.assert_array_equal(grad("min", np.array([1.0, 4.0, 2.0])), [1.0, 0.0, 0.0])


def test_ties_split_the_derivative_equally():
    np.testing.assert_array_equal(grad("max", np.array([1.0, 3.0, 3.0, 2.0])), [0.0, 0.5, 0.5, 0.0])
    np.testing.assert_array_equal(grad("min", np.array([1.0, 3.0, 1.0, 1.0])), [1 / 3, 0.0, 1 / 3, 1 / 3])
    np.testing.assert_array_equal(grad("max", np.full((2, 2), 7.0)), np.full((2, 2), 0.25))
    a = np.array([[1.0, 2.0, 2.0], [4.0, 0.0, 4.0]])
    np.testing.assert_array_equal(grad("max", a, np.array([[2.0], [6.0]]), axis=1, keepdims=True),
                                  [[0.0, 1.0, 1.0], [3.0, 0.0, 3.0]])
    b = np.array([[1.0, 2.0, 3.0], [4.0, 0.0, 3.0]])
    np.testing.assert_array_equal(grad("min", b, np.ones(3), axis=0), [[1.0, 0.0, 0.5], [0.0, 1.0, 0.5]])


def test_tangent_at_a_tie_is_the_mean_of_the_tied_tangents():
    assert float(tangent("max", np.array([1.0, 3.0, 3.0]), np.array([10.0, 1.0, 4.0]))) == 2.5
    np.testing.assert_array_equal(tangent("min", np.array([[0.0, 0.0], [1.0, 2.0]]), np.array([[1.0, 2.0], [3.0, 4.0]]),
                                          axis=1), [1.5, 3.0])


# ---- logsumexp -----------------------------------------------------------------------------------------

def test_logsumexp_is_stable_where_the_naive_formula_overflows(strict):
    log2 = np.log(2.0)
    assert float(logsumexp(np.array([1000.0, 1000.0]))) == pytest.approx(1000.0 + log2, rel=1e-15)
    assert float(logsumexp(np.array([-1000.0, -1000.0]))) == pytest.approx(-1000.0 + log2, rel=1e-15)
    assert float(logsumexp(np.array([1000.0, -1000.0]))) == 1000.0
    np.testing.assert_array_equal(grad("logsumexp", np.array([1000.0, -1000.0])), [1.0, 0.0])
    np.testing.assert_array_equal(grad("logsumexp", np.array([-1000.0, -1000.0])), [0.5, 0.5])
    a32 = np.array([1000.0, 999.0], np.float32)
    out, ct = logsumexp(a32), grad("logsumexp", a32)
    assert out.dtype == ct.dtype == np.float32
    assert float(out) == pytest.approx(1000.0 + np.log1p(np.exp(-1.0)), rel=1e-6)
    np.testing.assert_allclose(ct, [1 / (1 + np.exp(-1.0)), 1 / (1 + np.e)], rtol=1e-6)


def test_logsumexp_matches_the_naive_formula_where_that_is_safe():
    a = np.random.default_rng(0).uniform(-3, 3, (3, 4, 5))
    for axis in [None, 0, -1, (0, 2)]:
        naive = np.log(np.sum(np.exp(a), axis=axis, keepdims=True))
        np.testing.assert_allclose(logsumexp(a, axis=axis, keepdims=True), naive, rtol=1e-14)
        np.testing.assert_allclose(logsumexp(a, axis=axis), np.squeeze(naive, axis=axis), rtol=1e-14)
    softmax = np.exp(a) / np.sum(np.exp(a), axis=1, keepdims=True)
    np.testing.assert_allclose(grad("logsumexp", a, axis=1), softmax, rtol=1e-14)


def test_logsumexp_of_only_minus_infinity_is_minus_infinity(strict):
    assert float(logsumexp(np.array([-np.inf, -np.inf]))) == -np.inf
    np.testing.assert_array_equal(logsumexp(np.array([[-np.inf, 0.0], [-np.inf, -np.inf]]), axis=1), [0.0, -np.inf])


# ---- var and std --------------------------------------------------------------------------------------

@pytest.mark.parametrize("ddof", [0, 1, 2])
def test_var_and_std_with_ddof(ddof):
    a = np.array([1.0, 2.0, 3.0, 4.0])  # mean 2.5, sum of squared deviations 5
    dof = 4 - ddof
    var, std = REGISTRY["var"](a, ddof=ddof), REGISTRY["std"](a, ddof=ddof)
    assert float(var) == pytest.approx(5.0 / dof, rel=1e-15)
    assert float(std) == pytest.approx(np.sqrt(5.0 / dof), rel=1e-15)
    deviations = np.array([-1.5, -0.5, 0.5, 1.5])
    np.testing.assert_allclose(grad("var", a, ddof=ddof), 2 * deviations / dof, rtol=1e-15)
    np.testing.assert_allclose(grad("std", a, ddof=ddof), deviations / dof / np.sqrt(5.0 / dof), rtol=1e-14)
    assert float(tangent("var", a, np.ones(4), ddof=ddof)) == pytest.approx(0.0, abs=1e-15)  # a shift changes nothing
    assert float(tangent("std", a, a, ddof=ddof)) == pytest.approx(float(std), rel=1e-14)  # std is 1-homogeneous


def test_var_over_an_axis_with_keepdims():
    a = np.array([[1.0, 3.0], [2.0, 8.0]])
    np.testing.assert_allclose(grad("var", a, np.array([[1.0, 10.0]]), axis=0, ddof=1, keepdims=True),
                               [[-1.0, -50.0], [1.0, 50.0]])  # deviations (-0.5, 0.5), (-2.5, 2.5)


# ---- cumulative sums and products -----------------------------------------------------------------------

def test_cumsum_cotangent_sums_from_the_far_end():
    np.testing.assert_array_equal(grad("cumsum", np.zeros(4), np.array([1.0, 2.0, 3.0, 4.0])), [10, 9, 7, 4])
    np.testing.assert_array_equal(grad("cumsum", np.zeros((2, 2)), np.array([[1.0, 2.0], [3.0, 4.0]]), axis=0),
                                  [[4, 6], [3, 4]])


def test_cumsum_without_axis_flattens_as_numpy_does():
    a = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(REGISTRY["cumsum"](a), [0, 1, 3, 6, 10, 15])
    np.testing.assert_array_equal(grad("cumsum", a), [[6, 5, 4], [3, 2, 1]])
    np.testing.assert_array_equal(tangent("cumsum", a, np.ones((2, 3))), [1, 2, 3, 4, 5, 6])


@pytest.mark.parametrize("a, expected", [
    ([2.0, 3.0, 4.0], [1 + 3 + 12, 2 + 8, 6]),   # d/da of 2 + 6 + 24: rows [1,0,0], [3,2,0], [12,8,6]
    ([2.0, 0.0, 4.0], [1, 2 + 8, 0]),            # y = [2, 0, 0]: rows [1,0,0], [0,2,0], [0,8,0]
    ([0.0, 3.0, 0.0], [1 + 3, 0, 0]),            # rows [1,0,0], [3,0,0], [0,0,0]
])
def test_cumprod_gradient_with_zeros_does_not_divide(strict, a, expected):
    np.testing.assert_array_equal(grad("cumprod", np.array(a)), expected)


def test_cumprod_tangent_and_flattening(strict):
    np.testing.assert_array_equal(tangent("cumprod", np.array([2.0, 0.0, 4.0]), np.array([1.0, 1.0, 1.0])),
                                  [1.0, 2.0, 8.0])
    a = np.array([[1.0, 2.0], [0.0, 3.0]])
    np.testing.assert_array_equal(REGISTRY["cumprod"](a), [1, 2, 0, 0])
    np.testing.assert_array_equal(grad("cumprod", a), [[3.0, 1.0], [8.0, 0.0]])  # 1+2+0+0, 1+0+0, 2+6, 0
    np.testing.assert_array_equal(grad("cumprod", a, np.ones((2, 2)), axis=-1), [[3.0, 1.0], [4.0, 0.0]])


def test_linear_scan_matches_its_recurrence_in_both_directions():
    rng = np.random.default_rng(1)
    a, b = rng.uniform(-1.2, 1.2, (3, 37)), rng.standard_normal((3, 37))  # 37: not a power of two
    a[0, 5] = 0.0
    forward = np.zeros_like(b)
    for k in range(36):
        forward[:, k + 1] = a[:, k] * forward[:, k] + b[:, k]
    backward = np.zeros_like(b)
    for k in range(36, 0, -1):
        backward[:, k - 1] = a[:, k] * backward[:, k] + b[:, k]
    np.testing.assert_allclose(linear_scan(a, b, axis=1), forward, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(linear_scan(a.T, b.T, axis=0, reverse=True), backward.T, rtol=1e-12, atol=1e-14)


# ---- every reduction: float32, bad axes, published names, what the tape keeps ---------------------------

@pytest.mark.parametrize("name", PUBLIC)
def test_float32_in_float32_out_including_the_rules(name):
    a = np.array([[1.0, 2.0, 0.5], [3.0, 0.25, 4.0]], np.float32)
    ans = REGISTRY[name](a, axis=1)
    assert np.asarray(ans).dtype == np.float32
    assert np.asarray(tangent(name, a, np.ones_like(a), axis=1)).dtype == np.float32
    assert grad(name, a, axis=1).dtype == np.float32
    np.testing.assert_allclose(ans, getattr(np, name)(a.astype(np.float64), axis=1) if name != "logsumexp"
                               else np.log(np.sum(np.exp(a.astype(np.float64)), axis=1)), rtol=1e-6)


@pytest.mark.parametrize("name", PUBLIC)
def test_an_axis_out_of_range_raises_an_error_naming_the_op(name):
    with pytest.raises(ValueError, match=rf"admodes\.{name}\(a: shape \(2, 3\).*axis 2 is out of bounds"):
        REGISTRY[name](np.ones((2, 3)), axis=2)


def test_reductions_are_published_under_numpy_names_and_helpers_are_not():
    for name in PUBLIC:
        assert FUNCTIONS[name] is REGISTRY[name]
    for helper in ["tie_weights", "softmax", "cumsum_reverse", "cumprod_exclusive", "linear_scan"]:
        assert helper in REGISTRY and helper not in FUNCTIONS


def test_the_backward_sweep_keeps_only_what_each_rule_reads():
    meta_of_a, whole_a = (frozenset(), frozenset({0})), (frozenset({0}), frozenset())
    for name in ["sum", "mean"]:
        assert REGISTRY[name].vjp_reads == (meta_of_a,)
    for name in ["prod", "max", "min", "var", "logsumexp", "cumprod"]:
        assert REGISTRY[name].vjp_reads == (whole_a,), name  # a, never the output
    assert REGISTRY["std"].vjp_reads == ((frozenset({-1, 0}), frozenset()),)


# ---- higher derivatives through the engines: exact at zeros too ------------------------------------------

def test_second_derivatives_of_prod_and_cumprod_are_exact_at_zeros(strict):
    ad = pytest.importorskip("admodes")
    anp = pytest.importorskip("admodes.numpy")
    a = np.array([0.0, 3.0, 0.0, 5.0])
    # d2 prod / da_i da_j = product of the elements other than i and j: only (0, 2) and (2, 0) survive
    expected = np.zeros((4, 4))
    expected[0, 2] = expected[2, 0] = 15.0
    hessian = np.array([ad.jvp(ad.grad(anp.prod), (a,), (e,))[1] for e in np.eye(4)])
    np.testing.assert_array_equal(hessian, expected)
    reverse_over_reverse = np.array([ad.grad(lambda x: anp.sum(ad.grad(anp.prod)(x) * e))(a) for e in np.eye(4)])
    np.testing.assert_array_equal(reverse_over_reverse, expected)
    # sum(cumprod([x0, x1, x2])) = x0 + x0 x1 + x0 x1 x2, at (2, 0, 4): d2/dx0 dx1 = 1 + x2 = 5, d2/dx1 dx2 = x0 = 2
    b = np.array([2.0, 0.0, 4.0])
    hessian = np.array([ad.jvp(ad.grad(lambda x: anp.sum(anp.cumprod(x))), (b,), (e,))[1] for e in np.eye(3)])
    np.testing.assert_array_equal(hessian, [[0.0, 5.0, 0.0], [5.0, 0.0, 2.0], [0.0, 2.0, 0.0]])
