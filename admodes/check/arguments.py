"""Which arguments of ``f`` `check_grad` differentiates: each one copied, classified and checked for bad
values; integers and non-arrays are held constant."""

from __future__ import annotations

import inspect
import numbers
from dataclasses import dataclass

import numpy as np

from .evaluations import as_point
from .report import ArgumentReport


@dataclass
class _Argument:
    index: int
    name: str
    value: object          # our own copy: the caller's arrays are never handed to f
    constant: bool
    reason: str = ""

    def fresh(self):
        """A copy of the value to hand to f, which may write into its arguments."""
        return self.value.copy() if isinstance(self.value, np.ndarray) else self.value

    def report(self):
        arr = self.value if isinstance(self.value, np.ndarray) else None
        shape = arr.shape if arr is not None else (() if _is_number(self.value) else None)
        dtype = str(arr.dtype) if arr is not None else type(self.value).__name__
        return ArgumentReport(self.index, self.name, shape, dtype, self.constant, self.reason, [])


def _is_number(x):
    return isinstance(x, (numbers.Number, np.generic)) and not isinstance(x, (complex, np.complexfloating))


def _parameter_names(f, count):
    """The names of f's first ``count`` positional parameters (``args[2]`` for ``*args`` or unknown ones)."""
    try:
        params = list(inspect.signature(f).parameters.values())
    except (TypeError, ValueError):
        params = []
    positional = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    star = next((p.name for p in params if p.kind == p.VAR_POSITIONAL), "args")
    return [positional[i] if i < len(positional) else f"{star}[{i - len(positional)}]" for i in range(count)]


def plan_arguments(f, args, argnums):
    """One `_Argument` per positional argument: copied, classified, and checked for bad values."""
    if not args:
        raise TypeError("check_grad: give the point to check at: check_grad(f, x, ...)")
    wanted = _argnums(argnums, len(args))
    names = _parameter_names(f, len(args))
    plan = [_classify(i, names[i], a, wanted) for i, a in enumerate(args)]
    if not any(not p.constant for p in plan):
        kinds = ", ".join(f"argument {p.index} `{p.name}` is {p.reason.split(':')[0]}" for p in plan)
        raise TypeError(f"check_grad: no float argument to differentiate ({kinds}): integer arguments are held "
                        "constant; pass floats (x.astype(float)) to check their derivatives")
    return plan


def _argnums(argnums, count):
    if argnums is None:
        return None
    nums = (argnums,) if isinstance(argnums, (int, np.integer)) else tuple(argnums)
    out = set()
    for n in nums:
        if not isinstance(n, (int, np.integer)) or not -count <= n < count:
            raise ValueError(f"check_grad: argnums={argnums!r} is out of range for {count} argument(s)")
        out.add(int(n) % count)
    return out


def _classify(index, name, a, wanted):
    label = f"argument {index} `{name}`"
    selected = wanted is None or index in wanted
    named = wanted is not None and selected  # named in argnums: what cannot be differentiated is an error
    if isinstance(a, (list, tuple)) and named:
        raise TypeError(f"check_grad: {label} is a {type(a).__name__}: pass np.asarray(...) to check it")
    if not isinstance(a, np.ndarray) and not _is_number(a) and not isinstance(a, (complex, np.complexfloating)):
        if named:
            raise TypeError(f"check_grad: {label} is a {type(a).__name__}, not an array: it cannot be differentiated")
        return _Argument(index, name, a, True, f"not an array ({type(a).__name__}): passed through unchanged")
    arr = np.asarray(a)
    kind = arr.dtype.kind
    if kind == "c":
        raise TypeError(f"check_grad: {label} is complex ({arr.dtype}): admodes differentiates real arrays only")
    if kind in "iub":
        if named:
            raise TypeError(f"check_grad: {label} has dtype {arr.dtype}: integers are held constant; "
                            f"pass {name}.astype(float) to check its derivative")
        return _Argument(index, name, np.array(arr, copy=True), True,
                         f"an integer argument ({arr.dtype}): integers are held constant")
    if not selected:
        return _Argument(index, name, np.array(arr, copy=True), True, "not in argnums")
    try:
        point = as_point(arr, name)
    except (TypeError, ValueError) as err:
        raise type(err)(f"check_grad: {label}: {err}") from None
    return _Argument(index, name, point, False)


def vary_one_argument(f, plan, index):
    """``x -> f(..., x, ...)``: argument ``index`` varies, the others are fresh copies of our copies."""
    def g(x):
        return f(*[x if p.index == index else p.fresh() for p in plan])
    g.__name__ = getattr(f, "__name__", "f")
    return g
