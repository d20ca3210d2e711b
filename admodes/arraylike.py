"""The ndarray-like face that `Dual` and `Tensor` share: operators, methods and NumPy's protocols.

Everything here routes to the op library, so both engines get every operator and method from one
place and neither has derivative rules of its own. NumPy code works too: ``np.sin(d)`` reaches
``__array_ufunc__`` and ``np.sum(d)`` reaches ``__array_function__``, which look the function up in
`admodes.ops.core.FUNCTIONS` by its NumPy name.

    >>> import numpy as np, admodes as ad
    >>> d = ad.Dual(np.array([0.0, 1.0]), np.ones(2))
    >>> np.sin(d).tangent            # d/dx sin(x) = cos(x), along the tangent 1
    array([1.        , 0.54030231])
"""

from __future__ import annotations

import math
from sys import getrefcount

import numpy as np

from . import temporaries
from .ops.core import FUNCTIONS, Traced, op, shape_of
from .ops.primitive import no_rule_message


def value(x):
    """The plain NumPy value inside ``x``, through every level of wrapping.

    >>> import admodes as ad
    >>> value(ad.Dual(2.0, 1.0))
    array(2.)
    """
    while isinstance(x, Traced):
        x = x._inner()
    return x


def as_array(x):
    """NumPy scalars (what NumPy returns for 0-d results) as 0-d arrays; anything else unchanged.

    >>> as_array(np.float64(2.0))
    array(2.)
    """
    return np.asarray(x) if isinstance(x, np.generic) else x


ON_VALUES = {
    np.shape, np.ndim, np.size, np.result_type, np.zeros_like, np.ones_like, np.empty_like, np.full_like,
    np.argmax, np.argmin, np.argsort, np.argwhere, np.nonzero, np.flatnonzero, np.count_nonzero,
    np.allclose, np.isclose, np.array_equal, np.any, np.all, np.isfinite, np.isnan, np.isinf,
    np.searchsorted, np.iscomplexobj, np.isrealobj, np.may_share_memory, np.shares_memory,
}
"""NumPy functions whose result carries no derivative (booleans, indices, shapes, fresh constants):
computed on the plain values, so asking for them never drops a derivative."""

BOOLEAN_UFUNCS = {
    "greater", "greater_equal", "less", "less_equal", "equal", "not_equal", "isfinite", "isnan", "isinf",
    "signbit", "logical_and", "logical_or", "logical_not", "logical_xor",
}
"""The ufuncs (by name) whose result is boolean: computed on the plain values, like `ON_VALUES`."""
_UFUNC_ALIASES = {"true_divide": "divide"}  # NumPy 1.x's name for its divide ufunc


_NO_PARAMS: dict = {}  # the params of every operator call: one shared empty dict (nothing writes into params)


def _binary(name, reflected=False):
    """The operator method applying the op library's primitive ``name`` to ``(self, other)`` (or
    ``(other, self)``), straight to the engine of the higher level: the hottest path of small-array code,
    so it skips the lookup by name and the generic dispatch (`core.lift`) that a call by name takes."""
    prim = None

    def operator(self, other):
        nonlocal prim
        if prim is None:  # bound on first use: the op library is complete only after this module loads
            prim = op(name)
        if self._donates:  # a dual: which operands only the interpreter holds (`temporaries`), read first
            if reflected:
                temporary = (False, getrefcount(self) == temporaries.REFLECTED_SELF)
            else:
                temporary = (getrefcount(self) == temporaries.SELF, getrefcount(other) == temporaries.OTHER)
            if (temporary[0] or temporary[1]) and not (isinstance(other, Traced) and other._level > self._level):
                return self._apply_donating(prim, (other, self) if reflected else (self, other), temporary)
        top = other if isinstance(other, Traced) and other._level > self._level else self
        return top._apply(prim, (other, self) if reflected else (self, other), _NO_PARAMS)

    operator.__name__ = f"__r{name}__" if reflected else f"__{name}__"
    return operator


class ArrayLike(Traced):
    """Operators, ndarray methods and NumPy protocols, for a traced value whose `_inner` is an array."""

    __slots__ = ()
    _one_value = True  # one plain value inside (False: a batch of them)
    _donates = False  # True on an engine with `_apply_donating` (forward mode's duals, `temporaries`)
    __array_priority__ = 100.0  # ndarray (op) traced -> the traced value's reflected operator wins

    # ---- what the value looks like -----------------------------------------------------------------
    # Read through the levels inside without unwrapping them to one plain value: an inner value may be
    # batched (a Tensor of a batch, inside vmap), and a batch has a shape and dtype but no single value.
    @property
    def shape(self):
        return shape_of(self._inner())

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return math.prod(self.shape)

    @property
    def dtype(self):
        inner = self._inner()
        dtype = getattr(inner, "dtype", None)
        return np.dtype(dtype) if dtype is not None else np.result_type(inner)

    def __len__(self):
        return len(self._inner())

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __bool__(self):
        return bool(self._inner())  # through each level: a batch inside refuses, naming the branch

    def __float__(self):
        raise TypeError(f"float() would drop the derivative of this {type(self).__name__}; use .item() "
                        "for the value, or keep computing with admodes ops")

    __int__ = __index__ = __complex__ = __float__

    def item(self):
        """The value as a Python scalar (explicitly leaving the derivative behind)."""
        return value(self).item()

    # ---- arithmetic --------------------------------------------------------------------------------
    __add__, __radd__ = _binary("add"), _binary("add", reflected=True)
    __sub__, __rsub__ = _binary("subtract"), _binary("subtract", reflected=True)
    __mul__, __rmul__ = _binary("multiply"), _binary("multiply", reflected=True)
    __truediv__, __rtruediv__ = _binary("divide"), _binary("divide", reflected=True)
    __pow__, __rpow__ = _binary("power"), _binary("power", reflected=True)
    __mod__, __rmod__ = _binary("mod"), _binary("mod", reflected=True)
    __matmul__, __rmatmul__ = _binary("matmul"), _binary("matmul", reflected=True)
    def __neg__(self): return op("negative")(self)
    def __pos__(self): return self
    def __abs__(self): return op("absolute")(self)

    # ---- comparisons: on values, no derivative ------------------------------------------------------
    def __lt__(self, other): return comparable(self) < comparable(other)
    def __le__(self, other): return comparable(self) <= comparable(other)
    def __gt__(self, other): return comparable(self) > comparable(other)
    def __ge__(self, other): return comparable(self) >= comparable(other)
    def __eq__(self, other): return comparable(self) == comparable(other)
    def __ne__(self, other): return comparable(self) != comparable(other)
    __hash__ = object.__hash__

    # ---- indexing ----------------------------------------------------------------------------------
    def __getitem__(self, index):
        return op("getitem")(self, index=plain_index(index))

    # ---- ndarray methods ---------------------------------------------------------------------------
    @property
    def T(self):
        return op("transpose")(self)

    @property
    def real(self):
        return op("real")(self)

    @property
    def imag(self):
        return op("imag")(self)

    def conj(self): return op("conjugate")(self)
    conjugate = conj

    def sum(self, axis=None, keepdims=False): return op("sum")(self, axis=axis, keepdims=keepdims)
    def mean(self, axis=None, keepdims=False): return op("mean")(self, axis=axis, keepdims=keepdims)
    def prod(self, axis=None, keepdims=False): return op("prod")(self, axis=axis, keepdims=keepdims)
    def max(self, axis=None, keepdims=False): return op("max")(self, axis=axis, keepdims=keepdims)
    def min(self, axis=None, keepdims=False): return op("min")(self, axis=axis, keepdims=keepdims)
    def var(self, axis=None, ddof=0, keepdims=False): return op("var")(self, axis=axis, ddof=ddof, keepdims=keepdims)
    def std(self, axis=None, ddof=0, keepdims=False): return op("std")(self, axis=axis, ddof=ddof, keepdims=keepdims)
    def cumsum(self, axis=None): return op("cumsum")(self, axis=axis)
    def cumprod(self, axis=None): return op("cumprod")(self, axis=axis)
    def dot(self, other): return op("dot")(self, other)
    def clip(self, a_min=None, a_max=None): return op("clip")(self, a_min, a_max)
    def ravel(self): return op("ravel")(self)
    def flatten(self): return op("ravel")(self)
    def squeeze(self, axis=None): return op("squeeze")(self, axis=axis)
    def swapaxes(self, axis1, axis2): return op("swapaxes")(self, axis1, axis2)

    def reshape(self, *shape):
        """``x.reshape(2, 3)`` or ``x.reshape((2, 3))``, as with ndarray."""
        return op("reshape")(self, shape[0] if len(shape) == 1 else shape)

    def transpose(self, *axes):
        """``x.transpose()``, ``x.transpose(1, 0)`` or ``x.transpose((1, 0))``, as with ndarray."""
        axes = axes[0] if len(axes) == 1 else axes or None
        return op("transpose")(self, axes)

    def astype(self, dtype):
        """A float dtype keeps the derivative (a cast is linear); an integer or bool dtype would drop it."""
        if np.dtype(dtype).kind not in "fc":
            raise TypeError(f"astype({np.dtype(dtype)}) would drop the derivative; cast the value instead "
                            "(.item(), or numpy on the plain value)")
        if np.dtype(dtype) == self.dtype:
            return self
        return op("astype")(self, dtype=np.dtype(dtype))

    # ---- NumPy's protocols -------------------------------------------------------------------------
    def __array__(self, dtype=None, copy=None):
        raise TypeError(f"NumPy tried to turn a {type(self).__name__} into a plain array, which would drop its "
                        "derivative. Build arrays of traced values with admodes.numpy.array or admodes.numpy.stack "
                        "(np.array cannot keep a derivative; for np.r_ and np.c_, admodes.numpy.r_ and "
                        "admodes.numpy.c_); use admodes.numpy (or an np function admodes "
                        "supports), or take .item()/the value explicitly.")

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        name = ufunc.__name__
        if method != "__call__" or kwargs.get("out") is not None:
            raise TypeError(f"numpy.{name}.{method}{' with out=' if kwargs.get('out') is not None else ''} "
                            "is not differentiable by admodes; call the function itself, without out=")
        if name in BOOLEAN_UFUNCS:
            return ufunc(*(comparable(x) for x in inputs), **kwargs)
        fn = FUNCTIONS.get(_UFUNC_ALIASES.get(name, name))
        if fn is None:
            raise TypeError(no_rule_message(name))
        return fn(*inputs, **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        if func in (np.shape, np.ndim, np.size) and len(args) == 1 and args[0] is self and not kwargs:
            return getattr(self, func.__name__)
        if func in ON_VALUES:
            return func(*_values(args), **{k: _values(v) for k, v in kwargs.items()})
        fn = _numpy_functions().get(func)
        if fn is None:
            raise TypeError(no_rule_message(_qualname(func)))
        return fn(*args, **kwargs)


def comparable(x):
    """``x`` unwrapped to its plain value, or to the batch inside it (a batch has no single value: comparing
    it gives a batched mask, which `Batched` computes).

    >>> import admodes as ad
    >>> comparable(ad.Dual(2.0, 1.0))
    array(2.)
    """
    while isinstance(x, Traced) and x._one_value:
        x = x._inner()
    return x


def _values(x):
    if isinstance(x, (list, tuple)):
        return type(x)(_values(v) for v in x)
    return comparable(x)


def plain_index(index):
    """An index with any traced integer arrays in it replaced by their values (indices carry no derivative).

    >>> import admodes as ad
    >>> plain_index((ad.tensor([0, 1]), slice(None)))
    (array([0, 1]), slice(None, None, None))
    """
    if isinstance(index, tuple):
        return tuple(value(i) for i in index)
    return value(index)


def _qualname(func):
    """``fft.fft`` for numpy.fft.fft, ``linalg.inv`` for numpy.linalg.inv: the public submodule, if any."""
    module = getattr(func, "__module__", None) or "numpy"
    public = [part for part in module.split(".")[1:] if not part.startswith("_")]
    return ".".join(public + [getattr(func, "__name__", repr(func))])


_NUMPY_FUNCTIONS: dict = {}


def _numpy_functions():
    """NumPy function object -> admodes function, for every published name that NumPy also has.

    Rebuilt when the op library has grown since the last call (ops register as their modules load), into a
    new table that replaces the old one whole: another thread may be reading the old one meanwhile.
    """
    global _NUMPY_FUNCTIONS
    table = _NUMPY_FUNCTIONS
    if table.get("__built_from__") != len(FUNCTIONS):
        table, published = {}, list(FUNCTIONS.items())
        for name, fn in published:
            target = np
            for part in name.split("."):
                target = getattr(target, part, None)
            if target is not None and not isinstance(target, np.ufunc):
                table[target] = fn
        table["__built_from__"] = len(published)
        _NUMPY_FUNCTIONS = table
    return table
