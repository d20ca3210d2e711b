"""Forward mode: Dual, jvp, jacfwd and grad(mode="forward") (admodes/forward.py).

Every derivative is checked against a closed form, against finite differences (`admodes.check`), or
both, in float64 and float32. The memory claim (O(1) in the length of the computation) is in
test_forward_memory.py.
"""

import math

import numpy as np
import pytest

import admodes as ad
import admodes.numpy as anp
from admodes.check import numeric_jacobian, numeric_jvp
from admodes.forward import Dual
from benchmarks.workloads import mlp_loss, mlp_problem, rosenbrock

RNG = np.random.default_rng(20240601)
TOL = {np.float64: dict(rtol=1e-9, atol=1e-12), np.float32: dict(rtol=2e-4, atol=1e-5)}


def dual(primal, tangent, dtype=np.float64):
    return Dual(np.asarray(primal, dtype), np.asarray(tangent, dtype))


def close(actual, expected, dtype=np.float64):
    np.testing.assert_allclose(actual, expected, **TOL[dtype])


# ---- 1. the Dual API ---------------------------------------------------------------------------------

def test_primal_and_tangent():
    d = dual([1.0, 2.0], [0.5, -1.0])
    assert d.primal.tolist() == [1.0, 2.0] and d.tangent.tolist() == [0.5, -1.0]
    zero = Dual(np.array([1.0, 2.0]))
    assert zero.tangent.tolist() == [0.0, 0.0] and zero.tangent.dtype == np.float64
    assert Dual(3.0, 1.0).primal.dtype == np.float64  # Python numbers: float64
    assert Dual([1, 2], [1, 0]).tangent.dtype == np.float64  # Python lists: converted, ints promoted


X = np.array([0.3, 1.2, 2.5])
V = np.array([1.0, -0.5, 2.0])

# (expression of a dual d, its value at X, its derivative at X), for operators on both sides
OPERATORS = {
    "d + 2": (lambda d: d + 2, X + 2, np.ones(3)),
    "2 + d": (lambda d: 2 + d, X + 2, np.ones(3)),
    "d - 2": (lambda d: d - 2, X - 2, np.ones(3)),
    "2 - d": (lambda d: 2 - d, 2 - X, -np.ones(3)),
    "2 * d": (lambda d: 2 * d, 2 * X, 2 * np.ones(3)),
    "d * 2": (lambda d: d * 2, 2 * X, 2 * np.ones(3)),
    "d / 2": (lambda d: d / 2, X / 2, 0.5 * np.ones(3)),
    "2 / d": (lambda d: 2 / d, 2 / X, -2 / X**2),
    "d ** 3": (lambda d: d ** 3, X**3, 3 * X**2),
    "3 ** d": (lambda d: 3 ** d, 3.0**X, 3.0**X * math.log(3)),
    "d ** d": (lambda d: d ** d, X**X, X**X * (np.log(X) + 1)),
    "d * d": (lambda d: d * d, X * X, 2 * X),
    "d / d": (lambda d: d / d, np.ones(3), np.zeros(3)),
    "-d": (lambda d: -d, -X, -np.ones(3)),
    "+d": (lambda d: +d, X, np.ones(3)),
    "abs(-d)": (lambda d: abs(-d), X, np.ones(3)),
    "array * d": (lambda d: np.array([1.0, 2.0, 3.0]) * d, [1, 2, 3] * X, np.array([1.0, 2.0, 3.0])),
    "array - d": (lambda d: np.array([1.0, 2.0, 3.0]) - d, [1, 2, 3] - X, -np.ones(3)),
    "array ** d": (lambda d: np.full(3, 2.0) ** d, 2.0**X, 2.0**X * math.log(2)),
    "float64 * d": (lambda d: np.float64(2.0) * d, 2 * X, 2 * np.ones(3)),
}


@pytest.mark.parametrize("name", OPERATORS)
def test_operators_on_both_sides(name):
    expression, expected_value, derivative = OPERATORS[name]
    out = expression(dual(X, V))
    assert isinstance(out, Dual)
    close(out.primal, expected_value)
    close(out.tangent, derivative * V)


def test_matmul_on_both_sides():
    A, dA = RNG.normal(size=(3, 4)), RNG.normal(size=(3, 4))
    B = RNG.normal(size=(4, 2))
    close((Dual(A, dA) @ B).tangent, dA @ B)
    close((B.T @ Dual(A.T, dA.T)).tangent, B.T @ dA.T)
    d = Dual(A, dA)
    close((d @ d.T).tangent, dA @ A.T + A @ dA.T)


def test_comparisons_look_at_the_primal_and_give_plain_booleans():
    d = dual([1.0, 2.0, 3.0], [100.0, 100.0, 100.0])
    assert (d < 2).tolist() == [True, False, False]
    assert (d <= 2).tolist() == [True, True, False]
    assert (d > dual([0.0, 5.0, 3.0], [0, 0, 0])).tolist() == [True, False, False]
    assert (d >= 2).tolist() == [False, True, True]
    assert (d == 2).tolist() == [False, True, False] and (d != 2).tolist() == [True, False, True]
    assert (2 < d).tolist() == [False, False, True]  # reflected: on the primal too
    assert type(d < 2) is np.ndarray and (d < 2).dtype == bool
    assert np.greater(d, 1.5).tolist() == [False, True, True]  # NumPy's boolean ufuncs: values


def test_metadata_len_and_iteration():
    d = dual(np.arange(6.0).reshape(2, 3), np.ones((2, 3)), np.float32)
    assert d.shape == (2, 3) and d.ndim == 2 and d.size == 6 and len(d) == 2 and d.dtype == np.float32
    rows = list(d)
    assert [r.primal.tolist() for r in rows] == [[0, 1, 2], [3, 4, 5]] and rows[1].tangent.dtype == np.float32
    assert np.shape(d) == (2, 3) and np.ndim(d) == 2 and np.size(d) == 6


@pytest.mark.parametrize("index", [1, -1, slice(1, None), slice(None, None, -1), (Ellipsis, 0), [2, 0, 2],
                                   np.array([True, False, True, False]), (slice(None), None)],
                         ids=["int", "negative", "slice", "reversed", "ellipsis", "fancy", "mask", "newaxis"])
def test_indexing_takes_the_tangent_along(index):
    x, t = np.array([1.0, 2.0, 3.0, 4.0]), np.array([10.0, 20.0, 30.0, 40.0])
    out = Dual(x, t)[index]
    np.testing.assert_array_equal(out.primal, x[index])
    np.testing.assert_array_equal(out.tangent, t[index])


def test_item_assignment_is_a_functional_update_of_both_parts():
    x, t = np.zeros(4), np.ones(4)
    d = Dual(x, t)
    d[1:3] = dual([5.0, 6.0], [2.0, 3.0])
    assert d.primal.tolist() == [0, 5, 6, 0] and d.tangent.tolist() == [1, 2, 3, 1]
    d[0] = 7.0  # a constant: its tangent is zero
    assert d.primal.tolist() == [7, 5, 6, 0] and d.tangent.tolist() == [0, 2, 3, 1]
    assert x.tolist() == [0, 0, 0, 0] and t.tolist() == [1, 1, 1, 1]  # the arrays d was made from


def test_item_assignment_inside_jvp_keeps_the_derivative():
    def f(x):
        y = x * 1.0
        y[0] = x[1] ** 2
        return y
    x = np.array([1.0, 3.0])
    out, tangent = ad.jvp(f, (x,), (np.array([1.0, 1.0]),))
    assert out.tolist() == [9.0, 3.0] and tangent.tolist() == [6.0, 1.0] and x.tolist() == [1.0, 3.0]


M = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
DM = np.array([[1.0, 2.0, -1.0], [0.5, -2.0, 1.0]])
METHODS = {  # (method call on a dual, the same on a plain array): the tangent is the method of the tangent
    "T": lambda a: a.T,
    "sum()": lambda a: a.sum(),
    "sum(axis=0)": lambda a: a.sum(axis=0),
    "mean(axis=1, keepdims)": lambda a: a.mean(axis=1, keepdims=True),
    "reshape(3, 2)": lambda a: a.reshape(3, 2),
    "reshape((6,))": lambda a: a.reshape((6,)),
    "transpose(1, 0)": lambda a: a.transpose(1, 0),
    "swapaxes(0, 1)": lambda a: a.swapaxes(0, 1),
    "cumsum(axis=1)": lambda a: a.cumsum(axis=1),
    "dot": lambda a: a.dot(np.ones(3)),
}


@pytest.mark.parametrize("name", METHODS)
def test_linear_ndarray_methods(name):
    method = METHODS[name]
    out = method(Dual(M, DM))
    np.testing.assert_allclose(out.primal, method(M))
    np.testing.assert_allclose(out.tangent, method(DM))


@pytest.mark.parametrize("name", ["ravel", "flatten", "squeeze"])
def test_reshaping_methods(name):
    d = Dual(M[None], DM[None])
    out = getattr(d, name)()
    np.testing.assert_array_equal(out.primal, getattr(M[None], name)())
    np.testing.assert_array_equal(out.tangent, getattr(DM[None], name)())


def test_astype_to_float32_keeps_the_derivative():
    out = Dual(M, DM).astype(np.float32)
    assert out.primal.dtype == out.tangent.dtype == np.float32
    np.testing.assert_allclose(out.tangent, DM.astype(np.float32))


def test_nonlinear_ndarray_methods_against_closed_forms():
    x, t = np.array([1.0, 4.0, 2.0]), np.array([0.5, 1.0, -2.0])
    d = Dual(x, t)
    close(d.prod().tangent, np.sum(t * np.prod(x) / x))
    close(d.max().tangent, t[1])
    close(d.min().tangent, t[0])
    close(d.var().tangent, np.sum(2 * (x - x.mean()) * t) / 3)
    close(d.std().tangent, np.sum(2 * (x - x.mean()) * t) / 3 / (2 * x.std()))
    close(d.clip(1.5, 3.0).tangent, [0.0, 0.0, -2.0])
    close(d.cumprod().tangent, [0.5, 0.5 * 4 + 1 * 1, (0.5 * 4 + 1) * 2 + 4 * -2])


def test_item_leaves_the_derivative_explicitly_and_float_refuses():
    d = Dual(2.5, 1.0)
    assert d.item() == 2.5
    with pytest.raises(TypeError, match="drop the derivative"):
        float(d)
    with pytest.raises(TypeError, match="drop its derivative"):
        np.asarray(d)


def test_repr_shows_both_parts():
    assert repr(Dual(2.0, 1.0)) == "Dual(primal=array(2.), tangent=array(1.))"


# ---- 2. plain NumPy code on duals --------------------------------------------------------------------

def numpy_model(w, A):
    """User code written with plain NumPy, no admodes import."""
    h = np.tanh(A @ w + np.sin(w).sum())
    p = np.exp(h - np.max(h))
    return np.sum(p / np.sum(p)) * np.dot(w, w) + np.mean(np.sqrt(w * w + 1.0)) + np.linalg.norm(h)


def test_plain_numpy_function_against_finite_differences():
    w, v, A = RNG.normal(size=4), RNG.normal(size=4), RNG.normal(size=(5, 4))
    out, tangent = ad.jvp(lambda w: numpy_model(w, A), (w,), (v,))
    close(out, numpy_model(w, A))
    np.testing.assert_allclose(tangent, numeric_jvp(lambda w: numpy_model(w, A), w, v), rtol=1e-8)


def test_numpy_linear_algebra_against_closed_forms():
    A = RNG.normal(size=(3, 3)) + 3 * np.eye(3)
    dA = RNG.normal(size=(3, 3))
    b = RNG.normal(size=3)
    inv = np.linalg.inv(A)
    close(ad.jvp(np.linalg.inv, (A,), (dA,))[1], -inv @ dA @ inv)
    close(ad.jvp(np.linalg.det, (A,), (dA,))[1], np.linalg.det(A) * np.trace(inv @ dA))
    close(ad.jvp(lambda a: np.linalg.solve(a, b), (A,), (dA,))[1], -inv @ dA @ inv @ b)
    close(ad.jvp(lambda a: np.trace(a @ a), (A,), (dA,))[1], 2 * np.trace(A @ dA))
    close(ad.jvp(lambda a: np.einsum("ij,jk->ik", a, a), (A,), (dA,))[1], dA @ A + A @ dA)
    close(ad.jvp(lambda a: np.outer(a[0], a[1]), (A,), (dA,))[1], np.outer(dA[0], A[1]) + np.outer(A[0], dA[1]))


@pytest.mark.parametrize("call, name", [
    (lambda d: np.unique(d), "numpy.unique"),
    (lambda d: np.nancumsum(d), "numpy.nancumsum"),
    (lambda d: np.nancumprod(d), "numpy.nancumprod"),
    (lambda d: np.unwrap(d), "numpy.unwrap"),
    (lambda d: np.spacing(d), "numpy.spacing"),
    (lambda d: np.i0(d), "numpy.i0"),
    (lambda d: np.ediff1d(d), "numpy.ediff1d"),
])
def test_numpy_function_without_a_rule_is_a_type_error_naming_it(call, name):
    with pytest.raises(TypeError, match=f"no derivative rule for {name}"):
        call(Dual(np.array([3.0, 1.0, 2.0]), np.ones(3)))


def test_unsupported_function_of_a_numpy_submodule_is_named_in_full():
    with pytest.raises(TypeError, match=r"no derivative rule for numpy\.fft\.hfft\b"):
        np.fft.hfft(Dual(np.array([3.0, 1.0]), np.ones(2)))


def test_ufunc_methods_and_out_are_refused_by_name():
    d = Dual(np.array([3.0, 1.0]), np.ones(2))
    with pytest.raises(TypeError, match="numpy.add.reduce"):
        np.add.reduce(d)
    with pytest.raises(TypeError, match="out="):
        np.sin(d, out=np.empty(2))


# ---- 3. transforms: jvp, jacfwd, grad(mode="forward") -------------------------------------------------

def test_jvp_closed_forms():
    x = np.array([0.5, 1.0, 2.0])
    v = np.array([1.0, 2.0, 3.0])
    out, tangent = ad.jvp(lambda x: anp.sin(x) * x ** 2, (x,), (v,))
    close(out, np.sin(x) * x**2)
    close(tangent, (np.cos(x) * x**2 + 2 * x * np.sin(x)) * v)
    # two arguments: d(x . y) = dx . y + x . dy
    y, w = np.array([3.0, -1.0, 0.5]), np.array([0.0, 1.0, -1.0])
    out, tangent = ad.jvp(anp.dot, (x, y), (v, w))
    close(out, x @ y)
    close(tangent, v @ y + x @ w)


FUNCTIONS = {  # R^3 -> R^m test functions, written with admodes.numpy
    "elementwise": lambda x: anp.exp(anp.sin(x)) * anp.log1p(x * x) - anp.tanh(x) / (2.0 + anp.cos(x)),
    "reductions": lambda x: anp.stack([anp.sum(x ** 3), anp.prod(x), anp.logsumexp(x), anp.var(x)]),
    "linalg": lambda x: anp.linalg.solve(anp.outer(x, x) + anp.diag(x * x + 3.0), anp.sqrt(x * x + 1.0)),
    "shape": lambda x: anp.reshape(anp.outer(x, x[::-1]), (9,)) * anp.concatenate([x, x * x, anp.cumsum(x)]),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", FUNCTIONS)
def test_jvp_and_jacfwd_against_finite_differences(name, dtype):
    f = FUNCTIONS[name]
    x = np.array([0.4, -1.1, 0.7], dtype)
    v = np.array([1.0, 0.5, -2.0], dtype)
    reference = numeric_jacobian(lambda x: f(x), x.astype(np.float64))
    out, tangent = ad.jvp(f, (x,), (v,))
    jacobian = ad.jacfwd(f)(x)
    assert out.dtype == tangent.dtype == jacobian.dtype == dtype  # float32 stays float32
    assert jacobian.shape == out.shape + x.shape
    close(tangent, reference @ v.astype(np.float64), dtype)
    close(jacobian, reference, dtype)


def test_jacfwd_layout_for_matrix_input_and_output():
    A = RNG.normal(size=(2, 3))
    J = ad.jacfwd(lambda a: a.T * 2.0)(A)
    assert J.shape == (3, 2, 2, 3)
    expected = np.zeros((3, 2, 2, 3))
    for i in range(2):
        for j in range(3):
            expected[j, i, i, j] = 2.0
    np.testing.assert_array_equal(J, expected)


def test_jacfwd_of_a_scalar_input_and_of_an_empty_input():
    assert ad.jacfwd(lambda x: anp.stack([x, x * x]))(np.array(3.0)).tolist() == [1.0, 6.0]
    J = ad.jacfwd(lambda x: anp.sum(x) + 1.0)(np.zeros(0))
    assert J.shape == (0,) and J.dtype == np.float64


def test_jacfwd_with_an_empty_argument_beside_a_full_one():
    def f(x, y):
        return anp.sum(x) * 2.0 + anp.sum(y * y)
    value, (jx, jy) = ad.transforms.value_and_jacfwd(f, argnums=(0, 1))(np.zeros(0), np.array([1.0, 2.0]))
    assert value == 5.0 and jx.shape == (0,) and jy.tolist() == [2.0, 4.0]


def test_python_numbers_are_float64_primals_and_tangents():
    out, tangent = ad.jvp(lambda x: x * x, (3,), (1,))
    assert (out, tangent) == (9.0, 6.0) and out.dtype == tangent.dtype == np.float64
    assert ad.grad(lambda x: x ** 3, mode="forward")(2.0) == 12.0


def test_jacfwd_sweeps_once_per_input_direction():
    calls = []

    def f(x):
        calls.append(1)
        return anp.sin(x) * 2.0

    J = ad.jacfwd(f, batch=False)(np.arange(5.0))
    assert len(calls) == 5
    close(J, np.diag(2.0 * np.cos(np.arange(5.0))))


def test_jacfwd_with_tuple_argnums():
    def f(x, y, z):
        return x * y + anp.sum(z)
    x, y, z = np.array([1.0, 2.0]), np.array([3.0, 4.0]), np.array([5.0, 6.0, 7.0])
    jx, jz = ad.jacfwd(f, argnums=(0, 2))(x, y, z)
    np.testing.assert_array_equal(jx, np.diag(y))
    np.testing.assert_array_equal(jz, np.ones((2, 3)))
    assert ad.jacfwd(f, argnums=-2)(x, y, z).tolist() == np.diag(x).tolist()
    value, (jy,) = ad.transforms.value_and_jacfwd(f, argnums=(1,))(x, y, z)
    assert value.tolist() == [21.0, 26.0] and jy.tolist() == np.diag(x).tolist()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_forward_grad_closed_form_and_reverse_agree(dtype):
    def f(x, y):
        return anp.sum(anp.sin(x) * y ** 2) + anp.dot(x, y)
    x, y = np.array([0.1, 0.7, -1.3], dtype), np.array([2.0, -0.5, 1.5], dtype)
    gx, gy = ad.grad(f, argnums=(0, 1), mode="forward")(x, y)
    assert gx.dtype == gy.dtype == dtype and gx.shape == x.shape
    close(gx, np.cos(x) * y**2 + y, dtype)
    close(gy, 2 * np.sin(x) * y + x, dtype)
    value, g = ad.value_and_grad(f, mode="forward")(x, y)
    close(value, f(x, y), dtype)
    close(g, gx, dtype)
    close(g, ad.grad(f)(x, y), dtype)


def test_forward_grad_of_a_matrix_argument_and_a_size_one_output():
    A = RNG.normal(size=(2, 3))
    close(ad.grad(lambda a: anp.sum(a ** 2), mode="forward")(A), 2 * A)
    close(ad.grad(lambda a: anp.reshape(anp.sum(a ** 3), (1,)), mode="forward")(A), 3 * A**2)


def test_workloads_forward_grad_matches_reverse_and_finite_differences():
    x = np.array([0.5, -1.0, 1.5, 0.2])
    expected = numeric_jacobian(rosenbrock, x)
    close(ad.grad(rosenbrock, mode="forward")(x), expected, np.float32)  # FD: about 1e-10 relative
    close(ad.grad(rosenbrock, mode="forward")(x), ad.grad(rosenbrock)(x))
    p = mlp_problem(batch=3, n_in=4, n_hidden=5, n_out=2)
    for loss in ("cross_entropy", "mse"):
        def f(b1):
            return mlp_loss(p.W1, b1, p.W2, p.b2, p.X, p.Y, loss=loss)
        close(ad.grad(f, mode="forward")(p.b1), ad.grad(f)(p.b1))
        close(ad.grad(f, mode="forward")(p.b1), numeric_jacobian(f, p.b1), np.float32)


# ---- 4. nesting ------------------------------------------------------------------------------------

def f_scalar(x):
    return anp.sin(x) * x ** 3


def f_scalar_second(x):  # d^2/dx^2 sin(x) x^3
    return -np.sin(x) * x**3 + 6 * np.cos(x) * x**2 + 6 * x * np.sin(x)


def test_jvp_inside_jvp_gives_second_directional_derivatives():
    def f(x):
        return anp.exp(x[0] * x[1]) + anp.sum(x ** 4)
    x, u, v = np.array([0.3, -0.8]), np.array([1.0, 2.0]), np.array([-1.0, 0.5])
    e = np.exp(x[0] * x[1])
    hessian = np.array([[x[1] ** 2 * e + 12 * x[0] ** 2, (1 + x[0] * x[1]) * e],
                        [(1 + x[0] * x[1]) * e, x[0] ** 2 * e + 12 * x[1] ** 2]])
    _, second = ad.jvp(lambda y: ad.jvp(f, (y,), (v,))[1], (x,), (u,))
    close(second, u @ hessian @ v)


@pytest.mark.parametrize("x0", [-2.0, 0.5, 3.0])
def test_forward_over_forward_second_derivative(x0):
    x = np.array(x0)
    second_grad = ad.grad(ad.grad(f_scalar, mode="forward"), mode="forward")(x)
    second_jac = ad.jacfwd(ad.jacfwd(f_scalar))(x)
    second_jvp = ad.jvp(lambda y: ad.jvp(f_scalar, (y,), (1.0,))[1], (x,), (1.0,))[1]
    for second in (second_grad, second_jac, second_jvp):
        close(second, f_scalar_second(x0))
    third = ad.jacfwd(ad.jacfwd(ad.jacfwd(lambda x: x ** 5)))(x)
    close(third, 60 * x0**2)


def test_forward_over_forward_hessian():
    def f(x):
        return anp.sum(x ** 3) * x[0] + anp.prod(x)
    x = np.array([1.0, 2.0, -0.5])
    H = ad.jacfwd(ad.jacfwd(f))(x)
    assert H.shape == (3, 3)
    expected = np.diag(6 * x * x[0])
    expected[0, :] += 3 * x**2
    expected[:, 0] += 3 * x**2
    p = np.prod(x)
    expected += np.array([[0, p / x[0] / x[1], p / x[0] / x[2]],
                          [p / x[0] / x[1], 0, p / x[1] / x[2]],
                          [p / x[0] / x[2], p / x[1] / x[2], 0]])
    close(H, expected)
    close(ad.hessian(f)(x), H)  # forward over reverse agrees


@pytest.mark.parametrize("x0", [-3.0, 0.0, 1.0, 7.5])
def test_no_perturbation_confusion(x0):
    """d/dx [x * d/dy (x + y)] = 1 at any x (naive dual numbers give 2)."""
    y0 = np.array(2.0)

    def inner_derivative(x):
        return ad.jvp(lambda y: x + y, (y0,), (np.array(1.0),))[1]

    _, outer = ad.jvp(lambda x: x * inner_derivative(x), (np.array(x0),), (np.array(1.0),))
    assert outer == 1.0
    by_grad = ad.grad(lambda x: x * ad.grad(lambda y: x + y, mode="forward")(y0), mode="forward")(np.array(x0))
    assert by_grad == 1.0


def test_user_dual_around_a_traced_value_is_the_inner_perturbation():
    def g(x):
        return (x * Dual(x, 1.0)).tangent  # d/dy [x * y] at y = x is x; its derivative in x is 1
    assert ad.jvp(g, (np.array(3.0),), (np.array(1.0),)) == (3.0, 1.0)


def test_leaking_an_inner_perturbation_is_a_clear_error():
    with pytest.raises(TypeError, match="traced by a transform it started itself"):
        ad.jvp(lambda x: Dual(x, 1.0) * x, (np.array(2.0),), (np.array(1.0),))

    def writes_inner_into_outer(x):
        def inner(y):
            x[0] = y  # x belongs to the outer jvp, y to the inner one
            return y
        return ad.jvp(inner, (np.array(1.0),), (np.array(1.0),))[1]
    with pytest.raises(TypeError, match="nested inside the one that made d"):
        ad.jvp(writes_inner_into_outer, (np.zeros(2),), (np.ones(2),))


def test_forward_over_reverse_and_reverse_over_forward():
    def f(x):
        return anp.sum(anp.sin(x) * x)
    x, v = np.array([0.2, 1.0, -0.7]), np.array([1.0, -1.0, 0.5])
    hessian_diag = 2 * np.cos(x) - x * np.sin(x)
    close(ad.jvp(ad.grad(f), (x,), (v,))[1], hessian_diag * v)  # forward over reverse (hvp)
    close(ad.grad(lambda y: ad.jvp(f, (y,), (v,))[1])(x), hessian_diag * v)  # reverse over forward


# ---- 5. control flow ---------------------------------------------------------------------------------

def doubling(b):
    """Doubles b while its norm is below 1000, then branches on its sum."""
    while anp.linalg.norm(b) < 1000:
        b = b * 2.0
    if anp.sum(b) > 0:
        return b * b
    return -b


@pytest.mark.parametrize("b0", [[1.0, 2.0, 3.0], [-4.0, 1.5, -2.0]], ids=["positive", "negative"])
def test_control_flow_follows_the_primal(b0):
    b0 = np.array(b0)
    doublings = math.ceil(math.log2(1000 / np.linalg.norm(b0)))
    scale = 2.0**doublings
    expected = np.diag(2 * scale**2 * b0) if b0.sum() > 0 else -scale * np.eye(3)
    J = ad.jacfwd(doubling)(b0)
    np.testing.assert_allclose(J, expected, rtol=1e-12)
    np.testing.assert_allclose(J, numeric_jacobian(doubling, b0), rtol=1e-7)
    v = np.array([1.0, 0.0, -1.0])
    np.testing.assert_allclose(ad.jvp(doubling, (b0,), (v,))[1], expected @ v, rtol=1e-12)
    g = ad.grad(lambda b: anp.sum(doubling(b)), mode="forward")(b0)
    np.testing.assert_allclose(g, expected.sum(axis=0), rtol=1e-12)


# ---- 6. bad input --------------------------------------------------------------------------------------

def test_tangent_of_the_wrong_shape_names_the_argument_and_both_shapes():
    with pytest.raises(ValueError, match=r"tangent 1 has shape \(2,\) but primal 1 has shape \(3,\)"):
        ad.jvp(lambda x, y: x + y[:2], (np.ones(2), np.ones(3)), (np.ones(2), np.ones(2)))
    with pytest.raises(ValueError, match=r"Dual: tangent has shape \(3, 1\) but the primal has shape \(3,\)"):
        Dual(np.ones(3), np.ones((3, 1)))


def test_tangent_of_the_wrong_dtype_names_the_argument_and_both_dtypes():
    with pytest.raises(TypeError, match=r"tangent 0 has dtype float64 but primal 0 has dtype float32 "
                                        r"\(shape \(3,\)\).*astype\(np.float32\)"):
        ad.jvp(anp.sin, (np.ones(3, np.float32),), (np.ones(3),))
    with pytest.raises(TypeError, match="tangent 0 has dtype int64 but primal 0 has dtype float64"):
        ad.jvp(anp.sin, (np.ones(3),), (np.ones(3, np.int64),))
    with pytest.raises(TypeError, match="tangent 0 has dtype complex128"):
        ad.jvp(anp.sin, (np.ones(3),), (np.ones(3, complex),))
    with pytest.raises(TypeError, match="Dual: tangent has dtype float32 but the primal has dtype float64"):
        Dual(np.ones(2), np.ones(2, np.float32))
    # Python numbers are converted to the primal's dtype
    assert ad.jvp(lambda x: 2 * x, (np.ones((), np.float32),), (1,))[1].dtype == np.float32


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.bool_, np.uint8])
def test_integer_or_bool_primal_where_a_derivative_is_asked(dtype):
    x = np.ones(3, dtype)
    name = np.dtype(dtype).name
    with pytest.raises(TypeError, match=rf"jvp: primal 0 has dtype {name} \(shape \(3,\)\).*astype\(float\)"):
        ad.jvp(anp.sin, (x,), (np.ones(3),))
    with pytest.raises(TypeError, match=rf"jacfwd: argument 1 has dtype {name} \(shape \(3,\)\)"):
        ad.jacfwd(lambda a, b: a * b, argnums=1)(np.ones(3), x)
    with pytest.raises(TypeError, match=rf"argument 0 has dtype {name}"):
        ad.grad(lambda a: anp.sum(a * 1.0), mode="forward")(x)
    with pytest.raises(TypeError, match=rf"Dual: primal has dtype {name}"):
        Dual(x, np.ones(3))


def test_an_integer_argument_that_is_not_differentiated_is_fine():
    f = lambda x, n: anp.sum(x ** n)  # noqa: E731
    assert ad.grad(f, mode="forward")(np.array([1.0, 2.0]), np.array(3)).tolist() == [3.0, 12.0]


def test_complex_primal_is_refused():
    with pytest.raises(TypeError, match="complex"):
        ad.jvp(anp.sin, (np.ones(2, complex),), (np.ones(2),))


def test_forward_grad_of_a_non_scalar_function_names_the_shape():
    with pytest.raises(TypeError, match=r"scalar output, but f returned shape \(3,\).*\.sum\(\).*jacfwd"):
        ad.grad(anp.sin, mode="forward")(np.ones(3))
    with pytest.raises(TypeError, match=r"shape \(2, 2\)"):
        ad.value_and_grad(lambda x: anp.outer(x, x), mode="forward")(np.ones(2))


def test_malformed_calls_get_clear_errors():
    with pytest.raises(TypeError, match=r"primals must be a tuple.*\(primal,\)"):
        ad.jvp(anp.sin, np.ones(2), (np.ones(2),))
    with pytest.raises(ValueError, match="2 primals but 1 tangents"):
        ad.jvp(anp.add, (np.ones(2), np.ones(2)), (np.ones(2),))
    with pytest.raises(TypeError, match="argnums must be an int or a non-empty tuple"):
        ad.jacfwd(anp.sin, argnums=1.0)(np.ones(2))
    with pytest.raises(ValueError, match="argnums 3 is out of range"):
        ad.jacfwd(anp.sin, argnums=3)(np.ones(2))
    with pytest.raises(TypeError, match=r"tangent 0 is a tuple where an array is required"):
        ad.jvp(anp.sin, (np.ones(2),), ((np.ones(1), np.ones(1)),))  # never stacked into one array


# ---- 7. inputs are never modified ----------------------------------------------------------------------

def test_inputs_are_never_modified_and_outputs_never_alias_them():
    x, v = RNG.normal(size=(3, 3)), RNG.normal(size=(3, 3))
    x_copy, v_copy = x.copy(), v.copy()

    def f(a):
        a = a + 0.0  # the tangent rule of add passes v straight through
        a[0, 0] = a[1, 1] * 2.0
        return anp.linalg.inv(a @ a.T + anp.eye(3)) + a

    for run in (lambda: ad.jvp(f, (x,), (v,)), lambda: ad.jacfwd(f)(x),
                lambda: ad.grad(lambda a: anp.sum(f(a)), mode="forward")(x),
                lambda: ad.value_and_grad(lambda a: anp.sum(f(a)), mode="forward")(x)):
        run()
        np.testing.assert_array_equal(x, x_copy)
        np.testing.assert_array_equal(v, v_copy)
    out, tangent = ad.jvp(lambda a: a, (x,), (v,))  # the identity: fresh arrays all the same
    out += 1.0
    tangent += 1.0
    out, tangent = ad.jvp(lambda a: a + 0.0, (x,), (v,))
    tangent *= 3.0
    out, tangent = ad.jvp(lambda a: a + anp.zeros((2, 3, 3)), (x,), (v,))  # a read-only broadcast
    tangent += 1.0
    np.testing.assert_array_equal(x, x_copy)
    np.testing.assert_array_equal(v, v_copy)
