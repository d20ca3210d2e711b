"""Which Taylor-mode (jet) rule each primitive has: read from its declaration, or derived from it.

A rule is ``rule(primals, series, ans, **params) -> [z_1, ..., z_K]``: ``primals`` are the arguments,
``series[i]`` the normalized coefficients ``[x_1, ..., x_K]`` of argument i (x(t) = sum x_k t^k) or None
for a constant, ``ans`` the primitive's output, and the result the output's coefficients 1..K (None: zero).
A rule may return ``NotImplemented`` to decline at this point (det at a singular matrix); the engine then
runs the exact fallback below (`nested_jvp_rule`).

Every primitive's declaration (`admodes.ops`) is the one place its rule is said, as ``jet=``:

- a function: the recurrences of `admodes.ops.series` (exp, sin, power, var, inv, solve, cholesky, ...);
- ``"linear"``: linear in all its differentiable arguments together, or piecewise linear away from its kinks
  (add, concatenate, abs, maximum, sort, where, as in JAX's jet): its JVP applied to each coefficient;
- ``"multilinear"``: linear in each argument (multiply, matmul, einsum): the Cauchy product;
- ``"nested_jvp"``: K nested JVPs of the primitive alone along the curve x(t): exact, but O(2^K) JVP calls
  (eigh, whose series needs the eigenvalue gaps at every degree; det's helpers).

Derived from the declaration without a ``jet=``: a `deflinear` op (reshape, sum, getitem, ...) gets the
linear rule, a `nondifferentiable` one zero coefficients (the engine sees ``zero_derivative``), and any
other primitive (a new op declared without ``jet=``, a user's `Primitive`) the exact nested-JVP fallback.
`rule_kind` says which of these a primitive gets (a test asserts that no op of the library is left to the
fallback unawares).

    >>> from admodes.ops.core import REGISTRY
    >>> rule_kind(REGISTRY["exp"]), rule_kind(REGISTRY["reshape"]), rule_kind(REGISTRY["matmul"])
    ('declared', 'linear', 'multilinear')
"""

from __future__ import annotations

import math

import numpy as np

from ..mapped import declared_kind
from ..ops.core import op
from ..ops.series import linear_rule, multilinear_rule, order, plain, scale, total

__all__ = ["rule_for", "rule_kind", "nested_jvp_rule", "KINDS"]

KINDS = ("linear", "multilinear", "nested_jvp")
"""The jet rules a declaration may name by kind (``jet="linear"``) instead of giving a function."""


def rule_kind(prim):
    """Where `prim`'s jet rule comes from: "declared" (a function in its declaration), one of `KINDS`
    (declared by name, or "linear" derived from `deflinear`), "zero" (piecewise constant) or "fallback"
    (nothing declared: nested JVPs).

    >>> from admodes.ops.core import REGISTRY
    >>> rule_kind(REGISTRY["sign"]), rule_kind(REGISTRY["linalg.eigh"])
    ('zero', 'nested_jvp')
    """
    found = declared_kind(prim, "jet", KINDS, "admodes.jet")
    if found is not None:
        return found
    if prim.zero_derivative:
        return "zero"
    if prim.rules is not None and prim.rules.linear:
        return "linear"
    return "fallback"


def rule_for(prim):
    """The jet rule of `prim` (see the module docstring for where it comes from).

    >>> from admodes.ops.core import REGISTRY
    >>> rule_for(REGISTRY["reshape"]).__name__
    'linear_rule'
    """
    if prim.rules is None:
        raise NotImplementedError(f"admodes.jet: the primitive {prim.name!r} has no derivative rules")
    kind = rule_kind(prim)
    if kind == "declared":
        return prim.rule("jet")
    if kind == "linear":
        return linear_rule(prim)
    if kind == "multilinear":
        return multilinear_rule(prim)
    return nested_jvp_rule(prim)  # "nested_jvp", "fallback" ("zero": never called, the engine skips it)


def nested_jvp_rule(prim):
    """The jet rule of any primitive by K nested JVPs of ``prim(x(t))`` at t = 0 (exact; O(2^K) JVP calls).

    >>> import numpy as np
    >>> from admodes.ops.core import REGISTRY
    >>> [float(c) for c in nested_jvp_rule(REGISTRY["exp"])((np.array(0.0),), ([np.array(1.0), None],),
    ...                                                    np.array(1.0))]
    [1.0, 0.5]
    """
    def nested_jvp_rule(primals, series, ans, **params):
        from ..transforms import jvp  # the public forward transform
        K = order(series)
        t0 = np.zeros((), np.result_type(plain(ans)))
        multiply = op("multiply")

        def along(t):
            args = [p if s is None else total([p, *(multiply(c, t ** j) for j, c in enumerate(s, 1) if c is not None)])
                    for p, s in zip(primals, series)]
            return prim(*args, **params)
        out, derivative = [], along
        for k in range(1, K + 1):
            derivative = _derivative_of(jvp, derivative)
            out.append(scale(derivative(t0), 1.0 / math.factorial(k)))
        return out
    return nested_jvp_rule


def _derivative_of(jvp, g):
    return lambda t: jvp(g, (t,), (np.ones((), t.dtype),))[1]
