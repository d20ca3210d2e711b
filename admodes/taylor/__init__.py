"""Taylor mode: truncated Taylor series pushed forward through the op library (``jet``), beside nested
forward and reverse mode, and ``taylor``, the directional derivatives of every order in one sweep.

    >>> import numpy as np, admodes as ad, admodes.numpy as anp
    >>> ad.taylor(anp.exp, order=3)(np.array(0.0), np.array(2.0))   # d^k/dt^k exp(2t) at 0 = 2^k
    [array(2.), array(4.), array(8.)]
"""

from .engine import Jet, jet, taylor

__all__ = ["Jet", "jet", "taylor"]
