"""`Primitive`, the registry of ops, and dispatch: how a call of an op reaches NumPy or an AD engine.

A primitive is one NumPy operation. Called on plain values it runs its impl (`call_impl`); called with a
traced value (a `Dual`, a `Tensor`, a `Batched`) it hands the call to the engine of the highest level
among its arguments (`lift`), which applies the primitive's rules. The rules themselves are declared
once, in one call (`admodes.ops.declare.defrules`)::

    >>> import numpy as np
    >>> double = Primitive("double_doc", lambda x: 2 * x, registered=False)
    >>> double(np.arange(3.0))
    array([0., 2., 4.])
    >>> double.has_rules
    False

Dispatch has a reference path and a fast one (`admodes.fastpaths`): `Primitive.__call__` is one generic
body; the unrolled case of one traced argument sits in a labelled block below it, taken unless
``ADMODES_REFERENCE=1``.
"""

from __future__ import annotations

import difflib
import inspect

import numpy as np

from .. import fastpaths
from . import counting

__all__ = [
    "Primitive", "Traced", "new_level", "REGISTRY", "FUNCTIONS", "register_function", "op", "no_rule_message",
    "call_impl", "lift", "takes_complex", "complex_refused",
    "shape_of", "ndim_of", "is_complex", "RULE_KINDS", "REAL_KINDS",
]

REGISTRY: dict[str, Primitive] = {}
"""Every primitive, by name."""

FUNCTIONS: dict[str, object] = {}
"""Every public differentiable function by its NumPy name ("sum", "linalg.inv"): primitives and the
functions composed of them (hstack, split, ...). `admodes.numpy` and ``__array_function__`` read it."""

RULE_KINDS: dict[str, str] = {
    "jet": "Taylor mode: the output's Taylor coefficients from the inputs' (admodes.taylor).",
    "deps": "sparsity: which input elements each output element depends on (admodes.sparse).",
}
"""The kinds of rules, beyond JVP, VJP and batching, that a declaration may carry for other engines
(``defrules(prim, ..., jet=...)``), by name: a declaration naming another kind is an error. An engine
that brings a new kind adds it here with one line saying what it computes."""

REAL_KINDS = "fiub"
"""The dtype kinds the op library computes with: float, signed and unsigned int, bool."""

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
    """One differentiable NumPy operation: what it is, and (once declared) its rules.

    >>> import numpy as np
    >>> from admodes.ops.declare import defrules
    >>> double = Primitive("double", lambda x: 2 * x)
    >>> defrules(double, jvp=lambda t, ans, x: 2 * t, vjp=lambda g, ans, x: 2 * g, saves=())
    >>> double(np.arange(3.0))
    array([0., 2., 4.])

    ``argnames`` are the array arguments (by default the impl's parameters without a default); the
    other parameters are static (``params``), passed by keyword to the rules. Arguments named in
    ``nondiff`` (an index, a condition) are arrays that carry no derivative. A ``public`` primitive is
    published under its name in `admodes.numpy` (``name`` is NumPy's: "sum", "linalg.inv"); internal
    ones (``sum_to``) and those whose public face is a wrapper with NumPy's signature are not.

    Its attributes, in three groups:

    - what the op is: ``name``, ``impl``, ``argnames``, ``param_names``, ``nondiff``, ``variadic``,
      ``short`` (the node class's prefix: ``SinBackward``), ``doc``, ``impl_takes_traced`` (a custom
      Function's forward, which each engine calls on its own inner values instead of dispatching again);
    - ``rules``: the declaration (`admodes.ops.declare.Rules`), None until `defrules` has run; the
      properties below (``vjp_rules``, ``vjp_reads``, ``joint_vjp``, ...) read it for the engines;
    - copies the engines' hot loops read in one step, set by the declaration: ``batch_rule``,
      ``zero_derivative``, and the fast forms ``vjp_into`` and ``vjp_same`` (None with
      ``ADMODES_REFERENCE=1``); and ``save_plans``, the reverse engine's cache of what a node keeps.
    """

    __slots__ = (
        "name", "impl", "argnames", "param_names", "nondiff", "variadic", "short", "doc", "impl_takes_traced",
        "rules",
        "batch_rule", "zero_derivative", "vjp_into", "vjp_same", "save_plans",
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
        self.doc = doc or getattr(impl, "__doc__", None)
        self.impl_takes_traced = impl_takes_traced
        self.rules = None
        self.batch_rule = self.vjp_into = self.vjp_same = None
        self.zero_derivative = False
        self.save_plans = {}
        if not registered:  # a user's custom Function: not part of the op library
            return
        if name in REGISTRY:
            raise ValueError(f"a primitive named {name!r} is already registered")
        REGISTRY[name] = self
        if public:
            register_function(name)(self)

    # ---- the declaration, as the engines read it --------------------------------------------------
    @property
    def has_rules(self):
        """True once the rules are declared (`defrules`): a JVP and a VJP for every differentiable argument."""
        return self.rules is not None

    ready = has_rules

    @property
    def jvp_rules(self):
        """One JVP rule per argument (None at a nondiff one), or None for joint rules."""
        return None if self.rules is None or self.rules.joint else self.rules.jvp

    @property
    def vjp_rules(self):
        """One VJP rule per argument (None at a nondiff one), or None for joint rules."""
        return None if self.rules is None or self.rules.joint else self.rules.vjp

    @property
    def joint_jvp(self):
        """The JVP over all tangents at once: the joint rule, or a declared fast form (`declare.Fast`)."""
        rules = self.rules
        if rules is None:
            return None
        return rules.jvp if rules.joint else rules.fast.joint_jvp if rules.fast is not None else None

    @property
    def joint_vjp(self):
        """The VJP over all arguments at once, for primitives declared with joint rules (else None)."""
        return self.rules.vjp if self.rules is not None and self.rules.joint else None

    @property
    def vjp_reads(self):
        """What each argument's VJP rule reads, from the declared ``saves``: per argument (None at a nondiff
        one) a pair ``(whole, metadata_only)`` of frozensets of positions, -1 for ``ans``."""
        return None if self.rules is None else self.rules.reads

    @property
    def joint_saves(self):
        """What joint rules read: a subset of {"ans", "args", "shapes"} (shapes: each argument's `Meta`)."""
        return None if self.rules is None else self.rules.joint_saves

    @property
    def elementwise(self):
        """True when the rules take any cotangent that broadcasts to the output (see `rules.vjp_of`)."""
        return self.rules is not None and self.rules.elementwise

    @property
    def vjp_inplace(self):
        """The declared in-place forms of the VJP rules (`declare.Fast`), one per argument, or None."""
        fast = None if self.rules is None else self.rules.fast
        return None if fast is None else fast.vjp_inplace

    def rule(self, kind):
        """The rule of an extra ``kind`` (one of `RULE_KINDS`, e.g. "jet") declared for this
        primitive, or None.

        >>> REGISTRY["sin"].rule("jet") is None or callable(REGISTRY["sin"].rule("jet"))
        True
        """
        if kind not in RULE_KINDS:
            raise KeyError(f"{kind!r} is not a rule kind; the kinds are {sorted(RULE_KINDS)}")
        return None if self.rules is None else self.rules.extra.get(kind)

    def __repr__(self):
        return f"<admodes primitive {self.name}>"

    # ---- dispatch --------------------------------------------------------------------------------------
    def __call__(self, *args, **params):
        for a in args:
            if isinstance(a, Traced):
                return lift(self, args, params)
        return call_impl(self, args, params)

    if fastpaths.FAST:
        # FAST PATH (off with ADMODES_REFERENCE=1): one traced argument and no parameters (sin(x)) goes
        # straight to its engine, without `lift`'s normalising and level search.
        def __call__(self, *args, **params):  # noqa: F811
            for a in args:
                if isinstance(a, Traced):
                    if len(args) == 1 and not params and self.rules is not None and self.argnames:
                        return a._apply(self, args, params)
                    return lift(self, args, params)
            return call_impl(self, args, params)


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


def no_rule_message(name):
    """What to do about NumPy's function ``name`` (``"spacing"``, ``"linalg.nrm"``), which admodes does
    not differentiate: the text of the TypeError a traced value raises, with the nearest published name in
    the same namespace, if one is close.

    >>> no_rule_message("linalg.nrm").split("; ")[1][:40]
    'did you mean admodes.numpy.linalg.norm? '
    """
    namespace, _, short = name.rpartition(".")
    names = {n.rpartition(".")[2]: n for n in FUNCTIONS if n.rpartition(".")[0] == namespace}
    nearest = difflib.get_close_matches(short, names, n=1, cutoff=0.7)
    hint = f"did you mean admodes.numpy.{names[nearest[0]]}? Else" if nearest else "use a function of admodes.numpy, or"
    return (f"admodes has no derivative rule for numpy.{name}; {hint} define it as an admodes.Function (a custom "
            "op with its derivative rules)")


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


def shape_of(x):
    """The shape of an array, a traced value or a Python number, without converting it.

    >>> shape_of(np.zeros((2, 3))), shape_of(1.5)
    ((2, 3), ())
    """
    shape = getattr(x, "shape", None)
    return tuple(shape) if shape is not None else np.shape(x)


def is_complex(x):
    """True if ``x`` (an array, a traced value, a Python number) has a complex dtype: how a rule that differs
    for complex values (absolute's, angle's) chooses.

    >>> is_complex(np.ones(2) * 1j), is_complex(2.0)
    (True, False)
    """
    dtype = getattr(x, "dtype", None)
    return (dtype if dtype is not None else np.result_type(x)).kind == "c"


def ndim_of(x):
    """The number of axes of an array, a traced value or a Python number.

    >>> ndim_of(np.zeros((2, 3))), ndim_of(1.5)
    (2, 0)
    """
    return x.ndim if hasattr(x, "ndim") else np.ndim(x)


# ----------------------------------------------------------------------------------------------------
# Calling the impl on plain values
# ----------------------------------------------------------------------------------------------------

def call_impl(prim, args, params):
    """Run `prim`'s NumPy implementation on plain arguments, with clear errors naming the op.

    The one place a primitive's impl is called: `Primitive.__call__` after finding no traced argument,
    and the engines on the values they have unwrapped. Op counting happens here too.

    >>> from admodes.ops.elementwise import sin
    >>> float(call_impl(sin, (np.float64(0.0),), {}))
    0.0
    """
    if counting.active is not None and counting.thread.counts is not None:  # some thread counts, and this one
        return counting.counted_call(prim, args, params)
    try:
        out = prim.impl(*args, **params)
    except (TypeError, ValueError) as err:
        raise _explain(prim, args, err) from None
    if np.result_type(out).kind not in REAL_KINDS and not takes_complex(prim, out):
        raise _unsupported_dtype(prim, args, out)
    return out


if fastpaths.FAST:
    # FAST PATH (off with ADMODES_REFERENCE=1): no empty dict made for **params, and NumPy's real scalar
    # types known without reading .dtype.
    def call_impl(prim, args, params):  # noqa: F811
        """Run `prim`'s NumPy implementation on plain arguments, with clear errors naming the op.

        >>> from admodes.ops.elementwise import sin
        >>> float(call_impl(sin, (np.float64(0.0),), {}))
        0.0
        """
        if counting.active is not None and counting.thread.counts is not None:
            return counting.counted_call(prim, args, params)
        try:
            out = prim.impl(*args, **params) if params else prim.impl(*args)
        except (TypeError, ValueError) as err:
            raise _explain(prim, args, err) from None
        if type(out) not in _REAL_SCALARS and out.dtype.kind not in REAL_KINDS and not takes_complex(prim, out):
            raise _unsupported_dtype(prim, args, out)
        return out


def takes_complex(prim, out):
    """True if ``out`` is a complex result of `prim` and its declaration says its rules are right for complex
    values (``defrules(..., complex=True)``, `declare.accept_complex`). Read only off the hot path: for a
    result that is not real.

    >>> from admodes.ops.elementwise import sin, maximum
    >>> takes_complex(sin, np.array(1j)), takes_complex(maximum, np.array(1j))
    (True, False)
    """
    return np.result_type(out).kind == "c" and prim.rules is not None and bool(prim.rules.complex)


# ----------------------------------------------------------------------------------------------------
# Dispatch of traced values
# ----------------------------------------------------------------------------------------------------

def lift(prim, args, params):
    """Hand a call with traced arguments to the engine of the highest level among them.

    >>> from admodes.forward import Dual
    >>> from admodes.ops.elementwise import sin
    >>> float(lift(sin, (Dual(0.0, 2.0),), {}).tangent)
    2.0
    """
    if (params or len(args) > len(prim.argnames)) and not prim.variadic:
        args, params = _normalise(prim, args, params)
    top = None
    for a in args:
        if isinstance(a, Traced) and (top is None or a._level > top._level):
            top = a
    if top is None:  # the traced values were among the positional static parameters
        return prim(*args, **params)
    if prim.rules is None:
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

def complex_refused(name, argument, dtype):
    """The TypeError of a function that is not declared for complex input, given some (``argument``).

    >>> str(complex_refused("maximum", "x1", np.dtype(complex)))[:63]
    'admodes.maximum does not take complex input (argument x1 is com'
    """
    return TypeError(f"admodes.{name} does not take complex input (argument {argument} is {dtype}): its "
                     "derivative rules are for real values only; apply it to the real and imaginary parts "
                     "(anp.real, anp.imag), or to anp.abs of a complex value")


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
            return complex_refused(prim.name, name, np.asarray(a).dtype)
        if kind not in REAL_KINDS:
            return TypeError(f"admodes.{prim.name}: argument {name!r} is not a numeric array "
                             f"(got {type(a).__name__} of dtype {np.asarray(a).dtype})")
    return TypeError(f"admodes.{prim.name}: result has unsupported dtype {out.dtype}")
