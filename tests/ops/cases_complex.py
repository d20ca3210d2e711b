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
    """S diag(w) S^-1 with eigenvalues at least 0.5 apart and S = I + a quarter of a random matrix, drawn
    again until its condition number is below 10 (it bounds the eigenvalues' sensitivity: the second
    derivatives stay small within a finite-difference step): real input may have a complex pair (a 2 x 2
    block a +- ib); complex input complex ones."""
    n = d.integers(1, 4, label="side")
    batch = tuple(d.shape(min_dims=0, max_dims=1, max_side=2))
    spectrum = np.diag(d.rng.permutation(n) * 1.0 + d.rng.uniform(0.0, 0.5, n))
    if np.dtype(d.dtype).kind == "c":
        spectrum = spectrum + np.diag(1j * d.rng.uniform(-1.0, 1.0, n))
    elif n >= 2 and d.choice([False, True], label="complex pair"):
        a, b = spectrum[0, 0], d.rng.uniform(0.5, 1.5)
        spectrum[:2, :2] = [[a, -b], [b, a]]
    for _ in range(50):  # S again until it is well conditioned and V's normalization is smooth (below)
        s = np.eye(n) + 0.25 * d.array(batch + (n, n))
        a = s @ spectrum @ np.linalg.inv(s)
        if np.all(np.linalg.cond(s) < 10) and (n == 1 or _smooth_normalization(a)):
            break
    return a.astype(d.dtype)


def _smooth_normalization(a):
    """Each eigenvector's largest component leads the next by 10%: the normalization (that component real
    and positive), and so V, is smooth within a finite-difference step."""
    magnitudes = np.sort(np.abs(np.linalg.eig(a)[1]), axis=-2)
    return bool(np.all(magnitudes[..., -1, :] > 1.1 * magnitudes[..., -2, :]))


def _in_the_order_of(moved, packed):
    """eig's packed output at a moved point with its eigenpairs in the order of ``packed``'s: LAPACK may
    order the eigenvalues differently after a perturbation far smaller than their gaps (a jump of the
    implementation, not of the function, which the JVP differentiates in the point's order). Each eigenvalue
    is paired with the nearest moved one; the draws keep them 0.5 apart."""
    moved, packed = np.asarray(moved), np.asarray(packed)
    w, w_moved = packed[..., :1, :], moved[..., :1, :]
    nearest = np.argmin(np.abs(w_moved[..., 0, :, None] - w[..., 0, None, :]), axis=-2)  # (..., n): per w
    if not np.all(np.sort(nearest, axis=-1) == np.arange(w.shape[-1])):
        return moved  # not a one-to-one pairing: left as is, so the check reports the jump
    return np.take_along_axis(moved, np.broadcast_to(nearest[..., None, :], moved.shape), axis=-1)


CASES += [Case("linalg.eig", lambda d: ((_eig_matrix(d),), {}), fd_rtol=1e-5, align=_in_the_order_of)]


def _led_columns(d):
    """Columns whose largest-magnitude component leads the next by at least 25%, at a random row: the mask
    `linalg.eig_largest` takes of them is constant within a finite-difference step (a tie would be a jump)."""
    n = d.integers(1, 4, label="side")
    v = d.array(tuple(d.shape(min_dims=0, max_dims=1, max_side=2)) + (n, n), low=-1.0, high=1.0)
    rows = d.rng.integers(n, size=v.shape[:-2] + (1, n))
    lead = 1.25 * np.sqrt(2.0) + d.rng.uniform(0.0, 1.0, rows.shape)  # above any other |v| (both parts <= 1)
    phase = np.sign(np.take_along_axis(v, rows, axis=-2))  # (z / |z| if complex)
    np.put_along_axis(v, rows, (lead * np.where(phase == 0, 1, phase)).astype(v.dtype), axis=-2)
    return v


CASES += [Case("linalg.eig_largest", lambda d: ((_led_columns(d),), {}))]
