"""`vmap`: ``f`` mapped over an axis of its arguments in one call, on the batching engine, with containers and
``in_axes``/``out_axes`` as JAX has them.

Each op runs once on the whole batch (its batch rule), and `vmap` composes with every transform in any
nesting: per-example gradients are ``vmap(grad(loss), in_axes=(None, 0, 0))(params, X, Y)``.

    >>> import numpy as np, admodes.numpy as anp
    >>> vmap(lambda x: anp.sum(x * x))(np.array([[1.0, 2.0], [3.0, 4.0]]))   # one call, two sums
    array([ 5., 25.])
"""

from __future__ import annotations

import numpy as np

from ..batching import Batched, unbatch
from ..inputs import returned
from ..ops.core import REGISTRY, Traced, new_level, shape_of
from ..tree import tree_flatten, tree_leaves
from .containers import leaf_labels
from .outputs import own

__all__ = ["vmap"]


def _is_axis(x):
    return x is None


def _prefix_leaves(prefix, tree, what, name):
    """One entry of the axes tree ``prefix`` per leaf of ``tree``: ``prefix`` is a prefix of ``tree``'s
    structure (an int or None stands for a whole subtree), as JAX's ``in_axes`` and ``out_axes``."""
    axes, structure = tree_flatten(prefix, is_leaf=_is_axis)
    try:
        subtrees = structure.flatten_up_to(tree, name)
    except ValueError as err:
        raise ValueError(f"vmap: {what} must be a prefix of the structure of {name} (an int or None stands for a "
                         f"whole subtree): {err}") from None
    out = []
    for axis, sub in zip(axes, subtrees):
        if axis is not None and (isinstance(axis, bool) or not isinstance(axis, (int, np.integer))):
            raise TypeError(f"vmap: {what} holds {axis!r}; each entry is an int (the axis) or None (not mapped)")
        out.extend([axis] * len(tree_leaves(sub)))
    return out


def _move(x, source, destination):
    if isinstance(x, Traced):
        return REGISTRY["moveaxis"](x, source, destination)
    return np.moveaxis(x, source, destination)


def vmap(f, in_axes=0, out_axes=0):
    """``f`` mapped over an axis of its arguments, in one call: each op runs once on the whole batch.

    ``in_axes`` says which axis of each argument is mapped: an int for all of them, or a tuple with one
    entry per positional argument, each an int, None (the argument is shared by all elements) or, for a
    container argument, a container of those of the argument's structure (a prefix of it: an int or None
    stands for a whole subtree). Keyword arguments are mapped over axis 0 (JAX's rule). ``out_axes``, the
    same for ``f``'s output, says where the batch axis goes in each result (None: an output that does not
    depend on the mapped arguments, returned once). Python control flow (``if``, ``while``) on a batched
    value raises, naming the line; ``anp.where`` chooses elementwise.

    >>> import admodes.numpy as anp
    >>> w = np.array([1.0, 10.0])
    >>> vmap(lambda x, w: anp.dot(x, w), in_axes=(0, None))(np.array([[1.0, 2.0], [3.0, 4.0]]), w)
    array([21., 43.])
    >>> vmap(lambda p: {"s": p["a"] + p["b"]}, in_axes=({"a": 0, "b": None},))({"a": np.ones(2), "b": 2.0})
    {'s': array([3., 3.])}
    """
    def mapped(*args, **kwargs):
        if isinstance(in_axes, (tuple, list)):
            if len(in_axes) != len(args):
                raise ValueError(f"vmap: in_axes has {len(in_axes)} entries for {len(args)} arguments")
            axes_of_args = tuple(in_axes)
        else:
            axes_of_args = (in_axes,) * len(args)
        flat = [tree_flatten(a) for a in args]
        labels = leaf_labels(f, args, range(len(args)), [treedef for _, treedef in flat])
        leaves = [leaf for ls, _ in flat for leaf in ls]
        axes = [axis for i, (a, axes_i) in enumerate(zip(args, axes_of_args))
                for axis in _prefix_leaves(axes_i, a, f"in_axes[{i}]" if isinstance(in_axes, (tuple, list))
                                           else "in_axes", f"argument {i}")]
        names = sorted(kwargs)
        for name in names:
            kw_leaves, treedef = tree_flatten(kwargs[name])
            leaves += kw_leaves
            labels += treedef.leaf_paths(f"keyword argument {name}")
            axes += [0] * len(kw_leaves)
        level, k, first, moved = new_level(), None, None, list(leaves)
        for j, (x, axis, label) in enumerate(zip(leaves, axes, labels)):
            if axis is None:
                continue
            x = x if isinstance(x, Traced) else np.asarray(x)
            shape = shape_of(x)
            if not -len(shape) <= axis < len(shape):
                raise ValueError(f"vmap: in_axes {axis} of {label} is out of range for its shape {shape}")
            if k is not None and shape[axis] != k:
                raise ValueError(f"vmap: {label} has {shape[axis]} elements along axis {axis}, but {first} has {k}; "
                                 "batched axes must have one length")
            k, first = shape[axis], label
            moved[j] = Batched._make(x if axis % len(shape) == 0 else _move(x, axis, 0), level)
        if k is None:
            raise ValueError("vmap: no argument is batched (every in_axes entry is None)")
        if k == 0:
            raise ValueError("vmap: the batched axis has length 0")
        start, call_args = 0, []
        for _, treedef in flat:
            call_args.append(treedef.unflatten(moved[start:start + treedef.num_leaves]))
            start += treedef.num_leaves
        call_kwargs = {}
        for name in names:
            treedef = tree_flatten(kwargs[name])[1]
            call_kwargs[name] = treedef.unflatten(moved[start:start + treedef.num_leaves])
            start += treedef.num_leaves
        return _stack_outputs(f(*call_args, **call_kwargs), level, k, out_axes, leaves)
    return mapped


def _stack_outputs(out, level, k, out_axes, inputs):
    """Each output leaf's batch stacked along its ``out_axes`` entry."""
    if out is None:
        returned(out, "vmap")  # raises: f forgot to `return`
    out_leaves, treedef = tree_flatten(out)
    paths = treedef.leaf_paths("f's output")
    results = []
    for x, axis, path in zip(out_leaves, _prefix_leaves(out_axes, out, "out_axes", "f's output"), paths):
        x = returned(x, "vmap", f"f (at {path})")
        if axis is None:
            if type(x) is Batched and x._level == level:
                raise ValueError(f"vmap: out_axes is None for {path}, but it differs between batch elements (it "
                                 "depends on a mapped argument); give it an axis")
            results.append(own(x, inputs))
            continue
        stacked = unbatch(x, level, k)
        rank = len(shape_of(stacked))
        if not -rank <= axis < rank:
            raise ValueError(f"vmap: out_axes {axis} is out of range for {path}, which has {rank} axes with the "
                             "batch axis")
        results.append(own(stacked if axis % rank == 0 else _move(stacked, 0, axis), inputs))
    return treedef.unflatten(results)
