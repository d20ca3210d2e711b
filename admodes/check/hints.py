"""Hints on a failed comparison: a transposed matrix gradient, a kink where ``f`` is not differentiable,
and which of two disagreeing AD modes finite differences side with."""

from __future__ import annotations

import numpy as np

from .indices import flat_index
from .methods import dtype_eps, moved_point, step_unit
from .richardson import FIRST_STEP

_AMPLIFICATION = 16  # how much a Richardson table's error estimate may exceed the rounding of one quotient


def transpose_hint(analytic, numeric, error, rtol, atol, x):
    """A hint when a matrix argument's derivative is the transpose of the right one."""
    if x.ndim != 2 or x.shape[0] != x.shape[1]:
        return ""
    flipped = np.swapaxes(numeric, -1, -2)
    if np.all(np.abs(analytic - flipped) <= atol + rtol * np.abs(flipped) + np.swapaxes(error, -1, -2)):
        return "the derivative equals the transpose of the finite differences: is a matrix gradient transposed?"
    return ""


def kink_hint(calls, x, direction, weights, f0):
    """A hint when one-sided differences disagree and keep disagreeing as the step shrinks: a kink."""
    eps = dtype_eps(x)
    base = np.cbrt(eps) * step_unit(x, direction)
    phi0 = float(np.sum(weights * f0))
    jumps = []
    for h in (base, base / 16):
        xp, hp = moved_point(x, direction, h)
        xm, hm = moved_point(x, direction, -h)
        right = (float(np.sum(weights * calls(xp, "for the one-sided differences"))) - phi0) / hp
        left = (phi0 - float(np.sum(weights * calls(xm, "for the one-sided differences")))) / -hm
        jumps.append((abs(right - left), left, right))
    (far, _, _), (near, left, right) = jumps
    if not np.isfinite(near) or near <= 1e-3 * max(abs(left), abs(right), 1e-300) or near < far / 4:
        return ""
    return (f"one-sided differences disagree (left {left:.6g}, right {right:.6g}) and keep disagreeing as the "
            "step shrinks: f may not be differentiable at this point (abs, maximum, clip or relu at a kink?); "
            "check at another point")


def arbiter(c, numeric, error):
    """Say which of two disagreeing modes finite differences side with, when they are precise enough to."""
    flat = c.worst[1] if c.worst[0] == "projection" else flat_index(c.worst[0] + c.worst[1], np.shape(numeric))
    value, estimate = float(np.ravel(numeric)[flat]), float(np.ravel(error)[flat])
    near_source, near_reference = abs(c.analytic - value), abs(c.expected - value)
    if estimate > abs(c.analytic - c.expected) / 4:
        return ""
    right, wrong = (c.reference, c.source) if near_reference < near_source else (c.source, c.reference)
    return (f"finite differences ({value:.12g}, error estimate {estimate:.1e}) side with {right}: "
            f"{wrong} is the likely culprit")


def undecided_reason(c, size, scale, eps, atol):
    """Why finite differences could not decide an element: f's rounding, a zero, or no convergence.

    ``size`` is |f| at the element's output (a projection: sum |u f|), ``scale`` the first step's unit
    max(1, |x_k|): rounding f alone costs at least eps |f| / (scale / 8) in a difference quotient.
    """
    allowed = c.tolerance - c.estimate
    rounding = eps * size / (scale * FIRST_STEP)  # at richardson's largest step: the least it costs
    if c.expected == 0 or abs(c.expected) <= c.estimate:
        return (f"the derivative here is within the differences' error ({c.estimate:.1e}) of zero"
                + ("; atol= says how small a derivative may be taken as zero" if atol == 0 else ""))
    if rounding > allowed / _AMPLIFICATION:
        return (f"f's value here ({size:.3g}) is large next to this derivative's share of its changes: rounding f "
                f"alone costs at least {rounding:.1e} in a difference quotient, which extrapolation amplifies, "
                f"against a tolerance of {allowed:.1e} (a large constant offset, or large terms that do not "
                "depend on this input? check f without them, or give a larger rtol=)")
    return ("the differences do not settle as the step shrinks: f may be noisy or not smooth here (check at "
            "another point, or give a larger rtol=)")
