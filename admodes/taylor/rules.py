"""Taylor-mode (jet) rules, by primitive name: how each primitive maps its inputs' Taylor coefficients to
its output's.

A rule is ``rule(primals, series, ans, **params) -> [z_1, ..., z_K]``: ``primals`` are the arguments,
``series[i]`` the normalized coefficients ``[x_1, ..., x_K]`` of argument i (x(t) = sum x_k t^k) or None
for a constant, ``ans`` the primitive's output, and the result the output's coefficients 1..K (None: zero).
Most rules come from what the op's declaration already says:

- a linear op (declared with `deflinear`: reshape, sum, getitem, ...; or in `LINEAR`: add, concatenate, ...)
  and a piecewise-linear one away from its kinks (abs, maximum, sort, max, where): its JVP rule applied to
  each coefficient (`linear_rule`);
- a multilinear op (multiply, matmul, dot, tensordot, einsum): the Cauchy product (`multilinear_rule`);
- a piecewise-constant op (sign, comparisons): zero coefficients (the engine sees ``zero_derivative``);
- the elementwise functions, var, std, logsumexp, softmax, norm, the cumulative and plain products, and
  inv, solve, slogdet, det, cholesky: the recurrences of `series` (rules_elementwise, rules_arrays).

Three primitives (`FALLBACK`: eigh and det's two helpers) get their coefficients by K nested JVPs of the
primitive alone along the curve x(t): exact, but O(2^K). A primitive with no rule raises naming itself
(`rule_for`).

    >>> from admodes.ops.core import REGISTRY
    >>> rule_for(REGISTRY["exp"]) is TABLE["exp"]
    True
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from ..ops.core import REGISTRY, jvp_of, op
from . import series as S

__all__ = ["TABLE", "LINEAR", "FALLBACK", "EXCLUDED", "rule_for", "linear_rule", "multilinear_rule"]

TABLE: dict = {}
"""The jet rules written out, by primitive name (until the declarations carry them as ``jet=``)."""

LINEAR = frozenset({
    # linear in all their differentiable arguments together (`deflinear` declares one argument only)
    "add", "subtract", "concatenate", "stack", "index_add", "index_update", "ravel",
    # piecewise linear: linear where the kinks (ties, zeros, bounds) are not met, as in JAX's jet
    "sort", "absolute", "maximum", "minimum", "clip", "where", "max", "min",
})
"""Linear ops beyond those their declaration calls linear (`deflinear`: reshape, sum, getitem, ...), whose
jet rule is their JVP rule applied to each coefficient too."""

FALLBACK = frozenset({"linalg.eigh", "linalg.cofactor", "linalg.det_hessian"})
"""Primitives whose coefficients come from nested JVPs of the primitive alone: exact, but 2^K JVP calls
(eigh's series needs the eigenvalue gaps at every degree; cofactor and det_hessian are det's helpers)."""

EXCLUDED: dict = {}
"""Differentiable primitives with no jet rule at all, with the reason (none today)."""

_mul, _add, _sub, _div = op("multiply"), op("add"), op("subtract"), op("divide")


def rule_for(prim):
    """The jet rule of `prim`: its declaration's ``jet=`` rule when the op library has one, else this table's,
    else the derived one; a primitive without any raises naming itself.

    >>> from admodes.ops.core import REGISTRY
    >>> rule_for(REGISTRY["reshape"]).__name__
    'linear_rule'
    """
    declared = getattr(prim, "rule", None)
    if declared is not None:
        found = declared("jet")
        if found is not None:
            return found
    name = prim.name
    if name in TABLE:
        return TABLE[name]
    if name in LINEAR or (prim.rules is not None and prim.rules.linear):
        return linear_rule(prim)
    if name in FALLBACK:
        return nested_jvp_rule(prim)
    raise NotImplementedError(
        f"admodes.jet: the primitive {name!r} has no Taylor-mode (jet) rule"
        + (f" ({EXCLUDED[name]})" if name in EXCLUDED else "") + "; differentiate it with nested jvp instead")


def _order(series):
    return next(len(s) for s in series if s is not None)


def _full(primals, series, K):
    """Each argument's series with degree 0 in front: ``[x0, x1, ..., xK]`` (None for absent degrees)."""
    return [[p, *(s if s is not None else [None] * K)] for p, s in zip(primals, series)]


def linear_rule(prim):
    """The jet rule of a (piecewise) linear op: its JVP rule applied to each degree's coefficients."""
    def linear_rule(primals, series, ans, **params):
        K = _order(series)
        return [jvp_of(prim, [None if s is None else s[k] for s in series], ans, primals, params) for k in range(K)]
    linear_rule.__name__ = "linear_rule"
    return linear_rule


def multilinear_rule(prim):
    """The jet rule of an op linear in each argument (multiply, matmul, einsum): the Cauchy product, degree k
    the sum over j_1 + ... + j_n = k of op(x1_{j_1}, ..., xn_{j_n})."""
    def multilinear_rule(primals, series, ans, **params):
        K = _order(series)
        full = _full(primals, series, K)
        moving = [i for i, s in enumerate(series) if s is not None]
        out = []
        for k in range(1, K + 1):
            terms = []
            for degrees in _compositions(k, len(moving)):
                args = list(primals)
                for i, j in zip(moving, degrees):
                    args[i] = full[i][j]
                if all(a is not None for a in args):
                    terms.append(prim(*args, **params))
            out.append(S.total(terms))
        return out
    return multilinear_rule


def _compositions(k, n):
    """Every n-tuple of degrees >= 0 summing to k."""
    if n == 1:
        return [(k,)]
    return [c for c in itertools.product(range(k + 1), repeat=n) if sum(c) == k]


def nested_jvp_rule(prim):
    """The jet rule of any primitive by K nested JVPs of ``prim(x(t))`` at t = 0 (exact; O(2^K) JVP calls)."""
    def nested_jvp_rule(primals, series, ans, **params):
        from ..transforms import jvp  # the public forward transform
        K = _order(series)
        t0 = np.zeros((), np.result_type(_plain(ans)))

        def along(t):
            args = [p if s is None else S.total([p, *(_mul(c, t ** j) for j, c in enumerate(s, 1) if c is not None)])
                    for p, s in zip(primals, series)]
            return prim(*args, **params)
        out, derivative = [], along
        for k in range(1, K + 1):
            derivative = _derivative_of(jvp, derivative)
            out.append(S.scale(derivative(t0), 1.0 / math.factorial(k)))
        return out
    return nested_jvp_rule


def _derivative_of(jvp, g):
    return lambda t: jvp(g, (t,), (np.ones((), t.dtype),))[1]


def _plain(x):
    from ..arraylike import value
    return value(x)


def jet_rule(*names):
    """Register the decorated function as the jet rule of the primitives ``names`` (in `TABLE`)."""
    def register(fn):
        for name in names:
            if name not in REGISTRY:
                raise ValueError(f"jet_rule: no primitive named {name!r}")
            TABLE[name] = fn
        return fn
    return register


for _name in ("multiply", "matmul", "tensordot", "dot", "inner", "outer", "einsum"):
    TABLE[_name] = multilinear_rule(REGISTRY[_name])


from . import rules_arrays, rules_elementwise  # noqa: E402,F401  (they fill TABLE)
