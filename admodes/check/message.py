"""The messages of `GradcheckError`, which reads like a compiler error (what is wrong, where, the
numbers, which source is to blame, hints, and the tolerance used), and of `GradcheckUndecided` (where
finite differences are too coarse to decide, and why)."""

from __future__ import annotations

import numpy as np

from .options import ATOL_FRACTION, MODES_FRACTION
from .report import readable_element

_SUSPECT = {
    "forward mode": "the forward-mode rules (a jvp) are the suspect",
    "reverse mode": "the reverse-mode rules (a backward / vjp) are the suspect",
    "grad=": "the hand-written gradient is wrong",
    "jac=": "the hand-written Jacobian is wrong",
}


def failure_message(report, options):
    argument, c = _first_failure(report)
    what = "wrong second derivatives" if c.order == 2 else "a wrong derivative"
    subject = c.source if c.reference == "numeric" else f"{c.source} and {c.reference}"
    verb = "gives" if c.reference == "numeric" else "disagree:"
    head = (f"{subject} {verb} {what} of `{report.function}` for {argument.label} "
            f"(shape {argument.shape}, {argument.dtype})")
    lines = [head, f"  --> {readable_element(c.worst, argument.name, c.order)}"]
    reference = (f"finite diff. ({report.method}, error estimate {c.estimate:.1e})" if c.reference == "numeric"
                 else c.reference)
    reference, parenthesis, detail = reference.partition(" (")
    width = max(len(c.source), len(reference)) + 2
    lines.append(f"      {c.source:<{width}}{c.analytic: .12g}")
    lines.append(f"      {reference:<{width}}{c.expected: .12g}" + (f"   ({detail}" if parenthesis else ""))
    gap = abs(c.analytic - c.expected)
    rel = f"{gap / abs(c.expected):.3g}" if c.expected else "inf"
    lines.append(f"      abs error {gap:.3g}, rel error {rel}, tolerance {c.tolerance:.3g}")
    unit = "projections" if c.worst[0] == "projection" else "elements"
    lines.append(f"      {c.failed} of {c.compared} {unit} disagree")
    if c.located is not None:
        out_index, in_index, analytic, expected = c.located
        lines.append(f"  --> bisection finds {readable_element((out_index, in_index), argument.name, c.order)}: "
                     f"{c.source} {analytic:.12g}, finite diff. {expected:.12g}")
    elif c.worst[0] == "projection":
        lines.append("      (no single element stands out: the error is spread; fast=False shows each element)")
    lines += [f"  = {note}" for note in _verdict(argument, c)]
    if c.hint:
        lines.append(f"  = hint: {c.hint}")
    lines.append(_tolerance_line(argument, c, options))
    return "\n".join(lines)


def _tolerance_line(argument, c, options):
    if c.reference == "numeric":
        atol = f"{options.atol:g}" if options.atol is not None else "0"
        return (f"  = tolerance, per element: atol + rtol |expected| + the differences' error estimate; "
                f"rtol {argument.rtol:g}, atol {atol} (set rtol=, atol=)")
    atol = f"{options.atol:g}" if options.atol is not None else f"{ATOL_FRACTION * argument.rtol:g} x the largest"
    return (f"  = tolerance between modes: {MODES_FRACTION:g} x (atol + rtol |expected|); "
            f"rtol {argument.rtol:g}, atol {atol} |derivative|")


def undecided_message(report, options):
    """Where finite differences are too coarse to decide, with the numbers and the reason."""
    argument, c = report.undecided[0]
    what = "second derivatives" if c.order == 2 else "derivative"
    lines = [f"cannot decide whether {c.source} gives the right {what} of `{report.function}` for {argument.label} "
             f"(shape {argument.shape}, {argument.dtype}): finite differences are too coarse here",
             f"  --> {readable_element(c.worst, argument.name, c.order)}"]
    width = max(len(c.source), len("finite diff.")) + 2
    lines.append(f"      {c.source:<{width}}{c.analytic: .12g}")
    lines.append(f"      {'finite diff.':<{width}}{c.expected: .12g}   ({report.method}, error estimate "
                 f"{c.estimate:.1e})")
    allowed = c.tolerance - c.estimate
    unit = "projections" if c.worst[0] == "projection" else "elements"
    lines.append(f"      the error estimate {c.estimate:.1e} exceeds the tolerance {allowed:.1e}: an error of the "
                 f"tolerance's size would go unseen ({c.undecided} of {c.compared} {unit} undecided)")
    lines.append(f"  = reason: {c.reason}" if c.reason else "  = reason: the differences' error estimate is large")
    if c.hint:
        lines.append(f"  = hint: {c.hint}")
    lines.append(_tolerance_line(argument, c, options))
    return "\n".join(lines)


def _first_failure(report):
    failures = report.failures
    against_numeric = [(a, c) for a, c in failures if c.reference == "numeric"]
    return (against_numeric or failures)[0]


def _verdict(argument, c):
    """Which of the sources are wrong, said in words."""
    if c.reference != "numeric":
        gap = abs(c.analytic - c.expected) / max(abs(c.expected), 1e-300)
        against = [o for o in argument.comparisons if o.reference == "numeric" and o.order == c.order]
        found = ("both are within tolerance of finite differences" if all(o.passed for o in against)
                 else "finite differences cannot decide here")
        return [f"{found}, but two correct modes agree to rounding error: "
                f"one of them is wrong by about {gap:.1e} relative"]
    same_order = [other for other in argument.comparisons if other.reference == "numeric" and other.order == c.order]
    good = [o.source for o in same_order if o.passed]
    bad = [o.source for o in same_order if o.failed]
    if len(same_order) == 1:
        return [_SUSPECT.get(c.source, f"{c.source} is the suspect")] if c.source in _SUSPECT else []
    if good:
        notes = [f"{' and '.join(good)} {'agrees' if len(good) == 1 else 'agree'} with finite differences here: "
                 f"only {' and '.join(bad)} {'is' if len(bad) == 1 else 'are'} wrong"]
        if len(bad) == 1 and bad[0] in _SUSPECT:
            notes.append(_SUSPECT[bad[0]])
        outers = {b.split("-over-")[0] for b in bad}
        if c.order == 2 and len(outers) == 1:
            outer = outers.pop()
            notes.append(f"every wrong pair differentiates the gradient in {outer} mode: the {outer}-mode rules "
                         "of the ops that the derivative rules use are the suspect")
        return notes
    values = [o.analytic for o in same_order if o.worst == c.worst]
    agree = len(values) > 1 and np.allclose(values, c.analytic, rtol=1e-8, atol=0)
    notes = [f"{' and '.join(bad)} all disagree with finite differences"]
    if agree:
        notes.append("they agree with each other: either the derivative rules are wrong the same way in every "
                     "mode, or f is not differentiable here, or finite differences cannot resolve it")
    return notes
