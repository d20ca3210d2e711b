"""Elementwise primitives: arithmetic, powers, exponentials and logarithms, trigonometry, hyperbolic
functions, and the piecewise ones (absolute value, sign, maximum, clip, where).

Most rules multiply the incoming tangent or cotangent by a partial derivative; `defpartials` writes
that pattern once, so each op below is one line of calculus, with what its partials read (``saves``).
Every op here is declared elementwise, which gives it the broadcasting batch rule. Broadcasting needs
no care in the rules: the engines sum cotangents back to each input's shape (`rules.unbroadcast`).

Two habits keep the rules honest:

- Constants are Python floats (``math.log(2.0)``, never ``np.log(2)``): a NumPy float64 scalar would
  turn float32 derivatives into float64 ones.
- Where a rule must choose by position (which argument of `maximum` wins, whether `clip` passed ``a``
  through), the choice is made by op-library calls: the piecewise-constant primitives `sign` and
  `heaviside` (masks of 0s and 1s, with symbolic zero derivatives), or the condition of `where`. So the
  rules read the same on plain arrays and on traced values, and derivatives of derivatives come out right.

Non-smooth points, one choice each (every op's ``doc`` says it): ``absolute'(0) = 0``; `maximum` and
`minimum` split a tie 0.5/0.5 between their arguments; `clip` passes the derivative to ``a`` on the closed
interval ``[a_min, a_max]``; ``sqrt'(0) = inf``; ``d/dy x**y = 0`` at ``x == 0``; `hypot` at the origin
has derivative 0.
"""

import math

import numpy as np

from . import jet_elementwise
from .declare import Fast, broadcasting_batch_rule, deflinear, defrules, nondifferentiable, pad_batched
from .primitive import Primitive, is_complex, op, register_function

__all__ = ["defpartials", "times_into", "broadcasting_batch_rule", "pad_batched"]  # (and every op below)


def defpartials(prim, *partials, saves=None, vjp=None, jvp_inplace=None, impl_into=None, **more):
    """Declare an elementwise `prim` by its partial derivatives d ans / d arg_i: one line of calculus.

    Each partial is ``partial(ans, *args)``; then jvp_i = t * partial and vjp_i = partial * g, and the fast
    in-place VJP forms compute partial * g into g. ``saves`` is what the partials read (`declare.defrules`);
    ``vjp`` may replace some arguments' product rules (None keeps it); ``jvp_inplace`` and ``impl_into`` are
    `declare.Fast`'s forms of those names; ``more`` goes to `defrules`. The
    partial, a fresh array, comes first in the product: NumPy then reuses its memory for the result even
    when g is a NumPy scalar (a uniform cotangent, see `rules.vjp_of`), where ``g * partial`` would
    allocate a second array.

    >>> cube = Primitive("cube_example", lambda x: x ** 3, registered=False)
    >>> defpartials(cube, lambda ans, x: 3.0 * x * x, saves="x")
    >>> cube.vjp_rules[0](np.ones(2), None, np.array([1.0, 2.0]))
    array([ 3., 12.])
    """
    if len(prim.argnames) == 1:  # (the common case, without packing *args on every call)
        jvps = tuple(lambda t, ans, x, _p=p: t * _p(ans, x) for p in partials)
        vjps = tuple(lambda g, ans, x, _p=p: _p(ans, x) * g for p in partials)
    else:
        jvps = tuple(lambda t, ans, *args, _p=p: t * _p(ans, *args) for p in partials)
        vjps = tuple(lambda g, ans, *args, _p=p: _p(ans, *args) * g for p in partials)
    if vjp is not None:
        vjps = tuple(mine if mine is not None else product for mine, product in zip(vjp, vjps))
    inplace = tuple(lambda g, ans, *args, _p=p: times_into(g, _p(ans, *args)) for p in partials)
    defrules(prim, jvp=jvps, vjp=vjps, saves=saves, elementwise=True,
             fast=Fast(vjp_inplace=inplace, jvp_inplace=jvp_inplace, impl_into=impl_into), **more)


def times_into(g, factor):
    """``g * factor`` written into ``g`` (an in-place VJP form); a TypeError, before any write, where the
    product would need a wider dtype than g's.

    >>> g = np.ones(2)
    >>> times_into(g, np.array([2.0, 3.0])) is g, g
    (True, array([2., 3.]))
    """
    return np.multiply(g, factor, out=g, casting="safe")


LN2, LN10 = math.log(2.0), math.log(10.0)

# ---- arithmetic ------------------------------------------------------------------------------------

# Fast joint JVPs, where both tangents together cost fewer array passes than the sum of the rules below:
# t1 - t2 in one pass (not -t2, then an add), and x * x's 2 x t in two (not t x + x t in three).

def _subtract_jvp(tangents, ans, args, params):
    t1, t2 = tangents
    if t2 is None:
        return t1
    return -t2 if t1 is None else t1 - t2


def _multiply_jvp(tangents, ans, args, params):
    (t1, t2), (x1, x2) = tangents, args
    if t1 is not None and t1 is t2 and x1 is x2:  # x * x, one value times itself
        return t1 * (2.0 * x1)
    out = None if t1 is None else t1 * x2
    if t2 is not None:
        out = x1 * t2 if out is None else out + x1 * t2
    return out


# In-place JVPs (`declare.Fast`'s jvp_inplace): the same sums, computed into the tangent tangents[i], which
# belongs to a temporary operand (`forward.Dual._apply_donating`) and has the result's shape and dtype; they
# read the primal arguments only (the result may not exist yet: it may go into the operand's primal next).

def _add_jvp_inplace(tangents, args, i):
    t1, t2 = tangents
    return tangents[i] if t1 is None or t2 is None else np.add(t1, t2, out=tangents[i])


def _subtract_jvp_inplace(tangents, args, i):
    t1, t2 = tangents
    if t2 is None:
        return t1
    return np.negative(t2, out=t2) if t1 is None else np.subtract(t1, t2, out=tangents[i])


def _multiply_jvp_inplace(tangents, args, i):
    out = np.multiply(tangents[i], args[1 - i], out=tangents[i])  # t_i times the other factor
    other = tangents[1 - i]
    if other is not None:
        out += args[i] * other
    return out



add = Primitive("add", np.add)
defrules(add, jvp=(lambda t, ans, x1, x2: t, lambda t, ans, x1, x2: t),
         vjp=(lambda g, ans, x1, x2: g, lambda g, ans, x1, x2: g), saves=(), elementwise=True, jet="linear",
         fast=Fast(jvp_inplace=_add_jvp_inplace))

subtract = Primitive("subtract", np.subtract, short="Sub")
defrules(subtract, jvp=(lambda t, ans, x1, x2: t, lambda t, ans, x1, x2: -t),
         vjp=(lambda g, ans, x1, x2: g, lambda g, ans, x1, x2: -g), saves=(), elementwise=True,
         fast=Fast(joint_jvp=_subtract_jvp, jvp_inplace=_subtract_jvp_inplace,
                   vjp_inplace=(lambda g, ans, x1, x2: g, lambda g, ans, x1, x2: np.negative(g, out=g))), jet="linear")

multiply = Primitive("multiply", np.multiply, short="Mul")
defrules(multiply, jvp=(lambda t, ans, x1, x2: t * x2, lambda t, ans, x1, x2: x1 * t),
         vjp=(lambda g, ans, x1, x2: g * x2, lambda g, ans, x1, x2: x1 * g),
         saves={"x1": "x2", "x2": "x1"}, elementwise=True,
         fast=Fast(joint_jvp=_multiply_jvp, jvp_inplace=_multiply_jvp_inplace,
                   vjp_inplace=(lambda g, ans, x1, x2: times_into(g, x2), lambda g, ans, x1, x2: times_into(g, x1)),
                   vjp_same=lambda g, ans, x: g * (2.0 * x),  # x * x: the two cotangents summed
                   vjp_same_inplace=lambda g, ans, x: np.multiply(times_into(g, x), 2.0, out=g)), jet="multilinear")

def _reciprocal(x):
    """1 / x as NumPy divides: a Python number x (``v / 0.0``) gives inf at 0 with NumPy's warning, where
    Python's ``1.0 / 0.0`` raises ZeroDivisionError; and stays a Python float, which widens no float32."""
    return float(np.divide(1.0, x)) if type(x) in (int, float) else 1.0 / x


def _divide_jvp_inplace(tangents, args, i):
    """t1 / x2 into t1 (one pass, where t1 * (1 / x2) takes two); the rest as the rules say."""
    if i != 0 or tangents[1] is not None:
        return NotImplemented
    return np.divide(tangents[0], args[1], out=tangents[0])


divide = Primitive("divide", np.divide, short="Div")
defpartials(divide, lambda ans, x1, x2: _reciprocal(x2),
                    lambda ans, x1, x2: -ans / x2, saves={"x1": "x2", "x2": ("ans", "x2")}, jet=jet_elementwise.divide,
            jvp_inplace=_divide_jvp_inplace)

negative = Primitive("negative", np.negative, short="Neg")
deflinear(negative, transpose=lambda g, ans, x: -g, saves=(), elementwise=True,
          fast=Fast(vjp_inplace=lambda g, ans, x: np.negative(g, out=g)))

def _astype_impl(x, dtype):
    x = np.asarray(x)
    if x.dtype.kind == "c" and np.dtype(dtype).kind != "c":  # complex to real: the real part (without
        x = x.real  # NumPy's ComplexWarning), which makes the cast real-linear, its transpose the cast back
    return x.astype(dtype)


astype = Primitive("astype", _astype_impl, argnames=("x",), public=False, doc=(
    "``x.astype(dtype)`` between float (and complex) dtypes: linear, so the tangent is cast forward and the "
    "cotangent back to x's dtype; complex to real keeps the real part, whose transpose is the cast back. "
    "(`ArrayLike.astype` refuses integer dtypes, which would drop the derivative.)"))
deflinear(astype, transpose=lambda g, ans, x, dtype: astype(g, x.dtype), saves="x.shape",
          batch=lambda args, batched, dtype: astype(args[0], dtype))

reciprocal = Primitive("reciprocal", np.reciprocal)
defpartials(reciprocal, lambda ans, x: -(ans * ans), saves="ans", jet=jet_elementwise.reciprocal)

square = Primitive("square", np.square)
defpartials(square, lambda ans, x: 2.0 * x, saves="x", jet=jet_elementwise.square)

# ---- powers and roots ------------------------------------------------------------------------------


def _power_dx1(ans, x1, x2):
    """d/dx1 x1**x2 = x2 x1**(x2 - 1): finite for integer x2 at negative x1, and 0 where x2 == 0 (x1**0
    is constant, even at x1 == 0, where x2 * x1**(x2 - 1) would be 0 * inf = nan)."""
    if isinstance(x2, (int, float)) and x2 != 0:  # a constant exponent: no zero exponent to guard
        return 2.0 * x1 if x2 == 2 else x2 * x1 ** (x2 - 1)  # x**2, the common case, without np.power
    return x2 * where(x2, x1, 1.0) ** (x2 - 1)  # x2 as the condition: nonzero


def _power_dx2(ans, x1, x2):
    """d/dx2 x1**x2 = x1**x2 log(x1): 0 at x1 == 0 (JAX's convention, instead of 0 * log 0 = nan), and
    nan at x1 < 0, where x1**x2 is not a real differentiable function of x2 (NumPy warns, as for log(-1))."""
    if isinstance(x1, (int, float)):  # a Python base (2.0 ** x): its log in Python keeps ans's dtype
        return ans * (math.log(x1) if x1 > 0 else 0.0 if x1 == 0 else math.nan)
    return where(x1, ans, 0.0) * log(where(x1, x1, 1.0))  # x1 as the condition: nonzero


def _power_impl(x1, x2):
    # NumPy's ** computes x ** 2 as square(x), which is also faster than np.power's general loop (x * x,
    # correctly rounded, is what pow gives too); traced code then runs the same arithmetic as plain code.
    return _power_into(None, x1, x2)


def _power_into(out, x1, x2):
    return np.square(x1, out=out) if type(x2) in (int, float) and x2 == 2 else np.power(x1, x2, out=out)


power = Primitive("power", _power_impl, argnames=("x1", "x2"), short="Pow", doc=(
    "x1 ** x2, elementwise, both arguments differentiable.\n\n"
    "d/dx1 = x2 x1**(x2-1) (finite at x1 < 0 for integer x2; 0 where x2 == 0); d/dx2 = x1**x2 log(x1), "
    "taken as 0 at x1 == 0 (JAX's convention) and nan at x1 < 0 (not real-differentiable there).\n\n"
    ">>> power(np.array([-2.0, 3.0]), 2)\narray([4., 9.])"))


def _power_vjp_x1(g, ans, x1, x2):
    """The cotangent of x1 with a constant exponent's factor put on g first: where g repeats one value (the
    cotangent `sum` broadcasts), ``(g * 2.0) * x1`` is one array pass, ``(2.0 * x1) * g`` two."""
    if isinstance(x2, (int, float)) and x2 != 0:
        return (g * 2.0) * x1 if x2 == 2 else (g * x2) * x1 ** (x2 - 1)
    return _power_dx1(None, x1, x2) * g  # (None: the partial never reads ans, so the tape need not keep it)


def _power_jvp_inplace(tangents, args, i):
    """A constant exponent's t x2 x1**(x2 - 1) into t: x**2's 2 x t without the array 2 x."""
    (t1, t2), (x1, x2) = tangents, args
    if i != 0 or t2 is not None or not isinstance(x2, (int, float)) or x2 == 0:
        return NotImplemented
    out = np.multiply(t1, x1 if x2 == 2 else x1 ** (x2 - 1), out=t1)
    out *= x2
    return out


defpartials(power, _power_dx1, _power_dx2, vjp=(_power_vjp_x1, None), saves={"x1": ("x1", "x2"), "x2": ("ans", "x1")},
            jet=jet_elementwise.power, jvp_inplace=_power_jvp_inplace, impl_into=_power_into)

sqrt = Primitive("sqrt", np.sqrt, doc=(
    "Square root, elementwise. sqrt'(x) = 1 / (2 sqrt(x)); sqrt'(0) = +inf, honestly (NumPy warns of the "
    "division by zero), as in NumPy, PyTorch and JAX.\n\n>>> sqrt(np.array([4.0]))\narray([2.])"))
defpartials(sqrt, lambda ans, x: 0.5 / ans, saves="ans", jet=jet_elementwise.sqrt)

cbrt = Primitive("cbrt", np.cbrt)
defpartials(cbrt, lambda ans, x: 1.0 / (3.0 * ans * ans), saves="ans", jet=jet_elementwise.cbrt)

# ---- exponentials and logarithms -------------------------------------------------------------------

exp = Primitive("exp", np.exp)
defpartials(exp, lambda ans, x: ans, saves="ans", jet=jet_elementwise.exp)

exp2 = Primitive("exp2", np.exp2)
defpartials(exp2, lambda ans, x: ans * LN2, saves="ans", jet=jet_elementwise.exp2)

expm1 = Primitive("expm1", np.expm1)
defpartials(expm1, lambda ans, x: ans + 1.0, saves="ans", jet=jet_elementwise.expm1)

log = Primitive("log", np.log)
defpartials(log, lambda ans, x: 1.0 / x, saves="x", jet=jet_elementwise.log)

log2 = Primitive("log2", np.log2)
defpartials(log2, lambda ans, x: 1.0 / (x * LN2), saves="x", jet=jet_elementwise.log2)

log10 = Primitive("log10", np.log10)
defpartials(log10, lambda ans, x: 1.0 / (x * LN10), saves="x", jet=jet_elementwise.log10)

log1p = Primitive("log1p", np.log1p)
defpartials(log1p, lambda ans, x: 1.0 / (1.0 + x), saves="x", jet=jet_elementwise.log1p)

logaddexp = Primitive("logaddexp", np.logaddexp, doc=(
    "log(exp(x1) + exp(x2)), elementwise, without overflow. d/dx1 = exp(x1 - ans), d/dx2 = exp(x2 - ans): the "
    "softmax weights of the pair (nan where both are -inf).\n\n"
    ">>> logaddexp(np.array([0.0]), np.array([0.0]))\narray([0.69314718])"))
defpartials(logaddexp, lambda ans, x1, x2: exp(x1 - ans),
                       lambda ans, x1, x2: exp(x2 - ans), saves={"x1": ("ans", "x1"), "x2": ("ans", "x2")},
            jet=jet_elementwise.logaddexp)

# ---- trigonometry ----------------------------------------------------------------------------------

sin = Primitive("sin", np.sin)
defpartials(sin, lambda ans, x: cos(x), saves="x", jet=jet_elementwise.sin)

cos = Primitive("cos", np.cos)
defpartials(cos, lambda ans, x: -sin(x), saves="x", jet=jet_elementwise.cos)

tan = Primitive("tan", np.tan)
defpartials(tan, lambda ans, x: 1.0 + ans * ans, saves="ans", jet=jet_elementwise.tan)

# (1 - x)(1 + x) rather than 1 - x*x: no cancellation near |x| = 1.
arcsin = Primitive("arcsin", np.arcsin)
defpartials(arcsin, lambda ans, x: 1.0 / sqrt((1.0 - x) * (1.0 + x)), saves="x", jet=jet_elementwise.arcsin)

arccos = Primitive("arccos", np.arccos)
defpartials(arccos, lambda ans, x: -1.0 / sqrt((1.0 - x) * (1.0 + x)), saves="x", jet=jet_elementwise.arccos)

arctan = Primitive("arctan", np.arctan)
defpartials(arctan, lambda ans, x: 1.0 / (1.0 + x * x), saves="x", jet=jet_elementwise.arctan)

arctan2 = Primitive("arctan2", np.arctan2, doc=(
    "The angle of the point (x2, x1), elementwise. d/dx1 = x2 / (x1² + x2²), d/dx2 = -x1 / (x1² + x2²); "
    "nan at the origin, where arctan2 is not continuous.\n\n"
    ">>> arctan2(np.array([1.0]), np.array([1.0]))\narray([0.78539816])"))


def _over_squared_radius(v, x1, x2):
    """v / (x1² + x2²) as v / r / r with r = hypot(x1, x2): no square underflows (inf at (1e-200, 1e-200))
    or overflows (0 at (1e200, 1e200))."""
    r = hypot(x1, x2)
    return v / r / r


defpartials(arctan2, lambda ans, x1, x2: _over_squared_radius(x2, x1, x2),
                     lambda ans, x1, x2: _over_squared_radius(-x1, x1, x2), saves=("x1", "x2"),
            jet=jet_elementwise.arctan2)

hypot = Primitive("hypot", np.hypot, doc=(
    "sqrt(x1² + x2²), elementwise. d/dx1 = x1 / hypot, d/dx2 = x2 / hypot; both 0 at the origin, where "
    "hypot is a cone (the choice of absolute'(0) = 0).\n\n"
    ">>> hypot(np.array([3.0]), np.array([4.0]))\narray([5.])"))
defpartials(hypot, lambda ans, x1, x2: x1 / where(ans, ans, 1.0),  # ans as the condition: x1 = 0 at ans = 0
                   lambda ans, x1, x2: x2 / where(ans, ans, 1.0), saves={"x1": ("ans", "x1"), "x2": ("ans", "x2")},
            jet=jet_elementwise.hypot)

# ---- hyperbolic functions --------------------------------------------------------------------------

sinh = Primitive("sinh", np.sinh)
defpartials(sinh, lambda ans, x: cosh(x), saves="x", jet=jet_elementwise.sinh)

cosh = Primitive("cosh", np.cosh)
defpartials(cosh, lambda ans, x: sinh(x), saves="x", jet=jet_elementwise.cosh)

tanh = Primitive("tanh", np.tanh)
defpartials(tanh, lambda ans, x: 1.0 - ans * ans, saves="ans", jet=jet_elementwise.tanh)

arcsinh = Primitive("arcsinh", np.arcsinh)
defpartials(arcsinh, lambda ans, x: 1.0 / (sqrt(1.0 + x * x) if is_complex(x) else hypot(x, 1.0)),
            saves="x", jet=jet_elementwise.arcsinh)  # sqrt(x² + 1), without x² overflowing (hypot is real only)

arccosh = Primitive("arccosh", np.arccosh)
defpartials(arccosh, lambda ans, x: 1.0 / (sqrt(x - 1.0) * sqrt(x + 1.0)), saves="x",
            jet=jet_elementwise.arccosh)  # (no product to overflow)

arctanh = Primitive("arctanh", np.arctanh)
defpartials(arctanh, lambda ans, x: 1.0 / ((1.0 - x) * (1.0 + x)), saves="x", jet=jet_elementwise.arctanh)

# ---- piecewise: sign and steps, absolute value, maximum and minimum, clip, where --------------------

sign = Primitive("sign", np.sign, doc=(
    "-1, 0 or 1 by the sign of x, elementwise: piecewise constant, so its derivative is zero (symbolic).\n\n"
    ">>> sign(np.array([-2.0, 0.0, 3.0]))\narray([-1.,  0.,  1.])"))
nondifferentiable(sign, elementwise=True)

heaviside = Primitive("heaviside", np.heaviside, nondiff=("x2",), doc=(
    "The step: 0 where x1 < 0, x2 where x1 == 0, 1 where x1 > 0. Piecewise constant in x1 (derivative zero); "
    "x2, the value at the step, is a parameter that carries no derivative. The rules below use it as a mask.\n\n"
    ">>> heaviside(np.array([-1.0, 0.0, 2.0]), 0.5)\narray([0. , 0.5, 1. ])"))
nondifferentiable(heaviside, elementwise=True)

absolute = Primitive("absolute", np.absolute, short="Abs", doc=(
    "|x|, elementwise (also published as `abs`). absolute'(x) = sign(x), so absolute'(0) = 0. For complex x, "
    "d|x| = Re(conj(x) dx) / |x| and the VJP is g conj(x) / |x| (JAX's convention: grad of |z|² at 3 + 4i is "
    "6 - 8i); 0 at x = 0.\n\n>>> absolute(np.array([-2.0, 3.0]))\narray([2., 3.])"))


def _conj_unit(x):
    """conj(x) / |x| for complex x (0 at 0, the choice of absolute'(0) = 0), written with ops."""
    r = absolute(x)
    return op("conjugate")(x) / where(r, r, 1.0)


def _abs_jvp(t, ans, x):
    return op("real")(t * _conj_unit(x)) if is_complex(x) else t * sign(x)


def _abs_vjp(g, ans, x):
    return _conj_unit(x) * g if is_complex(x) else sign(x) * g


defrules(absolute, jvp=_abs_jvp, vjp=_abs_vjp, saves="x", elementwise=True, jet="linear", fast=Fast(
    vjp_inplace=lambda g, ans, x: NotImplemented if is_complex(x) else times_into(g, sign(x))))
register_function("abs")(absolute)

maximum = Primitive("maximum", np.maximum, short="Max", doc=(
    "The larger of x1 and x2, elementwise. The derivative follows the larger argument; at a tie it is "
    "split 0.5/0.5 between them (as JAX and PyTorch do); a tie of two infinities gives nan (inf - inf).\n\n"
    ">>> maximum(np.array([1.0, 5.0]), 2.0)\narray([2., 5.])"))
defpartials(maximum, lambda ans, x1, x2: heaviside(x1 - x2, 0.5),
                     lambda ans, x1, x2: heaviside(x2 - x1, 0.5), saves=("x1", "x2"), jet="linear")

minimum = Primitive("minimum", np.minimum, short="Min", doc=(
    "The smaller of x1 and x2, elementwise. The derivative follows the smaller argument; at a tie it is "
    "split 0.5/0.5 between them (as JAX and PyTorch do); a tie of two infinities gives nan (inf - inf).\n\n"
    ">>> minimum(np.array([1.0, 5.0]), 2.0)\narray([1., 2.])"))
defpartials(minimum, lambda ans, x1, x2: heaviside(x2 - x1, 0.5),
                     lambda ans, x1, x2: heaviside(x1 - x2, 0.5), saves=("x1", "x2"), jet="linear")


def _clip_impl(a, a_min, a_max):
    # NumPy before 2.1 refuses two None bounds; no bound at all is the identity.
    return np.clip(a, a_min, a_max) if a_min is not None or a_max is not None else np.positive(a)


def _at_least(u, v):
    """1 where u >= v, else 0; 1 where either is None (no bound)."""
    return 1.0 if u is None or v is None else heaviside(u - v, 1.0)


def _passes(a, a_min, a_max):
    return _at_least(a, a_min) * _at_least(a_max, a)  # the closed interval passes the derivative to a


def _below(a, a_min, a_max):
    if a_min is None:
        return 0.0
    return heaviside(a_min - a, 0.0) * _at_least(a_max, a_min)  # a < a_min <= a_max: the output is a_min


_clip = Primitive("clip", _clip_impl, public=False, doc="`clip` with its three arguments by position.")
defpartials(_clip, lambda ans, a, a_min, a_max: _passes(a, a_min, a_max),
                   lambda ans, a, a_min, a_max: _below(a, a_min, a_max),
                   lambda ans, a, a_min, a_max: 1.0 - _passes(a, a_min, a_max) - _below(a, a_min, a_max),
            saves=("a", "a_min", "a_max"),
            jet="linear")  # (a None bound is an unbatched argument of rank 0 to batching)


@register_function("clip")
def clip(a, a_min=None, a_max=None, *, min=None, max=None):
    """``a`` limited to ``[a_min, a_max]``, elementwise; a bound may be None (no bound). NumPy's signature,
    with NumPy 2.1's ``min``/``max`` spellings of the bounds.

    The derivative goes to the argument the output equals: to ``a`` on the closed interval (a bound passes
    the derivative to ``a``, like PyTorch's clamp), to ``a_min`` below it, to ``a_max`` above it (and
    everywhere when ``a_min > a_max``, where NumPy returns ``a_max``).

    >>> clip(np.array([-1.0, 0.5, 2.0]), 0.0, 1.0)
    array([0. , 0.5, 1. ])
    """
    if min is not None:
        if a_min is not None:
            raise TypeError("clip: pass the lower bound once, as a_min or as min, not both")
        a_min = min
    if max is not None:
        if a_max is not None:
            raise TypeError("clip: pass the upper bound once, as a_max or as max, not both")
        a_max = max
    return _clip(a, a_min, a_max)


def _where(condition, x, y):
    return np.where(condition, x, y)


where = Primitive("where", _where, nondiff=("condition",), doc=(
    "x where condition holds, else y, elementwise (condition: a boolean mask, or any array, nonzero meaning "
    "true). The condition carries no derivative; x's and y's pass through where they are chosen.\n\n"
    ">>> where(np.array([True, False]), 1.0, np.array([5.0, 6.0]))\narray([1., 6.])"))
defrules(where,
         jvp=(None, lambda t, ans, condition, x, y: where(condition, t, 0.0),
                    lambda t, ans, condition, x, y: where(condition, 0.0, t)),
         vjp=(None, lambda g, ans, condition, x, y: where(condition, g, 0.0),
                    lambda g, ans, condition, x, y: where(condition, 0.0, g)),
         saves={"x": "condition", "y": "condition"}, elementwise=True, jet="linear")
