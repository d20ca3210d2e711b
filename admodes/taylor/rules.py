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

from . import rules_arrays, rules_elementwise  # noqa: F401  (importing them fills TABLE)
from .rule_table import TABLE, linear_rule, multilinear_rule, nested_jvp_rule

__all__ = ["TABLE", "LINEAR", "FALLBACK", "EXCLUDED", "rule_for", "linear_rule", "multilinear_rule"]

LINEAR = frozenset({
    # linear in all their differentiable arguments together (`deflinear` declares one argument only)
    "add", "subtract", "concatenate", "stack", "index_add", "index_update", "ravel",
    # piecewise linear: linear where the kinks (ties, zeros, bounds) are not met, as in JAX's jet
    "sort", "absolute", "maximum", "minimum", "clip", "where", "max", "min",
    "mod", "fmod", "copysign", "nan_to_num",  # (admodes/ops/rounding.py: linear between their jumps)
})
"""Linear ops beyond those their declaration calls linear (`deflinear`: reshape, sum, getitem, ...), whose
jet rule is their JVP rule applied to each coefficient too."""

FALLBACK = frozenset({"linalg.eigh", "linalg.eig", "linalg.cofactor", "linalg.det_hessian", "linalg.det_derivative"})
"""Primitives whose coefficients come from nested JVPs of the primitive alone: exact, but 2^K JVP calls
(eigh's series needs the eigenvalue gaps at every degree; cofactor, det_hessian and det_derivative are det's
helpers)."""

EXCLUDED: dict = {}
"""Differentiable primitives with no jet rule at all, with the reason (none today)."""


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
