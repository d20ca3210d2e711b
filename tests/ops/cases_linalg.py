"""Rule-test cases of the linear-algebra primitives (admodes/ops/linalg.py)."""

CASES = []
