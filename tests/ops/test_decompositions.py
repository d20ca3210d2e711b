"""svd, svdvals, qr, pinv, lstsq, matrix_rank, cond and the singular-value norms (admodes/ops/decompositions.py,
linalg_functions.py), and the index tricks and sequence functions added beside them (r_, c_, where(cond),
interp's period, gradient's coordinates): each against NumPy's values, and forward and reverse mode against
finite differences in float64, float32 kept, and vmap against a loop. The primitives' own rules are in the
generated op tests (cases_decompositions.py).

The singular vectors and Q are compared where they are unique: NumPy leaves their signs to LAPACK, admodes
fixes them (largest component of each left singular vector positive, R's diagonal nonnegative), so the
comparisons are of U diag(s) V^T, |U|, sign-invariant functions, or NumPy's factors with admodes' signs.
"""

import warnings

import numpy as np
import pytest

import admodes as ad
import admodes.numpy as anp

from .test_numpy_coverage import check_composed, keeps_float32, numeric_jacobian

rng = np.random.default_rng(15)
la, npla = anp.linalg, np.linalg


def _with_singular_values(m, n, s):
    u, _ = np.linalg.qr(rng.standard_normal((m, len(s))))
    v, _ = np.linalg.qr(rng.standard_normal((n, len(s))))
    return (u * s) @ v.T


TALL = _with_singular_values(5, 3, [3.0, 2.0, 0.7])
WIDE = _with_singular_values(3, 4, [2.5, 1.5, 0.5])
SQUARE = _with_singular_values(3, 3, [4.0, 2.0, 1.0])
L, R = rng.standard_normal((4, 2)), rng.standard_normal((2, 3))  # L @ R: rank 2 of 4 x 3
B1, B2 = rng.standard_normal(5), rng.standard_normal((5, 2))
STACK = np.stack([TALL, 2.0 * TALL[::-1]])


def _positive_qr(a):
    """NumPy's reduced QR with R's diagonal made nonnegative (admodes' convention)."""
    q, r = np.linalg.qr(a)
    signs = np.where(np.diagonal(r, axis1=-2, axis2=-1) < 0, -1.0, 1.0)
    return q * signs[..., None, :], r * signs[..., :, None]


def _reconstructed(svd):
    def f(a):
        u, s, vh = svd(a, full_matrices=False)
        return (u * s[..., None, :]) @ vh
    return f


def _vectors_weighted(svd):
    """A function of the singular vectors that no sign flip changes: sum_i s_i (u_i u_i^T + v_i v_i^T)-like."""
    def f(a):
        u, s, vh = svd(a, full_matrices=False)
        return (u ** 2) @ s + ((vh ** 2).T @ s)[:1]
    return f


# name: (the admodes call, the NumPy reference, arguments); every argument is differentiated.
DECOMPOSITIONS = {
    "svdvals_tall": (la.svdvals, npla.svdvals, (TALL,)),
    "svdvals_stack": (la.svdvals, npla.svdvals, (STACK,)),
    "svd_values": (lambda a: la.svd(a, compute_uv=False), lambda a: npla.svd(a, compute_uv=False), (WIDE,)),
    "svd_reconstructed_tall": (_reconstructed(la.svd), _reconstructed(npla.svd), (TALL,)),
    "svd_reconstructed_wide": (_reconstructed(la.svd), _reconstructed(npla.svd), (WIDE,)),
    "svd_abs_u": (lambda a: abs(la.svd(a)[0]), lambda a: abs(npla.svd(a)[0]), (SQUARE,)),
    "svd_abs_vh_wide": (lambda a: abs(la.svd(a, full_matrices=False)[2]),
                        lambda a: abs(npla.svd(a, full_matrices=False)[2]), (WIDE,)),
    "svd_sign_invariant_tall": (_vectors_weighted(la.svd), _vectors_weighted(npla.svd), (TALL,)),
    "svd_sign_invariant_wide": (_vectors_weighted(la.svd), _vectors_weighted(npla.svd), (WIDE,)),
    "svd_hermitian": (lambda a: la.svd(a + a.T, hermitian=True, compute_uv=False),
                      lambda a: npla.svd(a + a.T, hermitian=True, compute_uv=False), (SQUARE,)),
    "qr_q": (lambda a: la.qr(a)[0], lambda a: _positive_qr(a)[0], (TALL,)),
    "qr_r": (lambda a: la.qr(a, mode="r"), lambda a: _positive_qr(a)[1], (TALL,)),
    "qr_square_stack": (lambda a: la.qr(a).R, lambda a: _positive_qr(a)[1], (np.stack([SQUARE, SQUARE.T]),)),
    "qr_wide_q": (lambda a: la.qr(a)[0], lambda a: _positive_qr(a)[0], (WIDE,)),
    "qr_wide_r": (lambda a: la.qr(a, "complete")[1], lambda a: _positive_qr(a)[1], (WIDE,)),
    "pinv_tall": (la.pinv, npla.pinv, (TALL,)),
    "pinv_wide_stack": (la.pinv, npla.pinv, (np.stack([WIDE, WIDE[::-1]]),)),
    "pinv_rank_deficient": (lambda l, r: la.pinv(l @ r), lambda l, r: npla.pinv(l @ r), (L, R)),
    "pinv_hermitian": (lambda a: la.pinv(a @ a.T, hermitian=True), lambda a: npla.pinv(a @ a.T, hermitian=True),
                       (SQUARE,)),
    "lstsq_x": (lambda a, b: la.lstsq(a, b)[0], lambda a, b: npla.lstsq(a, b)[0], (TALL, B1)),
    "lstsq_x_columns": (lambda a, b: la.lstsq(a, b)[0], lambda a, b: npla.lstsq(a, b)[0], (TALL, B2)),
    "lstsq_residuals": (lambda a, b: la.lstsq(a, b)[1], lambda a, b: npla.lstsq(a, b)[1], (TALL, B2)),
    "lstsq_residuals_vector": (lambda a, b: la.lstsq(a, b)[1], lambda a, b: npla.lstsq(a, b)[1], (TALL, B1)),
    "lstsq_singular_values": (lambda a, b: la.lstsq(a, b)[3], lambda a, b: npla.lstsq(a, b)[3], (TALL, B1)),
    "lstsq_wide_least_norm": (lambda a, b: la.lstsq(a, b)[0], lambda a, b: npla.lstsq(a, b)[0], (WIDE, B1[:3])),
    "lstsq_rank_deficient": (lambda l, r, b: la.lstsq(l @ r, b)[0], lambda l, r, b: npla.lstsq(l @ r, b)[0],
                             (L, R, B1[:4])),
    "cond_none": (la.cond, npla.cond, (SQUARE,)),
    "cond_2_tall": (lambda a: la.cond(a, 2), lambda a: npla.cond(a, 2), (TALL,)),
    "cond_minus_2": (lambda a: la.cond(a, -2), lambda a: npla.cond(a, -2), (np.stack([SQUARE, SQUARE.T]),)),
    "cond_inf": (lambda a: la.cond(a, np.inf), lambda a: npla.cond(a, np.inf), (SQUARE,)),
    "norm_2": (lambda a: la.norm(a, 2), lambda a: npla.norm(a, 2), (TALL,)),
    "norm_minus_2": (lambda a: la.norm(a, -2), lambda a: npla.norm(a, -2), (WIDE,)),
    "norm_nuc": (lambda a: la.norm(a, "nuc"), lambda a: npla.norm(a, "nuc"), (SQUARE,)),
    "norm_nuc_axes": (lambda a: la.norm(a, "nuc", axis=(2, 0), keepdims=True),
                      lambda a: npla.norm(a, "nuc", axis=(2, 0), keepdims=True),
                      (np.stack([TALL[:3].T, WIDE[:, :3].T]),)),
    "matrix_norm_2": (lambda a: la.matrix_norm(a, ord=2), lambda a: npla.matrix_norm(a, ord=2), (STACK,)),
}

XP = np.array([3.5, -0.7, 2.2, 0.4, 5.9])  # angles in no order, some outside one period of 2 pi
AT = np.array([-2.0, 0.1, 1.3, 3.0, 4.6, 7.5])
F = rng.standard_normal((4, 5))
ROWS, COLUMNS = np.cumsum(rng.uniform(0.3, 1.0, 4)), np.cumsum(rng.uniform(0.3, 1.0, 5))
Y4 = rng.standard_normal(4)

TRICKS = {
    "r_": (lambda a, b: anp.r_[a, 0.5, 1:3, b], lambda a, b: np.r_[a, 0.5, 1:3, b], (Y4, F[0])),
    "r_linspace": (lambda a: anp.r_[a, -1:1:3j], lambda a: np.r_[a, -1:1:3j], (Y4,)),
    "r_directive": (lambda a, b: anp.r_["0,2,0", a, b], lambda a, b: np.r_["0,2,0", a, b], (Y4, Y4[::-1])),
    "r_axis": (lambda a: anp.r_["-1", a, a[:, :2]], lambda a: np.r_["-1", a, a[:, :2]], (F,)),
    "c_": (lambda a, b: anp.c_[a, b, 0:4], lambda a, b: np.c_[a, b, 0:4], (Y4, F[:, 1])),
    "c_matrices": (lambda a: anp.c_[a, 2.0 * a], lambda a: np.c_[a, 2.0 * a], (F,)),
    "interp_period": (lambda x, xp, fp: anp.interp(x, xp, fp, period=2 * np.pi),
                      lambda x, xp, fp: np.interp(x, xp, fp, period=2 * np.pi), (AT, XP, np.sin(XP) + XP)),
    "gradient_coordinates": (lambda f: anp.gradient(f, ROWS, COLUMNS), lambda f: np.gradient(f, ROWS, COLUMNS), (F,)),
    "gradient_coordinates_2": (lambda f: anp.gradient(f, COLUMNS, axis=1, edge_order=2),
                               lambda f: np.gradient(f, COLUMNS, axis=1, edge_order=2), (F,)),
    "gradient_coordinates_and_number": (lambda f: anp.gradient(f, 0.5, COLUMNS, edge_order=2)[1],
                                        lambda f: np.gradient(f, 0.5, COLUMNS, edge_order=2)[1], (F,)),
}
TABLE = {**DECOMPOSITIONS, **TRICKS}
UNDER_VMAP = ["svdvals_tall", "svd_reconstructed_wide", "svd_sign_invariant_tall", "qr_q", "qr_wide_r",
              "pinv_tall", "cond_none", "norm_nuc", "r_", "c_", "interp_period", "gradient_coordinates"]


def _flat(out):
    return np.concatenate([np.ravel(o) for o in out]) if isinstance(out, tuple) else out


@pytest.mark.parametrize("name", sorted(TABLE))
def test_values_equal_numpys(name):
    f, reference, args = TABLE[name]
    np.testing.assert_allclose(_flat(f(*args)), _flat(reference(*args)), rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("name", sorted(TABLE))
def test_derivatives_against_finite_differences(name):
    f, _, args = TABLE[name]
    check_composed(lambda *a: _flat(f(*a)), *args, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", UNDER_VMAP)
def test_under_vmap_equal_a_loop(name):
    f, _, args = TABLE[name]
    batch, rest = np.stack([args[0], 1.5 * args[0] + 0.1]), args[1:]
    np.testing.assert_allclose(_flat(ad.vmap(lambda x: _flat(f(x, *rest)))(batch)),
                               _flat(np.stack([_flat(f(x, *rest)) for x in batch])), rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("name", sorted(set(TABLE) - {"r_", "r_linspace", "c_"}))  # (NumPy's ranges are float64)
def test_keep_float32(name):
    f, _, args = TABLE[name]
    keeps_float32(lambda *a: _flat(f(*a)), *args)


SECOND_ORDER = {  # the rules are written with admodes ops: they differentiate again
    "svd_vectors_wide": (lambda a: anp.sum(_vectors_weighted(la.svd)(a) ** 2), WIDE),
    "qr_tall": (lambda a: anp.sum(la.qr(a)[0] ** 3) + anp.sum(la.qr(a)[1] ** 3), TALL),
    "pinv_rank_deficient": (lambda l: anp.sum(la.pinv(l @ R) ** 3), L),
    "cond_tall": (la.cond, TALL),
}


@pytest.mark.parametrize("name", sorted(SECOND_ORDER))
def test_hessians_against_finite_differences_of_the_gradient(name):
    f, a = SECOND_ORDER[name]
    expected = numeric_jacobian(ad.grad(f), (a,), 0)
    np.testing.assert_allclose(ad.hessian(f)(a), expected, rtol=1e-6, atol=1e-6 * np.abs(expected).max())


def test_numpy_calls_on_traced_values_reach_admodes():
    for call, a in ((lambda a: np.linalg.svd(a, full_matrices=False)[1], TALL), (lambda a: np.linalg.qr(a)[1], TALL),
                    (lambda a: np.linalg.norm(a, "nuc"), SQUARE), (np.linalg.cond, SQUARE),
                    (lambda a: np.linalg.lstsq(a, B1)[0], TALL), (np.linalg.pinv, WIDE)):
        expected = numeric_jacobian(lambda x: np.abs(call(x)), (a,), 0)
        np.testing.assert_allclose(ad.jacrev(lambda x: abs(call(x)))(a), expected, rtol=1e-5, atol=1e-7)


def test_lstsq_returns_numpys_rank_and_types():
    x, residuals, rank, sv = la.lstsq(L @ R, B1[:4])
    assert int(rank) == npla.lstsq(L @ R, B1[:4])[2] == 2 and residuals.shape == (0,)
    assert [type(v) for v in (x, residuals, sv)] == [np.ndarray] * 3


def test_lstsq_under_vmap_says_what_to_do():
    with pytest.raises(TypeError, match=r"linalg\.lstsq: .*under vmap use pinv\(a\) @ b"):
        ad.vmap(lambda a: la.lstsq(a, B1)[0])(STACK)
    np.testing.assert_allclose(ad.vmap(lambda a: la.pinv(a) @ B1)(STACK), [npla.lstsq(a, B1)[0] for a in STACK])


def test_pinv_at_a_rank_deficient_matrix_is_self_adjoint_in_every_direction():
    # Golub-Pereyra's formula is the derivative along the matrices of the same rank; in any direction its
    # JVP and VJP are each other's adjoints, so forward and reverse mode agree.
    a = L @ R
    v, u = rng.standard_normal(a.shape), rng.standard_normal(a.shape[::-1])
    jv = ad.jvp(la.pinv, (a,), (v,))[1]
    (ju,) = ad.vjp(la.pinv, a)[1](u)
    assert np.sum(u * jv) == pytest.approx(np.sum(ju * v), rel=1e-12)


def test_matrix_rank_on_values():
    assert int(la.matrix_rank(L @ R)) == 2
    np.testing.assert_array_equal(np.linalg.matrix_rank(ad.tensor(STACK)), [3, 3])
    grad = ad.grad(lambda a: anp.sum(a) * la.matrix_rank(a))(L @ R)  # the rank is a constant factor
    np.testing.assert_allclose(grad, np.full((4, 3), 2.0))


def test_svd_vectors_at_repeated_singular_values_warn_and_are_not_finite():
    repeated = np.diag([2.0, 2.0, 1.0])
    with pytest.warns(RuntimeWarning, match="singular values 0 and 1 are equal"):
        grad = ad.grad(lambda a: la.svd(a)[0][1, 1])(repeated)  # U's columns 0 and 1 may rotate
    assert not np.isfinite(grad).all()
    with warnings.catch_warnings():  # the singular values alone: no gap needed, no warning
        warnings.simplefilter("error")
        np.testing.assert_allclose(ad.grad(lambda a: anp.sum(la.svdvals(a)))(repeated), np.eye(3))
        np.testing.assert_allclose(ad.jacfwd(la.svdvals)(repeated)[2], np.diag([0.0, 0.0, 1.0]))


def test_svd_vectors_of_a_tall_matrix_at_a_zero_singular_value_warn():
    a = np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 0.0]])
    with pytest.warns(RuntimeWarning, match="singular value 1 is 0"):
        grad = ad.grad(lambda x: anp.sum(la.svd(x, full_matrices=False)[0][:, 1] * np.array([0.3, 0.5, 0.7])))(a)
    assert not np.isfinite(grad).all()


def test_where_with_the_condition_alone_gives_indices():
    x = np.array([0.0, 2.0, -1.0, 0.0])
    assert np.where(ad.tensor(x))[0].tolist() == [1, 2]
    np.testing.assert_array_equal(ad.grad(lambda v: anp.sum(v[anp.where(v)] ** 2))(x), 2 * x)
    np.testing.assert_array_equal(ad.jacfwd(lambda v: v[np.where(v > 0)])(x), [[0.0, 1.0, 0.0, 0.0]])
    np.testing.assert_array_equal(ad.grad(lambda v: anp.sum(np.where(v > 0, v, 0.0)))(x), [0.0, 1.0, 0.0, 0.0])


def test_r_and_c_on_plain_values_are_numpys():
    assert anp.r_[1:4, 7].tolist() == np.r_[1:4, 7].tolist()
    assert anp.c_[np.ones(2), np.zeros(2)].tolist() == np.c_[np.ones(2), np.zeros(2)].tolist()
    v = ad.tensor(np.ones(2, np.float32))
    assert anp.r_[v, 2.0].dtype == np.float32  # a number does not widen a float32 array, as in NumPy


def test_numpys_own_r_on_a_traced_value_points_to_admodes_r():
    with pytest.raises(TypeError, match=r"admodes\.numpy\.r_"):
        ad.grad(lambda x: np.sum(np.r_[x, 1.0]))(np.ones(2))


def test_bad_input_names_the_function_and_the_shape():
    for call, error, text in (
            (lambda: la.svd(np.ones(3)), np.linalg.LinAlgError, r"linalg\.svd: .* shape \(3,\)"),
            (lambda: la.qr(np.ones(3)), np.linalg.LinAlgError, r"linalg\.qr: .* shape \(3,\)"),
            (lambda: la.svdvals(np.ones((2, 2), complex)), TypeError, r"linalg\.svd: complex input"),
            (lambda: la.qr(np.ones((2, 2), complex)), TypeError, r"linalg\.qr: complex input"),
            (lambda: la.pinv(np.ones((2, 2), complex)), TypeError, r"linalg\.pinv: complex input"),
            (lambda: la.qr(TALL, "economic"), ValueError, "unrecognized mode"),
            (lambda: la.lstsq(TALL, B1[:3]), np.linalg.LinAlgError, r"shapes \(5, 3\) and \(3,\)"),
            (lambda: anp.gradient(F, ROWS[:3], COLUMNS), ValueError, "axis 0 must be 1-D of length 4"),
            (lambda: anp.interp(AT, XP, XP, period=0), ValueError, "period must be a nonzero number"),
            (lambda: anp.where(Y4, Y4), ValueError, "both or neither"),
            (lambda: anp.r_["r", ad.tensor(Y4)], NotImplementedError, "matrix directives"),
            (lambda: anp.r_[ad.tensor(Y4), "0"], ValueError, "must be the first entry")):
        with pytest.raises(error, match=text):
            call()


def test_factors_without_a_derivative_are_refused_on_traced_values():
    with pytest.raises(NotImplementedError, match=r"full_matrices=True of a 5x3 matrix.*full_matrices=False"):
        ad.grad(lambda a: anp.sum(la.svd(a)[0]))(TALL)
    with pytest.raises(NotImplementedError, match="mode='complete' of a 5x3 matrix"):
        ad.grad(lambda a: anp.sum(la.qr(a, "complete")[0]))(TALL)
    with pytest.raises(NotImplementedError, match="mode='raw'"):
        ad.grad(lambda a: anp.sum(la.qr(a, "raw")[0]))(TALL)
    assert la.svd(TALL)[0].shape == (5, 5) and la.qr(TALL, "complete")[0].shape == (5, 5)  # plain values: NumPy's
