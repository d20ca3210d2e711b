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
    # tanh has poles at i (pi / 2 + k pi): keep |Im z| < 1
    elementwise("tanh", (-0.8, 0.8), label="tanh_complex"),
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


# ---- eig (admodes/ops/eig.py) -------------------------------------------------------------------------

def _eig_matrix(d):
    """S diag(w) S^-1 with eigenvalues at least 0.5 apart and S = I + a quarter of a random matrix (well
    conditioned): real input may have a complex pair (a 2 x 2 block a +- ib); complex input complex ones."""
    n = d.integers(1, 4, label="side")
    batch = tuple(d.shape(min_dims=0, max_dims=1, max_side=2))
    spectrum = np.diag(d.rng.permutation(n) * 1.0 + d.rng.uniform(0.0, 0.5, n))
    if np.dtype(d.dtype).kind == "c":
        spectrum = spectrum + np.diag(1j * d.rng.uniform(-1.0, 1.0, n))
    elif n >= 2 and d.choice([False, True], label="complex pair"):
        a, b = spectrum[0, 0], d.rng.uniform(0.5, 1.5)
        spectrum[:2, :2] = [[a, -b], [b, a]]
    for _ in range(50):  # S again until eig is smooth within a finite-difference step (below)
        s = np.eye(n) + 0.25 * d.array(batch + (n, n))
        a = s @ spectrum @ np.linalg.inv(s)
        if n == 1 or _smooth_eig(a, d.rng):
            break
    return a.astype(d.dtype)


def _smooth_eig(a, rng):
    """Each eigenvector's largest component leads the next by 10% (the normalization, and so V, is smooth),
    and LAPACK keeps the eigenvalues' order under small perturbations (it may reorder them: a jump)."""
    w, v = np.linalg.eig(a)
    magnitudes = np.sort(np.abs(v), axis=-2)
    if not np.all(magnitudes[..., -1, :] > 1.1 * magnitudes[..., -2, :]):
        return False
    for _ in range(4):
        moved = np.linalg.eigvals(a + 1e-2 * rng.standard_normal(a.shape))
        if np.max(np.abs(moved - w)) > 0.2:
            return False
    return True


CASES += [Case("linalg.eig", lambda d: ((_eig_matrix(d),), {}), fd_rtol=1e-5)]
CASES += [Case("linalg.eig_largest", lambda d: ((_eig_matrix(d),), {}))]
