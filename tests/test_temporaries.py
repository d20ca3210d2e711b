"""Forward mode reuses a temporary dual's tangent and primal for its operator's result (`admodes.temporaries`,
`Dual._apply_donating`): the same values as allocating afresh, less memory, and never a write into an
array that anyone else can read."""

import sys
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import admodes as ad
from admodes import fastpaths, temporaries
from admodes.forward import Dual

N = 2 * temporaries.MIN_BYTES // 8  # float64 tangents large enough to be reused

reusing = pytest.mark.skipif(not temporaries.ENABLED, reason="tangent reuse is off (reference mode)")


@pytest.fixture
def no_reuse(monkeypatch):
    """Every operator allocates its tangent: the path `_apply_donating` stands in for."""
    monkeypatch.setattr(Dual, "_donates", False)


def rosenbrock(x):
    head, tail = x[:-1], x[1:]
    return ((100.0 * (tail - head * head) ** 2 + (1.0 - head) ** 2) / 3.0).sum()


def mixed(x):
    """Every operator with an in-place form, on temporaries on either side, both tangents moving."""
    y = x * 1.5
    return ((x * 2.0 - x ** 3) * (y + 1.0) - (y / 2.0 + x) ** 2 + (x - 3.0) * (x / (y * y + 1.0))).sum()


def elementwise(x):
    """No reduction: the result's primal is returned, computed in temporaries' arrays."""
    return ((x * 2.0 - 1.0) ** 2 * 3.0 + x) / 4.0 - (x * x) ** 3


def test_reference_mode_and_the_calibration_decide_it():
    free_threaded = hasattr(sys, "_is_gil_enabled") and not sys._is_gil_enabled()
    assert temporaries.ENABLED == (fastpaths.FAST and temporaries._calibrate() is not None and not free_threaded)
    assert Dual._donates == temporaries.ENABLED


@reusing
def test_the_calibration_tells_a_temporary_from_a_named_operand():
    class Counting:
        def __mul__(self, other):  # the shape of arraylike._binary's operator
            from sys import getrefcount
            return getrefcount(self), getrefcount(other)

    named, other = Counting(), Counting()
    temporary_counts = Counting() * Counting()  # (outside the asserts, which pytest rewrites into names)
    named_counts = named * other
    assert temporary_counts == (temporaries.SELF, temporaries.OTHER)
    assert named_counts == (temporaries.SELF + 1, temporaries.OTHER + 1)


@pytest.mark.parametrize("f", [rosenbrock, mixed, elementwise])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_tangents_equal_those_computed_afresh(f, dtype, monkeypatch):
    rng = np.random.default_rng(0)
    n = 4 * temporaries.MIN_BYTES // np.dtype(dtype).itemsize
    x, v = rng.uniform(-2, 2, n).astype(dtype), rng.standard_normal(n).astype(dtype)
    value, tangent = ad.jvp(f, (x,), (v,))
    monkeypatch.setattr(Dual, "_donates", False)
    expected_value, expected_tangent = ad.jvp(f, (x,), (v,))
    np.testing.assert_array_equal(value, expected_value)
    assert tangent.dtype == expected_tangent.dtype == dtype
    # (x**3's in-place form multiplies t x**2 by 3 where the rule multiplies t by 3 x**2: an ulp apart, of
    # the largest term where the sum of terms cancels)
    tolerance = 10 * np.finfo(dtype).eps
    np.testing.assert_allclose(tangent, expected_tangent, rtol=tolerance,
                               atol=tolerance * np.max(np.abs(expected_tangent)))


def test_complex_tangents_equal_those_computed_afresh(monkeypatch):
    rng = np.random.default_rng(1)
    z = rng.standard_normal(N) + 1j * rng.standard_normal(N)
    u = rng.standard_normal(N) + 1j * rng.standard_normal(N)
    f = lambda z: ((z * 2.0 - 1.0) ** 2 + (z * 1j) / (z + 3.0)).sum()
    got = ad.jvp(f, (z,), (u,))[1]
    monkeypatch.setattr(Dual, "_donates", False)
    np.testing.assert_allclose(got, ad.jvp(f, (z,), (u,))[1], rtol=1e-13)


@reusing
def test_a_chain_of_temporaries_holds_one_tangent_not_one_per_operator(no_reuse, monkeypatch):
    x, v = np.linspace(0.0, 1.0, N), np.ones(N)

    def peak_bytes():
        d = Dual(x, v) * 1.0  # a fresh tangent, outside the measured chain
        tracemalloc.start()
        out = ((((((d * 2.0) - 1.0) * 3.0) + 4.0) ** 2) / 5.0) * 6.0
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak, out.tangent

    allocating, expected = peak_bytes()
    monkeypatch.setattr(Dual, "_donates", True)
    reusing_peak, got = peak_bytes()
    np.testing.assert_allclose(got, expected, rtol=1e-15)
    # Allocating, the peak holds two duals' primals and tangents and a partial; reusing, the tangent is
    # one array throughout.
    assert allocating - reusing_peak >= 1.5 * x.nbytes, (allocating, reusing_peak)


def test_the_callers_arrays_are_never_written():
    x, v = np.linspace(-1.0, 1.0, N), np.linspace(2.0, 3.0, N)
    x0, v0 = x.copy(), v.copy()
    ad.jvp(rosenbrock, (x,), (v,))
    ad.jvp(lambda x: (x + 0.0) * 2.0 - x, (x,), (v,))  # the seed, and an add that passes its tangent on
    out = (Dual(x, v) * 2.0) + 1.0  # the dual made here holds the caller's v: it is not a temporary's own
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(v, v0)
    np.testing.assert_array_equal(out.tangent, 2.0 * v0)


def test_a_named_intermediate_keeps_its_tangent():
    d = Dual(np.linspace(0.0, 1.0, N), np.ones(N))
    kept = d * 3.0
    shared = kept + 0.0  # add passes kept's tangent on: one array held by two duals
    later = (kept * 2.0 + shared) * kept
    np.testing.assert_array_equal(kept.tangent, np.full(N, 3.0))
    np.testing.assert_array_equal(shared.tangent, np.full(N, 3.0))
    expected = (6.0 + 3.0) * kept.primal + (kept.primal * 3.0) * 3.0
    np.testing.assert_allclose(later.tangent, expected, rtol=1e-15)


def test_a_list_summed_by_python_keeps_its_elements():
    d = Dual(np.linspace(0.0, 1.0, N), np.ones(N))
    parts = [d * 1.0, d * 2.0, d * 3.0]
    total = sum(parts)  # sum's running total is a temporary; the elements are the list's
    np.testing.assert_array_equal(total.tangent, np.full(N, 6.0))
    for k, part in enumerate(parts, start=1):
        np.testing.assert_array_equal(part.tangent, np.full(N, float(k)))


def test_an_object_array_of_duals_gives_right_tangents_or_an_error_never_a_wrong_one():
    d = Dual(np.linspace(0.0, 1.0, N), np.ones(N))
    duals = np.empty(2, dtype=object)
    duals[0], duals[1] = d * 1.0, d * 3.0
    doubled = duals * 2.0  # NumPy's loop passes each element by a borrowed reference
    np.testing.assert_array_equal(doubled[0].tangent, np.full(N, 2.0))
    np.testing.assert_array_equal(doubled[1].tangent, np.full(N, 6.0))
    for k, element in zip((1.0, 3.0), duals):
        try:
            tangent = element.tangent
        except RuntimeError as err:
            assert "object array" in str(err)
            with pytest.raises(RuntimeError, match="arrays were reused"):
                element * 1.0
        else:
            np.testing.assert_array_equal(tangent, np.full(N, k))
        try:
            primal = element.primal + 0.0
        except RuntimeError as err:
            assert "arrays were reused" in str(err)
        else:
            np.testing.assert_array_equal(primal, k * d.primal)


def test_nested_forward_mode_is_unchanged(monkeypatch):
    x = np.linspace(0.5, 1.5, N)
    v, w = np.cos(x), np.sin(x)
    f = lambda x: ((x * 2.0 - 1.0) ** 3 * (x + 1.0)).sum()
    second = lambda: ad.jvp(lambda y: ad.jvp(f, (y,), (v,))[1], (x,), (w,))[1]
    got = second()
    monkeypatch.setattr(Dual, "_donates", False)
    np.testing.assert_allclose(got, second(), rtol=1e-13)
    u = 2.0 * x - 1.0  # the second derivative of u^3 (x + 1), along v and w, by hand
    by_hand = np.sum((24.0 * u * (x + 1.0) + 12.0 * u * u) * v * w)
    np.testing.assert_allclose(got, by_hand, rtol=1e-12)


def test_errors_are_those_of_the_ordinary_path():
    d = Dual(np.linspace(0.0, 1.0, N), np.ones(N))
    with pytest.raises(ValueError, match="subtract") as reusing:
        (d * 2.0) - np.ones(N + 1)
    with pytest.raises(ValueError, match="subtract") as plain:
        d - np.ones(N + 1)
    assert str(reusing.value) == str(plain.value)
    with np.errstate(divide="raise"), pytest.raises(FloatingPointError):
        (d * 2.0) / np.zeros(N)


# ---- random expressions: reusing and allocating give the same values, whatever the operators' nesting ----

_BINARY = ["+", "-", "*", "/"]
_LEAVES = st.sampled_from(["x", "y", "row", "1.5", "(-0.5)", "3"])  # row: broadcasts against x and y
_EXPRESSIONS = st.recursive(
    _LEAVES,
    lambda inner: st.one_of(st.tuples(st.sampled_from(_BINARY), inner, inner).map(lambda t: f"({t[1]} {t[0]} {t[2]})"),
                            st.tuples(inner, st.sampled_from(["2", "3"])).map(lambda t: f"({t[0]} ** {t[1]})")),
    max_leaves=12)
"""Python source of nested operators: compiled as written, so its intermediate results are the interpreter's
temporaries, as in a user's function."""


@settings(max_examples=40, deadline=None)
@given(tree=_EXPRESSIONS, dtype=st.sampled_from([np.float64, np.float32]), seed=st.integers(0, 2**16))
def test_random_expressions_equal_allocating_afresh(tree, dtype, seed):
    rng = np.random.default_rng(seed)
    rows = 2 * temporaries.MIN_BYTES // (np.dtype(dtype).itemsize * 64)
    # values in [1, 2]: no division by zero; the derivatives stay within a few orders of magnitude
    primals = {k: rng.uniform(1.0, 2.0, shape).astype(dtype) for k, shape in
               (("x", (rows, 64)), ("y", (rows, 64)), ("row", (64,)))}
    directions = {k: rng.standard_normal(v.shape).astype(dtype) for k, v in primals.items()}
    names = sorted(primals)

    expression = eval(f"lambda {', '.join(names)}: {tree} + 0.0 * x")  # (+ 0.0 x: an array even if constant)
    f = lambda *args: expression(*args)

    args, tangents = tuple(primals[k] for k in names), tuple(directions[k] for k in names)
    copies = [a.copy() for a in args + tangents]
    with np.errstate(all="ignore"):  # (x - x) may be a divisor: inf and nan, alike on both paths
        value, tangent = ad.jvp(f, args, tangents)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(Dual, "_donates", False)
            expected_value, expected_tangent = ad.jvp(f, args, tangents)
    np.testing.assert_array_equal(value, expected_value)
    finite = np.isfinite(expected_tangent)
    np.testing.assert_array_equal(np.isfinite(tangent), finite)
    tolerance = 100 * np.finfo(dtype).eps
    scale = np.max(np.abs(expected_tangent[finite]), initial=0.0)
    np.testing.assert_allclose(tangent[finite], expected_tangent[finite], rtol=tolerance, atol=tolerance * scale)
    for original, now in zip(copies, args + tangents):  # the caller's arrays: never written
        np.testing.assert_array_equal(now, original)
