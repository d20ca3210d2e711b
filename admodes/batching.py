"""The batching engine: many tangents (or cotangents) through one sweep, JAX's vmap idea in our own code.

A `Batched` value stands for k arrays of one shape at once. It holds them stacked, the batch as axis 0,
and it looks like one array of the shape they share: ``b.shape`` leaves the batch out. A primitive that
meets a `Batched` argument at the top level hands the call to the primitive's *batch rule*
(``prim.batch_rule``, set with `core.defbatch`): ``rule(args, batched, **params)`` gets the arguments
(``batched[i]``: argument i carries the batch as axis 0) and returns the output with the batch as
axis 0, in one NumPy call where it can. The batch rules live beside each op's derivative rules:

- elementwise ops broadcast, so one generic rule serves them all (`elementwise.broadcasting_batch_rule`:
  pad each batched argument with length-1 axes after the batch axis, up to the broadcast rank);
- reductions, scans and shape ops shift their axes past the batch axis; matmul, solve and the
  decompositions map over leading axes natively; dot, inner and tensordot contract past the batch axis;
  einsum gets one more label;
- a primitive without a rule takes the slow path, `looping_batch_rule`: one call per batch element, then
  a stack. Correct, never wrong, just slow.

    >>> import numpy as np, admodes.numpy as anp
    >>> vmap(lambda x: anp.sum(x * x))(np.array([[1.0, 2.0], [3.0, 4.0]]))   # one call, two sums
    array([ 5., 25.])

Then a Jacobian takes one sweep: `batched_jacfwd` seeds a `Dual` whose tangent is the batch of all the
input's basis directions, so every JVP rule runs once on all of them; `batched_jacrev` seeds the
backward sweep with the batch of all the output's basis cotangents. ``batch_size=k`` runs k directions
per sweep instead of all of them (less memory).

Levels keep the batches of nested transforms apart, as for duals and tensors: each batch gets a fresh
level (`core.new_level`). `batched_jacfwd` makes its batch just before its dual, so the batch sits outside
the dual's perturbation (``vmap`` of ``jvp``, in JAX's terms); `batched_jacrev` makes it just before the
backward sweep, which reads only the tape's saved values. So the batched Jacobians nest with every other
transform (a Hessian is ``batched_jacfwd(batched_jacrev(f))``) and run inside `vmap`.

What does not batch: a batched value has no single plain value, so code that asks for one (``value()``,
``np.argmax``, ``if``) raises instead of misreading the stack. That includes the per-direction transforms
(`grad`, `jvp`, `jacfwd`, ...) applied inside `vmap` to a batched argument: they read their input's plain
value, and refuse clearly; use the batched Jacobians there.
"""

from __future__ import annotations

import numpy as np

from .arraylike import _BOOLEAN_UFUNCS, _ON_VALUES, ArrayLike, _plain_index, as_array, value
from .forward import Dual, _check_argnums, _float_array, _in_dtype, _own, _returned
from .ops.core import FUNCTIONS, REGISTRY, Traced, defbatch, new_level, shape_of
from .ops.elementwise import broadcasting_batch_rule
from .reverse import Tensor, _sweep

__all__ = ["Batched", "vmap", "batched_jacfwd", "batched_jacrev", "batch_rule_of", "looping_batch_rule"]


class Batched(ArrayLike):
    """k arrays of one shape, stacked along a leading batch axis, that op-library calls map over at once.

    ``shape``, ``ndim``, ``size`` and ``len`` describe one element of the batch; ``.value`` holds them all
    (batch first). Comparisons give a `Batched` of booleans; Python control flow (``if b > 0:``) cannot
    follow a batch and raises.

    >>> b = Batched(np.array([[1.0, 2.0], [3.0, 4.0]]))   # two vectors of shape (2,)
    >>> b.shape, (b * 10).value
    ((2,), array([[10., 20.],
           [30., 40.]]))
    """

    __slots__ = ("value", "_level")

    def __init__(self, stacked):
        stacked = stacked if isinstance(stacked, Traced) else np.asarray(stacked)
        if len(shape_of(stacked)) == 0:
            raise ValueError("Batched: the stacked value needs a leading batch axis; got a 0-d array")
        self.value, self._level = stacked, new_level()

    @classmethod
    def _make(cls, stacked, level):
        """The engine's constructor: no checks."""
        b = object.__new__(cls)
        b.value, b._level = stacked, level
        return b

    def _inner(self):
        # `value()` unwraps every level down to one plain array; a batch has k of them, and handing out
        # the stack where one array is expected would misalign every shape and comparison after it.
        raise TypeError("this value is batched (by vmap or a batched Jacobian) and holds one array per batch "
                        "element, so it has no single plain value: an inner transform or NumPy function asked "
                        "for one. Inside vmap, use admodes.numpy ops and the batched transforms")

    def __repr__(self):
        return f"Batched({self.value!r})"

    # ---- one element's shape -----------------------------------------------------------------------
    @property
    def shape(self):
        return shape_of(self.value)[1:]

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return int(np.prod(self.shape))

    @property
    def dtype(self):
        return _dtype(self.value)

    @property
    def batch_size(self):
        """How many arrays the batch holds."""
        return shape_of(self.value)[0]

    def __len__(self):
        if not self.shape:
            raise TypeError("len() of a 0-d batched value")
        return self.shape[0]

    # ---- no single value: comparisons are batched, control flow refuses -----------------------------
    def __bool__(self):
        raise TypeError("the truth value of a batched value differs between batch elements, so Python control "
                        "flow (if, while, and, or) cannot follow it; use anp.where to choose elementwise")

    def item(self):
        raise TypeError("item(): a batched value holds one value per batch element; take .value")

    def __lt__(self, other): return _on_values(np.less, (self, other))
    def __le__(self, other): return _on_values(np.less_equal, (self, other))
    def __gt__(self, other): return _on_values(np.greater, (self, other))
    def __ge__(self, other): return _on_values(np.greater_equal, (self, other))
    def __eq__(self, other): return _on_values(np.equal, (self, other))
    def __ne__(self, other): return _on_values(np.not_equal, (self, other))
    __hash__ = object.__hash__

    def __setitem__(self, index, new):
        """``b[index] = new`` for every batch element: a functional update of ``.value``."""
        updated = REGISTRY["index_update"](self, new, index=_plain_index(index))
        if type(updated) is not Batched or updated._level != self._level:
            raise TypeError("b[index] = value: the value is traced by a transform nested inside the batch, so "
                            "writing it into b would lose it; build a new array instead (anp.where, concatenate)")
        self.value = updated.value

    # ---- NumPy's protocols: per-element shapes, batched masks, and no silent unbatching --------------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if ufunc.__name__ in _BOOLEAN_UFUNCS and method == "__call__" and not kwargs:
            return _on_values(ufunc, inputs)
        return super().__array_ufunc__(ufunc, method, *inputs, **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        if func in (np.shape, np.ndim, np.size) and len(args) == 1 and args[0] is self and not kwargs:
            return getattr(self, func.__name__)
        if func is np.result_type:
            return np.result_type(*(_dtype(a) if isinstance(a, Traced) else a for a in args), **kwargs)
        if func in (np.zeros_like, np.ones_like, np.empty_like, np.full_like) and args[0] is self:
            one = np.broadcast_to(np.zeros((), self.dtype), self.shape)  # the same constant for every element
            return func(one, *args[1:], **kwargs)
        if func in _ON_VALUES:
            raise TypeError(f"numpy.{func.__name__} on a batched value: its result would mix the batch elements; "
                            "compute it per element outside the batched transform")
        return super().__array_function__(func, types, args, kwargs)

    # ---- the engine --------------------------------------------------------------------------------
    def _apply(self, prim, args, params):
        """Unwrap this level's batched arguments and let the primitive's batch rule map over the batch."""
        level = self._level
        inner, batched = [], []
        for a in args:
            mine = type(a) is Batched and a._level == level
            inner.append(a.value if mine else a)
            batched.append(mine)
        out = batch_rule_of(prim)(tuple(inner), tuple(batched), **params)
        return Batched._make(out, level)



def _dtype(x):
    return x.dtype if hasattr(x, "dtype") else np.result_type(x)


def _on_values(fn, operands):
    """A boolean elementwise ``fn`` (a comparison, isnan) of operands, some batched: a batched mask.

    Booleans carry no derivative, so this works on the plain values, aligned as the broadcasting batch
    rule aligns them; batches of several levels are peeled one level at a time.
    """
    levels = [a._level for a in operands if type(a) is Batched]
    if not levels:
        return fn(*(value(a) for a in operands))
    top = max(levels)
    mine = [type(a) is Batched and a._level == top for a in operands]
    rank = max(len(shape_of(a)) for a in operands)
    inner = [np.reshape(value(a.value), _padded(a, rank)) if m else a for a, m in zip(operands, mine)]
    return Batched._make(_on_values(fn, inner), top)


def _padded(b, rank):
    shape = shape_of(b.value)
    return shape[:1] + (1,) * (rank - len(shape) + 1) + shape[1:]


# ----------------------------------------------------------------------------------------------------
# Batch rules: the primitive's own, the generic one of ufuncs, or the slow loop
# ----------------------------------------------------------------------------------------------------

def batch_rule_of(prim):
    """The rule that maps `prim` over a batch axis: its own (`core.defbatch`); for a primitive whose impl
    is a NumPy ufunc defined after the op modules, the broadcasting rule (installed on first use);
    otherwise the slow loop.

    >>> from admodes.ops.core import REGISTRY
    >>> batch_rule_of(REGISTRY["sum"]) is REGISTRY["sum"].batch_rule
    True
    """
    rule = prim.batch_rule
    if rule is None:
        if isinstance(prim.impl, np.ufunc):
            rule = broadcasting_batch_rule(prim)
            defbatch(prim, rule)
        else:
            rule = looping_batch_rule(prim)
    return rule


def looping_batch_rule(prim):
    """THE SLOW PATH, for a primitive without a batch rule: one call per batch element, then a stack.

    Correct for any primitive (it is the definition of batching), and k times the Python overhead of
    one call: give a primitive that batching meets often a rule of its own with `core.defbatch`.

    >>> from admodes.ops.core import REGISTRY
    >>> looping_batch_rule(REGISTRY["sort"])((np.array([[2.0, 1.0], [0.0, 3.0]]),), (True,))
    array([[1., 2.],
           [0., 3.]])
    """
    getitem, stack = REGISTRY["getitem"], REGISTRY["stack"]

    def rule(args, batched, **params):
        k = next(shape_of(a)[0] for a, b in zip(args, batched) if b)
        outs = [prim(*((a[i] if type(a) is np.ndarray else getitem(a, index=i)) if b else a
                       for a, b in zip(args, batched)), **params)
                for i in range(k)]
        return stack(*outs, axis=0)
    return rule


# ----------------------------------------------------------------------------------------------------
# Into and out of a batch
# ----------------------------------------------------------------------------------------------------

def _unbatch(x, level, k):
    """The stacked array of ``x``, a result at batch ``level`` of size ``k``: its value if it is batched at
    that level, else (the same for every element) ``x`` broadcast along a new leading axis."""
    if type(x) is Batched and x._level == level:
        return x.value
    if isinstance(x, Traced) and x._level > level:
        raise TypeError("the function returned a value traced by a transform it started itself; return plain "
                        "results (its .primal, .tangent or .data)")
    shape = shape_of(x)
    if isinstance(x, Traced):
        return FUNCTIONS["broadcast_to"](REGISTRY["reshape"](x, (1,) + shape), (k,) + shape)
    return np.broadcast_to(x, (k,) + shape)


def vmap(f, in_axes=0):
    """``f`` mapped over an axis of its arguments, in one call: each op runs once on the whole batch.

    ``in_axes`` is the batched axis of every argument (an int), or a tuple with one entry per argument (an
    int, or None for an argument shared by all). The results are stacked along a new axis 0.

    >>> import admodes.numpy as anp
    >>> w = np.array([1.0, 10.0])
    >>> vmap(lambda x, w: anp.dot(x, w), in_axes=(0, None))(np.array([[1.0, 2.0], [3.0, 4.0]]), w)
    array([21., 43.])
    """
    def mapped(*args):
        axes = tuple(in_axes) if isinstance(in_axes, (tuple, list)) else (in_axes,) * len(args)
        if len(axes) != len(args):
            raise ValueError(f"vmap: in_axes has {len(axes)} entries for {len(args)} arguments")
        level, k, moved = new_level(), None, list(args)
        for i, (a, axis) in enumerate(zip(args, axes)):
            if axis is None:
                continue
            a = a if isinstance(a, Traced) else np.asarray(a)
            shape = shape_of(a)
            if not -len(shape) <= axis < len(shape):
                raise ValueError(f"vmap: in_axes {axis} of argument {i} is out of range for its shape {shape}")
            if k is not None and shape[axis] != k:
                raise ValueError(f"vmap: argument {i} has {shape[axis]} elements along axis {axis}, but an earlier "
                                 f"argument has {k}; batched axes must have one length")
            k = shape[axis]
            moved[i] = Batched._make(a if axis % len(shape) == 0 else REGISTRY["moveaxis"](a, axis, 0), level)
        if k is None:
            raise ValueError("vmap: no argument is batched (every in_axes entry is None)")
        if k == 0:
            raise ValueError("vmap: the batched axis has length 0")
        out = _returned(f(*moved), "vmap")
        if isinstance(out, (tuple, list)):
            raise TypeError("vmap: f must return a single array (pytrees are not supported)")
        stacked = _unbatch(out, level, k)
        return _own(stacked, args) if not isinstance(stacked, Traced) else stacked
    return mapped


# ----------------------------------------------------------------------------------------------------
# Jacobians in one sweep (or one per batch_size directions)
# ----------------------------------------------------------------------------------------------------

def _check_batch_size(batch_size, who):
    if batch_size is None:
        return None
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"{who}: batch_size must be a positive int (or None for all directions at once), "
                         f"got {batch_size!r}")
    return int(batch_size)


def _chunks(n, batch_size):
    """The ``(start, stop)`` of each sweep's directions: all ``n`` at once (none for n = 0), or ``batch_size``."""
    step = max(n, 1) if batch_size is None else batch_size
    return [(start, min(start + step, n)) for start in range(0, n, step)]


def _basis(start, stop, n, shape, dtype):
    """The unit vectors e_start, ..., e_(stop-1) of R^n, each of ``shape``, stacked."""
    basis = np.zeros((stop - start, n), dtype)
    basis[np.arange(stop - start), np.arange(start, stop)] = 1
    return basis.reshape((stop - start,) + tuple(shape))


def _join(chunks):
    if len(chunks) == 1:
        return chunks[0]
    if any(isinstance(c, Traced) for c in chunks):
        return FUNCTIONS["concatenate"](chunks, axis=0)
    return np.concatenate(chunks, axis=0)


def batched_jacfwd(f, argnums=0, batch_size=None):
    """The Jacobian of ``f`` by forward mode, all input directions pushed through one sweep at once.

    The JVP rules run on a `Batched` tangent that holds every basis direction of the input (``batch_size``
    of them per sweep, if given). Same result and layout as `jacfwd`: ``f(x).shape + x.shape``.

    >>> import admodes.numpy as anp
    >>> batched_jacfwd(lambda x: anp.sin(x) * 2.0)(np.array([0.0, 0.0]))
    array([[2., 0.],
           [0., 2.]])
    """
    batch_size = _check_batch_size(batch_size, "jacfwd")

    def jacobian(*args):
        nums = _check_argnums(argnums, len(args), "jacfwd")
        jacobians = [_forward_jacobian(f, args, i, _float_input(args[i], f"jacfwd: argument {i}"), batch_size)
                     for i in nums]
        return jacobians[0] if isinstance(argnums, int) else tuple(jacobians)
    return jacobian


def _forward_jacobian(f, args, i, x, batch_size):
    x_shape, dtype = shape_of(x), _float_dtype(x)
    n = int(np.prod(x_shape))
    if n == 0:  # no direction: no sweep; evaluate f once for the output's shape
        out = as_array(_returned(f(*args), "jacfwd"))
        return np.zeros(shape_of(out) + x_shape, dtype)
    columns = []
    for start, stop in _chunks(n, batch_size):
        batch_level = new_level()  # the batch first: it sits outside the sweep's perturbation
        moved = list(args)
        moved[i] = Dual._make(x, Batched._make(_basis(start, stop, n, x_shape, dtype), batch_level), new_level())
        out, tangent = _primal_and_tangent(_returned(f(*moved), "jacfwd"), moved[i]._level)
        if tangent is None:  # f does not depend on x
            tangent = np.zeros(shape_of(out), _float_dtype(out))
        columns.append(_unbatch(tangent, batch_level, stop - start))  # (directions,) + out's shape
    stacked, out_shape = _in_dtype(_join(columns), dtype), shape_of(out)
    if isinstance(stacked, Traced):
        return REGISTRY["reshape"](REGISTRY["moveaxis"](stacked, 0, -1), out_shape + x_shape)
    return _own(np.moveaxis(stacked, 0, -1).reshape(out_shape + x_shape), args)


def batched_jacrev(f, argnums=0, batch_size=None):
    """The Jacobian of ``f`` by reverse mode: one backward sweep whose cotangent holds all the output's
    basis cotangents at once (``batch_size`` of them per sweep, if given). Same result and layout as
    `jacrev`: ``f(x).shape + x.shape``.

    >>> import admodes.numpy as anp
    >>> batched_jacrev(lambda x: x[::-1] * 1.0)(np.array([1.0, 2.0]))
    array([[0., 1.],
           [1., 0.]])
    """
    batch_size = _check_batch_size(batch_size, "jacrev")

    def jacobian(*args):
        nums = _check_argnums(argnums, len(args), "jacrev")
        level, args, leaves = new_level(), list(args), []
        for i in nums:
            x = _float_input(args[i], f"jacrev: argument {i}")
            # A view, so that an in-place op inside f can never write into the caller's array.
            args[i] = Tensor._make(x.view() if type(x) is np.ndarray else x, level, requires_grad=True)
            leaves.append(args[i])
        out = _returned(f(*args), "jacrev")
        if isinstance(out, (tuple, list)):
            raise TypeError("jacrev: f must return a single array (pytrees are not supported)")
        ours = type(out) is Tensor and out._level == level
        out_value = out.data if ours else out
        out_shape, dtype = shape_of(out_value), _float_dtype(out_value)
        m = int(np.prod(out_shape))
        rows = [[] for _ in leaves]
        for start, stop in _chunks(m, batch_size):
            found = [None] * len(leaves)
            batch_level = new_level()
            if ours and out._requires_grad:
                seed = Batched._make(_basis(start, stop, m, out_shape, dtype), batch_level)
                found = _sweep([out], [seed], leaves, retain_graph=stop < m, create_graph=False, accumulate=False)
            for row, leaf, g in zip(rows, leaves, found):
                in_shape = shape_of(leaf.data)
                row.append(_unbatch(np.zeros(in_shape, _float_dtype(leaf.data)) if g is None else g,
                                    batch_level, stop - start))
        jacobians = []
        for leaf, row in zip(leaves, rows):
            shape = out_shape + shape_of(leaf.data)
            if not row:  # an empty output: no sweep
                jacobians.append(np.zeros(shape, _float_dtype(leaf.data)))
                continue
            stacked = _in_dtype(_join(row), _float_dtype(leaf.data))
            jacobians.append(REGISTRY["reshape"](stacked, shape) if isinstance(stacked, Traced)
                             else _own(np.reshape(stacked, shape), args))
        return jacobians[0] if isinstance(argnums, int) else tuple(jacobians)
    return jacobian


def _float_dtype(x):
    dtype = np.dtype(_dtype(x))
    return dtype if dtype.kind == "f" else np.dtype(np.float64)


def _float_input(x, what):
    """``x`` checked as a point to differentiate at: forward mode's check, or (for a traced value, which
    may be batched) its dtype read without unwrapping it."""
    if not isinstance(x, Traced):
        return _float_array(x, what)
    if np.dtype(_dtype(x)).kind != "f":
        raise TypeError(f"{what} has dtype {_dtype(x)} (shape {shape_of(x)}): a derivative needs floating-point input")
    return x


def _primal_and_tangent(out, level):
    """The primal and tangent (None: zero) at ``level`` of what f returned."""
    if isinstance(out, (tuple, list)):
        raise TypeError("f must return a single array (pytrees are not supported)")
    if isinstance(out, Traced) and out._level > level:
        raise TypeError("f returned a value traced by a transform it started itself; return its .primal or "
                        ".tangent instead")
    if type(out) is Dual and out._level == level:
        return out.primal, out._tangent
    return as_array(out), None
