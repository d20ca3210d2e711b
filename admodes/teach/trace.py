"""Evaluation traces: the graph of one call of ``f``, with its forward sweep and its reverse sweep.

`trace` runs ``f`` once on reverse-mode tensors, so each primitive call records a node (its
``grad_fn``), exactly as for ``y.backward()``. A thin recording layer above the tensors also keeps
what a table needs and a node does not: every input of every op (constants too) and every
intermediate value. Then the two sweeps of the textbooks run over the recorded graph with the op
library's own rules:

- the **forward sweep** visits the nodes in order and computes each tangent ``v̇_i`` from the
  tangents of its inputs (`admodes.ops.core.jvp_of`), for one chosen input direction;
- the **reverse sweep** visits them in reverse order and sends each adjoint ``v̄_i`` back to the
  inputs of its op (`admodes.ops.core.vjp_of`), adding up what arrives at each value.

The teaching example y = (x + w) * (w + 1) at x = 2, w = 1:

    >>> t = trace(lambda x, w: (x + w) * (w + 1), 2.0, 1.0, wrt="w", names="a b y")
    >>> [(n.name, fmt(n.value)) for n in t.nodes]
    [('x', '2'), ('w', '1'), ('a', '3'), ('b', '2'), ('y', '6')]
    >>> fmt(t.derivative), [fmt(g) for g in t.gradient]      # dy/dw by the forward sweep; the gradient
    ('5', ['2', '5'])
    >>> [fmt(s.contribution) for s in t.steps if s.target.name == "w"]   # w-bar sums over two paths
    ['3', '2']
"""

from __future__ import annotations

import inspect
import re

import numpy as np

from ..arraylike import ArrayLike, value
from ..ops.core import jvp_of, new_level, vjp_of
from ..reverse import Tensor, enable_grad
from .notation import UNICODE, fmt

__all__ = ["trace", "Trace", "TraceNode", "Constant", "ForwardTerm", "ReverseStep"]

_INFIX = {"add": "+", "subtract": "-", "multiply": "*", "divide": "/", "power": "**", "matmul": "@"}


# ----------------------------------------------------------------------------------------------------
# What a trace is made of
# ----------------------------------------------------------------------------------------------------

class Constant:
    """An input of an op that is not a traced value (the ``1`` of ``w + 1``): it has no tangent or adjoint.

    >>> Constant(1.0).label
    '1'
    """

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    @property
    def label(self):
        """How the constant is written in a definition: its value, or its shape when it is large."""
        arr = np.asarray(value(self.value))
        if arr.dtype == object:  # None (no bound), a string, ...: not a number
            return repr(self.value)
        if arr.size <= 3:
            text = fmt(arr)
            return f"({text})" if text.startswith("-") else text
        return f"const{arr.shape}"

    def __repr__(self):
        return f"Constant({self.label})"


class TraceNode:
    """One value of the trace: an input of ``f`` or the result of one primitive call.

    ``inputs`` holds the op's arguments in order, each a `TraceNode` or a `Constant`; ``grad_fn`` is
    the reverse engine's node for the same call (None for inputs). ``tangent`` and ``adjoint`` are
    filled in by the two sweeps (None for a symbolic zero).

    >>> t = trace(lambda x: x * x, 3.0)
    >>> y = t.output
    >>> y.name, y.op, [i.name for i in y.inputs], y.grad_fn
    ('y', 'multiply', ['x', 'x'], <MulBackward>)
    """

    __slots__ = ("index", "name", "kind", "prim", "params", "inputs", "value", "grad_fn", "tangent", "adjoint",
                 "terms", "is_output")

    def __init__(self, kind, name, value, prim=None, params=None, inputs=(), grad_fn=None):
        self.kind, self.name, self.value = kind, name, value
        self.prim, self.params, self.inputs, self.grad_fn = prim, dict(params or {}), tuple(inputs), grad_fn
        self.index, self.tangent, self.adjoint, self.terms, self.is_output = -1, None, None, [], False

    @property
    def op(self):
        """The primitive's name (``"add"``, ``"sin"``), or None for an input."""
        return None if self.prim is None else self.prim.name

    @property
    def is_input(self):
        """True for an argument of ``f`` (a leaf of the graph)."""
        return self.kind == "input"

    def operands(self):
        """The traced inputs of this op that carry a derivative: ``(position, node)`` pairs."""
        if self.prim is None:
            return []
        return [(i, a) for i, a in enumerate(self.inputs)
                if isinstance(a, TraceNode) and i not in self.prim.nondiff]

    def definition(self):
        """The op written out with the names of its inputs, as in the textbooks: ``x + w``, ``sin(v1)``.

        >>> trace(lambda x: 2.0 * x, 1.0).output.definition()
        '2 * x'
        """
        if self.prim is None:
            return "input"
        labels = [a.name if isinstance(a, TraceNode) else a.label for a in self.inputs]
        extra = [f"{k}={_param_text(v)}" for k, v in self.params.items() if _shown_param(v)]
        name = self.op
        if name in _INFIX and len(labels) == 2 and not extra:
            return f"{labels[0]} {_INFIX[name]} {labels[1]}"
        if name == "negative" and not extra:
            return f"-{labels[0]}"
        return f"{name}({', '.join(labels + extra)})"

    def __repr__(self):
        return f"<TraceNode {self.name} = {self.definition()}: {fmt(self.value)}>"


def _shown_param(v):
    return v is not None and v is not False and isinstance(v, (bool, int, float, str, tuple, np.dtype))


def _param_text(v):
    return repr(v) if isinstance(v, str) else str(v)


class ForwardTerm:
    """One term of the chain rule in the forward sweep: ``∂v/∂u · u̇`` for an input ``u`` of ``v``.

    ``partial`` is the local partial derivative ∂v/∂u when both are scalars (else None);
    ``contribution`` is the term's value.

    >>> trace(lambda x, w: x * w, 2.0, 5.0).output.terms    # ∂y/∂x·ẋ = 5·1 and ∂y/∂w·ẇ = 2·0
    [ForwardTerm(x: 5), ForwardTerm(w: 0)]
    """

    __slots__ = ("source", "partial", "contribution")

    def __init__(self, source, partial, contribution):
        self.source, self.partial, self.contribution = source, partial, contribution

    def __repr__(self):
        return f"ForwardTerm({self.source.name}: {fmt(self.contribution)})"


class ReverseStep:
    """One update of the reverse sweep: ``ū += v̄ · ∂v/∂u``, sent by the op of ``node`` to its input ``target``.

    ``partial`` is ∂v/∂u when both are scalars (else None), ``contribution`` the value added and
    ``total`` the adjoint of ``target`` after the update; ``previous`` is its adjoint before (None at
    the first contribution). The step that seeds the sweep has ``node is target``.

    >>> trace(lambda x, w: x * w, 2.0, 5.0).steps
    [ReverseStep(y -> y: 1), ReverseStep(y -> x: 5), ReverseStep(y -> w: 2)]
    """

    __slots__ = ("node", "target", "partial", "contribution", "previous", "total")

    def __init__(self, node, target, partial, contribution, previous, total):
        self.node, self.target, self.partial = node, target, partial
        self.contribution, self.previous, self.total = contribution, previous, total

    @property
    def is_seed(self):
        """True for the first step, which sets the output's adjoint to the cotangent."""
        return self.node is self.target

    def __repr__(self):
        return f"ReverseStep({self.node.name} -> {self.target.name}: {fmt(self.contribution)})"


# ----------------------------------------------------------------------------------------------------
# Recording: a thin layer of traced values above the reverse engine's tensors
# ----------------------------------------------------------------------------------------------------

class _Recorder(ArrayLike):
    """A value under trace: it wraps a tensor and logs every primitive applied to it, constants included.

    It is a traced value of its own level (like a `Dual` or a `Tensor`), so the op library hands it
    every call; it calls the primitive again on the tensors inside, which records the usual node.
    """

    __slots__ = ("inner", "node", "_level", "_tape")

    def __init__(self, inner, node, level, tape):
        self.inner, self.node, self._level, self._tape = inner, node, level, tape

    def _inner(self):
        return self.inner

    def _apply(self, prim, args, params):
        inner, inputs = [], []
        for a in args:
            if type(a) is _Recorder and a._level == self._level:
                inner.append(a.inner)
                inputs.append(a.node)
            else:
                inner.append(a)
                inputs.append(Constant(a))
        out = prim(*inner, **params)
        grad_fn = out.grad_fn if type(out) is Tensor else None
        node = TraceNode("op", "", np.asarray(value(out)), prim, params, inputs, grad_fn)
        self._tape.append(node)
        return _Recorder(out, node, self._level, self._tape)

    def __repr__(self):
        return f"<traced {self.node.name or self.node.op}: {fmt(value(self.inner))}>"


def _float_input(x, i, name):
    if isinstance(x, (bool, np.bool_)):
        raise TypeError(f"trace: argument {i} ({name}) is a bool; a derivative needs a floating-point number")
    if isinstance(x, (int, float)):
        return np.array(float(x))
    arr = np.asarray(value(x))
    if arr.dtype.kind == "c":
        raise TypeError(f"trace: argument {i} ({name}) is complex; admodes differentiates real arrays only")
    if arr.dtype.kind != "f":
        raise TypeError(f"trace: argument {i} ({name}) has dtype {arr.dtype}: a derivative needs floating point "
                        f"input (pass it as float, e.g. x.astype(float))")
    return arr.copy()


def _input_names(f, n):
    try:
        params = list(inspect.signature(f).parameters.values())
    except (TypeError, ValueError):
        params = []
    names = []
    for p in params:
        if p.kind == p.VAR_POSITIONAL:
            break
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            names.append(p.name)
    names = names[:n]
    return names + [f"x{i}" for i in range(len(names), n)]


# ----------------------------------------------------------------------------------------------------
# The trace
# ----------------------------------------------------------------------------------------------------

def trace(f, *args, wrt=0, tangents=None, cotangent=None, names=None):
    """Record the graph of ``f(*args)`` and run both sweeps over it; returns a `Trace`.

    ``f`` is written with the op library (``admodes.numpy`` or operators). The forward sweep pushes
    the tangents of one input direction: by default ``wrt`` (an argument's position or name) is
    seeded with ones and the other inputs with zeros; ``tangents`` (one per argument) sets the
    direction freely. The reverse sweep starts from ``cotangent`` (default: ones, so for a scalar
    output it gives the gradient). ``names`` names the ops' results in order (``"a b y"`` or a list);
    by default they are v1, v2, ... and the output is y.

    >>> t = trace(lambda x, w: (x + w) * (w + 1), 2.0, 1.0, wrt="w", names="a b y")
    >>> print(t.summary())
    y = 6 at x = 2, w = 1
    forward sweep (seed ẋ = 0, ẇ = 1): ẏ = 5 = ∂y/∂w
    reverse sweep (seed ȳ = 1): x̄ = 2 = ∂y/∂x, w̄ = 5 = ∂y/∂w (the whole gradient in one sweep)
    w̄ = 3 + 2: w is used by 2 ops (b, a) and its adjoint sums what comes back along each path
    the engines agree: jvp gives 5; y.backward() gives x.grad = 2, w.grad = 5
    """
    if not callable(f):
        raise TypeError(f"trace: f must be a function, got {type(f).__name__}")
    if not args:
        raise TypeError("trace: give the point to trace f at, e.g. trace(f, 2.0, 1.0)")
    input_names = _input_names(f, len(args))
    primals = [_float_input(a, i, input_names[i]) for i, a in enumerate(args)]
    seeds = _tangent_seeds(primals, input_names, wrt, tangents)

    level, tape = new_level(), []
    leaves = [Tensor(p, requires_grad=True) for p in primals]
    inputs = [TraceNode("input", n, p) for n, p in zip(input_names, primals)]
    with enable_grad():
        out = f(*(_Recorder(t, node, level, tape) for t, node in zip(leaves, inputs)))
    if isinstance(out, (tuple, list)):
        raise TypeError("trace: f must return a single array (differentiate each output separately)")
    if type(out) is not _Recorder or out._level != level:
        raise ValueError("trace: f's output does not depend on its inputs, so there is no graph to show "
                         "(compute it from the arguments f receives)")
    output = out.node
    result = Trace(f, inputs, _reachable(output, tape), output, seeds, names)
    result._run_sweeps(cotangent)
    result._check_with_engines(f, primals, leaves, out.inner)
    return result


def _tangent_seeds(primals, names, wrt, tangents):
    if tangents is not None:
        if not isinstance(tangents, (tuple, list)) or len(tangents) != len(primals):
            raise ValueError(f"trace: tangents must be a tuple with one tangent per argument ({len(primals)})")
        seeds = []
        for i, (t, p) in enumerate(zip(tangents, primals)):
            t = np.asarray(value(t), dtype=float)
            if t.shape != p.shape:
                raise ValueError(f"trace: tangent {i} ({names[i]}) has shape {t.shape} but the argument has "
                                 f"shape {p.shape}")
            seeds.append(t)
        return seeds
    if isinstance(wrt, str):
        if wrt not in names:
            raise ValueError(f"trace: wrt={wrt!r} is not an argument of f (its arguments: {', '.join(names)})")
        wrt = names.index(wrt)
    if not isinstance(wrt, (int, np.integer)) or not -len(primals) <= wrt < len(primals):
        raise ValueError(f"trace: wrt must be an argument's position (0 to {len(primals) - 1}) or name, got {wrt!r}")
    wrt = int(wrt) % len(primals)
    return [np.ones_like(p) if i == wrt else np.zeros_like(p) for i, p in enumerate(primals)]


def _reachable(output, tape):
    """The recorded ops that lead to ``output``, in creation order: an iterative walk back from it."""
    seen, stack = {id(output)}, [output]
    while stack:
        node = stack.pop()
        for a in node.inputs:
            if isinstance(a, TraceNode) and id(a) not in seen:
                seen.add(id(a))
                stack.append(a)
    return [node for node in tape if id(node) in seen]


class Trace:
    """The recorded graph of one call, with the forward sweep (tangents) and the reverse sweep (adjoints).

    - ``nodes``: every value in forward order, inputs first (each a `TraceNode`); ``output`` the last;
    - ``steps``: the reverse sweep, one `ReverseStep` per adjoint update, in the order it happens;
    - ``derivative``: the output's tangent (the directional derivative along the seed);
    - ``gradient``: the inputs' adjoints (cotangent^T J for each input);
    - ``engines``: the same two numbers from the real engines (`admodes.jvp` and ``backward()``).

    Show it with `text` (or ``print``), `markdown`, `to_rows`, `draw` and `animate`.

    >>> t = trace(lambda x: x * x, 3.0)
    >>> fmt(t.value), fmt(t.derivative), fmt(t.gradient[0])
    ('9', '6', '6')
    """

    def __init__(self, f, inputs, ops, output, seeds, names=None):
        self.function_name = getattr(f, "__name__", "f")
        if self.function_name == "<lambda>":
            self.function_name = "f"
        self.inputs = list(inputs)
        self.output = output
        self.nodes = self.inputs + list(ops)
        for i, node in enumerate(self.nodes):
            node.index = i
        output.is_output = True
        self._name_ops(names)
        self.seeds = seeds
        for node, seed in zip(self.inputs, seeds):
            node.tangent = seed
        self.cotangent = None
        self.steps = []
        self.engines = {}
        self._contributions = None

    # ---- naming ------------------------------------------------------------------------------------
    def _name_ops(self, names):
        ops = [n for n in self.nodes if not n.is_input]
        taken = {n.name for n in self.inputs}
        if names is None:
            out_name = next(c for c in ("y", "f", "out", "result") if c not in taken)
            k = 0
            for node in ops:
                if node is self.output:
                    node.name = out_name
                    continue
                k += 1
                while f"v{k}" in taken:
                    k += 1
                node.name = f"v{k}"
            return
        names = re.split(r"[\s,]+", names.strip()) if isinstance(names, str) else [str(n) for n in names]
        if len(names) != len(ops):
            raise ValueError(f"trace: names gives {len(names)} names but f has {len(ops)} ops "
                             f"({', '.join(n.definition() for n in ops)}); give one name per op, in order")
        for name in names:
            if name in taken:
                raise ValueError(f"trace: names gives {name!r} twice, or for an op and an input; each value needs "
                                 "its own name")
            taken.add(name)
        for node, name in zip(ops, names):
            node.name = name

    # ---- the sweeps --------------------------------------------------------------------------------
    def _run_sweeps(self, cotangent):
        for node in self.nodes:
            if not node.is_input:
                self._forward_step(node)
        self._reverse_sweep(cotangent)

    def _forward_step(self, node):
        """v̇ = Σ ∂v/∂u · u̇ over the op's inputs u, with the op library's JVP rules."""
        if node.prim.zero_derivative:  # piecewise constant (sign, comparisons): a symbolic zero tangent
            return
        args = _plain_args(node)
        ans = value(node.value)
        tangents = [None] * len(args)
        for i, a in node.operands():
            tangents[i] = a.tangent
        node.tangent = _plain(jvp_of(node.prim, tuple(tangents), ans, args, node.params))
        scalar = np.size(ans) == 1
        for i, a in node.operands():
            alone = [None] * len(args)
            alone[i] = a.tangent
            contribution = _plain(jvp_of(node.prim, tuple(alone), ans, args, node.params))
            partial = None
            if scalar and np.size(a.value) == 1:
                alone[i] = np.ones(np.shape(value(a.value)))
                partial = _plain(jvp_of(node.prim, tuple(alone), ans, args, node.params))
            node.terms.append(ForwardTerm(a, partial, contribution))

    def _reverse_sweep(self, cotangent):
        """Each op, in reverse order, sends ``v̄ · ∂v/∂u`` to each input u (the op library's VJP rules)."""
        out_value = value(self.output.value)
        if cotangent is None:
            cotangent = np.ones(np.shape(out_value))
        cotangent = np.asarray(value(cotangent), dtype=float)
        if cotangent.shape != np.shape(out_value):
            raise ValueError(f"trace: cotangent has shape {cotangent.shape} but f's output has shape "
                             f"{np.shape(out_value)}")
        self.cotangent = cotangent
        self.output.adjoint = cotangent
        self.steps.append(ReverseStep(self.output, self.output, None, cotangent, None, cotangent))
        for node in reversed(self.nodes):
            if node.is_input or node.adjoint is None:
                continue
            args = _plain_args(node)
            ans = value(node.value)
            operands = node.operands()
            needed = [False] * len(args)
            for i, _ in operands:
                needed[i] = True
            shapes = tuple(np.shape(a) for a in args)
            cts = vjp_of(node.prim, node.adjoint, ans, args, node.params, tuple(needed), shapes)
            scalar = np.size(ans) == 1
            for i, target in operands:
                ct = cts[i]
                if ct is None:
                    continue
                ct = _plain(ct)
                partial = None
                if scalar and np.size(target.value) == 1:
                    unit = [False] * len(args)
                    unit[i] = True
                    partial = _plain(vjp_of(node.prim, np.ones(np.shape(ans)), ans, args, node.params,
                                            tuple(unit), shapes)[i])
                previous = target.adjoint
                target.adjoint = ct if previous is None else previous + ct
                self.steps.append(ReverseStep(node, target, partial, ct, previous, target.adjoint))

    def _check_with_engines(self, f, primals, leaves, out_tensor):
        """The same derivatives from the engines themselves: `admodes.jvp` and ``backward()`` on the tensors."""
        from ..transforms import jvp

        _, tangent = jvp(f, tuple(primals), tuple(self.seeds))
        self.engines["forward"] = np.asarray(tangent)
        if type(out_tensor) is Tensor and out_tensor.requires_grad:
            out_tensor.backward(gradient=self.cotangent)
        self.engines["reverse"] = tuple(
            np.zeros_like(p) if leaf.grad is None else np.asarray(leaf.grad.data) for leaf, p in zip(leaves, primals))

    # ---- results -----------------------------------------------------------------------------------
    @property
    def value(self):
        """f's output."""
        return value(self.output.value)

    @property
    def derivative(self):
        """The output's tangent: the derivative of f along the seed direction (one forward sweep)."""
        t = self.output.tangent
        return np.zeros(np.shape(self.value)) if t is None else t

    @property
    def gradient(self):
        """The inputs' adjoints, one per argument (one reverse sweep): the gradient for a scalar f."""
        return tuple(np.zeros(np.shape(value(n.value))) if n.adjoint is None else n.adjoint for n in self.inputs)

    @property
    def seed_input(self):
        """The input the forward seed picks out (a unit seed on one scalar input, zeros elsewhere), or None."""
        picked = [n for n, s in zip(self.inputs, self.seeds) if np.any(s != 0)]
        if len(picked) == 1 and np.size(picked[0].value) == 1 and float(np.ravel(self.seeds[picked[0].index])[0]) == 1:
            return picked[0]
        return None

    def contributions(self, node):
        """The reverse steps that add into ``node``'s adjoint (one per use of ``node`` by an op).

        >>> t = trace(lambda x, w: (x + w) * (w + 1), 2.0, 1.0)
        >>> [s.node.name for s in t.contributions(t.inputs[1])]
        ['v2', 'v1']
        """
        if self._contributions is None:
            self._contributions = {}
            for s in self.steps:
                if not s.is_seed:
                    self._contributions.setdefault(id(s.target), []).append(s)
        return list(self._contributions.get(id(node), ()))

    # ---- views -------------------------------------------------------------------------------------
    def text(self, notation=UNICODE, digits=4):
        """Both sweeps as plain-text tables, with a summary (what ``print(trace)`` shows).

        >>> print(trace(lambda x: x * x, 3.0).text().splitlines()[0])
        Forward sweep: values and tangents, in order (seed ẋ = 1)
        """
        from .tables import render_text
        return render_text(self, notation, digits)

    def markdown(self, digits=4, notation=UNICODE):
        """Both sweeps as Markdown tables, with a summary (in ``notation``: `admodes.teach.notation.ASCII` too).

        >>> trace(lambda x: x * x, 3.0).markdown().splitlines()[2]
        '| v | definition | value | tangent rule | tangent |'
        """
        from .tables import render_markdown
        return render_markdown(self, digits, notation)

    def summary(self, notation=UNICODE, digits=4):
        """A few lines: the value, what each sweep gave, how adjoints summed over paths, the engines' check."""
        from .tables import render_summary
        return render_summary(self, notation, digits)

    def to_rows(self, sweep="forward"):
        """The trace as a list of plain dicts (no pandas needed): one per node, or one per reverse step.

        Values are floats for scalars and nested lists for arrays.

        >>> rows = trace(lambda x, w: (x + w) * (w + 1), 2.0, 1.0, wrt=1, names="a b y").to_rows()
        >>> [(r["name"], r["definition"], r["value"], r["tangent"], r["adjoint"]) for r in rows][2:]
        [('a', 'x + w', 3.0, 1.0, 2.0), ('b', 'w + 1', 2.0, 1.0, 3.0), ('y', 'a * b', 6.0, 5.0, 1.0)]
        """
        if sweep == "forward":
            return [{
                "step": n.index, "name": n.name, "kind": n.kind, "op": n.op,
                "grad_fn": None if n.grad_fn is None else type(n.grad_fn).__name__,
                "definition": n.definition(),
                "inputs": [a.name if isinstance(a, TraceNode) else a.label for a in n.inputs],
                "value": _row_value(n.value), "tangent": _row_value(n.tangent, n.value),
                "adjoint": _row_value(n.adjoint, n.value), "output": n.is_output,
            } for n in self.nodes]
        if sweep == "reverse":
            return [{
                "step": k, "node": s.node.name, "target": s.target.name, "seed": s.is_seed,
                "partial": None if s.partial is None else _row_value(s.partial),
                "contribution": _row_value(s.contribution), "adjoint": _row_value(s.total),
            } for k, s in enumerate(self.steps)]
        raise ValueError(f"to_rows: sweep must be 'forward' or 'reverse', got {sweep!r}")

    def __str__(self):
        return self.text()

    def _repr_markdown_(self):
        return self.markdown()

    def __repr__(self):
        n_ops = len(self.nodes) - len(self.inputs)
        return f"<Trace of {self.function_name}: {len(self.inputs)} inputs, {n_ops} ops; {self.output.name} = " \
               f"{fmt(self.value)}>"


def _plain_args(node):
    return tuple(value(a.value) for a in node.inputs)


def _plain(x):
    return None if x is None else np.asarray(value(x), dtype=float)


def _row_value(x, like=None):
    if x is None:
        x = np.zeros(np.shape(value(like))) if like is not None else 0.0
    arr = np.asarray(value(x))
    return float(arr.reshape(())) if arr.size == 1 and arr.ndim == 0 else arr.tolist()
