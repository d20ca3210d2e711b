"""How dependencies flow through each primitive: the rules of the sparsity tracer, by primitive name.

A value traced for sparsity carries its *dependency matrix* ``D``: a SciPy CSR boolean matrix of shape
``(value.size, p)`` whose row k holds the inputs element k may depend on (rows in C order). A rule maps
the arguments' matrices to the output's::

    rule(deps, args, out_shape, params) -> D_out

``deps[i]`` is argument i's matrix (None for a constant or a `nondiff` argument), ``args[i]`` its value
(rules read only its shape) and ``params`` the static parameters. Rules read shapes, never values, so
the pattern they give holds at every x (a global pattern); each rule may claim a dependency that is not
there (a false nonzero), never miss one. Most rules come from structure, not from a list:

- elementwise primitives keep dependencies elementwise, with broadcasting;
- linear shape ops move them: the op applied to an array of element numbers says which input element
  lands where (`moved`), so reshape, getitem, concatenate, diag ... need no rule of their own;
- reductions union them over the reduced axes, contractions (matmul, einsum, ...) over the contracted
  labels (`contraction`), scans over a prefix of the axis; dense linear algebra makes each output of a
  matrix depend on the whole matrix; a product with a constant NumPy matrix goes through its nonzeros
  (``A @ x`` with a banded A is banded: the one rule that reads values, a constant's, which no x changes);
- zero-derivative primitives (sign, comparisons' cousins) drop them: the tracer never calls a rule.

The explicit rules are kept here, by name, rather than in the op library's declarations (``defrules(...,
deps=...)``, which `rule_of` reads first): they build SciPy matrices, and a declaration that held them
would make ``import admodes`` load SciPy, which doubles its time. The one-line rules (a reduction, a lane,
whole matrices) could be named in a declaration as a kind (``deps="reduction"``) once that is wanted.

    >>> import numpy as np, scipy.sparse as sp
    >>> D = sp.eye_array(3, dtype=bool, format="csr")
    >>> rule_of(REGISTRY["flip"])([D], [np.zeros(3)], (3,), {"axis": None}).toarray().astype(int)
    array([[0, 0, 1],
           [0, 1, 0],
           [1, 0, 0]])
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp

from ..ops.core import REGISTRY, shape_of
from ..ops.products import einsum_labels  # einsum's label parser: one copy, in the op library

__all__ = ["RULES", "rule_of", "gather", "group", "empty"]


# ----------------------------------------------------------------------------------------------------
# Dependency matrices: gather rows, union them, group them
# ----------------------------------------------------------------------------------------------------

def empty(n, p):
    """n rows that depend on nothing."""
    return sp.csr_array((np.zeros(0, bool), np.zeros(0, np.int64), np.zeros(n + 1, np.int64)), shape=(n, p))


def gather(D, src):
    """The rows ``D[src[k]]`` for each k; ``src[k] < 0`` gives an empty row (an element that is a structural
    zero, like the zeros `triu` leaves). One vectorised ragged copy, no Python loop over rows."""
    src = np.asarray(src, np.int64).ravel()
    valid = src >= 0
    safe = np.where(valid, src, 0)
    counts = np.where(valid, np.diff(D.indptr)[safe], 0)
    indptr = np.zeros(len(src) + 1, np.int64)
    np.cumsum(counts, out=indptr[1:])
    total = int(indptr[-1])
    offsets = np.repeat(D.indptr[safe] - indptr[:-1], counts) + np.arange(total)
    return sp.csr_array((np.ones(total, bool), D.indices[offsets], indptr), shape=(len(src), D.shape[1]))


def group(D, target, n_out):
    """Row k of the result: the union of the rows r of D with ``target[r] == k`` (``target[r] < 0``: dropped)."""
    target = np.asarray(target, np.int64).ravel()
    keep = np.flatnonzero(target >= 0)
    M = sp.csr_array((np.ones(len(keep), bool), (target[keep], keep)), shape=(n_out, D.shape[0]))
    return M @ D


def _union(parts, n, p):
    parts = [d for d in parts if d is not None]
    if not parts:
        return empty(n, p)
    out = parts[0]
    for d in parts[1:]:
        out = out + d
    return out


def _p(deps):
    return next(d.shape[1] for d in deps if d is not None)


def _numbered(shape):
    return np.arange(math.prod(shape), dtype=np.int64).reshape(shape)


def _broadcast_rows(D, shape, out_shape):
    """D (rows of an array of ``shape``) as the rows of that array broadcast to ``out_shape``."""
    if tuple(shape) == tuple(out_shape):
        return D
    return gather(D, np.broadcast_to(_numbered(shape), out_shape))


def _axes(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    return tuple(sorted(a % ndim for a in axes))


def _reduce_target(shape, axes):
    """For each element of an array of ``shape``: the output element it feeds when ``axes`` are reduced."""
    kept = tuple(1 if i in axes else n for i, n in enumerate(shape))
    return np.broadcast_to(_numbered(kept), shape), math.prod(kept)


# ----------------------------------------------------------------------------------------------------
# The rule kinds
# ----------------------------------------------------------------------------------------------------

def elementwise(deps, args, out_shape, params):
    """Output element k depends on the element of each argument that broadcasts to k."""
    n = math.prod(out_shape)
    return _union([None if d is None else _broadcast_rows(d, shape_of(a), out_shape) for d, a in zip(deps, args)],
                  n, _p(deps))


def moved(prim):
    """A linear shape op's rule, exact: the op applied to arrays of element numbers (1, 2, ... across all
    arguments; 0 is nothing) gives the number of the element that lands at each output position."""
    def rule(deps, args, out_shape, params):
        p, numbered, blocks, start = _p(deps), [], [], 1
        for i, (d, a) in enumerate(zip(deps, args)):
            if not prim.variadic and i in prim.nondiff:  # an index: passed as it is
                numbered.append(a)
                continue
            shape = shape_of(a)
            size = math.prod(shape)
            numbered.append(np.arange(start, start + size, dtype=np.int64).reshape(shape))
            blocks.append(empty(size, p) if d is None else d)
            start += size
        landed = np.asarray(prim.impl(*numbered, **params))
        stacked = blocks[0] if len(blocks) == 1 else sp.vstack(blocks, format="csr")
        return gather(stacked, landed.ravel() - 1)
    return rule


def reduction(deps, args, out_shape, params):
    """sum, mean, max, norm, ...: an output element depends on everything reduced into it."""
    (d,), shape = deps, shape_of(args[0])
    target, n_out = _reduce_target(shape, _axes(params.get("axis"), len(shape)))
    return group(d, target, n_out)


def along_axis(deps, args, out_shape, params):
    """softmax, sort, sort_along: each output element depends on its whole lane along ``axis`` (None: on
    everything) of the first argument (sort_along's key is the second, with no dependencies of its own)."""
    d, shape = deps[0], shape_of(args[0])
    target, n_out = _reduce_target(shape, _axes(params.get("axis", -1), len(shape)))
    lanes = group(d, target, n_out)
    return gather(lanes, target if tuple(out_shape) == tuple(shape) else np.zeros(math.prod(out_shape), np.int64))


def scan(strict, axis_default, suffix=False):
    """cumsum and its kin: element t of a lane depends on elements s <= t (s < t if ``strict``; s >= t for a
    ``suffix`` scan or with the ``reverse`` parameter); a None axis scans the flattened array."""
    def rule(deps, args, out_shape, params):
        p, axis, reverse = _p(deps), params.get("axis", axis_default), params.get("reverse", False)
        out_shape = tuple(out_shape)
        if axis is None:
            shape, axis = (math.prod(out_shape),), 0
        else:
            shape = out_shape
        if not shape or shape[axis % len(shape)] == 0:
            return empty(math.prod(out_shape), p)
        length = shape[axis % len(shape)]
        lanes = np.moveaxis(_numbered(shape), axis, -1).reshape(-1, length)
        t, s = np.tril_indices(length, -1 if strict else 0)
        if reverse or suffix:
            t, s = length - 1 - t, length - 1 - s
        M = sp.csr_array((np.ones(lanes.shape[0] * len(t), bool), (lanes[:, t].ravel(), lanes[:, s].ravel())),
                         shape=(math.prod(shape),) * 2)
        if params.get("axis", axis_default) is not None:  # (a None axis scans the rows as they are, flattened)
            deps = [None if d is None else _broadcast_rows(d, shape_of(a), out_shape) for d, a in zip(deps, args)]
        return M @ _union(deps, math.prod(shape), p)
    return rule


def contraction(deps, shapes, labels, out_labels, out_shape):
    """An einsum-like product: an output element depends on each operand element whose labels that are
    kept in the output match its own (and that lies on the diagonal of a repeated label, "ii"); labels
    that are not kept are summed over, so they union. Exact for dense operands."""
    p, n_out, parts = _p(deps), math.prod(out_shape), []
    for d, shape, labs in zip(deps, shapes, labels):
        if d is None:
            continue
        size = math.prod(shape)
        coords = np.indices(shape).reshape(len(shape), size) if shape else np.zeros((0, size), np.int64)
        first, valid = {}, np.ones(size, bool)
        for axis, lab in enumerate(labs):
            if lab in first:
                valid &= coords[axis] == coords[first[lab]]
            else:
                first[lab] = axis
        kept = [lab for lab in out_labels if lab in first]
        key_shape = tuple(shape[first[lab]] for lab in kept)
        key = (np.ravel_multi_index(tuple(coords[first[lab]] for lab in kept), key_shape) if kept
               else np.zeros(size, np.int64))
        keyed = group(d, np.where(valid, key, -1), math.prod(key_shape))
        spread = tuple(shape[first[lab]] if lab in first else 1 for lab in out_labels)
        parts.append(gather(keyed, np.broadcast_to(_numbered(spread), out_shape)))
    return _union(parts, n_out, p)


def _batch_labels(shape, core, n_batch):
    """Labels of the leading (batch) axes of an operand with ``core`` trailing axes, right-aligned."""
    k = len(shape) - core
    return [f"batch{i}" for i in range(n_batch - k, n_batch)]


def _by_constant_matrix(deps, args):
    """``A @ x`` or ``x @ A`` with A a constant NumPy matrix and x a traced vector or matrix: the dependencies
    go through A's nonzeros only. A does not depend on x, so its zeros hold for every x (the one place a
    rule reads values). None when the product is not of that form."""
    (d1, d2), (a1, a2) = deps, args
    constant_left = d1 is None and type(a1) is np.ndarray and a1.ndim == 2
    constant_right = d2 is None and type(a2) is np.ndarray and a2.ndim == 2
    if constant_left and np.ndim(a2) in (1, 2):
        mask = sp.csr_array(a1 != 0)
        return mask @ d2 if np.ndim(a2) == 1 else sp.kron(mask, sp.eye_array(shape_of(a2)[1], dtype=bool)) @ d2
    if constant_right and np.ndim(a1) in (1, 2):
        mask = sp.csr_array(a2.T != 0)
        return mask @ d1 if np.ndim(a1) == 1 else sp.kron(sp.eye_array(shape_of(a1)[0], dtype=bool), mask) @ d1
    return None


def _matmul(deps, args, out_shape, params):
    through_constant = _by_constant_matrix(deps, args)
    if through_constant is not None:
        return sp.csr_array(through_constant, dtype=bool)
    s1, s2 = (shape_of(a) for a in args)
    n_batch = max(len(s1) - 2, len(s2) - 2, 0)
    l1, o1 = (["k"], []) if len(s1) == 1 else (_batch_labels(s1, 2, n_batch) + ["i", "k"], ["i"])
    l2, o2 = (["k"], []) if len(s2) == 1 else (_batch_labels(s2, 2, n_batch) + ["k", "j"], ["j"])
    return contraction(deps, [s1, s2], [l1, l2], [f"batch{i}" for i in range(n_batch)] + o1 + o2, out_shape)


def _dot(deps, args, out_shape, params):
    sa, sb = (shape_of(a) for a in args)
    if len(sa) <= 2 and len(sb) <= 2:  # dot is matmul on vectors and matrices
        through_constant = _by_constant_matrix(deps, args)
        if through_constant is not None:
            return sp.csr_array(through_constant, dtype=bool)
    if not sa or not sb:
        return elementwise(deps, args, out_shape, params)
    la = [f"a{i}" for i in range(len(sa) - 1)] + ["k"]
    if len(sb) == 1:
        lb, out = ["k"], la[:-1]
    else:
        lb = [f"b{i}" for i in range(len(sb) - 2)] + ["k", "last"]
        out = la[:-1] + lb[:-2] + ["last"]
    return contraction(deps, [sa, sb], [la, lb], out, out_shape)


def _inner(deps, args, out_shape, params):
    sa, sb = (shape_of(a) for a in args)
    if not sa or not sb:
        return elementwise(deps, args, out_shape, params)
    la, lb = [f"a{i}" for i in range(len(sa) - 1)] + ["k"], [f"b{i}" for i in range(len(sb) - 1)] + ["k"]
    return contraction(deps, [sa, sb], [la, lb], la[:-1] + lb[:-1], out_shape)


def _outer(deps, args, out_shape, params):
    sizes = [(math.prod(shape_of(a)),) for a in args]
    return contraction(deps, sizes, [["i"], ["j"]], ["i", "j"], out_shape)


def _tensordot(deps, args, out_shape, params):
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
    return contraction(deps, [sa, sb], [la, lb], out, out_shape)


def _einsum(deps, args, out_shape, params):
    shapes = [shape_of(a) for a in args]
    ins, out, _ = einsum_labels(params["subscripts"], shapes)
    return contraction(deps, shapes, [list(s) for s in ins], list(out), out_shape)


def _trace(deps, args, out_shape, params):
    (d,), shape = deps, shape_of(args[0])
    offset, axis1, axis2 = params.get("offset", 0), params.get("axis1", 0), params.get("axis2", 1)
    diagonal = np.diagonal(_numbered(shape), offset, axis1, axis2)
    target, n_out = _reduce_target(diagonal.shape, (diagonal.ndim - 1,))
    return group(gather(d, diagonal), target, n_out)


def whole_matrices(out_core, arg_cores=None):
    """Dense linear algebra: every output of a matrix depends on every element of the matrices it is computed
    from (each argument's trailing two axes, or ``arg_cores[k]`` of argument k), batched over the leading axes;
    ``out_core`` trailing axes per output."""
    def rule(deps, args, out_shape, params):
        shapes = [shape_of(a) for a in args]
        n_batch = len(out_shape) - out_core
        cores = arg_cores or (2,) * len(shapes)
        labels = [_batch_labels(shape, cores[k], n_batch) + [f"core{k}_{c}" for c in range(cores[k])]
                  for k, shape in enumerate(shapes)]
        out = [f"batch{i}" for i in range(n_batch)] + ["i", "j"][:out_core]
        return contraction(deps, shapes, labels, out, out_shape)
    return rule


def _cholesky(deps, args, out_shape, params):
    """Each element of the factor's triangle depends on the whole matrix; the other triangle is zeros."""
    n = out_shape[-1]
    triangle = np.triu(np.ones((n, n), bool)) if params.get("upper") else np.tril(np.ones((n, n), bool))
    inside = np.broadcast_to(triangle, out_shape).ravel()
    return gather(whole_matrices(2)(deps, args, out_shape, params), np.where(inside, np.arange(inside.size), -1))


def _solve(deps, args, out_shape, params):
    sa, sb = (shape_of(a) for a in args)
    vector = len(sb) == 1  # NumPy 2: b is a stack of vectors only when it is 1-D
    n_batch = len(out_shape) - (1 if vector else 2)
    batch = [f"batch{i}" for i in range(n_batch)]
    la = _batch_labels(sa, 2, n_batch) + ["p", "q"]
    lb = ["r"] if vector else _batch_labels(sb, 2, n_batch) + ["r", "k"]
    return contraction(deps, [sa, sb], [la, lb], batch + (["i"] if vector else ["i", "k"]), out_shape)


def _scatter_into(d, values_shape, index, out_shape):
    """Rows of values scattered (repeats union) into an array of ``out_shape`` at ``index``."""
    positions = _numbered(out_shape)[index]
    return group(_broadcast_rows(d, values_shape, np.shape(positions)), positions, math.prod(out_shape))


def _scatter_add(deps, args, out_shape, params):
    return _scatter_into(deps[0], shape_of(args[0]), params["index"], out_shape)


def _index_add(deps, args, out_shape, params):
    (dx, dv), (x, v), n = deps, args, math.prod(out_shape)
    return _union([None if dx is None else _broadcast_rows(dx, shape_of(x), out_shape),
                   None if dv is None else _scatter_into(dv, shape_of(v), params["index"], out_shape)], n, _p(deps))


def _untake(deps, args, out_shape, params):
    """The adjoint of take: each value goes back where take read it from (repeats union)."""
    values, indices = args
    target = np.take(_numbered(tuple(params["shape"])), indices, axis=params.get("axis"),
                     mode=params.get("mode", "raise"))
    return group(_broadcast_rows(deps[0], shape_of(values), target.shape), target, math.prod(out_shape))


def _sum_to(deps, args, out_shape, params):
    shape = shape_of(args[0])
    return group(deps[0], np.broadcast_to(_numbered(tuple(out_shape)), shape), math.prod(out_shape))


# ----------------------------------------------------------------------------------------------------
# The table
# ----------------------------------------------------------------------------------------------------

_MOVED = ("broadcast_to", "reshape", "transpose", "swapaxes", "getitem", "index_update", "expand_dims", "squeeze",
          "ravel", "moveaxis", "concatenate", "stack", "tile", "repeat", "flip", "triu", "tril", "diag", "take",
          "astype")
_REDUCTIONS = ("sum", "mean", "var", "std", "max", "min", "logsumexp", "prod", "linalg.norm")

RULES = {
    **{name: reduction for name in _REDUCTIONS},
    # sort_along and its inverse permute x by the order of a key that may depend on x: the whole lane
    "softmax": along_axis, "sort": along_axis, "sort_along": along_axis, "unsort_along": along_axis,
    "cumsum": scan(False, None), "cumprod": scan(False, None), "cumsum_reverse": scan(False, -1, suffix=True),
    "cumprod_exclusive": scan(True, -1), "linear_scan": scan(True, -1),
    "matmul": _matmul, "dot": _dot, "inner": _inner, "outer": _outer, "tensordot": _tensordot,
    "einsum": _einsum, "trace": _trace,
    "linalg.inv": whole_matrices(2), "linalg.cholesky": _cholesky, "linalg.eigh": whole_matrices(2),
    "linalg.det": whole_matrices(0), "linalg.slogdet": whole_matrices(0), "linalg.solve": _solve,
    "linalg.cofactor": whole_matrices(2), "linalg.det_hessian": whole_matrices(2),
    "linalg.det_derivative": whole_matrices(2, (2, 3)),  # its directions stacked on a third trailing axis
    "scatter_add": _scatter_add, "index_add": _index_add, "sum_to": _sum_to, "untake": _untake,
}
"""The explicit rules, by primitive name; `rule_of` adds the structural ones (elementwise, moved)."""


def rule_of(prim):
    """The dependency rule of ``prim``: the ``deps=`` rule of its declaration if it has one, else its entry in
    `RULES`, else the elementwise rule for an elementwise primitive, else the movement rule for a linear
    shape op; a primitive with none raises, naming it.

    >>> rule_of(REGISTRY["sin"]) is elementwise
    True
    """
    declared = getattr(prim, "rule", None)  # a declaration's own ``deps=`` rule, where the op library has them
    rule = declared("deps") if callable(declared) else None
    if rule is None:
        rule = RULES.get(prim.name)
    if rule is None:
        if prim.elementwise:
            rule = RULES[prim.name] = elementwise
        elif prim.name in _MOVED and REGISTRY.get(prim.name) is prim:
            rule = RULES[prim.name] = moved(prim)
        else:
            raise NotImplementedError(
                f"admodes.{prim.name} has no dependency rule, so sparsity detection cannot trace it; add one to "
                "admodes.sparse.rules.RULES (or compute the Jacobian densely)")
    return rule
