"""Rule-test cases of the rounding, remainder and sign primitives (admodes/ops/rounding.py).

Piecewise-constant ops and remainders are drawn away from their jumps (finite differences cannot see
across one); the values at nan and inf are pinned down in test_numpy_coverage.py.
"""

from .harness import Case, elementwise


def _half_integers(d, s):
    """k + 0.5 + noise in (-0.3, 0.3): at least 0.2 from every integer, where floor, ceil, rint, trunc jump."""
    return (d.rng.integers(-3, 3, size=s) + 0.5 + d.array(s, -0.3, 0.3)).astype(d.dtype)


def _near_integers(d, s):
    """k + noise in (-0.3, 0.3): at least 0.2 from every half-integer, where rint and round (to integers) jump."""
    return (d.rng.integers(-3, 3, size=s) + d.array(s, -0.3, 0.3)).astype(d.dtype)


def _tenths(d, s):
    """k / 10 + noise in (-0.03, 0.03): away from the jumps of rounding to one decimal (k / 10 + 0.05)."""
    return (d.rng.integers(-20, 20, size=s) / 10 + d.array(s, -0.03, 0.03)).astype(d.dtype)


def _odd(d, s):
    """2k + 1 + noise in (-0.3, 0.3), k in -2..2."""
    return (2 * d.rng.integers(-2, 3, size=s) + 1 + d.array(s, -0.3, 0.3)).astype(d.dtype)


def _about_two(d, s):
    """+-2 + noise in (-0.05, 0.05): with `_odd` numerators, x1 / x2 stays 0.29 or more from every integer."""
    return (d.array(s, 1.95, 2.05) * d.rng.choice([-1.0, 1.0], size=s)).astype(d.dtype)


def _away(d, s):
    return d.away_from_zero(s)


def _round(d):
    return (_tenths(d, d.shape()),), {"decimals": 1}


CASES = [
    elementwise("floor", _half_integers),
    elementwise("ceil", _half_integers),
    elementwise("rint", _near_integers),
    elementwise("trunc", _half_integers),
    elementwise("round", _near_integers, label="round_to_integers"),
    Case("round", _round, label="round_to_tenths"),
    elementwise("isnan_mask", (-2, 2)),
    elementwise("isfinite_mask", (-2, 2)),
    elementwise("mod", _odd, _about_two),
    elementwise("fmod", _odd, _about_two),
    elementwise("copysign", _away, _away),
    elementwise("nan_to_num", (-2, 2)),
]
