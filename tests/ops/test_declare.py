"""The declaration API (admodes/ops/declare.py): one call per primitive, and the mistakes it refuses."""

import numpy as np
import pytest

from admodes.ops.declare import Fast, deflinear, defrules, kept_for, nondifferentiable
from admodes.ops.primitive import REGISTRY, RULE_KINDS, Primitive
from admodes.ops.rules import jvp_of, vjp_of


def fresh(name, impl=lambda x: 2.0 * x, **kwargs):
    return Primitive(name, impl, registered=False, **kwargs)


def test_one_call_declares_everything_the_engines_read():
    p = fresh("declare_everything")
    batch = lambda args, batched: p(args[0])  # noqa: E731
    into = lambda buffer, g: np.add(buffer, 2.0 * g, out=buffer)  # noqa: E731
    defrules(p, jvp=lambda t, ans, x: 2.0 * t, vjp=lambda g, ans, x: 2.0 * g, saves=("x.shape",), batch=batch,
             fast=Fast(vjp_into=into))
    assert p.has_rules and p.batch_rule is batch and not p.zero_derivative and not p.elementwise
    assert p.vjp_reads == ((frozenset(), frozenset({0})),)
    assert p.rules.fast.vjp_into is into
    assert float(jvp_of(p, (np.float64(1.0),), None, (np.float64(3.0),), {})) == 2.0


def test_a_second_declaration_is_refused():
    p = fresh("declare_twice")
    defrules(p, jvp=lambda t, ans, x: t, vjp=lambda g, ans, x: g, saves=())
    with pytest.raises(ValueError, match="declare_twice: its rules are declared already"):
        defrules(p, jvp=lambda t, ans, x: t, vjp=lambda g, ans, x: g, saves=())


def test_an_unknown_kind_of_rule_is_an_error_and_a_known_one_is_kept():
    p = fresh("declare_kinds")
    with pytest.raises(TypeError, match="'jett' is not a kind of rule"):
        defrules(p, jvp=lambda t, ans, x: t, vjp=lambda g, ans, x: g, saves=(), jett=lambda *a: None)
    jet = lambda coefficients, x: coefficients  # noqa: E731
    defrules(p, jvp=lambda t, ans, x: t, vjp=lambda g, ans, x: g, saves=(), jet=jet)
    assert "jet" in RULE_KINDS and p.rule("jet") is jet and p.rule("deps") is None
    with pytest.raises(KeyError, match="'jett' is not a rule kind"):
        p.rule("jett")


@pytest.mark.parametrize("saves, message", [
    (("y",), "saves names 'y'"),
    (("x.values",), "saves names 'x.values'"),
    ({"x1": "x2"}, "must name each differentiable argument"),
])
def test_saves_must_name_the_arguments(saves, message):
    p = fresh("declare_saves", np.multiply)
    with pytest.raises(ValueError, match=message):
        defrules(p, jvp=(lambda t, ans, x1, x2: t * x2, lambda t, ans, x1, x2: x1 * t),
                 vjp=(lambda g, ans, x1, x2: g * x2, lambda g, ans, x1, x2: x1 * g), saves=saves)


def test_saves_by_argument_keep_only_what_each_wanted_cotangent_reads():
    p = fresh("declare_by_argument", np.multiply)
    defrules(p, jvp=(lambda t, ans, x1, x2: t * x2, lambda t, ans, x1, x2: x1 * t),
             vjp=(lambda g, ans, x1, x2: g * x2, lambda g, ans, x1, x2: x1 * g), saves={"x1": "x2", "x2": "x1"})
    assert kept_for(p, (True, False)) == (frozenset({1}), frozenset())
    assert kept_for(p, (False, True)) == (frozenset({0}), frozenset())
    assert kept_for(p, (True, True)) == (frozenset({0, 1}), frozenset())


def test_the_default_saves_everything():
    p = fresh("declare_default")
    defrules(p, jvp=lambda t, ans, x: t, vjp=lambda g, ans, x: g)
    assert kept_for(p, (True,)) == (frozenset({-1, 0}), frozenset())


def test_a_missing_or_extra_rule_names_the_argument():
    p = fresh("declare_missing", np.multiply)
    with pytest.raises(ValueError, match="argument 'x2' needs a vjp rule"):
        defrules(p, jvp=(lambda t, ans, x1, x2: t, lambda t, ans, x1, x2: t),
                 vjp=(lambda g, ans, x1, x2: g, None), saves=())
    q = fresh("declare_nondiff", np.multiply, nondiff=("x2",))
    with pytest.raises(ValueError, match="argument 'x2' is nondiff but has a jvp rule"):
        defrules(q, jvp=(lambda t, ans, x1, x2: t, lambda t, ans, x1, x2: t), vjp=(lambda g, ans, x1, x2: g, None))


def test_a_linear_op_gets_its_jvp_by_applying_itself_to_the_tangent():
    calls = []

    def impl(x, axis=0):
        calls.append(axis)
        return np.flip(x, axis)

    p = fresh("declare_linear", impl)
    deflinear(p, transpose=lambda g, ans, x, axis=0: p(g, axis=axis), saves=())
    x, t = np.arange(6.0).reshape(2, 3), np.ones((2, 3)) * np.arange(3.0)
    np.testing.assert_array_equal(jvp_of(p, (t,), p(x, axis=1), (x,), {"axis": 1}), np.flip(t, 1))
    assert calls[-1] == 1 and p.rules.linear
    np.testing.assert_array_equal(vjp_of(p, t, None, (None,), {"axis": 1}, (True,), ((2, 3),))[0], np.flip(t, 1))


def test_deflinear_refuses_an_op_of_two_differentiable_arguments():
    with pytest.raises(ValueError, match="linear in its one differentiable argument"):
        deflinear(fresh("declare_bilinear", np.multiply), transpose=lambda g, ans, x1, x2: g)


def test_a_nondifferentiable_op_reads_nothing_and_has_zero_derivatives():
    p = fresh("declare_zero", np.sign)
    nondifferentiable(p, elementwise=True)
    assert p.zero_derivative and p.batch_rule is not None and kept_for(p, (True,)) == (frozenset(), frozenset())
    assert vjp_of(p, np.ones(2), None, (np.ones(2),), {}, (True,), ((2,),)) == [None]


def test_every_registered_declaration_came_from_the_one_call():
    # No attribute patched after the fact: what the engines read is what the declaration stored.
    for name, prim in REGISTRY.items():
        if prim.rules is None:
            continue
        fast = prim.rules.fast
        assert prim.vjp_into in (None, fast and fast.vjp_into), name
        assert prim.vjp_same in (None, fast and fast.vjp_same), name
        assert prim.zero_derivative == prim.rules.zero, name
