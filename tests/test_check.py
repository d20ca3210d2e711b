"""Finite differences (`numeric_grad`, `numeric_jacobian`, `numeric_jvp`) and the gradient checker."""

import numpy as np
import pytest

import admodes as ad
import admodes.numpy as anp
from admodes.check import (
    METHODS,
    GradcheckError,
    GradcheckUndecided,
    check_grad,
    numeric_grad,
    numeric_jacobian,
    numeric_jvp,
)

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
                                           ("complex", 2e-15)])
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
    for method, expected in [("forward", 1 + 4), ("central", 1 + 8), ("complex", 1 + 3 * 4)]:
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


def _evaluated_once(f):
    """f, which fails the test when called a second time: the first call is at the point."""
    calls = []

    def once(x):
        calls.append(1)
        if len(calls) > 1:
            raise AssertionError("differenced instead of refusing up front")
        return f(x)

    return once


def test_a_jacobian_too_large_to_difference_is_refused_up_front():
    with pytest.raises(ValueError) as info:
        numeric_jacobian(_evaluated_once(np.sin), np.zeros(10 ** 6))
    message = str(info.value)
    assert message.startswith("numeric_jacobian: x has 1,000,000 elements, so the richardson Jacobian takes at least "
                              "4,000,000 evaluations of f (up to 38,000,000), over max_evaluations=100,000")
    assert "and about 2.24e+04 GiB of memory (f(x) has 1,000,000 elements" in message
    assert "numeric_jvp takes a constant number of evaluations" in message
    with pytest.raises(ValueError, match="x has 1,000,000 elements"):
        numeric_grad(_evaluated_once(np.sum), np.zeros(10 ** 6), "forward")


def test_max_evaluations_sets_the_limit():
    with pytest.raises(ValueError, match=r"at least 40 evaluations of f \(up to 380\), over max_evaluations=39"):
        numeric_jacobian(np.sin, np.zeros(10), max_evaluations=39)
    assert numeric_jacobian(np.sin, np.zeros(10), max_evaluations=40).shape == (10, 10)
    assert numeric_jacobian(np.sin, np.zeros(10), "forward", max_evaluations=10).shape == (10, 10)


def test_the_checker_refuses_a_whole_jacobian_too_large_and_says_to_use_fast():
    f = _evaluated_once(lambda x: np.sum(x ** 2))
    with pytest.raises(ValueError, match=r"check_grad: x has 200,000 elements.*check_grad\(fast=True\)"):
        check_grad(f, np.ones(200_000), grad=lambda x: 2 * x)
    assert check_grad(lambda x: np.sum(x ** 2), np.ones(50), grad=lambda x: 2 * x, max_evaluations=200).passed
    with pytest.raises(ValueError, match="over max_evaluations=199"):
        check_grad(lambda x: np.sum(x ** 2), np.ones(50), grad=lambda x: 2 * x, max_evaluations=199)


# ====================================================================================================
# The gradient checker
# ====================================================================================================



def make_exp(backward_scale=1.0, jvp_scale=1.0, backward_flip=None, jvp_flip=None):
    """exp as a custom Function, with its backward and jvp optionally wrong in a chosen way."""

    def wrong(out, scale, flip):
        if flip is not None:
            sign = np.ones(np.shape(out))
            sign.flat[flip] = -1.0
            out = out * sign
        return out * scale

    class Exp(ad.Function):
        @staticmethod
        def forward(ctx, x):
            y = np.exp(x)
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, g):
            (y,) = ctx.saved_tensors
            return wrong(g * y, backward_scale, backward_flip)

        @staticmethod
        def jvp(ctx, t):
            (y,) = ctx.saved_tensors
            return wrong(t * y, jvp_scale, jvp_flip)

    return Exp


def make_matvec(transposed=False):
    """y = A @ x as a custom Function; ``transposed`` returns the transpose of A's gradient."""

    class MatVec(ad.Function):
        @staticmethod
        def forward(ctx, a, x):
            ctx.save_for_backward(a, x)
            return a @ x

        @staticmethod
        def backward(ctx, g):
            a, x = ctx.saved_tensors
            grad_a = anp.outer(g, x)
            return (grad_a.T if transposed else grad_a), a.T @ g

        @staticmethod
        def jvp(ctx, ta, tx):
            a, x = ctx.saved_tensors
            return ta @ x + a @ tx

    return MatVec


X4 = np.array([0.3, -0.5, 1.2, 0.1])


def exp_loss(Exp):
    return lambda x: anp.sum(Exp.apply(x) * anp.sin(x))


# ----------------------------------------------------------------------------------------------------
# Sensitivity: every injected error is caught, and blamed on the right mode
# ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fast", [False, True], ids=["full", "fast"])
@pytest.mark.parametrize("wrong, blamed, innocent", [
    (dict(backward_scale=1 + 1e-3), "reverse mode", "forward mode"),
    (dict(jvp_scale=1 + 1e-3), "forward mode", "reverse mode"),
    (dict(backward_flip=2), "reverse mode", "forward mode"),
    (dict(jvp_flip=1), "forward mode", "reverse mode"),
], ids=["backward-1e-3", "jvp-1e-3", "backward-sign", "jvp-sign"])
def test_wrong_rules_are_caught_and_blamed(wrong, blamed, innocent, fast):
    with pytest.raises(GradcheckError) as info:
        check_grad(exp_loss(make_exp(**wrong)), X4, fast=fast)
    message = str(info.value)
    assert message.startswith(f"{blamed} gives a wrong derivative of `<lambda>` for argument 0 `x`")
    assert f"{innocent} agrees with finite differences here: only {blamed} is wrong" in message
    (argument, comparison), = info.value.report.failures
    assert comparison.source == blamed and comparison.reference == "numeric"
    if "flip" in str(wrong):  # one element is wrong, and it is the one named (bisected, with fast=True)
        flipped = wrong.get("backward_flip", wrong.get("jvp_flip"))
        where = comparison.located[:2] if fast else comparison.worst
        assert where == ((), (flipped,))
        assert f"d f / d x[{flipped}]" in message
    else:
        assert 1e-4 < comparison.max_rel_error < 1e-2  # the size of the injected error, not noise


def test_a_transposed_matrix_gradient_is_caught_with_a_hint():
    MatVec = make_matvec(transposed=True)
    a, x = np.arange(9.0).reshape(3, 3) / 5, np.array([0.5, -1.0, 2.0])
    with pytest.raises(GradcheckError) as info:
        check_grad(lambda a, x: anp.sum(anp.sin(MatVec.apply(a, x))), a, x)
    message = str(info.value)
    assert "reverse mode gives a wrong derivative" in message and "argument 0 `a` (shape (3, 3), float64)" in message
    assert "is a matrix gradient transposed?" in message
    assert info.value.report.failures[0][1].failed == 6  # the 3 diagonal elements are right


def test_a_transposed_matrix_gradient_is_caught_by_fast_projections():
    MatVec = make_matvec(transposed=True)
    a, x = np.arange(9.0).reshape(3, 3) / 5, np.array([0.5, -1.0, 2.0])
    with pytest.raises(GradcheckError, match="reverse mode gives a wrong derivative") as info:
        check_grad(lambda a, x: anp.sum(anp.sin(MatVec.apply(a, x))), a, x, fast=True)
    out_index, (i, j), analytic, expected = info.value.report.failures[0][1].located
    assert i != j and analytic != pytest.approx(expected)


def test_an_error_below_what_differences_resolve_shows_as_the_modes_disagreeing():
    with pytest.raises(GradcheckError) as info:
        check_grad(exp_loss(make_exp(backward_scale=1 + 1e-7)), X4)
    message = str(info.value)
    assert message.startswith("reverse mode and forward mode disagree: a wrong derivative")
    assert "both are within tolerance of finite differences" in message and "1.2e-07 relative" in message
    assert "side with forward mode: reverse mode is the likely culprit" in message


def test_both_modes_wrong_the_same_way():
    Exp = make_exp(backward_scale=1.01, jvp_scale=1.01)
    with pytest.raises(GradcheckError) as info:
        check_grad(exp_loss(Exp), X4)
    assert "forward mode and reverse mode all disagree with finite differences" in str(info.value)
    assert "they agree with each other" in str(info.value)


def test_a_kink_gets_a_non_smooth_hint():
    relu_like = lambda x: anp.sum(anp.where(x > 0, x, 0.0) * 3.0)
    with pytest.raises(GradcheckError) as info:
        check_grad(relu_like, np.array([0.0, 1.0]))
    message = str(info.value)
    assert "--> d f / d x[0]" in message
    assert "one-sided differences disagree (left 0, right 3)" in message and "not be differentiable" in message


def test_order_two_catches_a_wrong_rule_inside_a_rule():
    class Cos(ad.Function):  # its backward is off by 1e-3: only a second derivative of Sin reaches it
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return anp.cos(x)

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return -g * anp.sin(x) * (1 + 1e-3)

        @staticmethod
        def jvp(ctx, t):
            (x,) = ctx.saved_tensors
            return -t * anp.sin(x)

    class Sin(ad.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return anp.sin(x)

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * Cos.apply(x)

        @staticmethod
        def jvp(ctx, t):
            (x,) = ctx.saved_tensors
            return t * Cos.apply(x)

    f = lambda x: anp.sum(Sin.apply(x))
    assert check_grad(f, X4).passed  # first derivatives are right
    with pytest.raises(GradcheckError) as info:
        check_grad(f, X4, order=2)
    message = str(info.value)
    assert message.startswith("reverse-over-forward gives wrong second derivatives of `<lambda>` for argument 0 `x`")
    assert "--> d2 f / d x[" in message
    wrong = {c.source for a in info.value.report.arguments for c in a.comparisons if not c.passed}
    assert wrong == {"reverse-over-forward", "reverse-over-reverse"}  # the two that run Cos's backward


# ----------------------------------------------------------------------------------------------------
# Adversarial: errors a tolerance that grows with f's size, or with other elements, would hide
# ----------------------------------------------------------------------------------------------------

SMALL_POINT = np.array([0.1, -0.2, 0.3])


@pytest.mark.parametrize("call", [
    lambda: check_grad(lambda x: anp.sum(make_exp(backward_scale=1.01).apply(x)) + 1e12, SMALL_POINT,
                       modes=("reverse",)),
    lambda: check_grad(lambda x: np.sum(np.sin(x)) + 1e12, SMALL_POINT, grad=lambda x: 1.01 * np.cos(x)),
    lambda: check_grad(lambda x: np.sin(x) + 1e12, SMALL_POINT, jac=lambda x: np.diag(1.01 * np.cos(x))),
], ids=["reverse-mode", "grad=", "vector-jac="])
def test_a_wrong_gradient_under_a_huge_constant_offset_is_never_ok(call):
    """1% wrong, under + 1e12: the differences' error (~2% here) cannot see it, so the answer is "cannot decide"."""
    with pytest.raises(GradcheckUndecided) as info:
        call()
    report, message = info.value.report, str(info.value)
    assert not report.passed and not report.wrong and report.verdict == "cannot decide"
    assert message.startswith("cannot decide whether ")
    assert "is large next to this derivative's share of its changes" in message and "offset" in message
    assert "cannot decide at" in str(report) and ": cannot decide" in str(report).splitlines()[0]


def test_a_wrong_mode_under_a_huge_offset_is_caught_by_the_other_mode():
    with pytest.raises(GradcheckError) as info:
        check_grad(lambda x: anp.sum(make_exp(backward_scale=1.01).apply(x)) + 1e12, SMALL_POINT)
    assert not isinstance(info.value, GradcheckUndecided)
    assert str(info.value).startswith("reverse mode and forward mode disagree")
    assert "finite differences cannot decide here" in str(info.value)


def test_fast_projections_under_a_huge_offset_are_never_ok():
    with pytest.raises(GradcheckError):  # wrong or undecided, whichever the projections' errors allow
        check_grad(lambda x: np.sum(np.sin(x)) + 1e12, SMALL_POINT, grad=lambda x: 1.01 * np.cos(x), fast=True)


def test_the_same_offset_does_not_hide_a_gross_error():
    with pytest.raises(GradcheckError, match="grad= gives a wrong derivative") as info:
        check_grad(lambda x: np.sum(np.sin(x)) + 1e12, SMALL_POINT, grad=lambda x: 1.5 * np.cos(x))
    assert not isinstance(info.value, GradcheckUndecided)


@pytest.mark.parametrize("modes", [("reverse",), ("forward", "reverse")])
def test_a_sign_flip_on_a_component_1e10_times_smaller_is_caught(modes):
    scale = np.array([1.0, 1e-10])
    flip = make_exp(backward_flip=1)
    f = lambda x: anp.sum(flip.apply(x) * scale)
    with pytest.raises(GradcheckError) as info:
        check_grad(f, np.array([0.3, 0.7]), modes=modes)
    (argument, comparison), = info.value.report.failures
    assert comparison.source == "reverse mode" and comparison.worst == ((), (1,))
    assert comparison.analytic == pytest.approx(-1e-10 * np.exp(0.7))
    assert "--> d f / d x[1]" in str(info.value)


def test_a_sign_flip_on_a_tiny_hand_written_component_is_caught():
    w = np.array([1.0, 1e-10])
    with pytest.raises(GradcheckError, match=r"--> d f / d x\[1\]"):
        check_grad(lambda x: np.sum(w * np.sin(x)), np.array([0.3, 0.7]),
                   grad=lambda x: np.array([1, -1]) * w * np.cos(x))


def test_a_zero_derivative_with_a_small_nonzero_wrong_value_is_caught():
    f = lambda x: np.sum(x[:2] ** 2)
    with pytest.raises(GradcheckError) as info:
        check_grad(f, np.array([0.3, 0.7, 0.2]), grad=lambda x: np.array([2 * x[0], 2 * x[1], 1e-12]))
    (argument, comparison), = info.value.report.failures
    assert comparison.worst == ((), (2,)) and comparison.expected == 0.0 and comparison.analytic == 1e-12


def test_a_wrong_gradient_in_float32_under_an_offset_is_never_ok():
    x = X4.astype(np.float32)
    f = lambda x: np.sum(np.exp(x)) + np.float32(1e4)
    # 1% wrong: caught (with float32 differences, whose error is ~1% here, it was "cannot decide")
    with pytest.raises(GradcheckError, match="grad= gives a wrong derivative"):
        check_grad(f, x, grad=lambda x: np.float32(1.01) * np.exp(x))
    with pytest.raises(GradcheckError, match="grad= gives a wrong derivative") as info:  # 5% wrong: caught
        check_grad(f, x, grad=lambda x: np.float32(1.05) * np.exp(x))
    assert info.value.report.arguments[0].rtol == 1e-3
    assert check_grad(f, x, grad=np.exp, rtol=0.2).passed  # a tolerance the differences can resolve


def test_a_sign_flip_in_float32_below_what_differences_resolve_is_undecided_not_ok():
    w = np.array([1.0, 1e-10], np.float32)
    with pytest.raises(GradcheckUndecided) as info:
        check_grad(lambda x: np.sum(w * np.sin(x)), np.array([0.3, 0.7], np.float32),
                   grad=lambda x: np.array([1, -1], np.float32) * w * np.cos(x))
    assert "--> d f / d x[1]" in str(info.value) and "within the differences' error" in str(info.value)


def test_an_error_hidden_by_an_offset_in_one_output_of_a_vector_function():
    offsets = np.array([0.0, 1e12, 0.0])
    f = lambda x: np.sin(x) + offsets
    right = lambda x: np.diag(np.cos(x))
    with pytest.raises(GradcheckUndecided) as info:  # the offset output cannot be decided...
        check_grad(f, SMALL_POINT, jac=lambda x: right(x) * np.array([[1.0], [1.01], [1.0]]))
    assert info.value.report.undecided[0][1].worst == ((1,), (1,))
    with pytest.raises(GradcheckError, match=r"--> d out\[2\] / d x\[2\]"):  # ...the others are still checked
        check_grad(f, SMALL_POINT, jac=lambda x: right(x) * np.array([[1.0], [1.01], [1.001]]))


def test_structural_zeros_are_decided_and_atol_decides_rounding_level_zeros():
    assert check_grad(lambda x: anp.tanh(x) * 3, X4).passed  # an elementwise Jacobian: exact zeros off the diagonal
    f = lambda x: anp.sum(anp.sin(x) ** 2 + anp.cos(x) ** 2)  # the derivative is 0 up to rounding
    with pytest.raises(GradcheckUndecided, match="atol= says how small a derivative may be taken as zero"):
        check_grad(f, X4)
    assert check_grad(f, X4, atol=1e-12).passed


# ----------------------------------------------------------------------------------------------------
# No false alarms
# ----------------------------------------------------------------------------------------------------

CORRECT_FUNCTIONS = [
    ("tanh-exp", lambda x, w: anp.sum(anp.tanh(x) * anp.exp(x / 3)) * w),
    ("vector", lambda x, w: anp.log(1 + x ** 2) * anp.cos(x * w)),
    ("matrix", lambda x, w: anp.sum(anp.outer(x, x) ** 2, axis=0) / w),
    ("custom exp", lambda x, w: anp.sum(make_exp().apply(x) * anp.sin(x * w))),
    ("plain numpy", lambda x, w: np.sum(np.sin(x) ** 2 * w)),
]


@pytest.mark.parametrize("name, f", CORRECT_FUNCTIONS, ids=[n for n, _ in CORRECT_FUNCTIONS])
def test_no_false_alarms_over_50_seeds(name, f):
    for seed in range(50):
        rng = np.random.default_rng(seed)
        x, w = rng.standard_normal(4) * 2, rng.uniform(0.5, 2.0)
        full = check_grad(f, x, w, seed=seed)
        fast = check_grad(f, x, w, fast=True, seed=seed)
        assert full.passed and fast.passed
        assert full.arguments[0].max_rel_error < 1e-8, (seed, str(full))


def test_no_false_alarms_in_float32():
    for seed in range(10):
        x = np.random.default_rng(seed).standard_normal(5).astype(np.float32)
        report = check_grad(lambda x: anp.sum(anp.exp(anp.sin(x)) * x), x, seed=seed)
        assert report.arguments[0].rtol == 1e-3 and report.arguments[0].max_rel_error < 1e-3


# ----------------------------------------------------------------------------------------------------
# The report
# ----------------------------------------------------------------------------------------------------

def test_report_per_argument_with_integer_and_non_array_constants():
    def f(x, n, label, w):
        return anp.sum(anp.sin(x) ** n * w)

    report = check_grad(f, np.array([0.2, 0.7]), 3, "hello", np.array([1.5, -0.5]))
    assert report.passed and [a.constant for a in report.arguments] == [False, True, True, False]
    x_report, n_report, label_report, w_report = report.arguments
    assert n_report.reason == "an integer argument (int64): integers are held constant"
    assert label_report.reason.startswith("not an array (str)")
    assert x_report.max_abs_error < 1e-12 and x_report.evaluations > 0 and x_report.sweeps > 0
    assert x_report.worst.worst[1] in [(0,), (1,)]
    assert report.evaluations == x_report.evaluations + w_report.evaluations
    text = str(report)
    assert "argument 1 `n` (shape (), int64): constant, an integer argument" in text
    assert "reverse mode         vs forward mode" in text and ": passed" in text.splitlines()[0]


def test_argnums_selects_arguments():
    report = check_grad(lambda x, y: anp.sum(x * y), np.ones(2), np.ones(2) * 2, argnums=1)
    assert [a.constant for a in report.arguments] == [True, False]
    assert report.arguments[0].reason == "not in argnums"


def test_fast_uses_a_constant_number_of_evaluations():
    f = lambda x: anp.sum(anp.sin(x) * x)
    small = check_grad(f, np.linspace(-1, 1, 10), fast=True)
    large = check_grad(f, np.linspace(-1, 1, 2000), fast=True)
    assert large.evaluations <= 3 * (1 + 2 * 19) and large.evaluations <= 2 * small.evaluations
    assert large.sweeps == small.sweeps == 6


def test_the_callers_arrays_are_never_modified_by_the_checker():
    x, w = np.array([0.5, 1.5]), np.array([2.0, 3.0])

    def rude(x, w):
        w[0] = 100.0  # mutating a constant argument in place must not leak out
        return anp.sum(x * x) * 1.0

    check_grad(rude, x, w, argnums=0)
    np.testing.assert_array_equal(x, [0.5, 1.5])
    np.testing.assert_array_equal(w, [2.0, 3.0])


# ----------------------------------------------------------------------------------------------------
# Hand-written gradients and Jacobians
# ----------------------------------------------------------------------------------------------------

def test_hand_written_gradient_passes_and_fails():
    f = lambda x: np.sum(x ** 3)
    report = check_grad(f, np.array([1.0, 2.0]), grad=lambda x: 3 * x ** 2)
    assert report.passed and report.sources == ("grad=",)
    with pytest.raises(GradcheckError) as info:
        check_grad(f, np.array([1.0, 2.0]), grad=lambda x: 3 * x)
    message = str(info.value)
    assert "grad= gives a wrong derivative of `<lambda>` for argument 0 `x`" in message
    assert "grad=          6" in message and "finite diff.   12" in message
    assert "the hand-written gradient is wrong" in message


def test_hand_written_gradient_of_several_arguments_and_with_a_mode():
    f = lambda x, y: anp.sum(x * anp.sin(y))
    grad = lambda x, y: (np.sin(y), x * np.cos(y))
    report = check_grad(f, np.array([1.0, 2.0]), np.array([0.3, 0.4]), grad=grad, modes=("reverse",))
    assert report.passed and report.sources == ("grad=", "reverse")
    with pytest.raises(GradcheckError, match="grad= must return a tuple of 2 arrays"):
        check_grad(f, np.array([1.0, 2.0]), np.array([0.3, 0.4]), grad=lambda x, y: np.sin(y))


def test_hand_written_jacobian():
    a = np.array([[1.0, 2.0], [3.0, 4.0], [0.0, -1.0]])
    f = lambda x: np.tanh(a @ x)
    jac = lambda x: (1 - np.tanh(a @ x) ** 2)[:, None] * a
    assert check_grad(f, np.array([0.1, -0.2]), jac=jac).passed
    with pytest.raises(GradcheckError, match=r"jac= returned shape \(2, 3\).*expected \(3, 2\) \(is it transposed\?\)"):
        check_grad(f, np.array([0.1, -0.2]), jac=lambda x: jac(x).T)


# ----------------------------------------------------------------------------------------------------
# Second order
# ----------------------------------------------------------------------------------------------------

def test_order_two_checks_every_mode_over_every_mode():
    f = lambda x, w: anp.sum(anp.tanh(w @ x) ** 2)
    rng = np.random.default_rng(0)
    report = check_grad(f, rng.standard_normal(3), rng.standard_normal((2, 3)), order=2)
    sources = {c.source for c in report.arguments[0].comparisons if c.order == 2}
    assert sources == {"forward-over-forward", "forward-over-reverse", "reverse-over-forward", "reverse-over-reverse"}
    assert all(c.max_rel_error < 1e-8 for a in report.arguments for c in a.comparisons)


def test_order_two_fast_and_vector_valued():
    report = check_grad(lambda x: anp.sin(x) * anp.sum(x), np.array([0.4, -1.1, 2.0]), order=2, fast=True)
    assert report.passed and any(c.order == 2 for c in report.arguments[0].comparisons)


# ----------------------------------------------------------------------------------------------------
# Bad input to the checker
# ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("call, error, match", [
    (lambda: check_grad(lambda x: anp.sum(x), np.array([1, 2])), TypeError,
     r"no float argument to differentiate \(argument 0 `x` is an integer argument \(int64\)\)"),
    (lambda: check_grad(lambda x: anp.sum(x), np.array([1, 2]), argnums=0), TypeError,
     r"argument 0 `x` has dtype int64: integers are held constant; pass x.astype\(float\)"),
    (lambda: check_grad(lambda x: anp.sum(x), np.zeros((0, 3))), ValueError,
     r"argument 0 `x`: x is empty \(shape \(0, 3\)\)"),
    (lambda: check_grad(lambda x: anp.log(x), np.array([1.0, -1.0])), ValueError,
     r"f is not finite at the point: output\[1\] = nan"),
    (lambda: check_grad(lambda x: anp.sum(x), [1.0, 2.0], argnums=0), TypeError,
     r"argument 0 `x` is a list: pass np.asarray"),
    (lambda: check_grad(lambda x: (x, x), np.ones(2)), TypeError, "f must return an array or a number, got tuple"),
    (lambda: check_grad(lambda x: anp.sum(x)), TypeError, "give the point"),
    (lambda: check_grad(lambda x: anp.sum(x), np.ones(2), order=3), ValueError, "order must be 1 or 2"),
    (lambda: check_grad(lambda x: anp.sum(x), np.ones(2), modes=("sideways",)), ValueError, "unknown mode"),
    (lambda: check_grad(lambda x: anp.sum(x), np.ones(2), grad=np.cos, jac=np.cos), ValueError, "not both"),
    (lambda: check_grad(lambda x: anp.sum(x), np.ones(2), argnums=3), ValueError, "out of range"),
    (lambda: check_grad(lambda x: x, np.ones(2), grad=lambda x: x), TypeError, "grad= is for a scalar f"),
])
def test_bad_input_is_explained(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ----------------------------------------------------------------------------------------------------
# float32 points: differences in float64 when f takes it
# ----------------------------------------------------------------------------------------------------

def _exp_sin(x, w):
    return anp.sum(anp.exp(anp.sin(x)) * x) * w


def test_float32_checks_of_right_gradients_are_decided():
    # (with float32 differences 5 of these 20 checks were "cannot decide": the differences' rounding, eps32^(2/3) |f|)
    for seed in range(20):
        rng = np.random.default_rng(seed)
        x, w = (rng.standard_normal(4) * 2).astype(np.float32), np.float32(rng.uniform(0.5, 2.0))
        report = check_grad(_exp_sin, x, w, seed=seed)
        assert report.passed and report.arguments[0].rtol == 1e-3, str(report)


def test_a_float32_gradient_wrong_by_a_third_of_a_percent_is_caught():
    x = np.array([0.3, -1.4, 0.8, 2.1], np.float32)
    right = lambda x: np.exp(np.sin(x)) * (1 + x * np.cos(x))
    assert check_grad(lambda x: np.sum(np.exp(np.sin(x)) * x), x, grad=right).passed
    with pytest.raises(GradcheckError, match="grad= gives a wrong derivative") as info:  # (before: cannot decide)
        check_grad(lambda x: np.sum(np.exp(np.sin(x)) * x), x,
                   grad=lambda x: right(x) * np.array([1, 1, 1.003, 1], np.float32))
    assert not isinstance(info.value, GradcheckUndecided) and info.value.report.failures[0][1].worst == ((), (2,))


def test_a_float32_rounding_residue_is_undecided_never_wrong():
    f = lambda x: anp.sum(anp.sin(x) ** 2 + anp.cos(x) ** 2)  # the derivative is 0 up to float32 rounding
    with pytest.raises(GradcheckUndecided):
        check_grad(f, X4.astype(np.float32))
    assert check_grad(f, X4.astype(np.float32), atol=1e-5).passed


def test_a_function_that_stays_in_float32_keeps_float32_differences():
    calls = []

    def narrow(x):  # answers in float32 whatever it is given
        calls.append(x.dtype)
        return np.sum(np.sin(x.astype(np.float32)))

    report = check_grad(narrow, X4.astype(np.float32), grad=lambda x: np.cos(x))
    assert report.passed and calls[0] == np.float64 and set(calls[1:]) == {np.dtype(np.float32)}


def test_a_function_that_refuses_float64_keeps_float32_differences():
    def only32(x):
        if x.dtype != np.float32:
            raise TypeError("float32 only")
        return np.sum(np.sin(x))

    assert check_grad(only32, X4.astype(np.float32), grad=np.cos).passed


# ----------------------------------------------------------------------------------------------------
# The complex step
# ----------------------------------------------------------------------------------------------------

def test_the_complex_step_is_exact_to_rounding_for_plain_numpy_functions():
    f = lambda x: np.sum(np.exp(np.sin(x)) * x / (1 + x ** 2))
    x = np.array([0.3, -1.2, 2.0, 1e-3])
    g = numeric_grad(f, x, "complex")
    exact = (np.exp(np.sin(x)) * (np.cos(x) * x + 1) * (1 + x ** 2) - np.exp(np.sin(x)) * x * 2 * x) / (1 + x ** 2) ** 2
    assert relative_error(g, exact) < 4 * np.finfo(float).eps
    report = check_grad(f, x, grad=lambda x: exact, method="complex-step")  # the name for it
    assert report.passed and report.method == "complex" and report.arguments[0].max_rel_error < 1e-14


@pytest.mark.parametrize("f, what", [
    (lambda x: np.sum(np.abs(x) * x), "abs"),         # d/dx |x| x = 2|x|; the complex step gives |x|
    (lambda x: np.sum(x * np.conj(x)), "conj"),       # |x|^2 written with conj: the complex step gives 0
    (lambda x: np.sum(x.real ** 2 + 0 * x), ".real"),
])
def test_a_function_that_is_not_real_analytic_is_named_never_differenced(f, what):
    # (before: the complex step returned the wrong derivative without a word)
    with pytest.raises(ValueError, match=r"f is not real-analytic along x\[0\]: at f the complex step gives .* but "
                                         r"central differences .*use method='richardson'"):
        numeric_grad(f, np.array([-1.5, 2.0]), "complex")
    with pytest.raises(ValueError, match="not real-analytic"):
        check_grad(f, np.array([-1.5, 2.0]), grad=lambda x: 2 * np.abs(x), method="complex")


def test_the_complex_step_of_an_admodes_function_passes_through_or_says_why():
    f = lambda x: anp.sum(anp.sin(x) * x)
    x = np.array([0.4, -0.9])
    try:  # admodes' ops refuse untraced complex input until complex support lands; then they pass it to NumPy
        g = numeric_grad(f, x, "complex")
    except TypeError as err:
        assert "does not accept complex input, so method='complex' cannot be used" in str(err)
        assert "admodes.sin: argument 'x' is complex" in str(err)
    else:
        np.testing.assert_allclose(g, np.sin(x) + x * np.cos(x), rtol=1e-15)


def test_a_float32_point_takes_the_complex_step_in_complex128_when_f_takes_it():
    seen = []

    def f(x):
        seen.append(x.dtype)
        return np.sum(np.sin(x) * x)

    x = np.array([0.4, -0.9, 1.7], np.float32)
    report = check_grad(f, x, grad=lambda x: np.sin(x) + x * np.cos(x), method="complex")
    assert report.passed and np.dtype(np.complex128) in seen and np.dtype(np.complex64) not in seen
