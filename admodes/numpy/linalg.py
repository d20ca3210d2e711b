"""``admodes.numpy.linalg``: NumPy's linear algebra, differentiable (inv, solve, det, slogdet, norm, ...).

    >>> import numpy as np, admodes as ad, admodes.numpy as anp
    >>> ad.grad(lambda a: anp.linalg.det(a))(np.eye(2))   # d det / dA = det(A) A^-T
    array([[1., 0.],
           [0., 1.]])
"""

from numpy.linalg import LinAlgError  # noqa: F401

from ..ops.core import FUNCTIONS as _FUNCTIONS

globals().update({name.split(".", 1)[1]: fn for name, fn in _FUNCTIONS.items() if name.startswith("linalg.")})


def __getattr__(name):
    raise AttributeError(f"admodes.numpy.linalg has no function {name!r}: admodes differentiates only the "
                         "functions of its op library (see admodes.ops)")
