"""The elementwise primitives (admodes/ops/elementwise.py): derivatives in closed form, the choice made at
every non-smooth point (JVP and VJP alike), float32 kept, and bad input.

The rule tests (test_rules.py) check every op against finite differences on random inputs away from its
kinks; here each derivative is pinned to its exact value, kinks included.
"""

import math
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import admodes as ad
import admodes.numpy as anp
from admodes.ops import elementwise as ew
from admodes.ops.core import FUNCTIONS, REGISTRY, Primitive, jvp_of, unbroadcast, vjp_of

from . import cases_elementwise
from .harness import Draw, diff_positions


def partials(prim, *args, wrt=None):
    """Each argument's elementwise partial derivative (of the output's shape) by the JVP, with tangent 1 on
    that argument alone, checked against the VJP of cotangent 1 (the partials summed back to the argument's
    shape, where it was broadcast). None at a nondiff argument, a None bound, or one not in ``wrt``."""
    ans = prim(*args)
    shapes = tuple(np.shape(a) for a in args)
    out = []
    for i, arg in enumerate(args):
        if i in prim.nondiff or arg is None or (wrt is not None and i not in wrt):
            out.append(None)
            continue
        tangents = tuple(np.ones(np.shape(arg), np.result_type(arg)) if j == i else None for j in range(len(args)))
        by_jvp = jvp_of(prim, tangents, ans, args, {})
        needed = tuple(j == i for j in range(len(args)))
        by_vjp = vjp_of(prim, np.ones(np.shape(ans), np.result_type(ans)), ans, args, {}, needed, shapes)[i]
        by_jvp = np.zeros(np.shape(ans)) if by_jvp is None else np.asarray(by_jvp)
        by_vjp = np.zeros(np.shape(ans)) if by_vjp is None else np.asarray(by_vjp)
        np.testing.assert_allclose(unbroadcast(by_jvp, shapes[i]), by_vjp, rtol=1e-15, atol=0,
                                   err_msg=f"{prim.name}: JVP and VJP disagree on argument {i}")
        out.append(by_jvp)
    return tuple(out)


def a(*values):
    return np.array(values, dtype=np.float64)


LN2, LN3, LN10, E = math.log(2.0), math.log(3.0), math.log(10.0), math.e

# name, arguments, the partial derivative of each argument (None: nondiff)
CLOSED_FORMS = [
    ("add", (a(1, -2), a(3, 0.5)), (a(1, 1), a(1, 1))),
    ("subtract", (a(1, -2), a(3, 0.5)), (a(1, 1), a(-1, -1))),
    ("multiply", (a(1, -2), a(3, 0.5)), (a(3, 0.5), a(1, -2))),
    ("divide", (a(1, -2), a(4, 0.5)), (a(0.25, 2), a(-1 / 16, 8))),
    ("negative", (a(1, -2),), (a(-1, -1),)),
    ("reciprocal", (a(2, -0.5),), (a(-0.25, -4),)),
    ("square", (a(3, -1.5),), (a(6, -3),)),
    ("power", (a(2, 9), a(3, 0.5)), (a(12, 1 / 6), a(8 * LN2, 3 * 2 * LN3))),
    ("sqrt", (a(4, 0.25),), (a(0.25, 1),)),
    ("cbrt", (a(8, -27),), (a(1 / 12, 1 / 27),)),
    ("exp", (a(0, 1),), (a(1, E),)),
    ("exp2", (a(0, 3),), (a(LN2, 8 * LN2),)),
    ("expm1", (a(0, 1),), (a(1, E),)),
    ("log", (a(1, 4),), (a(1, 0.25),)),
    ("log2", (a(1, 4),), (a(1 / LN2, 1 / (4 * LN2)),)),
    ("log10", (a(1, 10),), (a(1 / LN10, 1 / (10 * LN10)),)),
    ("log1p", (a(0, 3),), (a(1, 0.25),)),
    ("logaddexp", (a(0, LN3), a(0, 0)), (a(0.5, 0.75), a(0.5, 0.25))),
    ("sin", (a(0, math.pi / 3),), (a(1, 0.5),)),
    ("cos", (a(0, math.pi / 6),), (a(0, -0.5),)),
    ("tan", (a(0, math.pi / 4),), (a(1, 2),)),
    ("arcsin", (a(0, 0.6),), (a(1, 1.25),)),
    ("arccos", (a(0, 0.6),), (a(-1, -1.25),)),
    ("arctan", (a(0, 2),), (a(1, 0.2),)),
    ("arctan2", (a(1, 3), a(1, 4)), (a(0.5, 4 / 25), a(-0.5, -3 / 25))),
    ("hypot", (a(3, -5), a(4, 12)), (a(0.6, -5 / 13), a(0.8, 12 / 13))),
    ("sinh", (a(0, 1),), (a(1, math.cosh(1)),)),
    ("cosh", (a(0, 1),), (a(0, math.sinh(1)),)),
    ("tanh", (a(0, 1),), (a(1, 1 - math.tanh(1) ** 2),)),
    ("arcsinh", (a(0, 0.75),), (a(1, 0.8),)),
    ("arccosh", (a(2, 1.25),), (a(1 / math.sqrt(3), 1 / 0.75),)),
    ("arctanh", (a(0, 0.5),), (a(1, 1 / 0.75),)),
    ("absolute", (a(-2, 3),), (a(-1, 1),)),
    ("sign", (a(-2, 3),), (a(0, 0),)),
    ("heaviside", (a(-2, 3), a(0.5, 0.5)), (a(0, 0), None)),
    ("maximum", (a(1, 5), a(3, 2)), (a(0, 1), a(1, 0))),
    ("minimum", (a(1, 5), a(3, 2)), (a(1, 0), a(0, 1))),
    ("clip", (a(-1, 0.5, 2), a(0, 0, 0), a(1, 1, 1)), (a(0, 1, 0), a(1, 0, 0), a(0, 0, 1))),
    ("where", (np.array([True, False]), a(1, 2), a(3, 4)), (None, a(1, 0), a(0, 1))),
]


def test_every_elementwise_primitive_has_a_closed_form_here():
    defined = {prim.name for prim in vars(ew).values() if isinstance(prim, Primitive)}
    with_parameters = {"astype"}  # takes a dtype: see test_astype_between_floats_is_linear_in_both_modes
    assert defined - {name for name, _, _ in CLOSED_FORMS} - with_parameters == set()


@pytest.mark.parametrize("name, args, expected", CLOSED_FORMS, ids=[c[0] for c in CLOSED_FORMS])
def test_closed_form_derivatives(name, args, expected):
    got = partials(REGISTRY[name], *args)
    for i, (g, e) in enumerate(zip(got, expected)):
        if e is None:
            assert g is None
        else:
            np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-15, err_msg=f"{name}: argument {i}")


def test_abs_is_published_under_both_names():
    assert FUNCTIONS["abs"] is ew.absolute and FUNCTIONS["absolute"] is ew.absolute
    assert anp.abs is ew.absolute


def test_piecewise_constant_ops_have_symbolic_zero_derivatives():
    assert ew.sign.zero_derivative and ew.heaviside.zero_derivative
    assert jvp_of(ew.sign, (np.ones(2),), None, (a(-1, 0),), {}) is None
    assert ew.heaviside.nondiff == frozenset({1}) and ew.where.nondiff == frozenset({0})


# ---- non-smooth points: one documented choice each, the same in both modes ----------------------------

def test_absolute_at_zero_is_zero():
    (d,) = partials(ew.absolute, a(-0.0, 0.0, -1.5, 2.0))
    np.testing.assert_array_equal(d, a(0, 0, -1, 1))


@pytest.mark.parametrize("op, winner", [(ew.maximum, 0), (ew.minimum, 1)])
def test_maximum_and_minimum_split_a_tie_equally(op, winner):
    x1, x2 = a(2, -3, 1, 0), a(2, -3, 0, 1)   # ties, then x1 larger, then x2 larger
    d1, d2 = partials(op, x1, x2)
    first = a(1, 0) if winner == 0 else a(0, 1)
    np.testing.assert_array_equal(d1, np.concatenate([a(0.5, 0.5), first]))
    np.testing.assert_array_equal(d2, np.concatenate([a(0.5, 0.5), 1 - first]))


def test_relu_at_zero_gets_half():
    (d, _) = partials(ew.maximum, a(-1, 0, 1), a(0, 0, 0))
    np.testing.assert_array_equal(d, a(0, 0.5, 1))


def test_clip_passes_the_derivative_to_a_on_the_closed_interval():
    x, lo, hi = a(-1, 0, 0.5, 1, 2), np.zeros(5), np.ones(5)
    np.testing.assert_array_equal(ew.clip(x, lo, hi), a(0, 0, 0.5, 1, 1))
    da, dlo, dhi = partials(ew._clip, x, lo, hi)
    np.testing.assert_array_equal(da, a(0, 1, 1, 1, 0))   # bounds included
    np.testing.assert_array_equal(dlo, a(1, 0, 0, 0, 0))
    np.testing.assert_array_equal(dhi, a(0, 0, 0, 0, 1))


def test_clip_with_python_float_bounds():
    (da, dlo, dhi) = partials(ew._clip, a(-1, 0, 1, 2), 0.0, 1.0)
    np.testing.assert_array_equal(da, a(0, 1, 1, 0))
    assert dlo is not None and float(np.sum(dlo)) == 1.0 and float(np.sum(dhi)) == 1.0


@pytest.mark.parametrize("lo, hi, expected_value, expected_da", [
    (None, 1.0, a(-1, 1, 1), a(1, 1, 0)),
    (0.0, None, a(0, 1, 2), a(0, 1, 1)),
    (None, None, a(-1, 1, 2), a(1, 1, 1)),
])
def test_clip_treats_none_as_no_bound(lo, hi, expected_value, expected_da):
    x = a(-1, 1, 2)
    np.testing.assert_array_equal(ew.clip(x, lo, hi), expected_value)
    np.testing.assert_array_equal(partials(ew._clip, x, lo, hi)[0], expected_da)


def test_clip_derivative_of_the_present_bound_when_the_other_is_none():
    x = a(-1, 0.5, 2)
    _, _, dhi = partials(ew._clip, x, None, np.ones(3))
    np.testing.assert_array_equal(dhi, a(0, 0, 1))
    _, dlo, _ = partials(ew._clip, x, np.zeros(3), None)
    np.testing.assert_array_equal(dlo, a(1, 0, 0))


def test_clip_with_a_min_above_a_max_follows_numpy_to_a_max():
    x, lo, hi = a(-1, 1.5, 3), np.full(3, 2.0), np.ones(3)
    np.testing.assert_array_equal(ew.clip(x, lo, hi), np.ones(3))
    da, dlo, dhi = partials(ew._clip, x, lo, hi)
    np.testing.assert_array_equal(da, np.zeros(3))
    np.testing.assert_array_equal(dlo, np.zeros(3))
    np.testing.assert_array_equal(dhi, np.ones(3))


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("call", [
    lambda x: np.clip(x, 0.0, 1.0),
    lambda x: np.clip(x, a_min=0.0, a_max=1.0),
    lambda x: np.clip(x, min=0.0, max=1.0),
    lambda x: anp.clip(x, 0.0, 1.0),
    lambda x: x.clip(0.0, 1.0),
], ids=["positional", "a_min/a_max keywords", "min/max keywords", "admodes.numpy", "method"])
def test_clip_keeps_numpys_signature_under_both_engines(call, mode):
    x = a(-1, 0, 0.5, 1, 2)
    np.testing.assert_array_equal(ad.grad(lambda x: anp.sum(call(x)), mode=mode)(x), a(0, 1, 1, 1, 0))


def test_clip_with_only_one_keyword_bound():
    np.testing.assert_array_equal(ew.clip(a(-1, 2), a_max=1.0), a(-1, 1))
    np.testing.assert_array_equal(ad.grad(lambda x: anp.sum(np.clip(x, a_min=0.0)))(a(-1, 2)), a(0, 1))


def test_clip_refuses_a_bound_given_twice():
    with pytest.raises(TypeError, match="as a_min or as min, not both"):
        ew.clip(a(1), 0.0, min=0.0)


def test_sqrt_derivative_at_zero_is_plus_infinity():
    with pytest.warns(RuntimeWarning, match="divide by zero"):
        (d,) = partials(ew.sqrt, a(0, 4))
    np.testing.assert_array_equal(d, a(np.inf, 0.25))


def test_power_derivative_in_the_exponent_is_zero_at_a_zero_base():
    with warnings.catch_warnings():   # NumPy warns of the infinite 0 ** -1 and d/dx 0 ** 0.5: not our subject
        warnings.simplefilter("ignore", RuntimeWarning)
        _, dy = partials(ew.power, np.zeros(4), a(2, 0.5, 3, -1))
    np.testing.assert_array_equal(dy, np.zeros(4))


def test_power_derivative_in_the_base_at_a_zero_base():
    x, y = np.zeros(4), a(0, 1, 2, 3)
    dx, _ = partials(ew.power, x, y)
    np.testing.assert_array_equal(dx, a(0, 1, 0, 0))   # x**0 is constant: 0, not 0 * inf = nan
    for n, expected in [(0, 0.0), (1, 1.0), (2, 0.0)]:   # the same with a Python exponent
        assert float(partials(ew.power, np.zeros(1), n)[0][0]) == expected


def test_power_of_a_negative_base():
    x, y = a(-2, -2, -0.5), a(3, 2, -2)
    np.testing.assert_array_equal(ew.power(x, y), a(-8, 4, 4))
    with pytest.warns(RuntimeWarning, match="invalid value encountered in log"):
        dx, dy = partials(ew.power, x, y)
    np.testing.assert_allclose(dx, a(12, -4, 16), rtol=1e-15)   # integer exponents: finite
    assert np.isnan(dy).all()                                    # not real-differentiable in the exponent
    dx, dy = partials(ew.power, a(-2, -3), 3, wrt={0})
    np.testing.assert_array_equal(dx, a(12, 27))
    assert dy is None


def test_power_with_a_python_base():
    (_, dy) = partials(ew.power, 2.0, a(0, 3))
    np.testing.assert_allclose(dy, a(LN2, 8 * LN2), rtol=1e-15)
    (_, dy) = partials(ew.power, 0.0, a(1, 2))
    np.testing.assert_array_equal(dy, np.zeros(2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # (-2.0) ** 0.5 = nan, NumPy's warning
        (_, dy) = partials(ew.power, -2.0, a(2, 0.5))
    assert np.isnan(dy).all()


def test_hypot_at_the_origin_has_derivative_zero():
    d1, d2 = partials(ew.hypot, a(0, 3), a(0, 4))
    np.testing.assert_array_equal(d1, a(0, 0.6))
    np.testing.assert_array_equal(d2, a(0, 0.8))


def test_arctan2_at_the_origin_is_nan():
    with pytest.warns(RuntimeWarning, match="invalid value"):
        d1, d2 = partials(ew.arctan2, a(0), a(0))
    assert np.isnan(d1).all() and np.isnan(d2).all()


def test_where_takes_any_array_as_condition_nonzero_meaning_true():
    _, dx, dy = partials(ew.where, a(0, 2, -0.5), a(1, 1, 1), a(5, 5, 5))
    np.testing.assert_array_equal(dx, a(0, 1, 1))
    np.testing.assert_array_equal(dy, a(1, 0, 0))


def test_where_broadcasts_and_the_cotangents_sum_back():
    cond, x, y = np.array([[True], [False]]), a(1, 2, 3), 0.5
    ans = ew.where(cond, x, y)
    assert ans.shape == (2, 3)
    (_, gx, _) = vjp_of(ew.where, np.ones((2, 3)), ans, (cond, x, y), {}, (False, True, False), ((2, 1), (3,), ()))
    np.testing.assert_array_equal(gx, np.ones(3))


# ---- float32 in, float32 out -----------------------------------------------------------------------

F32 = np.array([0.5, 1.5], np.float32)

FLOAT32_CALLS = [
    ("power, Python exponent", ew.power, (F32, 2)),
    ("power, Python exponent 0", ew.power, (F32, 0)),
    ("power, Python base", ew.power, (2.0, F32)),
    ("power, arrays", ew.power, (F32, F32)),
    ("exp2", ew.exp2, (F32,)),
    ("log2", ew.log2, (F32,)),
    ("log10", ew.log10, (F32,)),
    ("sqrt", ew.sqrt, (F32,)),
    ("hypot", ew.hypot, (F32, F32)),
    ("absolute", ew.absolute, (F32,)),
    ("relu", ew.maximum, (F32, 0.0)),
    ("minimum", ew.minimum, (F32, F32[::-1])),
    ("clip, Python bounds", ew._clip, (F32, 0.0, 1.0)),
    ("clip, no bound", ew._clip, (F32, None, None)),
    ("where", ew.where, (F32 > 1, F32, 0.0)),
]


@pytest.mark.parametrize("op, args", [c[1:] for c in FLOAT32_CALLS], ids=[c[0] for c in FLOAT32_CALLS])
def test_float32_stays_float32(op, args):
    assert np.result_type(op(*args)) == np.float32
    for i, d in enumerate(partials(op, *args)):
        if d is not None and isinstance(args[i], np.ndarray):
            assert d.dtype == np.float32, f"{op.name}: partial of argument {i} is {d.dtype}"


# ---- bad input ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("op, args, argname", [
    (ew.maximum, (np.ones(2, complex), 1.0), "x1"),
    (ew.minimum, (np.ones(2), np.ones(2, complex)), "x2"),
    (ew._clip, (np.ones(2, complex), 0.0, 1.0), "a"),
])
def test_complex_input_is_a_type_error_naming_the_op_and_argument(op, args, argname):
    # (ops declared for complex values take it: tests/test_complex.py)
    with pytest.raises(TypeError, match=rf"admodes\.{op.name} does not take complex input \(argument {argname} is"):
        op(*args)


@pytest.mark.parametrize("op, args", [
    (ew.sin, ("abc",)),
    (ew.exp, ({"x": 1.0},)),
    (ew.log, ([1.0, "a"],)),
])
def test_non_numeric_input_is_a_type_error_naming_the_op(op, args):
    with pytest.raises(TypeError, match=rf"admodes\.{op.name}\(x: (str|dict|list)\)"):
        op(*args)


def test_non_numeric_branch_of_where_is_a_type_error_naming_it():
    with pytest.raises(TypeError, match=r"admodes\.where\(condition: shape \(1,\) dtype bool, x: str, y: float\)"):
        ew.where(np.array([True]), "yes", 1.0)


def test_a_string_as_second_operand_is_a_clear_type_error():
    with pytest.raises(TypeError, match=r"admodes\.add\(x1: shape \(2,\) dtype float64, x2: str\)"):
        ew.add(np.ones(2), "x")


@pytest.mark.parametrize("op, args, shapes", [
    (ew.add, (np.ones(2), np.ones(3)), r"x1: shape \(2,\) dtype float64, x2: shape \(3,\) dtype float64"),
    (ew.arctan2, (np.ones((2, 3)), np.ones(2)), r"x1: shape \(2, 3\) dtype float64, x2: shape \(2,\)"),
    (ew._clip, (np.ones(3), np.zeros(2), 1.0), r"a: shape \(3,\) dtype float64, a_min: shape \(2,\)"),
    (ew.where, (np.ones(4, bool), np.ones(3), 0.0), r"condition: shape \(4,\) dtype bool, x: shape \(3,\)"),
])
def test_mismatched_shapes_are_a_value_error_naming_the_op_and_shapes(op, args, shapes):
    with pytest.raises(ValueError, match=rf"admodes\.{op.name}\({shapes}.*could not be broadcast"):
        op(*args)


@pytest.mark.parametrize("op, x", [(ew.log, -1.0), (ew.sqrt, -1.0), (ew.arccos, 2.0), (ew.arccosh, 0.5),
                                   (ew.log1p, -2.0)])
def test_domain_errors_give_nan_with_numpys_warning(op, x):
    with pytest.warns(RuntimeWarning, match="invalid value"):
        out = op(np.array([x, 1.0]))
    assert np.isnan(out[0]) and not np.isnan(out[1])


# ---- rules are pure and differentiable again -----------------------------------------------------------

ELEMENTWISE_CASES = {c.id: c for c in cases_elementwise.CASES}


@pytest.mark.parametrize("case_id", sorted(ELEMENTWISE_CASES))
@settings(max_examples=2, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_rules_never_mutate_their_arguments(case_id, data):
    case = ELEMENTWISE_CASES[case_id]
    prim = REGISTRY[case.name]
    args, params = case.draw(Draw(data))
    before = [np.copy(x) if isinstance(x, np.ndarray) else x for x in args]
    ans = prim(*args, **params)
    ans_before = np.copy(ans)
    positions = diff_positions(prim, args, case.constants)
    tangents = tuple(np.ones(np.shape(x)) if i in positions else None for i, x in enumerate(args))
    jvp_of(prim, tangents, ans, tuple(args), params)
    vjp_of(prim, np.ones(np.shape(ans)), ans, tuple(args), params, tuple(i in positions for i in range(len(args))),
           tuple(np.shape(x) for x in args))
    for x, x0 in zip(args, before):
        if isinstance(x, np.ndarray):
            np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(ans, ans_before)


SECOND_DERIVATIVES = [  # f, x, f''(x)
    ("x ** 2.5", lambda x: x ** 2.5, 1.5, 2.5 * 1.5 * math.sqrt(1.5)),
    ("x ** 3 at x < 0", lambda x: x ** 3, -1.5, -9.0),
    ("2 ** x", lambda x: 2.0 ** x, 0.7, LN2 ** 2 * 2 ** 0.7),
    ("maximum(x, 0) ** 2", lambda x: anp.maximum(x, 0.0) ** 2, 1.2, 2.0),
    ("clip(x, -1, 1) ** 3", lambda x: anp.clip(x, -1.0, 1.0) ** 3, 0.5, 3.0),
    ("abs(x) ** 3", lambda x: anp.abs(x) ** 3, -1.5, 9.0),
    ("hypot(x, 2)", lambda x: anp.hypot(x, 2.0), 1.5, 4.0 / 6.25 ** 1.5),
    ("arctan2(x, 2)", lambda x: anp.arctan2(x, 2.0), 0.3, -4 * 0.3 / (0.09 + 4) ** 2),
    ("logaddexp(x, 0)", lambda x: anp.logaddexp(x, 0.0), 0.3, math.exp(-0.3) / (1 + math.exp(-0.3)) ** 2),
    ("arccosh", lambda x: anp.arccosh(x), 2.0, -2.0 / 3.0 ** 1.5),
    ("tan", lambda x: anp.tan(x), 0.4, 2 * math.tan(0.4) / math.cos(0.4) ** 2),
    ("where(x > 0, sin x, x)", lambda x: anp.where(x > 0, anp.sin(x), x), 0.5, -math.sin(0.5)),
]


@pytest.mark.parametrize("f, x, expected", [c[1:] for c in SECOND_DERIVATIVES], ids=[c[0] for c in SECOND_DERIVATIVES])
@pytest.mark.parametrize("outer", ["reverse", "forward"])
def test_rules_are_differentiable_again(f, x, expected, outer):
    second = ad.grad(ad.grad(f, mode="reverse"), mode=outer)(np.float64(x))
    np.testing.assert_allclose(float(second), expected, rtol=1e-12)


def test_astype_between_floats_is_linear_in_both_modes():
    import admodes as ad
    x = np.array([1.5, -2.0])
    out, tangent = ad.jvp(lambda v: v.astype(np.float32), (x,), (np.array([1.0, 2.0]),))
    assert out.dtype == tangent.dtype == np.float32 and tangent.tolist() == [1.0, 2.0]
    g = ad.grad(lambda v: (v.astype(np.float32) * 3.0).sum())(x)
    assert g.dtype == np.float64 and g.tolist() == [3.0, 3.0]
    with pytest.raises(TypeError, match="would drop the derivative"):
        ad.grad(lambda v: v.astype(np.int64).sum())(x)
