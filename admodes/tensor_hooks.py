"""``Tensor.register_hook``: functions called with a tensor's gradient during backward, which may replace it.

PyTorch's semantics: a hook on a non-leaf tensor sees the gradient flowing into it (the sum over its uses)
before it flows on to its inputs, and before `retain_grad` stores it; a hook on a leaf sees the gradient
before it is added to ``.grad``. A hook returning a tensor replaces the gradient; returning None keeps it.
The backward sweep passes each gradient through `node_gradient` or `leaf_gradient`.

    >>> import admodes as ad
    >>> x = ad.tensor(3.0, requires_grad=True)
    >>> y = x * x
    >>> seen = []
    >>> _ = y.register_hook(lambda g: seen.append(g.item()))
    >>> h = y.register_hook(lambda g: g * 0.5)
    >>> y.backward(); seen, x.grad
    ([1.0], Tensor(3.))
"""

from __future__ import annotations

import itertools
import weakref

import numpy as np

from .arraylike import value

NODE_HOOKS = weakref.WeakKeyDictionary()  # grad_fn node -> Hooks
LEAF_HOOKS: dict = {}  # id(leaf) -> (weakref to the leaf, Hooks)
_ids = itertools.count()


class Hooks(dict):
    """The hooks of one tensor, by handle id, and the tensor class that wraps the gradient they are given
    (kept here so that the sweep needs nothing of the Tensor class to run them)."""

    def __init__(self, tensor_type):
        super().__init__()
        self.tensor_type = tensor_type


class RemovableHandle:
    """What `register_hook` returns: ``handle.remove()`` unregisters the hook."""

    def __init__(self, hooks, key):
        self._hooks, self._key = hooks, key

    def remove(self):
        self._hooks.pop(self._key, None)


def register_hook(tensor, hook):
    """Register ``hook`` on ``tensor`` (see the module docstring); returns a `RemovableHandle`."""
    if not tensor.requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if not callable(hook):
        raise TypeError(f"register_hook: the hook must be callable, got {type(hook).__name__}")
    if tensor.grad_fn is not None:
        hooks = NODE_HOOKS.get(tensor.grad_fn)
        if hooks is None:
            hooks = NODE_HOOKS[tensor.grad_fn] = Hooks(type(tensor))
    else:
        entry = LEAF_HOOKS.get(id(tensor))
        if entry is None or entry[0]() is not tensor:
            key = id(tensor)
            forget = lambda _, key=key: LEAF_HOOKS.pop(key, None)  # the leaf is gone: so are its hooks
            entry = LEAF_HOOKS[key] = (weakref.ref(tensor, forget), Hooks(type(tensor)))
        hooks = entry[1]
    key = next(_ids)
    hooks[key] = hook
    return RemovableHandle(hooks, key)


def node_gradient(node, g, create_graph):
    """The gradient ``g`` of the non-leaf tensor whose ``grad_fn`` is ``node``, after its hooks (if any)."""
    if NODE_HOOKS.data and node in NODE_HOOKS:  # (.data: its truth is free, len() is not)
        return run_hooks(NODE_HOOKS[node], g, node.level, create_graph)
    return g


def leaf_gradient(leaf, g, create_graph):
    """The gradient ``g`` of the leaf tensor ``leaf``, after its hooks (if any)."""
    entry = LEAF_HOOKS.get(id(leaf)) if LEAF_HOOKS else None
    if entry is not None and entry[0]() is leaf and entry[1]:
        return run_hooks(entry[1], g, leaf._level, create_graph)
    return g


def run_hooks(hooks, g, level, create_graph):
    """The gradient ``g`` after the ``hooks`` (each sees the previous one's result, as a Tensor of ``level``)."""
    Tensor = hooks.tensor_type
    shape = np.shape(value(g))
    for hook in list(hooks.values()):
        new = hook(g if type(g) is Tensor else Tensor._make(_read_only(g), level))
        if new is None:
            continue
        name = getattr(hook, "__name__", hook)
        if not isinstance(new, (Tensor, np.ndarray)):  # (a list or a number would be taken as the gradient)
            raise TypeError(f"hook {name!r} returned a {type(new).__name__}; a hook returns a Tensor of the "
                            "gradient's shape and dtype, or None to keep the gradient")
        if np.shape(value(new)) != shape:
            raise RuntimeError(f"hook {name!r} returned a gradient of shape "
                               f"{np.shape(value(new))}; the gradient has shape {shape}")
        if np.result_type(value(new)) != np.result_type(value(g)):  # (PyTorch's words)
            raise RuntimeError(f"hook {name!r} has changed the type of value (was {np.result_type(value(g))} got "
                               f"{np.result_type(value(new))})")
        g = new.data if type(new) is Tensor and not create_graph else new
    return g


def _read_only(g):
    """A view of ``g`` the hook cannot write into (the sweep may own ``g``, or the user may: a seed)."""
    if type(g) is np.ndarray:
        g = g.view()
        g.flags.writeable = False
    return g
