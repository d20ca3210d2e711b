"""Every primitive's declared ``saves`` hold everything its VJP reads.

The reverse engine keeps for the backward sweep only what a declaration saves (`declare.defrules`): a value
it does not save is not there, and a value saved as metadata is a `Meta`. A declaration that forgets a
value its VJP reads is a wrong gradient, or a missed in-place-modification check. So here every VJP (the
rules, the joint rules, and the fast forms) runs on the op tests' generated cases with each value it does
not declare replaced by a `Poison`, which raises on any use, and each shape-only one by its `Meta`; the
cotangents must equal those computed from the real values. No engine runs, and nothing depends on how
the rules are compiled, so a wrong declaration fails on every Python.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from admodes.ops.declare import Meta, defrules, kept_for
from admodes.ops.primitive import REGISTRY, Primitive
from admodes.ops.rules import vjp_of_fast, vjp_of_reference

from .harness import Draw, diff_positions
from .test_rules import BY_ID

SAVES = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class PoisonRead(AssertionError):
    """A VJP used a value its primitive's declaration does not save."""


class Poison:
    """Stands for a value the tape would not keep: any use of it raises `PoisonRead`, naming it."""

    def __init__(self, label):
        object.__setattr__(self, "_label", label)

    def _fail(self, *args, **kwargs):
        raise PoisonRead(f"{object.__getattribute__(self, '_label')} was read, but the declaration does not save it")

    def __getattr__(self, name):
        self._fail()


for _name in ("add radd sub rsub mul rmul truediv rtruediv floordiv rfloordiv mod rmod pow rpow matmul rmatmul "
              "neg pos abs invert eq ne lt le gt ge bool len iter getitem float int index hash array "
              "array_ufunc array_function").split():
    setattr(Poison, f"__{_name}__", Poison._fail)
del _name


def _stand_in(value, label, whole, meta):
    """What the tape would hand the VJP: the value, its Meta, or nothing (a Poison)."""
    if whole:
        return value
    return Meta(value) if meta else Poison(label)


def _as_saved(prim, args, ans, needed):
    """``args`` and ``ans`` as the reverse engine would keep them when the arguments in ``needed`` want
    cotangents (the reads of their rules, or the joint rules' saves)."""
    whole, meta = kept_for(prim, needed)
    names = prim.argnames if not prim.variadic else [f"arrays[{i}]" for i in range(len(args))]
    saved = tuple(_stand_in(a, f"{prim.name}'s argument {name!r}", i in whole, i in meta)
                  for i, (a, name) in enumerate(zip(args, names)))
    return saved, _stand_in(ans, f"{prim.name}'s output", -1 in whole, -1 in meta)


def _assert_same(got, expected, what):
    for i, (a, b) in enumerate(zip(got, expected)):
        assert (a is None) == (b is None), f"{what}: argument {i}'s cotangent dropped or made up"
        if a is not None:
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b), err_msg=f"{what}, argument {i}")


def _subsets(prim, args, positions):
    """Each differentiable argument alone, then all of them: what a node may want."""
    subsets = [tuple(i == p for i in range(len(args))) for p in positions]
    return subsets + [tuple(i in positions for i in range(len(args)))]


def check_saves(case, d):
    prim = REGISTRY[case.name]
    args, params = case.draw(d)
    ans = prim(*args, **params)
    positions = diff_positions(prim, args, case.constants)
    shapes = tuple(np.shape(a) for a in args)
    u = d.rng.standard_normal(np.shape(ans)).astype(np.result_type(ans))
    fast = prim.rules.fast
    for needed in _subsets(prim, args, positions):
        saved, saved_ans = _as_saved(prim, args, ans, needed)
        expected = vjp_of_reference(prim, u, ans, tuple(args), params, needed, shapes)
        got = vjp_of_reference(prim, u, saved_ans, saved, params, needed, shapes)
        _assert_same(got, expected, f"{case.id}: the VJP on what the tape keeps")
        if prim.elementwise and np.size(ans) > 1:  # the fast path's uniform cotangent, on what the tape keeps
            uniform = np.broadcast_to(u.flat[0], np.shape(ans))
            got = vjp_of_fast(prim, uniform, saved_ans, saved, params, needed, shapes)
            expected = vjp_of_fast(prim, uniform, ans, tuple(args), params, needed, shapes)
            _assert_same(got, expected, f"{case.id}: the uniform-cotangent VJP on what the tape keeps")
        if fast is not None and fast.vjp_inplace is not None:
            for i, need in enumerate(needed):
                if need and fast.vjp_inplace[i] is not None and needed.count(True) == 1:
                    got = fast.vjp_inplace[i](np.array(u), saved_ans, *saved, **params)
                    expected = fast.vjp_inplace[i](np.array(u), ans, *args, **params)
                    _assert_same([got], [expected], f"{case.id}: the in-place VJP of argument {i}")
    if fast is not None and fast.vjp_same is not None and positions == list(range(len(args))):
        x = args[0]  # every argument the one value x (x * x): the engine passes the first one as kept
        same_args = (x,) * len(args)
        same_ans = prim(*same_args, **params)
        saved, saved_ans = _as_saved(prim, same_args, same_ans, (True,) * len(args))
        ux = d.rng.standard_normal(np.shape(same_ans)).astype(np.result_type(same_ans))
        for form in (fast.vjp_same, fast.vjp_same_inplace):
            if form is not None:
                got = form(np.array(ux), saved_ans, saved[0], **params)
                expected = form(np.array(ux), same_ans, x, **params)
                _assert_same([got], [expected], f"{case.id}: the summed VJP of x op x")


@pytest.mark.parametrize("case_id", sorted(BY_ID))
@SAVES
@given(data=st.data())
def test_every_vjp_reads_only_what_its_declaration_saves(case_id, data):
    check_saves(BY_ID[case_id], Draw(data, np.float64))


def test_a_vjp_reading_an_undeclared_value_fails_the_check():
    # cube's VJP reads x, but the declaration claims it reads only the output: check_saves must say so.
    cube = Primitive("cube_saves_example", lambda x: x ** 3, registered=False)
    defrules(cube, jvp=lambda t, ans, x: 3.0 * x * x * t, vjp=lambda g, ans, x: 3.0 * x * x * g, saves="ans")
    saved, saved_ans = _as_saved(cube, (np.ones(2),), np.ones(2), (True,))
    with pytest.raises(PoisonRead, match="cube_saves_example's argument 'x' was read"):
        vjp_of_reference(cube, np.ones(2), saved_ans, saved, {}, (True,), ((2,),))


def test_a_vjp_reading_more_than_the_shape_of_a_metadata_value_fails():
    # reshape-like: the rule reads x's values, where the declaration says x.shape
    bad = Primitive("bad_shape_saves_example", lambda x: x + 0.0, registered=False)
    defrules(bad, jvp=lambda t, ans, x: t, vjp=lambda g, ans, x: g + 0.0 * x, saves="x.shape")
    saved, saved_ans = _as_saved(bad, (np.ones(2),), np.ones(2), (True,))
    assert isinstance(saved[0], Meta) and isinstance(saved_ans, Poison)
    with pytest.raises(TypeError):  # a Meta is no array: NumPy refuses it
        vjp_of_reference(bad, np.ones(2), saved_ans, saved, {}, (True,), ((2,),))
