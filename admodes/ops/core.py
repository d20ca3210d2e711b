"""The op library's machinery: `Primitive`, the rule tables, the registry, dispatch and op counting.

A primitive is one NumPy operation with its two derivative rules, declared once::

    sin = Primitive("sin", np.sin)
    defrules(sin, jvp=lambda t, ans, x: t * cos(x),
                  vjp=lambda g, ans, x: g * cos(x))

Rules are written with admodes ops (``cos`` above is itself a primitive), so a rule applied to
traced values is recorded like any other code: that is what makes derivatives of derivatives work.

The contract of a rule, one per differentiable argument:

- ``jvp_i(t, ans, *args, **params)``: the output tangent contributed by the tangent ``t`` of argument i;
- ``vjp_i(g, ans, *args, **params)``: the cotangent of argument i from the output cotangent ``g``.

``ans`` is the primitive's output, ``args`` its inputs, ``params`` its static keyword parameters
(axis, keepdims, ...). A rule may return a value of the broadcast shape: `jvp_of` broadcasts tangents
up to the output's shape and `vjp_of` sums cotangents down to each input's shape (`unbroadcast`), so
no rule has to. ``None`` is a symbolic zero, everywhere: an absent tangent or cotangent.
"""

from __future__ import annotations

import dis
import inspect
import math
import threading
from collections import Counter
from contextlib import contextmanager

import numpy as np

__all__ = [
    "Primitive", "Traced", "new_level", "defrules", "defjoint", "defbatch", "defjvp_joint", "defvjp_into",
    "defvjp_same", "defvjp_inplace", "nondifferentiable", "register_function", "Meta", "REGISTRY", "FUNCTIONS", "op",
    "shape_of", "call_impl", "jvp_of", "vjp_of", "vjp_same_of", "unbroadcast", "count_ops", "OpCounts",
]

REGISTRY: dict[str, Primitive] = {}
"""Every primitive, by name."""

FUNCTIONS: dict[str, object] = {}
"""Every public differentiable function by its NumPy name ("sum", "linalg.inv"): primitives and the
functions composed of them (hstack, split, ...). `admodes.numpy` and ``__array_function__`` read it."""

_REAL_KINDS = "fiub"  # float, signed and unsigned int, bool: the dtypes the op library computes with
# NumPy's scalar types of those kinds (what a ufunc returns for 0-d input): known real without reading .dtype
_REAL_SCALARS = frozenset(np.dtype(c).type for c in "efdgbhilqBHILQ?")


class Traced:
    """Base of the values an AD engine wraps around an array: `Dual` (forward) and `Tensor` (reverse).

    Each traced value belongs to one *level*, the transform call that created it. A primitive given
    traced arguments hands the call to the engine of the highest level (`Traced._apply`); that engine
    unwraps its own level and calls the primitive again on what is inside, so lower levels are handled
    in turn and nested transforms never confuse their perturbations.
    """

    __slots__ = ()

    def _apply(self, prim, args, params):  # pragma: no cover - each engine implements it
        raise NotImplementedError


_levels = iter(range(2, 1 << 62))


def new_level():
    """A fresh level for a transform call, higher than every level made before it.

    A transform called inside another one runs later, so its level is higher and its values are
    handled first: the outer transform's values stay wrapped inside and are treated as constants.
    Level 0 belongs to Tensors a user makes with ``Tensor(...)``, level 1 to Duals made with ``Dual(...)``.

    >>> new_level() < new_level()
    True
    """
    return next(_levels)


class Primitive:
    """One differentiable NumPy operation: its implementation and one JVP and VJP rule per argument.

    >>> import numpy as np
    >>> double = Primitive("double", lambda x: 2 * x)
    >>> defrules(double, jvp=lambda t, ans, x: 2 * t, vjp=lambda g, ans, x: 2 * g)
    >>> double(np.arange(3.0))
    array([0., 2., 4.])

    ``argnames`` are the array arguments (by default the impl's parameters without a default); the
    other parameters are static (``params``), passed by keyword to the rules. Arguments named in
    ``nondiff`` (an index, a condition) are arrays that carry no derivative. A ``public`` primitive is
    published under its name in `admodes.numpy` (``name`` is NumPy's: "sum", "linalg.inv"); internal
    ones (``sum_to``) and those whose public face is a wrapper with NumPy's signature are not.
    """

    __slots__ = (
        "name", "impl", "argnames", "param_names", "nondiff", "variadic", "short",
        "jvp_rules", "vjp_rules", "vjp_reads", "joint_jvp", "joint_vjp", "joint_saves", "zero_derivative",
        "node_type", "doc", "impl_takes_traced", "ready", "batch_rule", "vjp_into", "save_plans", "vjp_same",
        "vjp_inplace", "vjp_same_inplace", "elementwise",
    )

    def __init__(self, name, impl, *, argnames=None, nondiff=(), variadic=False, short=None, doc=None,
                 public=True, registered=True, impl_takes_traced=False):
        self.name = name
        self.impl = impl
        self.variadic = variadic
        param_names = ()
        if not variadic:
            inferred_args, inferred_params = _signature_split(impl)
            if argnames is None:
                argnames, param_names = inferred_args, inferred_params
            else:  # the other parameters, in order, are static (``shape`` of reshape has no default)
                param_names = [n for n in inferred_args + inferred_params if n not in argnames]
        self.argnames = tuple(argnames or ())
        self.param_names = tuple(param_names)
        unknown = set(nondiff) - set(self.argnames)
        if unknown:
            raise ValueError(f"Primitive {name!r}: nondiff names {sorted(unknown)} are not arguments")
        self.nondiff = frozenset(self.argnames.index(n) for n in nondiff)
        self.short = short or "".join(part.capitalize() for part in name.replace(".", "_").split("_"))
        self.jvp_rules = self.vjp_rules = self.vjp_reads = None
        self.joint_jvp = self.joint_vjp = self.joint_saves = None
        self.zero_derivative = False
        self.ready = False  # both rules defined (see has_rules); checked on every traced call
        self.batch_rule = None  # how to map the op over a leading batch axis (see `defbatch`)
        self.vjp_into = None  # optional: adds the VJP into an array in place (see `defvjp_into`)
        self.save_plans = {}  # the reverse engine's cache: what a node keeps, by which inputs want gradients
        self.vjp_same = None  # optional: the summed VJP when every argument is one value (see `defvjp_same`)
        self.vjp_inplace = self.vjp_same_inplace = None  # optional: VJPs computed into g (see `defvjp_inplace`)
        self.elementwise = False  # its rules work on any g that broadcasts to the output (see `vjp_of`)
        # User code (a custom Function's forward) is called by each engine on its own inner values,
        # which may still be traced at lower levels, instead of dispatching the primitive again.
        self.impl_takes_traced = impl_takes_traced
        self.node_type = None  # the reverse engine's node class, `<Short>Backward`, made on first use
        self.doc = doc or getattr(impl, "__doc__", None)
        if not registered:  # a user's custom Function: not part of the op library
            return
        if name in REGISTRY:
            raise ValueError(f"a primitive named {name!r} is already registered")
        REGISTRY[name] = self
        if public:
            register_function(name)(self)

    @property
    def has_rules(self):
        """True once both the JVP and the VJP of every differentiable argument are defined."""
        return self.ready

    def __repr__(self):
        return f"<admodes primitive {self.name}>"

    def __call__(self, *args, **params):
        # The fast path: plain arrays go straight to NumPy, after one isinstance check per argument.
        for a in args:
            if isinstance(a, Traced):
                if len(args) == 1 and not params and self.ready and self.argnames:
                    return a._apply(self, args, params)  # sin(x): what `lift` comes to, without its checks
                return lift(self, args, params)
        return call_impl(self, args, params)


def call_impl(prim, args, params):
    """Run `prim`'s NumPy implementation on plain arguments, with the fast path's checks and errors.

    The one place a primitive's impl is called: `Primitive.__call__` after finding no traced argument,
    and the engines on the values they have unwrapped. Op counting happens here too.

    >>> from admodes.ops.elementwise import sin
    >>> float(call_impl(sin, (np.float64(0.0),), {}))
    0.0
    """
    if _counts is not None and _counting.counts is not None:  # some thread counts, and this one does
        return _counted_call(prim, args, params)
    try:
        out = prim.impl(*args, **params) if params else prim.impl(*args)  # (no empty dict made for **params)
    except (TypeError, ValueError) as err:
        raise _explain(prim, args, err) from None
    if type(out) not in _REAL_SCALARS and out.dtype.kind not in _REAL_KINDS:
        raise _unsupported_dtype(prim, args, out)
    return out


def _signature_split(impl):
    """Array arguments are the parameters without a default; static parameters are the rest.

    A ufunc's inputs are its array arguments and it has no static parameters: its keywords (``where=``,
    ``dtype=``, ...) change what it computes, so the rules could not honour them.
    """
    if isinstance(impl, np.ufunc):
        try:  # NumPy's own names for the inputs: x for one, x1 and x2 for two
            return list(inspect.signature(impl).parameters)[: impl.nin], []
        except (TypeError, ValueError):  # NumPy < 2.3 (the newest on Python 3.10) gives ufuncs no signature
            return ["x"] if impl.nin == 1 else [f"x{i + 1}" for i in range(impl.nin)], []
    try:
        sig = inspect.signature(impl)
    except (TypeError, ValueError):
        return ["x"], []
    args, params = [], []
    for p in sig.parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        (args if p.default is p.empty and p.kind != p.KEYWORD_ONLY else params).append(p.name)
    return args, params


# ----------------------------------------------------------------------------------------------------
# Declaring rules
# ----------------------------------------------------------------------------------------------------

def defrules(prim, *, jvp, vjp, reads=None):
    """Give `prim` its rules: one JVP and one VJP per array argument (``None`` at a `nondiff` one).

    A single function stands for the one rule of a one-argument primitive.

    >>> import numpy as np
    >>> triple = Primitive("triple_example", lambda x: 3 * x)
    >>> defrules(triple, jvp=lambda t, ans, x: 3 * t, vjp=lambda g, ans, x: 3 * g)
    >>> vjp_of(triple, np.ones(2), None, (np.zeros(2),), {}, (True,), ((2,),))
    [array([3., 3.])]
    """
    jvp, vjp = _as_table(prim, jvp), _as_table(prim, vjp)
    for i in range(len(prim.argnames)):
        declared = i in prim.nondiff
        for kind, table in (("jvp", jvp), ("vjp", vjp)):
            if declared and table[i] is not None:
                raise ValueError(f"{prim.name}: argument {prim.argnames[i]!r} is nondiff but has a {kind} rule")
            if not declared and table[i] is None:
                raise ValueError(
                    f"{prim.name}: argument {prim.argnames[i]!r} needs a {kind} rule "
                    "(or declare it nondiff, or use `nondifferentiable` for a piecewise-constant op)")
    prim.jvp_rules, prim.vjp_rules, prim.ready = jvp, vjp, True
    prim.vjp_reads = tuple(reads) if reads is not None else tuple(
        None if rule is None else values_read(rule, len(prim.argnames)) for rule in vjp)


def defjoint(prim, *, jvp, vjp, saves=None):
    """Give `prim` joint rules over all its arguments at once (for variadic primitives like concatenate).

    ``jvp(tangents, ans, args, params)`` returns the output tangent (``tangents[i]`` is None where
    argument i has none); ``vjp(g, ans, args, params, needed)`` returns one cotangent per argument
    (None where ``needed[i]`` is false). ``saves`` names what the backward sweep must keep: "ans",
    "args", "shapes" (each argument's shape and dtype only, as `Meta`), or a mix (default ans and args).
    """
    saves = {"ans", "args"} if saves is None else set(saves)
    if not saves <= {"ans", "args", "shapes"}:
        raise ValueError(f"{prim.name}: saves must name 'ans', 'args' or 'shapes', not {sorted(saves)}")
    prim.joint_jvp, prim.joint_vjp, prim.joint_saves, prim.ready = jvp, vjp, frozenset(saves), True


def defjvp_joint(prim, jvp):
    """Give `prim`, which has its per-argument rules, a JVP over all its tangents at once as well.

    ``jvp(tangents, ans, args, params)`` (``tangents[i]`` None where argument i has none) must equal the sum
    of the per-argument JVP rules; forward mode uses it instead of them when it takes fewer array passes
    (``t1 - t2`` in one, where ``-t2`` and then a sum take two). The VJP rules are untouched.
    """
    prim.joint_jvp = jvp


def defbatch(prim, rule):
    """Give `prim` a batching rule: how to apply it to arguments that carry an extra leading batch axis.

    ``rule(args, batched, **params)`` gets the arguments (those with ``batched[i]`` true have the batch
    as axis 0) and returns the output with the batch as axis 0. The batching engine
    (`admodes.batching`) uses it to push many tangents or cotangents through one sweep.
    """
    prim.batch_rule = rule


def defvjp_into(prim, rule):
    """Give a one-argument `prim` an in-place form of its VJP, for the reverse engine's accumulation.

    ``rule(buffer, g, **params)`` adds the cotangent of the argument for the output cotangent ``g`` into
    ``buffer`` (an array of the argument's shape that the engine owns), on plain arrays. It must add
    exactly what the VJP rule returns: getitem adds ``g`` at its index, where its VJP would scatter ``g``
    into zeros and the engine would then add that whole array. The VJP rule itself stays the definition
    (and serves traced cotangents, higher derivatives and the rule tests).
    """
    prim.vjp_into = rule


def defvjp_same(prim, rule, inplace=None):
    """Give `prim` the sum of its arguments' VJPs for when all its arguments are one and the same value.

    ``rule(g, ans, x, **params)``: x * x has cotangent ``g * x2 + x1 * g`` for its one input, which is
    ``g * (2.0 * x)``: two array passes instead of three. The reverse engine uses it when every argument
    of a node is the same value with the same gradient edge; the per-argument rules stay the definition.
    ``inplace`` is the same sum computed into ``g`` (see `defvjp_inplace`).
    """
    prim.vjp_same, prim.vjp_same_inplace = rule, inplace


def defvjp_inplace(prim, *rules):
    """Give `prim` forms of its VJP rules that write the cotangent into ``g``, one per argument (or None).

    ``rule(g, ans, *args, **params)`` returns the same cotangent as the argument's VJP rule, computed in
    ``g``'s memory, or ``NotImplemented`` to decline. The reverse engine calls it only on plain arrays,
    when ``g`` is an array that nothing but the sweep holds, and for the last cotangent it needs from ``g``:
    ``-g`` or ``g * x2`` then cost no new array (no allocation, no page faults on a big one). A rule must not
    write into ``g`` before it knows it can finish: ufuncs with ``casting="safe"`` raise first (a TypeError,
    on which the engine uses the VJP rule), where the plain rule would have given a wider dtype.

    >>> negative = REGISTRY["negative"]
    >>> g = np.ones(2)
    >>> vjp_of(negative, g, None, (np.zeros(2),), {}, (True,), ((2,),), donated=True)[0] is g
    True
    """
    prim.vjp_inplace = _as_table(prim, rules)


def nondifferentiable(prim):
    """Declare a piecewise-constant primitive (sign, comparisons): its derivative is zero where defined.

    Its tangents and cotangents are symbolic zeros, so the engines skip it at no cost.
    """
    zero = lambda *_, **__: None
    rules = tuple(None if i in prim.nondiff else zero for i in range(len(prim.argnames)))
    defrules(prim, jvp=rules, vjp=rules)
    prim.vjp_reads = tuple(None if r is None else _NOTHING for r in rules)
    prim.zero_derivative = True


def _as_table(prim, rules):
    if callable(rules) or rules is None:
        rules = (rules,)
    rules = tuple(rules)
    if len(rules) != len(prim.argnames):
        raise ValueError(f"{prim.name}: {len(rules)} rules for {len(prim.argnames)} arguments {prim.argnames}")
    return rules


_LOADS = {"LOAD_FAST", "LOAD_FAST_CHECK", "LOAD_FAST_AND_CLEAR", "LOAD_FAST_LOAD_FAST", "LOAD_DEREF",
          "LOAD_CLOSURE", "LOAD_FAST_BORROW", "LOAD_FAST_BORROW_LOAD_FAST_BORROW"}
_METADATA = frozenset({"shape", "ndim", "dtype", "size"})
_NOTHING = (frozenset(), frozenset())


def values_read(rule, nargs, leading=1):
    """What a VJP rule reads of ``ans`` and the arguments: ``(whole, metadata_only)``.

    Both are frozensets of positions, -1 for ``ans`` and i for argument i. The reverse engine keeps
    exactly this for the backward sweep (``leading`` counts the parameters before ``ans``: 1 for
    the cotangent ``g``): the array where the rule reads it, and only its shape and
    dtype where the rule reads nothing else (reshape's rule needs ``x.shape``, not ``x``). That is how
    the tape holds what the sweep needs and no more. We learn it once, from the rule's bytecode; a rule
    that takes ``*args`` or hides its reads from us is taken to read everything.
    """
    code = getattr(rule, "__code__", None)
    everything = (frozenset([-1, *range(nargs)]), frozenset())
    positional = code.co_varnames[: code.co_argcount] if code is not None else ()
    if code is None or code.co_flags & inspect.CO_VARARGS or len(positional) < leading + 1 + nargs:
        return everything
    whole, meta = set(code.co_cellvars), set()
    instructions = list(dis.get_instructions(rule))
    for ins, after in zip(instructions, instructions[1:] + [None]):
        if ins.opname in _LOADS:
            names = ins.argval if isinstance(ins.argval, tuple) else (ins.argval,)
            only_metadata = (len(names) == 1 and after is not None and after.opname in ("LOAD_ATTR", "LOAD_METHOD")
                             and after.argval in _METADATA)
            (meta if only_metadata else whole).update(names)
    names = positional[leading: leading + 1 + nargs]  # ans, then the arguments, by the rule's own names
    whole_pos = frozenset(i - 1 for i, name in enumerate(names) if name in whole)
    meta_pos = frozenset(i - 1 for i, name in enumerate(names) if name in meta) - whole_pos
    return whole_pos, meta_pos


class Meta:
    """What the backward sweep keeps of a value whose rule reads only its shape and dtype."""

    __slots__ = ("shape", "dtype")

    def __init__(self, value):
        self.shape, self.dtype = shape_of(value), getattr(value, "dtype", None)

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return int(np.prod(self.shape))


def register_function(name):
    """Publish a function composed of primitives under its NumPy name (in `admodes.numpy` and for
    ``__array_function__``).

    >>> @register_function("double_example")
    ... def double_example(x):
    ...     return 2 * x
    >>> FUNCTIONS["double_example"] is double_example
    True
    """
    def publish(fn):
        if name in FUNCTIONS:
            raise ValueError(f"a function named {name!r} is already registered")
        FUNCTIONS[name] = fn
        return fn
    return publish


def op(name):
    """The op library's function ``name``: the public one (NumPy's signature) if there is one, else the
    internal primitive (getitem, index_update, astype). How the engines reach ops at call time.

    >>> op("sin").name, op("getitem").name
    ('sin', 'getitem')
    """
    fn = FUNCTIONS.get(name) or REGISTRY.get(name)
    if fn is None:
        raise NotImplementedError(f"admodes has no op {name!r} in its op library")
    return fn


# ----------------------------------------------------------------------------------------------------
# Applying rules: shared by both engines and by the engine-free rule tests
# ----------------------------------------------------------------------------------------------------

def jvp_of(prim, tangents, ans, args, params):
    """The output tangent of ``prim`` at ``args`` for the input ``tangents`` (None: a zero tangent).

    >>> from admodes.ops.elementwise import sin
    >>> float(jvp_of(sin, (np.float64(2.0),), None, (np.float64(0.0),), {}))
    2.0
    """
    if prim.joint_jvp is not None:
        out = prim.joint_jvp(tangents, ans, args, params)
    else:
        out = None
        for rule, t in zip(prim.jvp_rules, tangents):
            if t is not None and rule is not None:
                term = rule(t, ans, *args, **params)
                if term is not None:
                    out = term if out is None else out + term
    if out is not None:
        ans_shape = ans.shape if type(ans) in _SHAPED else shape_of(ans)
        if (out.shape if type(out) in _SHAPED else shape_of(out)) != ans_shape:
            out = _broadcast_to(out, ans_shape)
    return out


def vjp_of(prim, g, ans, args, params, needed, shapes, donated=False):
    """The cotangents of ``prim``'s arguments from the output cotangent ``g``, one per argument (a sequence).

    ``needed[i]`` says whether argument i wants one (else None); ``shapes[i]`` is its shape, to which
    the cotangent is summed back when the rule returned the broadcast shape. ``donated``: ``g`` is an
    array that no one else holds, which the primitive's in-place forms may overwrite (`defvjp_inplace`).

    A cotangent that repeats one value, like the one `sum`'s rule broadcasts, meets an elementwise
    primitive's rules as that one value: ``-g`` or ``100 * g`` cost nothing, and stay uniform for the next op.
    """
    if donated:
        if prim.vjp_inplace is not None:
            cts = _vjp_in_place(prim, g, ans, args, params, needed, shapes)
            if cts is not None:
                return cts
    elif prim.elementwise and type(g) is np.ndarray and g.base is not None and g.size > 1 and not any(g.strides):
        return _uniform_vjp(prim, g, ans, args, params, needed, shapes)
    if prim.joint_vjp is not None:
        cts = prim.joint_vjp(g, ans, args, params, needed)
        return tuple(_fit(ct, shape) for ct, shape in zip(cts, shapes))
    rules = prim.vjp_rules
    # Unrolled for one and two arguments: the backward sweep's hottest call. The same code as one list
    # comprehension and a shape helper measured 4.04 against 2.84 us per primitive (interleaved runs).
    if len(rules) == 1:  # the common case, unrolled
        if not needed[0]:
            return [None]
        ct = rules[0](g, ans, *args, **params)
        if ct is not None and (ct.shape if type(ct) in _SHAPED else shape_of(ct)) != shapes[0]:
            ct = unbroadcast(ct, shapes[0])
        return [ct]
    if len(rules) == 2:  # the binary ops, unrolled
        ct0 = ct1 = None
        if needed[0]:
            ct0 = rules[0](g, ans, *args, **params)
            if ct0 is not None and (ct0.shape if type(ct0) in _SHAPED else shape_of(ct0)) != shapes[0]:
                ct0 = unbroadcast(ct0, shapes[0])
        if needed[1]:
            ct1 = rules[1](g, ans, *args, **params)
            if ct1 is not None and (ct1.shape if type(ct1) in _SHAPED else shape_of(ct1)) != shapes[1]:
                ct1 = unbroadcast(ct1, shapes[1])
        return [ct0, ct1]
    return [_fit(rule(g, ans, *args, **params), shape) if need else None
            for rule, need, shape in zip(rules, needed, shapes)]


_SHAPED = frozenset({np.ndarray, np.float64, np.float32, np.float16})  # .shape is a tuple: read it directly


def _fit(ct, shape):
    """A rule's cotangent summed back to its input's ``shape`` if it came out in the broadcast shape."""
    if ct is not None and (ct.shape if type(ct) in _SHAPED else shape_of(ct)) != shape:
        return unbroadcast(ct, shape)
    return ct


def _vjp_in_place(prim, g, ans, args, params, needed, shapes):
    """`vjp_of` with the last needed cotangent computed into ``g`` by the in-place form (None: not possible:
    a traced or unknown argument, no in-place form, an earlier cotangent that is ``g`` itself, or a dtype)."""
    for a in args:
        if type(a) not in _IN_PLACE_ARGS:
            return None
    wanted = [i for i, need in enumerate(needed) if need]
    if not wanted or prim.vjp_inplace[wanted[-1]] is None:
        return None
    cts = [None] * len(needed)
    for i in wanted[:-1]:  # computed first, from the untouched g; none may share g's memory
        ct = cts[i] = _fit(prim.vjp_rules[i](g, ans, *args, **params), shapes[i])
        if ct is g or type(ct) is np.ndarray and ct.base is g:
            break
    else:
        last = wanted[-1]
        try:
            ct = prim.vjp_inplace[last](g, ans, *args, **params)
        except TypeError:  # casting="safe" refused: the rule's result would be wider than g
            ct = NotImplemented
        if ct is not NotImplemented:
            cts[last] = _fit(ct, shapes[last])
            return cts
    return [_fit(prim.vjp_rules[i](g, ans, *args, **params), shapes[i]) if cts[i] is None and needed[i] else cts[i]
            for i in range(len(needed))]


def vjp_same_of(prim, g, ans, x, params, shape, donated=False):
    """The summed cotangent of a primitive all of whose arguments are the one value ``x`` (`defvjp_same`),
    computed into ``g`` by the in-place form when ``donated`` allows (see `vjp_of`)."""
    ct = NotImplemented
    if donated and prim.vjp_same_inplace is not None and type(x) is np.ndarray:
        try:
            ct = prim.vjp_same_inplace(g, ans, x, **params)
        except TypeError:  # casting="safe" refused: the rule below
            pass
    if ct is NotImplemented:
        ct = prim.vjp_same(g, ans, x, **params)
    return _fit(ct, shape)


_IN_PLACE_ARGS = frozenset({np.ndarray, np.float64, np.float32, float, int, type(None)})


def _uniform_vjp(prim, g, ans, args, params, needed, shapes):
    """`vjp_of` of an elementwise primitive for a ``g`` that repeats one value (a stride-0 broadcast): the
    rules run on that value, and a cotangent that comes out as one value stays a broadcast of it."""
    s = g.flat[0]
    out = []
    for rule, need, shape in zip(prim.vjp_rules, needed, shapes):
        ct = rule(s, ans, *args, **params) if need and rule is not None else None
        if ct is not None:
            if shape_of(ct) == ():  # uniform: the sum over the copies broadcasting made is a product
                repeats = g.size // math.prod(shape)
                ct = _broadcast_to(ct * repeats if repeats != 1 else ct, shape)
            else:
                if shape_of(ct) != g.shape:
                    ct = np.broadcast_to(ct, g.shape)
                ct = _fit(ct, shape)
        out.append(ct)
    return out


def unbroadcast(g, shape):
    """Sum a cotangent of a broadcast result back to an input's ``shape`` (the adjoint of broadcasting).

    >>> unbroadcast(np.ones((2, 3)), (3,))
    array([2., 2., 2.])
    """
    return _sum_to(g, shape=tuple(shape))


def shape_of(x):
    """The shape of an array, a traced value or a Python number, without converting it.

    >>> shape_of(np.zeros((2, 3))), shape_of(1.5)
    ((2, 3), ())
    """
    shape = getattr(x, "shape", None)
    return tuple(shape) if shape is not None else np.shape(x)


# ----------------------------------------------------------------------------------------------------
# Dispatch of traced values
# ----------------------------------------------------------------------------------------------------

def lift(prim, args, params):
    """Hand a call with traced arguments to the engine of the highest level among them."""
    if (params or len(args) > len(prim.argnames)) and not prim.variadic:
        args, params = _normalise(prim, args, params)
    top = None
    for a in args:
        if isinstance(a, Traced) and (top is None or a._level > top._level):
            top = a
    if top is None:  # the traced values were among the positional static parameters
        return prim(*args, **params)
    if not prim.ready:
        raise NotImplementedError(f"admodes.{prim.name} has no derivative rules yet")
    return top._apply(prim, args, params)


def _normalise(prim, args, params):
    """Array arguments in position and static parameters by name, as the rules take them.

    ``sum(x, 0)`` gives ``axis`` by position; ``where(cond, x=a, y=b)`` gives arrays by keyword. A keyword
    the rules do not know (a ufunc's ``dtype=`` or ``where=``) is refused: ignoring it would give a
    wrong derivative.
    """
    n = len(prim.argnames)
    if len(args) > n:
        extra = args[n:]
        if len(extra) > len(prim.param_names):
            raise TypeError(f"admodes.{prim.name}() takes at most {n + len(prim.param_names)} positional arguments "
                            f"but {len(args)} were given")
        params = {**dict(zip(prim.param_names, extra)), **params}
        args = args[:n]
    if params:
        by_keyword = [name for name in prim.argnames[len(args):] if name in params]
        if by_keyword:
            params = dict(params)
            args = tuple(args) + tuple(params.pop(name) for name in by_keyword)
        unknown = sorted(set(params) - set(prim.param_names))
        if unknown:
            raise TypeError(f"admodes.{prim.name} does not take {', '.join(map(repr, unknown))} when differentiating "
                            f"(its parameters: {', '.join(prim.argnames + prim.param_names)})")
    if len(args) < n:
        raise TypeError(f"admodes.{prim.name}() is missing array argument(s) {prim.argnames[len(args):]}")
    return args, params


# ----------------------------------------------------------------------------------------------------
# Errors that name the op and the argument
# ----------------------------------------------------------------------------------------------------

def _describe(prim, args):
    names = prim.argnames if not prim.variadic else [f"arrays[{i}]" for i in range(len(args))]
    parts = []
    for name, a in zip(names, args):
        shape, dtype = getattr(a, "shape", None), getattr(a, "dtype", None)
        parts.append(f"{name}: shape {shape} dtype {dtype}" if shape is not None else f"{name}: {type(a).__name__}")
    return ", ".join(parts)


def _explain(prim, args, err):
    message = f"admodes.{prim.name}({_describe(prim, args)}): {err}"
    try:
        return type(err)(message)  # keep the class (LinAlgError stays LinAlgError) ...
    except TypeError:  # ... unless it takes other constructor arguments (NumPy's _UFuncNoLoopError)
        return (TypeError if isinstance(err, TypeError) else ValueError)(message)


def _unsupported_dtype(prim, args, out):
    names = prim.argnames if not prim.variadic else [f"arrays[{i}]" for i in range(len(args))]
    for name, a in zip(names, args):
        kind = np.asarray(a).dtype.kind if not isinstance(a, str) else "U"
        if kind == "c":
            return TypeError(f"admodes.{prim.name}: argument {name!r} is complex; admodes differentiates "
                             "real arrays only (split complex data into real and imaginary parts)")
        if kind not in _REAL_KINDS:
            return TypeError(f"admodes.{prim.name}: argument {name!r} is not a numeric array "
                             f"(got {type(a).__name__} of dtype {np.asarray(a).dtype})")
    return TypeError(f"admodes.{prim.name}: result has unsupported dtype {out.dtype}")


# ----------------------------------------------------------------------------------------------------
# Op counting: an exact, noise-free measure of work
# ----------------------------------------------------------------------------------------------------

class OpCounts:
    """Primitive calls and elements processed, per primitive name.

    "Elements processed" of one call is the size of its largest array (inputs or output): the work of
    an elementwise op or a reduction, up to a constant.

    >>> import admodes.numpy as anp
    >>> with count_ops() as counts:
    ...     _ = anp.add(anp.sin(np.ones(10)), 1.0)
    >>> counts.calls["sin"], counts.elements["add"], counts.total_calls
    (1, 10, 2)
    """

    def __init__(self):
        self.calls = Counter()
        self.elements = Counter()

    @property
    def total_calls(self):
        return sum(self.calls.values())

    @property
    def total_elements(self):
        return sum(self.elements.values())

    def __repr__(self):
        return f"OpCounts(calls={self.total_calls}, elements={self.total_elements})"


class _Counting(threading.local):
    counts = None  # this thread's innermost open count_ops block (None inside a counted impl's own calls)


_counting = _Counting()
# The OpCounts of every count_ops block open in any thread, or None when there is none: `call_impl` tests this
# global first, so that code that counts nothing never reads the (slower) thread-local.
_counts: list | None = None
_counts_lock = threading.Lock()


@contextmanager
def count_ops():
    """Count every primitive call (and the elements it processes) inside the ``with`` block, in this thread.

    >>> import admodes.numpy as anp
    >>> with count_ops() as counts:
    ...     _ = anp.exp(np.zeros(4))
    >>> dict(counts.calls)
    {'exp': 1}
    """
    global _counts
    outer = _counting.counts
    inner = _counting.counts = OpCounts()
    with _counts_lock:
        _counts = (_counts or []) + [inner]
    try:
        yield inner
    finally:
        _counting.counts = outer
        with _counts_lock:
            _counts = [c for c in _counts if c is not inner] or None
        if outer is not None:  # nested counters: the outer one sees everything too
            outer.calls.update(inner.calls)
            outer.elements.update(inner.elements)


def _counted_call(prim, args, params):
    local = _counting
    counts, local.counts = local.counts, None  # the impl's own inner primitive calls are not separate work
    try:
        out = prim(*args, **params)
    finally:
        local.counts = counts
    counts.calls[prim.name] += 1
    counts.elements[prim.name] += max([np.size(out), *(np.size(a) for a in args if hasattr(a, "shape"))])
    return out


from .shape import broadcast_to as _broadcast_to  # noqa: E402  (shape.py builds on this module)
from .shape import sum_to as _sum_to  # noqa: E402
