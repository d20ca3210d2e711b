"""The op library: every primitive declared once, with its NumPy impl and all its rules in one call.

Importing this package registers all primitives (`primitive.REGISTRY`) and the functions composed of
them (`primitive.FUNCTIONS`). The machinery: `primitive` (the class, the registry, dispatch), `declare`
(the declaration), `rules` (applying rules), `counting`; `core` gathers their public names. The ops:
`elementwise`, `reductions`, `shape`, `indexing`, `joining`, `products`, `linalg`.
"""

from . import core, elementwise, indexing, joining, linalg, products, reductions, shape  # noqa: F401  (registers)
from .core import FUNCTIONS, REGISTRY, Primitive, count_ops, defjoint, defrules, jvp_of, vjp_of  # noqa: F401
