"""Linear algebra (admodes/ops/linalg.py): closed-form derivatives, NumPy's values and conventions,
the documented choices (norm at 0, symmetric part, eigenvector signs), float32 and clear errors.

The rule tests (tests/ops/test_rules.py) check every primitive against finite differences and the
adjoint identity; here the rules are checked against the textbook formulas, through `jvp_of`/`vjp_of`
and through both engines.
"""

import numpy as np
import pytest

import admodes as ad
import admodes.numpy as anp
from admodes.ops import linalg, products
from admodes.ops.core import REGISTRY, jvp_of, vjp_of

RNG = np.random.default_rng(1234)
A = RNG.standard_normal((4, 4)) + 4 * np.eye(4)
DA = RNG.standard_normal((4, 4))
B = RNG.standard_normal((4, 4))
SPD = B @ B.T + 4 * np.eye(4)
SYM = (B + B.T) / 2


def jvp(prim, args, tangents, **params):
    return jvp_of(prim, tangents, prim(*args, **params), args, params)


def vjp(prim, args, g, **params):
    needed = tuple(True for _ in args)
    return vjp_of(prim, g, prim(*args, **params), args, params, needed, tuple(np.shape(a) for a in args))


# ---- values: NumPy's, including 1-D promotion, broadcasting and einsum's forms -----------------------

@pytest.mark.parametrize("a_shape, b_shape", [((3,), (3,)), ((3,), (2, 3, 4)), ((2, 1, 4, 3), (3,)),
                                              ((2, 1, 4, 3), (5, 3, 2)), ((3, 3), (3, 3))])
def test_matmul_and_dot_match_numpy(a_shape, b_shape):
    a, b = RNG.standard_normal(a_shape), RNG.standard_normal(b_shape)
    np.testing.assert_allclose(products.matmul(a, b), np.matmul(a, b))
    np.testing.assert_allclose(products.dot(a, b), np.dot(a, b))


@pytest.mark.parametrize("subscripts, shapes", [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("ii", [(3, 3)]), ("ij,kj", [(2, 3), (4, 3)]),
    ("...ij,...jk->...ik", [(2, 1, 2, 3), (4, 3, 2)]), ("ab,bC", [(2, 3), (3, 4)]), ("i,i", [(3,), (3,)]),
])
def test_einsum_matches_numpy_and_reads_its_subscripts_as_numpy_does(subscripts, shapes):
    operands = [RNG.standard_normal(s) for s in shapes]
    expected = np.einsum(subscripts, *operands)
    np.testing.assert_allclose(anp.einsum(subscripts, *operands), expected)
    _, out, _ = products.einsum_labels(subscripts, shapes)
    assert len(out) == np.ndim(expected)


def test_einsum_gradient_of_a_chain_and_of_a_diagonal():
    a, b = RNG.standard_normal((2, 3)), RNG.standard_normal((3, 4))
    ga, gb = vjp(products._einsum, (a, b), np.ones((2, 4)), subscripts="ij,jk->ik")
    np.testing.assert_allclose(ga, np.ones((2, 4)) @ b.T)
    np.testing.assert_allclose(gb, a.T @ np.ones((2, 4)))
    (gd,) = vjp(products._einsum, (A,), np.arange(4.0), subscripts="ii->i")  # the diagonal: its adjoint is diag(g)
    np.testing.assert_array_equal(gd, np.diag(np.arange(4.0)))


def test_tensordot_outer_inner_trace_match_numpy():
    a, b = RNG.standard_normal((2, 3, 4)), RNG.standard_normal((4, 3, 5))
    np.testing.assert_allclose(products.tensordot(a, b, axes=([1, 2], [1, 0])), np.tensordot(a, b, ([1, 2], [1, 0])))
    np.testing.assert_allclose(products.outer(a, b), np.outer(a, b))
    np.testing.assert_allclose(products.inner(a, b[:, :, :4]), np.inner(a, b[:, :, :4]))
    np.testing.assert_allclose(products.trace(a, 1, 2, 0), np.trace(a, 1, 2, 0))


def test_trace_cotangent_is_g_on_the_offset_diagonal():
    (ct,) = vjp(products.trace, (np.zeros((3, 4)),), np.float64(2.0), offset=1)
    np.testing.assert_array_equal(ct, 2.0 * np.eye(3, 4, k=1))


# ---- inverses, solves and determinants: the cookbook's formulas ------------------------------------

def test_inverse_derivative_and_its_vjp_reads_only_the_output():
    ainv = np.linalg.inv(A)
    np.testing.assert_allclose(jvp(linalg.inv, (A,), (DA,)), -ainv @ DA @ ainv)
    np.testing.assert_allclose(vjp(linalg.inv, (A,), B)[0], -ainv.T @ B @ ainv.T)
    assert REGISTRY["linalg.inv"].vjp_reads == ((frozenset({-1}), frozenset()),)  # ans, not a


@pytest.mark.parametrize("b_shape", [(4,), (4, 2), (3, 4, 2)])
def test_solve_derivatives(b_shape):
    b, db = RNG.standard_normal(b_shape), RNG.standard_normal(b_shape)
    x = np.linalg.solve(A, b)
    column = x.ndim == 1
    xm = x[:, None] if column else x
    expected = np.linalg.solve(A, (db[:, None] if column else db) - DA @ xm)
    np.testing.assert_allclose(jvp(linalg.solve, (A, b), (DA, db)), expected[:, 0] if column else expected)
    g = RNG.standard_normal(x.shape)
    ga, gb = vjp(linalg.solve, (A, b), g)
    gbm = np.linalg.solve(A.T, g[:, None] if column else g)
    np.testing.assert_allclose(gb, gbm[:, 0] if column else gbm)
    np.testing.assert_allclose(ga, np.sum(-gbm @ np.swapaxes(xm, -1, -2), axis=tuple(range(gbm.ndim - 2))))


def test_batched_solve_with_a_vector_is_solved_per_matrix():
    a = np.stack([A, SPD])
    b = RNG.standard_normal(4)
    ga, gb = vjp(linalg.solve, (a, b), np.ones((2, 4)))
    assert ga.shape == (2, 4, 4) and gb.shape == (4,)
    np.testing.assert_allclose(gb, np.linalg.solve(A.T, np.ones(4)) + np.linalg.solve(SPD.T, np.ones(4)))


def test_det_derivative_is_det_times_trace_of_inverse_times_da():
    det = np.linalg.det(A)
    np.testing.assert_allclose(jvp(linalg.det, (A,), (DA,)), det * np.trace(np.linalg.solve(A, DA)))
    np.testing.assert_allclose(vjp(linalg.det, (A,), np.float64(1.0))[0], det * np.linalg.inv(A).T)


def test_slogdet_gradient_of_logabsdet_is_inverse_transpose_and_sign_has_none():
    a = A * np.array([[-1.0], [1.0], [1.0], [1.0]])  # a negative determinant
    sign, logabsdet = anp.linalg.slogdet(a)
    assert float(sign) == -1.0
    np.testing.assert_allclose(logabsdet, np.log(abs(np.linalg.det(a))))
    for mode in ("reverse", "forward"):
        np.testing.assert_allclose(ad.grad(lambda m: anp.linalg.slogdet(m).logabsdet, mode=mode)(a),
                                   np.linalg.inv(a).T)
    assert REGISTRY["linalg.slogdet_sign"].zero_derivative


def test_second_derivative_of_logdet_through_both_engines():
    # d^2 log det(A) [V, .] = -A^-T V^T A^-T
    ainv = np.linalg.inv(A)
    expected = -(ainv @ DA @ ainv).T
    np.testing.assert_allclose(ad.hvp(lambda m: anp.linalg.slogdet(m)[1], A, DA), expected)
    rr = ad.grad(lambda m: anp.sum(ad.grad(lambda n: anp.linalg.slogdet(n)[1])(m) * DA))(A)
    np.testing.assert_allclose(rr, expected)


# ---- norms --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("ord, axis, keepdims", [(None, None, False), (2, 1, False), (1, 0, True),
                                                 (np.inf, -1, False), (-np.inf, 1, True), ("fro", (0, 1), False),
                                                 (None, (1, 0), True)])
def test_norm_values_and_gradients(ord, axis, keepdims):
    x = RNG.standard_normal((3, 4))
    np.testing.assert_allclose(linalg.norm(x, ord, axis, keepdims), np.linalg.norm(x, ord, axis, keepdims))
    g = ad.grad(lambda v: anp.sum(anp.linalg.norm(v, ord, axis, keepdims)))(x)
    if ord in (None, 2, "fro"):
        expected = x / np.linalg.norm(x, None if axis is None else 2 if np.isscalar(axis) else "fro", axis, True)
    elif ord == 1:
        expected = np.sign(x)
    else:
        pick = np.max if ord == np.inf else np.min
        expected = np.sign(x) * (np.abs(x) == pick(np.abs(x), axis=axis, keepdims=True))
    np.testing.assert_allclose(g, expected)


def test_norm_derivative_at_zero_is_zero_in_every_mode():
    zero = np.zeros(3)
    assert jvp(linalg.norm, (zero,), (np.ones(3),)) == 0.0
    np.testing.assert_array_equal(vjp(linalg.norm, (zero,), np.float64(1.0))[0], zero)
    for mode in ("reverse", "forward"):
        np.testing.assert_array_equal(ad.grad(anp.linalg.norm, mode=mode)(zero), zero)
    rows = np.array([[0.0, 0.0], [3.0, 4.0]])
    np.testing.assert_allclose(ad.grad(lambda m: anp.sum(anp.linalg.norm(m, axis=1)))(rows),
                               [[0.0, 0.0], [0.6, 0.8]])


def test_norm_tie_shares_the_derivative_equally():
    np.testing.assert_allclose(ad.grad(lambda v: anp.linalg.norm(v, np.inf))(np.array([-2.0, 2.0, 1.0])),
                               [-0.5, 0.5, 0.0])


@pytest.mark.parametrize("x, ord, axis", [(np.ones(3), 3, None), (np.ones((2, 2)), "nuc", None),
                                          (np.ones((2, 2, 2)), 1, None)])
def test_unsupported_norm_raises_naming_the_op(x, ord, axis):
    with pytest.raises(ValueError, match=r"admodes\.linalg\.norm.*(not supported|needs a 1-D or 2-D)"):
        linalg.norm(x, ord, axis)


# ---- decompositions of symmetric matrices ------------------------------------------------------------

def test_cholesky_is_numpys_on_symmetric_input_and_reads_the_symmetric_part():
    np.testing.assert_allclose(linalg.cholesky(SPD), np.linalg.cholesky(SPD))
    np.testing.assert_allclose(linalg.cholesky(SPD, upper=True), np.linalg.cholesky(SPD).T)
    skew = B - B.T
    np.testing.assert_allclose(linalg.cholesky(SPD + skew), np.linalg.cholesky(SPD))


def test_gradient_of_logdet_by_cholesky_is_the_inverse():
    # log det S = 2 sum log diag(L): its gradient is S^-1 (symmetric), on the symmetric part of the input
    logdet = lambda s: 2.0 * anp.sum(anp.log(anp.einsum("ii->i", anp.linalg.cholesky(s))))
    for mode in ("reverse", "forward"):
        np.testing.assert_allclose(ad.grad(logdet, mode=mode)(SPD), np.linalg.inv(SPD), rtol=1e-10)


def test_cholesky_tangent_keeps_l_lower_and_satisfies_the_product_rule():
    l = np.linalg.cholesky(SPD)
    dl = jvp(linalg.cholesky, (SPD,), (DA,))
    np.testing.assert_array_equal(np.triu(dl, 1), 0.0)
    np.testing.assert_allclose(dl @ l.T + l @ dl.T, (DA + DA.T) / 2, atol=1e-12)  # d(L L^T) = sym(dA)


def test_eigh_values_vectors_and_sign_convention():
    w, v = anp.linalg.eigh(SYM + (B - B.T))  # the antisymmetric part is ignored
    w_np, v_np = np.linalg.eigh(SYM)
    np.testing.assert_allclose(w, w_np)
    np.testing.assert_allclose(np.abs(v), np.abs(v_np), atol=1e-12)
    largest = v[np.argmax(np.abs(v), axis=0), np.arange(4)]
    assert np.all(largest > 0)
    np.testing.assert_allclose((v * w) @ v.T, SYM, atol=1e-12)


def test_eigenvalue_derivative_is_v_i_transpose_da_v_i():
    w, v = np.linalg.eigh(SYM)
    packed = jvp(linalg._eigh, (SYM,), (DA,))
    np.testing.assert_allclose(packed[0], np.einsum("ji,jk,ki->i", v, (DA + DA.T) / 2, v))
    for mode in ("reverse", "forward"):  # d w_i / dA = v_i v_i^T
        np.testing.assert_allclose(ad.grad(lambda m: anp.linalg.eigh(m)[0] @ np.eye(4)[2], mode=mode)(SYM),
                                   np.outer(v[:, 2], v[:, 2]), atol=1e-12)


def test_eigenvector_tangent_keeps_them_orthonormal():
    _, v = anp.linalg.eigh(SYM)
    dv = jvp(linalg._eigh, (SYM,), (DA,))[1:]
    skew = v.T @ dv
    np.testing.assert_allclose(skew, -skew.T, atol=1e-12)  # d(V^T V) = 0


def test_decompositions_keep_only_the_output_for_the_backward_sweep():
    for name in ("linalg.cholesky", "linalg.eigh"):
        assert REGISTRY[name].vjp_reads == ((frozenset({-1}), frozenset()),), name


# ---- float32 and publication ---------------------------------------------------------------------------

@pytest.mark.parametrize("f", [
    lambda m: anp.linalg.det(m), lambda m: anp.linalg.slogdet(m)[1], lambda m: anp.sum(anp.linalg.inv(m)),
    lambda m: anp.linalg.norm(m), lambda m: anp.sum(anp.linalg.cholesky(m @ m.T)),
    lambda m: anp.sum(anp.linalg.eigh(m)[0] ** 3), lambda m: anp.einsum("ij,jk->", m, m),
    lambda m: anp.sum(anp.linalg.solve(m, anp.sum(m, axis=0))), lambda m: anp.trace(m @ m),
])
def test_float32_in_float32_gradient_out(f):
    a = A.astype(np.float32)
    for mode in ("reverse", "forward"):
        g = ad.grad(f, mode=mode)(a)
        assert g.dtype == np.float32


def test_published_names_and_numpy_dispatch():
    for name in ("inv", "solve", "det", "slogdet", "norm", "cholesky", "eigh"):
        assert getattr(anp.linalg, name) is not None
    assert anp.einsum is products.einsum and anp.matmul is products.matmul and anp.trace is products.trace
    out, tangent = ad.jvp(lambda m: np.linalg.det(m), (A,), (DA,))  # numpy's own function on a Dual
    np.testing.assert_allclose(tangent, np.linalg.det(A) * np.trace(np.linalg.solve(A, DA)))


@pytest.mark.parametrize("f, expected", [
    (lambda m: anp.sum(anp.matmul(m, [[1.0, 2.0], [3.0, 4.0]])), [[3.0, 7.0], [3.0, 7.0]]),
    (lambda m: anp.sum(anp.dot([1.0, 2.0], m)), [[1.0, 1.0], [2.0, 2.0]]),
    (lambda m: anp.sum(anp.tensordot([[1.0, 2.0], [3.0, 4.0]], m, 1)), [[4.0, 4.0], [6.0, 6.0]]),
    (lambda m: anp.einsum("ij,j->", m, [1.0, 2.0]), [[1.0, 2.0], [1.0, 2.0]]),
    (lambda m: anp.sum(anp.linalg.solve(m, [2.0, 4.0])), [[-2.0, -4.0], [-2.0, -4.0]]),
])
def test_a_constant_operand_may_be_a_list(f, expected):
    for mode in ("reverse", "forward"):
        np.testing.assert_allclose(ad.grad(f, mode=mode)(np.eye(2)), expected)


# ---- errors that name the op and the shapes ------------------------------------------------------------

def test_matmul_shape_mismatch_names_the_op_and_the_shapes():
    with pytest.raises(ValueError, match=r"admodes\.matmul\(x1: shape \(2, 3\).*x2: shape \(4, 2\)"):
        products.matmul(np.ones((2, 3)), np.ones((4, 2)))


def test_solve_shape_mismatch_and_singular_matrix_name_the_op():
    with pytest.raises(ValueError, match=r"admodes\.linalg\.solve\(a: shape \(3, 3\).*b: shape \(4,\)"):
        linalg.solve(np.eye(3), np.ones(4))
    # NumPy's LinAlgError is a ValueError: either is a fine type, what matters is the message
    with pytest.raises(ValueError, match=r"admodes\.linalg\.solve.*Singular matrix"):
        linalg.solve(np.ones((3, 3)), np.ones(3))
    with pytest.raises(ValueError, match=r"admodes\.linalg\.cholesky.*not positive definite"):
        linalg.cholesky(-np.eye(2))


def test_einsum_interleaved_form_equals_numpys_and_differentiates():
    a, b = np.arange(6.0).reshape(2, 3), np.arange(12.0).reshape(3, 4) / 7.0
    np.testing.assert_allclose(anp.einsum(a, [0, 1], b, [1, 2], [0, 2]), np.einsum(a, [0, 1], b, [1, 2], [0, 2]))
    e = Ellipsis
    np.testing.assert_allclose(anp.einsum(a, [e, 1], a, [e, 1]), np.einsum(a, [e, 1], a, [e, 1]))
    grad = ad.grad(lambda x: anp.einsum(x, [0, 1], b, [1, 2], []))(a)
    np.testing.assert_allclose(grad, np.broadcast_to(b.sum(1), (2, 3)))
    with pytest.raises(TypeError, match="sublist holds integers"):
        anp.einsum(a, [0, 99])
