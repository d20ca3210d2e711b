"""Element positions both ways: a flat index to an index tuple, and back (a 0-d array's tuple is ``()``)."""

from __future__ import annotations

import numpy as np


def multi_index(flat, shape):
    """The index tuple of flat position ``flat`` in an array of ``shape``."""
    return tuple(int(i) for i in np.unravel_index(flat, shape)) if len(shape) else ()


def flat_index(index, shape):
    """The flat position of the index tuple ``index`` in an array of ``shape``."""
    return int(np.ravel_multi_index(index, shape)) if index else 0
