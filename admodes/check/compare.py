"""Comparing each source of derivatives with finite differences, and the AD modes with each other:
whole Jacobians, or (``fast=True``) random projections u^T J v, a failing one bisected to an element."""

from __future__ import annotations

import numpy as np

from .differences import _derivative, _jacobian
from .hints import _arbiter, _kink_hint, _transpose_hint
from .indices import _flat, _index
from .options import _MODES_FRACTION
from .report import Comparison

_PROJECTIONS = 3  # fast=True: random projections u^T J v per argument


def _compare(calls, x, f0, sources, rtol, options, rng, order):
    if options.fast:
        return _compare_projections(calls, x, f0, sources, rtol, options, rng, order)
    return _compare_jacobians(calls, x, f0, sources, rtol, options, order)


def _compare_jacobians(calls, x, f0, sources, rtol, options, order):
    numeric, error = _jacobian(calls, x, f0, options.method)
    atol = options.atol_for(rtol, float(np.max(np.abs(numeric))))
    analytic = {s.label: s.jacobian() for s in sources}
    split = len(f0.shape)
    comparisons = []
    for s in sources:
        c = _judge(s.label, "numeric", analytic[s.label], numeric, error, rtol, atol, split, order)
        if not c.passed and order == 1:
            out_index, in_index = c.worst
            k = _flat(in_index, x.shape)
            weights = np.zeros(f0.shape)
            weights[out_index] = 1.0
            c.hint = _transpose_hint(analytic[s.label], numeric, error, rtol, atol, x) or _kink_hint(
                calls, x, k, weights, f0)
        comparisons.append(c)
    comparisons += _modes_with_each_other(sources, analytic, comparisons, numeric, error, rtol, atol, split, order)
    return comparisons


def _modes_with_each_other(sources, analytic, comparisons, numeric, error, rtol, atol, split, order):
    """Two sources that both pass against differences must still agree with each other, far more tightly."""
    if len(sources) < 2 or not all(c.passed for c in comparisons):
        return []
    first = sources[0].label
    zero = np.zeros(np.shape(analytic[first]))
    found = []
    for s in sources[1:]:
        c = _judge(s.label, first, analytic[s.label], analytic[first], zero, _MODES_FRACTION * rtol,
                   _MODES_FRACTION * atol, split, order)
        if not c.passed:
            c.hint = _arbiter(c, numeric, error)
        found.append(c)
    return found


def _judge(source, reference, analytic, expected, estimate, rtol, atol, split, order):
    """Compare elementwise: |analytic - expected| <= atol + rtol |expected| + estimate."""
    analytic, expected = np.asarray(analytic, dtype=float), np.asarray(expected, dtype=float)
    gap = np.abs(analytic - expected)
    gap = np.where(np.isnan(gap), np.inf, gap)
    tolerance = atol + rtol * np.abs(expected) + estimate
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(tolerance > 0, gap / tolerance, np.where(gap > 0, np.inf, 0.0))
        relative = np.where(np.abs(expected) > atol, gap / np.abs(expected), 0.0)
    flat = int(np.argmax(ratio))
    if split is None:
        worst = ("projection", flat)
    else:
        index = _index(flat, analytic.shape)
        worst = (index[:split], index[split:])
    return Comparison(source, reference, float(gap.max()), float(relative.max()), worst,
                      float(analytic.flat[flat]), float(expected.flat[flat]), float(tolerance.flat[flat]),
                      int(np.sum(~(gap <= tolerance))), int(gap.size), float(estimate.flat[flat]), order=order)


def _compare_projections(calls, x, f0, sources, rtol, options, rng, order):
    """u^T J v for a few random u, v: the cost does not grow with the size of x."""
    us, vs, numeric, estimate, atols = [], [], [], [], []
    for _ in range(_PROJECTIONS):
        u = rng.standard_normal(f0.shape)
        v = rng.standard_normal(x.shape).astype(x.dtype)
        d = _derivative(calls, x, v, f0, options.method)
        us.append(u)
        vs.append(v)
        numeric.append(float(np.sum(u * d.value)))
        estimate.append(float(np.sum(np.abs(u) * d.error)))
        atols.append(options.atol_for(rtol, float(np.linalg.norm(u) * np.linalg.norm(d.value))))
    numeric, estimate, atols = np.array(numeric), np.array(estimate), np.array(atols)
    comparisons, analytic = [], {}
    for s in sources:
        analytic[s.label] = np.array([s.project(u, v) for u, v in zip(us, vs)])
        c = _judge(s.label, "numeric", analytic[s.label], numeric, estimate, rtol, atols, None, order)
        if not c.passed:
            k = c.worst[1]
            c.located = _locate(calls, x, f0, s, us[k], vs[k], rtol, options)
            if order == 1:
                c.hint = _kink_hint(calls, x, vs[k], us[k], f0)
        comparisons.append(c)
    comparisons += _modes_with_each_other(sources, analytic, comparisons, numeric, estimate, rtol, atols, None,
                                          order)
    return comparisons


def _locate(calls, x, f0, source, u, v, rtol, options):
    """Bisect a failing projection u^T J v down to one input element, then one output element.

    u^T J v is linear in v: the discrepancy of v's support splits into those of its halves, so
    log2(x.size) directional differences find an element where the discrepancy lives (and log2 of the
    output size projections find the output element). None when no single element stands out.
    """
    method = options.method

    def gap(vs):
        return source.project(u, vs) - float(np.sum(u * _derivative(calls, x, vs, f0, method).value))

    support, total = np.flatnonzero(v), None
    while len(support) > 1:
        half, other = support[: len(support) // 2], support[len(support) // 2:]
        first = gap(_masked(v, half))
        total = gap(v) if total is None else total
        rest = total - first
        support, total = (half, first) if abs(first) >= abs(rest) else (other, rest)
    k = int(support[0])
    column = _derivative(calls, x, k, f0, method)
    e_k = _unit(x.shape, k, x.dtype)

    def output_gap(w):
        return source.project(w, e_k) - float(np.sum(w * column.value))

    outputs = np.arange(f0.size)
    while len(outputs) > 1:
        half, other = outputs[: len(outputs) // 2], outputs[len(outputs) // 2:]
        outputs = half if abs(output_gap(_masked(u, half))) >= abs(output_gap(_masked(u, other))) else other
    m = int(outputs[0])
    analytic, expected = source.project(_unit(f0.shape, m), e_k), float(column.value.flat[m])
    atol = options.atol_for(rtol, float(np.max(np.abs(column.value))))
    if not abs(analytic - expected) > atol + rtol * abs(expected) + float(column.error.flat[m]):
        return None
    return (_index(m, f0.shape), _index(k, x.shape), analytic, expected)


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
