"""``admodes.numpy.fft``: NumPy's discrete Fourier transforms, differentiable (fft, ifft, rfft, irfft, fft2, ifft2).

    >>> import numpy as np, admodes as ad, admodes.numpy as anp
    >>> ad.grad(lambda x: anp.fft.rfft(x)[0].real)(np.array([1.0, 2.0, 3.0]))   # bin 0 is the sum
    array([1., 1., 1.])
"""

from ..ops.core import FUNCTIONS as _FUNCTIONS

globals().update({name.split(".", 1)[1]: fn for name, fn in _FUNCTIONS.items() if name.startswith("fft.")})


def __getattr__(name):
    raise AttributeError(f"admodes.numpy.fft has no function {name!r}: admodes differentiates only the "
                         "functions of its op library (see admodes.ops)")
