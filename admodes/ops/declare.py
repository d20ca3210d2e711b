"""Declaring a primitive: one call gives an op everything the engines need to know about it.

::

    sin = Primitive("sin", np.sin)
    defrules(sin, jvp=lambda t, ans, x: t * cos(x),
                  vjp=lambda g, ans, x: g * cos(x),
                  saves=("x",), elementwise=True)

What one `defrules` call says:

- ``jvp``, ``vjp``: one rule per array argument (a single function for a one-argument op, ``None`` at a
  `nondiff` argument). ``jvp_i(t, ans, *args, **params)`` is the output tangent contributed by argument
  i's tangent ``t``; ``vjp_i(g, ans, *args, **params)`` is argument i's cotangent from the output cotangent
  ``g``. ``ans`` is the output, ``params`` the static keyword parameters (axis, keepdims, ...). A rule may
  return the broadcast shape: the engines sum a cotangent back to its input's shape (`rules.unbroadcast`).
  ``None`` is a symbolic zero everywhere. Rules are written with admodes ops, so they differentiate again.
- ``saves``: what the VJP rules read, which is all the reverse engine's tape keeps: argument names,
  ``"ans"``, and ``"x.shape"`` / ``"ans.shape"`` for metadata only (shape, dtype, ndim, size, kept as a
  `Meta`). A tuple is what every rule reads; a dict gives each differentiable argument's rule its own
  (``{"x1": "x2", "x2": "x1"}`` for multiply). The default is everything. A test runs every rule with
  what it does not declare replaced by a value that raises on any use (tests/ops/test_saves.py).
- ``batch``: the batching rule ``batch(args, batched, **params)`` (the arguments with ``batched[i]`` true
  carry a leading batch axis; the result has one); ``elementwise=True`` gives the broadcasting one.
- ``elementwise``: the rules take any ``g`` that broadcasts to the output (a uniform cotangent goes in as
  its one value, see `rules.vjp_of`), and the op broadcasts as a ufunc does.
- ``fast``: optional faster forms of the rules (`Fast`), each checked against its rule by the tests and
  unused with ``ADMODES_REFERENCE=1``.
- ``joint=True``: ``jvp(tangents, ans, args, params)`` and ``vjp(g, ans, args, params, needed)`` over all
  arguments at once (variadic ops: concatenate, einsum); ``saves`` then names ``"ans"``, ``"args"`` or
  ``"args.shape"``.
- ``complex``: False (the default: complex input is refused with a TypeError naming the op), True (the
  rules are right for complex values, in JAX's convention: a VJP is the *transpose* of the JVP, never its
  conjugate, so a holomorphic op's rules read as for reals, ``g * cos(x)``; the reverse engine casts a real
  input of a complex result to complex first, so the rules meet one kind), or ``"mixed"`` (the rules
  themselves give a real input of a complex result its real cotangent: astype, the FFTs). `accept_complex`
  says it for ops declared already.
- any keyword named in `primitive.RULE_KINDS` (``jet=...``, ``deps=...``): a rule for another engine,
  kept in ``prim.rules.extra`` and read with ``prim.rule("jet")``.

Front-ends that make the one call for a common pattern: `deflinear` (the JVP of a linear op is the op
applied to the tangent), `nondifferentiable`, `defjoint`, `elementwise.defpartials` (an elementwise op
as its partial derivatives) and `reductions.defweights` (a reduction as its weights).

>>> import numpy as np
>>> triple = Primitive("triple_example", lambda x: 3 * x)
>>> defrules(triple, jvp=lambda t, ans, x: 3 * t, vjp=lambda g, ans, x: 3 * g, saves=(), elementwise=True)
>>> triple.vjp_rules[0](np.ones(2), None, None)
array([3., 3.])
"""

from __future__ import annotations

import math

from .. import fastpaths
from .primitive import RULE_KINDS, Primitive, ndim_of, op, shape_of

__all__ = [
    "defrules", "deflinear", "defjoint", "nondifferentiable", "defbatch", "Rules", "Fast", "Meta",
    "broadcasting_batch_rule", "pad_batched", "kept_for", "accept_complex",
]


class Meta:
    """What the backward sweep keeps of a value whose rule reads only its metadata: shape and dtype.

    >>> import numpy as np
    >>> m = Meta(np.zeros((2, 3), np.float32))
    >>> m.shape, m.ndim, m.size, m.dtype
    ((2, 3), 2, 6, dtype('float32'))
    """

    __slots__ = ("shape", "dtype")

    def __init__(self, value):
        self.shape, self.dtype = shape_of(value), getattr(value, "dtype", None)

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return math.prod(self.shape)

    def __repr__(self):
        return f"Meta(shape={self.shape}, dtype={self.dtype})"


class Fast:
    """Faster forms of a primitive's rules, for the engines' hot paths. Each must give what the rule it
    stands for gives (tests/ops/test_rules.py compares them), and none runs with ``ADMODES_REFERENCE=1``.

    - ``vjp_inplace``: per argument (or None), ``rule(g, ans, *args, **params)`` returning the argument's
      cotangent computed in ``g``'s memory, or ``NotImplemented`` to decline. The reverse engine uses it when
      ``g`` is an array only the sweep holds: ``-g`` or ``g * x2`` then cost no new array. A form must not
      write into ``g`` before it knows it can finish: ufuncs with ``casting="safe"`` raise first (a TypeError,
      on which the rule runs instead) where the rule's result would be of a wider dtype.
    - ``vjp_same``: ``rule(g, ans, x, **params)``, the sum of all arguments' cotangents when every argument
      is the one value ``x`` (x * x: ``g * (2.0 * x)``, two passes instead of three); ``vjp_same_inplace``
      is the same sum computed into ``g``.
    - ``vjp_into``: for a one-argument op, ``rule(buffer, g, **params)`` adds the cotangent into ``buffer``
      (an array of the argument's shape the engine owns): getitem adds ``g`` at its index instead of
      scattering it into zeros that the engine would then add.
    - ``joint_jvp``: ``jvp(tangents, ans, args, params)``, the sum of the per-argument JVPs in fewer array
      passes (``t1 - t2`` in one, where ``-t2`` and a sum take two).
    - ``jvp_inplace``: for a binary operator, ``jvp(tangents, args, i)``, the output tangent computed into
      ``tangents[i]`` (an array of the result's shape and dtype that only the forward sweep holds, a
      temporary's: `temporaries`), from the arguments alone (not the result, which the engine may then
      compute into the temporary's primal), or ``NotImplemented`` to decline.
    - ``impl_into``: ``impl(out, *args)``, the op's NumPy implementation writing into ``out``, where the
      implementation is not a ufunc (which takes ``out=`` itself).

    >>> Fast(vjp_same=lambda g, ans, x: g * (2.0 * x)).vjp_inplace is None
    True
    """

    __slots__ = ("vjp_inplace", "vjp_same", "vjp_same_inplace", "vjp_into", "joint_jvp", "jvp_inplace", "impl_into")

    def __init__(self, *, vjp_inplace=None, vjp_same=None, vjp_same_inplace=None, vjp_into=None, joint_jvp=None,
                 jvp_inplace=None, impl_into=None):
        self.vjp_inplace, self.vjp_same, self.vjp_same_inplace = vjp_inplace, vjp_same, vjp_same_inplace
        self.vjp_into, self.joint_jvp, self.jvp_inplace, self.impl_into = vjp_into, joint_jvp, jvp_inplace, impl_into


class Rules:
    """A primitive's declaration, as `defrules` stored it (``prim.rules``).

    ``jvp``/``vjp``: one rule per argument (None at a nondiff one), or the joint rules when ``joint``.
    ``reads``: per argument, what its VJP reads, as ``(whole, metadata_only)`` frozensets of positions (-1
    for ``ans``), None at a nondiff argument; ``joint_saves``: for joint rules, a subset of {"ans", "args",
    "shapes"}. ``saves``: the declaration as written. ``linear``: declared by `deflinear`; ``zero``: by
    `nondifferentiable`. ``extra``: rules for other engines, by kind (`primitive.RULE_KINDS`).
    """

    __slots__ = ("jvp", "vjp", "joint", "saves", "reads", "joint_saves", "elementwise", "linear", "zero",
                 "fast", "extra", "complex")


def defrules(prim, *, jvp, vjp, saves=None, batch=None, elementwise=False, joint=False, fast=None, complex=False,
             **extra):
    """Declare all of `prim`'s rules in one call (see the module docstring for each keyword).

    >>> import numpy as np
    >>> halve = Primitive("halve_example", lambda x: 0.5 * x, registered=False)
    >>> defrules(halve, jvp=lambda t, ans, x: 0.5 * t, vjp=lambda g, ans, x: 0.5 * g, saves=())
    >>> halve.vjp_reads
    ((frozenset(), frozenset()),)
    """
    _declare(prim, jvp, vjp, saves=saves, batch=batch, elementwise=elementwise, joint=joint, fast=fast,
             complex=complex, extra=extra)


def deflinear(prim, *, transpose, saves=None, batch=None, elementwise=False, fast=None, complex=False, **extra):
    """Declare a primitive that is linear in its one differentiable argument: its JVP is the op itself
    applied to the tangent (the other arguments and the parameters unchanged), and ``transpose`` (the
    adjoint, ``transpose(g, ans, *args, **params)``) is its VJP. As JAX's ``deflinear`` and autograd's
    ``def_linear``. The other keywords are `defrules`'.

    >>> import numpy as np
    >>> flip_example = Primitive("flip_example", lambda x: x[::-1], registered=False)
    >>> deflinear(flip_example, transpose=lambda g, ans, x: flip_example(g), saves=())
    >>> flip_example.jvp_rules[0](np.array([1.0, 2.0]), None, None)
    array([2., 1.])
    """
    diff = [i for i in range(len(prim.argnames)) if i not in prim.nondiff]
    if prim.variadic or len(diff) != 1:
        raise ValueError(f"{prim.name}: deflinear is for an op linear in its one differentiable argument; "
                         f"it has {len(diff)} ({prim.argnames})")
    (i,) = diff
    if len(prim.argnames) == 1:  # (the common case, without packing *args on every call)
        jvp = lambda t, ans, x, **params: prim(t, **params)  # noqa: E731
    else:
        jvp = lambda t, ans, *args, **params: prim(*args[:i], t, *args[i + 1:], **params)  # noqa: E731
    jvps, vjps = [None] * len(prim.argnames), [None] * len(prim.argnames)
    jvps[i], vjps[i] = jvp, transpose
    _declare(prim, tuple(jvps), tuple(vjps), saves=saves, batch=batch, elementwise=elementwise, linear=True,
             fast=fast, complex=complex, extra=extra)


def defjoint(prim, *, jvp, vjp, saves=None, batch=None, **extra):
    """Declare joint rules over all of `prim`'s arguments at once: ``defrules(prim, ..., joint=True)``.

    ``jvp(tangents, ans, args, params)`` returns the output tangent (``tangents[i]`` is None where argument i
    has none); ``vjp(g, ans, args, params, needed)`` one cotangent per argument (None where ``needed[i]`` is
    false). ``saves`` names "ans", "args", "args.shape" (each argument's `Meta`; also spelled "shapes"), or
    a mix; the default is ans and args.

    >>> both = Primitive("both_example", lambda *xs: xs[0] + xs[1], variadic=True, registered=False)
    >>> defjoint(both, jvp=lambda ts, ans, args, params: ts[0] + ts[1],
    ...          vjp=lambda g, ans, args, params, needed: (g, g), saves=())
    >>> both.joint_saves
    frozenset()
    """
    if saves is not None:
        saves = tuple("args.shape" if s == "shapes" else s for s in _names(saves))
    defrules(prim, jvp=jvp, vjp=vjp, saves=saves, batch=batch, joint=True, **extra)


def nondifferentiable(prim, *, batch=None, elementwise=False, **extra):
    """Declare a piecewise-constant primitive (sign, comparisons): its derivative is zero where defined.

    Its tangents and cotangents are symbolic zeros, so the engines skip it at no cost, and its VJP reads
    nothing.

    >>> sign = op("sign")
    >>> sign.zero_derivative, sign.vjp_reads
    (True, ((frozenset(), frozenset()),))
    """
    zero = lambda *_, **__: None  # noqa: E731
    rules = tuple(None if i in prim.nondiff else zero for i in range(len(prim.argnames)))
    _declare(prim, rules, rules, saves=(), batch=batch, elementwise=elementwise, zero=True, extra=extra)


def defbatch(prim, rule):
    """Attach a batching rule to an already declared `prim`: for an engine that derives one on first use
    (`batching.batch_rule_of` does for a ufunc primitive declared without one). An op library declaration
    passes ``batch=`` to `defrules` instead.

    >>> import numpy as np
    >>> p = Primitive("batch_example", np.negative, registered=False)
    >>> defrules(p, jvp=lambda t, ans, x: -t, vjp=lambda g, ans, x: -g, saves=())
    >>> defbatch(p, broadcasting_batch_rule(p)); p.batch_rule is not None
    True
    """
    prim.batch_rule = rule


def accept_complex(*prims, mixed=False):
    """Say of primitives declared already that their rules are right for complex values (``complex=True``
    of `defrules`; ``mixed=True``: ``complex="mixed"``). One list per op module keeps the declarations
    themselves as they were.

    >>> p = Primitive("complex_example", lambda x: -x, registered=False)
    >>> defrules(p, jvp=lambda t, ans, x: -t, vjp=lambda g, ans, x: -g, saves=())
    >>> accept_complex(p); p.rules.complex
    True
    """
    for prim in prims:
        if prim.rules is None:
            raise ValueError(f"{prim.name}: declare its rules before accepting complex values")
        prim.rules.complex = "mixed" if mixed else True


def kept_for(prim, needed):
    """What the backward sweep keeps of a call of `prim` whose arguments in ``needed`` want cotangents, by
    its declaration: ``(whole, metadata_only)``, frozensets of argument positions, -1 for ``ans``.

    >>> from admodes.ops.elementwise import multiply
    >>> kept_for(multiply, (True, False))   # x1's cotangent g * x2 reads x2 only
    (frozenset({1}), frozenset())
    """
    rules = prim.rules
    if rules.joint:
        every = frozenset(range(len(needed)))
        whole = (every if "args" in rules.joint_saves else frozenset()) | (
            {-1} if "ans" in rules.joint_saves else frozenset())
        return frozenset(whole), every - whole if "shapes" in rules.joint_saves else frozenset()
    whole, meta = set(), set()
    for need, reads in zip(needed, rules.reads):
        if need:
            whole |= reads[0]
            meta |= reads[1]
    return frozenset(whole), frozenset(meta - whole)


# ----------------------------------------------------------------------------------------------------
# The one place a declaration is stored
# ----------------------------------------------------------------------------------------------------

def _declare(prim, jvp, vjp, *, saves, batch, elementwise, joint=False, linear=False, zero=False, fast=None,
             complex=False, extra=None):
    if not isinstance(prim, Primitive):
        raise TypeError(f"defrules: {prim!r} is not a Primitive")
    if prim.rules is not None:
        raise ValueError(f"{prim.name}: its rules are declared already (one declaration per primitive)")
    unknown = sorted(set(extra or ()) - set(RULE_KINDS))
    if unknown:
        raise TypeError(f"{prim.name}: {', '.join(map(repr, unknown))} is not a kind of rule; the kinds are "
                        f"jvp, vjp, batch and {', '.join(sorted(RULE_KINDS))} (primitive.RULE_KINDS)")
    r = Rules()
    r.joint, r.saves, r.elementwise, r.linear, r.zero = joint, saves, elementwise, linear, zero
    if complex not in (False, True, "mixed"):
        raise ValueError(f"{prim.name}: complex must be False, True or 'mixed', not {complex!r}")
    r.complex = complex
    r.extra = dict(extra or {})
    if joint:
        r.jvp, r.vjp, r.reads, r.joint_saves = jvp, vjp, None, _joint_saves(prim, saves)
    else:
        r.jvp, r.vjp = _table(prim, jvp, "jvp"), _table(prim, vjp, "vjp")
        r.reads, r.joint_saves = _reads(prim, saves), None
    if fast is not None:
        if fast.vjp_inplace is not None:
            fast.vjp_inplace = _table(prim, fast.vjp_inplace, "in-place VJP", required=False)
        if fast.vjp_into is not None and len(prim.argnames) != 1:
            raise ValueError(f"{prim.name}: vjp_into is for a one-argument op")
    r.fast = fast
    prim.rules = r
    prim.zero_derivative = zero
    prim.batch_rule = batch if batch is not None or not elementwise else broadcasting_batch_rule(prim)
    use_fast = fast is not None and fastpaths.FAST  # the engines read these two in their hot loops
    prim.vjp_into = fast.vjp_into if use_fast else None
    prim.vjp_same = fast.vjp_same if use_fast else None


def _table(prim, rules, kind, required=True):
    """One rule per argument: a single function stands for the one rule of a one-argument op."""
    if callable(rules) or rules is None:
        rules = (rules,)
    rules = tuple(rules)
    if len(rules) != len(prim.argnames):
        raise ValueError(f"{prim.name}: {len(rules)} {kind} rules for {len(prim.argnames)} arguments {prim.argnames}")
    for i, rule in enumerate(rules):
        if i in prim.nondiff and rule is not None:
            raise ValueError(f"{prim.name}: argument {prim.argnames[i]!r} is nondiff but has a {kind} rule")
        if required and i not in prim.nondiff and rule is None:
            raise ValueError(f"{prim.name}: argument {prim.argnames[i]!r} needs a {kind} rule "
                             "(or declare it nondiff, or use `nondifferentiable` for a piecewise-constant op)")
    return rules


def _names(saves):
    return (saves,) if isinstance(saves, str) else tuple(saves)


def _reads(prim, saves):
    """``saves`` as the engines read it: per argument, ``(whole, metadata_only)`` positions (-1: ans)."""
    every = (frozenset([-1, *range(len(prim.argnames))]), frozenset())
    diff = [i for i in range(len(prim.argnames)) if i not in prim.nondiff]
    if saves is None:
        per_arg = {i: every for i in diff}
    elif isinstance(saves, dict):
        names = {prim.argnames[i] for i in diff}
        if set(saves) != names:
            raise ValueError(f"{prim.name}: saves by argument must name each differentiable argument "
                             f"{sorted(names)} once, not {sorted(saves)}")
        per_arg = {prim.argnames.index(name): _positions(prim, spec) for name, spec in saves.items()}
    else:
        read = _positions(prim, saves)
        per_arg = {i: read for i in diff}
    return tuple(per_arg.get(i) for i in range(len(prim.argnames)))


def _positions(prim, spec):
    position = {"ans": -1, **{name: i for i, name in enumerate(prim.argnames)}}
    whole, meta = set(), set()
    for name in _names(spec):
        base, _, attribute = name.partition(".")
        if base not in position or attribute not in ("", "shape"):
            raise ValueError(f"{prim.name}: saves names {name!r}; it may name 'ans', an argument "
                             f"{list(prim.argnames)}, or either with '.shape' (metadata only)")
        (meta if attribute else whole).add(position[base])
    return frozenset(whole), frozenset(meta - whole)


def _joint_saves(prim, saves):
    if saves is None:
        return frozenset({"ans", "args"})
    names = set(_names(saves))
    if not names <= {"ans", "args", "args.shape"}:
        raise ValueError(f"{prim.name}: joint rules' saves must name 'ans', 'args' or 'args.shape', "
                         f"not {sorted(names)}")
    return frozenset("shapes" if n == "args.shape" else n for n in names)


# ----------------------------------------------------------------------------------------------------
# The batching rule of every elementwise op
# ----------------------------------------------------------------------------------------------------

def pad_batched(x, rank):
    """A batched operand (batch on axis 0) with length-1 axes put after the batch axis until it has ``rank``
    axes besides the batch: then it broadcasts against unbatched operands of up to ``rank`` axes with its
    batch axis still in front (NumPy aligns trailing axes).

    >>> import numpy as np
    >>> pad_batched(np.zeros((5, 3)), 2).shape
    (5, 1, 3)
    """
    missing = rank - (ndim_of(x) - 1)
    if missing <= 0:
        return x
    shape = shape_of(x)
    return op("reshape")(x, shape[:1] + (1,) * missing + shape[1:])


def broadcasting_batch_rule(prim):
    """The batch rule of an elementwise `prim` that broadcasts its arguments as a NumPy ufunc does (what
    ``elementwise=True`` declares, unless ``batch=`` gives another).

    Every batched argument is padded (`pad_batched`) to the rank of the broadcast result, so the batch
    axes line up with each other in front and the arguments' own axes line up as they would unbatched.

    >>> import numpy as np
    >>> rule = broadcasting_batch_rule(op("add"))
    >>> rule((np.zeros((2, 3)), np.ones((4, 1))), (True, False)).shape   # 2 arrays of shape (3,), plus (4, 1)
    (2, 4, 3)
    """
    def rule(args, batched, **params):
        rank = max(ndim_of(a) - b for a, b in zip(args, batched))
        return prim(*(pad_batched(a, rank) if b else a for a, b in zip(args, batched)), **params)
    return rule
