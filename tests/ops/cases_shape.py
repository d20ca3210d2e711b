"""Rule-test cases of the shape and indexing primitives (admodes/ops/shape.py)."""

import numpy as np

from .harness import Case


def _broadcast_to(d):
    shape = d.shape(max_dims=3)
    target = tuple(d.choice([1, 2, 3]) for _ in range(d.integers(0, 2))) + tuple(
        d.choice([n, 3]) if n == 1 else n for n in shape)
    return (d.array(shape),), {"shape": target}


def _sum_to(d):
    (x,), params = _broadcast_to(d)
    return (d.array(params["shape"]),), {"shape": x.shape}


def _reshape(d):
    shape = d.shape()
    size = int(np.prod(shape))
    target = d.choice([(size,), (1, size), (size, 1), (-1,)] + ([shape[::-1]] if shape else []))
    return (d.array(shape),), {"shape": target}


def _transpose(d):
    shape = d.shape()
    axes = d.choice([None, tuple(d.rng.permutation(len(shape)).tolist())])
    return (d.array(shape),), {"axes": axes}


def _swapaxes(d):
    shape = d.shape(min_dims=1)
    return (d.array(shape),), {"axis1": d.integers(-len(shape), len(shape) - 1),
                               "axis2": d.integers(0, len(shape) - 1)}


CASES = [
    Case("transpose", _transpose),
    Case("swapaxes", _swapaxes),
    Case("broadcast_to", _broadcast_to),
    Case("sum_to", _sum_to),
    Case("reshape", _reshape),
]
