"""The op library's machinery in one namespace, for the engines and for users who declare ops.

It lives in four modules, each with one job:

- `admodes.ops.primitive`: `Primitive` (what an op is), the registry, and dispatch (`call_impl` on plain
  values, `lift` to the engine of a traced value);
- `admodes.ops.declare`: the one declaration of an op's rules (`defrules`, and its front-ends `deflinear`,
  `defjoint`, `nondifferentiable`), what the VJP saves (`Meta`), and the optional fast forms (`Fast`);
- `admodes.ops.rules`: applying the rules, `jvp_of` and `vjp_of`, with broadcasting undone (`unbroadcast`);
- `admodes.ops.counting`: `count_ops`, an exact measure of work.

The ops themselves are declared in `elementwise`, `reductions`, `shape`, `indexing`, `joining`, `products`
and `linalg`.

>>> import numpy as np
>>> double = Primitive("double_core_example", lambda x: 2 * x, registered=False)
>>> defrules(double, jvp=lambda t, ans, x: 2 * t, vjp=lambda g, ans, x: 2 * g, saves=())
>>> jvp_of(double, (np.ones(2),), double(np.ones(2)), (np.ones(2),), {})
array([2., 2.])
"""

from .counting import OpCounts, count_ops
from .declare import Fast, Meta, Rules, defbatch, defjoint, deflinear, defrules, nondifferentiable
from .primitive import (
    FUNCTIONS,
    REGISTRY,
    RULE_KINDS,
    Primitive,
    Traced,
    call_impl,
    lift,
    ndim_of,
    new_level,
    op,
    register_function,
    shape_of,
)
from .rules import jvp_of, unbroadcast, vjp_of, vjp_same_of

__all__ = [
    "Primitive", "Traced", "new_level", "REGISTRY", "FUNCTIONS", "RULE_KINDS", "register_function", "op",
    "call_impl", "lift", "shape_of", "ndim_of",
    "defrules", "deflinear", "defjoint", "nondifferentiable", "defbatch", "Rules", "Fast", "Meta",
    "jvp_of", "vjp_of", "vjp_same_of", "unbroadcast",
    "count_ops", "OpCounts",
]
