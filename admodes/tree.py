"""Containers of arrays (pytrees, in JAX's word): tuples, lists, dicts, namedtuples and ``None``, nested.

Every transform takes and returns them: it flattens its arguments into their *leaves* (the arrays), works
on those, and builds the containers back. The rules are JAX's (``jax.tree_util``):

- tuples, lists, dicts and namedtuples are containers; a dict's children are taken in sorted key order;
- ``None`` is a container with no children (an empty subtree), not a leaf;
- anything else (an array, a number, a traced value) is a leaf.

The structure is kept in a `TreeDef`. Nothing here recurses, so a container nested a million deep works.

    >>> leaves, treedef = tree_flatten({"b": (1.0, None), "a": [2.0, 3.0]})
    >>> leaves
    [2.0, 3.0, 1.0]
    >>> treedef
    TreeDef({'a': [*, *], 'b': (*, None)})
    >>> tree_unflatten(treedef, [20.0, 30.0, 10.0])
    {'a': [20.0, 30.0], 'b': (10.0, None)}
    >>> tree_map(lambda x, y: x + y, (1, [2]), (10, [20]))
    (11, [22])
"""

from __future__ import annotations

__all__ = ["TreeDef", "tree_flatten", "tree_unflatten", "tree_leaves", "tree_structure", "tree_map",
           "is_container", "leaf_paths"]

# The kinds of node, as stored in a TreeDef (each node: (kind, aux, number of children)).
_LEAF, _NONE, _TUPLE, _LIST, _DICT, _NAMEDTUPLE = "leaf", "None", "tuple", "list", "dict", "namedtuple"


def _is_namedtuple(x):
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


def is_container(x):
    """True for what a tree flattens into children: a tuple, list, dict, namedtuple or None.

    >>> is_container([1.0]), is_container(None), is_container(1.0)
    (True, True, False)
    """
    return x is None or isinstance(x, (tuple, list, dict))


def _node(x, is_leaf):
    """``(kind, aux, children)`` of one node of a tree."""
    if is_leaf is not None and is_leaf(x):
        return _LEAF, None, ()
    if x is None:
        return _NONE, None, ()
    if isinstance(x, dict):
        keys = list(x)
        try:
            keys = sorted(keys)
        except TypeError:  # keys that do not compare: their insertion order
            pass
        return _DICT, (type(x), tuple(keys)), [x[k] for k in keys]
    if _is_namedtuple(x):
        return _NAMEDTUPLE, type(x), list(x)
    if isinstance(x, tuple):
        return _TUPLE, type(x), list(x)
    if isinstance(x, list):
        return _LIST, type(x), list(x)
    return _LEAF, None, ()


class TreeDef:
    """The structure of a tree without its leaves: its nodes in pre-order, each ``(kind, aux, arity)``.

    Two trees have the same structure when their `TreeDef`\\ s are equal. ``num_leaves`` counts the leaves.

    >>> tree_structure((1.0, {"w": 2.0})).num_leaves
    2
    >>> tree_structure([1.0, 2.0]) == tree_structure([3.0, 4.0])
    True
    """

    __slots__ = ("nodes", "num_leaves")

    def __init__(self, nodes):
        self.nodes = tuple(nodes)
        self.num_leaves = sum(1 for kind, _, _ in self.nodes if kind == _LEAF)

    def __eq__(self, other):
        return isinstance(other, TreeDef) and self.nodes == other.nodes

    def __hash__(self):
        return hash(self.nodes)

    @property
    def is_leaf(self):
        """True when the whole tree is one leaf (no container at all).

        >>> tree_structure(1.0).is_leaf, tree_structure((1.0,)).is_leaf
        (True, False)
        """
        return self.nodes is _ONE_LEAF.nodes or self.nodes == _ONE_LEAF.nodes

    def unflatten(self, leaves):
        """The tree of this structure holding ``leaves`` (see `tree_unflatten`)."""
        leaves = list(leaves)
        if len(leaves) != self.num_leaves:
            raise ValueError(f"tree_unflatten: this structure has {self.num_leaves} leaves, got {len(leaves)}")
        if self.nodes is _ONE_LEAF.nodes:
            return leaves[0]
        # Build bottom-up: walk the pre-order nodes backwards, so a node's children are on the stack.
        stack, position = [], len(leaves)
        for kind, aux, arity in reversed(self.nodes):
            if kind == _LEAF:
                position -= 1
                stack.append(leaves[position])
                continue
            children = [stack.pop() for _ in range(arity)]
            stack.append(_build(kind, aux, children))
        return stack[0]

    def flatten_up_to(self, tree, name="tree"):
        """The subtrees of ``tree`` at this structure's leaves: ``tree`` must have this structure down to them
        (a leaf here takes whatever is there, a whole container too). Otherwise a ValueError names the path.

        >>> tree_structure((0, 0)).flatten_up_to(([1, 2], 3))
        [[1, 2], 3]
        """
        out, stack = [], [(tree, name)]
        for kind, aux, arity in self.nodes:
            sub, path = stack.pop()
            if kind == _LEAF:
                out.append(sub)
                continue
            got_kind, got_aux, children = _node(sub, None)
            if got_kind != kind or got_aux != aux or len(children) != arity:
                expected = _describe_node(kind, aux, arity)
                raise ValueError(f"{path} is {_describe(sub)}, but the structure expects {expected}")
            for key, child in reversed(list(zip(_keys(kind, aux, arity), children))):
                stack.append((child, path + key))
        return out

    def leaf_paths(self, name=""):
        """The path of each leaf, as Python would index it: ``name['w'][1]``.

        >>> tree_structure({"w": [1.0, 2.0], "b": 3.0}).leaf_paths("params")
        ["params['b']", "params['w'][0]", "params['w'][1]"]
        """
        paths, stack = [], [name]
        for kind, aux, arity in self.nodes:
            path = stack.pop()
            if kind == _LEAF:
                paths.append(path)
                continue
            stack.extend(path + key for key in reversed(_keys(kind, aux, arity)))
        return paths

    def __repr__(self):
        stack = []
        for kind, aux, arity in reversed(self.nodes):
            if kind == _LEAF:
                stack.append("*")
                continue
            children = [stack.pop() for _ in range(arity)]
            stack.append(_show(kind, aux, children))
        return f"TreeDef({stack[0]})"


_ONE_LEAF = TreeDef([(_LEAF, None, 0)])


def _keys(kind, aux, arity):
    if kind == _DICT:
        return [f"[{k!r}]" for k in aux[1]]
    if kind == _NAMEDTUPLE:
        return [f".{field}" for field in aux._fields]
    return [f"[{i}]" for i in range(arity)]


def _build(kind, aux, children):
    if kind == _NONE:
        return None
    if kind == _DICT:
        cls, keys = aux
        built = dict(zip(keys, children))
        return built if cls is dict else cls(built)
    if kind == _NAMEDTUPLE:
        return aux(*children)
    return aux(children)  # tuple, list or a subclass of them


def _show(kind, aux, children):
    if kind == _NONE:
        return "None"
    if kind == _DICT:
        return "{" + ", ".join(f"{k!r}: {c}" for k, c in zip(aux[1], children)) + "}"
    if kind == _NAMEDTUPLE:
        return f"{aux.__name__}(" + ", ".join(f"{f}={c}" for f, c in zip(aux._fields, children)) + ")"
    if kind == _LIST:
        return "[" + ", ".join(children) + "]"
    return "(" + ", ".join(children) + ("," if len(children) == 1 else "") + ")"


def _describe_node(kind, aux, arity):
    if kind == _LEAF:
        return "an array"
    if kind == _NONE:
        return "None"
    if kind == _DICT:
        return f"a dict with keys {list(aux[1])}"
    return f"a {aux.__name__ if kind != _LIST else 'list'} of {arity}"


def _describe(x):
    kind, aux, children = _node(x, None)
    if kind == _LEAF:
        shape = getattr(x, "shape", None)
        return f"an array of shape {tuple(shape)}" if shape is not None else f"a {type(x).__name__}"
    return _describe_node(kind, aux, len(children))


def tree_flatten(tree, is_leaf=None):
    """``(leaves, treedef)``: the leaves of ``tree`` in order (depth first, a dict's keys sorted) and its
    structure. ``is_leaf(x)`` True makes ``x`` a leaf even if it is a container.

    >>> tree_flatten([1.0, (2.0, None), {"z": 3.0, "a": 4.0}])
    ([1.0, 2.0, 4.0, 3.0], TreeDef([*, (*, None), {'a': *, 'z': *}]))
    """
    if is_leaf is None and not (tree is None or isinstance(tree, (tuple, list, dict))):
        return [tree], _ONE_LEAF  # the common case: one array
    leaves, nodes, stack = [], [], [tree]
    while stack:
        x = stack.pop()
        kind, aux, children = _node(x, is_leaf)
        nodes.append((kind, aux, len(children)))
        if kind == _LEAF:
            leaves.append(x)
        else:
            stack.extend(reversed(children))
    return leaves, TreeDef(nodes)


def tree_unflatten(treedef, leaves):
    """The tree of structure ``treedef`` holding ``leaves`` (the inverse of `tree_flatten`).

    >>> _, treedef = tree_flatten((1.0, [2.0]))
    >>> tree_unflatten(treedef, ["a", "b"])
    ('a', ['b'])
    """
    return treedef.unflatten(leaves)


def tree_leaves(tree, is_leaf=None):
    """The leaves of ``tree``, in `tree_flatten`'s order.

    >>> tree_leaves({"b": 1.0, "a": (2.0, None)})
    [2.0, 1.0]
    """
    return tree_flatten(tree, is_leaf)[0]


def tree_structure(tree, is_leaf=None):
    """The `TreeDef` of ``tree``.

    >>> tree_structure((1.0, None))
    TreeDef((*, None))
    """
    return tree_flatten(tree, is_leaf)[1]


def tree_map(f, tree, *rest, is_leaf=None):
    """The tree of ``tree``'s structure holding ``f(leaf, *leaves of rest at the same place)``; each tree of
    ``rest`` has ``tree``'s structure (or a finer one: its subtree at a leaf of ``tree`` is passed whole).

    >>> import numpy as np
    >>> tree_map(lambda w: w * 2, {"w": np.ones(2), "b": None})
    {'b': None, 'w': array([2., 2.])}
    """
    leaves, treedef = tree_flatten(tree, is_leaf)
    others = [treedef.flatten_up_to(r, f"tree {i + 1} of tree_map") for i, r in enumerate(rest)]
    return treedef.unflatten(f(*xs) for xs in zip(leaves, *others))


def leaf_paths(tree, name="", is_leaf=None):
    """The path of each leaf of ``tree``, as Python indexes it (for messages).

    >>> leaf_paths((1.0, {"w": 2.0}), "args")
    ['args[0]', "args[1]['w']"]
    """
    return tree_structure(tree, is_leaf).leaf_paths(name)
