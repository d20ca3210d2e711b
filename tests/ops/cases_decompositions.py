"""Rule-test cases of the decompositions (admodes/ops/decompositions.py): svd, qr, pinv.

Inputs are built from their factors so the derivatives exist and finite differences see them: singular
values at least 0.5 apart and from 0, singular vectors (and Q's columns) close to the identity's columns,
so each has one clearly largest component (the sign convention's pivot) that a step does not change, and
R's diagonal far from 0. (They are appended to cases_linalg.CASES, which every op test reads.)
"""

import numpy as np

from .harness import Case


def _near_identity_frame(d, batch, rows, cols):
    """Orthonormal columns, each close to a column of the identity (its largest entry clearly largest)."""
    q, r = np.linalg.qr(np.eye(rows, cols) + 0.15 * d.rng.standard_normal(batch + (rows, cols)))
    return q * np.sign(np.diagonal(r, axis1=-2, axis2=-1))[..., None, :]


def _with_singular_values(d, low=0.5):
    """A (batch of) m x n matrices U diag(s) V^T with distinct singular values, at least 0.5 apart and ``low``
    from 0, in a random order of magnitude along the diagonal."""
    batch = tuple(d.shape(min_dims=0, max_dims=1, max_side=2))
    m, n = d.integers(1, 4, label="rows"), d.integers(1, 4, label="columns")
    k = min(m, n)
    s = low + np.cumsum(d.rng.uniform(0.5, 1.0, batch + (k,)), axis=-1) - 0.5
    s = np.take_along_axis(s, np.argsort(d.rng.random(batch + (k,)), axis=-1), axis=-1)
    u, v = _near_identity_frame(d, batch, m, k), _near_identity_frame(d, batch, n, k)
    return ((u * s[..., None, :]) @ np.swapaxes(v, -1, -2)).astype(d.dtype)


def _tall_full_rank(d):
    """m >= n with R's diagonal about n + 1: entries in [-1, 1] plus n + 1 on the top square's diagonal."""
    batch = tuple(d.shape(min_dims=0, max_dims=1, max_side=2))
    n = d.integers(1, 3, label="columns")
    m = n + d.integers(0, 2, label="extra rows")
    return (d.array(batch + (m, n), -1.0, 1.0) + (n + 1) * np.eye(m, n)).astype(d.dtype)


CASES = [
    Case("linalg.svd", lambda d: ((_with_singular_values(d),), {}), fd_rtol=1e-5),
    Case("linalg.qr", lambda d: ((_tall_full_rank(d),), {}), fd_rtol=1e-5),
    Case("linalg.pinv", lambda d: ((_with_singular_values(d),), {}), fd_rtol=1e-5),
]
