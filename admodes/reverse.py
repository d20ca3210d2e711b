"""Reverse mode: a tape of nodes recorded while the function runs, swept backwards, with PyTorch's semantics.

A `Tensor` that requires grad records, for each primitive applied to it, a node (its ``grad_fn``) that
keeps exactly what the op library's VJP rule will read and the edges to the nodes of its inputs.
``backward()`` then walks the nodes from the output in reverse creation order, applying the rules.

    >>> import admodes as ad
    >>> x = ad.tensor(2.0, requires_grad=True)
    >>> w = ad.tensor(1.0, requires_grad=True)
    >>> y = (x + w) * (w + 1)
    >>> y.backward()
    >>> float(x.grad.data), float(w.grad.data)     # dy/dx = w + 1, dy/dw = (w + 1) + (x + w)
    (2.0, 5.0)
"""

from __future__ import annotations

import itertools
import threading
import weakref
from contextlib import ContextDecorator
from heapq import heappop, heappush
from sys import getrefcount

import numpy as np

from .arraylike import ArrayLike, _plain_index, value
from .ops.core import Meta, Traced, call_impl, op, vjp_of, vjp_same_of
from .tensor_hooks import NODE_HOOKS, leaf_gradient, node_gradient
from .tensor_methods import TorchMethods

USER_LEVEL = 0  # the level of Tensors users make themselves
# The version counter of every tensor not modified in place so far (version 0), shared: a tensor gets a
# counter of its own (a list) when it is modified in place or detached (`Tensor._version_counter`).
_UNCHANGED = (0,)
_creation_order = itertools.count()
_new = object.__new__
_PLAIN = frozenset({np.ndarray, np.float64, np.float32, float, int})  # never traced: no isinstance check needed


# ----------------------------------------------------------------------------------------------------
# Grad mode
# ----------------------------------------------------------------------------------------------------

class _GradMode(threading.local):
    enabled = True  # a class default: every thread starts with grad mode on, read without getattr()

    def __init__(self):
        # The mode to restore at the exit of each no_grad/enable_grad block open in this thread, innermost
        # last: kept per entry, so one instance entered twice (a recursive decorated function) is right.
        self.outer = []


_state = _GradMode()
# One entry per no_grad (or enable_grad) block open in any thread: while there is none, every thread records,
# and recording need not read the thread-local flag (a slow read). (append and pop are atomic.)
_open_blocks: list = []


def is_grad_enabled():
    """Whether ops on tensors are recorded in this thread (False inside `no_grad`).

    Grad mode governs the tensors users make (PyTorch's world). The functional transforms (`grad`,
    `vjp`, ...) always record their own values, so they nest and work inside `no_grad` too.
    """
    return _state.enabled


class no_grad(ContextDecorator):
    """Record nothing inside: a context manager (nestable, per thread) and a decorator.

    >>> import admodes as ad
    >>> x = ad.tensor(1.0, requires_grad=True)
    >>> with ad.no_grad():
    ...     y = x * 2
    >>> y.requires_grad
    False
    """

    def __enter__(self):
        _state.outer.append(_state.enabled)
        _open_blocks.append(None)
        _state.enabled = False

    def __exit__(self, *exc):
        _state.enabled = _state.outer.pop()
        _open_blocks.pop()
        return False


class enable_grad(no_grad):
    """Record again inside a `no_grad` block (used for ``create_graph=True``)."""

    def __enter__(self):
        _state.outer.append(_state.enabled)
        _open_blocks.append(None)
        _state.enabled = True


# ----------------------------------------------------------------------------------------------------
# Tensor
# ----------------------------------------------------------------------------------------------------

class Tensor(TorchMethods, ArrayLike):
    """An array that records the ops applied to it when it requires grad (PyTorch's semantics).

    ``Tensor(data)`` copies ``data`` (as ``torch.tensor`` does); `Tensor.from_numpy` shares it.

    >>> import numpy as np
    >>> x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    >>> y = (x * x).sum()
    >>> y.grad_fn
    <SumBackward>
    >>> y.backward(); x.grad
    Tensor([2., 4.])
    """

    __slots__ = ("data", "_requires_grad", "_grad", "grad_fn", "_level", "_versions", "__weakref__")

    def __init__(self, data, requires_grad=False):
        data = data.data if isinstance(data, Tensor) else data
        self._init(np.array(data), requires_grad)

    @classmethod
    def from_numpy(cls, array, requires_grad=False):
        """A tensor sharing ``array``'s memory: in-place ops on the tensor write into ``array``."""
        t = object.__new__(cls)
        t._init(np.asarray(array), requires_grad)
        return t

    def _init(self, data, requires_grad):
        if data.dtype.kind == "c":
            raise TypeError("Tensor: complex data is not supported; admodes differentiates real arrays only")
        if data.dtype.kind not in "fiub":
            raise TypeError(f"Tensor: data must be a real numeric array, got dtype {data.dtype}")
        self.data, self._grad, self.grad_fn = data, None, None
        self._level, self._versions = USER_LEVEL, _UNCHANGED
        self._requires_grad = False
        self.requires_grad = requires_grad

    @classmethod
    def _make(cls, data, level, grad_fn=None, requires_grad=False, versions=None):
        """The engine's constructor: no copy, no checks."""
        t = object.__new__(cls)
        t.data, t._grad, t.grad_fn, t._level = data, None, grad_fn, level
        t._requires_grad, t._versions = requires_grad, versions or _UNCHANGED
        return t

    def _inner(self):
        return self.data

    # ---- the graph ---------------------------------------------------------------------------------
    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag):
        if self.grad_fn is not None:
            raise RuntimeError("you can only change requires_grad flags of leaf tensors; this one is the result "
                               f"of {type(self.grad_fn).__name__}. Use .detach() to make a leaf of its value.")
        if flag and np.result_type(value(self.data)).kind != "f":
            raise RuntimeError(f"only tensors of floating point dtype can require gradients, this one is "
                               f"{np.result_type(value(self.data))} (make it with a float dtype)")
        self._requires_grad = bool(flag)

    def requires_grad_(self, requires_grad=True):
        """Set `requires_grad` in place and return the tensor (leaves only)."""
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self):
        """True for tensors made by the user (and results of ops that need no gradient)."""
        return self.grad_fn is None

    @property
    def _version(self):
        return self._versions[0]

    def _version_counter(self):
        """This tensor's own version counter (a list), made on first need: until then it shares `_UNCHANGED`."""
        if self._versions is _UNCHANGED:
            self._versions = [0]
        return self._versions

    def retain_grad(self):
        """Keep this non-leaf tensor's gradient in `.grad` at the next backward (leaves always do)."""
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on a tensor that does not require grad")
        if self.grad_fn is not None:
            _retained[self.grad_fn] = weakref.ref(self)

    @property
    def retains_grad(self):
        """True for a non-leaf tensor whose gradient `retain_grad` keeps in ``.grad``."""
        return self.grad_fn is not None and self.grad_fn in _retained

    def detach(self):
        """A leaf tensor sharing this one's data (and version counter), outside the graph."""
        return Tensor._make(self.data, self._level, versions=self._version_counter())

    def numpy(self):
        """The data as a NumPy array (refuses while the tensor requires grad, like PyTorch)."""
        if self._requires_grad:
            raise RuntimeError("can't call numpy() on a tensor that requires grad; use .detach().numpy()")
        return value(self.data)

    def zero_grad(self):
        """Reset the accumulated gradient (``.grad = None``)."""
        self.grad = None

    def __repr__(self):
        body = np.array2string(np.asarray(value(self.data)), separator=", ", prefix="Tensor(")
        if self.grad_fn is not None:
            return f"Tensor({body}, grad_fn=<{type(self.grad_fn).__name__}>)"
        return f"Tensor({body}, requires_grad=True)" if self._requires_grad else f"Tensor({body})"

    # ---- recording ---------------------------------------------------------------------------------
    def _apply(self, prim, args, params):
        """Run `prim` on the data and, if an input at this level requires grad, record a node for it."""
        level = self._level
        edges = None
        mask = 0  # bit i set: argument i wants a gradient (an edge); bit len(args) set: the number of arguments
        plain = True  # no argument still traced at a lower level: the impl can be called directly
        if len(args) == 1:  # the common case (sin, sum, reshape, getitem, ...): the argument is self
            data = self.data
            inner = (data,)
            if self._requires_grad and not prim.nondiff:
                edges, mask = (self.grad_fn or self,), 0b11
            if type(data) not in _PLAIN and isinstance(data, Traced):
                plain = False
        elif len(args) == 2:  # the binary ops, unrolled
            a, b = args
            ea = eb = None
            if type(a) is Tensor and a._level == level:
                xa = a.data
                if a._requires_grad and 0 not in prim.nondiff:
                    ea = a.grad_fn or a
            else:
                xa = a
            if type(b) is Tensor and b._level == level:
                xb = b.data
                if b._requires_grad and 1 not in prim.nondiff:
                    eb = b.grad_fn or b
            else:
                xb = b
            inner = (xa, xb)
            if ea is not None or eb is not None:
                edges = (ea, eb)
                mask = 0b100 | (ea is not None) | (eb is not None) << 1
            if type(xa) not in _PLAIN and isinstance(xa, Traced) or type(xb) not in _PLAIN and isinstance(xb, Traced):
                plain = False
        else:
            inner = []
            nondiff = prim.nondiff
            mask = 1 << len(args)
            for i, a in enumerate(args):
                if type(a) is Tensor and a._level == level:
                    x = a.data
                    if a._requires_grad and i not in nondiff:
                        if edges is None:
                            edges = [None] * len(args)
                        edges[i] = a.grad_fn or a
                        mask |= 1 << i
                else:
                    x = a
                if plain and type(x) is not np.ndarray and isinstance(x, Traced):
                    plain = False
                inner.append(x)
        if prim.impl_takes_traced:
            ans = prim.impl(*inner, **params)
        else:  # plain values go straight to the impl; values traced at lower levels dispatch again
            ans = call_impl(prim, inner, params) if plain else prim(*inner, **params)
        t = _new(Tensor)
        t.data, t._grad, t._level, t._versions = ans, None, level, _UNCHANGED
        # (A piecewise-constant op, sign or heaviside, is recorded: its inputs' gradients are zeros, not none.)
        if edges is None or (level == USER_LEVEL and _open_blocks and not _state.enabled) \
                or (type(ans) is not np.float64 and ans.dtype.kind != "f"):
            # no gradient wanted, or an integer-valued result (argmax-like), which carries no derivative
            t.grad_fn, t._requires_grad = None, False
            return t
        t.grad_fn = _record(prim, params, args, inner, edges, mask, t)
        t._requires_grad = True
        return t

    # ---- backward ----------------------------------------------------------------------------------
    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate d(self)/d(leaf), or v^T J with ``gradient=v``, into the ``.grad`` of the leaves.

        ``retain_graph`` keeps the saved values for another backward (default: ``create_graph``);
        ``create_graph`` records the backward sweep so the gradients can be differentiated again.
        """
        seed = _seed(self, gradient, "backward")
        targets = None if inputs is None else _as_tensors(inputs, "inputs")
        found = _sweep([self], [seed], targets, retain_graph, create_graph, accumulate=targets is None)
        if targets is not None:
            done = set()  # (a tensor named twice in inputs gets its gradient once, as in PyTorch)
            for t, g in zip(targets, found):
                if g is not None and id(t) not in done:
                    done.add(id(t))
                    _accumulate(t, g, create_graph)

    # ---- in-place ops ------------------------------------------------------------------------------
    def __iadd__(self, other):
        return self._update_in_place(op("add"), other)

    def __isub__(self, other):
        return self._update_in_place(op("subtract"), other)

    def __imul__(self, other):
        return self._update_in_place(op("multiply"), other)

    def __itruediv__(self, other):
        return self._update_in_place(op("divide"), other)

    def __setitem__(self, index, new):
        index = _plain_index(index)
        self._update_in_place(lambda x, v: op("index_update")(x, v, index=index), new)

    def _update_in_place(self, op, other):
        """``self = op(self, other)`` recorded as usual, then written into this tensor (version bumped)."""
        if self.grad_fn is None and self._requires_grad and is_grad_enabled():
            raise RuntimeError("a leaf tensor that requires grad is being used in an in-place operation; do it "
                               "under `with admodes.no_grad():` or on a copy (x = x + 1)")
        result = op(self, other)
        node = result.grad_fn if type(result) is Tensor else None
        if node is not None and node.versions and any(s is self for s in node.saved):
            # The op's own rule reads our value before the update (y *= x: d/dx needs the old y); keep a
            # copy of it, as PyTorch does for such in-place ops, so the write below cannot spoil it.
            original = Tensor._make(np.copy(self.data) if type(self.data) is np.ndarray else self.data,
                                    self._level, self.grad_fn, self._requires_grad, [self._versions[0]])
            node.saved = [original if s is self else s for s in node.saved]
        new = result.data if type(result) is Tensor and result._level == self._level else result
        if np.shape(value(new)) != np.shape(value(self.data)):
            raise ValueError(f"in-place op: the result has shape {np.shape(value(new))}, which does not fit "
                             f"the tensor's shape {np.shape(value(self.data))}")
        data = self.data
        if type(data) is np.ndarray and data.base is None and data.flags.writeable and type(new) is np.ndarray:
            np.copyto(data, new, casting="same_kind")  # write through: detached views of this tensor see it
        else:
            # Never write into memory this tensor does not own (a view of another array, a user's array).
            self.data = np.asarray(new, dtype=data.dtype) if type(new) is np.ndarray else new
        self._version_counter()[0] += 1
        if node is not None:
            # This tensor is now the output of `node`: share its version counter from here on.
            self.grad_fn, self._requires_grad = node, True
            if type(node.saved_ans) is tuple:
                node.saved_ans = (node.saved_ans[0], self._versions, self._versions[0])
        return self


def tensor(data, requires_grad=False):
    """A new tensor holding a copy of ``data`` (like ``torch.tensor``).

    >>> tensor([1.0, 2.0], requires_grad=True)
    Tensor([1., 2.], requires_grad=True)
    """
    return Tensor(data, requires_grad=requires_grad)


# ----------------------------------------------------------------------------------------------------
# Nodes: what the backward sweep needs of one op
# ----------------------------------------------------------------------------------------------------

class Node:
    """One recorded op (a tensor's ``grad_fn``): its VJP rule, saved values and edges to its inputs.

    Its class is named after the op (``MulBackward``, ``SinBackward``, ...). ``next_functions`` lists the
    nodes of its inputs, PyTorch's way: a pair ``(node, 0)`` per input, ``(None, 0)`` where no gradient
    flows, and an `AccumulateGrad` for a leaf.
    """

    __slots__ = ("params", "edges", "plan", "saved", "versions", "saved_ans", "shapes", "order", "level",
                 "__weakref__")
    prim = None  # each op's node class carries its primitive (see `_save_plan`)

    def __repr__(self):
        return f"<{type(self).__name__}>"

    def name(self):
        return type(self).__name__

    @property
    def next_functions(self):
        return tuple((None if e is None else e if isinstance(e, Node) else AccumulateGrad(e), 0) for e in self.edges)

    def _apply_rule(self, g, create_graph, same=False, donated=False):
        """The cotangents of this op's inputs from its output's cotangent ``g``.

        ``same``: every input has the same edge, so the summed cotangent (`core.defvjp_same`) may go to the
        first one when the inputs are also one value.
        """
        if self.saved is _FREED:
            raise RuntimeError(
                f"trying to backward through the graph a second time (or to read values saved by {self.name()} "
                "after they were freed). The saved values are freed after the first backward; pass "
                "retain_graph=True to the first backward() if you need to backward through it again.")
        args = self.saved
        if self.versions:  # saved tensors of this level: check their versions, then take their data
            level = self.level
            if len(args) == 1:  # (sin, exp, ...: the common case, unrolled; the one saved value is a tensor)
                args = (_unpack(args[0], self.versions[0], self, create_graph),)
            else:
                args = [_unpack(s, v, self, create_graph) if type(s) is Tensor and s._level == level else s
                        for s, v in zip(args, self.versions)]
        ans = self.saved_ans
        if ans is not None:
            ans = _unpack_output(ans, self, create_graph)
        if same and args[0] is not None and all(a is args[0] for a in args):
            ct = vjp_same_of(self.prim, g, ans, args[0], self.params, self.shapes[0], donated)
            return [ct] + [None] * (len(args) - 1)
        return vjp_of(self.prim, g, ans, args, self.params, self.plan.needed, self.shapes, donated)

    def _release(self):
        """Free the saved arrays (shapes stay: they cost nothing, and PyTorch keeps them too)."""
        if self.plan.holds_arrays:
            self.saved, self.saved_ans, self.versions = _FREED, None, _NO_VERSIONS


class AccumulateGrad:
    """The node a leaf tensor's gradient flows into (shown by ``next_functions``); ``.variable`` is the leaf."""

    __slots__ = ("variable",)

    def __init__(self, variable):
        self.variable = variable

    def __repr__(self):
        return "<AccumulateGrad>"


_FREED = ("freed",)
_retained = weakref.WeakKeyDictionary()  # node -> weakref to the non-leaf tensor that asked retain_grad()
_node_types: dict = {}


_NONE, _WHOLE, _META = 0, 1, 2


def _record(prim, params, args, inner, edges, mask, out):
    """Make the node of one op, whose result is the tensor ``out``: keep only what its VJP rule reads (see
    `core.values_read`).

    A saved input that is a tensor of this level is kept as the tensor itself, with its version then in
    ``node.versions`` (modified later means an error at backward); other inputs are kept as they are.
    """
    ans, level = out.data, out._level
    plan = prim.save_plans.get(mask)
    if plan is None:
        plan = _save_plan(prim, tuple(e is not None for e in edges), mask)
    node = plan.node_type()  # (a node class has no __init__: calling it beats object.__new__, measured)
    if plan.unary:  # an op of one argument that has an edge (sin, sum, reshape, ...)
        x = inner[0]
        action = plan.actions[0]
        if action is _WHOLE:
            a = args[0]
            if type(a) is Tensor and a._level == level:
                version = a._versions[0]
                node.saved, node.versions = (a,), (version,) if version else _AT_VERSION_0
            else:
                node.saved, node.versions = (x,), _NO_VERSIONS
        else:
            node.saved, node.versions = (None if action is _NONE else Meta(x),), _NO_VERSIONS
        shape = x.shape  # (an input with an edge is a tensor's data: an array)
        node.shapes = (shape,) if shape else _SCALAR_SHAPES
    elif len(args) == 2:  # the binary ops, unrolled
        (act0, act1), (a0, a1), (x0, x1) = plan.actions, args, inner
        vers = _NO_VERSIONS
        if act0 is _WHOLE:
            if type(a0) is Tensor and a0._level == level:
                s0, vers = a0, (a0._versions[0], None)
            else:
                s0 = x0
        else:
            s0 = None if act0 is _NONE else Meta(x0)
        if act1 is _WHOLE:
            if type(a1) is Tensor and a1._level == level:
                s1, vers = a1, (vers[0] if vers else None, a1._versions[0])
            else:
                s1 = x1
        else:
            s1 = None if act1 is _NONE else Meta(x1)
        node.saved = (s0, s1) if s0 is not None or s1 is not None else _NOTHING_SAVED_2  # (add's)
        node.versions = vers
        node.shapes = (None if edges[0] is None else x0.shape, None if edges[1] is None else x1.shape)
    else:
        saved, shapes, vers = [], [], _NO_VERSIONS
        for k, (action, a, x, e) in enumerate(zip(plan.actions, args, inner, edges)):
            if action is _NONE:
                saved.append(None)
            elif action is _WHOLE:
                if type(a) is Tensor and a._level == level:
                    if vers is _NO_VERSIONS:
                        vers = [None] * len(args)
                    vers[k] = a._versions[0]
                    saved.append(a)
                else:
                    saved.append(x)
            else:
                saved.append(Meta(x))
            shapes.append(None if e is None else x.shape)
        node.saved, node.versions, node.shapes = saved, vers, shapes
    ans_action = plan.ans_action
    node.params, node.edges, node.plan = params, edges, plan
    if ans_action is _WHOLE:
        # The output's version counter rides with it, so an in-place change of the output is caught too.
        versions = out._version_counter()
        node.saved_ans = (ans, versions, versions[0])
    else:
        node.saved_ans = None if ans_action is _NONE else Meta(ans)
    node.order, node.level = next(_creation_order), level
    return node


_NO_VERSIONS = ()  # no saved input is a tensor of the node's level
# Shared tuples for the commonest contents: each node made keeps fewer objects for the cyclic GC to visit.
_AT_VERSION_0, _SCALAR_SHAPES, _NOTHING_SAVED_2 = (0,), ((),), (None, None)


class _Plan:
    """How the nodes of `prim` keep its inputs and output when the inputs in ``needed`` want gradients:
    the node class, an action per input (`_NONE`, `_WHOLE`, `_META`) and one for the output, whether any
    array is kept (``holds_arrays``: the sweep frees it), and whether the op has one argument (``unary``)."""

    __slots__ = ("prim", "node_type", "actions", "ans_action", "needed", "holds_arrays", "unary")


def _save_plan(prim, needed, mask):
    """The `_Plan` of `prim` when the inputs in ``needed`` want gradients, cached per primitive and
    ``needed`` (as the bits of ``mask``, see `Tensor._apply`)."""
    node_type = _node_types.get(prim)
    if node_type is None:
        node_type = _node_types[prim] = type(f"{prim.short}Backward", (Node,), {"__slots__": (), "prim": prim})
    if prim.joint_vjp is not None:
        every = set(range(len(needed)))
        whole = every if "args" in prim.joint_saves else set()
        whole |= {-1} if "ans" in prim.joint_saves else set()
        meta = every if "shapes" in prim.joint_saves else set()
    else:
        whole, meta = set(), set()
        for need, reads in zip(needed, prim.vjp_reads):
            if need:
                whole |= reads[0]
                meta |= reads[1]
    action = lambda i: _WHOLE if i in whole else _META if i in meta else _NONE
    plan = _Plan()
    plan.prim, plan.node_type, plan.needed = prim, node_type, needed
    plan.actions, plan.ans_action = tuple(action(i) for i in range(len(needed))), action(-1)
    plan.holds_arrays, plan.unary = bool(whole), needed == (True,)
    prim.save_plans[mask] = plan
    return plan


def _unpack(t, version, node, create_graph):
    if t._versions[0] != version:
        raise RuntimeError(_modified_message(node, np.shape(value(t.data)), t._versions[0], version))
    return t if create_graph else t.data


def _unpack_output(saved_ans, node, create_graph):
    if type(saved_ans) is Meta:
        return saved_ans
    ans, versions, version = saved_ans
    if versions[0] != version:
        raise RuntimeError(_modified_message(node, np.shape(value(ans)), versions[0], version, output=True))
    if create_graph:  # the output as a tensor whose grad_fn is this node, so its use is differentiated too
        return Tensor._make(ans, node.level, node, True, versions)
    return ans


def _modified_message(node, shape, now, expected, output=False):
    what = "its output" if output else "an input"
    return (f"one of the values needed for gradient computation has been modified by an in-place operation: "
            f"{what} of {node.name()}, of shape {shape}, is at version {now}; expected version {expected}. "
            "Use an out-of-place op (x = x + 1 instead of x += 1), or modify it after backward().")


# ----------------------------------------------------------------------------------------------------
# The backward sweep
# ----------------------------------------------------------------------------------------------------

def _sweep(roots, seeds, targets, retain_graph, create_graph, accumulate):
    """Propagate ``seeds`` from ``roots`` to the leaves, visiting nodes in reverse creation order.

    Iterative (a heap keyed by creation order, no recursion), so graphs of any depth work. Leaves get
    their gradients accumulated into ``.grad`` when ``accumulate``; the cotangents reaching ``targets``
    (tensors, leaves or not) are returned, one per target (None where nothing reached it).

    A cotangent array that nothing but the sweep holds (`_sole`: a rule made it, or a sum did) is reused:
    a second cotangent is added into it, and an op's in-place VJP form (`core.defvjp_inplace`) writes its
    input's cotangent into it. Fewer fresh arrays: on big arrays, fewer page faults and cache misses.
    """
    if retain_graph is None:
        retain_graph = create_graph
    grads = {}   # node -> cotangent accumulated so far
    leaves = {}  # id(leaf) -> [leaf, cotangent]
    heap = []
    wanted = {}
    if targets is not None:
        for k, t in enumerate(targets):
            wanted.setdefault(id(t.grad_fn) if t.grad_fn is not None else id(t), []).append(k)
    found = [None] * (len(targets) if targets is not None else 0)

    def add(old, ct):
        """``old + ct``, into ``old`` when only the sweep holds it (the caller passes it on, popped) and the
        sum keeps its shape and dtype."""
        if type(old) is np.ndarray and type(ct) is np.ndarray and old.base is None and _sole(old) \
                and ct.shape == old.shape and ct.dtype == old.dtype:
            return np.add(old, ct, out=old)
        return old + ct

    def send(edge, ct):
        if type(edge) is Tensor:
            entry = leaves.get(id(edge))
            if entry is None:
                leaves[id(edge)] = [edge, ct]
            else:
                entry.append(add(entry.pop(), ct))
        elif edge in grads:
            grads[edge] = add(grads.pop(edge), ct)
        else:
            grads[edge] = ct
            heappush(heap, (-edge.order, edge))  # orders are unique: nodes are never compared

    def send_into(edge, node, g):
        """Add the cotangent of ``node``'s one input straight into the one the sweep holds for ``edge``
        (the primitive's `vjp_into`: getitem adds ``g`` at its index, instead of scattering it into zeros)."""
        entry = leaves.get(id(edge)) if type(edge) is Tensor else None
        old = entry.pop() if entry is not None else grads.pop(edge, None) if type(edge) is not Tensor else None
        if old is None:
            buffer = np.zeros(node.shapes[0], g.dtype)
        elif type(old) is np.ndarray and old.base is None and old.dtype == np.result_type(old, g) and _sole(old):
            buffer = old
        elif type(old) is np.ndarray or isinstance(old, np.generic):
            buffer = np.array(old, dtype=np.result_type(old, g))
        else:  # a traced cotangent: put it back, the rule will add to it
            if entry is not None:
                entry.append(old)
            else:
                grads[edge] = old
            return False
        node.prim.vjp_into(buffer, g, **node.params)
        if type(edge) is Tensor:
            leaves[id(edge)] = [edge, buffer]
        else:
            if old is None:
                heappush(heap, (-edge.order, edge))
            grads[edge] = buffer
        return True

    retained = _retained.data  # (a WeakKeyDictionary's own dict: testing it is free, its len() is not)
    hooked = NODE_HOOKS.data
    with (enable_grad() if create_graph else no_grad()):  # PyTorch's rule: the sweep records iff create_graph
        for root, seed in zip(roots, seeds):
            send(root.grad_fn or root, seed)
        following = None  # the next node, when it is the only one waiting: a chain skips the heap
        while following is not None or heap:
            node = following if following is not None else heappop(heap)[1]
            following = None
            g = grads.pop(node)
            if hooked:  # Tensor.register_hook on a non-leaf: may replace g
                g = node_gradient(node, g, create_graph)
            if wanted:
                for k in wanted.get(id(node), ()):
                    found[k] = g
            if retained and node in _retained:
                kept = _retained[node]()
                if kept is not None:
                    _accumulate(kept, g, create_graph)
            # (Each read of a node's attribute costs: the nodes of different ops are of different classes,
            # which defeats the interpreter's attribute caches. The plan, and its prim, are one class.)
            plan, edges = node.plan, node.edges
            prim = plan.prim
            if prim.vjp_into is not None and not create_graph and type(g) is np.ndarray \
                    and edges[0] is not None and send_into(edges[0], node, g):
                continue  # (such an op's node keeps no arrays: nothing to release)
            # g may be overwritten by the rules when nothing else holds it (found, retained: they do).
            donated = type(g) is np.ndarray and g.base is None and not create_graph and _sole(g)
            saved, versions = node.saved, node.versions
            if prim.zero_derivative:
                cts = _zero_cotangents(node, g)
            elif prim.vjp_same is not None and edges[0] is not None and edges[-1] is edges[0] \
                    and all(e is edges[0] for e in edges):
                cts = node._apply_rule(g, create_graph, same=True, donated=donated)  # x * x
            elif node.saved_ans is not None or create_graph or saved is _FREED \
                    or versions and (len(versions) > 1 or saved[0]._versions[0] != versions[0]):
                # an output or several tensors to unpack, a value modified in place or freed (errors)
                cts = node._apply_rule(g, create_graph, donated=donated)
            else:  # `_apply_rule` inlined for the common nodes: plain values saved, or one unmodified tensor
                if versions:  # (sin's x)
                    saved = (saved[0].data,)
                cts = vjp_of(prim, g, None, saved, node.params, plan.needed, node.shapes, donated)
            del g, saved  # (so that a cotangent computed into g is held by cts alone)
            # Each input's cotangent to its edge. (An index loop: most nodes have one or two edges, and a zip
            # loop over two cost 3x as much, measured.)
            k, last = 0, len(edges) - 1
            while True:
                edge, ct = edges[k], cts[k]
                if edge is not None and ct is not None:
                    if type(edge) is Tensor:
                        send(edge, ct)
                    elif edge in grads:
                        grads[edge] = add(grads.pop(edge), ct)
                    else:
                        grads[edge] = ct
                        if following is None and not heap:
                            following = edge
                        else:
                            heappush(heap, (-edge.order, edge))
                if k == last:
                    break
                k += 1
            if following is not None and heap:  # (another edge went to the heap: it decides the order)
                heappush(heap, (-following.order, following))
                following = None
            cts = ct = None  # (hold no cotangent past its node: the next ones test who holds theirs)
            if not retain_graph and plan.holds_arrays:
                node.saved, node.saved_ans, node.versions = _FREED, None, _NO_VERSIONS
                if prim.impl_takes_traced and "ctx" in node.params:  # a custom Function: its ctx holds some too
                    node.params["ctx"]._release()
    while leaves:
        key, entry = leaves.popitem()
        leaf, g = entry
        entry.clear()  # g is held by this frame alone now, unless someone else has it too
        g = leaf_gradient(leaf, g, create_graph)  # Tensor.register_hook on a leaf: may replace g
        for k in wanted.get(key, ()):
            found[k] = g
        if accumulate:
            fresh = type(g) is np.ndarray and g.base is None and _sole(g)  # (not in the call: its stack holds g)
            _accumulate(leaf, g, create_graph, fresh)
    return found


def _zero_cotangents(node, g):
    """What the node of a piecewise-constant op (sign, heaviside) sends its inputs: zeros, not symbolic zeros,
    so that a leaf reached through it alone gets a zero gradient, as in PyTorch and JAX (the op is in the
    graph; its derivative is zero)."""
    dtype = g.dtype if hasattr(g, "dtype") else np.result_type(g)
    return [None if e is None else np.zeros(shape, dtype) for e, shape in zip(node.edges, node.shapes)]


def _refs(a):
    return getrefcount(a)


def _held_by_one_local():
    a = np.empty(1)
    return _refs(a)


_SOLE_REFS = _held_by_one_local()  # what getrefcount says, called as below, of an array one local holds


def _sole(a):
    """True when ``a``, passed from a variable of the caller, has no other holder: then the caller may
    write into it. (The count depends on the interpreter's calling convention; it is measured above.)"""
    return getrefcount(a) == _SOLE_REFS


# Held while a gradient is added into a `.grad`: backward() calls in several threads may reach one leaf, and
# the read of .grad, the sum and the write back must not interleave (PyTorch's AccumulateGrad holds a lock).
_accumulate_lock = threading.Lock()


def _accumulate(t, g, create_graph, fresh=False):
    """Add ``g`` into ``t.grad`` (a fresh array: .grad never aliases a user's or another leaf's array).

    ``fresh``: ``g`` is an array that the sweep made and nobody else holds, so it is kept without a copy.
    """
    if create_graph:
        g = g if type(g) is Tensor else Tensor._make(g, t._level)
        with _accumulate_lock:
            t._grad = g if t._grad is None else t._grad + g
        return
    g = value(g) if type(g) is Tensor else g
    dtype = np.result_type(value(t.data))
    with _accumulate_lock:
        if t._grad is None:
            keep = fresh and type(g) is np.ndarray and g.dtype == dtype
            t._grad = Tensor._make(g if keep else np.array(g, dtype=dtype, copy=True), t._level)
        else:
            t._grad = Tensor._make(np.asarray(t._grad.data + g, dtype=dtype), t._level)


def _seed(out, gradient, who):
    """The cotangent that starts a backward sweep from ``out``, checked."""
    if type(out) is not Tensor:
        raise TypeError(f"{who}: expected a Tensor output, got {type(out).__name__}")
    if not out._requires_grad:
        raise RuntimeError(f"{who}: element 0 of tensors does not require grad and does not have a grad_fn "
                           "(nothing that requires grad was used to compute it)")
    shape = np.shape(value(out.data))
    if gradient is None:
        if int(np.prod(shape)) != 1:
            raise RuntimeError(f"grad can be implicitly created only for scalar outputs; this output has shape "
                               f"{shape}. Pass `gradient=` (the vector v of v^T J), reduce with .sum(), or use jacrev")
        return np.ones(shape, np.result_type(value(out.data)))
    g = gradient.data if type(gradient) is Tensor and gradient._level == out._level else gradient
    if not isinstance(g, (np.ndarray, np.generic, Traced)):
        g = np.asarray(g)  # a list or a Python number, as a user types it
    gshape = np.shape(value(g))
    if gshape != shape:
        raise RuntimeError(f"{who}: gradient has shape {gshape} but the output has shape {shape}; "
                           "they must match")
    kind = np.result_type(value(g)).kind
    if kind != "f":
        if kind not in "iub":  # (PyTorch casts a real gradient to the output's dtype, and refuses the others)
            raise TypeError(f"{who}: gradient has dtype {np.result_type(value(g))} but the output has dtype "
                            f"{np.result_type(value(out.data))}; pass a real floating-point gradient")
        g = np.asarray(value(g), dtype=np.result_type(value(out.data)))
    return g


def _as_tensors(xs, what):
    xs = (xs,) if isinstance(xs, Tensor) else tuple(xs)
    for i, x in enumerate(xs):
        if type(x) is not Tensor:
            raise TypeError(f"{what}[{i}] must be a Tensor, got {type(x).__name__}")
    return xs


def gradients(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=False):
    """The gradients of ``outputs`` with respect to ``inputs``, without touching ``.grad``.

    Like ``torch.autograd.grad``: ``grad_outputs`` gives v for each output (needed for non-scalar ones).

    >>> x = tensor([1.0, 2.0], requires_grad=True)
    >>> (g,) = gradients((x * x).sum(), x)
    >>> g
    Tensor([2., 4.])
    """
    outputs, inputs = _as_tensors(outputs, "outputs"), _as_tensors(inputs, "inputs")
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    elif isinstance(grad_outputs, (Tensor, np.ndarray)):
        grad_outputs = (grad_outputs,)
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"gradients: {len(outputs)} outputs but {len(grad_outputs)} grad_outputs")
    for i, t in enumerate(inputs):
        if not t._requires_grad:
            raise RuntimeError(f"gradients: inputs[{i}] does not require grad")
    seeds = [_seed(o, g, "gradients") for o, g in zip(outputs, grad_outputs)]
    found = _sweep(list(outputs), seeds, inputs, retain_graph, create_graph, accumulate=False)
    result = []
    for i, (t, g) in enumerate(zip(inputs, found)):
        if g is None and not allow_unused:
            raise RuntimeError(f"gradients: inputs[{i}] was not used to compute the outputs; pass allow_unused=True "
                               "to get None for it")
        if g is not None and g.dtype != t.dtype:  # the input's dtype, as PyTorch (f may have mixed in float64)
            g = g.astype(t.dtype)
        if g is not None and not (create_graph and type(g) is Tensor):
            g = Tensor._make(value(g) if type(g) is Tensor else g, t._level)
        result.append(g)
    return tuple(result)
