"""Jacobians in one sweep on the batching engine (`batched_jacfwd`, `batched_jacrev`), every direction pushed
through at once as a `Batched` tangent or cotangent. (`vmap`, the engine's other transform, is in `mapping`.)

`batched_jacfwd` seeds a `Dual` whose tangent is the batch of all the input's basis directions, so every
JVP rule runs once on all of them; `batched_jacrev` seeds the backward sweep with the batch of all the
output's basis cotangents. ``batch_size=k`` runs k directions per sweep; by default
`automatic_chunk_size` picks k from a memory budget (all directions, unless the Jacobian is large).
`batched_jacfwd` makes its batch just before its dual, so the batch sits outside the dual's perturbation
(``vmap`` of ``jvp``, in JAX's terms); `batched_jacrev` makes it just before the backward sweep, which
reads only the tape's saved values. So the batched Jacobians nest with every other
transform (a Hessian is ``batched_jacfwd(batched_jacrev(f))``) and run inside `vmap`.

    >>> import numpy as np, admodes.numpy as anp
    >>> batched_jacrev(lambda x: anp.sum(x * x))(np.array([1.0, 2.0]))   # one sweep, both directions
    array([2., 4.])
"""

from __future__ import annotations

import math

import numpy as np

from ..batching import Batched, unbatch
from ..forward import Dual
from ..inputs import (
    check_argnums,
    check_batch_size,
    check_holomorphic,
    check_holomorphic_output,
    float_dtype,
    in_dtype,
    single_output,
)
from ..ops.core import FUNCTIONS, REGISTRY, Traced, new_level, shape_of
from ..reverse import Tensor, run_backward
from .outputs import own, primal_and_tangent

__all__ = ["batched_jacfwd", "batched_jacrev", "automatic_chunk_size", "batched_or_per_direction",
           "reads_batched_values", "chunk_of"]


# ----------------------------------------------------------------------------------------------------
# Jacobians in one sweep, or in chunks of directions sized to a memory budget
# ----------------------------------------------------------------------------------------------------

CHUNK_BUDGET_BYTES = 32 << 20
"""The least memory the automatic chunk size lets the batched values of one sweep take (32 MiB)."""

CHUNK_JACOBIAN_FACTOR = 4
"""The automatic budget grows with the result: at most this many times the Jacobian's own bytes."""


def automatic_chunk_size(directions, per_direction_bytes, jacobian_bytes=0):
    """How many directions one batched sweep carries when the caller gives no ``chunk_size``.

    A batched sweep holds, for each value of ``f`` it computes, one array per direction: k directions cost
    about k times what one sweep's tangents (or cotangents) take. One direction's share is estimated from
    what the sweep must hold at least: a tangent of the input and one of the output, ``per_direction_bytes``
    = itemsize x max(input size, output size). The budget is the larger of `CHUNK_BUDGET_BYTES` and
    `CHUNK_JACOBIAN_FACTOR` times the Jacobian's own bytes (which the result takes anyway), so small
    Jacobians take one sweep, and a large one costs a few times its own size. A function whose intermediate
    values are much larger than its input and output needs more than estimated: give ``chunk_size=``.

    >>> automatic_chunk_size(1000, 8 * 1000, 8 * 1000 * 10)        # tanh(A x), 1000 inputs: one sweep
    1000
    >>> automatic_chunk_size(10**6, 8 * 10**6, 8 * 10**6)          # a gradient by forward mode: 4 at a time
    4
    """
    budget = max(CHUNK_BUDGET_BYTES, CHUNK_JACOBIAN_FACTOR * jacobian_bytes)
    return int(max(1, min(directions, budget // max(per_direction_bytes, 1))))


def _basis(start, stop, n, shape, dtype):
    """The unit vectors e_start, ..., e_(stop-1) of R^n, each of ``shape``, stacked (written as `np.eye`
    does: a strided slice, not a fancy index)."""
    basis = np.zeros((stop - start, n), dtype)
    basis.reshape(-1)[start::n + 1] = 1
    return basis.reshape((stop - start,) + tuple(shape))


def _seed(start, stop, n, shape, dtype, level):
    """The directions start..stop-1 as one value: a `Batched` of them at ``level``, or, for a single
    direction, that direction itself (the per-direction sweep: no batching machinery)."""
    if stop - start == 1:
        return _basis(start, stop, n, shape, dtype)[0]
    return Batched._make(_basis(start, stop, n, shape, dtype), level)


def _stacked(x, level, k):
    """What a sweep seeded by `_seed` produced for its ``k`` directions, stacked along a new axis 0."""
    if k == 1:
        return (REGISTRY["reshape"] if isinstance(x, Traced) else np.reshape)(x, (1,) + shape_of(x))
    return unbatch(x, level, k)


def _join(chunks):
    if len(chunks) == 1:
        return chunks[0]
    if any(isinstance(c, Traced) for c in chunks):
        return FUNCTIONS["concatenate"](chunks, axis=0)
    return np.concatenate(chunks, axis=0)


def _itemsize(dtype):
    return np.dtype(dtype).itemsize


def batched_jacfwd(f, argnums=0, batch_size=None):
    """The Jacobian of ``f`` by forward mode, all input directions pushed through one sweep at once.

    The JVP rules run on a `Batched` tangent that holds ``batch_size`` basis directions of the input at a
    time (None: as many as `automatic_chunk_size` allows, usually all). Same result and layout as `jacfwd`:
    ``f(x).shape + x.shape``.

    >>> import admodes.numpy as anp
    >>> batched_jacfwd(lambda x: anp.sin(x) * 2.0)(np.array([0.0, 0.0]))
    array([[2., 0.],
           [0., 2.]])
    """
    batch_size = check_batch_size(batch_size, "jacfwd")

    def jacobian(*args):
        nums = check_argnums(argnums, len(args), "jacfwd")
        jacobians = [_forward_jacobian(f, args, i, check_holomorphic(args[i], f"argument {i}", "jacfwd", False,
                                                                        complex_ok=False), batch_size)
                     for i in nums]
        return jacobians[0] if isinstance(argnums, int) else tuple(jacobians)
    return jacobian


def _forward_jacobian(f, args, i, x, batch_size):
    x_shape, dtype = shape_of(x), float_dtype(x)
    n = math.prod(x_shape)
    if n == 0:  # no direction: no sweep; evaluate f once for the output's shape
        out = primal_and_tangent(f(*args), None, "jacfwd")[0]
        return np.zeros(shape_of(out) + x_shape, dtype)
    # f's output size is known after the first sweep only: the first chunk's size counts the input alone.
    step = batch_size or automatic_chunk_size(n, n * _itemsize(dtype))
    columns, start = [], 0
    while start < n:
        stop = min(start + step, n)
        batch_level = new_level()  # the batch first: it sits outside the sweep's perturbation
        moved = list(args)
        moved[i] = Dual._make(x, _seed(start, stop, n, x_shape, dtype, batch_level), new_level())
        out, tangent = primal_and_tangent(f(*moved), moved[i]._level, "jacfwd")
        if tangent is None:  # f does not depend on x
            tangent = np.zeros(shape_of(out), float_dtype(out))
        columns.append(_stacked(tangent, batch_level, stop - start))  # (directions,) + out's shape
        if batch_size is None and start == 0:
            m, item = math.prod(shape_of(out)), _itemsize(float_dtype(out))
            step = automatic_chunk_size(n, max(n, m) * item, n * m * item)
        start = stop
    stacked, out_shape = in_dtype(_join(columns), dtype), shape_of(out)
    if isinstance(stacked, Traced):
        return REGISTRY["reshape"](REGISTRY["moveaxis"](stacked, 0, -1), out_shape + x_shape)
    return own(np.moveaxis(stacked, 0, -1).reshape(out_shape + x_shape), args)


def batched_jacrev(f, argnums=0, batch_size=None):
    """The Jacobian of ``f`` by reverse mode: one backward sweep whose cotangent holds ``batch_size`` of the
    output's basis cotangents at once (None: as many as `automatic_chunk_size` allows, usually all). Same
    result and layout as `jacrev`: ``f(x).shape + x.shape``.

    >>> import admodes.numpy as anp
    >>> batched_jacrev(lambda x: x[::-1] * 1.0)(np.array([1.0, 2.0]))
    array([[0., 1.],
           [1., 0.]])
    """
    batch_size = check_batch_size(batch_size, "jacrev")

    def jacobian(*args):
        nums = check_argnums(argnums, len(args), "jacrev")
        level, args, leaves = new_level(), list(args), []
        for i in nums:
            x = check_holomorphic(args[i], f"argument {i}", "jacrev", False)  # (complex: f real-valued)
            # A view, so that an in-place op inside f can never write into the caller's array.
            args[i] = Tensor._make(x.view() if type(x) is np.ndarray else x, level, requires_grad=True)
            leaves.append(args[i])
        out = single_output(f(*args), "jacrev")
        ours = type(out) is Tensor and out._level == level
        out_value = out.data if ours else out
        check_holomorphic_output(out_value, "jacrev", False)  # (a complex output's rows need holomorphic=True)
        out_shape, dtype = shape_of(out_value), float_dtype(out_value)
        m = math.prod(out_shape)
        step = batch_size
        if step is None:
            n = sum(math.prod(shape_of(leaf.data)) for leaf in leaves)
            item = max(_itemsize(dtype), *(_itemsize(float_dtype(leaf.data)) for leaf in leaves))
            step = automatic_chunk_size(m, max(n, m) * item, n * m * item)
        rows = [[] for _ in leaves]
        for start in range(0, m, step):
            stop = min(start + step, m)
            found = [None] * len(leaves)
            batch_level = new_level()
            if ours and out._requires_grad:
                seed = _seed(start, stop, m, out_shape, dtype, batch_level)
                found = run_backward([out], [seed], leaves, retain_graph=stop < m, create_graph=False,
                                     accumulate=False)
            for row, leaf, g in zip(rows, leaves, found):
                in_shape = shape_of(leaf.data)
                row.append(_stacked(np.zeros(in_shape, float_dtype(leaf.data)) if g is None else g,
                                    batch_level, stop - start))
        jacobians = []
        for leaf, row in zip(leaves, rows):
            shape = out_shape + shape_of(leaf.data)
            if not row:  # an empty output: no sweep
                jacobians.append(np.zeros(shape, float_dtype(leaf.data)))
                continue
            stacked = in_dtype(_join(row), float_dtype(leaf.data))
            jacobians.append(REGISTRY["reshape"](stacked, shape) if isinstance(stacked, Traced)
                             else own(np.reshape(stacked, shape), args))
        return jacobians[0] if isinstance(argnums, int) else tuple(jacobians)
    return jacobian


# ----------------------------------------------------------------------------------------------------
# Batched when f allows it, one sweep per direction when it reads a batched value's plain value
# ----------------------------------------------------------------------------------------------------

def reads_batched_values(err):
    """Whether ``err`` is a TypeError raised by a `Batched` value itself: asked for its one plain value
    (NumPy on it, ``if``, ``.item()``), what code written for one direction at a time does and a batched
    sweep cannot follow.

    >>> try:
    ...     bool(Batched(np.zeros((2, 1))))
    ... except TypeError as err:
    ...     reads_batched_values(err)
    True
    """
    tb = err.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return isinstance(err, TypeError) and tb is not None and type(tb.tb_frame.f_locals.get("self")) is Batched


def chunk_of(batch, chunk_size, who):
    """The directions per sweep that ``jacfwd``/``jacrev``'s ``batch`` and ``chunk_size`` ask for: None for
    the automatic size, k (``batch=k`` is kept as another spelling of ``chunk_size=k``).

    >>> chunk_of(True, None, "jacfwd"), chunk_of(True, 8, "jacfwd"), chunk_of(3, None, "jacrev")
    (None, 8, 3)
    """
    if batch is not True and not isinstance(batch, bool):
        if chunk_size is not None:
            raise ValueError(f"{who}: give the directions per sweep once, as chunk_size= (batch={batch!r} "
                             f"and chunk_size={chunk_size!r})")
        chunk_size = batch
    return check_batch_size(chunk_size, who, "chunk_size")


def batched_or_per_direction(batched, per_direction):
    """``batched``, a Jacobian function, falling back to ``per_direction`` (the same Jacobian, one sweep per
    direction) when ``f`` reads the plain value of a batched tangent or cotangent (a custom `Function` whose
    rule calls NumPy, a hook that prints its gradient): so every ``f`` the per-direction Jacobian
    differentiates, the batched default differentiates too, and with its errors.

    >>> jac = batched_or_per_direction(batched_jacfwd(lambda x: x * 2.0), lambda x: "never called")
    >>> jac(np.array([1.0]))
    array([[2.]])
    """
    def jacobian(*args):
        try:
            return batched(*args)
        except TypeError as err:
            if not reads_batched_values(err):
                raise
        return per_direction(*args)
    return jacobian
