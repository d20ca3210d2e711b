"""NumPy functions published as compositions of primitives (issue 15's coverage): each checked by forward
and reverse mode against finite differences (Jacobians of one argument at a time, at seeded points), in
float64 and float32; plus the values the rule tests cannot reach (nan, inf, ties) and the bad-input errors.

The primitives among them (floor, mod, ...) are in the generated rule tests (cases_rounding.py).
"""

import math

import numpy as np
import pytest

import admodes as ad
import admodes.numpy as anp


def numeric_jacobian(f, args, i, h=1e-5):
    """d f / d args[i] by central differences, in JAX's layout (f's shape + args[i]'s shape), in float64."""
    args = [np.asarray(a, dtype=np.float64) for a in args]
    x = args[i]
    out = np.asarray(f(*args), dtype=np.float64)
    jac = np.zeros(out.shape + x.shape)
    for k in np.ndindex(x.shape):
        up, down = [a.copy() for a in args], [a.copy() for a in args]
        up[i][k] += h
        down[i][k] -= h
        jac[(Ellipsis,) + k] = (np.asarray(f(*up)) - np.asarray(f(*down))) / (2 * h)
    return jac


def check_composed(f, *args, rtol=1e-6, atol=1e-7, argnums=None):
    """jacfwd and jacrev of f agree with finite differences for every argument in ``argnums`` (default all)."""
    for i in range(len(args)) if argnums is None else argnums:
        def of_one(x, i=i):
            return f(*args[:i], x, *args[i + 1:])
        expected = numeric_jacobian(f, args, i)
        forward = np.asarray(ad.jacfwd(of_one)(args[i]))
        reverse = np.asarray(ad.jacrev(of_one)(args[i]))
        np.testing.assert_allclose(forward, expected, rtol=rtol, atol=atol, err_msg=f"jacfwd, argument {i}")
        np.testing.assert_allclose(reverse, expected, rtol=rtol, atol=atol, err_msg=f"jacrev, argument {i}")


def keeps_float32(f, *args):
    """f on float32 arguments gives float32, and so does its gradient."""
    args32 = [np.asarray(a, dtype=np.float32) for a in args]
    assert np.asarray(f(*args32)).dtype == np.float32
    g = ad.grad(lambda x: anp.sum(f(x, *args32[1:])))(args32[0])
    assert g.dtype == np.float32


rng = np.random.default_rng(0)
X = rng.uniform(-2, 2, size=(3, 4))
Y = rng.uniform(0.5, 2, size=(4,))

# ---- (a) elementwise ---------------------------------------------------------------------------------

ELEMENTWISE = {
    "fix": (anp.fix, (rng.integers(-3, 3, (3, 4)) + 0.5 + rng.uniform(-0.3, 0.3, (3, 4)),)),
    "around": (lambda x: anp.around(x, 1), (np.round(X, 1) + 0.01,)),
    "fabs": (anp.fabs, (X,)),
    "positive": (anp.positive, (X,)),
    "pow": (anp.pow, (np.abs(X) + 0.3, X)),
    "true_divide": (anp.true_divide, (X, Y)),
    "float_power": (anp.float_power, (np.abs(X) + 0.3, Y)),
    "fmax": (anp.fmax, (X, Y - 1.2)),
    "fmin": (anp.fmin, (X, Y - 1.2)),
    "logaddexp2": (anp.logaddexp2, (X, Y)),
    "sinc": (anp.sinc, (X,)),
    "degrees": (anp.degrees, (X,)),
    "radians": (anp.radians, (X,)),
    "rad2deg": (anp.rad2deg, (X,)),
    "deg2rad": (anp.deg2rad, (X,)),
    "nan_to_num": (anp.nan_to_num, (X,)),
}


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_elementwise_function_derivatives(name):
    f, args = ELEMENTWISE[name]
    check_composed(f, *args)


@pytest.mark.parametrize("name", sorted(set(ELEMENTWISE) - {"float_power"}))
def test_elementwise_function_keeps_float32(name):
    f, args = ELEMENTWISE[name]
    keeps_float32(f, *args)


def test_float_power_computes_in_float64():
    x = np.array([2.0, 3.0], np.float32)
    assert anp.float_power(x, 2).dtype == np.float64
    np.testing.assert_allclose(ad.grad(lambda v: anp.sum(anp.float_power(v, 3)))(x), [12.0, 27.0])


def test_zero_derivative_rounding_and_its_values():
    x = np.array([-1.5, -0.5, 0.5, 1.5, 2.7])
    for name in ("floor", "ceil", "rint", "trunc", "fix", "round", "around"):
        f = getattr(anp, name)
        np.testing.assert_array_equal(f(x), getattr(np, name)(x))
        np.testing.assert_array_equal(ad.grad(lambda v: anp.sum(f(v) * v))(x), getattr(np, name)(x))
        np.testing.assert_array_equal(ad.jacfwd(f)(x), np.zeros((5, 5)))


def test_mod_operator_and_its_derivative_as_autograd():
    x1, x2 = np.array([5.0, -5.0, 7.5]), np.array([3.0, 3.0, -2.0])
    np.testing.assert_array_equal(ad.grad(lambda a: anp.sum(a % 3.0))(x1), [1.0, 1.0, 1.0])
    # d/dx2 (x1 mod x2) = -floor(x1 / x2)
    np.testing.assert_array_equal(ad.grad(lambda b: anp.sum(x1 % b))(x2), -np.floor(x1 / x2))
    np.testing.assert_array_equal(ad.grad(lambda b: anp.sum(anp.fmod(x1, b)))(x2), -np.trunc(x1 / x2))
    np.testing.assert_array_equal(ad.jacfwd(lambda b: 10.0 % b)(np.array([3.0])), [[-3.0]])
    np.testing.assert_array_equal(ad.grad(lambda a: anp.sum(np.remainder(a, 2.0)))(x1), [1.0, 1.0, 1.0])


def test_nan_to_num_passes_the_derivative_only_where_finite():
    x = np.array([1.0, np.nan, np.inf, -np.inf, -2.0])
    np.testing.assert_array_equal(anp.nan_to_num(x, posinf=9.0, neginf=-9.0), [1.0, 0.0, 9.0, -9.0, -2.0])
    np.testing.assert_array_equal(ad.grad(lambda v: anp.sum(anp.nan_to_num(v) * 3.0))(x), [3.0, 0, 0, 0, 3.0])


def test_fmax_and_fmin_skip_nan_and_split_ties():
    x1, x2 = np.array([1.0, np.nan, 2.0, 4.0]), np.array([np.nan, 2.0, 2.0, 3.0])
    np.testing.assert_array_equal(anp.fmax(x1, x2), np.fmax(x1, x2))
    np.testing.assert_array_equal(anp.fmin(x1, x2), np.fmin(x1, x2))
    np.testing.assert_array_equal(ad.grad(lambda a: anp.sum(anp.fmax(a, x2)))(x1), [1.0, 0.0, 0.5, 1.0])
    np.testing.assert_array_equal(ad.grad(lambda a: anp.sum(anp.fmin(a, x2)))(x1), [1.0, 0.0, 0.5, 0.0])


def test_copysign_and_sinc_at_special_points():
    np.testing.assert_array_equal(ad.grad(lambda a: anp.sum(anp.copysign(a, -1.0)))(np.array([2.0, -3.0])),
                                  [-1.0, 1.0])
    assert anp.sinc(np.array([0.0]))[0] == 1.0
    np.testing.assert_array_equal(ad.grad(lambda a: anp.sum(anp.sinc(a)))(np.array([0.0])), [0.0])
    np.testing.assert_allclose(ad.grad(lambda a: anp.sum(anp.sinc(a)))(np.array([0.5])),
                               [(math.pi * 0.5 * math.cos(math.pi * 0.5) - math.sin(math.pi * 0.5))
                                / (math.pi * 0.5 ** 2)])


# ---- (b) rearranging arrays (admodes/ops/layout.py) ----------------------------------------------------

A3 = rng.uniform(-2, 2, size=(2, 3, 4))
V3, W3 = rng.uniform(-2, 2, size=(4, 3)), rng.uniform(-2, 2, size=(3,))

# name: (the admodes call, the same call in NumPy, arguments); every argument is differentiated.
LAYOUT = {
    "roll": (lambda a: anp.roll(a, 2), lambda a: np.roll(a, 2), (X,)),
    "roll_axes": (lambda a: anp.roll(a, (1, -1), axis=(0, 2)), lambda a: np.roll(a, (1, -1), axis=(0, 2)), (A3,)),
    "rollaxis": (lambda a: anp.rollaxis(a, 2, 1), lambda a: np.rollaxis(a, 2, 1), (A3,)),
    "rot90": (lambda a: anp.rot90(a), lambda a: np.rot90(a), (X,)),
    "rot90_k3": (lambda a: anp.rot90(a, 3, axes=(2, 0)), lambda a: np.rot90(a, 3, axes=(2, 0)), (A3,)),
    "rot90_k2": (lambda a: anp.rot90(a, -2), lambda a: np.rot90(a, -2), (X,)),
    "flipud": (anp.flipud, np.flipud, (X,)),
    "fliplr": (anp.fliplr, np.fliplr, (X,)),
    "atleast_1d": (anp.atleast_1d, np.atleast_1d, (np.array(1.5),)),
    "atleast_2d": (anp.atleast_2d, np.atleast_2d, (Y,)),
    "atleast_3d": (anp.atleast_3d, np.atleast_3d, (X,)),
    "column_stack": (lambda a, b: anp.column_stack([a, b]), lambda a, b: np.column_stack([a, b]), (Y, X.T)),
    "row_stack": (lambda a, b: anp.row_stack([a, b]), lambda a, b: np.vstack([a, b]), (Y, X)),
    "dstack": (lambda a, b: anp.dstack([a, b]), lambda a, b: np.dstack([a, b]), (X, X[::-1])),
    "hsplit": (lambda a: anp.hsplit(a, 2)[1], lambda a: np.hsplit(a, 2)[1], (X,)),
    "vsplit": (lambda a: anp.vsplit(a, [1])[1], lambda a: np.vsplit(a, [1])[1], (X,)),
    "dsplit": (lambda a: anp.dsplit(a, 2)[0], lambda a: np.dsplit(a, 2)[0], (A3,)),
    "append": (lambda a, b: anp.append(a, b), lambda a, b: np.append(a, b), (X, Y)),
    "append_axis": (lambda a, b: anp.append(a, b, axis=0), lambda a, b: np.append(a, b, axis=0), (X, X[:1])),
    "diff": (lambda a: anp.diff(a, 2, axis=0), lambda a: np.diff(a, 2, axis=0), (A3,)),
    "diff_prepend": (lambda a, p: anp.diff(a, prepend=p), lambda a, p: np.diff(a, prepend=p), (Y, np.array(0.5))),
    "concat": (lambda a, b: anp.concat([a, b], axis=1), lambda a, b: np.concat([a, b], axis=1), (X, X)),
    "permute_dims": (lambda a: anp.permute_dims(a, (1, 2, 0)), lambda a: np.permute_dims(a, (1, 2, 0)), (A3,)),
    "matrix_transpose": (anp.matrix_transpose, np.matrix_transpose, (A3,)),
    "diagonal": (lambda a: anp.diagonal(a, 1, 2, 0), lambda a: np.diagonal(a, 1, 2, 0), (A3,)),
    "diagonal_negative": (lambda a: anp.diagonal(a, -1), lambda a: np.diagonal(a, -1), (X,)),
    "broadcast_arrays": (lambda a, b: anp.broadcast_arrays(a, b)[0] * anp.broadcast_arrays(a, b)[1],
                         lambda a, b: np.multiply(*np.broadcast_arrays(a, b)), (X[:, :1], Y)),
    "take_along_axis": (lambda a: anp.take_along_axis(a, np.argsort(V3, axis=0), axis=0),
                        lambda a: np.take_along_axis(a, np.argsort(V3, axis=0), axis=0), (V3,)),
    "take_along_axis_none": (lambda a: anp.take_along_axis(a, np.array([3, 0, 0]), axis=None),
                             lambda a: np.take_along_axis(a, np.array([3, 0, 0]), axis=None), (X,)),
    "pad_constant": (lambda a: anp.pad(a, ((1, 2), (0, 1)), constant_values=((7, 8), (9, 0))),
                     lambda a: np.pad(a, ((1, 2), (0, 1)), constant_values=((7, 8), (9, 0))), (X,)),
    "pad_edge": (lambda a: anp.pad(a, 2, mode="edge"), lambda a: np.pad(a, 2, mode="edge"), (X,)),
    "pad_reflect": (lambda a: anp.pad(a, (3, 1), mode="reflect"), lambda a: np.pad(a, (3, 1), mode="reflect"), (X,)),
    "pad_symmetric": (lambda a: anp.pad(a, 2, mode="symmetric"), lambda a: np.pad(a, 2, mode="symmetric"), (Y,)),
    "pad_wrap": (lambda a: anp.pad(a, (5, 2), mode="wrap"), lambda a: np.pad(a, (5, 2), mode="wrap"), (X,)),
    "kron": (anp.kron, np.kron, (X[:2, :3], V3)),
    "kron_ranks": (anp.kron, np.kron, (Y[:2], X)),
    "cross": (anp.cross, np.cross, (V3, W3)),
    "cross_axis": (lambda a, b: anp.cross(a, b, axis=0), lambda a, b: np.cross(a, b, axis=0), (V3.T, V3[::-1].T)),
    "cross_2d": (anp.cross, lambda a, b: a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0], (V3[:, :2], X.T[:, :2])),
}


def test_layout_errors_name_the_problem():
    with pytest.raises(ValueError, match="fliplr"):
        anp.fliplr(Y)
    with pytest.raises(NotImplementedError, match="mode 'median'"):
        anp.pad(Y, 1, mode="median")
    with pytest.raises(ValueError, match="dimension must be 2 or 3"):
        anp.cross(X, X)


# ---- (c) statistics (admodes/ops/statistics.py) -------------------------------------------------------

XN = X.copy()
XN[1, 2] = XN[0, 0] = np.nan
S = rng.permutation(12).reshape(3, 4) + rng.uniform(-0.2, 0.2, (3, 4))  # distinct values: no ties
Q = np.array([0.1, 0.5, 0.93])

STATISTICS = {
    "amax": (lambda a: anp.amax(a, axis=1), lambda a: np.amax(a, axis=1), (S,)),
    "amin": (lambda a: anp.amin(a, axis=0), lambda a: np.amin(a, axis=0), (S,)),
    "ptp": (lambda a: anp.ptp(a, axis=1, keepdims=True), lambda a: np.ptp(a, axis=1, keepdims=True), (S,)),
    "nansum": (lambda a: anp.nansum(a, axis=1), lambda a: np.nansum(a, axis=1), (XN,)),
    "nanprod": (lambda a: anp.nanprod(a, axis=0), lambda a: np.nanprod(a, axis=0), (XN,)),
    "nanmean": (lambda a: anp.nanmean(a, axis=1), lambda a: np.nanmean(a, axis=1), (XN,)),
    "nanmean_all": (anp.nanmean, np.nanmean, (XN,)),
    "nanvar": (lambda a: anp.nanvar(a, axis=1, ddof=1), lambda a: np.nanvar(a, axis=1, ddof=1), (XN,)),
    "nanvar_keepdims": (lambda a: anp.nanvar(a, axis=0, keepdims=True),
                        lambda a: np.nanvar(a, axis=0, keepdims=True), (XN,)),
    "nanstd": (anp.nanstd, np.nanstd, (XN,)),
    "nanmax": (lambda a: anp.nanmax(a, axis=1), lambda a: np.nanmax(a, axis=1), (np.where(np.isnan(XN), XN, S),)),
    "nanmin": (lambda a: anp.nanmin(a, axis=0), lambda a: np.nanmin(a, axis=0), (np.where(np.isnan(XN), XN, S),)),
    "average": (lambda a: anp.average(a, axis=1), lambda a: np.average(a, axis=1), (X,)),
    "average_weights": (lambda a, w: anp.average(a, axis=1, weights=w), lambda a, w: np.average(a, axis=1, weights=w),
                        (X, Y)),
    "average_full_weights": (lambda a, w: anp.average(a, weights=w), lambda a, w: np.average(a, weights=w),
                             (X, np.abs(X) + 0.5)),
    "cumulative_sum": (lambda a: anp.cumulative_sum(a, axis=1, include_initial=True),
                       lambda a: np.cumulative_sum(a, axis=1, include_initial=True), (X,)),
    "cumulative_prod": (lambda a: anp.cumulative_prod(a), lambda a: np.cumulative_prod(a), (Y,)),
    "trapezoid": (lambda y: anp.trapezoid(y, dx=0.5, axis=0), lambda y: np.trapezoid(y, dx=0.5, axis=0), (X,)),
    "trapezoid_x": (lambda y, x: anp.trapezoid(y, x), lambda y, x: np.trapezoid(y, x), (X, np.cumsum(Y))),
    "trapezoid_x_2d": (lambda y, x: anp.trapezoid(y, x), lambda y, x: np.trapezoid(y, x), (X, np.cumsum(X, 1))),
    "vdot": (anp.vdot, np.vdot, (X, X[::-1])),
    "vecdot": (anp.vecdot, np.vecdot, (X, Y)),
    "vecdot_axis": (lambda a, b: anp.vecdot(a, b, axis=0), lambda a, b: np.vecdot(a, b, axis=0), (X, X[:, :1])),
    "median": (anp.median, np.median, (S,)),
    "median_axis": (lambda a: anp.median(a, axis=0, keepdims=True), lambda a: np.median(a, axis=0, keepdims=True),
                    (S,)),
    "quantile": (lambda a: anp.quantile(a, Q, axis=1), lambda a: np.quantile(a, Q, axis=1), (S,)),
    "quantile_axes": (lambda a: anp.quantile(a, 0.3, axis=(0, 2)), lambda a: np.quantile(a, 0.3, axis=(0, 2)),
                      (rng.permutation(24).reshape(2, 3, 4) * 1.0,)),
    "percentile": (lambda a: anp.percentile(a, [25, 75], axis=0, keepdims=True),
                   lambda a: np.percentile(a, [25, 75], axis=0, keepdims=True), (S,)),
    "cov": (anp.cov, np.cov, (X,)),
    "cov_y": (lambda a, b: anp.cov(a, b, rowvar=False, ddof=0), lambda a, b: np.cov(a, b, rowvar=False, ddof=0),
              (X, X[:, :2] * 2.0 + 1.0)),
    "cov_vector": (anp.cov, np.cov, (Y,)),
    "corrcoef": (anp.corrcoef, np.corrcoef, (X,)),
    "log_softmax": (lambda a: anp.log_softmax(a, axis=1), lambda a: a - np.log(np.sum(np.exp(a), 1, keepdims=True)),
                    (X,)),
}


def test_nan_reductions_give_nan_elements_zero_derivative():
    x = np.array([1.0, np.nan, 3.0])
    np.testing.assert_array_equal(ad.grad(anp.nansum)(x), [1.0, 0.0, 1.0])
    np.testing.assert_array_equal(ad.grad(anp.nanmean)(x), [0.5, 0.0, 0.5])
    np.testing.assert_array_equal(ad.grad(anp.nanmax)(x), [0.0, 0.0, 1.0])
    np.testing.assert_array_equal(ad.grad(anp.nanprod)(x), [3.0, 0.0, 1.0])
    np.testing.assert_array_equal(ad.grad(anp.nanvar)(x), [-1.0, 0.0, 1.0])  # 2 (x - 2) / 2
    assert np.isnan(anp.nanmax(np.array([np.nan, np.nan])))


def test_median_derivative_goes_to_the_middle_values():
    np.testing.assert_array_equal(ad.grad(anp.median)(np.array([5.0, 1.0, 3.0])), [0.0, 0.0, 1.0])
    np.testing.assert_array_equal(ad.grad(anp.median)(np.array([5.0, 1.0, 3.0, 9.0])), [0.5, 0.0, 0.5, 0.0])


def test_statistics_errors_name_the_problem():
    with pytest.raises(NotImplementedError, match="fweights"):
        anp.cov(X, fweights=np.ones(4, int))
    with pytest.raises(NotImplementedError, match="method='linear'"):
        anp.quantile(X, 0.5, method="nearest")
    with pytest.raises(ValueError, match="range"):
        anp.quantile(X, 1.5)


# ---- bad input: a NumPy function admodes does not differentiate -------------------------------------

@pytest.mark.parametrize("call, text", [
    (lambda x: np.nancumsum(x), "numpy.nancumsum; did you mean admodes.numpy.nansum?"),
    (lambda x: np.spacing(x), "numpy.spacing; use a function of admodes.numpy, or define it as an admodes.Function"),
    (lambda x: np.fft.hfft(x), "numpy.fft.hfft;"),  # (linalg.eig and fft.fft are differentiable now)
    (lambda x: np.ediff1d(x), "numpy.ediff1d; "),
])
def test_a_numpy_function_without_a_rule_names_itself_and_the_way_on(call, text):
    for transform in (ad.grad, lambda f: ad.jacfwd(f)):
        with pytest.raises(TypeError, match="no derivative rule for " + text.replace(".", r"\.").replace("?", r"\?")):
            transform(lambda x: anp.sum(call(x)))(np.array([1.0, 2.0]))


# ---- (d) numpy.linalg's functions (admodes/ops/linalg_functions.py) -----------------------------------

M = rng.uniform(-1, 1, size=(3, 3)) + 3.0 * np.eye(3)
M2 = rng.uniform(-1, 1, size=(2, 3, 3)) + 3.0 * np.eye(3)
TALL = rng.uniform(-1, 1, size=(4, 2))
T6 = rng.uniform(-1, 1, size=(6, 6)) + 3.0 * np.eye(6)
la, npla = anp.linalg, np.linalg

LINALG = {
    "norm_p3": (lambda x: la.norm(x, 3), lambda x: npla.norm(x, 3), (Y,)),
    "norm_p_half_axis": (lambda x: la.norm(x, 0.5, axis=1), lambda x: npla.norm(x, 0.5, axis=1), (np.abs(X) + 0.1,)),
    "norm_matrix_1": (lambda x: la.norm(x, 1), lambda x: npla.norm(x, 1), (X,)),
    "norm_matrix_inf": (lambda x: la.norm(x, np.inf, keepdims=True), lambda x: npla.norm(x, np.inf, keepdims=True),
                        (X,)),
    "norm_matrix_minus1": (lambda x: la.norm(x, -1, axis=(2, 0)), lambda x: npla.norm(x, -1, axis=(2, 0)), (A3,)),
    "norm_matrix_minus_inf": (lambda x: la.norm(x, -np.inf), lambda x: npla.norm(x, -np.inf), (X,)),
    "norm_fro": (lambda x: la.norm(x, "fro"), lambda x: npla.norm(x, "fro"), (X,)),
    "vector_norm": (lambda x: la.vector_norm(x, axis=(0, 2), ord=3), lambda x: npla.vector_norm(x, axis=(0, 2), ord=3),
                    (A3,)),
    "vector_norm_all": (lambda x: la.vector_norm(x, keepdims=True), lambda x: npla.vector_norm(x, keepdims=True),
                        (A3,)),
    "matrix_norm": (lambda x: la.matrix_norm(x, ord=np.inf), lambda x: npla.matrix_norm(x, ord=np.inf), (A3,)),
    "eigvalsh": (la.eigvalsh, npla.eigvalsh, (M + M.T,)),
    "multi_dot": (lambda a, b, c: la.multi_dot([a, b, c]), lambda a, b, c: npla.multi_dot([a, b, c]), (Y, X.T, X)),
    "matrix_power": (lambda a: la.matrix_power(a, 5), lambda a: npla.matrix_power(a, 5), (M / 3.0,)),
    "matrix_power_negative": (lambda a: la.matrix_power(a, -2), lambda a: npla.matrix_power(a, -2), (M2,)),
    "matrix_power_zero": (lambda a: la.matrix_power(a, 0) * a, lambda a: npla.matrix_power(a, 0) * a, (M,)),
    "pinv_tall": (la.pinv, npla.pinv, (TALL,)),
    "pinv_wide": (la.pinv, npla.pinv, (TALL.T,)),
    "cond_1": (lambda a: la.cond(a, 1), lambda a: npla.cond(a, 1), (M,)),
    "cond_fro": (lambda a: la.cond(a, "fro"), lambda a: npla.cond(a, "fro"), (M2,)),
    "trace": (lambda a: la.trace(a, offset=1), lambda a: npla.trace(a, offset=1), (A3,)),
    "diagonal": (la.diagonal, npla.diagonal, (A3,)),
    "cross": (la.cross, npla.cross, (V3, W3)),
    "outer": (la.outer, npla.outer, (Y, W3)),
    "matmul": (la.matmul, npla.matmul, (X, X.T)),
    "tensordot": (lambda a, b: la.tensordot(a, b, axes=1), lambda a, b: npla.tensordot(a, b, axes=1), (X, V3)),
    "vecdot": (la.vecdot, npla.vecdot, (X, Y)),
    "matrix_transpose": (la.matrix_transpose, npla.matrix_transpose, (A3,)),
    "tensorinv": (lambda a: la.tensorinv(a, ind=1), lambda a: npla.tensorinv(a, ind=1), (T6.reshape(6, 3, 2),)),
    "tensorsolve": (la.tensorsolve, npla.tensorsolve, (T6.reshape(6, 2, 3), Y[:2].repeat(3))),
    "tensorsolve_axes": (lambda a, b: la.tensorsolve(a, b, axes=(0,)), lambda a, b: npla.tensorsolve(a, b, axes=(0,)),
                         (M, W3)),
}
LINALG = {f"linalg.{name}": case for name, case in LINALG.items()}


def test_numpy_linalg_norm_on_a_traced_value_takes_every_order_admodes_has():
    for ord, x in ((3, Y), (0.5, Y), (1, X), (np.inf, X), (-1, X)):
        expected = numeric_jacobian(lambda x: np.linalg.norm(x, ord), (x,), 0)
        np.testing.assert_allclose(ad.grad(lambda x: np.linalg.norm(x, ord))(x), expected, rtol=1e-6, atol=1e-8)


def test_linalg_refusals_name_the_problem():
    # (the singular-value norms, cond's 2-norm and pinv of rank-deficient matrices: tests/ops/test_decompositions.py)
    with pytest.raises(TypeError, match="integer"):
        la.matrix_power(M, 1.5)
    with pytest.raises(ValueError, match="invalid norm order 'nuc' for vectors"):
        la.norm(Y, "nuc")


# ---- (d) sequences (admodes/ops/sequences.py) ----------------------------------------------------------

SIG, KER, KER4 = rng.uniform(-1, 1, 7), rng.uniform(-1, 1, 3), rng.uniform(-1, 1, 4)
XP = np.cumsum(rng.uniform(0.3, 1.0, 6))
AT = np.array([XP[0] - 0.5, XP[1] + 0.1, XP[3] - 0.2, XP[4] + 0.3, XP[-1] + 0.4])  # away from the knots

SEQUENCES = {
    **{f"convolve_{m}": (lambda a, v, m=m: anp.convolve(a, v, m), lambda a, v, m=m: np.convolve(a, v, m), (SIG, KER4))
       for m in ("full", "same", "valid")},
    **{f"correlate_{m}": (lambda a, v, m=m: anp.correlate(a, v, m), lambda a, v, m=m: np.correlate(a, v, m),
                          (KER, SIG)) for m in ("full", "same", "valid")},
    "interp": (anp.interp, np.interp, (AT, XP, np.sin(XP))),
    "interp_ends": (lambda x, fp: anp.interp(x, XP, fp, left=-3.0, right=4.0),
                    lambda x, fp: np.interp(x, XP, fp, left=-3.0, right=4.0), (AT, np.cos(XP))),
    "gradient": (anp.gradient, np.gradient, (SIG,)),
    "gradient_axis_spacing": (lambda f: anp.gradient(f, 0.5, axis=1, edge_order=2),
                              lambda f: np.gradient(f, 0.5, axis=1, edge_order=2), (X,)),
    "gradient_all_axes": (lambda f: anp.gradient(f)[0] * anp.gradient(f)[1],
                          lambda f: np.gradient(f)[0] * np.gradient(f)[1], (X,)),
    "linspace": (lambda a, b: anp.linspace(a, b, 7), lambda a, b: np.linspace(a, b, 7),
                 (np.array(-1.5), np.array(2.0))),
    "linspace_arrays": (lambda a, b: anp.linspace(a, b, 4, endpoint=False, axis=1),
                        lambda a, b: np.linspace(a, b, 4, endpoint=False, axis=1), (Y, Y[::-1] + 1.0)),
    "select": (lambda a, b: anp.select([X > 0.5, X < -0.5], [a, b], -1.0),
               lambda a, b: np.select([X > 0.5, X < -0.5], [a, b], -1.0), (X * 2.0, X)),
}


def test_interp_at_the_knots_and_outside():
    xp, fp = np.array([0.0, 1.0, 3.0]), np.array([0.0, 2.0, 3.0])
    x = np.array([-1.0, 0.0, 1.0, 3.0, 5.0])
    np.testing.assert_array_equal(anp.interp(x, xp, fp, right=9.0), np.interp(x, xp, fp, right=9.0))
    # the slope of the segment x lies in (the right one at a knot), 0 outside xp
    np.testing.assert_array_equal(ad.grad(lambda v: anp.sum(anp.interp(v, xp, fp)))(x), [0.0, 2.0, 0.5, 0.0, 0.0])


def test_partition_meets_numpys_contract_and_differentiates_as_sort():
    a = np.array([5.0, 1.0, 4.0, 2.0, 3.0])
    p = anp.partition(a, 2)
    assert p[2] == np.partition(a, 2)[2] and np.all(p[:2] <= p[2]) and np.all(p[3:] >= p[2])
    np.testing.assert_array_equal(ad.jacrev(lambda v: anp.partition(v, 2)[2])(a), [0.0, 0.0, 0.0, 0.0, 1.0])


def test_np_linspace_on_traced_endpoints_reaches_admodes():
    grad = ad.grad(lambda b: anp.sum(np.linspace(0.0, b, 5)))(np.array(2.0))
    assert float(grad) == pytest.approx(0.0 + 0.25 + 0.5 + 0.75 + 1.0)


# ---- issue 15 item 2: arrays built from traced values (admodes/ops/creation.py) --------------------------

def test_anp_array_of_traced_scalars_keeps_every_derivative():
    def f(x):
        return anp.array([x[0], x[1] ** 2, 3.0])
    x = np.array([2.0, 5.0])
    expected = np.array([[1.0, 0.0], [0.0, 10.0], [0.0, 0.0]])
    np.testing.assert_array_equal(ad.jacfwd(f)(x), expected)
    np.testing.assert_array_equal(ad.jacrev(f)(x), expected)


def test_anp_array_of_nested_lists_and_arrays():
    def f(x):
        return anp.array([[x, 2.0 * x], (x * x, np.ones(2))], ndmin=4)
    x = np.array([1.0, 3.0])
    np.testing.assert_array_equal(f(x), [[[[1.0, 3.0], [2.0, 6.0]], [[1.0, 9.0], [1.0, 1.0]]]])
    check_composed(lambda v: anp.array([[v, 2.0 * v], (v * v, np.ones(2))]), x)
    np.testing.assert_array_equal(ad.grad(lambda v: anp.sum(anp.asarray((v[0], v[1]))))(x), [1.0, 1.0])


def test_anp_array_of_plain_values_is_numpys():
    out = anp.array([[1, 2], [3, 4]], dtype=np.int32)
    assert out.dtype == np.int32 and out.tolist() == [[1, 2], [3, 4]]


def test_array_building_errors_say_what_to_do():
    with pytest.raises(TypeError, match=r"admodes\.numpy\.array or admodes\.numpy\.stack"):
        ad.grad(lambda x: np.sum(np.array([x[0], x[1]])))(np.ones(2))
    with pytest.raises(ValueError, match="different shapes"):
        ad.grad(lambda x: anp.sum(anp.array([x, x[:1]])))(np.ones(2))
    with pytest.raises(TypeError, match="would drop the derivative"):
        ad.grad(lambda x: anp.sum(anp.array([x[0]], dtype=int)))(np.ones(2))


# ---- the composed functions above, each against NumPy, finite differences, and a loop under vmap ------

COMPOSED = {**LAYOUT, **STATISTICS, **LINALG, **SEQUENCES}
UNDER_VMAP = ["roll", "rot90", "diagonal", "pad_reflect", "kron", "cross", "diff", "nanmean", "nanvar", "median",
              "quantile", "cov", "corrcoef", "average_weights", "convolve_same", "interp", "gradient",
              "linspace_arrays", "linalg.matrix_power", "linalg.norm_matrix_inf"]


def test_composed_tables_do_not_overlap():
    assert len(COMPOSED) == len(LAYOUT) + len(STATISTICS) + len(LINALG) + len(SEQUENCES)


@pytest.mark.parametrize("name", sorted(COMPOSED))
def test_composed_values_equal_numpys(name):
    f, reference, args = COMPOSED[name]
    np.testing.assert_allclose(f(*args), reference(*args), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", sorted(COMPOSED))
def test_composed_derivatives(name):
    f, _, args = COMPOSED[name]
    check_composed(f, *args, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", UNDER_VMAP)
def test_composed_under_vmap_equal_a_loop(name):
    f, _, args = COMPOSED[name]
    batch = np.stack([args[0], 2.0 * args[0] + 1.0])
    rest = args[1:]
    np.testing.assert_allclose(ad.vmap(lambda x: f(x, *rest))(batch), np.stack([f(x, *rest) for x in batch]))


@pytest.mark.parametrize("name", sorted(set(COMPOSED) - {"interp_ends"}))  # (its xp is a float64 constant)
def test_composed_keep_float32(name):
    f, _, args = COMPOSED[name]
    keeps_float32(f, *args)
