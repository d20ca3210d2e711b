"""Transforms on the batching engine: `vmap`, and the Jacobians in one sweep (`batched_jacfwd`,
`batched_jacrev`), every direction pushed through at once as a `Batched` tangent or cotangent.

`batched_jacfwd` seeds a `Dual` whose tangent is the batch of all the input's basis directions, so every
JVP rule runs once on all of them; `batched_jacrev` seeds the backward sweep with the batch of all the
output's basis cotangents. ``batch_size=k`` runs k directions per sweep instead of all of them (less
memory). `batched_jacfwd` makes its batch just before its dual, so the batch sits outside the dual's
perturbation (``vmap`` of ``jvp``, in JAX's terms); `batched_jacrev` makes it just before the backward
sweep, which reads only the tape's saved values. So the batched Jacobians nest with every other
transform (a Hessian is ``batched_jacfwd(batched_jacrev(f))``) and run inside `vmap`.

    >>> import numpy as np, admodes.numpy as anp
    >>> vmap(lambda x: anp.sum(x * x))(np.array([[1.0, 2.0], [3.0, 4.0]]))   # one call, two sums
    array([ 5., 25.])
"""

from __future__ import annotations

import numpy as np

from ..batching import Batched, unbatch
from ..forward import Dual
from ..inputs import (
    check_argnums,
    check_batch_size,
    check_holomorphic_output,
    float_dtype,
    float_input,
    in_dtype,
    single_output,
)
from ..ops.core import FUNCTIONS, REGISTRY, Traced, new_level, shape_of
from ..reverse import Tensor, run_backward
from .outputs import own, primal_and_tangent

__all__ = ["vmap", "batched_jacfwd", "batched_jacrev"]


def vmap(f, in_axes=0):
    """``f`` mapped over an axis of its arguments, in one call: each op runs once on the whole batch.

    ``in_axes`` is the batched axis of every argument (an int), or a tuple with one entry per argument (an
    int, or None for an argument shared by all). The results are stacked along a new axis 0.

    >>> import admodes.numpy as anp
    >>> w = np.array([1.0, 10.0])
    >>> vmap(lambda x, w: anp.dot(x, w), in_axes=(0, None))(np.array([[1.0, 2.0], [3.0, 4.0]]), w)
    array([21., 43.])
    """
    def mapped(*args):
        axes = tuple(in_axes) if isinstance(in_axes, (tuple, list)) else (in_axes,) * len(args)
        if len(axes) != len(args):
            raise ValueError(f"vmap: in_axes has {len(axes)} entries for {len(args)} arguments")
        level, k, moved = new_level(), None, list(args)
        for i, (a, axis) in enumerate(zip(args, axes)):
            if axis is None:
                continue
            a = a if isinstance(a, Traced) else np.asarray(a)
            shape = shape_of(a)
            if not -len(shape) <= axis < len(shape):
                raise ValueError(f"vmap: in_axes {axis} of argument {i} is out of range for its shape {shape}")
            if k is not None and shape[axis] != k:
                raise ValueError(f"vmap: argument {i} has {shape[axis]} elements along axis {axis}, but an earlier "
                                 f"argument has {k}; batched axes must have one length")
            k = shape[axis]
            moved[i] = Batched._make(a if axis % len(shape) == 0 else REGISTRY["moveaxis"](a, axis, 0), level)
        if k is None:
            raise ValueError("vmap: no argument is batched (every in_axes entry is None)")
        if k == 0:
            raise ValueError("vmap: the batched axis has length 0")
        stacked = unbatch(single_output(f(*moved), "vmap"), level, k)
        return own(stacked, args)
    return mapped


# ----------------------------------------------------------------------------------------------------
# Jacobians in one sweep (or one per batch_size directions)
# ----------------------------------------------------------------------------------------------------

def _chunks(n, batch_size):
    """The ``(start, stop)`` of each sweep's directions: all ``n`` at once (none for n = 0), or ``batch_size``."""
    step = max(n, 1) if batch_size is None else batch_size
    return [(start, min(start + step, n)) for start in range(0, n, step)]


def _basis(start, stop, n, shape, dtype):
    """The unit vectors e_start, ..., e_(stop-1) of R^n, each of ``shape``, stacked."""
    basis = np.zeros((stop - start, n), dtype)
    basis[np.arange(stop - start), np.arange(start, stop)] = 1
    return basis.reshape((stop - start,) + tuple(shape))


def _join(chunks):
    if len(chunks) == 1:
        return chunks[0]
    if any(isinstance(c, Traced) for c in chunks):
        return FUNCTIONS["concatenate"](chunks, axis=0)
    return np.concatenate(chunks, axis=0)


def batched_jacfwd(f, argnums=0, batch_size=None):
    """The Jacobian of ``f`` by forward mode, all input directions pushed through one sweep at once.

    The JVP rules run on a `Batched` tangent that holds every basis direction of the input (``batch_size``
    of them per sweep, if given). Same result and layout as `jacfwd`: ``f(x).shape + x.shape``.

    >>> import admodes.numpy as anp
    >>> batched_jacfwd(lambda x: anp.sin(x) * 2.0)(np.array([0.0, 0.0]))
    array([[2., 0.],
           [0., 2.]])
    """
    batch_size = check_batch_size(batch_size, "jacfwd")

    def jacobian(*args):
        nums = check_argnums(argnums, len(args), "jacfwd")
        jacobians = [_forward_jacobian(f, args, i, float_input(args[i], f"jacfwd: argument {i}"), batch_size)
                     for i in nums]
        return jacobians[0] if isinstance(argnums, int) else tuple(jacobians)
    return jacobian


def _forward_jacobian(f, args, i, x, batch_size):
    x_shape, dtype = shape_of(x), float_dtype(x)
    n = int(np.prod(x_shape))
    if n == 0:  # no direction: no sweep; evaluate f once for the output's shape
        out = primal_and_tangent(f(*args), None, "jacfwd")[0]
        return np.zeros(shape_of(out) + x_shape, dtype)
    columns = []
    for start, stop in _chunks(n, batch_size):
        batch_level = new_level()  # the batch first: it sits outside the sweep's perturbation
        moved = list(args)
        moved[i] = Dual._make(x, Batched._make(_basis(start, stop, n, x_shape, dtype), batch_level), new_level())
        out, tangent = primal_and_tangent(f(*moved), moved[i]._level, "jacfwd")
        if tangent is None:  # f does not depend on x
            tangent = np.zeros(shape_of(out), float_dtype(out))
        columns.append(unbatch(tangent, batch_level, stop - start))  # (directions,) + out's shape
    stacked, out_shape = in_dtype(_join(columns), dtype), shape_of(out)
    if isinstance(stacked, Traced):
        return REGISTRY["reshape"](REGISTRY["moveaxis"](stacked, 0, -1), out_shape + x_shape)
    return own(np.moveaxis(stacked, 0, -1).reshape(out_shape + x_shape), args)


def batched_jacrev(f, argnums=0, batch_size=None):
    """The Jacobian of ``f`` by reverse mode: one backward sweep whose cotangent holds all the output's
    basis cotangents at once (``batch_size`` of them per sweep, if given). Same result and layout as
    `jacrev`: ``f(x).shape + x.shape``.

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
            x = float_input(args[i], f"jacrev: argument {i}")
            # A view, so that an in-place op inside f can never write into the caller's array.
            args[i] = Tensor._make(x.view() if type(x) is np.ndarray else x, level, requires_grad=True)
            leaves.append(args[i])
        out = single_output(f(*args), "jacrev")
        check_holomorphic_output(out, "jacrev", False)  # (a complex output's rows need holomorphic=True)
        ours = type(out) is Tensor and out._level == level
        out_value = out.data if ours else out
        out_shape, dtype = shape_of(out_value), float_dtype(out_value)
        m = int(np.prod(out_shape))
        rows = [[] for _ in leaves]
        for start, stop in _chunks(m, batch_size):
            found = [None] * len(leaves)
            batch_level = new_level()
            if ours and out._requires_grad:
                seed = Batched._make(_basis(start, stop, m, out_shape, dtype), batch_level)
                found = run_backward([out], [seed], leaves, retain_graph=stop < m, create_graph=False,
                                     accumulate=False)
            for row, leaf, g in zip(rows, leaves, found):
                in_shape = shape_of(leaf.data)
                row.append(unbatch(np.zeros(in_shape, float_dtype(leaf.data)) if g is None else g,
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

