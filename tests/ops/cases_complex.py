"""Rule-test cases of the complex parts (admodes/ops/complex.py: real, imag, conjugate); and, for tests/test_complex.py, the
domains of ops whose complex branch cuts cross their real cases' domains.

Every case here runs with real draws in tests/ops/test_rules.py like any other; tests/test_complex.py runs
them, and the cases of every primitive that takes complex values, with complex draws too.
"""

from .harness import elementwise


CASES = [
    elementwise("real", (-2, 2)),
    elementwise("imag", (-2, 2)),
    elementwise("conjugate", (-2, 2)),
]

COMPLEX_DOMAINS = [
    # arctan and arcsinh have branch cuts on the imaginary axis beyond +-i: keep |Im z| < 1
    elementwise("arctan", (-0.8, 0.8), label="arctan_complex"),
    elementwise("arcsinh", (-0.8, 0.8), label="arcsinh_complex"),
]
"""Cases for complex draws only, replacing the real cases of the same primitive (tests/test_complex.py)."""
