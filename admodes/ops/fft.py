"""Discrete Fourier transforms: numpy.fft's fft, ifft, rfft, irfft (primitives) and fft2, ifft2 (composed).

Each is linear, so its JVP is the transform of the tangent (`deflinear`), and its VJP is its transpose in
JAX's convention (no conjugation; see `admodes.ops.complex`):

- ``fft`` and ``ifft`` are symmetric matrices (F_jk = exp(-2 pi i jk / n), and its inverse), so each is its
  own transpose, with the same ``norm``; ``n`` pads or truncates the input along ``axis``, whose transpose
  truncates or pads the cotangent back;
- ``rfft`` is the first n // 2 + 1 rows of F on a real input: its transpose is the real part of the fft of
  the cotangent padded to n;
- ``irfft`` builds the Hermitian spectrum from the half one, so each bin but the first (and the last, for
  even n) is used twice: its transpose is the ifft of the cotangent, first n // 2 + 1 bins, with those
  doubled bins weighted 2.

A real input of a complex result gets the real part of its complex cotangent (``complex="mixed"``).

    >>> import numpy as np, admodes as ad, admodes.numpy as anp
    >>> ad.grad(lambda x: anp.abs(anp.fft.fft(x)[1]) ** 2)(np.array([1.0, 0.0, 0.0, 0.0]))
    array([ 2.,  0., -2.,  0.])
"""

import numpy as np

from .declare import deflinear
from .elementwise import astype
from .indexing import getitem
from .joining import concatenate
from .primitive import Primitive, register_function, shape_of

__all__ = ["fft2", "ifft2"]  # (and the primitives below)


def _axis_batch(prim):
    """The batch rule of a transform along ``axis``: the batch axis in front moves a non-negative axis by one."""
    def rule(args, batched, n=None, axis=-1, norm=None):
        return prim(args[0], n=n, axis=axis + 1 if axis >= 0 else axis, norm=norm)
    return rule


def _resized(x, length, axis):
    """``x`` truncated or zero-padded to ``length`` along ``axis`` (what ``n`` does to a transform's input)."""
    shape = shape_of(x)
    axis = axis % len(shape)
    have = shape[axis]
    if have > length:
        return getitem(x, (slice(None),) * axis + (slice(0, length),))
    if have < length:
        zeros = np.zeros(shape[:axis] + (length - have,) + shape[axis + 1:], x.dtype)
        return concatenate([x, zeros], axis=axis)
    return x


def _back_to(ct, a, axis):
    """A cotangent of the transformed (resized) input as the cotangent of ``a``: resized back to a's length
    (the transpose of padding is truncation, and of truncation zero-padding), in a's dtype (a real ``a``:
    the real part)."""
    ct = _resized(ct, shape_of(a)[axis % len(shape_of(a))], axis)
    return ct if ct.dtype == a.dtype else astype(ct, a.dtype)


def _fft_impl(a, n=None, axis=-1, norm=None):
    return np.fft.fft(a, n, axis, norm)


def _ifft_impl(a, n=None, axis=-1, norm=None):
    return np.fft.ifft(a, n, axis, norm)


def _rfft_impl(a, n=None, axis=-1, norm=None):
    return np.fft.rfft(a, n, axis, norm)


def _irfft_impl(a, n=None, axis=-1, norm=None):
    return np.fft.irfft(a, n, axis, norm)


fft = Primitive("fft.fft", _fft_impl, short="Fft", doc=(
    "The discrete Fourier transform along ``axis``, as ``numpy.fft.fft``.\n\n"
    ">>> fft(np.array([1.0, 0.0]))\narray([1.+0.j, 1.+0.j])"))
deflinear(fft, transpose=lambda g, ans, a, n=None, axis=-1, norm=None: _back_to(fft(g, axis=axis, norm=norm), a, axis),
          saves="a.shape", batch=_axis_batch(fft), complex="mixed")

ifft = Primitive("fft.ifft", _ifft_impl, short="Ifft", doc=(
    "The inverse discrete Fourier transform along ``axis``, as ``numpy.fft.ifft``.\n\n"
    ">>> ifft(np.array([1.0, 1.0]))\narray([1.+0.j, 0.+0.j])"))
deflinear(ifft, transpose=lambda g, ans, a, n=None, axis=-1, norm=None: _back_to(ifft(g, axis=axis, norm=norm), a,
                                                                                 axis),
          saves="a.shape", batch=_axis_batch(ifft), complex="mixed")


def _rfft_transpose(g, ans, a, n=None, axis=-1, norm=None):
    length = shape_of(a)[axis % len(shape_of(a))] if n is None else n
    return _back_to(fft(g, n=length, axis=axis, norm=norm), a, axis)  # (then the real part: a is real)


rfft = Primitive("fft.rfft", _rfft_impl, short="Rfft", doc=(
    "The discrete Fourier transform of a real input along ``axis``, bins 0 to n // 2 only, as "
    "``numpy.fft.rfft``.\n\n>>> rfft(np.array([1.0, 0.0, 0.0]))\narray([1.+0.j, 1.+0.j])"))
deflinear(rfft, transpose=_rfft_transpose, saves="a.shape", batch=_axis_batch(rfft), complex="mixed")


def _irfft_transpose(g, ans, a, n=None, axis=-1, norm=None):
    length = shape_of(g)[axis % len(shape_of(g))]  # the output's n
    bins = length // 2 + 1
    weights = np.full(bins, 2.0)
    weights[0] = 1.0
    if length % 2 == 0:
        weights[-1] = 1.0  # the Nyquist bin, like bin 0, is used once
    axis_ = axis % len(shape_of(g))
    weights = weights.reshape((bins,) + (1,) * (len(shape_of(g)) - 1 - axis_))
    half = getitem(ifft(g, axis=axis, norm=norm), (slice(None),) * axis_ + (slice(0, bins),))
    return _back_to(half * weights.astype(np.finfo(half.dtype).dtype), a, axis)


irfft = Primitive("fft.irfft", _irfft_impl, short="Irfft", doc=(
    "The inverse of `rfft`: a real signal of length n (2 (m - 1) by default) from m bins, along ``axis``, as "
    "``numpy.fft.irfft``.\n\n>>> irfft(np.array([1.0, 1.0]))\narray([1., 0.])"))
deflinear(irfft, transpose=_irfft_transpose, saves="a.shape", batch=_axis_batch(irfft), complex="mixed")


def _two_axes(transform, a, s, axes, norm):
    axes = tuple(axes)
    if s is not None and len(s) != len(axes):
        raise ValueError(f"admodes.fft: s {tuple(s)} and axes {axes} must have the same length")
    for i in reversed(range(len(axes))):  # NumPy's order: the last axis first
        a = transform(a, n=None if s is None else s[i], axis=axes[i], norm=norm)
    return a


@register_function("fft.fft2")
def fft2(a, s=None, axes=(-2, -1), norm=None):
    """The 2-D discrete Fourier transform, as ``numpy.fft.fft2``: `fft` along each of ``axes``.

    >>> fft2(np.ones((2, 2)))
    array([[4.+0.j, 0.+0.j],
           [0.+0.j, 0.+0.j]])
    """
    return _two_axes(fft, a, s, axes, norm)


@register_function("fft.ifft2")
def ifft2(a, s=None, axes=(-2, -1), norm=None):
    """The 2-D inverse discrete Fourier transform, as ``numpy.fft.ifft2``: `ifft` along each of ``axes``.

    >>> ifft2(np.full((2, 2), 4.0))
    array([[4.+0.j, 0.+0.j],
           [0.+0.j, 0.+0.j]])
    """
    return _two_axes(ifft, a, s, axes, norm)
