"""The user's `Tensor`: an array that records the ops applied to it, with PyTorch's semantics.

A tensor that requires grad records, for each primitive applied to it, a node (its ``grad_fn``, see
`tape`) that keeps exactly what the op's VJP rule will read and the edges to the nodes of its inputs;
``backward()`` then runs the sweep (`sweep.run_backward`). Versions: a tensor modified in place gets a
new version, and a node that saved its old value refuses, at backward, to use the new one.

    >>> import admodes as ad
    >>> x = ad.tensor(2.0, requires_grad=True)
    >>> w = ad.tensor(1.0, requires_grad=True)
    >>> y = (x + w) * (w + 1)
    >>> y.backward()
    >>> float(x.grad.data), float(w.grad.data)     # dy/dx = w + 1, dy/dw = (w + 1) + (x + w)
    (2.0, 5.0)
"""

from __future__ import annotations

import weakref

import numpy as np

from ..arraylike import ArrayLike, plain_index, value
from ..fastpaths import FAST
from ..ops.core import Traced, call_impl, op
from ..tensor_methods import TorchMethods
from .grad_mode import OPEN_BLOCKS, THREAD_MODE, is_grad_enabled
from .sweep import accumulate_grad, run_backward
from .tape import RETAINED, record, record_fast

__all__ = ["Tensor", "tensor", "gradients", "USER_LEVEL"]

USER_LEVEL = 0
"""The level of the tensors users make themselves (transforms make theirs at fresh levels)."""

# The version counter of every tensor not modified in place so far (version 0), shared: a tensor gets a
# counter of its own (a list) when it is modified in place or detached (`Tensor._version_counter`).
_UNCHANGED = (0,)
_new = object.__new__
_PLAIN = frozenset({np.ndarray, np.float64, np.float32, float, int})  # never traced: no isinstance check needed


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
        """A tensor sharing ``array``'s memory: in-place ops on the tensor write into ``array``.

        >>> a = np.zeros(2); t = Tensor.from_numpy(a); t += 1.0; a
        array([1., 1.])
        """
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
        if not isinstance(flag, (bool, np.bool_)):  # (PyTorch's text: a string or a number is not a flag)
            raise TypeError(f"requires_grad must be a bool, not {type(flag).__name__}")
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
            RETAINED[self.grad_fn] = weakref.ref(self)

    @property
    def retains_grad(self):
        """True for a non-leaf tensor whose gradient `retain_grad` keeps in ``.grad``."""
        return self.grad_fn is not None and self.grad_fn in RETAINED

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
    def _apply_generic(self, prim, args, params):
        """Run `prim` on the data and, if an input at this level requires grad, record a node for it.

        The engine's entry for every op (`core.lift` hands it the call when this tensor has the highest
        level among the arguments): unwrap the tensors of this level, run the op on what is inside, and
        record the node (see `tape.record`) with an edge per input that wants a gradient.
        """
        level = self._level
        inner, edges, nondiff = [], None, prim.nondiff
        mask = 1 << len(args)  # bit i: argument i has an edge; bit len(args): the number of arguments
        plain = True  # no argument still traced at a lower level: the impl can be called directly
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
            plain = plain and not isinstance(x, Traced)
            inner.append(x)
        if prim.impl_takes_traced:  # user code (a custom Function) runs on the inner values as they are
            ans = prim.impl(*inner, **params)
        else:  # plain values go straight to the impl; values traced at lower levels dispatch again
            ans = call_impl(prim, inner, params) if plain else prim(*inner, **params)
        return _output(prim, params, args, inner, edges, mask, ans, level, record)

    # ---- FAST PATH (used only when fastpaths.FAST; `_apply_generic` above is its definition) ---------------
    def _apply_fast(self, prim, args, params):
        """`_apply_generic` unrolled for one argument (self) and for two: the ops small-array code is made of.
        (Measured on the chain benchmark: the loop costs about a fifth more per op.)"""
        level = self._level
        edges = None
        mask = 0
        plain = True
        if len(args) == 1:  # sin, sum, reshape, getitem, ...: the argument is self
            data = self.data
            inner = (data,)
            if self._requires_grad and not prim.nondiff:
                edges, mask = (self.grad_fn or self,), 0b11
            if type(data) not in _PLAIN and isinstance(data, Traced):
                plain = False
        elif len(args) == 2:  # the binary ops
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
            return self._apply_generic(prim, args, params)
        if prim.impl_takes_traced:
            ans = prim.impl(*inner, **params)
        else:
            ans = call_impl(prim, inner, params) if plain else prim(*inner, **params)
        # `_output`, inlined (a call per op costs about a tenth of a small op's recording, measured)
        t = _new(Tensor)
        t.data, t._grad, t._level, t._versions = ans, None, level, _UNCHANGED
        if edges is None or (level == USER_LEVEL and OPEN_BLOCKS and not THREAD_MODE.enabled):
            t.grad_fn, t._requires_grad = None, False
            return t
        if type(ans) is not np.float64 and ans.dtype.kind != "f":
            if ans.dtype.kind != "c":  # an integer-valued result (argmax-like): no derivative
                t.grad_fn, t._requires_grad = None, False
                return t
            args, inner, edges = complex_inputs(prim, args, inner, edges, ans)
        t.grad_fn = record_fast(prim, params, args, inner, edges, mask, t)
        t._requires_grad = True
        return t

    _apply = _apply_fast if FAST else _apply_generic
    """Run `prim` on tensors (how `core.lift` hands a call to this engine): `_apply_generic`, or its fast path."""

    # ---- backward ----------------------------------------------------------------------------------
    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate d(self)/d(leaf), or v^T J with ``gradient=v``, into the ``.grad`` of the leaves.

        ``retain_graph`` keeps the saved values for another backward (default: ``create_graph``);
        ``create_graph`` records the backward sweep so the gradients can be differentiated again.

        >>> x = tensor(3.0, requires_grad=True); (x * x).backward(); x.grad
        Tensor(6.)
        """
        seed = _seed(self, gradient, "backward")
        targets = None if inputs is None else _as_tensors(inputs, "inputs")
        found = run_backward([self], [seed], targets, retain_graph, create_graph, accumulate=targets is None)
        if targets is not None:
            done = set()  # (a tensor named twice in inputs gets its gradient once, as in PyTorch)
            for t, g in zip(targets, found):
                if g is not None and id(t) not in done:
                    done.add(id(t))
                    accumulate_grad(t, g, create_graph)

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
        index = plain_index(index)
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


def _output(prim, params, args, inner, edges, mask, ans, level, make_node):
    """The tensor holding ``ans``, with its node made by ``make_node`` (`tape.record`) if a gradient flows."""
    t = _new(Tensor)
    t.data, t._grad, t._level, t._versions = ans, None, level, _UNCHANGED
    # (A piecewise-constant op, sign or heaviside, is recorded: its inputs' gradients are zeros, not none.)
    if edges is None or (level == USER_LEVEL and OPEN_BLOCKS and not THREAD_MODE.enabled) \
            or (type(ans) is not np.float64 and ans.dtype.kind not in "fc"):
        # no gradient wanted, or an integer-valued result (argmax-like), which carries no derivative
        t.grad_fn, t._requires_grad = None, False
        return t
    if type(ans) is not np.float64 and ans.dtype.kind == "c":
        args, inner, edges = complex_inputs(prim, args, inner, edges, ans)
    t.grad_fn = make_node(prim, params, args, inner, edges, mask, t)
    t._requires_grad = True
    return t


def complex_inputs(prim, args, inner, edges, ans):
    """The arguments of a complex result ``ans`` as its node will keep them: each real input that wants a
    gradient cast to ``ans``'s dtype by a recorded `astype` first (JAX's promotion), unless `prim`'s rules
    take real inputs of complex results themselves (``complex="mixed"``). So a rule written for complex values
    meets complex inputs only, and the cast's transpose gives the real input its real cotangent: the real
    part of the complex one. Called only for complex results, off the real hot path.

    >>> import numpy as np, admodes as ad
    >>> ad.grad(lambda x: (x * (1 + 2j)).real)(np.array(3.0))      # d/dx Re((1 + 2i) x) = 1
    array(1.)
    """
    if prim.rules.complex != True:  # noqa: E712  ("mixed": the rules see real inputs as they are)
        return args, inner, edges
    args, inner, edges = list(args), list(inner), list(edges)
    for i, (a, x, e) in enumerate(zip(args, inner, edges)):
        if e is not None and x.dtype.kind != "c":
            cast = op("astype")(a, dtype=ans.dtype)
            args[i], inner[i], edges[i] = cast, cast.data, cast.grad_fn
    return args, inner, edges


def tensor(data, requires_grad=False):
    """A new tensor holding a copy of ``data`` (like ``torch.tensor``).

    >>> tensor([1.0, 2.0], requires_grad=True)
    Tensor([1., 2.], requires_grad=True)
    """
    return Tensor(data, requires_grad=requires_grad)


# ----------------------------------------------------------------------------------------------------
# The functional face of the sweep (torch.autograd.grad) and its checks
# ----------------------------------------------------------------------------------------------------

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
    found = run_backward(list(outputs), seeds, inputs, retain_graph, create_graph, accumulate=False)
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
