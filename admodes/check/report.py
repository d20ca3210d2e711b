"""What `check_grad` found: a `GradcheckReport` of `ArgumentReport`s of `Comparison`s, its summary,
`GradcheckError`, raised with the report when a derivative is wrong, and `GradcheckUndecided`, raised when
finite differences are too coarse to tell (their messages are in `message`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


class GradcheckError(Exception):
    """A derivative disagrees with finite differences (or the AD modes disagree with each other).

    The message names the argument, the element, both values, the errors and the mode at fault;
    ``report`` is the full `GradcheckReport`.

    >>> issubclass(GradcheckError, Exception)
    True
    """

    def __init__(self, message, report=None):
        super().__init__(message)
        self.report = report


class GradcheckUndecided(GradcheckError):
    """Finite differences cannot decide whether a derivative is right: their error estimate is larger
    than the tolerance somewhere, so an error of the tolerance's size would go unseen (f's value is huge
    next to its changes, f is noisy, or a derivative is tiny). Never reported as a pass; a subclass of
    `GradcheckError`, so code that catches failures catches it too. The message says where and why.

    >>> check_grad(lambda x: np.sum(np.sin(x)) + 1e12, np.zeros(2), grad=np.cos)
    Traceback (most recent call last):
    ...
    admodes.check.GradcheckUndecided: cannot decide whether grad= gives the right derivative of `<lambda>` ...
    """


@dataclass
class Comparison:
    """One source of derivatives (a mode, ``grad=``, ``forward-over-reverse``...) against a reference.

    Errors are over the compared elements: whole Jacobians (``fast=False``) or projections u^T J v.
    ``worst`` is the element closest to (or furthest past) its tolerance: ``(output index, input index)``,
    or ``("projection", k)`` for a projection; ``analytic``/``expected``/``tolerance`` are its values
    (``expected`` is the finite-difference value, or the other mode's when ``reference`` is a mode).
    With ``fast=True`` a failing projection is bisected down to one element, ``located``
    (``(output index, input index, analytic, expected)``), when one element stands out.

    >>> c = check_grad(lambda x: np.sum(x ** 2), np.ones(2), grad=lambda x: 2 * x).arguments[0].comparisons[0]
    >>> c.source, c.reference, c.passed, c.compared
    ('grad=', 'numeric', True, 2)
    """

    source: str
    reference: str
    max_abs_error: float
    max_rel_error: float
    worst: tuple
    analytic: float
    expected: float
    tolerance: float
    failed: int
    compared: int
    estimate: float = 0.0   # the finite-difference error estimate at the worst element
    hint: str = ""
    located: tuple | None = None
    order: int = 1
    undecided: int = 0
    reason: str = ""

    @property
    def passed(self):
        """Every element decided and right."""
        return self.failed == 0 and self.undecided == 0


@dataclass
class ArgumentReport:
    """What was checked for one argument of ``f``: its comparisons and what they cost.

    ``constant`` arguments (integers, non-arrays) were not differentiated; ``reason`` says why.

    >>> report = check_grad(lambda x, n: np.sum(x ** n), np.ones(2), 3, grad=lambda x, n: n * x ** (n - 1))
    >>> [(a.label, a.constant) for a in report.arguments]
    [('argument 0 `x`', False), ('argument 1 `n`', True)]
    """

    index: int
    name: str
    shape: tuple
    dtype: str
    constant: bool = False
    reason: str = ""
    comparisons: list = None
    evaluations: int = 0     # calls of f (or of a gradient, at order 2) made by finite differences
    sweeps: int = 0          # AD calls (jvp, vjp, grad) made
    rtol: float = 0.0        # the relative tolerance used (the dtype's default unless rtol= was given)

    @property
    def label(self):
        return f"argument {self.index} `{self.name}`"

    @property
    def passed(self):
        return all(c.passed for c in self.comparisons or ())

    @property
    def wrong(self):
        """Some derivative is wrong (as opposed to right, or undecided)."""
        return any(c.failed for c in self.comparisons or ())

    @property
    def max_abs_error(self):
        return max((c.max_abs_error for c in self._against_differences()), default=0.0)

    @property
    def max_rel_error(self):
        return max((c.max_rel_error for c in self._against_differences()), default=0.0)

    @property
    def worst(self):
        """The comparison whose worst element is nearest to (or furthest past) its tolerance, or None."""
        return max(self.comparisons, key=_ratio) if self.comparisons else None

    def _against_differences(self):
        # The errors reported are against finite differences: modes against each other only say who is wrong.
        return [c for c in self.comparisons or () if c.reference == "numeric"]


@dataclass
class GradcheckReport:
    """The result of `check_grad`: one `ArgumentReport` per argument of ``f``; ``str()`` is a summary.

    >>> report = check_grad(lambda x: np.sum(x ** 2), np.ones(3), grad=lambda x: 2 * x)
    >>> report.passed, report.arguments[0].max_abs_error < 1e-9
    (True, True)
    """

    function: str
    order: int
    method: str
    fast: bool
    sources: tuple
    arguments: list

    @property
    def passed(self):
        """Every derivative checked is right; False when one is wrong or could not be decided."""
        return all(a.passed for a in self.arguments)

    @property
    def wrong(self):
        return any(a.wrong for a in self.arguments)

    @property
    def verdict(self):
        """``"passed"``, ``"FAILED"`` (a wrong derivative) or ``"cannot decide"``."""
        return "passed" if self.passed else "FAILED" if self.wrong else "cannot decide"

    @property
    def evaluations(self):
        return sum(a.evaluations for a in self.arguments)

    @property
    def sweeps(self):
        return sum(a.sweeps for a in self.arguments)

    @property
    def failures(self):
        """(argument, comparison) for each comparison with a wrong element."""
        return [(a, c) for a in self.arguments for c in a.comparisons or () if c.failed]

    @property
    def undecided(self):
        """(argument, comparison) for each comparison with no wrong element but some undecided."""
        return [(a, c) for a in self.arguments for c in a.comparisons or () if c.undecided and not c.failed]

    def __str__(self):
        how = "random projections u^T J v" if self.fast else "whole Jacobians"
        head = (f"check_grad({self.function}): order {self.order}, {', '.join(self.sources)} vs {self.method} "
                f"differences, {how}: {self.verdict}")
        lines = [head]
        for a in self.arguments:
            lines += _argument_lines(a)
        lines.append(f"  {self.evaluations} evaluations for finite differences, {self.sweeps} AD calls")
        return "\n".join(lines)


def _argument_lines(a):
    shape = f"shape {a.shape}" if a.shape is not None else "not an array"
    if a.constant:
        return [f"  {a.label} ({shape}, {a.dtype}): constant, {a.reason}"]
    if not a.comparisons:
        return [f"  {a.label} ({shape}, {a.dtype}): not checked (an earlier argument is wrong)"]
    worst = a.worst
    lines = [f"  {a.label} ({shape}, {a.dtype}): max abs error {a.max_abs_error:.2e}, "
             f"max rel error {a.max_rel_error:.2e}, worst at {readable_element(worst.worst, a.name, worst.order)}, "
             f"{a.evaluations} evaluations"]
    for c in a.comparisons:
        verdict = ("ok" if c.passed else f"FAILED at {c.failed} of {c.compared}" if c.failed
                   else f"cannot decide at {c.undecided} of {c.compared}")
        lines.append(f"    {c.source:<20} vs {c.reference:<20} abs {c.max_abs_error:.2e}  "
                     f"rel {c.max_rel_error:.2e}  {verdict}")
    return lines


def _ratio(c):
    if c.undecided and not c.failed:
        return 1.0  # at its tolerance: after any wrong comparison (above 1), before those that passed
    gap = abs(c.analytic - c.expected)
    return gap / c.tolerance if c.tolerance > 0 else (np.inf if gap > 0 else 0.0)


def readable_element(worst, name, order=1):
    """A readable element: ``d out[2] / d x[1, 0]``, ``d2 f / d x[0] d x[1]``, or a projection."""
    if worst is None:
        return "-"
    if worst[0] == "projection":
        return f"projection u^T J v number {worst[1]}"
    out_index, in_index = worst[:2]
    wrt = _element(name, in_index)
    if order == 2:
        return f"d2 f / d {_element(name, out_index)} d {wrt}"
    out = f"out{list(out_index)}" if out_index else "f"
    return f"d {out} / d {wrt}"


def _element(name, index):
    """``x[1, 0]``, or just ``x`` for a 0-d array."""
    return f"{name}{list(index)}" if index else name
