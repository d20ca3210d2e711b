"""admodes: forward-mode and reverse-mode automatic differentiation on NumPy, side by side."""

__version__ = "0.1.0"

from .ops import count_ops  # noqa: E402,F401
