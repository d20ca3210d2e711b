"""``import admodes.numpy as anp``: NumPy's functions, differentiable in every mode.

The differentiable functions come from the op library's registry under NumPy's names (`anp.sin`,
`anp.sum`, `anp.linalg.inv`, ...); NumPy's non-differentiable parts (dtypes, constants, array
creation) are re-exported unchanged.

    >>> import numpy as np, admodes as ad, admodes.numpy as anp
    >>> ad.grad(lambda x: anp.sum(anp.sin(x)))(np.zeros(2))
    array([1., 1.])
"""

import numpy as _np

from ..ops.core import FUNCTIONS as _FUNCTIONS
from . import fft, linalg  # noqa: F401

# NumPy's non-differentiable parts, unchanged: dtypes, constants, array creation, index helpers.
PASSED_THROUGH = (
    "arange array asarray bool_ diag_indices dtype e empty euler_gamma eye finfo float16 float32 float64 full "
    "identity iinfo inf int8 int16 int32 int64 linspace logspace meshgrid nan ndarray newaxis ones pi random "
    "tril_indices triu_indices uint8 zeros argmax argmin argsort isfinite isinf isnan ones_like shape size zeros_like"
).split()
globals().update({name: getattr(_np, name) for name in PASSED_THROUGH})
globals().update({name: fn for name, fn in _FUNCTIONS.items() if "." not in name})


def __getattr__(name):
    raise AttributeError(f"admodes.numpy has no function {name!r}: admodes differentiates only the functions "
                         "of its op library (see admodes.ops). Define a new one with admodes.Function.")
