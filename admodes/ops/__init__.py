"""The op library: every primitive declared once, with its NumPy impl and all its rules in one call.

Importing this package registers all primitives (`primitive.REGISTRY`) and the functions composed of
them (`primitive.FUNCTIONS`). The machinery: `primitive` (the class, the registry, dispatch), `declare`
(the declaration), `rules` (applying rules), `counting`; `core` gathers their public names. The ops:
`elementwise`, `rounding`, `reductions`, `shape`, `indexing`, `joining`, `products`, `linalg`;
NumPy's functions composed of them: `layout` (rearranging), `statistics`,
`linalg_functions`, `decompositions` (svd, qr, pinv), `sequences`, and `creation` (arrays built from traced values).
"""

from . import (  # noqa: F401  (registers)
    complex,
    core,
    creation,
    decompositions,
    eig,
    elementwise,
    fft,
    indexing,
    joining,
    layout,
    linalg,
    linalg_functions,
    products,
    reductions,
    rounding,
    sequences,
    shape,
    statistics,
)
from .core import FUNCTIONS, REGISTRY, Primitive, count_ops, defjoint, defrules, jvp_of, vjp_of  # noqa: F401
