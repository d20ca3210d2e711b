"""Applying a primitive's declared rules: the output tangent (`jvp_of`) and the inputs' cotangents
(`vjp_of`). Shared by both engines and by the engine-free rule tests.

A rule may return a value of the broadcast shape: `jvp_of` broadcasts a tangent up to the output's shape
and `vjp_of` sums each cotangent down to its input's shape (`unbroadcast`), so no rule has to.

>>> import numpy as np
>>> from admodes.ops.elementwise import multiply
>>> vjp_of(multiply, np.ones(2), None, (np.array([3.0, 4.0]), 2.0), {}, (True, True), ((2,), ()))
[array([2., 2.]), array(7.)]

Each function here is one generic body, the *reference path*. The measured optimisations (unrolled one-
and two-argument cases, in-place VJP forms, a uniform cotangent, joint JVP forms) sit in the labelled
FAST PATH block at the end, which replaces `jvp_of` and `vjp_of` unless ``ADMODES_REFERENCE=1``
(`admodes.fastpaths`); both versions stay importable (`vjp_of_reference`, `vjp_of_fast`, ...) so that the
tests compare them.
"""

from __future__ import annotations

import math

import numpy as np

from .. import fastpaths
from .primitive import shape_of
from .shape import broadcast_to, sum_to

__all__ = ["jvp_of", "vjp_of", "vjp_same_of", "unbroadcast", "fit", "jvp_of_reference", "vjp_of_reference",
           "jvp_of_fast", "vjp_of_fast"]


def unbroadcast(g, shape):
    """Sum a cotangent of a broadcast result back to an input's ``shape`` (the adjoint of broadcasting).

    >>> unbroadcast(np.ones((2, 3)), (3,))
    array([2., 2., 2.])
    """
    return sum_to(g, shape=tuple(shape))


def fit(ct, shape):
    """A rule's cotangent summed back to its input's ``shape`` if it came out in the broadcast shape.

    >>> fit(np.ones((2, 3)), (2, 3)).shape, fit(None, (3,))
    ((2, 3), None)
    """
    if ct is not None and shape_of(ct) != tuple(shape):
        return unbroadcast(ct, shape)
    return ct


def jvp_of(prim, tangents, ans, args, params):
    """The output tangent of ``prim`` at ``args`` for the input ``tangents`` (None: a zero tangent).

    >>> from admodes.ops.elementwise import sin
    >>> float(jvp_of(sin, (np.float64(2.0),), None, (np.float64(0.0),), {}))
    2.0
    """
    rules = prim.rules
    out = rules.jvp(tangents, ans, args, params) if rules.joint else _sum_of_jvps(rules, tangents, ans, args, params)
    if out is not None and shape_of(out) != shape_of(ans):
        out = broadcast_to(out, shape_of(ans))
    return out


def _sum_of_jvps(rules, tangents, ans, args, params):
    """The per-argument JVP rules' terms, summed (None: every term is a symbolic zero)."""
    out = None
    for rule, t in zip(rules.jvp, tangents):
        if t is not None and rule is not None:
            term = rule(t, ans, *args, **params)
            if term is not None:
                out = term if out is None else out + term
    return out


def vjp_of(prim, g, ans, args, params, needed, shapes, donated=False):
    """The cotangents of ``prim``'s arguments from the output cotangent ``g``, one per argument (a sequence).

    ``needed[i]`` says whether argument i wants one (else None); ``shapes[i]`` is its shape, to which
    the cotangent is summed back when the rule returned the broadcast shape. ``donated``: ``g`` is an
    array that no one else holds, which the fast path's in-place forms may overwrite (`declare.Fast`).

    >>> from admodes.ops.elementwise import sin
    >>> vjp_of(sin, np.float64(2.0), None, (np.float64(0.0),), {}, (True,), ((),))
    [np.float64(2.0)]
    """
    rules = prim.rules
    if rules.joint:
        return [fit(ct, shape) for ct, shape in zip(rules.vjp(g, ans, args, params, needed), shapes)]
    return [fit(rule(g, ans, *args, **params), shape) if need else None
            for rule, need, shape in zip(rules.vjp, needed, shapes)]


jvp_of_reference, vjp_of_reference = jvp_of, vjp_of


def vjp_same_of(prim, g, ans, x, params, shape, donated=False):
    """The summed cotangent of a primitive all of whose arguments are the one value ``x`` (`declare.Fast`'s
    ``vjp_same``), computed into ``g`` by its in-place form when ``donated`` allows (see `vjp_of`). The
    reverse engine calls it only where the primitive has the form (``prim.vjp_same``: a fast path).

    >>> from admodes.ops.elementwise import multiply
    >>> vjp_same_of(multiply, np.ones(2), None, np.array([1.0, 2.0]), {}, (2,))
    array([2., 4.])
    """
    fast, ct = prim.rules.fast, NotImplemented
    if donated and fast.vjp_same_inplace is not None and type(x) is np.ndarray:
        try:
            ct = fast.vjp_same_inplace(g, ans, x, **params)
        except TypeError:  # casting="safe" refused: the sum below
            pass
    if ct is NotImplemented:
        ct = fast.vjp_same(g, ans, x, **params)
    return fit(ct, shape)


# ====================================================================================================
# FAST PATH (off with ADMODES_REFERENCE=1). Each function gives what its reference above gives;
# tests/ops/test_rules.py compares them on every primitive's cases.
# ====================================================================================================

_SHAPED = frozenset({np.ndarray, np.float64, np.float32, np.float16})  # .shape is a tuple: read it directly
_IN_PLACE_ARGS = frozenset({np.ndarray, np.float64, np.float32, float, int, type(None)})


def jvp_of_fast(prim, tangents, ans, args, params):
    """`jvp_of`, with a declared joint JVP form (``t1 - t2`` in one pass) and no shape conversions."""
    rules = prim.rules
    if rules.joint:
        out = rules.jvp(tangents, ans, args, params)
    elif rules.fast is not None and rules.fast.joint_jvp is not None:
        out = rules.fast.joint_jvp(tangents, ans, args, params)
    else:
        out = _sum_of_jvps(rules, tangents, ans, args, params)
    if out is not None:
        ans_shape = ans.shape if type(ans) in _SHAPED else shape_of(ans)
        if (out.shape if type(out) in _SHAPED else shape_of(out)) != ans_shape:
            out = broadcast_to(out, ans_shape)
    return out


def vjp_of_fast(prim, g, ans, args, params, needed, shapes, donated=False):
    """`vjp_of` with the in-place forms for a donated ``g``, a uniform ``g`` through an elementwise op's
    rules as its one value, and the one- and two-argument cases unrolled (the backward sweep's hottest
    call: the same code as one list comprehension measured 4.04 against 2.84 us per primitive)."""
    rules = prim.rules
    if donated:
        if rules.fast is not None and rules.fast.vjp_inplace is not None:
            cts = _vjp_in_place(rules, g, ans, args, params, needed, shapes)
            if cts is not None:
                return cts
    elif rules.elementwise and type(g) is np.ndarray and g.base is not None and g.size > 1 and not any(g.strides):
        return _uniform_vjp(rules, g, ans, args, params, needed, shapes)
    if rules.joint:
        return vjp_of_reference(prim, g, ans, args, params, needed, shapes)
    vjps = rules.vjp
    if len(vjps) == 1:  # the common case, unrolled
        if not needed[0]:
            return [None]
        ct = vjps[0](g, ans, *args, **params)
        if ct is not None and (ct.shape if type(ct) in _SHAPED else shape_of(ct)) != shapes[0]:
            ct = unbroadcast(ct, shapes[0])
        return [ct]
    if len(vjps) == 2:  # the binary ops, unrolled
        ct0 = ct1 = None
        if needed[0]:
            ct0 = vjps[0](g, ans, *args, **params)
            if ct0 is not None and (ct0.shape if type(ct0) in _SHAPED else shape_of(ct0)) != shapes[0]:
                ct0 = unbroadcast(ct0, shapes[0])
        if needed[1]:
            ct1 = vjps[1](g, ans, *args, **params)
            if ct1 is not None and (ct1.shape if type(ct1) in _SHAPED else shape_of(ct1)) != shapes[1]:
                ct1 = unbroadcast(ct1, shapes[1])
        return [ct0, ct1]
    return vjp_of_reference(prim, g, ans, args, params, needed, shapes)


def _vjp_in_place(rules, g, ans, args, params, needed, shapes):
    """`vjp_of` with the last needed cotangent computed into ``g`` by the in-place form (None: not possible:
    a traced or unknown argument, no in-place form, an earlier cotangent that is ``g`` itself, or a dtype)."""
    for a in args:
        if type(a) not in _IN_PLACE_ARGS:
            return None
    inplace = rules.fast.vjp_inplace
    wanted = [i for i, need in enumerate(needed) if need]
    if not wanted or inplace[wanted[-1]] is None:
        return None
    cts = [None] * len(needed)
    for i in wanted[:-1]:  # computed first, from the untouched g; none may share g's memory
        ct = cts[i] = fit(rules.vjp[i](g, ans, *args, **params), shapes[i])
        if ct is g or type(ct) is np.ndarray and ct.base is g:
            break
    else:
        last = wanted[-1]
        try:
            ct = inplace[last](g, ans, *args, **params)
        except TypeError:  # casting="safe" refused: the rule's result would be wider than g
            ct = NotImplemented
        if ct is not NotImplemented:
            cts[last] = fit(ct, shapes[last])
            return cts
    return [fit(rules.vjp[i](g, ans, *args, **params), shapes[i]) if cts[i] is None and needed[i] else cts[i]
            for i in range(len(needed))]


def _uniform_vjp(rules, g, ans, args, params, needed, shapes):
    """`vjp_of` of an elementwise primitive for a ``g`` that repeats one value (a stride-0 broadcast, what
    `sum`'s rule makes): the rules run on that value, and a cotangent that comes out as one value stays a
    broadcast of it, so ``-g`` or ``100 * g`` cost nothing and stay uniform for the next op."""
    s = g.flat[0]
    out = []
    for rule, need, shape in zip(rules.vjp, needed, shapes):
        ct = rule(s, ans, *args, **params) if need and rule is not None else None
        if ct is not None:
            if shape_of(ct) == ():  # uniform: the sum over the copies broadcasting made is a product
                repeats = g.size // math.prod(shape)
                ct = broadcast_to(ct * repeats if repeats != 1 else ct, shape)
            else:
                if shape_of(ct) != g.shape:
                    ct = np.broadcast_to(ct, g.shape)
                ct = fit(ct, shape)
        out.append(ct)
    return out


if fastpaths.FAST:
    jvp_of, vjp_of = jvp_of_fast, vjp_of_fast
