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
