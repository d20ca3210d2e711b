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
