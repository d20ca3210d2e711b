"""Which arguments of ``f`` `check_grad` differentiates: each one copied, classified and checked for bad
values; integers and non-arrays are held constant. A container argument (tuple, list, dict: `admodes.tree`)
is checked leaf by leaf, each named by its path (``params['w'][1]``), and a container output is checked as
its leaves raveled and concatenated."""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from ..transforms.containers import Outputs, parameter_names
from ..tree import is_container, tree_flatten
from .evaluations import as_point
from .report import ArgumentReport


@dataclass
class _Argument:
    index: int             # its place among the leaves of f's arguments (the argument's index, without containers)
    name: str
    value: object          # our own copy: the caller's arrays are never handed to f
    constant: bool
    reason: str = ""
    position: int = -1     # the index of the argument of f it is (or is inside)

    def fresh(self):
        """A copy of the value to hand to f, which may write into its arguments."""
        return self.value.copy() if isinstance(self.value, np.ndarray) else self.value

    def report(self):
        arr = self.value if isinstance(self.value, np.ndarray) else None
        shape = arr.shape if arr is not None else (() if _is_number(self.value) else None)
        dtype = str(arr.dtype) if arr is not None else type(self.value).__name__
        position = self.index if self.position < 0 else self.position
        return ArgumentReport(position, self.name, shape, dtype, self.constant, self.reason, [])


def _is_number(x):
    return isinstance(x, (numbers.Number, np.generic)) and not isinstance(x, (complex, np.complexfloating))


class Plan(list):
    """The `_Argument` of each leaf of f's arguments, and how to call f with them: ``structure`` builds
    the arguments back from their leaves, ``outputs`` packs a container output into one array."""

    structure = None

    def __init__(self):
        super().__init__()
        self.outputs = Outputs("check_grad")

    @property
    def containers(self):
        """True when an argument is a container (then f is called with the arguments rebuilt from leaves)."""
        return self.structure is not None

    def call(self, f, leaves):
        return self.outputs.pack(f(*(self.structure.unflatten(leaves) if self.containers else leaves)))


def plan_arguments(f, args, argnums):
    """One `_Argument` per positional argument (per leaf of a container argument): copied, classified, and
    checked for bad values."""
    if not args:
        raise TypeError("check_grad: give the point to check at: check_grad(f, x, ...)")
    wanted = _argnums(argnums, len(args))
    names = parameter_names(f, len(args))
    plan = Plan()
    if not any(is_container(a) for a in args):
        plan.extend(_classify(i, names[i], a, wanted) for i, a in enumerate(args))
    else:
        for i, a in enumerate(args):
            leaves, structure = tree_flatten(a)
            for leaf, path in zip(leaves, structure.leaf_paths(names[i])):
                item = _classify(len(plan), path, leaf, wanted, position=i)
                plan.append(item)
        plan.structure = tree_flatten(tuple(args))[1]
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


def _classify(index, name, a, wanted, position=None):
    position = index if position is None else position
    label = f"argument {position} `{name}`"
    selected = wanted is None or position in wanted
    named = wanted is not None and selected  # named in argnums: what cannot be differentiated is an error
    if not isinstance(a, np.ndarray) and not _is_number(a) and not isinstance(a, (complex, np.complexfloating)):
        if named:
            raise TypeError(f"check_grad: {label} is a {type(a).__name__}, not an array: it cannot be differentiated")
        return _Argument(index, name, a, True, f"not an array ({type(a).__name__}): passed through unchanged",
                         position)
    arr = np.asarray(a)
    kind = arr.dtype.kind
    if kind == "c":
        raise TypeError(f"check_grad: {label} is complex ({arr.dtype}): admodes differentiates real arrays only")
    if kind in "iub":
        if named:
            raise TypeError(f"check_grad: {label} has dtype {arr.dtype}: integers are held constant; "
                            f"pass {name}.astype(float) to check its derivative")
        return _Argument(index, name, np.array(arr, copy=True), True,
                         f"an integer argument ({arr.dtype}): integers are held constant", position)
    if not selected:
        return _Argument(index, name, np.array(arr, copy=True), True, "not in argnums", position)
    try:
        point = as_point(arr, name)
    except (TypeError, ValueError) as err:
        raise type(err)(f"check_grad: {label}: {err}") from None
    return _Argument(index, name, point, False, "", position)


def vary_one_argument(f, plan, index):
    """``x -> f(..., x, ...)``: argument ``index`` varies, the others are fresh copies of our copies."""
    def g(x):
        return plan.call(f, [x if p.index == index else p.fresh() for p in plan])
    g.__name__ = getattr(f, "__name__", "f")
    return g
