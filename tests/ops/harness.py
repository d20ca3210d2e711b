"""The engine-free check every primitive must pass, and the vocabulary its cases are written in.

A case draws the arguments and static parameters of one primitive (shapes from hypothesis, values
from a seeded NumPy generator inside the op's domain). `check_rules` then tests the two facts that
make a rule right without running any AD engine:

- the JVP equals the directional derivative, measured by Richardson-extrapolated central differences;
- the VJP is the JVP's adjoint: <vjp(u), v> == <u, jvp(v)> to 1e-10 relative (the dot-product test).

A draw of a complex dtype (``Draw(data, np.complex128)``, tests/test_complex.py) gives complex values,
tangents and cotangents; the pairing is then JAX's, ``Re(sum(a * b))``: a VJP is the JVP's transpose.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, mutually_broadcastable_shapes

from admodes.ops.core import REGISTRY, jvp_of, vjp_of
from admodes.ops.rules import jvp_of_fast, jvp_of_reference, vjp_of_fast, vjp_of_reference, vjp_same_of

# Strategies are made once per distinct argument list and reused: hypothesis validates a strategy on its first
# draw, and building and validating a fresh one for every draw cost a third of the op tests' time.
_cached = lru_cache(maxsize=None, typed=True)
integers_between = _cached(st.integers)
_SAMPLED = {}
sets_of = _cached(lambda elements, min_size, max_size: st.sets(elements, min_size=min_size, max_size=max_size))
shapes_between = _cached(lambda min_dims, max_dims, min_side, max_side: array_shapes(
    min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side))
broadcastable_shapes_of = _cached(lambda n, min_dims, max_dims, max_side: mutually_broadcastable_shapes(
    num_shapes=n, min_dims=min_dims, max_dims=max_dims, min_side=1, max_side=max_side))
SEEDS = st.integers(0, 2**32 - 1)


def _typed(value):
    """A key that tells 1 from 1.0 and True (equal, and equal hashes), inside tuples too."""
    return (tuple, tuple(map(_typed, value))) if isinstance(value, tuple) else (type(value), value)


def sampled_from(options):
    """``st.sampled_from(options)``, made once per list of options (of hashable values; others are not cached)."""
    options = tuple(options)
    try:
        key = _typed(options)
        strategy = _SAMPLED.get(key)
    except TypeError:
        return st.sampled_from(options)
    if strategy is None:
        strategy = _SAMPLED[key] = st.sampled_from(options)
    return strategy


class Draw:
    """What a case draws with: hypothesis for shapes and choices, a seeded generator for values."""

    def __init__(self, data, dtype=np.float64):
        self.data = data
        self.dtype = dtype
        self.rng = np.random.default_rng(data.draw(SEEDS, label="seed"))

    def shape(self, min_dims=0, max_dims=3, min_side=1, max_side=4):
        return self.data.draw(shapes_between(min_dims, max_dims, min_side, max_side), label="shape")

    def broadcastable_shapes(self, n, min_dims=0, max_dims=3, max_side=4):
        return self.data.draw(broadcastable_shapes_of(n, min_dims, max_dims, max_side), label="shapes").input_shapes

    def array(self, shape, low=-2.0, high=2.0):
        if np.dtype(self.dtype).kind == "c":  # both parts in [low, high]
            return (self.rng.uniform(low, high, size=shape) + 1j * self.rng.uniform(low, high, size=shape)).astype(
                self.dtype)
        return self.rng.uniform(low, high, size=shape).astype(self.dtype)

    def away_from_zero(self, shape, low=0.3, high=2.0):
        """Values with |x| in [low, high] and a random sign (a random phase, if complex): where 1/x, |x|,
        sign are smooth."""
        if np.dtype(self.dtype).kind == "c":
            phase = np.exp(1j * self.rng.uniform(-np.pi, np.pi, size=shape))
            return (self.rng.uniform(low, high, size=shape) * phase).astype(self.dtype)
        return (self.array(shape, low, high) * self.rng.choice([-1.0, 1.0], size=shape)).astype(self.dtype)

    def choice(self, options, label=None):
        return self.data.draw(sampled_from(options), label=label)

    def integers(self, low, high, label=None):
        return self.data.draw(integers_between(low, high), label=label)

    def axis(self, ndim, allow_none=True, allow_tuple=True, allow_negative=True):
        """A valid ``axis`` for an array of ``ndim`` dimensions: None, an int or a tuple of ints."""
        options = [None] if allow_none else []
        if ndim:
            options += list(range(-ndim if allow_negative else 0, ndim))
            if allow_tuple and ndim > 1:
                options.append(tuple(sorted(self.data.draw(
                    sets_of(integers_between(0, ndim - 1), 1, ndim), label="axes"))))
        return self.choice(options, label="axis") if options else None


@dataclass
class Case:
    """One primitive's test inputs: ``draw(d) -> (args, params)``."""

    name: str
    draw: Callable[[Draw], tuple]
    fd_rtol: float = 1e-6        # JVP vs finite differences
    fd_step: float = 1e-3        # the central-difference step, relative to the tangent
    label: str | None = None     # to tell apart several cases of one primitive
    constants: tuple = ()        # argument positions held constant (no tangent, no cotangent checked)
    align: Callable | None = None  # (moved output, output) -> the moved one on the point's branch (eig's order)

    @property
    def id(self):
        return self.label or self.name


def elementwise(name, *domains, max_dims=3, **kwargs):
    """A case for an elementwise primitive: broadcastable shapes, argument i drawn from ``domains[i]``.

    A domain is ``(low, high)`` or a callable ``(draw, shape) -> array``.
    """
    def draw(d):
        shapes = d.broadcastable_shapes(len(domains), max_dims=max_dims)
        return tuple(dom(d, s) if callable(dom) else d.array(s, *dom) for dom, s in zip(domains, shapes)), {}
    return Case(name, draw, **kwargs)


def diff_positions(prim, args, constants=()):
    """The argument positions a case perturbs: the differentiable ones not held constant."""
    if prim.variadic:
        return [i for i in range(len(args)) if i not in constants]
    return [i for i in range(len(args)) if i not in prim.nondiff and i not in constants]


def _inner(a, b):
    if np.iscomplexobj(a) or np.iscomplexobj(b):  # JAX's pairing: the VJP is the transpose, not the adjoint
        return float(np.real(np.sum(np.asarray(a, dtype=np.complex128) * np.asarray(b, dtype=np.complex128))))
    return float(np.sum(np.asarray(a, dtype=np.float64) * np.asarray(b, dtype=np.float64)))


def normal(rng, shape, dtype=np.float64):
    """Standard normal values of ``dtype``; both parts standard normal for a complex one."""
    if np.dtype(dtype).kind == "c":
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


def check_rules(case: Case, d: Draw):
    """Assert the JVP against finite differences and the VJP against the JVP, for one draw."""
    prim = REGISTRY[case.name]
    args, params = case.draw(d)
    ans = prim(*args, **params)
    positions = diff_positions(prim, args, case.constants)
    tangents = [None] * len(args)
    for i in positions:
        tangents[i] = normal(d.rng, np.shape(args[i]), d.dtype if np.iscomplexobj(args[i]) else np.finfo(d.dtype).dtype)
    jvp = jvp_of(prim, tuple(tangents), ans, tuple(args), params)
    jvp = np.zeros_like(ans, dtype=np.float64) if jvp is None else np.asarray(jvp)
    assert jvp.shape == np.shape(ans), f"{case.id}: tangent shape {jvp.shape} != output shape {np.shape(ans)}"

    # 1. JVP against Richardson-extrapolated central differences along the tangent direction.
    def along(h):
        moved = list(args)
        for i in positions:
            moved[i] = args[i] + h * tangents[i]
        out = prim(*moved, **params)
        out = case.align(out, ans) if case.align else out
        return np.asarray(out, dtype=np.complex128 if np.iscomplexobj(ans) else np.float64)

    def central(h):
        return (along(h) - along(-h)) / (2 * h)

    h = case.fd_step
    numeric = (4 * central(h / 2) - central(h)) / 3
    scale = max(1.0, float(np.max(np.abs(numeric), initial=0.0)))
    np.testing.assert_allclose(jvp, numeric, rtol=case.fd_rtol, atol=case.fd_rtol * scale,
                               err_msg=f"{case.id}: JVP disagrees with finite differences")

    # 2. The dot-product test: <u, J v> == <J^T u, v>.
    u = normal(d.rng, np.shape(ans), np.complex128 if np.iscomplexobj(ans) else np.float64)
    needed = tuple(i in positions for i in range(len(args)))
    shapes = tuple(np.shape(a) for a in args)
    cotangents = vjp_of(prim, u, ans, tuple(args), params, needed, shapes)
    for i in positions:
        if cotangents[i] is not None:
            assert np.shape(cotangents[i]) == shapes[i], (
                f"{case.id}: cotangent of argument {i} has shape {np.shape(cotangents[i])}, input {shapes[i]}")
    lhs = _inner(u, jvp)
    terms = [_inner(cotangents[i], tangents[i]) for i in positions if cotangents[i] is not None]
    rhs = sum(terms)
    norms = _inner(np.abs(u), np.abs(u)) * _inner(np.abs(jvp), np.abs(jvp))
    size = np.sqrt(norms) + sum(abs(t) for t in terms) + 1e-300
    assert abs(lhs - rhs) <= 1e-10 * size, f"{case.id}: adjoint identity fails: <u, Jv> = {lhs}, <J^T u, v> = {rhs}"


def check_float32(case: Case, d: Draw):
    """float32 in, float32 out: the impl, the JVP and the VJP keep the input's precision (complex64 for a
    complex result, as the FFTs give)."""
    prim = REGISTRY[case.name]
    args, params = case.draw(d)
    ans = prim(*args, **params)
    single = (np.float32, np.complex64)
    assert np.asarray(ans).dtype in single, f"{case.id}: float32 inputs gave {np.asarray(ans).dtype}"
    positions = diff_positions(prim, args, case.constants)
    tangents = tuple(np.ones(np.shape(a), np.float32) if i in positions else None for i, a in enumerate(args))
    jvp = jvp_of(prim, tangents, ans, tuple(args), params)
    if jvp is not None:
        assert np.asarray(jvp).dtype in single, f"{case.id}: JVP of float32 inputs is {np.asarray(jvp).dtype}"
    needed = tuple(i in positions for i in range(len(args)))
    cts = vjp_of(prim, np.ones(np.shape(ans), np.asarray(ans).dtype), ans, tuple(args), params, needed,
                 tuple(np.shape(a) for a in args))
    for ct in cts:
        if ct is not None:
            assert np.asarray(ct).dtype == np.float32, f"{case.id}: VJP of float32 inputs is {np.asarray(ct).dtype}"


def check_fast_forms(case: Case, d: Draw):
    """The fast path (`rules.vjp_of_fast`, `rules.jvp_of_fast`) gives what the reference path gives, whatever
    ``ADMODES_REFERENCE`` says: the unrolled one- and two-argument cases, a joint JVP form, a uniform g (a
    stride-0 broadcast of one value) run through an elementwise primitive's rules as that value, the
    in-place forms, which write into a g nothing else holds (for every choice of the arguments that want a
    cotangent), and the summed VJP of x op x. They may order a product differently from the rule
    (``(g * 2.0) * x`` for ``(2.0 * x) * g``): a few ulps apart, of the largest cotangent element when a sum
    over broadcast axes cancels."""
    prim = REGISTRY[case.name]
    rtol = 8 * np.finfo(d.dtype).eps
    args, params = case.draw(d)
    ans = prim(*args, **params)
    positions = diff_positions(prim, args, case.constants)
    shapes = tuple(np.shape(a) for a in args)
    originals = [np.copy(a) for a in args]
    subsets = [tuple(i == p for i in range(len(args))) for p in positions]
    subsets.append(tuple(i in positions for i in range(len(args))))
    tangents = tuple(d.rng.standard_normal(np.shape(a)).astype(d.dtype) if i in positions else None
                     for i, a in enumerate(args))
    fast_jvp = jvp_of_fast(prim, tangents, ans, tuple(args), params)
    slow_jvp = jvp_of_reference(prim, tangents, ans, tuple(args), params)
    _assert_same_cotangents([fast_jvp], [slow_jvp], [np.shape(ans)], rtol, f"{case.id}: fast JVP")
    _check_jvp_inplace(prim, case.id, tangents, ans, args, params, rtol)
    for needed in subsets:
        u = d.rng.standard_normal(np.shape(ans)).astype(d.dtype)
        slow = vjp_of_reference(prim, u, ans, tuple(args), params, needed, shapes)
        fast = vjp_of_fast(prim, u, ans, tuple(args), params, needed, shapes)
        _assert_same_cotangents(fast, slow, shapes, rtol, f"{case.id}: fast VJP")
        if prim.elementwise and np.size(ans) > 1:
            uniform = np.broadcast_to(np.asarray(d.rng.standard_normal(), d.dtype), np.shape(ans))
            fast = vjp_of_fast(prim, uniform, ans, tuple(args), params, needed, shapes)
            slow = vjp_of_reference(prim, np.array(uniform), ans, tuple(args), params, needed, shapes)
            _assert_same_cotangents(fast, slow, shapes, rtol, f"{case.id}: uniform g")
        if prim.vjp_inplace is not None:
            slow = vjp_of_reference(prim, u, ans, tuple(args), params, needed, shapes)
            fast = vjp_of_fast(prim, np.array(u), ans, tuple(args), params, needed, shapes, donated=True)
            _assert_same_cotangents(fast, slow, shapes, rtol, f"{case.id}: in place")
    fast_forms = prim.rules.fast
    if fast_forms is not None and fast_forms.vjp_into is not None:  # adds the one cotangent into a buffer
        u = d.rng.standard_normal(np.shape(ans)).astype(d.dtype)
        buffer = d.rng.standard_normal(shapes[0]).astype(d.dtype)
        (ct,) = vjp_of_reference(prim, u, ans, tuple(args), params, (True,), shapes)
        expected, scale = buffer + ct, np.max(np.abs(buffer), initial=0.0) + np.sum(np.abs(u))  # (sums reorder)
        fast_forms.vjp_into(buffer, u, **params)
        np.testing.assert_allclose(buffer, expected, rtol=rtol, atol=rtol * scale,
                                   err_msg=f"{case.id}: VJP added into a buffer")
    if fast_forms is not None and fast_forms.vjp_same is not None and len(positions) == len(args) > 1:
        x = args[0]
        same_args, needed = (x,) * len(args), (True,) * len(args)
        same_ans = prim(*same_args, **params)
        u = d.rng.standard_normal(np.shape(same_ans)).astype(d.dtype)
        total = None
        for ct in vjp_of_reference(prim, u, same_ans, same_args, params, needed, (np.shape(x),) * len(args)):
            total = ct if total is None else total + ct
        for donated in (False, True):
            summed = vjp_same_of(prim, np.array(u), same_ans, x, params, np.shape(x), donated=donated)
            _assert_same_cotangents([summed], [total], [np.shape(x)], rtol, f"{case.id}: x op x")
    for a, original in zip(args, originals):
        np.testing.assert_array_equal(a, original, err_msg=f"{case.id}: a fast form wrote into an argument")


def _check_jvp_inplace(prim, case_id, tangents, ans, args, params, rtol):
    """The in-place JVP form (`declare.Fast`'s jvp_inplace), into each tangent that can receive it (an
    array of ans's shape and dtype, as `forward.Dual._apply_donating` requires), with the other tangent
    moving or zero, gives the reference JVP, in that tangent's memory (or declines)."""
    inplace = prim.rules.fast.jvp_inplace if prim.rules.fast is not None else None
    if inplace is None or type(ans) is not np.ndarray:
        return
    for i, t in enumerate(tangents):
        if t is None or np.shape(t) != ans.shape or t.dtype != ans.dtype:
            continue
        for keep_other in (False, True):
            moving = tuple(u if j == i or keep_other else None for j, u in enumerate(tangents))
            expected = jvp_of_reference(prim, moving, ans, tuple(args), params)
            buffers = tuple(None if u is None else np.array(u) for u in moving)
            got = inplace(buffers, tuple(args), i)
            if got is NotImplemented:
                continue
            what = f"{case_id}: JVP computed in place into tangent {i}"
            _assert_same_cotangents([got], [expected], [ans.shape], rtol, what)
            assert got is buffers[i], f"{what}: not in that tangent's memory"


def _assert_same_cotangents(fast, slow, shapes, rtol, what):
    for i, (a, b) in enumerate(zip(fast, slow)):
        assert (a is None) == (b is None), f"{what}: argument {i}'s cotangent dropped or made up"
        if a is not None:
            assert np.shape(a) == shapes[i] and np.asarray(a).dtype == np.asarray(b).dtype, what
            np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * np.max(np.abs(b), initial=1e-300), err_msg=what)
