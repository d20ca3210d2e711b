"""Forward mode: dual numbers over the op library.

A `Dual` carries a primal value and a tangent (the derivative along one input direction). Each
primitive applied to duals computes its output on the primals and its output tangent with the op
library's JVP rule, right away, so nothing is kept for later: the memory of forward mode does not grow
with the length of the computation.

    >>> import numpy as np, admodes as ad
    >>> out, tangent = ad.jvp(lambda x: x ** 3, (np.array(2.0),), (np.array(1.0),))
    >>> float(out), float(tangent)   # 2^3 and d/dx x^3 = 3 x^2 at 2
    (8.0, 12.0)
"""

from __future__ import annotations

import numpy as np

from .arraylike import ArrayLike, as_array, value
from .ops.core import jvp_of, new_level

USER_LEVEL = 1  # the level of the duals users make themselves (Tensors made by users are level 0)


class Dual(ArrayLike):
    """A value with a tangent: ``Dual(primal, tangent)``; every op on it also pushes the tangent forward.

    The tangent has the primal's shape and a float dtype; ``None`` means a zero tangent.

    >>> import numpy as np
    >>> d = Dual(np.array([1.0, 2.0]), np.array([1.0, 0.0]))
    >>> (d * d).tangent        # d(x*x) = 2 x dx
    array([2., 0.])
    """

    __slots__ = ("primal", "_tangent", "_level")

    def __init__(self, primal, tangent=None):
        primal = _float_array(primal, "Dual: primal")
        if tangent is not None:
            tangent = np.asarray(tangent)
            if tangent.dtype.kind not in "fiub":
                raise TypeError(f"Dual: tangent must be real, got dtype {tangent.dtype}")
            if tangent.shape != np.shape(primal):
                raise ValueError(f"Dual: tangent shape {tangent.shape} does not match primal shape {np.shape(primal)}")
            tangent = tangent.astype(primal.dtype, copy=False)
        self.primal, self._tangent, self._level = primal, tangent, USER_LEVEL

    @classmethod
    def _make(cls, primal, tangent, level):
        """The engine's constructor: no checks (the op library made both values)."""
        d = object.__new__(cls)
        d.primal, d._tangent, d._level = primal, tangent, level
        return d

    @property
    def tangent(self):
        """The tangent; a dual made without one has a zero tangent."""
        if self._tangent is None:
            return np.zeros(np.shape(value(self.primal)), np.result_type(value(self.primal)))
        return self._tangent

    def _inner(self):
        return self.primal

    def __repr__(self):
        return f"Dual(primal={self.primal!r}, tangent={self.tangent!r})"

    def __setitem__(self, index, new):
        # A functional update of both parts: arrays the dual was made from are never written to.
        from .arraylike import _plain_index
        from .ops.core import FUNCTIONS
        updated = FUNCTIONS["index_update"](self, new, index=_plain_index(index))
        if isinstance(updated, Dual) and updated._level == self._level:
            self.primal, self._tangent = updated.primal, updated._tangent
        else:
            self.primal, self._tangent = updated, None

    def _apply(self, prim, args, params):
        """Run `prim` on the primals and push the tangents of this dual's level through its JVP rules."""
        level = self._level
        primals, tangents = [], []
        for a in args:
            if type(a) is Dual and a._level == level:
                primals.append(a.primal)
                tangents.append(a._tangent)
            else:
                primals.append(a)
                tangents.append(None)
        ans = prim.impl(*primals, **params) if prim.impl_takes_traced else prim(*primals, **params)
        if prim.zero_derivative:
            return ans
        tangent = jvp_of(prim, tangents, ans, primals, params)
        return ans if tangent is None else Dual._make(ans, tangent, level)


def _float_array(x, what):
    """``x`` as an array (no copy) that can carry a derivative: real floating point."""
    if isinstance(x, ArrayLike):
        return x
    arr = np.asarray(x)
    if arr.dtype.kind == "c":
        raise TypeError(f"{what} is complex; admodes differentiates real arrays only")
    if arr.dtype.kind in "iub":
        if isinstance(x, (int, float)):  # a Python number: promote, as NumPy's float default
            return arr.astype(np.float64)
        raise TypeError(f"{what} has dtype {arr.dtype}: a derivative needs floating point input "
                        f"(pass x.astype(float))")
    if arr.dtype.kind != "f":
        raise TypeError(f"{what} must be a real floating-point array, got {type(x).__name__} of dtype {arr.dtype}")
    return arr


# ----------------------------------------------------------------------------------------------------
# Transforms
# ----------------------------------------------------------------------------------------------------

def jvp(f, primals, tangents):
    """Evaluate ``f(*primals)`` and its directional derivative along ``tangents``, in one forward sweep.

    >>> import numpy as np
    >>> jvp(lambda x, y: x * y, (np.array(3.0), np.array(4.0)), (np.array(1.0), np.array(0.0)))
    (array(12.), array(4.))
    """
    primals, tangents = _as_tuple(primals, "primals"), _as_tuple(tangents, "tangents")
    if len(primals) != len(tangents):
        raise ValueError(f"jvp: {len(primals)} primals but {len(tangents)} tangents; give one tangent per primal")
    level = new_level()
    duals = []
    for i, (p, t) in enumerate(zip(primals, tangents)):
        p = _float_array(p, f"jvp: primal {i}")
        t = np.asarray(t)
        if t.shape != np.shape(value(p)):
            raise ValueError(f"jvp: tangent {i} has shape {t.shape} but primal {i} has shape {np.shape(value(p))}")
        if t.dtype.kind not in "fiub":
            raise TypeError(f"jvp: tangent {i} must be real, got dtype {t.dtype}")
        duals.append(Dual._make(p, t.astype(np.result_type(value(p)), copy=False), level))
    return _split(f(*duals), level)


def jacfwd(f, argnums=0):
    """The Jacobian of ``f`` by forward mode: one sweep per input direction (column by column).

    The result has JAX's layout, ``f(x).shape + x.shape``; with a tuple ``argnums``, a tuple of them.

    >>> import numpy as np
    >>> jacfwd(lambda x: x ** 2)(np.array([1.0, 2.0]))
    array([[2., 0.],
           [0., 4.]])
    """
    def jacobian(*args):
        nums = _check_argnums(argnums, len(args), "jacfwd")
        columns_of = []
        for i in nums:
            x = _float_array(args[i], f"jacfwd: argument {i}")
            flat_basis = np.eye(np.size(value(x)), dtype=np.result_type(value(x)))
            columns = []
            for direction in flat_basis:  # the textbook cost: one forward sweep per input direction
                moved = list(args)
                level = new_level()
                moved[i] = Dual._make(x, direction.reshape(np.shape(value(x))), level)
                out, tangent = _split(f(*moved), level)
                columns.append(tangent)
            out_shape = np.shape(out) if columns else np.shape(value(f(*args)))
            stacked = np.stack(columns, axis=-1) if columns else np.zeros(out_shape + (0,))
            columns_of.append(stacked.reshape(out_shape + np.shape(value(x))))
        return columns_of[0] if isinstance(argnums, int) else tuple(columns_of)
    return jacobian


def _split(out, level):
    """The primal and tangent of ``f``'s output at ``level`` (a zero tangent if it does not depend on it)."""
    if isinstance(out, (tuple, list)):
        raise TypeError("f must return a single array (pytrees are not supported); return one array, "
                        "or differentiate each output separately")
    if type(out) is Dual and out._level == level:
        return as_array(out.primal), as_array(out.tangent)
    return as_array(out), np.zeros(np.shape(value(out)), _float_dtype(out))


def _float_dtype(x):
    dtype = np.result_type(value(x))
    return dtype if dtype.kind == "f" else np.dtype(np.float64)


def _as_tuple(xs, what):
    if isinstance(xs, (tuple, list)):
        return tuple(xs)
    raise TypeError(f"jvp: {what} must be a tuple (one entry per argument of f), got {type(xs).__name__}")


def _check_argnums(argnums, nargs, who):
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    if not nums or any(not isinstance(i, int) for i in nums):
        raise TypeError(f"{who}: argnums must be an int or a non-empty tuple of ints, got {argnums!r}")
    for i in nums:
        if not -nargs <= i < nargs:
            raise ValueError(f"{who}: argnums {i} is out of range for a function called with {nargs} arguments")
    return tuple(i % nargs for i in nums)
