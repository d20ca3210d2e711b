"""Regression tests of issue 13's op-library defects, each of which failed on the code before its fix.

Each test names the class of defect it belongs to; the siblings found in the same class are tested beside it.
"""

import warnings

import numpy as np
import pytest

import admodes as ad
import admodes.numpy as anp

MODES = ["forward", "reverse"]


def quiet(fn, *args):
    """``fn(*args)`` with NumPy's floating-point warnings silenced (the tests that want one ask for it)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return fn(*args)


# ---- Python arithmetic on a Python number inside a rule (item 7): NumPy's inf and warning, not a crash ----

@pytest.mark.parametrize("zero", [0.0, 0, -0.0])
def test_dividing_by_a_python_zero_gives_numpys_inf_and_warning(zero):
    v = np.array([1.0, -2.0])
    with np.errstate(divide="ignore"):
        expected = np.divide(np.ones(2), zero)  # d(x / z)/dx = 1 / z, signed as NumPy signs it
    with pytest.warns(RuntimeWarning, match="divide by zero"):
        grad = ad.grad(lambda x: anp.sum(x / zero))(v)
    np.testing.assert_array_equal(grad, expected)
    with pytest.warns(RuntimeWarning, match="divide by zero"):
        _, tangent = ad.jvp(lambda x: x / zero, (v,), (np.ones(2),))
    np.testing.assert_array_equal(tangent, expected)


def test_dividing_one_element_by_a_python_zero():
    grad = quiet(ad.grad(lambda x: x[0] / 0.0), np.array([1.0, 2.0]))
    np.testing.assert_array_equal(grad, [np.inf, 0.0])
    _, tangent = quiet(ad.jvp, lambda x: x[0] / 0.0, (np.array([1.0, 2.0]),), (np.array([-1.0, 0.0]),))
    assert tangent == -np.inf


def test_dividing_by_a_python_zero_inside_vmap_and_batched_jacobians():
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    out = quiet(ad.vmap(lambda v: v / 0.0), x)
    np.testing.assert_array_equal(out, np.full((2, 2), np.inf))
    for jacobian in (ad.jacrev, ad.jacfwd):
        jac = quiet(jacobian(lambda v: v / 0.0, batch=True), x[0])
        np.testing.assert_array_equal(np.diag(jac), [np.inf, np.inf])  # (off the diagonal 0 * inf: nan, as in JAX)


def test_dividing_by_a_python_zero_keeps_float32():
    grad = quiet(ad.grad(lambda x: anp.sum(x / 0.0)), np.ones(3, np.float32))
    assert grad.dtype == np.float32


@pytest.mark.parametrize("mode", MODES)
def test_mean_over_an_empty_axis_gives_an_empty_cotangent(mode):
    x = np.zeros((0, 3))
    grad = quiet(ad.grad(lambda a: anp.sum(anp.mean(a, axis=0)), mode=mode), x)
    assert grad.shape == (0, 3)
    jacobian = ad.jacfwd if mode == "forward" else ad.jacrev
    jac = quiet(jacobian(lambda a: anp.mean(a, axis=0)), x)
    assert jac.shape == (3, 0, 3)


def test_mean_of_an_empty_array_is_nan_with_numpys_warning_and_a_gradient_of_its_shape():
    with pytest.warns(RuntimeWarning):
        value, grad = ad.value_and_grad(lambda a: anp.mean(a))(np.zeros(0))
    assert np.isnan(value) and grad.shape == (0,)


# siblings: the other reductions over an empty axis answer as NumPy (SciPy and JAX for logsumexp) do

@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name, expected", [("prod", 1.0), ("logsumexp", -np.inf), ("var", np.nan), ("std", np.nan)])
def test_reductions_over_an_empty_axis(mode, name, expected):
    reduce = getattr(anp, name)
    x = np.zeros((0, 3))
    value, grad = quiet(ad.value_and_grad(lambda a: anp.sum(reduce(a, axis=0)), mode=mode), x)
    np.testing.assert_array_equal(value, 3 * expected)
    assert grad.shape == (0, 3)
    full_value, full_grad = quiet(ad.value_and_grad(lambda a: reduce(a), mode=mode), np.zeros(0))
    np.testing.assert_array_equal(full_value, expected)
    assert full_grad.shape == (0,)


# ---- a rule term that is 0 * inf where it should be absent (item 3): eigh's eigengap when only the
# eigenvalues are used ----------------------------------------------------------------------------------

REPEATED = np.diag([1.0, 1.0, 2.0])


@pytest.mark.parametrize("mode", MODES)
def test_eigh_eigenvalue_gradient_at_repeated_eigenvalues(mode):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no division warning either: nothing undefined was asked for
        grad = ad.grad(lambda X: anp.sum(anp.linalg.eigh(X)[0] ** 2), mode=mode)(REPEATED)
    np.testing.assert_allclose(grad, 2 * REPEATED, atol=1e-14)  # d sum(w^2) = d ||X||_F^2 = 2 X


def test_eigh_eigenvalue_gradient_at_a_repeated_eigenvalue_of_a_rotated_matrix():
    q, _ = np.linalg.qr(np.random.default_rng(0).standard_normal((4, 4)))
    a = q @ np.diag([3.0, 3.0, 3.0, -1.0]) @ q.T
    a = (a + a.T) / 2
    for mode in MODES:
        # sum of the three largest eigenvalues: the projector onto their space, q3 q3^T
        grad = ad.grad(lambda X: anp.sum(anp.linalg.eigh(X)[0][1:]), mode=mode)(a)
        np.testing.assert_allclose(grad, q[:, :3] @ q[:, :3].T, atol=1e-10)


def test_eigh_eigenvalue_jacobians_batched_and_in_vmap():
    jac = ad.jacrev(lambda X: anp.linalg.eigh(X)[0], batch=True)(REPEATED)
    expected = np.zeros((3, 3, 3))
    for k in range(3):
        expected[k, k, k] = 1.0  # the eigenvectors are the basis vectors
    np.testing.assert_allclose(jac, expected, atol=1e-14)
    stacked = np.stack([REPEATED, 2 * REPEATED])
    batched = ad.vmap(ad.jacrev(lambda X: anp.sum(anp.linalg.eigh(X)[0] ** 2), batch=True))(stacked)
    np.testing.assert_allclose(batched, 2 * stacked, atol=1e-14)


def test_eigh_eigenvector_gradient_at_repeated_eigenvalues_warns_and_is_not_finite():
    with pytest.warns(RuntimeWarning, match="eigenvalues 0 and 1 are equal"):
        grad = ad.grad(lambda X: anp.linalg.eigh(X)[1][1, 0])(REPEATED)
    assert not np.isfinite(grad).all()
    # away from the repeated pair the eigenvectors' derivative is defined, and no warning is given
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        grad = ad.grad(lambda X: anp.linalg.eigh(X)[1][2, 2])(REPEATED)
    np.testing.assert_allclose(grad, np.zeros((3, 3)), atol=1e-14)


# ---- a rule that calls NumPy on a primal (item 9): it cannot read a batched value ----------------------

W = np.array([1.0, 2.0, 3.0, 4.0])
BATCH = np.array([[0.3, -1.0, 2.0, 0.5], [4.0, 3.0, 2.0, 1.0], [1.0, 1.0, 0.0, 1.0]])  # a tie in the last row


@pytest.mark.parametrize("jacobian", [ad.jacrev, ad.jacfwd])
def test_sort_derivatives_inside_vmap_equal_a_loop(jacobian):
    f = lambda x: anp.sum(anp.sort(x) * W)  # noqa: E731
    loop = np.stack([ad.grad(f)(x) for x in BATCH])
    np.testing.assert_array_equal(ad.vmap(jacobian(f, batch=True))(BATCH), loop)
    np.testing.assert_array_equal(loop[1], W[::-1])  # the reversed row: the weights reversed


@pytest.mark.parametrize("axis", [0, 1, -1, None])
def test_sort_jacobians_inside_vmap_along_any_axis(axis):
    xs = np.random.default_rng(1).standard_normal((3, 2, 4))
    f = lambda x: anp.sort(x, axis=axis) ** 2  # noqa: E731
    loop = np.stack([ad.jacrev(f)(x) for x in xs])
    for jacobian in (ad.jacrev, ad.jacfwd):
        np.testing.assert_allclose(ad.vmap(jacobian(f, batch=True))(xs), loop, rtol=1e-14)


def test_sort_hessian_inside_vmap():
    f = lambda x: anp.sum(anp.sort(x) ** 3 * W)  # noqa: E731
    loop = np.stack([ad.hessian(f)(x) for x in BATCH[:2]])
    batched = ad.vmap(ad.jacfwd(ad.jacrev(f, batch=True), batch=True))(BATCH[:2])
    np.testing.assert_allclose(batched, loop, rtol=1e-14)


# siblings: rules that read a primal's shape with np.ndim/np.shape (which unwrap every level, and a batch
# has no single value), compare it with == (the same), or take an index from it

XS = np.random.default_rng(2).uniform(0.2, 0.9, (2, 3, 3))


@pytest.mark.parametrize("name, f", [
    ("norm", lambda x: anp.linalg.norm(x)),
    ("tensordot", lambda x: anp.tensordot(x, x)),
    ("einsum", lambda x: anp.einsum("ij,jk->ik", x, x)),
    ("matmul of a vector", lambda x: x[0] @ x),
    ("dot", lambda x: anp.dot(x, x[:, 0])),
    ("inner", lambda x: anp.inner(x, x)),
    ("det", lambda x: anp.linalg.det(x + 3 * np.eye(3))),
])
def test_hessians_inside_vmap_equal_a_loop(name, f):
    g = lambda x: anp.sum(f(x) ** 2)  # noqa: E731
    loop = np.stack([ad.hessian(g)(x) for x in XS])
    batched = ad.vmap(ad.jacfwd(ad.jacrev(g, batch=True), batch=True))(XS)
    np.testing.assert_allclose(batched, loop, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("jacobian", [ad.jacrev, ad.jacfwd])
def test_take_with_indices_batched_by_vmap(jacobian):
    x0 = np.array([1.0, 2.0, 3.0])
    indices = np.array([[0, 2], [1, 1]])
    f = lambda i: jacobian(lambda x: anp.sum(anp.take(x, i) ** 2), batch=True)(x0)  # noqa: E731
    np.testing.assert_array_equal(ad.vmap(f)(indices), [[2.0, 0.0, 6.0], [0.0, 8.0, 0.0]])


# ---- a rule that needs more than its function does (item 4): det's gradient through an inverse ---------

SINGULAR = np.array([[1.0, 2.0], [2.0, 4.0]])
RANK_TWO = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]])


def cofactors(a):
    """The cofactor matrix by its definition: signed minors."""
    n = a.shape[0]
    return np.array([[(-1) ** (i + j) * np.linalg.det(np.delete(np.delete(a, i, 0), j, 1)) for j in range(n)]
                     for i in range(n)])


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("a", [SINGULAR, RANK_TWO, np.outer([1.0, 2.0, 3.0], [1.0, -1.0, 2.0]), np.zeros((3, 3))])
def test_det_gradient_at_singular_matrices_is_the_cofactor_matrix(mode, a):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        grad = ad.grad(anp.linalg.det, mode=mode)(a)
    np.testing.assert_allclose(grad, cofactors(a), atol=1e-12)


def test_det_jvp_and_hessian_at_a_singular_matrix():
    direction = np.array([[0.5, -1.0, 0.0], [2.0, 1.0, 1.0], [0.0, 3.0, -2.0]])
    _, tangent = ad.jvp(anp.linalg.det, (RANK_TWO,), (direction,))
    np.testing.assert_allclose(tangent, np.sum(cofactors(RANK_TWO) * direction), atol=1e-12)
    h = 1e-4  # det is a cubic here: the central difference of the gradient is exact up to rounding
    numeric = (cofactors(RANK_TWO + h * direction) - cofactors(RANK_TWO - h * direction)) / (2 * h)
    for hvp in (ad.hvp(anp.linalg.det, RANK_TWO, direction),
                np.tensordot(ad.hessian(anp.linalg.det)(RANK_TWO), direction, 2)):
        np.testing.assert_allclose(hvp, numeric, atol=1e-6)


def test_det_gradient_of_a_batch_with_singular_members_inside_vmap():
    batch = np.stack([SINGULAR, np.eye(2), np.zeros((2, 2))])
    grads = ad.vmap(ad.jacrev(anp.linalg.det, batch=True))(batch)
    np.testing.assert_allclose(grads, [cofactors(a) for a in batch], atol=1e-12)


@pytest.mark.parametrize("mode", MODES)
def test_slogdet_gradient_at_a_singular_matrix_is_infinite_with_numpys_warning_not_a_linalgerror(mode):
    with pytest.warns(RuntimeWarning, match="divide by zero"):
        grad = ad.grad(lambda a: anp.linalg.slogdet(a)[1], mode=mode)(SINGULAR)
    assert not np.isfinite(grad).any()  # log|det| -> -inf there: JAX gives inf/nan too
    if mode == "reverse":  # cof(A) / det(A) with cof(A) = [[4, -2], [-2, 1]]
        np.testing.assert_array_equal(np.sign(grad), [[1, -1], [-1, 1]])


def test_slogdet_gradient_where_det_overflows():
    a = 10.0 * np.eye(400) + np.triu(np.ones((400, 400)), 1)  # det = 10^400: inf in float64
    assert np.isinf(np.linalg.det(a))
    grad = ad.grad(lambda m: anp.linalg.slogdet(m)[1])(a)
    np.testing.assert_allclose(grad, np.linalg.inv(a).T, rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-12), (np.float32, 1e-4)])
def test_cofactor_fast_path_equals_its_svd_reference(monkeypatch, dtype, rtol):
    from admodes import fastpaths
    from admodes.ops import linalg

    rng = np.random.default_rng(3)
    a, e = rng.standard_normal((3, 4, 4)).astype(dtype), rng.standard_normal((4, 4)).astype(dtype)
    fast = linalg._cofactor_impl(a), linalg._det_hessian_impl(a, e)
    monkeypatch.setattr(fastpaths, "FAST", False)
    reference = linalg._cofactor_impl(a), linalg._det_hessian_impl(a, e)
    for f, r in zip(fast, reference):
        assert f.dtype == r.dtype == dtype
        np.testing.assert_allclose(f, r, rtol=rtol, atol=rtol * np.max(np.abs(r)))
    np.testing.assert_allclose(reference[0], [cofactors(m) for m in a.astype(np.float64)], rtol=rtol, atol=rtol)


# ---- a rule that squares where its function does not (smaller items): under- and overflow ---------------

@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("scale", [1e-200, 1e200, 1e-30, 1.0])
def test_arctan2_gradient_at_tiny_and_huge_points(mode, scale):
    grad = ad.grad(lambda p: anp.arctan2(p[0], 2.0 * p[1]), mode=mode)(np.array([scale, scale]))
    # d/dp arctan2(y, 2x) at y = x = s: (2x, -2y) / (y^2 + 4 x^2) = (2, -2) / (5 s)
    np.testing.assert_allclose(grad, np.array([2.0, -2.0]) / (5 * scale), rtol=1e-14)


def test_arctan2_gradient_at_tiny_points_in_float32():
    grad = ad.grad(lambda p: anp.arctan2(p[0], p[1]))(np.array([1e-30, 1e-30], np.float32))
    assert grad.dtype == np.float32
    np.testing.assert_allclose(grad, [0.5e30, -0.5e30], rtol=1e-6)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("scale", [1e-300, 1e-160, 1e200, 1.0])
def test_norm_gradient_is_a_unit_vector_at_tiny_and_huge_vectors(mode, scale):
    x = scale * np.array([3.0, -4.0])
    np.testing.assert_allclose(ad.grad(anp.linalg.norm, mode=mode)(x), [0.6, -0.8], rtol=1e-15)
    rows = scale * np.array([[3.0, -4.0], [0.0, 0.0], [1.0, 0.0]])
    grad = ad.grad(lambda m: anp.sum(anp.linalg.norm(m, axis=1)), mode=mode)(rows)
    np.testing.assert_allclose(grad, [[0.6, -0.8], [0.0, 0.0], [1.0, 0.0]], rtol=1e-15)
    grad = quiet(ad.grad(lambda m: anp.linalg.norm(m, "fro"), mode=mode), rows)
    np.testing.assert_allclose(grad * np.sqrt(26.0), rows / scale, rtol=1e-14)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("scale", [1e-200, 1e200, 1.0])
def test_std_gradient_at_tiny_and_huge_deviations(mode, scale):
    x = scale * np.array([1.0, 3.0])  # std = scale: d std / dx = (x - mean) / (n std) = [-0.5, 0.5]
    grad = quiet(ad.grad(anp.std, mode=mode), x)
    np.testing.assert_allclose(grad, [-0.5, 0.5], rtol=1e-15)
    grad = quiet(ad.grad(lambda v: anp.std(v, ddof=1), mode=mode), x)
    np.testing.assert_allclose(grad, np.array([-1.0, 1.0]) / np.sqrt(2.0), rtol=1e-15)


def test_std_gradient_stays_nan_where_the_deviation_is_zero():
    grad = quiet(ad.grad(lambda v: anp.sum(anp.std(v, axis=1))), np.array([[2.0, 2.0], [1.0, 3.0]]))
    assert np.isnan(grad[0]).all()
    np.testing.assert_allclose(grad[1], [-0.5, 0.5], rtol=1e-15)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name, x, expected", [
    ("arcsinh", 1e200, 1e-200), ("arcsinh", 1e160, 1e-160), ("arcsinh", -1e200, 1e-200), ("arcsinh", 0.75, 0.8),
    ("arccosh", 1e200, 1e-200), ("arccosh", 1.25, 1 / 0.75),
])
def test_inverse_hyperbolic_gradients_at_huge_arguments(mode, name, x, expected):
    grad = ad.grad(getattr(anp, name), mode=mode)(np.array(x))
    np.testing.assert_allclose(grad, expected, rtol=1e-15)
