"""The methods PyTorch users type on a `Tensor`: ``x.exp()``, ``x.sum(dim=1, keepdim=True)``, ``x.size(0)``,
``x.view(2, -1)``, ``x.add_(1)``, ``x.register_hook(fn)``, ...

Every public function of `admodes.numpy` that PyTorch also has as a Tensor method becomes one, generated
from the op library's registry (`TORCH_NAMES` says where PyTorch's name differs: ``arccos`` is ``acos``,
``expand_dims`` is ``unsqueeze``); the methods whose meaning differs from NumPy's function (``max`` with a
``dim`` returns values and indices, ``transpose(0, 2)`` swaps two axes, ``repeat`` tiles) are written here.
Keywords go through `admodes.torch_keywords` once: ``dim``/``keepdim`` or NumPy's ``axis``/``keepdims``.

    >>> import admodes as ad
    >>> x = ad.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> y = x.exp().sum(dim=1, keepdim=True)
    >>> y.size(), x.size(0), x.numel(), x.dim()
    ((2, 1), 2, 4, 2)
    >>> x.max(dim=1)
    max(values=Tensor([2., 4.], grad_fn=<SqueezeBackward>), indices=Tensor([1, 1]))
"""

from __future__ import annotations

import collections
import math
import warnings

import numpy as np

from .arraylike import value
from .ops.core import FUNCTIONS, op
from .tensor_hooks import register_hook
from .torch_keywords import check_device, numpy_keywords, refuse_unsupported

# NumPy's name (a key of admodes.numpy) -> PyTorch's method names, where PyTorch's differ or add aliases.
TORCH_NAMES = {
    "absolute": ("abs", "absolute"), "abs": ("abs",), "negative": ("neg", "negative"),
    "subtract": ("sub", "subtract"), "multiply": ("mul", "multiply"), "divide": ("div", "divide", "true_divide"),
    "power": ("pow",), "arccos": ("acos", "arccos"), "arccosh": ("acosh", "arccosh"),
    "arcsin": ("asin", "arcsin"), "arcsinh": ("asinh", "arcsinh"), "arctan": ("atan", "arctan"),
    "arctanh": ("atanh", "arctanh"), "arctan2": ("atan2", "arctan2"), "expand_dims": ("unsqueeze",),
    "clip": ("clamp", "clip"), "swapaxes": ("swapaxes", "swapdims"), "moveaxis": ("moveaxis", "movedim"),
    "repeat": ("repeat_interleave",), "array_split": ("tensor_split",), "linalg.det": ("det",),
    "linalg.inv": ("inverse",), "linalg.cholesky": ("cholesky",), "linalg.slogdet": ("slogdet",),
    "linalg.norm": ("norm",),
}

# torch.Tensor's methods of the kinds the op library could have (math, reductions, shapes, linear algebra):
# a NumPy function whose PyTorch name is here becomes a method, so an op added to the library gets its method.
TORCH_TENSOR_METHODS = frozenset("""
abs absolute acos acosh add addmm all amax amin aminmax angle any arccos arccosh arcsin arcsinh arctan arctan2
arctanh argmax argmin argsort asin asinh atan atan2 atanh bmm broadcast_to ceil cholesky chunk clamp clip
copysign cos cosh count_nonzero cross cummax cummin cumprod cumsum deg2rad det diag diag_embed diagonal diff
digamma dist div divide dot erf erfc erfinv exp exp2 expm1 fix flatten flip fliplr flipud float_power floor
floor_divide fmax fmin fmod frac gather heaviside hypot i0 inner inverse kron lerp lgamma log log10 log1p log2
logaddexp logaddexp2 logcumsumexp logdet logit logsumexp matmul matrix_exp matrix_power max maximum mean median
min minimum moveaxis movedim msort mul multiply mv nan_to_num nanmean nanmedian nanquantile nansum narrow neg
negative norm outer permute pinverse pow prod quantile rad2deg ravel reciprocal relu remainder repeat
repeat_interleave reshape roll rot90 round rsqrt sgn sigmoid sign sin sinc sinh slogdet softmax sort sqrt square
squeeze std sub subtract sum swapaxes swapdims t take take_along_dim tan tanh tensor_split tile trace transpose
tril triu true_divide trunc unbind unflatten unsqueeze var view where xlogy
""".split())

# PyTorch's keyword -> NumPy's, per op (beyond dim/keepdim, which every op shares).
_RENAMES = {
    "tril": {"diagonal": "k"}, "triu": {"diagonal": "k"}, "diag": {"diagonal": "k"},
    "flip": {"dims": "axis"}, "tile": {"dims": "reps"}, "linalg.norm": {"p": "ord"}, "take": {"index": "indices"},
    "broadcast_to": {"size": "shape"}, "std": {"correction": "ddof"}, "var": {"correction": "ddof"},
    "swapaxes": {"dim0": "axis1", "dim1": "axis2", "axis0": "axis1"},
}
# Keywords PyTorch names that are the op's second operand: passed on by position.
_OPERAND_KEYWORDS = ("other", "exponent", "values")

MinMax = collections.namedtuple("max", ["values", "indices"])  # like torch.return_types.max (and .min, .sort)


class SizeOf(int):
    """``x.size``: the number of elements (NumPy's attribute) that is also PyTorch's method, ``x.size()`` (the
    shape) and ``x.size(d)`` (one dimension).

    >>> s = SizeOf((2, 3))
    >>> s, s(), s(-1)
    (6, (2, 3), 3)
    """

    def __new__(cls, shape):
        self = super().__new__(cls, math.prod(shape))
        self.shape = tuple(shape)
        return self

    def __call__(self, dim=None):
        if dim is None:
            return self.shape
        return self.shape[checked_dim("size", dim, len(self.shape))]


def checked_dim(who, dim, ndim):
    """``dim`` as an index in ``range(ndim)`` (negative ones count from the end), or PyTorch's error.

    >>> checked_dim("sum", -1, 2)
    1
    >>> checked_dim("sum", 2, 2)
    Traceback (most recent call last):
    ...
    IndexError: sum(): Dimension out of range (expected to be in range of [-2, 1], but got 2)
    """
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{who}(): argument 'dim' must be int, not {type(dim).__name__}")
    n = max(ndim, 1)  # (a 0-d tensor takes dim 0 and -1, as in PyTorch)
    if not -n <= dim < n:
        raise IndexError(f"{who}(): Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return int(dim) % n


def _method(torch_name, numpy_name, fn):
    """The Tensor method ``torch_name``: ``fn(self, *args, **kwargs)`` with PyTorch's keywords translated."""
    renames = _RENAMES.get(numpy_name)

    def method(self, *args, **kwargs):
        if not kwargs:  # (the common call, x.exp() or x.sum(1): nothing to translate)
            return fn(self, *args)
        for key in _OPERAND_KEYWORDS:
            if key in kwargs:
                args = (kwargs.pop(key), *args)
        if "unbiased" in kwargs:  # std/var: PyTorch's older spelling of correction=1
            kwargs["ddof"] = int(kwargs.pop("unbiased"))
        if "alpha" in kwargs and numpy_name in ("add", "subtract"):  # x.add(y, alpha=a) is x + a * y
            args = (args[0] * kwargs.pop("alpha"), *args[1:])
        kwargs = numpy_keywords(torch_name, kwargs, renames)
        x = self if kwargs.get("dtype") is None else self.to(kwargs.pop("dtype"))
        kwargs.pop("dtype", None)
        return fn(x, *args, **kwargs)

    method.__name__ = method.__qualname__ = torch_name
    method.__doc__ = f"``x.{torch_name}(...)`` is ``admodes.numpy.{numpy_name}(x, ...)`` (PyTorch's keywords too)."
    return method


def _order_result(name, x, dim, keepdim, descending=False):
    """The (values, indices) pair of torch's max/min/sort along ``dim``; the indices carry no derivative."""
    data = value(x)
    dim = checked_dim(name, dim, np.ndim(data))
    if np.ndim(data) == 0:
        return MinMax(x, type(x)._make(np.asarray(0), x._level))
    if name != "sort" and np.shape(data)[dim] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {dim} to have non-zero size.")
    if name == "sort":
        idx = np.argsort(data, axis=dim, kind="stable")
        if descending:
            idx = np.flip(idx, axis=dim)
    else:
        idx = (np.argmax if name == "max" else np.argmin)(data, axis=dim, keepdims=True)
    grid = list(np.ix_(*(np.arange(n) for n in idx.shape)))  # take_along_axis, as an index the tape records
    grid[dim % data.ndim] = idx
    values = x[tuple(grid)]
    if name != "sort" and not keepdim:
        values, idx = values.squeeze(axis=dim), np.squeeze(idx, axis=dim)
    return MinMax(values, type(x)._make(idx, x._level))


def _compare(ufunc):
    def compare(self, other):
        return type(self)._make(np.asarray(ufunc(value(self), value(other))), self._level)
    compare.__name__ = f"__{ufunc.__name__}__"
    compare.__doc__ = f"A Tensor of bools (numpy.{ufunc.__name__} of the values): it carries no gradient."
    return compare


class TorchMethods:
    """The PyTorch-style methods of `Tensor` (a base class of it, before `ArrayLike`)."""

    __slots__ = ()

    # ---- what the tensor looks like ----------------------------------------------------------------
    @property
    def size(self):
        """The number of elements, which is also callable: ``x.size()`` the shape, ``x.size(d)`` one dimension."""
        return SizeOf(np.shape(value(self)))

    def numel(self):
        """The number of elements."""
        return int(np.size(value(self)))

    nelement = numel

    def dim(self):
        """The number of dimensions."""
        return np.ndim(value(self))

    ndimension = dim

    @property
    def device(self):
        """Always ``'cpu'``: admodes runs on NumPy."""
        return "cpu"

    is_cuda = False

    def is_floating_point(self):
        return np.result_type(value(self)).kind == "f"

    def __array__(self, dtype=None, copy=None):
        """``np.asarray(x)`` of a tensor that requires no grad (and holds a plain array): its values, as PyTorch
        allows; a tensor that requires grad refuses, since the derivative would be lost."""
        if self._requires_grad or type(self.data) is not np.ndarray:
            return super().__array__(dtype, copy)
        return np.array(self.data, dtype=dtype, copy=copy is not False)  # (a copy: writing into it is safe)

    def tolist(self):
        """The values as (nested) Python lists: no derivative."""
        return np.asarray(value(self)).tolist()

    def cpu(self):
        return self

    def contiguous(self, memory_format=None):
        refuse_unsupported("contiguous", {"memory_format": memory_format})
        return self

    def cuda(self, *args, **kwargs):
        check_device("cuda", "cuda")

    # ---- the gradient ------------------------------------------------------------------------------
    @property
    def grad(self):
        """The gradient accumulated by ``backward()`` (leaves, and non-leaves that called `retain_grad`)."""
        if self.grad_fn is not None and not self.retains_grad:
            warnings.warn("The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
                          "attribute won't be populated during backward(). If you indeed want the .grad field to "
                          "be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If you "
                          "access the non-leaf Tensor by mistake, make sure you access the leaf Tensor instead.",
                          UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, new):
        if new is not None and not isinstance(new, (TorchMethods, np.ndarray)):
            raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type {type(new).__name__}")
        if new is not None and np.shape(value(new)) != np.shape(value(self)):
            raise RuntimeError(f"assigned grad has shape {np.shape(value(new))}, different from the tensor's "
                               f"shape {np.shape(value(self))}")
        if new is not None and np.result_type(value(new)) != np.result_type(value(self)):
            raise RuntimeError(f"assigned grad has data of a different type ({np.result_type(value(new))}; the tensor "
                               f"is {np.result_type(value(self))})")
        self._grad = new

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed; a returned tensor replaces the gradient.

        Returns a handle whose ``remove()`` unregisters the hook (PyTorch's semantics, leaves and non-leaves).

        >>> import admodes as ad
        >>> x = ad.tensor([1.0, 2.0], requires_grad=True)
        >>> handle = x.register_hook(lambda g: g * 10)
        >>> (x * x).sum().backward(); x.grad
        Tensor([20., 40.])
        """
        return register_hook(self, hook)

    # ---- copies, dtypes ----------------------------------------------------------------------------
    def clone(self, memory_format=None):
        """A copy in the graph (gradients flow back to this tensor)."""
        refuse_unsupported("clone", {"memory_format": memory_format})
        return op("astype")(self, dtype=np.result_type(value(self)))

    def to(self, *args, **kwargs):
        """``x.to(dtype)``, ``x.to('cpu')``, ``x.to(other_tensor)``; a float dtype keeps the derivative."""
        kwargs = refuse_unsupported("to", kwargs)
        dtype, copy = kwargs.pop("dtype", None), kwargs.pop("copy", False)
        if kwargs:
            raise TypeError(f"to() got unexpected keywords {sorted(kwargs)}")
        for arg in args:
            if isinstance(arg, TorchMethods):
                dtype = np.result_type(value(arg))
            elif isinstance(arg, str) and arg.split(":")[0] in ("cpu", "cuda", "mps", "meta", "xpu"):
                check_device("to", arg)
            else:
                dtype = arg
        if dtype is None or np.dtype(dtype) == np.result_type(value(self)):
            return self.clone() if copy else self
        if np.dtype(dtype).kind == "f":
            return op("astype")(self, dtype=np.dtype(dtype))
        # an integer or bool tensor carries no gradient (PyTorch's rule): the values, cast
        return type(self)._make(np.asarray(value(self)).astype(dtype), self._level)

    def double(self): return self.to(np.float64)
    def half(self): return self.to(np.float16)
    def long(self): return self.to(np.int64)

    def type_as(self, other):
        return self.to(np.asarray(value(other)).dtype)

    # ---- shapes ------------------------------------------------------------------------------------
    def t(self):
        """The transpose of a tensor of at most 2 dimensions."""
        if np.ndim(value(self)) > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but this one has "
                               f"{np.ndim(value(self))}; use transpose(dim0, dim1) or permute")
        return op("transpose")(self)

    def reshape(self, *shape):
        """``x.reshape(2, 3)`` or ``x.reshape((2, 3))`` (-1: the rest)."""
        return op("reshape")(self, shape[0] if len(shape) == 1 else shape)

    def view(self, *shape):
        """The tensor reshaped (a copy in admodes: NumPy arrays have no autograd views, see the docs)."""
        if len(shape) == 1 and not isinstance(shape[0], (int, tuple, list, np.integer)):
            raise TypeError("view(dtype) reinterprets memory, which admodes does not do; use .to(dtype)")
        return self.reshape(*shape)

    def view_as(self, other): return self.reshape(np.shape(value(other)))
    def reshape_as(self, other): return self.reshape(np.shape(value(other)))
    def expand_as(self, other): return self.expand(np.shape(value(other)))

    def expand(self, *sizes):
        """Broadcast to ``sizes`` (-1 keeps a dimension), as torch's expand."""
        sizes = tuple(sizes[0]) if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else sizes
        shape = np.shape(value(self))
        lead = len(sizes) - len(shape)
        if lead < 0:  # (PyTorch's words, here and below)
            raise RuntimeError(f"expand(): the number of sizes provided ({len(sizes)}) must be greater or equal to "
                               f"the number of dimensions in the tensor ({len(shape)})")
        for k, s in enumerate(sizes):
            if s == -1 and k < lead:
                raise RuntimeError(f"expand(): the expanded size of the tensor (-1) isn't allowed in a leading, "
                                   f"non-existing dimension {k}")
            if k >= lead and s != -1 and shape[k - lead] not in (1, s):
                raise RuntimeError(f"expand(): the expanded size of the tensor ({s}) must match the existing size "
                                   f"({shape[k - lead]}) at non-singleton dimension {k}.  Target sizes: "
                                   f"{list(sizes)}.  Tensor sizes: {list(shape)}")
        full = tuple(shape[k - lead] if s == -1 else s for k, s in enumerate(sizes))
        return op("broadcast_to")(self, full)

    def flatten(self, start_dim=0, end_dim=-1):
        """Dimensions ``start_dim`` to ``end_dim`` merged into one (all of them by default)."""
        shape = np.shape(value(self))
        start, end = checked_dim("flatten", start_dim, len(shape)), checked_dim("flatten", end_dim, len(shape))
        if start > end:
            raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
        if not shape:
            return self.reshape(1)
        return self.reshape(shape[:start] + (math.prod(shape[start:end + 1]),) + shape[end + 1:])

    def permute(self, *dims):
        dims = tuple(dims[0]) if len(dims) == 1 and isinstance(dims[0], (tuple, list)) else dims
        return op("transpose")(self, dims)

    def transpose(self, *dims, **kwargs):
        """``x.transpose(0, 2)`` swaps two dimensions (PyTorch); ``x.transpose()`` or a full permutation
        ``x.transpose(2, 0, 1)`` permutes them (NumPy). The two agree on 2-D tensors."""
        kwargs = numpy_keywords("transpose", kwargs, {"dim0": "axis1", "dim1": "axis2"})
        if kwargs:
            return op("swapaxes")(self, *dims, **kwargs)
        if len(dims) == 2 and all(isinstance(d, (int, np.integer)) for d in dims):
            ndim = np.ndim(value(self))
            return op("swapaxes")(self, *(checked_dim("transpose", d, ndim) if ndim else d for d in dims))
        dims = dims[0] if len(dims) == 1 else dims or None
        return op("transpose")(self, dims)

    def repeat(self, *sizes):
        """Tile the tensor ``sizes`` times along each dimension (torch's repeat is NumPy's tile)."""
        sizes = tuple(sizes[0]) if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else sizes
        if len(sizes) < np.ndim(value(self)):  # (np.tile would pad them with ones: PyTorch refuses)
            raise RuntimeError("repeat(): Number of dimensions of repeat dims can not be smaller than number of "
                               f"dimensions of tensor ({len(sizes)} < {np.ndim(value(self))})")
        return op("tile")(self, sizes)

    def split(self, split_size_or_sections, dim=0):
        """Pieces of ``split_size_or_sections`` elements along ``dim`` (an int: equal pieces, the last smaller;
        a list: the size of each), as torch's split (NumPy's split takes the number of pieces)."""
        dim = checked_dim("split", dim, np.ndim(value(self)))
        n = np.shape(value(self))[dim]
        size = split_size_or_sections
        if isinstance(size, (int, np.integer)) and not isinstance(size, bool):  # (PyTorch's words)
            if size < 0:
                raise RuntimeError(f"split expects split_size be non-negative, but got split_size={size}")
            if size == 0:
                if n:
                    raise RuntimeError("split_size can only be 0 if dimension size is 0, but got dimension size "
                                       f"of {n}")
                return (self,)
            sizes = [size] * (n // size) + ([n % size] if n % size else [])
        else:
            sizes = list(size) if isinstance(size, (tuple, list)) else None
            if sizes is None or any(isinstance(s, bool) or not isinstance(s, (int, np.integer)) for s in sizes):
                raise TypeError(f"split(): argument 'split_size_or_sections' must be an int or a list of ints, "
                                f"got {size!r}")
            if any(s < 0 for s in sizes):
                raise RuntimeError(f"split_with_sizes expects split_sizes have only non-negative entries, but got "
                                   f"split_sizes={sizes}")
            if sum(sizes) != n:
                raise RuntimeError(f"split(): sizes {sizes} add up to {sum(sizes)}, not to dimension {dim}'s size {n}")
        return tuple(op("split")(self, list(np.cumsum(sizes)[:-1]), axis=dim))

    def chunk(self, chunks, dim=0):
        if isinstance(chunks, bool) or not isinstance(chunks, (int, np.integer)):
            raise TypeError(f"chunk(): argument 'chunks' must be int, not {type(chunks).__name__}")
        if chunks <= 0:
            raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
        n = np.shape(value(self))[checked_dim("chunk", dim, np.ndim(value(self)))]
        return self.split(max(-(-n // chunks), 1), dim)

    # ---- reductions that return indices too --------------------------------------------------------
    def max(self, dim=None, keepdim=False, **kwargs):
        """``x.max()``: the largest value; ``x.max(dim)``: (values, indices) as in PyTorch; ``x.max(axis=d)``:
        the values, as in NumPy; ``x.max(other)``: `maximum`."""
        return self._extreme("max", dim, keepdim, kwargs)

    def min(self, dim=None, keepdim=False, **kwargs):
        """As `max`, for the smallest."""
        return self._extreme("min", dim, keepdim, kwargs)

    def _extreme(self, name, dim, keepdim, kwargs):
        if dim is not None and not isinstance(dim, (int, np.integer)):  # x.max(other)
            return op("maximum" if name == "max" else "minimum")(self, dim)
        kwargs = numpy_keywords(name, kwargs)
        if "axis" in kwargs:  # NumPy's habit, NumPy's answer: the values
            if dim is not None:
                raise TypeError(f"{name}() got both dim (PyTorch's name) and axis= (NumPy's name); give one of them")
            return op(name)(self, **kwargs)
        keepdim = kwargs.pop("keepdims", keepdim)
        if kwargs:
            raise TypeError(f"{name}() got unexpected keywords {sorted(kwargs)}")
        if dim is None:
            return op(name)(self)
        return _order_result(name, self, dim, keepdim)

    def sort(self, dim=-1, descending=False, stable=False):
        """(values, indices) along ``dim``, as torch's sort (a stable sort)."""
        return _order_result("sort", self, dim, False, descending)

    def argsort(self, dim=-1, descending=False, stable=False):
        return self.sort(dim, descending).indices

    def argmax(self, dim=None, keepdim=False):
        return self._arg_extreme("argmax", np.argmax, dim, keepdim)

    def argmin(self, dim=None, keepdim=False):
        return self._arg_extreme("argmin", np.argmin, dim, keepdim)

    def _arg_extreme(self, name, find, dim, keepdim):
        data = value(self)
        if dim is not None:
            dim = checked_dim(name, dim, np.ndim(data))
            if np.ndim(data) == 0:
                dim = None
        if np.size(data) == 0 and (dim is None or np.shape(data)[dim] == 0):
            raise IndexError(f"{name}(): Expected reduction dim {dim if dim is not None else 0} to have non-zero size.")
        return type(self)._make(np.asarray(find(data, axis=dim, keepdims=keepdim)), self._level)

    # ---- activations -------------------------------------------------------------------------------
    def relu(self):
        """max(x, 0), with the derivative 0 at 0 (PyTorch's choice)."""
        return op("where")(value(self) > 0, self, 0)

    def sigmoid(self):
        """1 / (1 + exp(-x)), computed as (1 + tanh(x / 2)) / 2 (no overflow)."""
        return (op("tanh")(self * 0.5) + 1) * 0.5

    def softmax(self, dim):
        return op("softmax")(self, axis=checked_dim("softmax", dim, np.ndim(value(self))))

    def log_softmax(self, dim):
        dim = checked_dim("log_softmax", dim, np.ndim(value(self)))
        return self - op("logsumexp")(self, axis=dim, keepdims=True)

    def where(self, condition, other):
        """``self`` where ``condition`` holds, else ``other`` (torch's argument order)."""
        kind = np.asarray(value(condition)).dtype
        if kind != np.bool_:  # (a float condition would count every non-zero as True: PyTorch refuses it)
            raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype {kind}")
        return op("where")(condition, self, other)

    def masked_fill(self, mask, fill):
        kind = np.asarray(value(mask)).dtype
        if kind != np.bool_:
            raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype {kind}")
        return op("where")(mask, fill, self)

    # ---- comparisons: Tensors of bools, no gradient ------------------------------------------------
    __lt__, __le__, __gt__, __ge__ = _compare(np.less), _compare(np.less_equal), _compare(np.greater), \
        _compare(np.greater_equal)
    __eq__, __ne__ = _compare(np.equal), _compare(np.not_equal)
    __hash__ = object.__hash__
    lt, le, gt, ge, eq, ne = __lt__, __le__, __gt__, __ge__, __eq__, __ne__
    isnan, isinf, isfinite = (lambda self, u=u: type(self)._make(u(value(self)), self._level)
                              for u in (np.isnan, np.isinf, np.isfinite))

    def all(self, dim=None, keepdim=False):
        return type(self)._make(np.asarray(np.all(value(self), axis=dim, keepdims=keepdim)), self._level)

    def any(self, dim=None, keepdim=False):
        return type(self)._make(np.asarray(np.any(value(self), axis=dim, keepdims=keepdim)), self._level)

    def equal(self, other):
        """True when both have the same shape and values (a Python bool)."""
        return bool(np.array_equal(value(self), value(other)))

    # ---- in place (PyTorch's rules: not on a leaf that requires grad; a saved value changed -> backward
    # raises). Each is the out-of-place op written into the tensor, with its version counter bumped.
    def add_(self, other, *, alpha=1):
        return self._update_in_place(op("add"), other if alpha == 1 else other * alpha)

    def sub_(self, other, *, alpha=1):
        return self._update_in_place(op("subtract"), other if alpha == 1 else other * alpha)

    def mul_(self, other): return self._update_in_place(op("multiply"), other)
    def div_(self, other): return self._update_in_place(op("divide"), other)
    def pow_(self, exponent): return self._update_in_place(op("power"), exponent)

    def clamp_(self, min=None, max=None):
        if min is None and max is None:
            raise RuntimeError("clamp_(): At least one of 'min' or 'max' must not be None")
        return self._update_in_place(lambda x, _: op("clip")(x, min, max), None)

    def copy_(self, src, non_blocking=False):
        """Write ``src`` (broadcast) into this tensor; gradients flow to ``src``, none to the old value."""
        refuse_unsupported("copy_", {"non_blocking": non_blocking})
        return self._update_in_place(lambda x, v: op("where")(np.zeros(np.shape(value(x)), bool), x, v), src)

    def fill_(self, fill):
        if np.ndim(value(fill)) != 0:  # (a list would be broadcast in: PyTorch refuses)
            raise RuntimeError("fill_ only supports 0-dimension value tensor but got tensor with "
                               f"{np.ndim(value(fill))} dimensions.")
        return self.copy_(fill)

    def zero_(self):
        return self.copy_(0)

    # (last: inside the class body these names would shadow the builtins)
    def float(self): return self.to(np.float32)
    def int(self): return self.to(np.int32)
    def bool(self): return self.to(np.bool_)


METHODS: dict = {}  # NumPy's name -> the Tensor methods computing it (generated or written above)


def _install_generated():
    """A method for each function of the op library that PyTorch has as a Tensor method, unless written above."""
    for numpy_name, fn in FUNCTIONS.items():
        for torch_name in TORCH_NAMES.get(numpy_name, (numpy_name,)):
            if torch_name in TORCH_TENSOR_METHODS:
                if torch_name not in TorchMethods.__dict__:
                    setattr(TorchMethods, torch_name, _method(torch_name, numpy_name, fn))
                METHODS[numpy_name] = METHODS.get(numpy_name, ()) + (torch_name,)


_install_generated()


def method_names(numpy_name):
    """The Tensor methods that compute the op library's function ``numpy_name``.

    >>> method_names("arccos"), method_names("einsum")
    (('acos', 'arccos'), ())
    """
    return METHODS.get(numpy_name, ())
