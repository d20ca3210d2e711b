"""The op library: every primitive defined once, with its NumPy impl, its JVP rule and its VJP rule.

Importing this package registers all primitives (`core.REGISTRY`) and the functions composed of them
(`core.FUNCTIONS`).
"""

from . import core, elementwise, linalg, reductions, shape  # noqa: F401  (importing registers the ops)
from .core import FUNCTIONS, REGISTRY, Primitive, count_ops, defjoint, defrules, jvp_of, vjp_of  # noqa: F401
