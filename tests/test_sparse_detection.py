"""Sparsity detection (issue 18, item 1): the patterns never miss a nonzero of the dense Jacobian or Hessian.

Every primitive's rule-test cases (tests/ops/) are reused: the pattern of the primitive in each of its
differentiable arguments must cover the nonzeros of `jacfwd` there. The share of false nonzeros (pattern
entries where the Jacobian is zero at the drawn point) is collected and printed at the end of the module
(``pytest -s``); for the rules that are exact it is asserted to be zero.
"""

from collections import defaultdict

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import admodes as ad
import admodes.numpy as anp
from admodes.ops.core import REGISTRY, Primitive, defrules
from admodes.sparse import hessian_sparsity, jacobian_sparsity

from .ops import cases_decompositions, cases_elementwise, cases_linalg, cases_reductions, cases_rounding, cases_shape
from .ops.harness import Draw, diff_positions

CASES = [c for module in (cases_elementwise, cases_reductions, cases_linalg, cases_shape, cases_rounding,
                          cases_decompositions)
         for c in module.CASES]
BY_ID = {c.id: c for c in CASES}
FALSE = defaultdict(lambda: [0, 0])  # case id -> [false nonzeros, pattern nonzeros]

# Rules that are exact for generic values (no false nonzero at a random point): structure alone decides.
EXACT = {"add", "subtract", "multiply", "divide", "sin", "exp", "reshape", "transpose", "getitem", "concatenate",
         "stack", "flip", "diag", "triu", "tril", "tile", "repeat", "broadcast_to", "sum", "cumsum", "matmul",
         "outer", "scatter_add", "index_update", "take", "moveaxis", "squeeze", "expand_dims"}


def dense_jacobian(f, x):
    out = np.asarray(f(x))
    return np.asarray(ad.jacfwd(f)(x)).reshape(out.size, np.size(x))


def assert_covers(pattern, jac, what):
    """Every nonzero of ``jac`` is in ``pattern``; returns (false nonzeros, pattern nonzeros).

    An inf or nan of the reference (a second derivative at a singular matrix, where 0 * inf spreads nan
    into entries that are structurally zero) says nothing about the structure, and is not compared."""
    dense = pattern.toarray()
    assert dense.shape == jac.shape, f"{what}: pattern {dense.shape}, Jacobian {jac.shape}"
    missed = np.argwhere((jac != 0) & np.isfinite(jac) & ~dense)
    assert len(missed) == 0, f"{what}: the pattern misses nonzeros at {missed[:5].tolist()}"
    return int(np.sum(dense & (jac == 0))), int(dense.sum())


@pytest.mark.parametrize("case_id", sorted(BY_ID))
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_pattern_covers_every_primitives_jacobian(case_id, data):
    case = BY_ID[case_id]
    prim = REGISTRY[case.name]
    args, params = case.draw(Draw(data, np.float64))
    for i in diff_positions(prim, args, case.constants):
        def f(xi, i=i):
            return prim(*args[:i], xi, *args[i + 1:], **params)
        x = np.asarray(args[i], np.float64)
        false, total = assert_covers(jacobian_sparsity(f)(x), dense_jacobian(f, x), f"{case_id} argument {i}")
        FALSE[case_id][0] += false
        FALSE[case_id][1] += total
    if case.name in EXACT and case_id in FALSE:
        assert FALSE[case_id][0] == 0, f"{case_id}: {FALSE[case_id][0]} false nonzeros from an exact rule"


HESSIAN_CASES = sorted(i for i in BY_ID if not REGISTRY[BY_ID[i].name].zero_derivative)


@pytest.mark.parametrize("case_id", HESSIAN_CASES)
@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_hessian_pattern_covers_every_primitives_hessian(case_id, data):
    """sum(w * prim(...)) with random weights w: its Hessian is the primitive's own second-order structure,
    and finding its pattern runs the primitive's VJP rules through the tracer."""
    case = BY_ID[case_id]
    prim = REGISTRY[case.name]
    d = Draw(data, np.float64)
    args, params = case.draw(d)
    weights = d.rng.uniform(0.5, 1.5, np.shape(prim(*args, **params)))
    for i in diff_positions(prim, args, case.constants):
        def f(xi, i=i):
            return anp.sum(weights * prim(*args[:i], xi, *args[i + 1:], **params))
        x = np.asarray(args[i], np.float64)
        hessian = np.asarray(ad.hessian(f)(x)).reshape(x.size, x.size)
        false, total = assert_covers(hessian_sparsity(f)(x), hessian, f"{case_id} argument {i}, Hessian")
        FALSE["Hessians of the primitives"][0] += false
        FALSE["Hessians of the primitives"][1] += total


def test_every_differentiable_primitive_declares_its_dependency_rule_or_derives_it():
    """No op of the library is left to the dense fallback without saying so (``deps="dense"``)."""
    from admodes.sparse.rules import rule_kind, rule_of
    left = sorted(name for name, prim in REGISTRY.items() if prim.has_rules and rule_kind(prim) == "fallback")
    assert left == [], (f"primitives with neither a deps= rule in their declaration nor one derived from it: {left}; "
                        "declare deps=<rule> or a kind of admodes.sparse.rules.KINDS")
    for name, prim in REGISTRY.items():
        if prim.has_rules and not prim.zero_derivative:
            assert callable(rule_of(prim)), name


def test_import_admodes_does_not_load_scipy():
    import subprocess
    import sys
    from pathlib import Path
    code = "import sys, admodes, admodes.numpy; print('scipy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1])
    assert out.stdout.strip() == "False", out.stdout + out.stderr


def test_a_primitive_declared_without_a_dependency_rule_gets_the_dense_one():
    twice = Primitive("twice_without_deps_rule", lambda x: 2 * x, registered=False)
    defrules(twice, jvp=lambda t, ans, x: 2 * t, vjp=lambda g, ans, x: 2 * g)
    pattern = jacobian_sparsity(lambda x: twice(x[:2]))(np.ones(3))
    np.testing.assert_array_equal(pattern.toarray(), [[True, True, False], [True, True, False]])


def test_a_linear_op_that_sums_is_not_taken_for_a_move():
    """A `deflinear` op without ``deps=`` is traced as a move only if a second numbering confirms it: a
    running sum (which maps element numbers to valid-looking numbers) gets the dense rule, never a wrong one."""
    from admodes.ops.core import deflinear
    running = Primitive("running_sum_example", lambda x: np.cumsum(x), registered=False)
    deflinear(running, transpose=lambda g, ans, x: running(g[::-1])[::-1])
    x = np.arange(1.0, 4.0)
    pattern = jacobian_sparsity(lambda v: running(v))(x)
    assert_covers(pattern, dense_jacobian(lambda v: running(v), x), "running sum")
    flipped = Primitive("flip_example_deps", lambda x: x[::-1], registered=False)
    deflinear(flipped, transpose=lambda g, ans, x: flipped(g))
    np.testing.assert_array_equal(jacobian_sparsity(lambda v: flipped(v))(x).toarray(), np.eye(3, dtype=bool)[::-1])


def test_a_declared_dependency_kind_that_does_not_exist_is_named():
    odd = Primitive("odd_deps_example", lambda x: 2 * x, registered=False)
    defrules(odd, jvp=lambda t, ans, x: 2 * t, vjp=lambda g, ans, x: 2 * g, deps="diagonal")
    with pytest.raises(ValueError, match="odd_deps_example.*'diagonal'"):
        jacobian_sparsity(lambda x: odd(x))(np.ones(2))


# ---- generated programs ------------------------------------------------------------------------------

UNARY = [anp.sin, anp.exp, anp.tanh, lambda v: v * v, lambda v: -v, lambda v: anp.cumsum(v),
         lambda v: anp.sort(v), lambda v: v[::-1], lambda v: anp.where(v > 0, v, 2.0 * v),
         lambda v: anp.maximum(v, 0.1), lambda v: v - anp.mean(v)]
BINARY = [lambda u, v: u + v, lambda u, v: u * v, lambda u, v: u / (1.0 + v * v),
          lambda u, v: anp.concatenate([u[: len(u) // 2], v[len(v) // 2:]])]
SHIFTS = [lambda v: anp.concatenate([v[1:], v[:1]]), lambda v: anp.concatenate([v[:1] * 0.0, v[:-1]]),
          lambda v: v.reshape(2, -1).T.ravel(), lambda v: v[np.arange(len(v)) % 3]]


@st.composite
def programs(draw):
    """A random straight-line program on a vector of length 6: a list of (kind, op index, operands)."""
    steps = []
    for k in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["unary", "binary", "shift"]))
        ops = {"unary": UNARY, "binary": BINARY, "shift": SHIFTS}[kind]
        steps.append((kind, draw(st.integers(0, len(ops) - 1)), draw(st.integers(0, k)), draw(st.integers(0, k))))
    return steps


def run(program, x):
    values = [x]
    for kind, index, a, b in program:
        if kind == "binary":
            values.append(BINARY[index](values[a], values[b]))
        else:
            values.append((UNARY if kind == "unary" else SHIFTS)[index](values[a]))
    return values[-1] + 0.0 * values[0]


@settings(max_examples=60, deadline=None)
@given(program=programs(), seed=st.integers(0, 2**16))
def test_pattern_covers_generated_programs(program, seed):
    x = np.random.default_rng(seed).uniform(-2, 2, 6)
    f = lambda v: run(program, v)
    false, total = assert_covers(jacobian_sparsity(f)(x), dense_jacobian(f, x), f"program {program}")
    FALSE["generated programs"][0] += false
    FALSE["generated programs"][1] += total


@settings(max_examples=30, deadline=None)
@given(program=programs(), seed=st.integers(0, 2**16))
def test_hessian_pattern_covers_generated_programs(program, seed):
    x = np.random.default_rng(seed).uniform(-2, 2, 6)
    f = lambda v: anp.sum(anp.sin(run(program, v)))
    pattern = hessian_sparsity(f)(x)
    assert (pattern != pattern.T).nnz == 0
    false, total = assert_covers(pattern, np.asarray(ad.hessian(f)(x)), f"program {program}")
    FALSE["generated programs, Hessian"][0] += false
    FALSE["generated programs, Hessian"][1] += total


# ---- patterns known exactly --------------------------------------------------------------------------

def tridiagonal(x):
    zero = np.zeros(1)
    return anp.concatenate([zero, x[:-1]]) - 2.0 * anp.sin(x) + anp.concatenate([x[1:], zero])


def test_tridiagonal_pattern_is_exact():
    p = 7
    expected = sp.diags_array([np.ones(p - 1), np.ones(p), np.ones(p - 1)], offsets=[-1, 0, 1]).toarray() != 0
    np.testing.assert_array_equal(jacobian_sparsity(tridiagonal)(np.ones(p)).toarray(), expected)


def test_hessian_pattern_of_separable_and_coupled_terms():
    f = lambda x: anp.sum(x ** 3) + x[0] * x[3] + anp.sum(x[1:3] + 2.0 * x[4:])
    expected = np.zeros((5, 5), bool)
    expected[[0, 1, 2, 3, 4], [0, 1, 2, 3, 4]] = True
    expected[0, 3] = expected[3, 0] = True
    np.testing.assert_array_equal(hessian_sparsity(f)(np.ones(5)).toarray(), expected)


def test_linear_function_has_an_empty_hessian_pattern():
    A = np.arange(12.0).reshape(3, 4)
    assert hessian_sparsity(lambda x: anp.sum(A @ x) + anp.sum(anp.cumsum(x)))(np.ones(4)).nnz == 0


def test_pattern_is_global_not_at_a_zero_of_x():
    # at x = 0 the Jacobian of x * x is zero, but the pattern is the one for every x
    pattern = jacobian_sparsity(lambda x: x * x)(np.zeros(3))
    np.testing.assert_array_equal(pattern.toarray(), np.eye(3, dtype=bool))


def test_branch_on_a_value_gives_the_pattern_of_the_branch_taken():
    f = lambda x: x[:2] * x[2] if x[0] > 0 else x[:2] * 1.0
    assert jacobian_sparsity(f)(np.array([1.0, 1.0, 1.0])).toarray()[:, 2].all()
    assert not jacobian_sparsity(f)(np.array([-1.0, 1.0, 1.0])).toarray()[:, 2].any()


@pytest.mark.parametrize("side", ["left", "right"])
@pytest.mark.parametrize("ndim", [1, 2])
@pytest.mark.parametrize("product", ["matmul", "dot"])
def test_product_with_a_constant_matrix_keeps_its_zeros(side, ndim, product):
    a = sp.random_array((5, 5), density=0.3, rng=1).toarray()
    mul = getattr(anp, product)
    shape = (5,) if ndim == 1 else (5, 2)
    f = (lambda x: mul(a, x)) if side == "left" else (lambda x: mul(x.T, a).T)
    x = np.random.default_rng(0).uniform(1, 2, shape)
    np.testing.assert_array_equal(jacobian_sparsity(f)(x).toarray(), dense_jacobian(f, x) != 0)


def test_writing_into_a_traced_array():
    def f(x):
        y = x * 2.0
        y[0] = x[3] * x[2]   # the dependencies of what is written replace those of what was there
        y[1] = 0.0           # a constant: no dependency left
        return y
    expected = np.eye(4, dtype=bool)
    expected[0] = [False, False, True, True]
    expected[1, 1] = False
    np.testing.assert_array_equal(jacobian_sparsity(f)(np.ones(4)).toarray(), expected)


def test_constant_output_and_shapes():
    pattern = jacobian_sparsity(lambda x: np.ones((2, 3)))(np.ones(4))
    assert pattern.shape == (6, 4) and pattern.nnz == 0
    pattern = jacobian_sparsity(lambda x: x.T @ x, argnums=0)(np.ones((3, 2)))
    assert pattern.shape == (4, 6)
    with pytest.raises(TypeError, match="single array"):
        jacobian_sparsity(lambda x: (x, x))(np.ones(2))


def test_zz_report_false_nonzeros():
    """Printed with ``pytest -s``: the share of false nonzeros by case (last test of the module)."""
    rows = sorted(((false / total if total else 0.0), name, false, total) for name, (false, total) in FALSE.items())
    for share, name, false, total in rows:
        print(f"{name:40s} {false:6d} / {total:6d} false nonzeros ({100 * share:5.1f}%)")
    assert all(0 <= false <= total for _, _, false, total in rows)
