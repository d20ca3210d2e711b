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
    seed = int(seed)
    if not -2 ** 63 <= seed < 2 ** 64:  # PyTorch's range: a 64-bit seed, negative ones wrapped around
        raise ValueError(f"manual_seed: seed must be in [-0x8000_0000_0000_0000, 0xffff_ffff_ffff_ffff], got {seed}")
    _generator = np.random.default_rng(seed % 2 ** 64)
    return _generator


def _make(who, array, kwargs):
    """The new tensor of ``array``, after the keywords every constructor shares."""
    kwargs = refuse_unsupported(who, kwargs)
    requires_grad = kwargs.pop("requires_grad", False)
    if not isinstance(requires_grad, (bool, np.bool_)):
        raise TypeError(f"{who}(): argument 'requires_grad' must be bool, not {type(requires_grad).__name__}")
    if kwargs:
        raise TypeError(f"{who}() got unexpected keyword arguments {sorted(kwargs)}")
    return Tensor.from_numpy(array, requires_grad=requires_grad)


def _shape(who, size, kwargs=None):
    """``zeros(2, 3)``, ``zeros((2, 3))``, ``zeros([2, 3])`` and ``zeros(size=(2, 3))`` all mean the shape (2, 3)."""
    if kwargs is not None and "size" in kwargs:
        if size:
            raise TypeError(f"{who}() got the size both by position and as size=")
        size = (kwargs.pop("size"),)
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for s in size:
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool):
            raise TypeError(f"{who}(): size must be non-negative ints, got {size!r}")
    if any(s < 0 for s in size):  # (PyTorch's words)
        raise RuntimeError(f"{who}(): Trying to create tensor with negative dimension {min(size)}: {list(size)}")
    return tuple(int(s) for s in size)


def _dtype(who, dtype):
    """``dtype`` as a NumPy dtype (None stays None), or a TypeError naming the argument."""
    if dtype is None:
        return None
    try:
        return np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{who}(): argument 'dtype' must be a dtype (ad.float32, np.float64, 'float32'), "
                        f"got {dtype!r}") from None


def _float(who, dtype):
    dtype = np.dtype(float64) if dtype is None else _dtype(who, dtype)
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
    dtype = _dtype("tensor", dtype)
    try:
        array = np.array(data, dtype=dtype)
    except ValueError as err:
        if "inhomogeneous" not in str(err):
            raise
        raise ValueError("tensor(): data is a ragged nested sequence (its lists at one depth have different "
                         "lengths); every row needs the same length") from None
    return _make("tensor", array, dict(kwargs, requires_grad=requires_grad))


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
    shape = _shape("zeros", size, kwargs)
    return _make("zeros", np.zeros(shape, _dtype("zeros", dtype) or float64), kwargs)


def ones(*size, dtype=None, **kwargs):
    """A tensor of ones of shape ``size``."""
    shape = _shape("ones", size, kwargs)
    return _make("ones", np.ones(shape, _dtype("ones", dtype) or float64), kwargs)


def empty(*size, dtype=None, **kwargs):
    """A tensor of shape ``size`` whose values are whatever the memory held."""
    shape = _shape("empty", size, kwargs)
    return _make("empty", np.empty(shape, _dtype("empty", dtype) or float64), kwargs)


def full(size, fill_value, dtype=None, **kwargs):
    """A tensor of shape ``size`` filled with ``fill_value`` (its dtype, unless ``dtype``)."""
    return _make("full", np.full(_shape("full", (size,)), fill_value, _dtype("full", dtype)), kwargs)


def rand(*size, dtype=None, **kwargs):
    """Uniform random numbers in [0, 1) (see `manual_seed`)."""
    shape = _shape("rand", size, kwargs)
    return _make("rand", _generator.random(shape, dtype=_float("rand", dtype)), kwargs)


def randn(*size, dtype=None, **kwargs):
    """Standard normal random numbers (see `manual_seed`)."""
    shape = _shape("randn", size, kwargs)
    return _make("randn", _generator.standard_normal(shape, dtype=_float("randn", dtype)), kwargs)


def arange(start=None, end=None, step=1, dtype=None, **kwargs):
    """``arange(5)``: 0..4 as int64, ``arange(0.0, 1.0, 0.25)``: floats, as NumPy's (and PyTorch's) arange;
    ``arange(end=5)`` too."""
    if start is None and end is None:
        raise TypeError("arange() needs an end: arange(end), arange(start, end) or arange(start, end, step)")
    start, end = (0, start) if end is None else (0 if start is None else start, end)
    for name, bound in (("start", start), ("end", end), ("step", step)):
        if isinstance(bound, bool) or not isinstance(bound, (int, float, np.integer, np.floating)):
            raise TypeError(f"arange(): argument '{name}' must be a number, not {type(bound).__name__}")
    if step == 0:  # (PyTorch's words, for NumPy's ZeroDivisionError and "cannot compute length")
        raise RuntimeError("arange(): step must be nonzero")
    if not all(np.isfinite((start, end, step))):
        raise RuntimeError(f"arange(): unsupported range: {start} -> {end} (step {step})")
    return _make("arange", np.arange(start, end, step, dtype=_dtype("arange", dtype)), kwargs)


def linspace(start, end, steps, dtype=None, **kwargs):
    """``steps`` evenly spaced numbers from ``start`` to ``end``, both included."""
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)):
        raise TypeError(f"linspace(): argument 'steps' must be int, not {type(steps).__name__}")
    if steps < 0:
        raise RuntimeError(f"linspace(): number of steps must be non-negative, got {steps}")
    return _make("linspace", np.linspace(start, end, steps, dtype=_dtype("linspace", dtype) or float64), kwargs)


def _like(x, dtype, who):
    if x is None or isinstance(x, (str, bytes, dict, set)):
        raise TypeError(f"{who}(): argument 'input' (position 1) must be Tensor, not {type(x).__name__}")
    data = np.asarray(value(x)) if not isinstance(x, Tensor) else value(x)
    return np.shape(data), _dtype(who, dtype) or np.result_type(data)


def zeros_like(input, dtype=None, **kwargs):
    """Zeros of ``input``'s shape and dtype."""
    shape, dtype = _like(input, dtype, "zeros_like")
    return _make("zeros_like", np.zeros(shape, dtype), kwargs)


def ones_like(input, dtype=None, **kwargs):
    """Ones of ``input``'s shape and dtype."""
    shape, dtype = _like(input, dtype, "ones_like")
    return _make("ones_like", np.ones(shape, dtype), kwargs)


def empty_like(input, dtype=None, **kwargs):
    """Uninitialised values of ``input``'s shape and dtype."""
    shape, dtype = _like(input, dtype, "empty_like")
    return _make("empty_like", np.empty(shape, dtype), kwargs)


def full_like(input, fill_value, dtype=None, **kwargs):
    """``fill_value`` in ``input``'s shape and dtype."""
    shape, dtype = _like(input, dtype, "full_like")
    return _make("full_like", np.full(shape, fill_value, dtype), kwargs)


def rand_like(input, dtype=None, **kwargs):
    """`rand` of ``input``'s shape (and float dtype)."""
    shape, dtype = _like(input, dtype, "rand_like")
    return _make("rand_like", _generator.random(shape, dtype=_float("rand_like", dtype)), kwargs)


def randn_like(input, dtype=None, **kwargs):
    """`randn` of ``input``'s shape (and float dtype)."""
    shape, dtype = _like(input, dtype, "randn_like")
    return _make("randn_like", _generator.standard_normal(shape, dtype=_float("randn_like", dtype)), kwargs)


__all__ = ["tensor", "from_numpy", "zeros", "ones", "empty", "full", "rand", "randn", "arange", "linspace",
           "zeros_like", "ones_like", "empty_like", "full_like", "rand_like", "randn_like", "manual_seed",
           "float16", "float32", "float64", "int32", "int64"]
