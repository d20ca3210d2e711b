"""Rounding, remainders and the other elementwise functions of NumPy beyond `elementwise`'s core.

Primitives: the rounding ops (`floor`, `ceil`, `rint`, `trunc`, `round`), piecewise constant, so their
derivative is zero (symbolic) as in JAX and autograd; the remainders `mod` (NumPy's ``%``, also published
as `remainder`) and `fmod`, whose derivatives are 1 for x1 and ``-floor(x1 / x2)`` (``-trunc(x1 / x2)``
for fmod) for x2, as autograd and JAX define them (the jumps are ignored, as for floor); `copysign`
(the sign donor x2 carries no derivative); `nan_to_num` (derivative 1 where x is finite, 0 where it is
replaced); and the masks `isnan_mask`/`isfinite_mask` (internal, 0/1 in x's dtype) the rules choose with.

Functions composed of primitives, which differentiate through their parts: `fix`, `around`, `fabs`,
`positive`, `pow`, `true_divide`, `float_power`, `fmax`, `fmin`, `logaddexp2`, `sinc`, `degrees`,
`radians`, `deg2rad`, `rad2deg`.

>>> floor(np.array([1.5, -1.5]))
array([ 1., -2.])
"""

import math

import numpy as np

from .declare import defrules, nondifferentiable
from .elementwise import (
    absolute,
    astype,
    defpartials,
    divide,
    logaddexp,
    maximum,
    minimum,
    power,
    sign,
    sin,
    where,
)
from .primitive import Primitive, register_function

__all__ = []  # (every op below is reached through the registry: admodes.numpy)

# ---- rounding: piecewise constant -------------------------------------------------------------------

floor = Primitive("floor", np.floor, doc=(
    "The largest integer <= x, elementwise: piecewise constant, so its derivative is zero (symbolic), as in "
    "JAX and autograd (the jumps are not seen).\n\n>>> floor(np.array([1.5, -1.5]))\narray([ 1., -2.])"))
nondifferentiable(floor, elementwise=True)

ceil = Primitive("ceil", np.ceil, doc=(
    "The smallest integer >= x, elementwise: derivative zero (symbolic).\n\n"
    ">>> ceil(np.array([1.5, -1.5]))\narray([ 2., -1.])"))
nondifferentiable(ceil, elementwise=True)

rint = Primitive("rint", np.rint, doc=(
    "x rounded to the nearest integer (halves to even), elementwise: derivative zero (symbolic).\n\n"
    ">>> rint(np.array([0.5, 1.5, -1.7]))\narray([ 0.,  2., -2.])"))
nondifferentiable(rint, elementwise=True)

trunc = Primitive("trunc", np.trunc, doc=(
    "x rounded toward zero, elementwise: derivative zero (symbolic).\n\n"
    ">>> trunc(np.array([1.7, -1.7]))\narray([ 1., -1.])"))
nondifferentiable(trunc, elementwise=True)


def _round_impl(x, decimals=0):
    return np.round(x, decimals)


round_ = Primitive("round", _round_impl, doc=(
    "x rounded to ``decimals`` decimals (halves to even), elementwise (also published as `around`): "
    "derivative zero (symbolic).\n\n>>> round_(np.array([1.25, 2.5]), decimals=1)\narray([1.2, 2.5])"))
nondifferentiable(round_, elementwise=True)
register_function("around")(round_)


@register_function("fix")
def fix(x):
    """x rounded toward zero (NumPy's `fix`, the same as `trunc` on floats): derivative zero.

    >>> fix(np.array([2.1, -2.9]))
    array([ 2., -2.])
    """
    return trunc(x)


# ---- masks the rules choose with ---------------------------------------------------------------------

isnan_mask = Primitive("isnan_mask", lambda x: np.isnan(x).astype(np.result_type(x, np.float32)), public=False,
                       doc="1 where x is nan, else 0, in x's float dtype: a mask for `where` (no derivative).")
nondifferentiable(isnan_mask, elementwise=True)

isfinite_mask = Primitive("isfinite_mask", lambda x: np.isfinite(x).astype(np.result_type(x, np.float32)),
                          public=False, doc="1 where x is finite, else 0, in x's float dtype (no derivative).")
nondifferentiable(isfinite_mask, elementwise=True)

# ---- remainders and signs ----------------------------------------------------------------------------

mod = Primitive("mod", np.mod, doc=(
    "The remainder of x1 / x2 with the sign of x2 (NumPy's ``%``; also published as `remainder`): "
    "x1 - floor(x1 / x2) x2. d/dx1 = 1, d/dx2 = -floor(x1 / x2), as autograd and JAX (the jumps, where "
    "x1 / x2 is an integer, are not seen).\n\n>>> mod(np.array([5.0, -5.0]), 3.0)\narray([2., 1.])"))
defpartials(mod, lambda ans, x1, x2: 1.0, lambda ans, x1, x2: -floor(x1 / x2), saves={"x1": (), "x2": ("x1", "x2")},
            jet="linear")
register_function("remainder")(mod)

fmod = Primitive("fmod", np.fmod, doc=(
    "The remainder of x1 / x2 with the sign of x1 (C's fmod): x1 - trunc(x1 / x2) x2. d/dx1 = 1, "
    "d/dx2 = -trunc(x1 / x2).\n\n>>> fmod(np.array([5.0, -5.0]), 3.0)\narray([ 2., -2.])"))
defpartials(fmod, lambda ans, x1, x2: 1.0, lambda ans, x1, x2: -trunc(x1 / x2), saves={"x1": (), "x2": ("x1", "x2")},
            jet="linear")

copysign = Primitive("copysign", np.copysign, nondiff=("x2",), doc=(
    "|x1| with the sign of x2, elementwise. d/dx1 = sign(x1) times x2's sign (0 at x1 == 0, the choice of "
    "absolute'(0) = 0); x2 gives only a sign, piecewise constant, so it carries no derivative.\n\n"
    ">>> copysign(np.array([2.0, -3.0]), -1.0)\narray([-2., -3.])"))
defrules(copysign, jvp=(lambda t, ans, x1, x2: t * (sign(x1) * copysign(1.0, x2)), None),
         vjp=(lambda g, ans, x1, x2: (sign(x1) * copysign(1.0, x2)) * g, None), saves=("x1", "x2"), elementwise=True,
         jet="linear")


def _nan_to_num_impl(x, nan=0.0, posinf=None, neginf=None):
    return np.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)


nan_to_num_ = Primitive("nan_to_num", _nan_to_num_impl, public=False, doc=(
    "x with nan, +inf and -inf replaced by constants: derivative 1 where x is finite, 0 where it is replaced."))
defrules(nan_to_num_, jvp=lambda t, ans, x, **p: where(isfinite_mask(x), t, 0.0),
         vjp=lambda g, ans, x, **p: where(isfinite_mask(x), g, 0.0), saves="x", elementwise=True, jet="linear")


@register_function("nan_to_num")
def nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
    """x with nan replaced by ``nan`` and infinities by ``posinf``/``neginf`` (the largest finite floats by
    default), NumPy's signature (``copy`` is ignored: admodes never writes into x). The derivative is 1
    where x is finite and 0 at the replaced values (constants).

    >>> nan_to_num(np.array([1.0, np.nan, -np.inf]), neginf=-9.0)
    array([ 1.,  0., -9.])
    """
    return nan_to_num_(x, nan=nan, posinf=posinf, neginf=neginf)


# ---- functions composed of primitives ----------------------------------------------------------------

register_function("fabs")(absolute)
register_function("pow")(power)
register_function("true_divide")(divide)


@register_function("positive")
def positive(x):
    """+x: the identity (derivative 1).

    >>> positive(np.array([-1.0, 2.0]))
    array([-1.,  2.])
    """
    return +x


def _as_float64(x):
    dtype = getattr(x, "dtype", None)
    return x if dtype is None or dtype == np.float64 else astype(x, dtype=np.dtype(np.float64))


@register_function("float_power")
def float_power(x1, x2):
    """x1 ** x2 computed in float64 (NumPy's `float_power`): `power` on the arguments cast to float64.

    >>> float_power(np.array([2.0], np.float32), 3).dtype
    dtype('float64')
    """
    return power(_as_float64(x1), _as_float64(x2))


def _nan_aware(choose):
    def fn(x1, x2):
        # A nan argument is replaced by the other one before `choose` sees it, so the result is the other
        # one (nan only when both are) and its derivative goes there whole: no nan * 0 in a where's rule.
        a = where(isnan_mask(x1), x2, x1)
        return choose(a, where(isnan_mask(x2), a, x2))
    return fn


@register_function("fmax")
def fmax(x1, x2):
    """The larger of x1 and x2, elementwise, ignoring nan: `maximum` (ties split 0.5/0.5), and where one is
    nan the derivative goes to the other.

    >>> fmax(np.array([1.0, np.nan]), np.array([np.nan, 2.0]))
    array([1., 2.])
    """
    return _nan_aware(maximum)(x1, x2)


@register_function("fmin")
def fmin(x1, x2):
    """The smaller of x1 and x2, elementwise, ignoring nan (see `fmax`).

    >>> fmin(np.array([1.0, np.nan]), np.array([np.nan, 2.0]))
    array([1., 2.])
    """
    return _nan_aware(minimum)(x1, x2)


LN2 = math.log(2.0)


@register_function("logaddexp2")
def logaddexp2(x1, x2):
    """log2(2**x1 + 2**x2), elementwise, without overflow: `logaddexp` in base 2.

    >>> logaddexp2(np.array([1.0]), np.array([1.0]))
    array([2.])
    """
    return logaddexp(x1 * LN2, x2 * LN2) / LN2


@register_function("sinc")
def sinc(x):
    """sin(pi x) / (pi x), 1 at 0 (NumPy's normalized sinc). Its derivative is 0 at x == 0 (exact), but
    its second derivative there comes out 0 instead of -pi²/3 (the ratio is replaced by its limit).

    >>> sinc(np.array([0.0, 0.5]))
    array([1.        , 0.63661977])
    """
    y = math.pi * where(x, x, 1.0)  # x as the condition: nonzero
    return where(x, sin(y) / y, 1.0)


@register_function("degrees")
def degrees(x):
    """Radians to degrees: x * 180 / pi (also published as `rad2deg`).

    >>> degrees(np.array([math.pi]))
    array([180.])
    """
    return x * (180.0 / math.pi)


@register_function("radians")
def radians(x):
    """Degrees to radians: x * pi / 180 (also published as `deg2rad`).

    >>> radians(np.array([180.0]))
    array([3.14159265])
    """
    return x * (math.pi / 180.0)


register_function("rad2deg")(degrees)
register_function("deg2rad")(radians)
