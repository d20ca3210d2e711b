"""PyTorch's tensor constructors: ``ad.tensor``, ``zeros``, ``ones``, ``empty``, ``full``, ``rand``, ``randn``,
``arange``, ``linspace``, the ``*_like`` family, ``from_numpy`` and ``manual_seed``.

Each takes PyTorch's keywords (``dtype=``, ``requires_grad=``, ``device='cpu'``); one admodes cannot honour
is refused by name (`admodes.torch_keywords`). The dtype is NumPy's: float64 by default, where PyTorch
uses float32 (``dtype=ad.float32`` asks for it). Random numbers come from one NumPy generator that
`manual_seed` resets.

    >>> import admodes as ad
    >>> ad.zeros(2, 3).shape, ad.ones((2,), dtype=ad.float32).dtype
    ((2, 3), dtype('float32'))
    >>> _ = ad.manual_seed(0); a = ad.randn(3)
    >>> _ = ad.manual_seed(0); bool((a == ad.randn(3)).all())
    True
"""

from __future__ import annotations

import numpy as np

from .arraylike import value
from .reverse import Tensor
from .torch_keywords import refuse_unsupported

float16, float32, float64 = np.float16, np.float32, np.float64
int32, int64 = np.int32, np.int64

_generator = np.random.default_rng()


def manual_seed(seed):
    """Seed the generator of `rand`, `randn` and their ``_like`` forms; returns it (a NumPy Generator).

    >>> int(manual_seed(0).integers(10)) == int(manual_seed(0).integers(10))
    True
    """
    global _generator
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"manual_seed: seed must be an int, got {type(seed).__name__}")
    _generator = np.random.default_rng(seed)
    return _generator


def _make(who, array, kwargs):
    """The new tensor of ``array``, after the keywords every constructor shares."""
    kwargs = refuse_unsupported(who, kwargs)
    requires_grad = kwargs.pop("requires_grad", False)
    if kwargs:
        raise TypeError(f"{who}() got unexpected keyword arguments {sorted(kwargs)}")
    return Tensor.from_numpy(array, requires_grad=requires_grad)


def _shape(who, size):
    """``zeros(2, 3)``, ``zeros((2, 3))`` and ``zeros([2, 3])`` all mean the shape (2, 3)."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for s in size:
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool) or s < 0:
            raise TypeError(f"{who}(): size must be non-negative ints, got {size!r}")
    return tuple(int(s) for s in size)


def _float(who, dtype):
    dtype = np.dtype(float64 if dtype is None else dtype)
    if dtype.kind != "f":
        raise TypeError(f"{who}(): dtype must be a float dtype, got {dtype}")
    return dtype


def tensor(data, dtype=None, requires_grad=False, **kwargs):
    """A new tensor holding a copy of ``data`` (like ``torch.tensor``); Python floats give float64.

    >>> t = tensor([1, 2], dtype=float32, requires_grad=True)
    >>> t, t.dtype
    (Tensor([1., 2.], requires_grad=True), dtype('float32'))
    """
    data = value(data) if isinstance(data, Tensor) else data
    return _make("tensor", np.array(data, dtype=dtype), dict(kwargs, requires_grad=requires_grad))


def from_numpy(array):
    """A tensor sharing ``array``'s memory (an in-place op on the tensor writes into the array).

    >>> import numpy as np
    >>> a = np.zeros(2); t = from_numpy(a); _ = t.add_(1.0); a
    array([1., 1.])
    """
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    return Tensor.from_numpy(array)


def zeros(*size, dtype=None, **kwargs):
    """A tensor of zeros of shape ``size`` (float64 unless ``dtype``)."""
    return _make("zeros", np.zeros(_shape("zeros", size), dtype or float64), kwargs)


def ones(*size, dtype=None, **kwargs):
    """A tensor of ones of shape ``size``."""
    return _make("ones", np.ones(_shape("ones", size), dtype or float64), kwargs)


def empty(*size, dtype=None, **kwargs):
    """A tensor of shape ``size`` whose values are whatever the memory held."""
    return _make("empty", np.empty(_shape("empty", size), dtype or float64), kwargs)


def full(size, fill_value, dtype=None, **kwargs):
    """A tensor of shape ``size`` filled with ``fill_value`` (its dtype, unless ``dtype``)."""
    return _make("full", np.full(_shape("full", (size,)), fill_value, dtype), kwargs)


def rand(*size, dtype=None, **kwargs):
    """Uniform random numbers in [0, 1) (see `manual_seed`)."""
    return _make("rand", _generator.random(_shape("rand", size), dtype=_float("rand", dtype)), kwargs)


def randn(*size, dtype=None, **kwargs):
    """Standard normal random numbers (see `manual_seed`)."""
    return _make("randn", _generator.standard_normal(_shape("randn", size), dtype=_float("randn", dtype)), kwargs)


def arange(start, end=None, step=1, dtype=None, **kwargs):
    """``arange(5)``: 0..4 as int64, ``arange(0.0, 1.0, 0.25)``: floats, as NumPy's (and PyTorch's) arange."""
    values = np.arange(start, dtype=dtype) if end is None else np.arange(start, end, step, dtype=dtype)
    return _make("arange", values, kwargs)


def linspace(start, end, steps, dtype=None, **kwargs):
    """``steps`` evenly spaced numbers from ``start`` to ``end``, both included."""
    return _make("linspace", np.linspace(start, end, steps, dtype=dtype or float64), kwargs)


def _like(x, dtype):
    return np.shape(value(x)), dtype or np.result_type(value(x))


def zeros_like(input, dtype=None, **kwargs):
    """Zeros of ``input``'s shape and dtype."""
    shape, dtype = _like(input, dtype)
    return _make("zeros_like", np.zeros(shape, dtype), kwargs)


def ones_like(input, dtype=None, **kwargs):
    """Ones of ``input``'s shape and dtype."""
    shape, dtype = _like(input, dtype)
    return _make("ones_like", np.ones(shape, dtype), kwargs)


def empty_like(input, dtype=None, **kwargs):
    """Uninitialised values of ``input``'s shape and dtype."""
    shape, dtype = _like(input, dtype)
    return _make("empty_like", np.empty(shape, dtype), kwargs)


def full_like(input, fill_value, dtype=None, **kwargs):
    """``fill_value`` in ``input``'s shape and dtype."""
    shape, dtype = _like(input, dtype)
    return _make("full_like", np.full(shape, fill_value, dtype), kwargs)


def rand_like(input, dtype=None, **kwargs):
    """`rand` of ``input``'s shape (and float dtype)."""
    shape, dtype = _like(input, dtype)
    return _make("rand_like", _generator.random(shape, dtype=_float("rand_like", dtype)), kwargs)


def randn_like(input, dtype=None, **kwargs):
    """`randn` of ``input``'s shape (and float dtype)."""
    shape, dtype = _like(input, dtype)
    return _make("randn_like", _generator.standard_normal(shape, dtype=_float("randn_like", dtype)), kwargs)


__all__ = ["tensor", "from_numpy", "zeros", "ones", "empty", "full", "rand", "randn", "arange", "linspace",
           "zeros_like", "ones_like", "empty_like", "full_like", "rand_like", "randn_like", "manual_seed",
           "float16", "float32", "float64", "int32", "int64"]
