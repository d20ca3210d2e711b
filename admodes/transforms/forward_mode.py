"""Forward-mode transforms: `jvp`, and `jacfwd` (all input directions in batched sweeps, or one sweep per
direction).

    >>> import numpy as np
    >>> jacfwd(lambda x: x ** 2)(np.array([1.0, 2.0]))
    array([[2., 0.],
           [0., 4.]])
"""

from __future__ import annotations

import numpy as np

from ..forward import Dual
from ..inputs import (
    as_tuple,
    check_argnums,
    check_holomorphic,
    check_holomorphic_output,
    checked_tangent,
    dtype_of,
    float_dtype,
    float_input,
    in_dtype,
)
from ..ops.core import Traced, new_level, op, shape_of
from .batched import batched_jacfwd, batched_or_per_direction, chunk_of
from .outputs import own, primal_and_tangent

__all__ = ["jvp", "jacfwd", "value_and_jacfwd"]


def jvp(f, primals, tangents):
    """Evaluate ``f(*primals)`` and its directional derivative along ``tangents``, in one forward sweep.

    ``primals`` and ``tangents`` are tuples, one entry per argument of ``f``; each tangent has its
    primal's shape and dtype. Returns ``(f(*primals), J @ tangents)``, fresh arrays (never one of the
    inputs). The input arrays are not modified.

    >>> import numpy as np
    >>> jvp(lambda x, y: x * y, (np.array(3.0), np.array(4.0)), (np.array(1.0), np.array(0.0)))
    (array(12.), array(4.))
    """
    primals, tangents = as_tuple(primals, "primals"), as_tuple(tangents, "tangents")
    if len(primals) != len(tangents):
        raise ValueError(f"jvp: {len(primals)} primals but {len(tangents)} tangents; give one tangent per primal")
    level = new_level()
    duals = []
    for i, (p, t) in enumerate(zip(primals, tangents)):
        p = float_input(p, f"jvp: primal {i}", complex_ok=True)
        duals.append(Dual._make(p, checked_tangent(t, p, f"jvp: tangent {i}", f"primal {i}"), level))
    return _split(f(*duals), level, (*primals, *tangents), "jvp")


def jacfwd(f, argnums=0, *, holomorphic=False, batch=True, chunk_size=None):
    """The Jacobian of ``f`` by forward mode, column by column: the tangents of all input directions pushed
    through one batched sweep (`batched_jacfwd`), ``chunk_size`` directions at a time.

    The result has JAX's layout, ``f(x).shape + x.shape``; with a tuple ``argnums``, a tuple of them.
    ``chunk_size=None`` sizes the chunks to a memory budget (`automatic_chunk_size`: all directions at once
    unless the Jacobian is large), as ``torch.func.jacfwd``'s ``chunk_size`` (``batch=k`` is another
    spelling of ``chunk_size=k``). ``batch=False`` runs one forward sweep per input direction instead,
    ``x.size`` sweeps of about 1-3 evaluations of ``f`` each: the textbook cost. Where ``f`` reads the plain
    value of a tangent (a custom `Function` whose jvp calls NumPy), the batched sweep cannot follow and
    the per-direction sweeps run instead, with their results and errors. As JAX's, it refuses complex inputs
    unless ``holomorphic=True``: then inputs and outputs are complex and the Jacobian is f'(z) (swept one
    direction at a time).

    >>> import numpy as np
    >>> jacfwd(lambda x: x ** 2)(np.array([1.0, 2.0]))
    array([[2., 0.],
           [0., 4.]])
    >>> jacfwd(lambda x: x ** 2, batch=False)(np.array([1.0, 2.0]))
    array([[2., 0.],
           [0., 4.]])
    """
    if batch is False:
        if chunk_size is not None:
            raise ValueError(f"jacfwd: chunk_size={chunk_size!r} needs batch=True (batch=False: one sweep per "
                             "direction)")

        def jacobian(*args):
            return value_and_jacfwd(f, argnums, holomorphic=holomorphic)(*args)[1]
        return jacobian
    if holomorphic:
        return jacfwd(f, argnums, holomorphic=True, batch=False)
    per_direction = jacfwd(f, argnums, batch=False)
    return batched_or_per_direction(batched_jacfwd(f, argnums, chunk_of(batch, chunk_size, "jacfwd")), per_direction)


def value_and_jacfwd(f, argnums=0, *, who="jacfwd", holomorphic=False):
    """Like `jacfwd`, but returns ``(f(*args), jacobian)``; the value comes from the sweeps themselves.

    >>> import numpy as np
    >>> value_and_jacfwd(lambda x, y: x * y, argnums=(0, 1))(np.array(2.0), np.array(5.0))
    (array(10.), (array(5.), array(2.)))
    """
    def value_and_jacobian(*args):
        nums = check_argnums(argnums, len(args), who)
        points = {i: check_holomorphic(args[i], f"argument {i}", who, holomorphic, complex_ok=False) for i in nums}
        out, jacobians = _NOT_YET, []
        for i in nums:
            out, jac = _sweep_columns(f, args, i, points[i], out, who)
            jacobians.append(None if jac is None else in_dtype(jac, float_dtype(points[i])))
        if out is _NOT_YET:  # every argument is empty: no sweep ran, so evaluate f once for its value
            out = _split(f(*args), None, args, who)[0]
        if holomorphic:
            check_holomorphic_output(out, who, holomorphic)
        if any(j is None for j in jacobians):  # the empty arguments' Jacobians, now that out's shape is known
            jacobians = [np.zeros(shape_of(out) + shape_of(points[i]), float_dtype(points[i]))
                         if j is None else j for i, j in zip(nums, jacobians)]
        return out, (jacobians[0] if isinstance(argnums, int) else tuple(jacobians))
    return value_and_jacobian


_NOT_YET = object()


def _sweep_columns(f, args, i, x, out, who):
    """The Jacobian of ``f`` with respect to argument ``i`` (at ``x``), one forward sweep per element.

    Plain columns are written straight into the result; columns still traced by an enclosing transform
    (``jacfwd`` inside ``jvp``, forward over forward) are stacked with the differentiable ``stack``.
    """
    x_shape = shape_of(x)
    x_dtype = dtype_of(x)
    size = int(np.prod(x_shape))
    jac, traced = None, None
    for k in range(size):  # the textbook cost: one forward sweep per input direction
        direction = np.zeros(size, x_dtype)
        direction[k] = 1.0
        moved = list(args)
        level = new_level()
        moved[i] = Dual._make(x, direction.reshape(x_shape), level)
        out, column = _split(f(*moved), level, args, who)
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
    out_shape = shape_of(out)
    if traced is not None:
        return out, op("reshape")(op("stack")(traced, axis=-1), out_shape + x_shape)
    return out, jac.reshape(out_shape + x_shape)


def _split(out, level, inputs, who):
    """The primal and tangent of ``f``'s output at ``level`` (a zero tangent if it does not depend on it).

    Both are returned as arrays of their own: an output that is (a view of) one of the caller's arrays
    (``f = lambda x: x``, or an add whose tangent rule passes ``t`` through) is copied, so that writing
    into a result can never change an input.
    """
    primal, tangent = primal_and_tangent(out, level, who)
    if tangent is None:
        tangent = np.zeros(shape_of(primal), float_dtype(primal))
    return own(primal, inputs), own(tangent, inputs)
