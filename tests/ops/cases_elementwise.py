"""Rule-test cases of the elementwise primitives (admodes/ops/elementwise.py)."""

from .harness import elementwise

CASES = [
    elementwise("add", (-2, 2), (-2, 2)),
    elementwise("subtract", (-2, 2), (-2, 2)),
    elementwise("multiply", (-2, 2), (-2, 2)),
    elementwise("divide", (-2, 2), lambda d, s: d.away_from_zero(s)),
    elementwise("negative", (-2, 2)),
    elementwise("exp", (-2, 2)),
    elementwise("log", (0.2, 3)),
    elementwise("sin", (-3, 3)),
    elementwise("cos", (-3, 3)),
]
