"""The jet-rule table and the rule makers that the rule modules share: `TABLE`, the `jet_rule` decorator
that fills it, and the rules derived from a declaration (`linear_rule`, `multilinear_rule`,
`nested_jvp_rule`). `admodes.taylor.rules` imports the rule modules, so the table is complete once it is
imported; read rules through its `rule_for`.

    >>> TABLE["multiply"].__name__
    'multilinear_rule'
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from ..ops.core import REGISTRY, jvp_of, op
from . import series as S

__all__ = ["TABLE", "jet_rule", "linear_rule", "multilinear_rule", "nested_jvp_rule"]

TABLE: dict = {}
"""The jet rules written out, by primitive name (until the declarations carry them as ``jet=``)."""

_mul = op("multiply")


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
