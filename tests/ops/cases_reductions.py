"""Rule-test cases of the reductions (admodes/ops/reductions.py)."""

import numpy as np

from .harness import Case


def _params(d, ndim):
    return {"axis": d.axis(ndim), "keepdims": d.choice([False, True], label="keepdims")}


def _reduce(d):
    shape = d.shape()
    return (d.array(shape),), _params(d, len(shape))


def _separated(d, shape):
    """Values at least 0.08 apart (a shuffled grid, jittered): finite differences never swap the maximum."""
    size = int(np.prod(shape))
    grid = 0.1 * d.rng.permutation(size) - 0.05 * size + d.rng.uniform(-0.01, 0.01, size)
    return grid.reshape(shape).astype(d.dtype)


def _extreme(d):
    shape = d.shape()
    return (_separated(d, shape),), _params(d, len(shape))


def _large(d):
    """Far from the origin, where exp alone would overflow (1000) or underflow (-1000)."""
    shape = d.shape()
    offset = d.choice([0.0, 1000.0, -1000.0], label="offset")
    return ((d.array(shape) + offset).astype(d.dtype),), _params(d, len(shape))


def _softmax(d):
    (a,), params = _large(d)
    return (a,), {"axis": params["axis"]}


def _with_zeros(d, shape):
    """Values in [-1.5, 1.5] with one or more zeros at random places (prod is a polynomial: FD still works)."""
    a = d.array(shape, -1.5, 1.5).reshape(-1)
    zeros = d.rng.choice(a.size, size=d.integers(1, min(3, a.size), label="zeros"), replace=False)
    a[zeros] = 0.0
    return a.reshape(shape)


def _prod(d, zeros=False):
    shape = d.shape(min_dims=int(zeros))
    return (_with_zeros(d, shape) if zeros else d.array(shape, -1.5, 1.5),), _params(d, len(shape))


def _cumulative(d, zeros=False):
    shape = d.shape(min_dims=int(zeros))
    axis = d.choice([None, *range(-len(shape), len(shape))], label="axis")
    return (_with_zeros(d, shape) if zeros else d.array(shape, -1.5, 1.5),), {"axis": axis}


def _scan_params(d, ndim):
    return {"axis": d.axis(ndim, allow_none=False, allow_tuple=False),
            "reverse": d.choice([False, True], label="reverse")}


def _cumsum_reverse(d):
    shape = d.shape(min_dims=1)
    return (d.array(shape),), {"axis": d.axis(len(shape), allow_none=False, allow_tuple=False)}


def _cumprod_exclusive(d):
    shape = d.shape(min_dims=1)
    return (_with_zeros(d, shape),), _scan_params(d, len(shape))


def _linear_scan(d):
    shape = d.shape(min_dims=1)
    return (_with_zeros(d, shape), d.array(shape)), _scan_params(d, len(shape))


def _spread(d, separated=False):
    """var/std with ddof below the reduced count. std is not smooth where the deviation is 0, so its
    case gets well separated values (and at least 2 elements per output)."""
    shape = d.shape(min_dims=1, min_side=1 + separated)
    axis = d.axis(len(shape))
    count = int(np.prod([shape[ax] for ax in (range(len(shape)) if axis is None else np.atleast_1d(axis))]))
    a = _separated(d, shape) if separated else d.array(shape)
    return (a,), {"axis": axis, "keepdims": d.choice([False, True], label="keepdims"),
                  "ddof": d.integers(0, min(2, count - 1), label="ddof")}


def _tie_weights(d):
    shape = d.shape()
    return (_separated(d, shape),), {"axis": d.axis(len(shape)), "which": d.choice(["max", "min"], label="which")}


CASES = [
    Case("sum", _reduce),
    Case("mean", _reduce),
    Case("max", _extreme),
    Case("min", _extreme),
    Case("tie_weights", _tie_weights),
    Case("logsumexp", _reduce),
    Case("logsumexp", _large, label="logsumexp_large"),
    Case("softmax", _softmax),
    Case("var", _spread),
    Case("std", lambda d: _spread(d, separated=True)),
    Case("prod", _prod),
    Case("prod", lambda d: _prod(d, zeros=True), label="prod_zeros"),
    Case("cumsum", _cumulative),
    Case("cumsum_reverse", _cumsum_reverse),
    Case("cumprod", _cumulative),
    Case("cumprod", lambda d: _cumulative(d, zeros=True), label="cumprod_zeros"),
    Case("cumprod_exclusive", _cumprod_exclusive),
    Case("linear_scan", _linear_scan),
]
