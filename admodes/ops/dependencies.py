"""Sparsity rules (``deps=``) of the primitives whose dependencies are neither elementwise, nor moved, nor a
plain reduction: the products (contractions over their labels), the dense linear algebra, and the scatters.
Each primitive's declaration names its rule here (``deps=dependencies.matmul``); `admodes.sparse` reads it.

The rules are written against a small interface, ``kit``, that `admodes.sparse` passes in, so that the op
library never imports SciPy (``import admodes`` stays fast): a rule is ::

    rule(kit, deps, args, out_shape, params) -> the output's dependency matrix

``deps[i]`` is argument i's dependency matrix (opaque here: only ``kit`` handles it; None for a constant),
``args[i]`` its value (a rule reads shapes, never values, except a constant's, whose zeros no x changes) and
``params`` the static parameters. ``kit`` offers (each documented in `admodes.sparse.rules`):
``contraction(deps, shapes, labels, out_labels, out_shape)`` (an einsum-like product: the workhorse),
``elementwise(deps, args, out_shape, params)``, ``through_constant_matrix(deps, args)``, ``gather(D, src)``,
``group(D, target, n_out)``, ``union(parts, n, p)``, ``broadcast_rows(D, shape, out_shape)``,
``numbered(shape)``, ``reduce_target(shape, axes)`` and ``columns(deps)``.

    >>> matrices(0).__name__
    'matrices'
"""

from __future__ import annotations

import math

import numpy as np

from .primitive import shape_of

__all__ = ["matmul", "dot", "inner", "outer", "tensordot", "einsum", "trace", "matrices", "cholesky", "solve",
           "scatter_add", "index_add", "untake", "sum_to"]


def _batch_labels(shape, core, n_batch):
    """Labels of the leading (batch) axes of an operand with ``core`` trailing axes, right-aligned."""
    k = len(shape) - core
    return [f"batch{i}" for i in range(n_batch - k, n_batch)]


def matmul(kit, deps, args, out_shape, params):
    """Through a constant matrix's nonzeros when one side is one; else a contraction over the inner axis."""
    through_constant = kit.through_constant_matrix(deps, args)
    if through_constant is not None:
        return through_constant
    s1, s2 = (shape_of(a) for a in args)
    n_batch = max(len(s1) - 2, len(s2) - 2, 0)
    l1, o1 = (["k"], []) if len(s1) == 1 else (_batch_labels(s1, 2, n_batch) + ["i", "k"], ["i"])
    l2, o2 = (["k"], []) if len(s2) == 1 else (_batch_labels(s2, 2, n_batch) + ["k", "j"], ["j"])
    return kit.contraction(deps, [s1, s2], [l1, l2], [f"batch{i}" for i in range(n_batch)] + o1 + o2, out_shape)


def dot(kit, deps, args, out_shape, params):
    sa, sb = (shape_of(a) for a in args)
    if len(sa) <= 2 and len(sb) <= 2:  # dot is matmul on vectors and matrices
        through_constant = kit.through_constant_matrix(deps, args)
        if through_constant is not None:
            return through_constant
    if not sa or not sb:
        return kit.elementwise(deps, args, out_shape, params)
    la = [f"a{i}" for i in range(len(sa) - 1)] + ["k"]
    if len(sb) == 1:
        lb, out = ["k"], la[:-1]
    else:
        lb = [f"b{i}" for i in range(len(sb) - 2)] + ["k", "last"]
        out = la[:-1] + lb[:-2] + ["last"]
    return kit.contraction(deps, [sa, sb], [la, lb], out, out_shape)


def inner(kit, deps, args, out_shape, params):
    sa, sb = (shape_of(a) for a in args)
    if not sa or not sb:
        return kit.elementwise(deps, args, out_shape, params)
    la, lb = [f"a{i}" for i in range(len(sa) - 1)] + ["k"], [f"b{i}" for i in range(len(sb) - 1)] + ["k"]
    return kit.contraction(deps, [sa, sb], [la, lb], la[:-1] + lb[:-1], out_shape)


def outer(kit, deps, args, out_shape, params):
    sizes = [(math.prod(shape_of(a)),) for a in args]
    return kit.contraction(deps, sizes, [["i"], ["j"]], ["i", "j"], out_shape)


def tensordot(kit, deps, args, out_shape, params):
    sa, sb = (shape_of(a) for a in args)
    axes = params.get("axes", 2)
    if isinstance(axes, (int, np.integer)):
        ax_a, ax_b = list(range(len(sa) - axes, len(sa))), list(range(axes))
    else:
        ax_a, ax_b = ([a] if isinstance(a, (int, np.integer)) else list(a) for a in axes)
    la, lb = [f"a{i}" for i in range(len(sa))], [f"b{i}" for i in range(len(sb))]
    for k, (i, j) in enumerate(zip(ax_a, ax_b)):
        la[i % len(sa)] = lb[j % len(sb)] = f"c{k}"
    out = [lab for lab in la if lab[0] == "a"] + [lab for lab in lb if lab[0] == "b"]
    return kit.contraction(deps, [sa, sb], [la, lb], out, out_shape)


def einsum(einsum_labels):
    """einsum's rule, given the op library's subscript parser ``einsum_labels(subscripts, shapes)``."""
    def einsum(kit, deps, args, out_shape, params):
        shapes = [shape_of(a) for a in args]
        ins, out, _ = einsum_labels(params["subscripts"], shapes)
        return kit.contraction(deps, shapes, [list(s) for s in ins], list(out), out_shape)
    return einsum


def trace(kit, deps, args, out_shape, params):
    (d,), shape = deps, shape_of(args[0])
    offset, axis1, axis2 = params.get("offset", 0), params.get("axis1", 0), params.get("axis2", 1)
    diagonal = np.diagonal(kit.numbered(shape), offset, axis1, axis2)
    target, n_out = kit.reduce_target(diagonal.shape, (diagonal.ndim - 1,))
    return kit.group(kit.gather(d, diagonal), target, n_out)


def matrices(out_core, arg_cores=None):
    """Dense linear algebra: every output of a matrix depends on every element of the matrices it is computed
    from (each argument's trailing two axes, or ``arg_cores[k]`` of argument k), batched over the leading
    axes; ``out_core`` trailing axes per output (0 for det, 2 for inv)."""
    def matrices(kit, deps, args, out_shape, params):
        shapes = [shape_of(a) for a in args]
        n_batch = len(out_shape) - out_core
        cores = arg_cores or (2,) * len(shapes)
        labels = [_batch_labels(shape, cores[k], n_batch) + [f"core{k}_{c}" for c in range(cores[k])]
                  for k, shape in enumerate(shapes)]
        out = [f"batch{i}" for i in range(n_batch)] + ["i", "j"][:out_core]
        return kit.contraction(deps, shapes, labels, out, out_shape)
    return matrices


_whole_matrices = matrices(2)


def cholesky(kit, deps, args, out_shape, params):
    """Each element of the factor's triangle depends on the whole matrix; the other triangle is zeros."""
    n = out_shape[-1]
    triangle = np.triu(np.ones((n, n), bool)) if params.get("upper") else np.tril(np.ones((n, n), bool))
    inside = np.broadcast_to(triangle, out_shape).ravel()
    return kit.gather(_whole_matrices(kit, deps, args, out_shape, params),
                      np.where(inside, np.arange(inside.size), -1))


def solve(kit, deps, args, out_shape, params):
    sa, sb = (shape_of(a) for a in args)
    vector = len(sb) == 1  # NumPy 2: b is a stack of vectors only when it is 1-D
    n_batch = len(out_shape) - (1 if vector else 2)
    batch = [f"batch{i}" for i in range(n_batch)]
    la = _batch_labels(sa, 2, n_batch) + ["p", "q"]
    lb = ["r"] if vector else _batch_labels(sb, 2, n_batch) + ["r", "k"]
    return kit.contraction(deps, [sa, sb], [la, lb], batch + (["i"] if vector else ["i", "k"]), out_shape)


def _scatter_into(kit, d, values_shape, index, out_shape):
    """Rows of values scattered (repeats union) into an array of ``out_shape`` at ``index``."""
    positions = kit.numbered(out_shape)[index]
    return kit.group(kit.broadcast_rows(d, values_shape, np.shape(positions)), positions, math.prod(out_shape))


def scatter_add(kit, deps, args, out_shape, params):
    return _scatter_into(kit, deps[0], shape_of(args[0]), params["index"], out_shape)


def index_add(kit, deps, args, out_shape, params):
    (dx, dv), (x, v), n = deps, args, math.prod(out_shape)
    return kit.union([None if dx is None else kit.broadcast_rows(dx, shape_of(x), out_shape),
                      None if dv is None else _scatter_into(kit, dv, shape_of(v), params["index"], out_shape)],
                     n, kit.columns(deps))


def untake(kit, deps, args, out_shape, params):
    """The adjoint of take: each value goes back where take read it from (repeats union)."""
    values, indices = args
    target = np.take(kit.numbered(tuple(params["shape"])), indices, axis=params.get("axis"),
                     mode=params.get("mode", "raise"))
    return kit.group(kit.broadcast_rows(deps[0], shape_of(values), target.shape), target, math.prod(out_shape))


def sum_to(kit, deps, args, out_shape, params):
    shape = shape_of(args[0])
    return kit.group(deps[0], np.broadcast_to(kit.numbered(tuple(out_shape)), shape), math.prod(out_shape))
