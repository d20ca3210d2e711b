"""The batching engine (admodes/batching.py; its transforms in admodes/transforms/batched.py): every batch rule
against stacked calls, the engine, vmap, and the Jacobians in one sweep against the per-direction ones."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import admodes as ad
import admodes.numpy as anp
from admodes.batching import Batched, batch_rule_of, looping_batch_rule
from admodes.ops.core import REGISTRY, Primitive, count_ops, defrules
from admodes.transforms import batched_jacfwd, batched_jacrev, vmap

from .ops.harness import Draw
from .ops.test_rules import CASES

BY_ID = {c.id: c for c in CASES}

# ====================================================================================================
# Every batch rule: a stack of k inputs through the rule equals k separate calls, stacked
# ====================================================================================================


class _Recording:
    """Hypothesis' data object, recording what it draws."""

    def __init__(self, data):
        self.data, self.values = data, []

    def draw(self, strategy, label=None):
        drawn = self.data.draw(strategy, label=label)
        self.values.append(drawn)
        return drawn


class _Replaying:
    """Gives back the recorded draws: the same shapes and choices, so a case drawn again with a fresh value
    generator gives other arrays of the same shapes (and the same static parameters)."""

    def __init__(self, values):
        self.values = iter(values)

    def draw(self, strategy, label=None):
        return next(self.values)


def _batch_of_cases(case, data, dtype):
    """``(prim, batched args, flags, params, per-element args)`` for k draws of one case."""
    prim = REGISTRY[case.name]
    recording = _Recording(data)
    first, params = case.draw(Draw(recording, dtype))
    k = data.draw(st.integers(1, 3), label="k")
    variants = [first]
    for j in range(1, k):
        d = Draw(_Replaying(recording.values), dtype)
        d.rng = np.random.default_rng(1000 + j)
        try:
            variants.append(case.draw(d)[0])
        except (StopIteration, ValueError, IndexError):  # the case's draws depend on its values: keep the first
            variants.append(first)
    arrays = [i for i, a in enumerate(first) if isinstance(a, np.ndarray)]
    chosen = data.draw(st.sets(st.sampled_from(arrays), min_size=1), label="batched") if arrays else set()
    elements = []
    for v in variants:
        same = [i in chosen and np.shape(v[i]) == np.shape(first[i]) and np.result_type(v[i]) == first[i].dtype
                for i in range(len(first))]
        elements.append(tuple(v[i] if same[i] else first[i] for i in range(len(first))))
    flags = tuple(i in chosen for i in range(len(first)))
    args = tuple(np.stack([e[i] for e in elements]) if flags[i] else first[i] for i in range(len(first)))
    return prim, args, flags, params, elements


def _check_batch_rule(case, data, dtype, rule_for):
    prim, args, flags, params, elements = _batch_of_cases(case, data, dtype)
    if not any(flags):
        return
    expected = np.stack([np.asarray(prim(*e, **params)) for e in elements])
    got = np.asarray(rule_for(prim)(args, flags, **params))
    assert got.shape == expected.shape, f"{case.id}: batched shape {got.shape}, stacked calls {expected.shape}"
    assert got.dtype == expected.dtype, f"{case.id}: batched dtype {got.dtype}, stacked calls {expected.dtype}"
    rtol = 1e-10 if dtype == np.float64 else 1e-5
    scale = float(np.max(np.abs(expected[np.isfinite(expected)]), initial=1.0)) if expected.dtype.kind == "f" else 1
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=rtol * scale, equal_nan=True, err_msg=case.id)


SLOW_PATH = set()  # registered primitives left to the loop (`looping_batch_rule`): correct, k calls each


def test_every_primitive_has_a_batch_rule_or_is_known_to_loop():
    without = {name for name, prim in REGISTRY.items() if prim.batch_rule is None} - {"double", "triple_example"}
    assert without == SLOW_PATH, (f"primitives without a batch rule: {sorted(without - SLOW_PATH)}; give them one "
                                  "with core.defbatch beside their derivative rules (or list them in SLOW_PATH)")


@pytest.mark.parametrize("case_id", sorted(BY_ID))
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_batch_rule_equals_stacked_calls(case_id, data):
    _check_batch_rule(BY_ID[case_id], data, np.float64, batch_rule_of)


@pytest.mark.parametrize("case_id", sorted(BY_ID))
@settings(max_examples=2, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_batch_rule_keeps_float32(case_id, data):
    _check_batch_rule(BY_ID[case_id], data, np.float32, batch_rule_of)


@pytest.mark.parametrize("case_id", sorted(BY_ID))
@settings(max_examples=2, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_slow_path_loop_equals_stacked_calls(case_id, data):
    _check_batch_rule(BY_ID[case_id], data, np.float64, looping_batch_rule)


# ====================================================================================================
# The engine: Batched values, the slow path, comparisons and control flow
# ====================================================================================================

def test_a_batched_value_looks_like_one_element_of_its_batch():
    b = Batched(np.arange(24.0).reshape(3, 2, 4))
    assert (b.shape, b.ndim, b.size, len(b), b.batch_size) == ((2, 4), 2, 8, 2, 3)
    assert (np.shape(b), np.ndim(b), np.size(b)) == ((2, 4), 2, 8)
    assert np.zeros_like(b).shape == (2, 4)
    assert b.dtype == np.float64
    np.testing.assert_array_equal((b.T * 2.0).value, np.arange(24.0).reshape(3, 2, 4).transpose(0, 2, 1) * 2.0)


def test_comparisons_give_batched_masks_and_control_flow_refuses():
    b = Batched(np.array([[1.0, -2.0], [-3.0, 4.0]]))
    mask = b > 0
    assert isinstance(mask, Batched)
    np.testing.assert_array_equal(mask.value, [[True, False], [False, True]])
    np.testing.assert_array_equal((np.zeros(2) < b).value, [[True, False], [False, True]])
    np.testing.assert_array_equal(np.isnan(Batched(np.array([[np.nan], [1.0]]))).value, [[True], [False]])
    with pytest.raises(TypeError, match="control flow"):
        bool(b > 0)
    with pytest.raises(TypeError, match="argmax"):
        np.argmax(b)


def _reverse_primitive():
    """A linear primitive that is no ufunc and has no batch rule: batching it takes the slow path."""
    flip = Primitive("reverse_for_test", lambda x: x[::-1].copy(), registered=False)
    defrules(flip, jvp=lambda t, ans, x: flip(t), vjp=lambda g, ans, x: flip(g))
    return flip


def test_a_primitive_without_a_batch_rule_loops_and_is_right():
    flip = _reverse_primitive()
    x = np.array([1.0, 2.0, 3.0])
    f = lambda x: flip(x) * x  # noqa: E731
    with count_ops() as counts:
        jac = batched_jacfwd(f)(x)
    assert counts.calls["reverse_for_test"] == 1 + 3  # the primal, then one call per direction: the loop
    np.testing.assert_allclose(jac, [[3.0, 0.0, 1.0], [0.0, 4.0, 0.0], [3.0, 0.0, 1.0]])
    np.testing.assert_allclose(batched_jacrev(f)(x), jac)
    np.testing.assert_allclose(vmap(flip)(np.array([[1.0, 2.0], [3.0, 4.0]])), [[2.0, 1.0], [4.0, 3.0]])


def test_a_ufunc_primitive_defined_later_gets_the_broadcasting_rule():
    degrees = Primitive("rad2deg_for_test", np.rad2deg, registered=False)
    defrules(degrees, jvp=lambda t, ans, x: degrees(t), vjp=lambda g, ans, x: degrees(g))
    assert degrees.batch_rule is None
    with count_ops() as counts:
        jac = batched_jacfwd(degrees)(np.zeros(4))
    assert batch_rule_of(degrees) is degrees.batch_rule is not None
    assert counts.calls["rad2deg_for_test"] == 2  # the primal and one batched call: no loop
    np.testing.assert_allclose(jac, np.eye(4) * 180.0 / np.pi)


# ====================================================================================================
# vmap
# ====================================================================================================

RNG = np.random.default_rng(7)
M = RNG.standard_normal((3, 4))


def _many_ops(x):
    y = anp.tanh(M @ x) + anp.where(x[:3] > 0, x[:3], 0.1 * x[:3])
    return anp.concatenate([y / anp.linalg.norm(x), anp.cumsum(y)[-1:], anp.stack([anp.max(y), anp.sum(y ** 2)])])


def test_vmap_equals_a_loop():
    xs = RNG.standard_normal((5, 4))
    np.testing.assert_allclose(vmap(_many_ops)(xs), np.stack([_many_ops(x) for x in xs]), rtol=1e-12)
    np.testing.assert_allclose(vmap(_many_ops, in_axes=1)(xs.T), np.stack([_many_ops(x) for x in xs]), rtol=1e-12)


def test_vmap_with_shared_arguments_nested_and_constant_results():
    xs, ys = RNG.standard_normal((3, 4)), RNG.standard_normal((2, 4))
    outer = vmap(vmap(lambda x, y: anp.dot(x, y) * x, in_axes=(None, 0)), in_axes=(0, None))(xs, ys)
    np.testing.assert_allclose(outer, [[np.dot(x, y) * x for y in ys] for x in xs], rtol=1e-12)
    np.testing.assert_array_equal(vmap(lambda x: np.ones(2))(xs), np.ones((3, 2)))


def test_vmap_of_batched_jacobians_and_a_clear_error_for_other_transforms():
    xs = RNG.standard_normal((3, 4))
    f = lambda x: anp.sin(x) * anp.sum(x)  # noqa: E731
    expected = np.stack([ad.jacfwd(f)(x) for x in xs])
    np.testing.assert_allclose(vmap(batched_jacfwd(f))(xs), expected, rtol=1e-12)
    np.testing.assert_allclose(vmap(batched_jacrev(f))(xs), expected, rtol=1e-12)
    with pytest.raises(TypeError, match="batched"):  # grad reads its input's plain value: refused, not misread
        vmap(ad.grad(lambda x: anp.sum(f(x))))(xs)


def test_vmap_item_assignment_updates_every_element():
    def f(x):
        y = x * 2.0
        y[0] = -1.0
        return y

    np.testing.assert_array_equal(vmap(f)(np.array([[1.0, 2.0], [3.0, 4.0]])), [[-1.0, 4.0], [-1.0, 8.0]])


@pytest.mark.parametrize("shapes", [((3, 4), (4,)), ((4,), (4, 3)), ((4,), (4,)), ((2, 3, 4), (4, 1)),
                                    ((3, 4), (2, 4, 1)), ((1, 4), (4, 3)), ((3, 4), (4, 1))])
@pytest.mark.parametrize("flags", [(True, False), (False, True), (True, True)])
def test_matmul_batch_rule_on_vectors_rows_and_columns(shapes, flags):
    k = 3
    x1, x2 = (RNG.standard_normal((k,) + s if b else s) for s, b in zip(shapes, flags))
    expected = np.stack([(x1[i] if flags[0] else x1) @ (x2[i] if flags[1] else x2) for i in range(k)])
    np.testing.assert_allclose(REGISTRY["matmul"].batch_rule((x1, x2), flags), expected, rtol=1e-12)


def test_vmap_refuses_bad_batches():
    with pytest.raises(ValueError, match="one length"):
        vmap(lambda x, y: x + y)(np.zeros((2, 3)), np.zeros((3, 3)))
    with pytest.raises(ValueError, match="no argument is batched"):
        vmap(lambda x: x, in_axes=(None,))(np.zeros(2))
    with pytest.raises(ValueError, match="length 0"):
        vmap(lambda x: x)(np.zeros((0, 2)))
    with pytest.raises(TypeError, match="control flow"):
        vmap(lambda x: x if x > 0 else -x)(np.array([1.0, -1.0]))


# ====================================================================================================
# Jacobians in one sweep equal the per-direction ones
# ====================================================================================================

S = RNG.standard_normal((6, 6)) + 6.0 * np.eye(6)


def _rosenbrock(x):
    return anp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def _shapes(x):
    grid = anp.reshape(x, (2, 3))
    return anp.concatenate([anp.ravel(grid.T), anp.sum(grid, axis=0), anp.sort(x)[::2], anp.prod(grid, axis=1)])


def _linalg(x):
    a = S + anp.outer(x, x)
    return anp.linalg.solve(a, x) + anp.linalg.det(a) * 1e-4 + anp.einsum("ij,j->i", anp.linalg.inv(a), x)


def _reductions(x):
    return anp.exp(x - anp.logsumexp(x)) + anp.std(x) * anp.mean(x) - anp.maximum(x, 0.2) * anp.min(x)


JACOBIAN_CASES = {"tanh(A @ x)": lambda x: anp.tanh(S[:4] @ x), "rosenbrock": _rosenbrock, "shape ops": _shapes,
                  "linalg": _linalg, "reductions": _reductions}


@pytest.mark.parametrize("name", sorted(JACOBIAN_CASES))
@pytest.mark.parametrize("batch_size", [None, 1, 4])
def test_batched_jacobians_equal_the_per_direction_ones(name, batch_size):
    f, x = JACOBIAN_CASES[name], RNG.uniform(0.5, 1.5, 6)
    expected = ad.jacfwd(f)(x)
    np.testing.assert_allclose(ad.jacrev(f)(x), expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(batched_jacfwd(f, batch_size=batch_size)(x), expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(batched_jacrev(f, batch_size=batch_size)(x), expected, rtol=1e-10, atol=1e-12)


def test_one_sweep_not_a_loop_per_direction():
    x = RNG.standard_normal(6)
    f = JACOBIAN_CASES["tanh(A @ x)"]
    for jacobian, matmuls in ((ad.jacfwd(f, batch=False), 12), (ad.jacfwd(f), 2), (batched_jacfwd(f), 2),
                              (batched_jacfwd(f, batch_size=4), 4),
                              (batched_jacrev(f), 2)):
        with count_ops() as counts:
            jacobian(x)
        assert counts.calls["matmul"] == matmuls
        assert counts.calls["stack"] == 0  # no slow path


def test_float32_stays_float32():
    x = RNG.uniform(0.5, 1.5, 6).astype(np.float32)
    a = S[:4].astype(np.float32)
    cases = {**JACOBIAN_CASES, "tanh(A @ x)": lambda x: anp.tanh(a @ x)}
    for name, f in cases.items():
        expected = ad.jacfwd(f)(x.astype(np.float64))
        for jacobian in (batched_jacfwd(f), batched_jacrev(f)):
            jac = jacobian(x)
            assert jac.dtype == np.float32, name  # the input's dtype, even where f's output is float64 (linalg)
            np.testing.assert_allclose(jac, expected, rtol=2e-3, atol=2e-3 * np.abs(expected).max(), err_msg=name)


class _Cube(ad.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 3.0 * x ** 2 * g

    @staticmethod
    def jvp(ctx, t):
        (x,) = ctx.saved_tensors
        return 3.0 * x ** 2 * t


def test_a_custom_function_in_a_batched_forward_sweep():
    x = np.array([1.0, 2.0, -1.0])
    np.testing.assert_allclose(batched_jacfwd(lambda x: _Cube.apply(x) * 2.0)(x), np.diag(6.0 * x ** 2))


def test_several_arguments_matrix_inputs_and_empty_or_constant_outputs():
    x, w = RNG.standard_normal((2, 3)), RNG.standard_normal(3)
    f = lambda x, w: anp.sin(x) @ w  # noqa: E731
    for batched, plain in ((batched_jacfwd, ad.jacfwd), (batched_jacrev, ad.jacrev)):
        for got, want in zip(batched(f, argnums=(0, 1))(x, w), plain(f, argnums=(0, 1))(x, w)):
            np.testing.assert_allclose(got, want, rtol=1e-12)
        np.testing.assert_array_equal(batched(lambda x: anp.sum(x) + 1.0)(np.zeros(0)), np.zeros(0))
        np.testing.assert_array_equal(batched(lambda x: np.ones(2))(w), np.zeros((2, 3)))
        jac = batched(lambda x: x)(w)  # a fresh array: writing into it leaves w alone
        jac[0, 0] = 5.0
        np.testing.assert_array_equal(jac, np.eye(3) + np.diag([4.0, 0.0, 0.0]))
    with pytest.raises(ValueError, match="batch_size"):
        batched_jacfwd(f, batch_size=0)


def test_nested_transforms_keep_their_perturbations_apart():
    h = lambda x: anp.sum(anp.exp(x) * x[::-1])  # noqa: E731
    x = RNG.standard_normal(4)
    hessian = ad.hessian(h)(x)
    for nested in (batched_jacfwd(batched_jacrev(h)), batched_jacfwd(ad.jacrev(h)), ad.jacfwd(batched_jacrev(h)),
                   batched_jacrev(batched_jacfwd(h))):
        np.testing.assert_allclose(nested(x), hessian, rtol=1e-10)
    # d/dx [x * d/dy (x + y)] = 1, with the inner derivative batched
    inner = lambda x: x * batched_jacfwd(lambda y: x + y)(np.array(2.0))  # noqa: E731
    assert float(batched_jacfwd(inner)(np.array(3.0))) == 1.0
    # forward mode over a batched Jacobian: the Hessian along v
    v = RNG.standard_normal(4)
    _, along = ad.jvp(batched_jacfwd(lambda x: anp.sin(x) * anp.sum(x)), (x,), (v,))
    _, expected = ad.jvp(ad.jacfwd(lambda x: anp.sin(x) * anp.sum(x)), (x,), (v,))
    np.testing.assert_allclose(along, expected, rtol=1e-12)
