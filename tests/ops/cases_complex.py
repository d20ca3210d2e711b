"""Rule-test cases of the complex parts (admodes/ops/complex.py: real, imag, conjugate) and the discrete
Fourier transforms (admodes/ops/fft.py); and, for tests/test_complex.py, the domains of ops whose complex
branch cuts cross their real cases' domains.

Every case here runs with real draws in tests/ops/test_rules.py like any other; tests/test_complex.py runs
them, and the cases of every primitive that takes complex values, with complex draws too.
"""

import numpy as np

from .harness import Case, elementwise

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


# ---- the discrete Fourier transforms (admodes/ops/fft.py) ---------------------------------------------

def _transform(d, real=False):
    """An array, an axis of it, an n (None, shorter, longer than that axis) and a norm."""
    shape = d.shape(min_dims=1, max_dims=3, max_side=5)
    axis = d.choice(range(-len(shape), len(shape)), label="axis")
    n = d.choice([None, max(1, shape[axis] - 1), shape[axis] + 2], label="n")
    a = d.array(shape)
    return (a.real if real else a), n, axis, d.choice([None, "ortho", "forward"], label="norm")


def _along_axis(real=False):
    def draw(d):
        a, n, axis, norm = _transform(d, real)
        return (a,), {"n": n, "axis": axis, "norm": norm}
    return draw


def _irfft(d):
    a, n, axis, norm = _transform(d)
    if n is None and np.shape(a)[axis] == 1:  # (the default n, 2 (m - 1), would be 0)
        n = 2
    return (a,), {"n": n, "axis": axis, "norm": norm}


CASES += [
    Case("fft.fft", _along_axis()),
    Case("fft.ifft", _along_axis()),
    Case("fft.rfft", _along_axis(real=True)),  # (a real input: NumPy's rfft refuses complex)
    Case("fft.irfft", _irfft),
]
