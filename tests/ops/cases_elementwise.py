"""Rule-test cases of the elementwise primitives (admodes/ops/elementwise.py).

Domains keep away from singularities and from the non-smooth points (those are pinned down, value by
value, in test_elementwise.py): finite differences cannot check a derivative across a kink.
"""

from .harness import Case, elementwise


def _away(d, s):
    return d.away_from_zero(s)


def _lattice(offset, step=1):
    """Multiples of ``step`` plus ``offset`` plus noise in (-0.2, 0.2). Values from two lattices whose offsets
    differ by 0.5 (mod 1) stay at least 0.1 apart, so maximum, minimum and clip are drawn on both sides of
    their kinks, never on one."""
    def draw(d, s):
        return (step * d.rng.integers(-2, 3, size=s) + offset + d.array(s, -0.2, 0.2)).astype(d.dtype)
    return draw


def _integer_valued(d, s):
    return d.rng.integers(-3, 4, size=s).astype(d.dtype)


def _condition(d, s):
    return d.rng.random(s) < 0.5


def _power_python_exponent(d):
    """x ** n with a Python int n (the everyday x**2, and x**0 whose derivative is 0)."""
    x = d.away_from_zero(d.shape())
    return (x, d.choice([0, 1, 2, 3, -1, -2], label="exponent")), {}


def _power_python_base(d):
    """b ** x with a Python float base b (2.0 ** x)."""
    return (d.choice([0.5, 2.0, 3.0], label="base"), d.array(d.shape())), {}


def _clip_one_bound(missing):
    """clip with one bound None (no bound; held constant) and the other an array or a Python float."""
    def draw(d):
        s1, s2 = d.broadcastable_shapes(2)
        bound = _lattice(0.0)(d, s2) if d.choice(["array", "float"], label="bound") == "array" else 0.0
        return ((_lattice(0.5)(d, s1), None, bound) if missing == "a_min" else (_lattice(0.5)(d, s1), bound, None)), {}
    return draw


CASES = [
    # arithmetic
    elementwise("add", (-2, 2), (-2, 2)),
    elementwise("subtract", (-2, 2), (-2, 2)),
    elementwise("multiply", (-2, 2), (-2, 2)),
    elementwise("divide", (-2, 2), _away),
    elementwise("negative", (-2, 2)),
    Case("astype", lambda d: ((d.array(d.shape()),), {"dtype": d.dtype})),
    elementwise("reciprocal", _away),
    elementwise("square", (-2, 2)),
    # powers and roots
    elementwise("power", (0.3, 2), (-2, 2)),
    elementwise("power", _away, _integer_valued, constants=(1,), label="power_negative_base_integer_exponent"),
    Case("power", _power_python_exponent, constants=(1,), label="power_python_exponent"),
    Case("power", _power_python_base, constants=(0,), label="power_python_base"),
    elementwise("sqrt", (0.2, 3)),
    elementwise("cbrt", _away),
    # exponentials and logarithms
    elementwise("exp", (-2, 2)),
    elementwise("exp2", (-2, 2)),
    elementwise("expm1", (-2, 2)),
    elementwise("log", (0.2, 3)),
    elementwise("log2", (0.2, 3)),
    elementwise("log10", (0.2, 3)),
    elementwise("log1p", (-0.5, 2)),
    elementwise("logaddexp", (-3, 3), (-3, 3)),
    # trigonometry
    elementwise("sin", (-3, 3)),
    elementwise("cos", (-3, 3)),
    elementwise("tan", (-1.2, 1.2)),
    elementwise("arcsin", (-0.9, 0.9)),
    elementwise("arccos", (-0.9, 0.9)),
    elementwise("arctan", (-3, 3)),
    elementwise("arctan2", _away, _away),
    elementwise("hypot", _away, _away),
    # hyperbolic functions
    elementwise("sinh", (-2, 2)),
    elementwise("cosh", (-2, 2)),
    elementwise("tanh", (-2, 2)),
    elementwise("arcsinh", (-3, 3)),
    elementwise("arccosh", (1.2, 3)),
    elementwise("arctanh", (-0.8, 0.8)),
    # piecewise
    elementwise("sign", _away),
    elementwise("heaviside", _away, (0, 1)),
    elementwise("absolute", _away),
    elementwise("maximum", _lattice(0.0), _lattice(0.5)),
    elementwise("minimum", _lattice(0.0), _lattice(0.5)),
    # a_min on even, a_max on odd integers: never equal; a_min > a_max happens too (the output is a_max)
    elementwise("clip", _lattice(0.5), _lattice(0.0, step=2), _lattice(1.0, step=2)),
    Case("clip", _clip_one_bound("a_min"), constants=(1,), label="clip_a_min_none"),
    Case("clip", _clip_one_bound("a_max"), constants=(2,), label="clip_a_max_none"),
    elementwise("where", _condition, (-2, 2), (-2, 2)),
]
