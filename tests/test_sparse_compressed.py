"""Compressed Jacobians and Hessians (issue 18, item 3): equal to the dense ones, prepared once, and the
bad inputs of the issue (a branch on a value, a sparsity= of the wrong shape, a dense pattern)."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import admodes as ad
import admodes.numpy as anp
from admodes.sparse import CompressionWarning

from .test_sparse_detection import programs, run


def dense_jacobian(f, x):
    out = np.asarray(f(x))
    return np.asarray(ad.jacfwd(f)(x)).reshape(out.size, x.size)


def tridiagonal(x):
    zero = np.zeros(1)
    return anp.concatenate([zero, x[:-1]]) - 2.0 * anp.sin(x) * x + anp.concatenate([x[1:] ** 2, zero])


def banded(x, b=3):
    out = anp.exp(x) * 0.1
    for k in range(1, b + 1):
        pad = np.zeros(k)
        out = out + anp.concatenate([x[k:] * x[:-k], pad]) + anp.concatenate([pad, anp.tanh(x[:-k])])
    return out


def block_diagonal(x, size=4):
    blocks = x.reshape(-1, size)
    return (anp.sin(blocks) @ np.arange(1.0, 1.0 + size * size).reshape(size, size) * blocks).ravel()


def arrowhead(x):
    return anp.concatenate([anp.sum(x * x, keepdims=True), x[1:] * x[0]])


def stencil(x, n=6):
    u = x.reshape(n, n)
    z = np.zeros((1, n))
    up, down = anp.concatenate([z, u[:-1]]), anp.concatenate([u[1:], z])
    left, right = anp.concatenate([z.T, u[:, :-1]], axis=1), anp.concatenate([u[:, 1:], z.T], axis=1)
    return (up + down + left + right - 4.0 * u + u ** 3).ravel()


FUNCTIONS = {"tridiagonal": (tridiagonal, 20), "banded": (banded, 20), "block_diagonal": (block_diagonal, 16),
             "arrowhead": (arrowhead, 12), "stencil": (stencil, 36)}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
@pytest.mark.parametrize("mode", ["forward", "reverse", "auto"])
def test_compressed_jacobian_equals_the_dense_one(name, mode):
    f, p = FUNCTIONS[name]
    x = np.random.default_rng(0).uniform(-1, 1, p)
    jac = ad.sparse_jacobian(f, mode=mode)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CompressionWarning)  # arrowhead: one dense row and column
        J = jac(x)
    assert isinstance(J, sp.csr_array) and J.shape == (p, p)
    np.testing.assert_allclose(J.toarray(), dense_jacobian(f, x), rtol=1e-12, atol=1e-12)
    assert jac.mode == (mode if mode != "auto" else jac.mode) and jac.mode in ("forward", "reverse")


def test_constant_banded_matrix_times_x_compresses():
    a = sp.diags_array([np.ones(29), -2.0 * np.ones(30), np.ones(29)], offsets=[-1, 0, 1]).toarray()
    f = lambda x: anp.tanh(a @ x)
    x = np.linspace(-1, 1, 30)
    jac = ad.sparse_jacfwd(f)
    np.testing.assert_allclose(jac(x).toarray(), dense_jacobian(f, x), atol=1e-12)
    assert jac.sweeps == 3


def test_sweeps_are_the_colors():
    x = np.ones(100)
    assert ad.sparse_jacfwd(tridiagonal).prepare(x).sweeps == 3
    assert ad.sparse_jacrev(tridiagonal).prepare(x).sweeps == 3
    assert ad.sparse_jacfwd(banded).prepare(x).sweeps == 7


def test_auto_picks_the_direction_with_fewer_colors():
    dense_row = lambda x: anp.concatenate([anp.sum(x, keepdims=True), x[1:] ** 2])
    dense_column = lambda x: x * x[0]
    jac = ad.sparse_jacobian(dense_row).prepare(np.ones(30))
    assert (jac.mode, jac.sweeps) == ("reverse", 2)
    jac = ad.sparse_jacobian(dense_column).prepare(np.ones(30))
    assert (jac.mode, jac.sweeps) == ("forward", 2)


@settings(max_examples=30, deadline=None)
@given(program=programs(), seed=st.integers(0, 2**16), mode=st.sampled_from(["forward", "reverse"]))
def test_compressed_jacobian_of_generated_programs(program, seed, mode):
    x = np.random.default_rng(seed).uniform(-2, 2, 6)
    f = lambda v: run(program, v)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CompressionWarning)
        J = ad.sparse_jacobian(f, mode=mode)(x)
    np.testing.assert_allclose(J.toarray(), dense_jacobian(f, x), rtol=1e-10, atol=1e-12)


HESSIANS = {
    "tridiagonal": lambda x: anp.sum(x[1:] ** 2 * x[:-1]) + anp.sum(anp.sin(x)),
    "arrowhead": lambda x: x[0] * anp.sum(x[1:] ** 2) + anp.sum(anp.exp(x)),
    "block": lambda x: anp.sum(anp.sum(x.reshape(-1, 3), axis=1) ** 3),
    "stencil": lambda x: anp.sum(stencil(x) ** 2),
}


@pytest.mark.parametrize("name", sorted(HESSIANS))
def test_compressed_hessian_equals_the_dense_one(name):
    f = HESSIANS[name]
    x = np.random.default_rng(1).uniform(-1, 1, 36)
    hess = ad.sparse_hessian(f)
    H = hess(x)
    np.testing.assert_allclose(H.toarray(), np.asarray(ad.hessian(f)(x)), rtol=1e-10, atol=1e-12)
    assert (H != H.T).nnz == 0 and hess.coloring.kind == "star"


def test_arrowhead_hessian_takes_two_sweeps():
    hess = ad.sparse_hessian(HESSIANS["arrowhead"]).prepare(np.ones(50))
    assert hess.sweeps == 2 and ad.coloring(hess.sparsity, "column").count == 50


@settings(max_examples=20, deadline=None)
@given(program=programs(), seed=st.integers(0, 2**16))
def test_compressed_hessian_of_generated_programs(program, seed):
    x = np.random.default_rng(seed).uniform(-2, 2, 6)
    f = lambda v: anp.sum(anp.sin(run(program, v)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CompressionWarning)
        H = ad.sparse_hessian(f)(x)
    np.testing.assert_allclose(H.toarray(), np.asarray(ad.hessian(f)(x)), rtol=1e-9, atol=1e-10)


def test_prepared_once_and_reused_across_x():
    calls = []

    def f(x):
        calls.append(1)
        return tridiagonal(x)

    jac = ad.sparse_jacfwd(f)
    x1, x2 = np.linspace(0, 1, 12), np.linspace(-1, 2, 12)
    J1 = jac(x1)
    pattern, colors = jac.sparsity, jac.coloring
    assert len(calls) == 2  # detection, then one batched sweep
    J2 = jac(x2)
    assert len(calls) == 3 and jac.sparsity is pattern and jac.coloring is colors
    np.testing.assert_allclose(J2.toarray(), dense_jacobian(tridiagonal, x2), atol=1e-12)
    assert (J1.indptr == J2.indptr).all() and (J1.indices == J2.indices).all()
    expected = J1.toarray()
    J2.data[:] = 0.0
    J2.eliminate_zeros()  # editing a result in place leaves the prepared pattern alone
    assert jac.sparsity.nnz == 3 * 12 - 2
    np.testing.assert_array_equal(jac(x1).toarray(), expected)


def test_given_sparsity_and_coloring_skip_detection():
    calls = []

    def f(x):
        calls.append(1)
        return tridiagonal(x)

    x = np.linspace(0, 1, 10)
    pattern = ad.jacobian_sparsity(tridiagonal)(x)
    colors = ad.coloring(pattern, "row", order="smallest_last")
    jac = ad.sparse_jacobian(f, sparsity=pattern, coloring=colors)
    J = jac(x)
    assert len(calls) == 3  # f(x) for the output's size, one batched sweep, one sweep checking the given pattern
    jac(x + 1.0)
    assert len(calls) == 4  # (the pattern is checked once per shape)
    np.testing.assert_allclose(J.toarray(), dense_jacobian(tridiagonal, x), atol=1e-12)
    H = ad.sparse_hessian(HESSIANS["tridiagonal"], sparsity=ad.hessian_sparsity(HESSIANS["tridiagonal"])(x))(x)
    np.testing.assert_allclose(H.toarray(), np.asarray(ad.hessian(HESSIANS["tridiagonal"])(x)), atol=1e-12)


def test_two_dimensional_input_is_flattened_in_c_order():
    f = lambda x: anp.sin(x.T) * 2.0
    x = np.arange(6.0).reshape(2, 3)
    J = ad.sparse_jacfwd(f)(x)
    np.testing.assert_allclose(J.toarray(), np.asarray(ad.jacfwd(f)(x)).reshape(6, 6), atol=1e-12)


def test_float32_stays_float32():
    f = lambda x: anp.sin(x[1:]) * x[:-1]
    for jac in (ad.sparse_jacfwd(f), ad.sparse_jacrev(f)):
        assert jac(np.ones(8, np.float32)).dtype == np.float32


# ---- bad input ---------------------------------------------------------------------------------------

def test_sparsity_of_the_wrong_shape_names_both_shapes():
    x = np.ones(5)
    with pytest.raises(ValueError, match=r"shape \(5, 4\).*\(5, 5\)"):
        ad.sparse_jacfwd(tridiagonal, sparsity=sp.eye_array(5, 4))(x)
    with pytest.raises(ValueError, match=r"shape \(4, 5\).*\(5, 5\)"):
        ad.sparse_jacfwd(tridiagonal, sparsity=sp.eye_array(4, 5))(x)
    with pytest.raises(ValueError, match=r"shape \(4, 5\).*\(5, 5\)"):
        ad.sparse_jacrev(tridiagonal, sparsity=sp.eye_array(4, 5))(x)
    with pytest.raises(ValueError, match=r"shape \(4, 4\).*\(5, 5\)"):
        ad.sparse_hessian(HESSIANS["tridiagonal"], sparsity=sp.eye_array(4))(x)


def test_a_coloring_that_is_not_valid_is_refused():
    x = np.ones(6)
    with pytest.raises(ValueError, match="share row"):
        ad.sparse_jacfwd(tridiagonal, coloring=np.zeros(6, np.int64))(x)
    with pytest.raises(ValueError, match="6 columns"):
        ad.sparse_jacfwd(tridiagonal, coloring=np.zeros(5, np.int64))(x)
    with pytest.raises(ValueError, match="not a star coloring"):
        ad.sparse_hessian(HESSIANS["tridiagonal"], coloring=np.array([0, 1, 0, 1, 0, 1]))(x)
    with pytest.raises(ValueError, match="mode"):
        ad.sparse_jacobian(tridiagonal, mode="sideways")


def test_dense_pattern_is_computed_with_a_note():
    f = lambda x: x * anp.sum(x)
    x = np.arange(1.0, 5.0)
    with pytest.warns(CompressionWarning, match="4 colors for 4 columns"):
        jac = ad.sparse_jacfwd(f)
        J = jac(x)
    assert jac.sweeps == 4 and not jac.compresses
    np.testing.assert_allclose(J.toarray(), dense_jacobian(f, x), atol=1e-12)


def test_pattern_follows_the_branch_taken_at_preparation():
    # documented: the pattern (and so the compressed result) is the branch's that x selected when preparing
    f = lambda x: x * x[0] if x[0] > 0 else x * 2.0
    jac = ad.sparse_jacfwd(f)
    J = jac(np.array([1.0, 2.0, 3.0]))
    assert J.toarray()[:, 0].all()
    jac_other = ad.sparse_jacfwd(f).prepare(np.array([-1.0, 2.0, 3.0]))
    assert jac_other.sparsity.nnz == 3
    np.testing.assert_allclose(jac_other(np.array([-1.0, 2.0, 3.0])).toarray(), 2.0 * np.eye(3))


# ---- advice: what compression would buy ---------------------------------------------------------------

def test_color_advice_recommends_the_fewest_sweeps():
    from admodes.sparse import color_advice
    dense_row = lambda x: anp.concatenate([anp.sum(x, keepdims=True), x[1:] ** 2])
    advice = color_advice(dense_row, np.ones(50))
    assert (advice.forward.count, advice.reverse.count, advice.recommended) == (50, 2, "compressed reverse")
    assert advice.lines()[0] == "Jacobian pattern: 99 nonzeros of 50 x 50 (4.0%)"
    assert advice.lines()[2] == "use sparse_jacrev: 2 reverse sweeps instead of 50"
    assert color_advice(lambda x: anp.sum(x * x), np.ones(5)).recommended == "jacrev"  # m = 1: one sweep anyway
    assert color_advice(tridiagonal, np.ones(40)).recommended == "compressed forward"
