"""How dependencies flow through each primitive: the kinds of rule the sparsity tracer knows, the interface
(`KIT`) that declared rules are written against, and `rule_of`, which reads a primitive's rule from its
declaration.

A value traced for sparsity carries its *dependency matrix* ``D``: a SciPy CSR boolean matrix of shape
``(value.size, p)`` whose row k holds the inputs element k may depend on (rows in C order). A rule maps
the arguments' matrices to the output's; rules read shapes, never values, so the pattern they give holds at
every x (a global pattern); a rule may claim a dependency that is not there (a false nonzero), never miss
one.

Every primitive's declaration (`admodes.ops`) is the one place its rule is said, as ``deps=``: the name of
a kind (`KINDS`: ``"reduction"``, ``"lane"``, ``"scan"``, ``"moved"``, ``"dense"``, ...), or a function
``rule(kit, deps, args, out_shape, params)`` written against `KIT` (`admodes.ops.dependencies`: the
products, dense linear algebra, scatters), which keeps SciPy out of the op library: ``import admodes``
never loads it (it would double the import time). Derived from the declaration without a ``deps=``:

- an elementwise primitive (``elementwise=True``) keeps dependencies elementwise, with broadcasting;
- a `deflinear` op moves them (``"moved"``: the op applied to an array of element numbers says which input
  element lands where), checked on a second numbering: an op that sums elements is not a move, and gets
  the dense rule instead;
- a zero-derivative primitive (sign, comparisons' cousins) drops them: the tracer never calls a rule;
- any other primitive (a new op declared without ``deps=``) the dense rule: every output element depends on
  every input element. Conservative, never wrong; `rule_kind` says so, and a test names the op library's
  primitives left to it.

    >>> import numpy as np, scipy.sparse as sp
    >>> from admodes.ops.core import REGISTRY
    >>> D = sp.eye_array(3, dtype=bool, format="csr")
    >>> rule_of(REGISTRY["flip"])([D], [np.zeros(3)], (3,), {"axis": None}).toarray().astype(int)
    array([[0, 0, 1],
           [0, 1, 0],
           [1, 0, 0]])
"""

from __future__ import annotations

import math
import types

import numpy as np
import scipy.sparse as sp

from ..mapped import declared_kind
from ..ops.core import shape_of

__all__ = ["KIT", "KINDS", "rule_of", "rule_kind", "gather", "group", "empty", "union", "numbered", "reduce_target",
           "broadcast_rows", "columns", "elementwise", "moved", "reduction", "lane", "scan", "dense", "contraction",
           "through_constant_matrix"]


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


def union(parts, n, p):
    parts = [d for d in parts if d is not None]
    if not parts:
        return empty(n, p)
    out = parts[0]
    for d in parts[1:]:
        out = out + d
    return out


def columns(deps):
    """p, the number of inputs, from the dependency matrices (some may be None)."""
    return next(d.shape[1] for d in deps if d is not None)


def numbered(shape):
    return np.arange(math.prod(shape), dtype=np.int64).reshape(shape)


def broadcast_rows(D, shape, out_shape):
    """D (rows of an array of ``shape``) as the rows of that array broadcast to ``out_shape``."""
    if tuple(shape) == tuple(out_shape):
        return D
    return gather(D, np.broadcast_to(numbered(shape), out_shape))


def _axes(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    return tuple(sorted(a % ndim for a in axes))


def reduce_target(shape, axes):
    """For each element of an array of ``shape``: the output element it feeds when ``axes`` are reduced."""
    kept = tuple(1 if i in axes else n for i, n in enumerate(shape))
    return np.broadcast_to(numbered(kept), shape), math.prod(kept)


# ----------------------------------------------------------------------------------------------------
# The rule kinds
# ----------------------------------------------------------------------------------------------------

def elementwise(deps, args, out_shape, params):
    """Output element k depends on the element of each argument that broadcasts to k."""
    n = math.prod(out_shape)
    return union([None if d is None else broadcast_rows(d, shape_of(a), out_shape) for d, a in zip(deps, args)],
                  n, columns(deps))


def moved(prim):
    """A linear shape op's rule, exact: the op applied to arrays of element numbers (1, 2, ... across all
    arguments; 0 is nothing) gives the number of the element that lands at each output position. Checked
    on a second numbering, shifted by the count S of elements: a move shifts every landed number by S (a
    sum of two shifts it by 2 S, a constant not at all); an op that is not a move gets the `dense` rule."""
    def rule(deps, args, out_shape, params):
        p, blocks, sizes = columns(deps), [], []
        for i, (d, a) in enumerate(zip(deps, args)):
            if prim.variadic or i not in prim.nondiff:
                sizes.append(math.prod(shape_of(a)))
                blocks.append(empty(sizes[-1], p) if d is None else d)
        total = sum(sizes)
        first, second = (_landed(prim, args, params, start) for start in (1, 1 + total))
        if first is None or second is None or first.shape != second.shape:
            return dense(deps, args, out_shape, params)
        moving = first != 0
        if not (np.array_equal(second[moving], first[moving] + total) and np.all(second[~moving] == 0)
                and np.all((first >= 0) & (first <= total))):
            return dense(deps, args, out_shape, params)
        stacked = blocks[0] if len(blocks) == 1 else sp.vstack(blocks, format="csr")
        return gather(stacked, first.astype(np.int64).ravel() - 1)
    return rule


def _landed(prim, args, params, start):
    """The op on the element numbers start, start + 1, ... of its differentiable arguments (None when what
    lands is not a number: a complex or non-numeric result)."""
    numbered_args = []
    for i, a in enumerate(args):
        if not prim.variadic and i in prim.nondiff:  # an index: passed as it is
            numbered_args.append(a)
            continue
        shape = shape_of(a)
        size = math.prod(shape)
        numbered_args.append(np.arange(start, start + size, dtype=np.int64).reshape(shape))
        start += size
    landed = np.asarray(prim.impl(*numbered_args, **params))
    return landed if landed.dtype.kind in "iuf" else None


def dense(deps, args, out_shape, params):
    """The rule of a primitive that declares none: every output element depends on every input element
    that has dependencies. Conservative, and never wrong.

    >>> import numpy as np
    >>> D = sp.eye_array(2, dtype=bool, format="csr")
    >>> dense([D], [np.zeros(2)], (3,), {}).toarray().astype(int)
    array([[1, 1],
           [1, 1],
           [1, 1]])
    """
    p, n = columns(deps), math.prod(out_shape)
    rows = [group(d, np.zeros(d.shape[0], np.int64), 1) for d in deps if d is not None]
    return gather(union(rows, 1, p), np.zeros(n, np.int64))


def reduction(deps, args, out_shape, params):
    """sum, mean, max, norm, ...: an output element depends on everything reduced into it."""
    (d,), shape = deps, shape_of(args[0])
    target, n_out = reduce_target(shape, _axes(params.get("axis"), len(shape)))
    return group(d, target, n_out)


def lane(deps, args, out_shape, params):
    """softmax, sort, sort_along: each output element depends on its whole lane along ``axis`` (None: on
    everything) of the first argument (sort_along's key is the second, with no dependencies of its own)."""
    d, shape = deps[0], shape_of(args[0])
    target, n_out = reduce_target(shape, _axes(params.get("axis", -1), len(shape)))
    lanes = group(d, target, n_out)
    return gather(lanes, target if tuple(out_shape) == tuple(shape) else np.zeros(math.prod(out_shape), np.int64))


def scan(strict, axis_default, suffix=False):
    """cumsum and its kin: element t of a lane depends on elements s <= t (s < t if ``strict``; s >= t for a
    ``suffix`` scan or with the ``reverse`` parameter); a None axis scans the flattened array."""
    def rule(deps, args, out_shape, params):
        p, axis, reverse = columns(deps), params.get("axis", axis_default), params.get("reverse", False)
        out_shape = tuple(out_shape)
        if axis is None:
            shape, axis = (math.prod(out_shape),), 0
        else:
            shape = out_shape
        if not shape or shape[axis % len(shape)] == 0:
            return empty(math.prod(out_shape), p)
        length = shape[axis % len(shape)]
        lanes = np.moveaxis(numbered(shape), axis, -1).reshape(-1, length)
        t, s = np.tril_indices(length, -1 if strict else 0)
        if reverse or suffix:
            t, s = length - 1 - t, length - 1 - s
        M = sp.csr_array((np.ones(lanes.shape[0] * len(t), bool), (lanes[:, t].ravel(), lanes[:, s].ravel())),
                         shape=(math.prod(shape),) * 2)
        if params.get("axis", axis_default) is not None:  # (a None axis scans the rows as they are, flattened)
            deps = [None if d is None else broadcast_rows(d, shape_of(a), out_shape) for d, a in zip(deps, args)]
        return M @ union(deps, math.prod(shape), p)
    return rule


def contraction(deps, shapes, labels, out_labels, out_shape):
    """An einsum-like product: an output element depends on each operand element whose labels that are
    kept in the output match its own (and that lies on the diagonal of a repeated label, "ii"); labels
    that are not kept are summed over, so they union. Exact for dense operands."""
    p, n_out, parts = columns(deps), math.prod(out_shape), []
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
        parts.append(gather(keyed, np.broadcast_to(numbered(spread), out_shape)))
    return union(parts, n_out, p)


def through_constant_matrix(deps, args):
    """``A @ x`` or ``x @ A`` with A a constant NumPy matrix and x a traced vector or matrix: the dependencies
    go through A's nonzeros only. A does not depend on x, so its zeros hold for every x (the one place a
    rule reads values). None when the product is not of that form."""
    (d1, d2), (a1, a2) = deps, args
    constant_left = d1 is None and type(a1) is np.ndarray and a1.ndim == 2
    constant_right = d2 is None and type(a2) is np.ndarray and a2.ndim == 2
    if constant_left and np.ndim(a2) in (1, 2):
        mask = sp.csr_array(a1 != 0)
        found = mask @ d2 if np.ndim(a2) == 1 else sp.kron(mask, sp.eye_array(shape_of(a2)[1], dtype=bool)) @ d2
    elif constant_right and np.ndim(a1) in (1, 2):
        mask = sp.csr_array(a2.T != 0)
        found = mask @ d1 if np.ndim(a1) == 1 else sp.kron(sp.eye_array(shape_of(a1)[0], dtype=bool), mask) @ d1
    else:
        return None
    return sp.csr_array(found, dtype=bool)


# ----------------------------------------------------------------------------------------------------
# What a declaration names, and the interface its own rules are written against
# ----------------------------------------------------------------------------------------------------

KIT = types.SimpleNamespace(
    contraction=contraction, elementwise=elementwise, through_constant_matrix=through_constant_matrix,
    gather=gather, group=group, union=union, broadcast_rows=broadcast_rows, numbered=numbered,
    reduce_target=reduce_target, columns=columns)
"""What a declared rule ``rule(kit, deps, args, out_shape, params)`` receives as ``kit``: the operations on
dependency matrices, so that rules in the op library (`admodes.ops.dependencies`) never touch SciPy."""

KINDS = {
    "elementwise": lambda prim: elementwise,
    "moved": moved,
    "reduction": lambda prim: reduction,
    "lane": lambda prim: lane,
    "scan": lambda prim: scan(False, None),
    "suffix_scan": lambda prim: scan(False, -1, suffix=True),
    "exclusive_scan": lambda prim: scan(True, -1),
    "dense": lambda prim: dense,
}
"""The kinds a declaration may name (``deps="reduction"``), each a maker of the rule for a primitive:
elementwise (with broadcasting); moved (a shape op: `moved`); reduction (an output element depends on
all reduced into it: sum, max, var, norm); lane (on its whole lane along ``axis``: softmax, sort);
scan (cumsum: element t on the elements s <= t of its lane, the flattened array for a None axis);
suffix_scan (s >= t, axis -1 by default); exclusive_scan (s < t, axis -1 by default); dense (on
everything)."""


def rule_kind(prim):
    """Where `prim`'s dependency rule comes from: "declared" (a function in its declaration), a kind of
    `KINDS` (named by the declaration, or "elementwise" / "moved" derived from it), "zero" (piecewise
    constant: no dependencies) or "fallback" (nothing declared: the dense rule).

    >>> from admodes.ops.core import REGISTRY
    >>> rule_kind(REGISTRY["sin"]), rule_kind(REGISTRY["reshape"]), rule_kind(REGISTRY["matmul"])
    ('elementwise', 'moved', 'declared')
    """
    found = declared_kind(prim, "deps", tuple(KINDS), "admodes.sparse")
    if found is not None:
        return found
    if prim.zero_derivative:
        return "zero"
    if prim.elementwise:
        return "elementwise"
    if prim.rules is not None and prim.rules.linear:
        return "moved"
    return "fallback"


def rule_of(prim):
    """The dependency rule of ``prim``, ``rule(deps, args, out_shape, params) -> D_out``, from its declaration
    (see the module docstring); a primitive that declares none gets the dense one.

    >>> from admodes.ops.core import REGISTRY
    >>> rule_of(REGISTRY["sin"]) is elementwise
    True
    """
    if prim.rules is None:
        raise NotImplementedError(f"admodes.sparse: the primitive {prim.name!r} has no derivative rules")
    kind = rule_kind(prim)
    if kind == "declared":
        declared = prim.rule("deps")
        return lambda deps, args, out_shape, params: declared(KIT, deps, args, out_shape, params)
    return KINDS["dense" if kind in ("fallback", "zero") else kind](prim)
