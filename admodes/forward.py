"""Forward mode: dual numbers over the op library.

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

from .arraylike import ArrayLike, _plain_index, value
from .ops.core import Traced, call_impl, jvp_of, new_level, op

__all__ = ["Dual", "jvp", "jacfwd", "value_and_jacfwd"]

USER_LEVEL = 1  # the level of the duals users make themselves (Tensors made by users are level 0)


class Dual(ArrayLike):
    """A value with a tangent: ``Dual(primal, tangent)``; every op on it also pushes the tangent forward.

    The primal is a real floating-point array (Python numbers and lists become float64); the tangent has the
    primal's shape and dtype (Python numbers and lists are converted to it); ``None`` means a zero tangent.
    Operators, ndarray methods and NumPy functions (``np.sin(d)``, ``d @ w``, ``d.sum()``) all work;
    comparisons and ``if``/``while`` look at the primal only.

    >>> import numpy as np
    >>> d = Dual(np.array([1.0, 2.0]), np.array([1.0, 0.0]))
    >>> (d * d).tangent        # d(x*x) = 2 x dx
    array([2., 0.])
    >>> (3 ** d).primal, bool(d[1] > 1.5)
    (array([3., 9.]), True)
    """

    __slots__ = ("primal", "_tangent", "_level")

    def __init__(self, primal, tangent=None):
        primal = _float_array(primal, "Dual: primal")
        if tangent is not None:
            tangent = _checked_tangent(tangent, primal, "Dual: tangent", "the primal")
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
            return np.zeros(np.shape(value(self.primal)), np.result_type(value(self.primal)))
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
        updated = op("index_update")(self, new, index=_plain_index(index))
        if type(updated) is Dual and updated._level == self._level:
            self.primal, self._tangent = updated.primal, updated._tangent
        elif isinstance(updated, Traced) and updated._level > self._level:
            raise TypeError(
                "d[index] = value: the value is traced by a transform nested inside the one that made d, so "
                "writing it into d would lose its derivative; build a new array instead (anp.where, or "
                "concatenate the pieces) and return that")
        else:  # neither d nor the value carries a tangent at this level: a zero tangent
            self.primal, self._tangent = updated, None

    def _apply(self, prim, args, params):
        """Run `prim` on the primals and push the tangents of this dual's level through its JVP rules.

        This is the whole forward engine: the output tangent is computed now, from the JVP rules, and
        nothing else is kept, so the inputs' duals die as soon as the user's code drops them.
        """
        level = self._level
        if len(args) == 1:  # the common case (sin, sum, reshape, getitem, ...): the argument is self
            primal, tangent = self.primal, self._tangent
            if prim.impl_takes_traced:
                ans = prim.impl(primal, **params)
            else:  # a plain primal goes straight to the impl; one traced at a lower level dispatches again
                ans = call_impl(prim, (primal,), params) if type(primal) is np.ndarray else prim(primal, **params)
            if tangent is None or prim.zero_derivative:  # a symbolic zero: the result is a constant here
                return ans
            tangent = jvp_of(prim, (tangent,), ans, (primal,), params)
        elif len(args) == 2:  # the binary ops, unrolled
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
            primals, tangents, moving = list(args), [None] * len(args), False
            for i, a in enumerate(args):
                if type(a) is Dual and a._level == level:
                    primals[i] = a.primal
                    if a._tangent is not None:
                        tangents[i] = a._tangent
                        moving = True
            ans = prim.impl(*primals, **params) if prim.impl_takes_traced else prim(*primals, **params)
            if not moving or prim.zero_derivative:
                return ans
            tangent = jvp_of(prim, tangents, ans, primals, params)
        if tangent is None:
            return ans
        out = _new_dual(Dual)
        out.primal, out._tangent, out._level = ans, tangent, level
        return out


_new_dual = object.__new__


# ----------------------------------------------------------------------------------------------------
# Checking what users pass
# ----------------------------------------------------------------------------------------------------

def _float_array(x, what):
    """``x`` as an array (no copy) that can carry a derivative: real floating point, or a clear error."""
    if type(x) is np.ndarray and x.dtype.kind == "f":  # the common case
        return x
    if isinstance(x, Traced):  # a value of an enclosing transform
        dtype = np.result_type(value(x))
        if dtype.kind != "f":
            raise TypeError(f"{what} has dtype {dtype} (shape {x.shape}): a derivative needs floating-point input")
        return x
    arr = np.asarray(x)
    kind = arr.dtype.kind
    if kind == "f":
        return arr
    if kind == "c":
        raise TypeError(f"{what} is complex ({arr.dtype}, shape {arr.shape}); admodes differentiates real "
                        "arrays only (split it into real and imaginary parts)")
    if kind in "iu" and not isinstance(x, (np.ndarray, np.generic)):
        return arr.astype(np.float64)  # Python numbers (or lists of them): promoted, as NumPy's float default
    if kind in "iub":
        raise TypeError(f"{what} has dtype {arr.dtype} (shape {arr.shape}): a derivative needs floating-point "
                        "input; pass x.astype(float)")
    raise TypeError(f"{what} must be a real floating-point array, got {type(x).__name__} of dtype {arr.dtype}")


def _returned(out, who, name="f"):
    """What ``f`` returned, if it is one real array (a number, a traced value); else a TypeError saying what it is.

    A function that forgets to ``return`` gives None, which would otherwise become a constant and a zero
    derivative without a word. (Tuples and lists pass: each transform refuses them with its own message.)
    """
    if type(out) is np.ndarray and out.dtype.kind in "fiub" or isinstance(out, (Traced, tuple, list)):
        return out
    if out is None:
        what = "None (did it forget to `return`?)"
    elif isinstance(out, (np.ndarray, np.generic, int, float, complex)):
        dtype = np.result_type(out)
        if dtype.kind in "fiub":
            return out
        noun = "an array" if isinstance(out, np.ndarray) else "a complex value" if dtype.kind == "c" else "a value"
        what = f"{noun} of dtype {dtype} (shape {np.shape(out)})"
    else:
        what = f"a {type(out).__name__}"
    raise TypeError(f"{who}: {name} must return a real array, but it returned {what}; admodes differentiates real "
                    "arrays only")


def _checked_tangent(t, primal, what, primal_name):
    """The tangent ``t`` for ``primal``: its shape, and its dtype unless ``t`` is a Python number or list."""
    if type(primal) is np.ndarray and type(t) is np.ndarray and t.shape == primal.shape and t.dtype == primal.dtype:
        return t  # the common case, checked
    return _checked_like(t, np.shape(value(primal)), np.result_type(value(primal)), what, primal_name)


def _checked_like(t, shape, dtype, what, owner, kind="tangent", owners="its primal's"):
    """``t`` checked as a ``kind`` (tangent, or cotangent for vjp) of a value of ``shape`` and ``dtype``
    (``owner``'s): the same shape, and the same dtype unless ``t`` is a Python number or list (converted)."""
    if isinstance(t, Traced):  # a tangent that itself depends on an enclosing transform
        t_shape, t_dtype = np.shape(value(t)), np.result_type(value(t))
    else:
        from_python = not isinstance(t, (np.ndarray, np.generic))
        t = np.asarray(t)
        t_shape, t_dtype = t.shape, t.dtype
        if from_python and t.dtype.kind in "iuf":
            t, t_dtype = t.astype(dtype, copy=False), dtype
    if t_shape != shape:
        raise ValueError(f"{what} has shape {t_shape} but {owner} has shape {shape}: a {kind} has {owners} "
                         "shape and dtype")
    if t_dtype != dtype:
        fix = f"pass the {kind} as .astype(np.{dtype})" if t_dtype.kind in "iufb" else f"use a real float {kind}"
        raise TypeError(f"{what} has dtype {t_dtype} but {owner} has dtype {dtype} (shape {shape}): a "
                        f"{kind} has {owners} dtype; {fix}")
    return t


# ----------------------------------------------------------------------------------------------------
# Transforms
# ----------------------------------------------------------------------------------------------------

def jvp(f, primals, tangents):
    """Evaluate ``f(*primals)`` and its directional derivative along ``tangents``, in one forward sweep.

    ``primals`` and ``tangents`` are tuples, one entry per argument of ``f``; each tangent has its
    primal's shape and dtype. Returns ``(f(*primals), J @ tangents)``, fresh arrays (never one of the
    inputs). The input arrays are not modified.

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
        duals.append(Dual._make(p, _checked_tangent(t, p, f"jvp: tangent {i}", f"primal {i}"), level))
    return _split(_returned(f(*duals), "jvp"), level, (*primals, *tangents))


def jacfwd(f, argnums=0, *, batch=False):
    """The Jacobian of ``f`` by forward mode: one sweep per input direction (column by column).

    The result has JAX's layout, ``f(x).shape + x.shape``; with a tuple ``argnums``, a tuple of them.
    Building it costs ``x.size`` forward sweeps, each about 1-3 evaluations of ``f``: the textbook cost.
    ``batch=True`` pushes all directions through one batched sweep instead (``batch=k``: k at a time),
    with the batching engine (`admodes.batching`).

    >>> import numpy as np
    >>> jacfwd(lambda x: x ** 2)(np.array([1.0, 2.0]))
    array([[2., 0.],
           [0., 4.]])
    >>> jacfwd(lambda x: x ** 2, batch=True)(np.array([1.0, 2.0]))
    array([[2., 0.],
           [0., 4.]])
    """
    if batch:
        from .batching import batched_jacfwd  # the batching engine builds on this module
        return batched_jacfwd(f, argnums, None if batch is True else batch)

    def jacobian(*args):
        return value_and_jacfwd(f, argnums)(*args)[1]
    return jacobian


def value_and_jacfwd(f, argnums=0, *, who="jacfwd"):
    """Like `jacfwd`, but returns ``(f(*args), jacobian)``; the value comes from the sweeps themselves.

    >>> import numpy as np
    >>> value_and_jacfwd(lambda x, y: x * y, argnums=(0, 1))(np.array(2.0), np.array(5.0))
    (array(10.), (array(5.), array(2.)))
    """
    def value_and_jacobian(*args):
        nums = _check_argnums(argnums, len(args), who)
        points = {i: _float_array(args[i], f"{who}: argument {i}") for i in nums}
        out, jacobians = _NOT_YET, []
        for i in nums:
            out, jac = _sweep_columns(f, args, i, points[i], out, who)
            jacobians.append(None if jac is None else _in_dtype(jac, _float_dtype(points[i])))
        if out is _NOT_YET:  # every argument is empty: no sweep ran, so evaluate f once for its value
            out = _split(_returned(f(*args), who), None, args)[0]
        if any(j is None for j in jacobians):  # the empty arguments' Jacobians, now that out's shape is known
            jacobians = [np.zeros(np.shape(value(out)) + np.shape(value(points[i])), _float_dtype(points[i]))
                         if j is None else j for i, j in zip(nums, jacobians)]
        return out, (jacobians[0] if isinstance(argnums, int) else tuple(jacobians))
    return value_and_jacobian


_NOT_YET = object()


def _sweep_columns(f, args, i, x, out, who):
    """The Jacobian of ``f`` with respect to argument ``i`` (at ``x``), one forward sweep per element.

    Plain columns are written straight into the result; columns still traced by an enclosing transform
    (``jacfwd`` inside ``jvp``, forward over forward) are stacked with the differentiable ``stack``.
    """
    x_shape = np.shape(value(x))
    x_dtype = np.result_type(value(x))
    size = int(np.prod(x_shape))
    jac, traced = None, None
    for k in range(size):  # the textbook cost: one forward sweep per input direction
        direction = np.zeros(size, x_dtype)
        direction[k] = 1.0
        moved = list(args)
        level = new_level()
        moved[i] = Dual._make(x, direction.reshape(x_shape), level)
        out, column = _split(_returned(f(*moved), who), level, args)
        if traced is None and isinstance(column, Traced):
            traced = [jac[..., j] for j in range(k)] if jac is not None else []
        if traced is not None:
            traced.append(column)
            continue
        if jac is None:
            jac = np.empty(np.shape(column) + (size,), np.result_type(column))
        jac[..., k] = column
    if size == 0:
        return out, None
    out_shape = np.shape(value(out))
    if traced is not None:
        return out, op("reshape")(op("stack")(traced, axis=-1), out_shape + x_shape)
    return out, jac.reshape(out_shape + x_shape)


def _split(out, level, inputs):
    """The primal and tangent of ``f``'s output at ``level`` (a zero tangent if it does not depend on it).

    Both are returned as arrays of their own: an output that is (a view of) one of the caller's arrays
    (``f = lambda x: x``, or an add whose tangent rule passes ``t`` through) is copied, so that writing
    into a result can never change an input.
    """
    if isinstance(out, (tuple, list)):
        raise TypeError("f must return a single array (pytrees are not supported); return one array, "
                        "or differentiate each output separately")
    if isinstance(out, Traced) and level is not None and out._level > level:
        raise TypeError("f returned a value traced by a transform it started itself (a Dual made inside f, or "
                        "an unfinished inner jvp); return its .primal or .tangent instead")
    if type(out) is Dual and out._level == level:
        primal, tangent = out.primal, out._tangent
        if tangent is None:
            tangent = np.zeros(np.shape(value(primal)), _float_dtype(primal))
    else:
        primal, tangent = out, np.zeros(np.shape(value(out)), _float_dtype(out))
    return _own(primal, inputs), _own(tangent, inputs)


def _own(x, inputs):
    """``x`` as an array the caller may keep and modify: NumPy scalars become 0-d arrays, and a read-only
    view (a broadcast) or an array sharing memory with an input is copied."""
    if isinstance(x, Traced):
        return x
    if type(x) is not np.ndarray:
        return np.asarray(x)
    if not x.flags.writeable or any(type(a) is np.ndarray and np.may_share_memory(x, a) for a in inputs):
        return x.copy()
    return x


def _float_dtype(x):
    dtype = np.result_type(value(x))
    return dtype if dtype.kind == "f" else np.dtype(np.float64)


def _in_dtype(derivative, dtype):
    """A derivative with respect to an input of ``dtype``, in that dtype: as in JAX, the gradient of a float32
    input is float32 even where f mixed in float64 constants (its output, and the sweep, were float64)."""
    return derivative if derivative.dtype == dtype else derivative.astype(dtype)


def _as_tuple(xs, what):
    if isinstance(xs, (tuple, list)):
        return tuple(xs)
    raise TypeError(f"jvp: {what} must be a tuple with one entry per argument of f, got {type(xs).__name__} "
                    f"(for one argument write ({what[:-1]},))")


def _check_argnums(argnums, nargs, who):
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums) if isinstance(argnums, (tuple, list)) else ()
    if not nums or any(not isinstance(i, int) or isinstance(i, bool) for i in nums):
        raise TypeError(f"{who}: argnums must be an int or a non-empty tuple of ints, got {argnums!r}")
    for i in nums:
        if not -nargs <= i < nargs:
            raise ValueError(f"{who}: argnums {i} is out of range for a function called with {nargs} arguments")
    nums = tuple(i % nargs for i in nums)
    twice = sorted({i for i in nums if nums.count(i) > 1})
    if twice:  # (PyTorch's torch.func refuses them too: one leaf per argument, one derivative per leaf)
        raise ValueError(f"{who}: argnums {argnums!r} names argument {twice[0]} more than once; list each "
                         "argument once (and reuse its derivative)")
    return nums
