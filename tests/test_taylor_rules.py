"""Every primitive's Taylor-mode (jet) rule against nested jvp, to order 4, on the op tests' generated cases.

For each case, the moving arguments follow the curve x(t) = x0 + sum_k c_k t^k / k! with random c_k, and
``jet`` must give what K nested ``admodes.jvp`` calls of ``prim(x(t))`` at t = 0 give.
"""

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import admodes as ad
import admodes.numpy as anp
from admodes.ops.core import REGISTRY
from admodes.taylor.rules import rule_for, rule_kind

from .ops import cases_decompositions, cases_elementwise, cases_linalg, cases_reductions, cases_rounding, cases_shape
from .ops.harness import Draw, diff_positions

ORDER = 4
CASES = [c for module in (cases_elementwise, cases_reductions, cases_linalg, cases_shape, cases_rounding,
                          cases_decompositions)
         for c in module.CASES]
BY_ID = {c.id: c for c in CASES}
NOT_SMOOTH = {
    # the 2-norm of a zero slice: ||0 + t v|| = |t| ||v|| has no Taylor series (the JVP's 0 is a convention)
    "linalg.norm-at-zero",
}
JET_CASES = sorted(set(BY_ID) - NOT_SMOOTH)
# The jet of a nested-JVP primitive (FALLBACK) *is* K nested JVPs along the curve, the very computation of the
# reference here, and its higher derivatives are its JVP rules applied again, which the rule tests (tests/ops)
# check on every draw: for those cases this test checks the fallback's assembly only (the curve, the
# factorials), on fewer draws. Their nested JVPs are the suite's most expensive computation (det_derivative:
# m! terms per call).
FALLBACK = {name for name, prim in REGISTRY.items() if rule_kind(prim) in ("nested_jvp", "fallback")}
RECURRENCE_CASES = [i for i in JET_CASES if BY_ID[i].name not in FALLBACK]
FALLBACK_CASES = [i for i in JET_CASES if BY_ID[i].name in FALLBACK]
RULES = settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FALLBACK_RULES = settings(max_examples=2, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _moving(prim, args, case):
    """The positions that follow the curve: differentiable, not held constant, and floating-point arrays."""
    return [i for i in diff_positions(prim, args, case.constants)
            if isinstance(args[i], np.ndarray) and args[i].dtype.kind == "f"]


def _curve(args, moving, coefficients):
    """The arguments at t: x0 + t (c1 + t (c2/2! + t (c3/3! + ...))) for the moving ones (Horner, products only)."""
    def at(t):
        moved = list(args)
        for i, cs in zip(moving, coefficients):
            poly = None
            for k in range(len(cs), 0, -1):
                c = cs[k - 1] / float(np.prod(range(1, k + 1)))
                poly = t * c if poly is None else t * (c + poly)
            moved[i] = args[i] + poly
        return moved
    return at


def _nested_jvps(g, order, dtype):
    """[d/dt g, ..., d^order/dt^order g] at t = 0 by ``order`` nested admodes.jvp calls.

    Level j stacks g and its first j derivatives; one jvp of it gives them again with their own derivatives,
    of which the last is the new one. So the deepest level gives every order at once: 2^order times the work
    of g, where asking for each order by its own nest costs 2 + 4 + ... + 2^order."""
    one = np.ones((), dtype)

    def deeper(stacked):
        def next_level(t):
            primal, tangent = ad.jvp(stacked, (t,), (one,))
            return anp.concatenate([primal, tangent[-1:]])
        return next_level

    level = lambda t: anp.stack([g(t)])
    for _ in range(order):
        level = deeper(level)
    return list(np.asarray(level(np.zeros((), dtype)))[1:])


def _draw(case, data, dtype):
    d = Draw(data, dtype)
    prim = REGISTRY[case.name]
    args, params = case.draw(d)
    moving = _moving(prim, args, case)
    coefficients = [[d.rng.standard_normal(np.shape(args[i])).astype(dtype) for _ in range(ORDER)] for i in moving]
    return prim, list(args), params, moving, coefficients


def _drawn_jet(case_id, data, dtype):
    """A case drawn and its jet (None when the draw has no argument to move): (prim, args, params, moving,
    coefficients, (primal, series))."""
    prim, args, params, moving, coefficients = _draw(BY_ID[case_id], data, dtype)
    if not moving:
        return None
    return prim, args, params, moving, coefficients, _jet(prim, args, params, moving, coefficients)


def _jet(prim, args, params, moving, coefficients):
    def f(*xs):
        full = list(args)
        for i, x in zip(moving, xs):
            full[i] = x
        return prim(*full, **params)
    return ad.jet(f, tuple(args[i] for i in moving), tuple(coefficients))


def _check_jet_against_nested_jvp(case_id, data):
    drawn = _drawn_jet(case_id, data, np.float64)
    if drawn is None:
        return
    prim, args, params, moving, coefficients, (primal, series) = drawn
    np.testing.assert_allclose(primal, prim(*args, **params), rtol=1e-12)
    along = _curve(args, moving, coefficients)
    derivatives = _nested_jvps(lambda t: prim(*along(t), **params), ORDER, np.float64)
    for k, expected in enumerate(derivatives, 1):
        scale = max(1.0, float(np.max(np.abs(expected), initial=0.0)))
        np.testing.assert_allclose(series[k - 1], expected, rtol=1e-7, atol=1e-7 * scale,
                                   err_msg=f"{case_id}: Taylor coefficient of degree {k} != {k} nested jvps")


@pytest.mark.parametrize("case_id", RECURRENCE_CASES)
@RULES
@given(data=st.data())
def test_jet_rule_equals_nested_jvp(case_id, data):
    _check_jet_against_nested_jvp(case_id, data)


@pytest.mark.parametrize("case_id", FALLBACK_CASES)
@FALLBACK_RULES
@given(data=st.data())
def test_fallback_jet_equals_nested_jvp(case_id, data):
    _check_jet_against_nested_jvp(case_id, data)


@pytest.mark.parametrize("case_id", JET_CASES)
@settings(max_examples=2, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_jet_rule_keeps_float32(case_id, data):
    drawn = _drawn_jet(case_id, data, np.float32)
    if drawn is None:
        return
    _, series = drawn[-1]
    for k, c in enumerate(series, 1):
        assert c.dtype == np.float32, f"{case_id}: degree {k} of float32 inputs is {c.dtype}"


def test_every_differentiable_primitive_declares_its_jet_rule_or_derives_it():
    """No op of the library is left to the nested-JVP fallback without saying so (``jet="nested_jvp"``)."""
    left = sorted(name for name, prim in REGISTRY.items() if prim.has_rules and rule_kind(prim) == "fallback")
    assert left == [], (f"primitives with neither a jet= rule in their declaration nor one derived from it: {left}; "
                        "declare jet=<rule>, \"linear\", \"multilinear\" or \"nested_jvp\"")
    for name, prim in REGISTRY.items():
        if prim.has_rules and not prim.zero_derivative:
            assert callable(rule_for(prim)), name


def test_the_hot_ops_have_recurrences_not_the_fallback():
    recurrences = {"exp", "log", "sin", "cos", "tan", "tanh", "sqrt", "power", "divide", "arctan", "linalg.inv",
                   "linalg.solve", "logsumexp"}
    assert {name: rule_kind(REGISTRY[name]) for name in recurrences} == dict.fromkeys(recurrences, "declared")
    products = {"multiply", "matmul", "einsum", "tensordot", "dot"}
    assert {name: rule_kind(REGISTRY[name]) for name in products} == dict.fromkeys(products, "multilinear")
    assert rule_kind(REGISTRY["reshape"]) == "linear"  # derived from deflinear, not declared


def _polynomial_coefficients(f, coefficients, order, radius=0.5, points=32):
    """The derivatives at t = 0 of f(x(t)), x(t) = sum_k c_k t^k / k!, read off a DFT of f on a circle (exact
    for a polynomial f of degree < points, up to rounding): the reference where nested jvp is not exact."""
    ts = radius * np.exp(2j * np.pi * np.arange(points) / points)
    values = np.array([f(sum(c * t ** k / math.factorial(k) for k, c in enumerate(coefficients))) for t in ts])
    return [float((values * np.exp(-2j * np.pi * np.arange(points) * k / points)).mean().real)
            * math.factorial(k) / radius ** k for k in range(1, order + 1)]


@pytest.mark.parametrize("degree", [1, 2, 3, 4])
def test_det_at_a_singular_matrix_against_the_exact_polynomial(degree):
    rng = np.random.default_rng(3)
    a = rng.standard_normal((3, 2)) @ rng.standard_normal((2, 3))  # rank 2: det = 0
    coefficients = [rng.standard_normal((3, 3)) for _ in range(ORDER)]
    exact = _polynomial_coefficients(np.linalg.det, [a, *coefficients], ORDER)
    _, series = ad.jet(ad.numpy.linalg.det, (a,), (coefficients,))
    np.testing.assert_allclose(series[degree - 1], exact[degree - 1], rtol=1e-8, atol=1e-8)


def test_a_primitive_declared_without_a_jet_rule_gets_the_exact_nested_jvp_one():
    from admodes.ops.core import Primitive, defrules
    mystery = Primitive("mystery_example", np.sin, registered=False)
    defrules(mystery, jvp=lambda t, ans, x: t * ad.numpy.cos(x), vjp=lambda g, ans, x: g * ad.numpy.cos(x),
             saves=("x",))
    assert rule_kind(mystery) == "fallback"
    x = np.array([0.3, -1.2])
    got = ad.taylor(mystery, order=4)(x, np.ones(2))
    np.testing.assert_allclose(got, [np.cos(x), -np.sin(x), -np.cos(x), np.sin(x)], rtol=1e-12, atol=1e-14)


def test_a_custom_function_without_a_jet_rule_is_named_in_the_error():
    class Twice(ad.Function):
        @staticmethod
        def forward(ctx, x):
            return 2 * x

        @staticmethod
        def backward(ctx, g):
            return 2 * g
    with pytest.raises(NotImplementedError, match="Twice"):
        ad.taylor(Twice.apply, order=2)(np.ones(2), np.ones(2))


def test_a_declared_jet_kind_that_does_not_exist_is_named():
    from admodes.ops.core import Primitive, defrules
    odd = Primitive("odd_jet_example", np.sin, registered=False)
    defrules(odd, jvp=lambda t, ans, x: t, vjp=lambda g, ans, x: g, saves=(), jet="quadratic")
    with pytest.raises(ValueError, match="odd_jet_example.*'quadratic'"):
        ad.taylor(odd, order=2)(np.ones(2), np.ones(2))
