"""Comparing each source of derivatives with finite differences, and the AD modes with each other:
whole Jacobians, or (``fast=True``) random projections u^T J v, a failing one bisected to an element."""

from __future__ import annotations

import numpy as np

from .differences import difference_derivative, difference_jacobian, require_affordable
from .hints import arbiter, kink_hint, transpose_hint, undecided_reason
from .indices import flat_index, multi_index
from .methods import dtype_eps, step_unit
from .options import MODES_FRACTION
from .report import Comparison

_PROJECTIONS = 3  # fast=True: random projections u^T J v per argument
_EVALUATION_ROUNDING = 4  # two modes' rounding residues may differ by this many eps |f|


def compare_derivatives(calls, x, f0, sources, rtol, options, rng, order):
    if options.fast:
        return _compare_projections(calls, x, f0, sources, rtol, options, rng, order)
    return _compare_jacobians(calls, x, f0, sources, rtol, options, order)


def _compare_jacobians(calls, x, f0, sources, rtol, options, order):
    require_affordable(x, f0, options.method, options.max_evaluations, calls.seconds, "check_grad",
                        instead="check_grad(fast=True) (admodes check --fast)")
    numeric, error = difference_jacobian(calls, x, f0, options.method)
    largest = float(np.max(np.abs(numeric)))
    atol, zero_floor = options.atol_for_differences(), rtol * largest
    analytic = {s.label: s.jacobian() for s in sources}
    split = len(f0.shape)
    comparisons = []
    for s in sources:
        c = _judge(s.label, "numeric", analytic[s.label], numeric, error, rtol, atol, split, order, zero_floor)
        if not c.passed and order == 1:
            out_index, in_index = c.worst
            k = flat_index(in_index, x.shape)
            weights = np.zeros(f0.shape)
            weights[out_index] = 1.0
            c.hint = (c.failed and transpose_hint(analytic[s.label], numeric, error, rtol, atol, x)) or kink_hint(
                calls, x, k, weights, f0)
        if c.undecided and not c.failed:
            out_index, in_index = c.worst
            c.reason = undecided_reason(c, float(np.abs(f0[out_index])), step_unit(x, flat_index(in_index, x.shape)),
                                         dtype_eps(x), atol)
        comparisons.append(c)
    modes_atol = options.atol_between_modes(rtol, largest)
    rounding = _EVALUATION_ROUNDING * dtype_eps(x) * np.abs(f0).reshape(f0.shape + (1,) * x.ndim)
    comparisons += _modes_with_each_other(sources, analytic, comparisons, numeric, error, rtol, modes_atol, split,
                                          order, rounding)
    return comparisons


def _modes_with_each_other(sources, analytic, comparisons, numeric, error, rtol, atol, split, order, rounding):
    """Two sources that are not wrong against differences must still agree with each other, far more tightly
    (this also catches, between two modes, errors that differences too coarse to decide leave undecided).

    ``rounding`` (eps |f|, per element) is added to the tolerance: a zero derivative that is a difference of
    terms of f's size comes out of each mode as a rounding residue, and two residues need not agree. It
    only ever turns a disagreement into agreement where the differences have decided on their own.
    """
    if len(sources) < 2 or any(c.failed for c in comparisons):
        return []
    first = sources[0].label
    zero = np.zeros(np.shape(analytic[first]))
    found = []
    for s in sources[1:]:
        c = _judge(s.label, first, analytic[s.label], analytic[first], zero, MODES_FRACTION * rtol,
                   MODES_FRACTION * atol + rounding, split, order)
        if not c.passed:
            c.hint = arbiter(c, numeric, error)
        found.append(c)
    return found


def _judge(source, reference, analytic, expected, estimate, rtol, atol, split, order, zero_floor=None):
    """Compare elementwise, each element with its own tolerance ``atol + rtol |expected|``.

    An element is wrong when ``|analytic - expected| > atol + rtol |expected| + estimate``: no derivative
    within the finite differences' error estimate of theirs is within tolerance of ``analytic``. It is
    undecided when it is not wrong but ``estimate > atol + rtol |expected|``: differences that coarse
    would not see an error of the tolerance's size, so "ok" would be a guess. An exact zero on both sides
    (f's output did not move at any step, and the source says 0) counts as decided when the estimate is
    within ``zero_floor`` (rtol times the largest derivative of the argument): a structural zero.
    """
    analytic, expected = np.asarray(analytic, dtype=float), np.asarray(expected, dtype=float)
    gap = np.abs(analytic - expected)
    gap = np.where(np.isnan(gap), np.inf, gap)
    allowed = atol + rtol * np.abs(expected)
    tolerance = allowed + estimate
    wrong = ~(gap <= tolerance)
    undecided = ~wrong & (estimate > allowed)
    if zero_floor is not None:
        undecided &= ~((analytic == 0) & (expected == 0) & (estimate <= zero_floor))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(tolerance > 0, gap / tolerance, np.where(gap > 0, np.inf, 0.0))
        # Relative errors of elements whose size the differences resolve (not of rounding-level zeros).
        relative = np.where(np.abs(expected) > atol + estimate, gap / np.abs(expected), 0.0)
        # (an undecided zero ranks below every undecided non-zero: the latter says more about f)
        coarseness = np.where(undecided, np.where(allowed > 0, estimate / allowed, 1.0), -1.0)
    # The element shown: the worst wrong one; else the most undecided; else the nearest to its tolerance.
    flat = int(np.argmax(ratio)) if wrong.any() or not undecided.any() else int(np.argmax(coarseness))
    if split is None:
        worst = ("projection", flat)
    else:
        index = multi_index(flat, analytic.shape)
        worst = (index[:split], index[split:])
    return Comparison(source, reference, float(gap.max()), float(relative.max()),
                      worst, float(analytic.flat[flat]), float(expected.flat[flat]), float(tolerance.flat[flat]),
                      int(np.sum(wrong)), int(gap.size), float(estimate.flat[flat]), order=order,
                      undecided=int(np.sum(undecided)))


def _compare_projections(calls, x, f0, sources, rtol, options, rng, order):
    """u^T J v for a few random u, v: the cost does not grow with the size of x."""
    us, vs, numeric, estimate, atols = [], [], [], [], []
    for _ in range(_PROJECTIONS):
        u = rng.standard_normal(f0.shape)
        v = rng.standard_normal(x.shape).astype(x.dtype)
        d = difference_derivative(calls, x, v, f0, options.method)
        us.append(u)
        vs.append(v)
        numeric.append(float(np.sum(u * d.value)))
        estimate.append(float(np.sum(np.abs(u) * d.error)))
        # A projection sums many terms, which may cancel: its floor is a fraction of the terms' size.
        atols.append(options.atol_between_modes(rtol, float(np.linalg.norm(u) * np.linalg.norm(d.value))))
    numeric, estimate, atols = np.array(numeric), np.array(estimate), np.array(atols)
    comparisons, analytic = [], {}
    for s in sources:
        analytic[s.label] = np.array([s.project(u, v) for u, v in zip(us, vs)])
        c = _judge(s.label, "numeric", analytic[s.label], numeric, estimate, rtol, atols, None, order)
        if c.failed:
            k = c.worst[1]
            c.located = _locate(calls, x, f0, s, us[k], vs[k], rtol, options)
        if not c.passed and order == 1:
            k = c.worst[1]
            c.hint = kink_hint(calls, x, vs[k], us[k], f0)
        if c.undecided and not c.failed:
            c.reason = undecided_reason(c, float(np.sum(np.abs(us[c.worst[1]] * f0))), step_unit(x, vs[c.worst[1]]),
                                         dtype_eps(x), atols[c.worst[1]])
        comparisons.append(c)
    rounding = np.array([_EVALUATION_ROUNDING * dtype_eps(x) * float(np.sum(np.abs(u * f0))) * float(np.max(np.abs(v)))
                         for u, v in zip(us, vs)])
    comparisons += _modes_with_each_other(sources, analytic, comparisons, numeric, estimate, rtol, atols, None,
                                          order, rounding)
    return comparisons


def _locate(calls, x, f0, source, u, v, rtol, options):
    """Bisect a failing projection u^T J v down to one input element, then one output element.

    u^T J v is linear in v: the discrepancy of v's support splits into those of its halves, so
    log2(x.size) directional differences find an element where the discrepancy lives (and log2 of the
    output size projections find the output element). None when no single element stands out.
    """
    method = options.method

    def gap(vs):
        return source.project(u, vs) - float(np.sum(u * difference_derivative(calls, x, vs, f0, method).value))

    support, total = np.flatnonzero(v), None
    while len(support) > 1:
        half, other = support[: len(support) // 2], support[len(support) // 2:]
        first = gap(_masked(v, half))
        total = gap(v) if total is None else total
        rest = total - first
        support, total = (half, first) if abs(first) >= abs(rest) else (other, rest)
    k = int(support[0])
    column = difference_derivative(calls, x, k, f0, method)
    e_k = _unit(x.shape, k, x.dtype)

    def output_gap(w):
        return source.project(w, e_k) - float(np.sum(w * column.value))

    outputs = np.arange(f0.size)
    while len(outputs) > 1:
        half, other = outputs[: len(outputs) // 2], outputs[len(outputs) // 2:]
        outputs = half if abs(output_gap(_masked(u, half))) >= abs(output_gap(_masked(u, other))) else other
    m = int(outputs[0])
    analytic, expected = source.project(_unit(f0.shape, m), e_k), float(column.value.flat[m])
    atol = options.atol_for_differences()
    if not abs(analytic - expected) > atol + rtol * abs(expected) + float(column.error.flat[m]):
        return None
    return (multi_index(m, f0.shape), multi_index(k, x.shape), analytic, expected)


def _masked(vector, indices):
    """``vector`` with every element but those at the flat ``indices`` set to zero."""
    part = np.zeros_like(vector)
    part.flat[indices] = vector.flat[indices]
    return part


def _unit(shape, k, dtype=float):
    """The unit array of ``shape`` with a one at flat index ``k``."""
    e = np.zeros(shape, dtype)
    e.flat[k] = 1.0
    return e
