"""The backward sweep: cotangents from the outputs back to the leaves, one node at a time.

`backward_pass` is the whole algorithm, step by step; `fast_backward_pass` beside it is the same
algorithm with measured shortcuts, and is what runs unless ``ADMODES_REFERENCE=1`` (see `run_backward`).

    >>> import admodes as ad
    >>> x = ad.tensor(3.0, requires_grad=True)
    >>> y = x * x + x
    >>> [float(g.data) for g in ad.gradients(y, x)]    # 2x + 1
    [7.0]
"""

from __future__ import annotations

import threading
from heapq import heappop, heappush

import numpy as np

from ..arraylike import value
from ..fastpaths import FAST
from ..temporaries import sole
from ..tensor_hooks import NODE_HOOKS, leaf_gradient, node_gradient
from .grad_mode import enable_grad, no_grad
from .tape import RETAINED, Node

__all__ = ["backward_pass", "fast_backward_pass", "run_backward", "accumulate_grad"]


def backward_pass(roots, seeds, targets=None, retain_graph=None, create_graph=False, accumulate=True):
    """Propagate the cotangents ``seeds`` of the tensors ``roots`` back through the tape.

    Returns the cotangents that reach ``targets`` (tensors, leaves or not; None where nothing reached
    one). With ``accumulate``, the leaves' cotangents are also added into their ``.grad``. The saved
    values are freed as the sweep goes unless ``retain_graph`` (default: ``create_graph``); with
    ``create_graph`` the sweep itself is recorded, so its results can be differentiated again.

    >>> import admodes as ad
    >>> x = ad.tensor([1.0, 2.0], requires_grad=True)
    >>> y = x * x
    >>> backward_pass([y], [np.ones(2)], targets=[x], accumulate=False)
    [array([2., 4.])]
    """
    if retain_graph is None:
        retain_graph = create_graph
    # The cotangent reaching each node so far, and the nodes waiting for their turn in a heap, latest
    # created first: a node is created after the nodes of its inputs, so when it is popped, every use of
    # its output has sent its cotangent already. (A heap, not recursion: graphs of any depth work.)
    grads, heap, leaves = {}, [], {}
    wanted, found = _targets(targets)

    def send(edge, ct):  # a cotangent for an input: to its node, or to its leaf tensor; the sum of all
        if not isinstance(edge, Node):
            entry = leaves.setdefault(id(edge), [edge, None])
            entry[1] = ct if entry[1] is None else entry[1] + ct
        elif edge in grads:
            grads[edge] = grads[edge] + ct
        else:
            grads[edge] = ct
            heappush(heap, (-edge.order, edge))  # orders are unique: nodes are never compared

    with (enable_grad() if create_graph else no_grad()):  # PyTorch's rule: the sweep records iff create_graph
        # 1. Seed: each root's cotangent to its node (or to itself, a leaf).
        for root, seed in zip(roots, seeds):
            send(root.grad_fn or root, seed)
        while heap:
            # 2. The latest node whose output's cotangent is complete, and that cotangent.
            node = heappop(heap)[1]
            g = grads.pop(node)
            g = node_gradient(node, g, create_graph)  # (hooks registered on its tensor may replace it)
            # 3. Hand it out where it was asked for (a target, a tensor that called retain_grad()).
            for k in wanted.get(id(node), ()):
                found[k] = g
            _retain(node, g, create_graph)
            # 4. The cotangents of the node's inputs, by the op's VJP rule on what the node saved.
            cts = node.apply_rule(g, create_graph)
            # 5. Each to the node (or the leaf) that made that input.
            for edge, ct in zip(node.edges, cts):
                if edge is not None and ct is not None:
                    send(edge, ct)
            # 6. Free what the node saved, unless the graph is kept for another sweep.
            if not retain_graph:
                node.release()
    # 7. The leaves: their cotangents are complete now; hand them out and accumulate them into .grad.
    for key, (leaf, g) in leaves.items():
        g = leaf_gradient(leaf, g, create_graph)  # (hooks registered on the leaf may replace it)
        for k in wanted.get(key, ()):
            found[k] = g
        if accumulate:
            accumulate_grad(leaf, g, create_graph)
    return found


def _targets(targets):
    """Where each target's cotangent is found: id of its node (its own id for a leaf) -> its indices."""
    wanted = {}
    for k, t in enumerate(targets or ()):
        wanted.setdefault(id(t.grad_fn) if t.grad_fn is not None else id(t), []).append(k)
    return wanted, [None] * len(targets or ())


def _retain(node, g, create_graph):
    """Keep ``g`` in the ``.grad`` of the non-leaf tensor whose node is ``node``, if it asked (retain_grad)."""
    if node in RETAINED:
        kept = RETAINED[node]()
        if kept is not None:
            accumulate_grad(kept, g, create_graph)


def accumulate_grad(t, g, create_graph, fresh=False):
    """Add ``g`` into ``t.grad`` (a fresh array: .grad never aliases a user's or another leaf's array).

    ``fresh``: ``g`` is an array that the sweep made and nobody else holds, so it is kept without a copy.

    >>> import admodes as ad
    >>> x = ad.tensor(1.0, requires_grad=True)
    >>> accumulate_grad(x, np.array(2.0), False); accumulate_grad(x, np.array(3.0), False); x.grad
    Tensor(5.)
    """
    make = type(t)._make
    if create_graph:
        g = g if type(g) is type(t) else make(g, t._level)
        with _accumulate_lock:
            t._grad = g if t._grad is None else t._grad + g
        return
    g = value(g) if type(g) is type(t) else g
    dtype = np.result_type(value(t.data))
    with _accumulate_lock:
        if t._grad is None:
            keep = fresh and type(g) is np.ndarray and g.dtype == dtype
            t._grad = make(g if keep else np.array(g, dtype=dtype, copy=True), t._level)
        else:
            t._grad = make(np.asarray(t._grad.data + g, dtype=dtype), t._level)


# Held while a gradient is added into a `.grad`: backward() calls in several threads may reach one leaf, and
# the read of .grad, the sum and the write back must not interleave (PyTorch's AccumulateGrad holds a lock).
_accumulate_lock = threading.Lock()


# ----------------------------------------------------------------------------------------------------
# FAST PATH: the same sweep with its measured shortcuts (used only when fastpaths.FAST)
# ----------------------------------------------------------------------------------------------------

def fast_backward_pass(roots, seeds, targets=None, retain_graph=None, create_graph=False, accumulate=True):
    """`backward_pass` with these shortcuts, each measured (see benchmarks/README.md):

    - buffer reuse: a cotangent array that nothing but the sweep holds (`sole`: a rule made it, or a sum
      did) is written into: a second cotangent is added into it, and an op's in-place VJP form
      (``Fast(vjp_inplace=...)``) computes its input's cotangent in it (``donated``). Fewer fresh arrays:
      on big arrays, fewer page faults and cache misses;
    - ``Fast(vjp_into=...)``: getitem adds its cotangent at its index into the buffer of its input, instead
      of scattering it into zeros that are then added;
    - ``Fast(vjp_same=...)``: x * x (every input the one value) gets the summed rule, ``g * (2 * x)``;
    - a chain (one node waiting, and it is the next) skips the heap;
    - the common node's rule skips unpacking (`Node.apply_rule_fast`).

    >>> import admodes as ad
    >>> x = ad.tensor([1.0, 2.0], requires_grad=True)
    >>> fast_backward_pass([x * x], [np.ones(2)], targets=[x], accumulate=False)
    [array([2., 4.])]
    """
    if retain_graph is None:
        retain_graph = create_graph
    grads = {}   # node -> cotangent accumulated so far
    leaves = {}  # id(leaf) -> [leaf, cotangent]
    heap = []
    wanted, found = _targets(targets)
    # An edge of the roots' class (Tensor) is a leaf, any other a node: `type(edge) is tensor_type` costs less
    # than `isinstance(edge, Node)`, measured.
    tensor_type = type(roots[0]) if roots else None

    def add(old, ct):
        """``old + ct``, into ``old`` when only the sweep holds it (the caller passes it on, popped) and the
        sum keeps its shape and dtype."""
        if type(old) is np.ndarray and type(ct) is np.ndarray and old.base is None and sole(old) \
                and ct.shape == old.shape and ct.dtype == old.dtype:
            return np.add(old, ct, out=old)
        return old + ct

    def send(edge, ct):
        if type(edge) is tensor_type:
            entry = leaves.get(id(edge))
            if entry is None:
                leaves[id(edge)] = [edge, ct]
            else:
                entry.append(add(entry.pop(), ct))
        elif edge in grads:
            grads[edge] = add(grads.pop(edge), ct)
        else:
            grads[edge] = ct
            heappush(heap, (-edge.order, edge))

    def send_into(edge, node, g):
        """Add the cotangent of ``node``'s one input straight into the one the sweep holds for ``edge``
        (the primitive's `vjp_into`: getitem adds ``g`` at its index, instead of scattering it into zeros)."""
        is_leaf = type(edge) is tensor_type
        entry = leaves.get(id(edge)) if is_leaf else None
        old = entry.pop() if entry is not None else grads.pop(edge, None) if not is_leaf else None
        if old is None:
            buffer = np.zeros(node.shapes[0], g.dtype)
        elif type(old) is np.ndarray and old.base is None and old.dtype == np.result_type(old, g) and sole(old):
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
        if is_leaf:
            leaves[id(edge)] = [edge, buffer]
        else:
            if old is None:
                heappush(heap, (-edge.order, edge))
            grads[edge] = buffer
        return True

    retained = RETAINED.data  # (a WeakKeyDictionary's own dict: testing it is free, its len() is not)
    hooked = NODE_HOOKS.data
    with (enable_grad() if create_graph else no_grad()):
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
            if retained:
                _retain(node, g, create_graph)
            # (Each read of a node's attribute costs: the nodes of different ops are of different classes,
            # which defeats the interpreter's attribute caches. The plan, and its prim, are one class.)
            plan, edges = node.plan, node.edges
            prim = plan.prim
            if prim.vjp_into is not None and not create_graph and type(g) is np.ndarray \
                    and edges[0] is not None and send_into(edges[0], node, g):
                continue  # (such an op's node keeps no arrays: nothing to release)
            # g may be overwritten by the rules when nothing else holds it (found, retained: they do).
            donated = type(g) is np.ndarray and g.base is None and not create_graph and sole(g)
            same = prim.vjp_same is not None and edges[0] is not None and edges[-1] is edges[0] \
                and all(e is edges[0] for e in edges)
            cts = node.apply_rule_fast(g, create_graph, donated, same)
            del g  # (so that a cotangent computed into g is held by cts alone)
            # Each input's cotangent to its edge. (An index loop: most nodes have one or two edges, and a zip
            # loop over two cost 3x as much, measured.)
            k, last = 0, len(edges) - 1
            while True:
                edge, ct = edges[k], cts[k]
                if edge is not None and ct is not None:
                    if type(edge) is tensor_type:
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
                node.release()
    while leaves:
        key, entry = leaves.popitem()
        leaf, g = entry
        entry.clear()  # g is held by this frame alone now, unless someone else has it too
        g = leaf_gradient(leaf, g, create_graph)  # Tensor.register_hook on a leaf: may replace g
        for k in wanted.get(key, ()):
            found[k] = g
        if accumulate:
            fresh = type(g) is np.ndarray and g.base is None and sole(g)  # (not in the call: its stack holds g)
            accumulate_grad(leaf, g, create_graph, fresh)
    return found


run_backward = fast_backward_pass if FAST else backward_pass
"""The sweep the engine runs: `fast_backward_pass`, or `backward_pass` alone with ``ADMODES_REFERENCE=1``."""
