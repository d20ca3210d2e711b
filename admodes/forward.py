"""Forward mode: dual numbers over the op library (the engine; its transforms, `jvp` and `jacfwd`, are in
`admodes.transforms`).

A `Dual` carries a primal value and a tangent (the derivative along one input direction). Each
primitive applied to duals computes its output on the primals and its output tangent with the op
library's JVP rule, right away, so nothing is kept for later: the memory of forward mode does not grow
with the length of the computation.

    >>> import numpy as np, admodes as ad
    >>> out, tangent = ad.jvp(lambda x: x ** 3, (np.array(2.0),), (np.array(1.0),))
    >>> float(out), float(tangent)   # 2^3 and d/dx x^3 = 3 x^2 at 2
    (8.0, 12.0)

Levels keep nested transforms apart: each `jvp` or `jacfwd` sweep makes a fresh level
(`core.new_level`), higher than every level before it, so an inner sweep's duals are handled first and
an outer sweep's duals ride inside them as constants (d/dx [x * d/dy (x + y)] is 1, not 2).
"""

from __future__ import annotations

import numpy as np

from . import temporaries
from .arraylike import ArrayLike, plain_index
from .fastpaths import FAST
from .inputs import checked_tangent, float_input
from .ops.core import Traced, call_impl, jvp_of, new_level, op
from .temporaries import unshared

__all__ = ["Dual", "USER_LEVEL", "GIVEN_AWAY"]

USER_LEVEL = 1
"""The level of the duals users make themselves (Tensors made by users are level 0)."""


class Dual(ArrayLike):
    """A value with a tangent: ``Dual(primal, tangent)``; every op on it also pushes the tangent forward.

    The primal is a floating-point array, real or complex (Python numbers and lists become float64); the tangent has the
    primal's shape and dtype (Python numbers and lists are converted to it); ``None`` means a zero tangent.
    Operators, ndarray methods and NumPy functions (``np.sin(d)``, ``d @ w``, ``d.sum()``) all work;
    comparisons and ``if``/``while`` look at the primal only. An operator on a temporary dual (``(d * 2) - 1``)
    may compute its result into that dual's arrays, as NumPy reuses its temporaries (`admodes.temporaries`);
    keep duals in lists, tuples or dicts rather than NumPy object arrays, whose loops hand elements over like
    temporaries (such a dual then raises when used, never gives a wrong value).

    >>> import numpy as np
    >>> d = Dual(np.array([1.0, 2.0]), np.array([1.0, 0.0]))
    >>> (d * d).tangent        # d(x*x) = 2 x dx
    array([2., 0.])
    >>> (3 ** d).primal, bool(d[1] > 1.5)
    (array([3., 9.]), True)
    """

    __slots__ = ("primal", "_tangent", "_level")

    def __init__(self, primal, tangent=None):
        primal = float_input(primal, "Dual: primal", complex_ok=True)
        if tangent is not None:
            tangent = checked_tangent(tangent, primal, "Dual: tangent", "the primal")
        # A dual made around a traced value (inside a transform) sits above every level made so far:
        # its perturbation is the innermost one, handled first.
        traced = isinstance(primal, Traced) or isinstance(tangent, Traced)
        self.primal, self._tangent = primal, tangent
        self._level = new_level() if traced else USER_LEVEL

    @classmethod
    def _make(cls, primal, tangent, level):
        """The engine's constructor: no checks (the op library made both values)."""
        d = object.__new__(cls)
        d.primal, d._tangent, d._level = primal, tangent, level
        return d

    @property
    def tangent(self):
        """The tangent; a dual made without one has a zero tangent.

        >>> Dual(2.0).tangent
        array(0.)
        """
        if self._tangent is None:
            return np.zeros(self.shape, self.dtype)  # (read through the levels: the primal may be a batch)
        if self._tangent is GIVEN_AWAY:
            GIVEN_AWAY.refuse()
        return self._tangent

    def _inner(self):
        return self.primal

    def __repr__(self):
        return f"Dual(primal={self.primal!r}, tangent={self.tangent!r})"

    def __setitem__(self, index, new):
        """``d[index] = new``: a functional update of both parts (the arrays ``d`` was made from are never
        written to); the tangent of ``new`` lands at ``index``.

        >>> d = Dual(np.zeros(3), np.ones(3))
        >>> d[1] = Dual(5.0, 2.0)
        >>> d.primal, d.tangent
        (array([0., 5., 0.]), array([1., 2., 1.]))
        """
        updated = op("index_update")(self, new, index=plain_index(index))
        if type(updated) is Dual and updated._level == self._level:
            self.primal, self._tangent = updated.primal, updated._tangent
        elif isinstance(updated, Traced) and updated._level > self._level:
            raise TypeError(
                "d[index] = value: the value is traced by a transform nested inside the one that made d, so "
                "writing it into d would lose its derivative; build a new array instead (anp.where, or "
                "concatenate the pieces) and return that")
        else:  # neither d nor the value carries a tangent at this level: a zero tangent
            self.primal, self._tangent = updated, None

    # ---- the engine ----------------------------------------------------------------------------------
    def _apply_generic(self, prim, args, params):
        """Run `prim` on the primals and push the tangents of this dual's level through its JVP rules.

        This is the whole forward engine: the output tangent is computed now, from the JVP rules, and
        nothing else is kept, so the inputs' duals die as soon as the user's code drops them.
        """
        level = self._level
        primals, tangents, moving = list(args), [None] * len(args), False
        for i, a in enumerate(args):  # unwrap this level's duals; other values are constants here
            if type(a) is Dual and a._level == level:
                primals[i] = a.primal
                if a._tangent is not None:
                    tangents[i] = a._tangent
                    moving = True
        # The output on the primals (values traced at lower levels dispatch again, to their engines).
        ans = prim.impl(*primals, **params) if prim.impl_takes_traced else prim(*primals, **params)
        if not moving or prim.zero_derivative:  # every tangent a symbolic zero: the result is a constant here
            return ans
        # Its tangent: the sum of each moving input's JVP rule (`core.jvp_of`).
        tangent = jvp_of(prim, tangents, ans, primals, params)
        return ans if tangent is None else Dual._make(ans, tangent, level)

    # ---- FAST PATH (used only when fastpaths.FAST; `_apply_generic` above is its definition) ---------------
    def _apply_fast(self, prim, args, params):
        """`_apply_generic` unrolled for one argument (self) and for two, where a plain primal goes straight
        to the impl (`core.call_impl`): no list, no loop, no second dispatch."""
        level = self._level
        if len(args) == 1:  # sin, sum, reshape, getitem, ...: the argument is self
            primal, tangent = self.primal, self._tangent
            if prim.impl_takes_traced:
                ans = prim.impl(primal, **params)
            else:
                ans = call_impl(prim, (primal,), params) if type(primal) is np.ndarray else prim(primal, **params)
            if tangent is None or prim.zero_derivative:
                return ans
            tangent = jvp_of(prim, (tangent,), ans, (primal,), params)
        elif len(args) == 2:  # the binary ops
            a, b = args
            ta = tb = None
            if type(a) is Dual and a._level == level:
                a, ta = a.primal, a._tangent
            if type(b) is Dual and b._level == level:
                b, tb = b.primal, b._tangent
            ans = prim.impl(a, b, **params) if prim.impl_takes_traced else prim(a, b, **params)
            if (ta is None and tb is None) or prim.zero_derivative:
                return ans
            tangent = jvp_of(prim, (ta, tb), ans, (a, b), params)
        else:
            return self._apply_generic(prim, args, params)
        if tangent is None:
            return ans
        out = _new_dual(Dual)
        out.primal, out._tangent, out._level = ans, tangent, level
        return out

    _apply = _apply_fast if FAST else _apply_generic
    """Run `prim` on duals (how `core.lift` hands a call to this engine): `_apply_generic`, or its fast path."""

    # ---- FAST PATH: temporaries' arrays reused (`temporaries`; `_apply_fast` is its definition) -------------
    _donates = temporaries.ENABLED

    def _apply_donating(self, prim, args, temporary):
        """`_apply_fast` for a binary operator (`arraylike._binary`) with an operand that only the interpreter
        holds (``temporary[i]``): as NumPy reuses its temporaries, the output tangent is computed into that
        operand's tangent, when no one else holds it either, by the op's in-place JVP form (`declare.Fast`'s
        ``jvp_inplace``), and then the output into its primal, when that is unshared too, instead of into
        new arrays. The operand is then marked (`GIVEN_AWAY`): a caller that held it after all (a C loop
        over an object array) gets an error from it, never a value overwritten under it."""
        fast = prim.rules.fast if prim.rules is not None else None
        inplace = fast.jvp_inplace if fast is not None else None
        level = self._level
        a, b = args
        donor = None
        if inplace is not None:  # the references are counted before this frame holds the arrays
            if (temporary[0] and type(a) is Dual and a._level == level and unshared(a._tangent)
                    and type(a._tangent) is np.ndarray and a._tangent.nbytes >= temporaries.MIN_BYTES):
                donor = 0
            elif (temporary[1] and type(b) is Dual and b._level == level and unshared(b._tangent)
                    and type(b._tangent) is np.ndarray and b._tangent.nbytes >= temporaries.MIN_BYTES):
                donor = 1
        if donor is None:
            return self._apply_fast(prim, args, _NO_PARAMS)
        primal_free = unshared(args[donor].primal)
        ta = tb = None
        if type(a) is Dual and a._level == level:
            a, ta = a.primal, a._tangent
        if type(b) is Dual and b._level == level:
            b, tb = b.primal, b._tangent
        tangents = (ta, tb)
        if not _result_fits(tangents[donor], tangents[1 - donor], a, b):
            return self._apply_fast(prim, args, _NO_PARAMS)
        given = args[donor]
        given._tangent = GIVEN_AWAY  # marked before the first write: an error inside leaves no half-written tangent
        tangent = inplace(tangents, (a, b), donor)
        if tangent is NotImplemented:  # (declined before writing)
            given._tangent = tangents[donor]
            return self._apply_fast(prim, args, _NO_PARAMS)
        into = fast.impl_into or (prim.impl if isinstance(prim.impl, np.ufunc) else None)
        primal = given.primal
        if (primal_free and into is not None and type(primal) is np.ndarray and primal.base is None
                and primal.flags.writeable and primal.shape == tangent.shape and primal.dtype == tangent.dtype):
            given.primal = GIVEN_AWAY
            ans = into(a, b, out=primal) if into is prim.impl else into(primal, a, b)
        else:
            ans = prim(a, b)
        out = _new_dual(Dual)
        out.primal, out._tangent, out._level = ans, tangent, level
        return out


def _result_fits(buffer, other, x1, x2):
    """True if the result of a binary op on the primals ``x1``, ``x2`` (plain values) has the tangent ``buffer``'s
    shape and dtype, so that both the result's tangent and the result may be computed into that operand's
    arrays; and the other tangent is a plain array (or a symbolic zero) as well."""
    if type(x1) not in _PLAIN or type(x2) not in _PLAIN or buffer.base is not None or not buffer.flags.writeable:
        return False
    if other is not None and type(other) is not np.ndarray:
        return False
    try:
        shape = np.broadcast_shapes(np.shape(x1), np.shape(x2))
    except ValueError:  # shapes that do not broadcast: the ordinary path raises its error, naming the op
        return False
    return shape == buffer.shape and np.result_type(x1, x2) == buffer.dtype


class _GivenAway:
    """The tangent (or primal) of a dual whose array became a later result's (`Dual._apply_donating`): any
    use raises, naming what happened."""

    __slots__ = ()

    MESSAGE = ("admodes: this dual's arrays were reused for the result of an operator that was told the dual was a "
               "temporary, yet the dual is still in use (was it an element of a NumPy object array, passed to the "
               "operator by NumPy's loop?). Keep duals in lists or tuples, or run with ADMODES_REFERENCE=1.")

    def refuse(self, *args, **kwargs):
        raise RuntimeError(self.MESSAGE)

    def __getattr__(self, name):  # (an AttributeError, so that hasattr and introspection stay quiet)
        raise AttributeError(f"{self.MESSAGE} (reading .{name})")

    __array__ = __array_ufunc__ = __array_function__ = __len__ = __iter__ = __bool__ = refuse
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __rtruediv__ = refuse
    __neg__ = __pow__ = __rpow__ = __matmul__ = __rmatmul__ = __getitem__ = refuse

    def __repr__(self):
        return "<a tangent given to a later result>"


GIVEN_AWAY = _GivenAway()
"""The mark `Dual._apply_donating` leaves on a temporary dual whose arrays it gave to the result."""


_new_dual = object.__new__
_PLAIN = frozenset({np.ndarray, float, int, complex, np.float64, np.float32, np.complex128, np.complex64})
_NO_PARAMS: dict = {}  # the params of every operator call (nothing writes into them)
