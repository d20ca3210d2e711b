"""Helpers for users' own test suites.

    >>> import numpy as np, admodes.numpy as anp
    >>> from admodes.testing import assert_grad_close
    >>> _ = assert_grad_close(lambda x: anp.sum(anp.exp(x)), np.array([0.0, 1.0]))
"""

from __future__ import annotations

from .check import GradcheckError, check_grad

__all__ = ["assert_grad_close"]


def assert_grad_close(f, *args, **kwargs):
    """Assert that the derivatives of ``f`` at ``args`` are right; returns the `GradcheckReport`.

    Takes `check_grad`'s keywords (``order``, ``modes``, ``fast``, ``grad``, ``jac``, ``rtol``, ...).
    A failure is an ``AssertionError`` carrying check_grad's message (argument, element, values, errors,
    the mode at fault), so pytest shows it as a test failure rather than an error. So is a check that
    finite differences cannot decide (`GradcheckUndecided`): it is never a pass.

    >>> import numpy as np
    >>> assert_grad_close(lambda x: np.sum(x ** 2), np.ones(2), grad=lambda x: x)
    Traceback (most recent call last):
    ...
    AssertionError: grad= gives a wrong derivative of `<lambda>` for argument 0 `x` (shape (2,), float64)
    ...
    """
    __tracebackhide__ = True  # pytest shows the caller's line, not ours
    try:
        return check_grad(f, *args, **kwargs)
    except GradcheckError as err:
        failure = AssertionError(str(err))
        failure.report = err.report
        raise failure from None
