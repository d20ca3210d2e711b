"""The tape: one `Node` per recorded op, keeping exactly what its VJP rule will read.

`record` makes the node of one op from what `Tensor._apply` unwrapped; `Node.apply_rule` turns the
cotangent of the op's output into those of its inputs. What a node keeps is decided once per primitive
and per set of inputs that want gradients (a `Plan`): each input is kept whole (`WHOLE`: the rule reads
its value), as shape and dtype only (`META`: the rule reads ``x.shape``), or not at all (`NONE`). The op
library says what each rule reads (`ops.core`).

A saved input that is a tensor of the node's level is kept as the tensor itself, with its version at
the time (``node.versions``): if it is modified in place before the backward sweep reads it, the sweep
raises instead of differentiating the new value. This module does not import `Tensor`: it knows one
as an argument that `Tensor._apply` unwrapped (``inner[i] is not args[i]``).

    >>> import admodes as ad
    >>> x = ad.tensor([1.0, 2.0], requires_grad=True)
    >>> node = (x * x).grad_fn
    >>> node, node.plan.actions, node.next_functions[0][0].variable is x
    (<MulBackward>, (1, 1), True)
"""

from __future__ import annotations

import itertools
import weakref

import numpy as np

from ..arraylike import value
from ..ops.core import Meta, vjp_of, vjp_same_of

__all__ = ["Node", "ZeroDerivativeNode", "AccumulateGrad", "Plan", "record", "record_fast", "FREED", "RETAINED", "NONE",
           "WHOLE", "META"]

NONE, WHOLE, META = 0, 1, 2
"""What a node keeps of one input (or of the output): nothing, the value, or its shape and dtype (`Meta`)."""

FREED = ("freed",)
"""A node's ``saved`` once a sweep without ``retain_graph`` has freed it."""

RETAINED = weakref.WeakKeyDictionary()
"""node -> weakref to the non-leaf tensor whose gradient `Tensor.retain_grad` keeps in ``.grad``."""

_creation_order = itertools.count()
_node_types: dict = {}  # primitive -> its node class
_NO_VERSIONS = ()  # no saved input is a tensor of the node's level
# Shared tuples for the commonest contents: each node made keeps fewer objects for the cyclic GC to visit.
_AT_VERSION_0, _SCALAR_SHAPES, _NOTHING_SAVED_2 = (0,), ((),), (None, None)


class Node:
    """One recorded op (a tensor's ``grad_fn``): its VJP rule, saved values and edges to its inputs.

    Its class is named after the op (``MulBackward``, ``SinBackward``, ...). ``next_functions`` lists the
    nodes of its inputs, PyTorch's way: a pair ``(node, 0)`` per input, ``(None, 0)`` where no gradient
    flows, and an `AccumulateGrad` for a leaf. ``edges`` holds the same: the input's node, the leaf tensor
    itself, or None. ``order`` is the node's place in creation order, which the sweep walks backwards.

    >>> import admodes as ad
    >>> x = ad.tensor(0.5, requires_grad=True)
    >>> node = (x * 3.0).grad_fn
    >>> node.edges[0] is x, node.edges[1] is None, float(node.apply_rule(ad.tensor(1.0).data, False)[0])
    (True, True, 3.0)
    """

    __slots__ = ("params", "edges", "plan", "saved", "versions", "saved_ans", "shapes", "order", "level",
                 "__weakref__")
    prim = None  # each op's node class carries its primitive (see `Plan`)

    def __repr__(self):
        return f"<{type(self).__name__}>"

    def name(self):
        return type(self).__name__

    @property
    def next_functions(self):
        return tuple((None if e is None else e if isinstance(e, Node) else AccumulateGrad(e), 0) for e in self.edges)

    def unpack(self, create_graph):
        """The saved inputs and output as the VJP rule takes them, their versions checked.

        With ``create_graph`` the tensors themselves are returned (so that the rule's use of them is
        recorded), else their arrays.
        """
        if self.saved is FREED:
            raise RuntimeError(
                f"trying to backward through the graph a second time (or to read values saved by {self.name()} "
                "after they were freed). The saved values are freed after the first backward; pass "
                "retain_graph=True to the first backward() if you need to backward through it again.")
        args = self.saved
        if self.versions:  # saved tensors of this level: check their versions, then take their data
            args = [s if v is None else _unpack(s, v, self, create_graph) for s, v in zip(args, self.versions)]
        ans = self.saved_ans
        if ans is not None:
            ans = _unpack_output(ans, self, create_graph)
        return args, ans

    def apply_rule(self, g, create_graph, donated=False):
        """The cotangents of this op's inputs (one per input, None for no gradient) from its output's ``g``.

        ``donated``: ``g`` is an array nothing else holds, which the op's in-place VJP forms may overwrite.
        """
        args, ans = self.unpack(create_graph)
        return vjp_of(self.prim, g, ans, args, self.params, self.plan.needed, self.shapes, donated)

    def release(self):
        """Free the saved arrays (shapes stay: they cost nothing, and PyTorch keeps them too), and those a
        custom Function's ctx holds."""
        if self.plan.holds_arrays:
            self.saved, self.saved_ans, self.versions = FREED, None, _NO_VERSIONS
            if self.prim.impl_takes_traced and "ctx" in self.params:  # a custom Function: its ctx holds some too
                self.params["ctx"]._release()

    # ---- FAST PATH (the sweep uses it only when fastpaths.FAST; `apply_rule` above is its definition) -----
    def apply_rule_fast(self, g, create_graph, donated, same):
        """`apply_rule`, with two shortcuts.

        ``same``: every input has the same edge and is the same value (x * x), so the op's summed VJP
        (``Fast(vjp_same=...)``: ``g * (2 * x)``, two array passes instead of three) goes to the first input.
        And the common nodes (plain values saved, or one tensor not modified since) skip `unpack`.
        """
        saved, versions = self.saved, self.versions
        if same:
            args, ans = self.unpack(create_graph)
            if args[0] is not None and all(a is args[0] for a in args):
                ct = vjp_same_of(self.prim, g, ans, args[0], self.params, self.shapes[0], donated)
                return [ct] + [None] * (len(args) - 1)
            return vjp_of(self.prim, g, ans, args, self.params, self.plan.needed, self.shapes, donated)
        if self.saved_ans is not None or create_graph or saved is FREED \
                or versions and (len(versions) > 1 or saved[0]._versions[0] != versions[0]):
            return self.apply_rule(g, create_graph, donated)
        if versions:  # (sin's x: one tensor, unmodified)
            saved = (saved[0].data,)
        return vjp_of(self.prim, g, None, saved, self.params, self.plan.needed, self.shapes, donated)


class ZeroDerivativeNode(Node):
    """The node of a piecewise-constant op (sign, heaviside; `core.nondifferentiable`): it sends its inputs
    zeros, not symbolic zeros, so that a leaf reached through it alone gets a zero gradient, as in PyTorch
    and JAX (the op is in the graph; its derivative is zero).

    >>> import admodes as ad, admodes.numpy as anp
    >>> x = ad.tensor([1.0, -2.0], requires_grad=True)
    >>> anp.sum(anp.sign(x)).backward(); x.grad
    Tensor([0., 0.])
    """

    __slots__ = ()

    def apply_rule(self, g, create_graph, donated=False):
        dtype = g.dtype if hasattr(g, "dtype") else np.result_type(g)
        return [None if e is None else np.zeros(shape, dtype) for e, shape in zip(self.edges, self.shapes)]

    def apply_rule_fast(self, g, create_graph, donated, same):
        return self.apply_rule(g, create_graph)


class AccumulateGrad:
    """The node a leaf tensor's gradient flows into (shown by ``next_functions``); ``.variable`` is the leaf.

    >>> import admodes as ad
    >>> x = ad.tensor(1.0, requires_grad=True)
    >>> (x * 2).grad_fn.next_functions[0][0]
    <AccumulateGrad>
    """

    __slots__ = ("variable",)

    def __init__(self, variable):
        self.variable = variable

    def __repr__(self):
        return "<AccumulateGrad>"


class Plan:
    """How the nodes of `prim` keep its inputs and output when the inputs in ``needed`` want gradients:
    the node class, an action per input (`NONE`, `WHOLE`, `META`) and one for the output, whether any
    array is kept (``holds_arrays``: the sweep frees it), whether the op has one argument (``unary``),
    and the class of its outputs (``output_type``: the tape rebuilds a saved output as a tensor from it).

    >>> import admodes as ad
    >>> plan = (ad.tensor(1.0, requires_grad=True).sum()).grad_fn.plan   # sum's rule reads x.shape only
    >>> plan.actions, plan.holds_arrays
    ((2,), False)
    """

    __slots__ = ("prim", "node_type", "actions", "ans_action", "needed", "holds_arrays", "unary", "output_type")

    def __init__(self, prim, needed, output_type):
        node_type = _node_types.get(prim)
        if node_type is None:
            base = ZeroDerivativeNode if prim.zero_derivative else Node
            node_type = _node_types[prim] = type(f"{prim.short}Backward", (base,), {"__slots__": (), "prim": prim})
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
        action = lambda i: WHOLE if i in whole else META if i in meta else NONE  # noqa: E731
        self.prim, self.node_type, self.needed, self.output_type = prim, node_type, needed, output_type
        self.actions, self.ans_action = tuple(action(i) for i in range(len(needed))), action(-1)
        self.holds_arrays, self.unary = bool(whole), needed == (True,)


def _plan(prim, edges, mask, out):
    """The `Plan` of `prim` for these ``edges``, cached per primitive by ``mask`` (bit i: input i has an
    edge; bit len(args): the number of arguments)."""
    plan = prim.save_plans.get(mask)
    if plan is None:
        plan = prim.save_plans[mask] = Plan(prim, tuple(e is not None for e in edges), type(out))
    return plan


def record(prim, params, args, inner, edges, mask, out):
    """Make the node of one op, whose result is the tensor ``out``: keep only what its VJP rule reads.

    ``args`` are the op's arguments, ``inner`` the same unwrapped by `Tensor._apply` (a tensor of this
    level replaced by its array), ``edges`` their nodes (None: no gradient wanted).
    """
    plan = _plan(prim, edges, mask, out)
    node = plan.node_type()  # (a node class has no __init__: calling it beats object.__new__, measured)
    saved, shapes, versions = [], [], _NO_VERSIONS
    for k, (action, a, x, e) in enumerate(zip(plan.actions, args, inner, edges)):
        if action is NONE:
            saved.append(None)
        elif action is META:
            saved.append(Meta(x))
        elif a is not x:  # a tensor of this level: kept itself, with its version now
            if versions is _NO_VERSIONS:
                versions = [None] * len(args)
            versions[k] = a._versions[0]
            saved.append(a)
        else:
            saved.append(x)
        shapes.append(None if e is None else x.shape)
    node.saved, node.versions, node.shapes = saved, versions, shapes
    _finish(node, plan, params, edges, out)
    return node


def _finish(node, plan, params, edges, out):
    """What every node keeps besides its inputs: params, edges, plan, the output, its place in order."""
    ans_action = plan.ans_action
    node.params, node.edges, node.plan = params, edges, plan
    if ans_action is WHOLE:
        # The output's version counter rides with it, so an in-place change of the output is caught too.
        versions = out._version_counter()
        node.saved_ans = (out.data, versions, versions[0])
    else:
        node.saved_ans = None if ans_action is NONE else Meta(out.data)
    node.order, node.level = next(_creation_order), out._level


# ---- FAST PATH (Tensor._apply uses it only when fastpaths.FAST; `record` above is its definition) -----------
def record_fast(prim, params, args, inner, edges, mask, out):
    """`record` unrolled for ops of one and two arguments (most of them), with shared tuples for the
    commonest contents. Measured: the loop above costs about a third more per op on small arrays."""
    plan = prim.save_plans.get(mask)
    if plan is None:
        plan = _plan(prim, edges, mask, out)
    if plan.unary:  # an op of one argument that has an edge (sin, sum, reshape, ...)
        node = plan.node_type()
        x = inner[0]
        action = plan.actions[0]
        if action is WHOLE:
            a = args[0]
            if a is not x:
                version = a._versions[0]
                node.saved, node.versions = (a,), (version,) if version else _AT_VERSION_0
            else:
                node.saved, node.versions = (x,), _NO_VERSIONS
        else:
            node.saved, node.versions = (None if action is NONE else Meta(x),), _NO_VERSIONS
        shape = x.shape  # (an input with an edge is a tensor's data: an array)
        node.shapes = (shape,) if shape else _SCALAR_SHAPES
    elif len(args) == 2:  # the binary ops
        node = plan.node_type()
        (act0, act1), (a0, a1), (x0, x1) = plan.actions, args, inner
        vers = _NO_VERSIONS
        if act0 is WHOLE:
            if a0 is not x0:
                s0, vers = a0, (a0._versions[0], None)
            else:
                s0 = x0
        else:
            s0 = None if act0 is NONE else Meta(x0)
        if act1 is WHOLE:
            if a1 is not x1:
                s1, vers = a1, (vers[0] if vers else None, a1._versions[0])
            else:
                s1 = x1
        else:
            s1 = None if act1 is NONE else Meta(x1)
        node.saved = (s0, s1) if s0 is not None or s1 is not None else _NOTHING_SAVED_2  # (add's)
        node.versions = vers
        node.shapes = (None if edges[0] is None else x0.shape, None if edges[1] is None else x1.shape)
    else:
        return record(prim, params, args, inner, edges, mask, out)
    # `_finish`, inlined
    ans_action = plan.ans_action
    node.params, node.edges, node.plan = params, edges, plan
    if ans_action is WHOLE:
        versions = out._version_counter()
        node.saved_ans = (out.data, versions, versions[0])
    else:
        node.saved_ans = None if ans_action is NONE else Meta(out.data)
    node.order, node.level = next(_creation_order), out._level
    return node


# ----------------------------------------------------------------------------------------------------
# Reading saved values back
# ----------------------------------------------------------------------------------------------------

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
        return node.plan.output_type._make(ans, node.level, node, True, versions)
    return ans


def _modified_message(node, shape, now, expected, output=False):
    what = "its output" if output else "an input"
    return (f"one of the values needed for gradient computation has been modified by an in-place operation: "
            f"{what} of {node.name()}, of shape {shape}, is at version {now}; expected version {expected}. "
            "Use an out-of-place op (x = x + 1 instead of x += 1), or modify it after backward().")
