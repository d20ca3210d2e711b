"""`check_grad`: each argument's derivatives, from every source, against finite differences; at
order 2, every mode over every mode against differences of a gradient."""

from __future__ import annotations

import numpy as np

from .arguments import plan_arguments, vary_one_argument
from .compare import compare_derivatives
from .differences import MAX_EVALUATIONS
from .evaluations import Calls
from .message import failure_message, undecided_message
from .options import Options
from .report import GradcheckError, GradcheckReport, GradcheckUndecided
from .sources import derivative_sources, mode_source


def check_grad(f, *args, order=1, modes=None, method="richardson", rtol=None, atol=None, fast=False,
               argnums=None, grad=None, jac=None, seed=0, max_evaluations=MAX_EVALUATIONS):
    """Check the derivatives of ``f`` at ``args`` against finite differences; return a `GradcheckReport`.

    Each float argument (or those in ``argnums``) is checked in turn, the others held constant
    (integers always are). ``modes`` are the AD modes checked (default both, or none when ``grad=``
    or ``jac=`` gives a hand-written gradient or Jacobian, called like ``f``). ``order=2`` also checks
    Hessian-vector products (every mode over every mode) against differences of gradients.
    ``fast=True`` compares random projections u^T J v instead of whole Jacobians: a constant number
    of evaluations however large the input (whole Jacobians over ``max_evaluations`` evaluations of f
    are refused up front, as in `numeric_jacobian`). Default tolerances suit the dtype (rtol 1e-6 for float64,
    1e-3 for float32; atol 0). Each element has its own tolerance ``atol + rtol |numeric|``: it is wrong
    when ``|analytic - numeric|`` exceeds that plus the finite differences' error estimate, and
    undecided when that estimate alone exceeds the tolerance (differences too coarse to see an error of
    the tolerance's size: f huge next to its changes, noisy, or a tiny derivative). Raises
    `GradcheckError` when a derivative is wrong, else `GradcheckUndecided` (a subclass) when one is
    undecided: never a pass. (An exact zero on both sides is decided when the estimate is within rtol
    times the argument's largest derivative.)

    >>> import admodes.numpy as anp
    >>> check_grad(lambda x: anp.sum(anp.sin(x) * x), np.array([0.5, 1.0])).passed
    True
    >>> check_grad(lambda x: np.sum(x ** 3), np.array([1.0, 2.0]), grad=lambda x: 3 * x)
    Traceback (most recent call last):
    ...
    admodes.check.GradcheckError: grad= gives a wrong derivative of `<lambda>` for argument 0 `x` ...
    """
    options = Options.make(order, modes, method, rtol, atol, fast, grad, jac, seed, max_evaluations)
    name = getattr(f, "__name__", type(f).__name__)
    if not callable(f):
        raise TypeError(f"check_grad: f must be callable, got {type(f).__name__}")
    plan = plan_arguments(f, args, argnums)
    checked = [p for p in plan if not p.constant]
    report = GradcheckReport(name, order, options.method, fast, options.sources(), [])
    rng = np.random.default_rng(seed)
    for item in plan:
        if item.constant or report.wrong:  # after a wrong derivative, later arguments are listed, not checked
            report.arguments.append(item.report())
        else:
            report.arguments.append(_check_argument(f, plan, item, len(checked), options, rng))
    if report.wrong:
        raise GradcheckError(failure_message(report, options), report)
    if not report.passed:
        raise GradcheckUndecided(undecided_message(report, options), report)
    return report


def _check_argument(f, plan, item, n_checked, options, rng):
    g = vary_one_argument(f, plan, item.index)
    x = item.value
    calls = Calls(g, widen=True)  # (a float32 point is differenced in float64 when f takes it)
    f0 = calls.at_point(x)
    report = item.report()
    sources = derivative_sources(g, options, plan, item, n_checked, f0.shape)
    rtol = report.rtol = options.rtol_for(_lowest_precision(x.dtype, f0.dtype))
    report.comparisons = compare_derivatives(calls, x, f0, sources, rtol, options, rng, order=1)
    report.evaluations, report.sweeps = calls.count, sum(s.calls for s in sources)
    if options.order == 2 and not report.wrong:
        comparisons, evaluations, sweeps = _second_order(g, x, f0, rtol, options, rng)
        report.comparisons += comparisons
        report.evaluations += evaluations
        report.sweeps += sweeps
    return report


def _lowest_precision(*dtypes):
    return max((np.dtype(d) for d in dtypes), key=lambda d: np.finfo(d).eps)


def _second_order(g, x, f0, rtol, options, rng):
    """Every mode over every mode (``forward-over-reverse`` is jvp of a reverse-mode gradient) against
    finite differences of a gradient; a non-scalar f is first reduced to u . f with a random u."""
    from ..transforms import grad

    u = rng.standard_normal(f0.shape) if f0.size > 1 else np.ones(f0.shape)
    scalar = lambda y: np.sum(g(y) * u)
    gradient_of = {mode: (lambda y, mode=mode: grad(scalar, mode=mode)(y)) for mode in options.modes}
    reference = "reverse" if "reverse" in options.modes else options.modes[0]
    calls = Calls(gradient_of[reference], widen=True)
    g0 = calls.at_point(x)
    sources = [mode_source(outer, f"{outer}-over-{inner}", gradient_of[inner], x, x.shape)
               for outer in options.modes for inner in options.modes]
    comparisons = compare_derivatives(calls, x, g0, sources, rtol, options, rng, order=2)
    return comparisons, calls.count, sum(s.calls for s in sources)
