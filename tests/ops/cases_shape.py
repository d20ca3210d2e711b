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


# ---- indexing: each index kind drawn on its own, so a failure names the kind --------------------------

def _basic_index(d, shape):
    """Ints (negative too), slices with steps (negative too), full slices."""
    parts = []
    for n in shape:
        kind = d.choice(["int", "slice", "full"], label="kind")
        if kind == "int":
            parts.append(int(d.rng.integers(-n, n)))
        elif kind == "slice":
            step = d.choice([1, 2, -1, -2], label="step")
            start, stop = sorted(d.rng.integers(-n - 1, n + 1, size=2).tolist())
            parts.append(slice(start, stop, step) if step > 0 else slice(stop, start, step))
        else:
            parts.append(slice(None))
    return tuple(parts)


def _int_array(d, n, max_dims=1):
    """Integer positions along an axis of length n, negative ones and repeats included."""
    shape = d.shape(min_dims=1, max_dims=max_dims, max_side=5)
    return d.rng.integers(-n, n, size=shape)


def _index_of_kind(d, shape, kind):
    ndim = len(shape)
    if kind == "basic":
        return _basic_index(d, shape)
    if kind == "none_ellipsis":  # None adds an axis, Ellipsis stands for the axes in between
        axis = d.integers(0, ndim - 1, label="axis")
        return (None, Ellipsis, int(d.rng.integers(-shape[axis], shape[axis])), None)[: 2 + d.integers(0, 2)] \
            if axis == ndim - 1 else (Ellipsis, None, slice(None, None, -1))
    if kind == "int_array":  # one axis picked by an integer array with repeats, the rest sliced
        axis = d.integers(0, ndim - 1, label="axis")
        return tuple(_int_array(d, n, max_dims=2) if i == axis else slice(None) for i, n in enumerate(shape))
    if kind == "repeats":  # a 1-D x indexed by positions picked many times: [0, 0, 1] and friends
        return (d.rng.integers(0, min(2, shape[0]), size=d.integers(2, 6)),) + (slice(None),) * (ndim - 1)
    if kind == "two_arrays":  # advanced indices apart: the indexed axes move to the front
        return (_int_array(d, shape[0]), slice(None, None, 2), _int_array(d, shape[2])[:1])
    if kind == "mask":  # a boolean mask over all the axes
        return d.rng.random(shape) < 0.6
    if kind == "axis_mask":  # a 1-D boolean mask on one axis, with a slice and None around it
        return (slice(None), d.rng.random(shape[1]) < 0.6, None)
    if kind == "mixed":  # None, Ellipsis, an integer array and a negative int together
        return (None, _int_array(d, shape[0]), Ellipsis, -1)
    raise ValueError(kind)


_MIN_DIMS = {"basic": 1, "none_ellipsis": 1, "int_array": 1, "repeats": 1, "two_arrays": 3, "mask": 0,
             "axis_mask": 2, "mixed": 2}


def _indexed(kind):
    def draw(d):
        shape = d.shape(min_dims=_MIN_DIMS[kind])
        return shape, _index_of_kind(d, shape, kind)
    return draw


def _getitem(kind):
    def draw(d):
        shape, index = _indexed(kind)(d)
        return (d.array(shape),), {"index": index}
    return draw


def _scatter_add(kind):
    def draw(d):
        shape, index = _indexed(kind)(d)
        picked = np.empty(shape)[index].shape
        return (d.array(_maybe_broadcast(d, picked)),), {"index": index, "shape": shape}
    return draw


def _maybe_broadcast(d, shape):
    """``shape`` itself, or a shape that broadcasts to it (fewer axes, or ones)."""
    how = d.choice(["same", "trailing", "ones"], label="values_shape")
    if how == "trailing":
        return shape[d.integers(0, len(shape)):]
    if how == "ones":
        return tuple(1 if d.rng.random() < 0.5 else n for n in shape)
    return shape


def _assign(kind):
    def draw(d):
        shape, index = _indexed(kind)(d)
        picked = np.empty(shape)[index].shape
        return (d.array(shape), d.array(_maybe_broadcast(d, picked))), {"index": index}
    return draw


_INDEX_KINDS = ["basic", "none_ellipsis", "int_array", "repeats", "two_arrays", "mask", "axis_mask", "mixed"]
_ASSIGN_KINDS = ["basic", "int_array", "repeats", "mask", "mixed"]


# ---- axes, flattening, joining ------------------------------------------------------------------------

def _expand_dims(d):
    shape = d.shape()
    n = len(shape) + 1
    axis = d.choice([d.integers(-n, n - 1, label="axis"), (0, n), (1, 0)], label="axes")
    return (d.array(shape),), {"axis": axis}


def _squeeze(d):
    shape = tuple(d.choice([1, n], label="side") for n in d.shape(min_dims=1))
    ones = [i for i, n in enumerate(shape) if n == 1]
    axis = d.choice([None] + ([ones[0], tuple(ones), ones[-1] - len(shape)] if ones else []), label="axis")
    return (d.array(shape),), {"axis": axis}


def _ravel(d):
    return (d.array(d.shape()),), {"order": d.choice(["C", "F"], label="order")}


def _moveaxis(d):
    shape = d.shape(min_dims=1)
    n = len(shape)
    if d.choice([True, False], label="several") and n > 1:
        source = tuple(d.rng.permutation(n)[:2].tolist())
        destination = tuple(d.rng.permutation(n)[:2].tolist())
    else:
        source, destination = d.integers(-n, n - 1, label="source"), d.integers(0, n - 1, label="destination")
    return (d.array(shape),), {"source": source, "destination": destination}


def _concatenate(d):
    shape = d.shape(min_dims=1)
    count = d.integers(1, 4, label="count")
    axis = d.choice([None, *range(-len(shape), len(shape))], label="axis")
    if axis is None:  # any shapes: they are flattened
        return tuple(d.array(d.shape()) for _ in range(count)), {"axis": None}
    shapes = [shape[:axis % len(shape)] + (d.integers(0, 3, label="side"),) + shape[axis % len(shape) + 1:]
              for _ in range(count)]
    return tuple(d.array(s) for s in shapes), {"axis": axis}


def _stack(d):
    shape = d.shape()
    count = d.integers(1, 4, label="count")
    return tuple(d.array(shape) for _ in range(count)), {"axis": d.integers(-len(shape) - 1, len(shape), label="axis")}


# ---- repeating, flipping, triangles, diagonals, take, sort ---------------------------------------------

def _tile(d):
    shape = d.shape(max_dims=2)
    several = tuple(d.integers(1, 3, label="rep") for _ in range(d.integers(1, 3, label="len")))
    reps = d.choice([d.integers(1, 3, label="reps"), several], label="reps_kind")
    return (d.array(shape),), {"reps": reps}


def _repeat(d):
    shape = d.shape()
    axis = d.choice([None, *range(-len(shape), len(shape))], label="axis")
    length = int(np.prod(shape)) if axis is None else shape[axis]
    repeats = d.choice([d.integers(0, 3, label="count"), "per_element"], label="repeats_kind")
    if repeats == "per_element":
        repeats = d.rng.integers(0, 3, size=length)
    return (d.array(shape),), {"repeats": repeats, "axis": axis}


def _flip(d):
    shape = d.shape()
    return (d.array(shape),), {"axis": d.axis(len(shape))}


def _triangle(d):
    shape = d.shape(min_dims=1, max_dims=3)
    return (d.array(shape),), {"k": d.integers(-2, 2, label="k")}


def _diag(d):
    shape = d.shape(min_dims=1, max_dims=2, max_side=5)
    return (d.array(shape),), {"k": d.integers(-2, 2, label="k")}


def _take(d):
    shape = d.shape(min_dims=1)
    axis = d.choice([None, *range(-len(shape), len(shape))], label="axis")
    length = int(np.prod(shape)) if axis is None else shape[axis]
    mode = d.choice(["raise", "wrap", "clip"], label="mode")
    low, high = (-length, length) if mode == "raise" else (-2 * length, 2 * length)
    indices = d.rng.integers(low, high, size=d.shape(min_dims=0, max_dims=2, max_side=5))  # repeats, negatives
    return (d.array(shape), indices), {"axis": axis, "mode": mode}


def _untake(d):
    (a, indices), params = _take(d)
    taken = np.take(a, indices, params["axis"], mode=params["mode"])
    return (d.array(taken.shape), indices), {**params, "shape": a.shape}


def _sort(d):
    shape = d.shape(min_dims=1)
    axis = d.choice([None, *range(-len(shape), len(shape))], label="axis")
    # Distinct values at least 0.05 apart, so the finite-difference steps never reorder them.
    values = (d.rng.permutation(int(np.prod(shape))) * 0.05 - 0.5).reshape(shape).astype(d.dtype)
    return (values,), {"axis": axis}


def _permute_along(d):
    shape = d.shape(min_dims=1)
    key = d.rng.permutation(int(np.prod(shape))).reshape(shape).astype(d.dtype)  # the order; no derivative
    return (d.array(shape), key), {"axis": d.integers(-len(shape), len(shape) - 1, label="axis")}


CASES = [
    Case("transpose", _transpose),
    Case("swapaxes", _swapaxes),
    Case("broadcast_to", _broadcast_to),
    Case("sum_to", _sum_to),
    Case("reshape", _reshape),
    Case("expand_dims", _expand_dims),
    Case("squeeze", _squeeze),
    Case("ravel", _ravel),
    Case("moveaxis", _moveaxis),
    Case("concatenate", _concatenate),
    Case("stack", _stack),
    Case("tile", _tile),
    Case("repeat", _repeat),
    Case("flip", _flip),
    Case("triu", _triangle),
    Case("tril", _triangle),
    Case("diag", _diag),
    Case("take", _take),
    Case("untake", _untake),
    Case("sort", _sort),
    Case("sort_along", _permute_along),
    Case("unsort_along", _permute_along),
    *[Case("getitem", _getitem(kind), label=f"getitem[{kind}]") for kind in _INDEX_KINDS],
    *[Case("scatter_add", _scatter_add(kind), label=f"scatter_add[{kind}]") for kind in _ASSIGN_KINDS],
    *[Case("index_add", _assign(kind), label=f"index_add[{kind}]") for kind in _ASSIGN_KINDS],
    *[Case("index_update", _assign(kind), label=f"index_update[{kind}]") for kind in _ASSIGN_KINDS],
]
