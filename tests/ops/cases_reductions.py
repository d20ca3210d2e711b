"""Rule-test cases of the reductions (admodes/ops/reductions.py)."""

import numpy as np

from .harness import Case


def _params(d, ndim):
    return {"axis": d.axis(ndim), "keepdims": d.choice([False, True], label="keepdims")}


def _reduce(d):
    shape = d.shape()
    return (d.array(shape),), _params(d, len(shape))


def _separated(d):
    """Values at least 0.08 apart (a shuffled grid, jittered): finite differences never swap the maximum."""
    shape = d.shape()
    size = int(np.prod(shape))
    grid = 0.1 * d.rng.permutation(size) - 0.05 * size + d.rng.uniform(-0.01, 0.01, size)
    return (grid.reshape(shape).astype(d.dtype),), _params(d, len(shape))


def _large(d):
    """logsumexp far from the origin: exp alone would overflow (1000) or underflow (-1000)."""
    shape = d.shape()
    offset = d.choice([1000.0, -1000.0], label="offset")
    return ((d.array(shape) + offset).astype(d.dtype),), _params(d, len(shape))


def _tie_weights(d):
    (a,), params = _separated(d)
    return (a,), {"axis": params["axis"], "which": d.choice(["max", "min"], label="which")}


CASES = [
    Case("sum", _reduce),
    Case("mean", _reduce),
    Case("max", _separated),
    Case("min", _separated),
    Case("tie_weights", _tie_weights),
    Case("logsumexp", _reduce),
    Case("logsumexp", _large, label="logsumexp_large"),
]
