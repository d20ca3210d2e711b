"""Finite differences, and a gradient checker that compares them with both AD modes.

>>> import numpy as np
>>> from admodes.check import check_grad, numeric_grad
>>> numeric_grad(lambda x: np.sum(x ** 2), np.array([1.0, 2.0])).round(8)
array([2., 4.])
>>> check_grad(lambda x: np.sum(x ** 2), np.array([1.0, 2.0]), grad=lambda x: 2 * x).passed
True

The modules, one job each. Finite differences: `differences` (numeric_jacobian, numeric_grad,
numeric_jvp and the four methods, described there), `methods` (the one-step methods and `Differences`),
`richardson`, `evaluations` (calling f: the point and every output checked). The checker: `checker`
(check_grad), `options` (what was asked, the default tolerances), `arguments` (which arguments are
differentiated), `sources` (the AD modes, grad= and jac=), `compare` (against finite differences and
each other), `hints`, `report` (GradcheckReport, GradcheckError, GradcheckUndecided) and `message` (the error's text).
`indices` converts element positions.
"""

import numpy as np  # noqa: F401  (the public classes' examples run in this namespace: see the end)

from .checker import check_grad
from .differences import METHODS, numeric_grad, numeric_jacobian, numeric_jvp
from .methods import Differences
from .report import ArgumentReport, Comparison, GradcheckError, GradcheckReport, GradcheckUndecided

__all__ = ["METHODS", "numeric_grad", "numeric_jacobian", "numeric_jvp", "Differences",
           "check_grad", "GradcheckError", "GradcheckUndecided", "GradcheckReport", "ArgumentReport", "Comparison"]

# The public classes say they live here, where they are imported from, as when this package was one
# module: a failure reads `admodes.check.GradcheckError: ...`, and reprs and pickles name the same path,
# however the modules inside are arranged. (So doctest finds the classes' examples here, and runs them
# in this namespace, where the public names and np are at hand.)
for _name in __all__:
    if isinstance(globals()[_name], type):
        globals()[_name].__module__ = __name__
del _name
