"""What `check_grad` was asked to check, validated, and the default tolerances."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .differences import MAX_EVALUATIONS, check_method

_RTOL = {8: 1e-6, 4: 1e-3, 2: 3e-2}   # default rtol by float size: float64, float32, float16
ATOL_FRACTION = 1e-3                # two modes' rounding floor: this * rtol * the largest |derivative|
MODES_FRACTION = 1e-2               # two AD modes must agree this much more tightly than with differences
_DEFAULT_MODES = ("forward", "reverse")


@dataclass
class Options:
    order: int
    modes: tuple
    method: str
    rtol: float | None
    atol: float | None
    fast: bool
    grad: object
    jac: object
    seed: int
    max_evaluations: int = MAX_EVALUATIONS

    @classmethod
    def make(cls, order, modes, method, rtol, atol, fast, grad, jac, seed, max_evaluations=MAX_EVALUATIONS):
        if order not in (1, 2):
            raise ValueError(f"check_grad: order must be 1 or 2, got {order!r}")
        if grad is not None and jac is not None:
            raise ValueError("check_grad: give grad= or jac=, not both")
        for given, what in ((grad, "grad"), (jac, "jac")):
            if given is not None and not callable(given):
                raise TypeError(f"check_grad: {what}= must be a function called like f, got {type(given).__name__}")
        hand_written = grad is not None or jac is not None
        if modes is None:
            modes = () if hand_written else _DEFAULT_MODES
        modes = (modes,) if isinstance(modes, str) else tuple(modes)
        unknown = [m for m in modes if m not in _DEFAULT_MODES]
        if unknown:
            raise ValueError(f"check_grad: unknown mode {unknown[0]!r}: modes are 'forward' and 'reverse'")
        if not modes and not hand_written:
            raise ValueError("check_grad: nothing to check: give modes=, grad= or jac=")
        if order == 2 and not modes:
            raise ValueError("check_grad: order=2 checks the AD modes' second derivatives: give modes=")
        for value, what in ((rtol, "rtol"), (atol, "atol")):
            if value is not None and not (np.isfinite(value) and value >= 0):
                raise ValueError(f"check_grad: {what} must be a non-negative number, got {value!r}")
        return cls(order, modes, check_method(method), rtol, atol, bool(fast), grad, jac, seed, max_evaluations)

    @property
    def given(self):
        """The hand-written derivative as (its label, the function), or None."""
        if self.grad is not None:
            return "grad=", self.grad
        if self.jac is not None:
            return "jac=", self.jac
        return None

    def sources(self):
        given = (self.given[0],) if self.given is not None else ()
        return given + self.modes

    def rtol_for(self, dtype):
        return self.rtol if self.rtol is not None else _RTOL.get(np.dtype(dtype).itemsize, 1e-6)

    def atol_for_differences(self):
        """The absolute tolerance against finite differences: atol= when given, else 0.

        It is the same for every element and never grows with f's size or with other elements'
        derivatives: each element is judged by its own ``rtol |expected|`` and its own error estimate.
        """
        return self.atol if self.atol is not None else 0.0

    def atol_between_modes(self, rtol, scale):
        """atol= when given, else a small fraction of ``scale``: the rounding floor for comparing two AD
        modes (or a projection u^T J v, a sum whose terms may cancel) of derivatives of size ``scale``."""
        return self.atol if self.atol is not None else ATOL_FRACTION * rtol * scale
