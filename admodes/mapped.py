"""`Mapped`: the base of the engines that map each primitive over a value type of their own, a primal with
something it carries (Taylor mode's `admodes.taylor.Jet` carries Taylor coefficients, sparsity detection's
`admodes.sparse.Deps` a dependency matrix), by one rule per primitive.

The skeleton they share is `Mapped._apply`: unwrap this level's values into primals and what they carry, run
the primitive on the primals (a lower level's values dispatch again), and, unless nothing moves, hand the
rest to the engine's `Mapped._map`.

    >>> import numpy as np
    >>> class Doubled(Mapped):               # carries twice its primal, to show the skeleton
    ...     __slots__ = ("primal", "twice", "_level")
    ...     carried = "twice"
    ...     def _map(self, prim, primals, carried, ans, params):
    ...         return 2 * ans
    >>> from admodes.ops.core import new_level
    >>> x = Doubled._make(np.array(3.0), np.array(6.0), new_level())
    >>> float((x + 1.0).twice)
    8.0
"""

from __future__ import annotations

from .arraylike import ArrayLike
from .ops.core import Primitive

__all__ = ["Mapped", "declared_kind"]


class Mapped(ArrayLike):
    """A primal and what it carries (the attribute named by ``carried``), at one level; subclasses give the
    slots ``primal``, their carried attribute and ``_level``, and `_map`."""

    __slots__ = ()
    carried = ""
    """The name of the attribute that holds what the value carries beside its primal."""

    @classmethod
    def _make(cls, primal, carried, level):
        value = object.__new__(cls)
        value.primal, value._level = primal, level
        setattr(value, cls.carried, carried)
        return value

    def _inner(self):
        return self.primal

    def __repr__(self):
        return f"{type(self).__name__}(primal={self.primal!r}, {self.carried}={getattr(self, self.carried)!r})"

    def _run(self, prim, primals, params):
        """The primitive on the primals (an engine may refuse a primitive here, naming it)."""
        return prim(*primals, **params)

    def _map(self, prim, primals, carried, ans, params):  # pragma: no cover - each engine implements it
        """What the output carries (None: nothing, the output is a plain value), from ``carried[i]``, what
        argument i carries (None for a value of another level or a constant)."""
        raise NotImplementedError

    def _apply(self, prim, args, params):
        """Run `prim` on the primals and map what this level's values carry with the engine's rule."""
        level, cls = self._level, type(self)
        primals, carried = list(args), [None] * len(args)
        for i, a in enumerate(args):
            if type(a) is cls and a._level == level:
                primals[i], carried[i] = a.primal, getattr(a, cls.carried)
        ans = self._run(prim, primals, params)
        if prim.zero_derivative or all(c is None for c in carried):  # piecewise constant, or nothing moves
            return ans
        out = self._map(prim, primals, carried, ans, params)
        return ans if out is None else cls._make(ans, out, level)


def declared_kind(prim, kind, kinds, engine):
    """What `prim`'s declaration says of its rule of ``kind`` ("jet", "deps"): "declared" for a function,
    the name of one of ``kinds`` for a rule named by kind, None when it says nothing. ``engine`` names the
    engine in the error for a kind it does not know.

    >>> from admodes.ops.core import REGISTRY
    >>> declared_kind(REGISTRY["matmul"], "jet", ("multilinear",), "admodes.jet")
    'multilinear'
    """
    if not isinstance(prim, Primitive):
        raise TypeError(f"{engine}: {prim!r} is not a Primitive")
    declared = prim.rule(kind)
    if declared is None or callable(declared):
        return None if declared is None else "declared"
    if declared not in kinds:
        raise ValueError(f"{engine}: the primitive {prim.name!r} declares {kind}={declared!r}; a {kind} rule is a "
                         f"function or one of {', '.join(map(repr, kinds))}")
    return declared
