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

    >>> import numpy as np, admodes as ad, admodes.numpy as anp
    >>> ad.vmap(lambda x: anp.sum(x * x))(np.array([[1.0, 2.0], [3.0, 4.0]]))   # one call, two sums
    array([ 5., 25.])

The transforms built on this engine, ``vmap`` and the Jacobians in one sweep (``batched_jacfwd``,
``batched_jacrev``), are in `admodes.transforms`. Levels keep the batches of nested transforms apart, as
for duals and tensors: each batch gets a fresh level (`core.new_level`).

What does not batch: a batched value has no single plain value, so code that asks for one (``value()``,
``np.argmax``, ``if``) raises instead of misreading the stack. Shapes, dtypes and comparisons are read
through the levels without unwrapping a batch (a Tensor of a batch has the shape of one element; its
comparisons give batched masks), so every transform runs inside `vmap` (per-example gradients are
``vmap(grad(loss), in_axes=(None, 0, 0))``).
"""

from __future__ import annotations

import linecache
import os
import sys

import numpy as np

from .arraylike import BOOLEAN_UFUNCS, ON_VALUES, ArrayLike, comparable, plain_index, value
from .inputs import dtype_of
from .ops.core import FUNCTIONS, REGISTRY, Traced, defbatch, new_level, shape_of
from .ops.elementwise import broadcasting_batch_rule

__all__ = ["Batched", "batch_rule_of", "looping_batch_rule", "unbatch"]


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
    _one_value = False  # a batch: no single plain value (comparisons give batched masks)

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
        return dtype_of(self.value)

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
        raise TypeError(f"vmap: a Python branch (if/while) on a batched value{_user_line()}: its truth value "
                        "differs between batch elements, so Python control flow (if, while, and, or, not) cannot "
                        "follow it; use anp.where to choose elementwise")

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
        updated = REGISTRY["index_update"](self, new, index=plain_index(index))
        if type(updated) is not Batched or updated._level != self._level:
            raise TypeError("b[index] = value: the value is traced by a transform nested inside the batch, so "
                            "writing it into b would lose it; build a new array instead (anp.where, concatenate)")
        self.value = updated.value

    # ---- NumPy's protocols: per-element shapes, batched masks, and no silent unbatching --------------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if ufunc.__name__ in BOOLEAN_UFUNCS and method == "__call__" and not kwargs:
            return _on_values(ufunc, inputs)
        return super().__array_ufunc__(ufunc, method, *inputs, **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        if func in (np.shape, np.ndim, np.size) and len(args) == 1 and args[0] is self and not kwargs:
            return getattr(self, func.__name__)
        if func is np.result_type:
            return np.result_type(*(dtype_of(a) if isinstance(a, Traced) else a for a in args), **kwargs)
        if func in (np.zeros_like, np.ones_like, np.empty_like, np.full_like) and args[0] is self:
            one = np.broadcast_to(np.zeros((), self.dtype), self.shape)  # the same constant for every element
            return func(one, *args[1:], **kwargs)
        if func in ON_VALUES:
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



def _user_line():
    """`` at file.py:12 (`if x > 0:`)``: the first line outside admodes on the stack, where the branch is."""
    package = os.path.dirname(os.path.abspath(__file__))
    frame = sys._getframe(1)
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(package + os.sep):
        frame = frame.f_back
    if frame is None:
        return ""
    code = linecache.getline(frame.f_code.co_filename, frame.f_lineno).strip()
    where = f"{os.path.basename(frame.f_code.co_filename)}:{frame.f_lineno}"
    return f" at {where} (`{code}`)" if code else f" at {where}"


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
    inner = [_reshaped(a.value, _padded(a, rank)) if m else a for a, m in zip(operands, mine)]
    return Batched._make(_on_values(fn, inner), top)


def _reshaped(x, shape):
    """``x``'s plain value reshaped, or (a batch of a lower level inside) the batch reshaped per element."""
    x = comparable(x)
    return REGISTRY["reshape"](x, shape) if isinstance(x, Traced) else np.reshape(x, shape)


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

def unbatch(x, level, k):
    """The stacked array of ``x``, a result at batch ``level`` of size ``k``: its value if it is batched at
    that level, else (the same for every element) ``x`` broadcast along a new leading axis.

    >>> unbatch(Batched._make(np.zeros((2, 3)), 9), 9, 2).shape, unbatch(np.ones(3), 9, 2).shape
    ((2, 3), (2, 3))
    """
    if type(x) is Batched and x._level == level:
        return x.value
    if isinstance(x, Traced) and x._level > level:
        raise TypeError("the function returned a value traced by a transform it started itself; return plain "
                        "results (its .primal, .tangent or .data)")
    shape = shape_of(x)
    if isinstance(x, Traced):
        return FUNCTIONS["broadcast_to"](REGISTRY["reshape"](x, (1,) + shape), (k,) + shape)
    return np.broadcast_to(x, (k,) + shape)
