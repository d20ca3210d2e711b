"""PyTorch's grad-mode switches beyond `no_grad`/`enable_grad`: `set_grad_enabled` and `inference_mode`.

    >>> import admodes as ad
    >>> x = ad.tensor(1.0, requires_grad=True)
    >>> with ad.set_grad_enabled(False):
    ...     y = x * 2
    >>> y.requires_grad, ad.is_grad_enabled()
    (False, True)
    >>> with ad.inference_mode():
    ...     (x * 2).requires_grad
    False
"""

from __future__ import annotations

import numpy as np

from .reverse.grad_mode import OPEN_BLOCKS, THREAD_MODE, is_grad_enabled, no_grad

_marked = []  # set once set_grad_enabled has been called outside a with block's pairing (see below)


class set_grad_enabled(no_grad):
    """Turn recording on or off: called as a function it sets the mode (for this thread) until changed again;
    used as a context manager (or decorator) it restores the previous mode at the end, as PyTorch does.

    >>> import admodes as ad
    >>> _ = ad.set_grad_enabled(False); ad.is_grad_enabled()
    False
    >>> _ = ad.set_grad_enabled(True); ad.is_grad_enabled()
    True
    """

    def __init__(self, mode):
        if not isinstance(mode, bool):
            raise TypeError(f"set_grad_enabled: mode must be a bool, got {type(mode).__name__}")
        self._outer, self._mode = is_grad_enabled(), mode
        # The engine reads the thread's flag only while a block is open (`OPEN_BLOCKS`); a mode set by
        # a plain call has no end, so it keeps one entry there for good (reading the flag costs a little).
        if not _marked:
            _marked.append(None)
            OPEN_BLOCKS.append(None)
        THREAD_MODE.enabled = mode

    def __enter__(self):
        THREAD_MODE.enabled = self._mode

    def __exit__(self, *exc):
        THREAD_MODE.enabled = self._outer
        return False

    def __call__(self, fn):  # as a decorator: the mode during each call of fn
        import functools

        @functools.wraps(fn)
        def with_mode(*args, **kwargs):
            outer = is_grad_enabled()
            THREAD_MODE.enabled = self._mode
            try:
                return fn(*args, **kwargs)
            finally:
                THREAD_MODE.enabled = outer
        THREAD_MODE.enabled = self._outer  # (the decorator's creation set the mode: undo it)
        return with_mode


class inference_mode(no_grad):
    """`no_grad` for code that only evaluates (``inference_mode(False)``: record as usual). PyTorch also marks
    the tensors made inside as inference tensors, usable in autograd never again; admodes does not.
    As in PyTorch, it decorates with or without parentheses.

    >>> import admodes as ad
    >>> @ad.inference_mode
    ... def double(x):
    ...     return x * 2
    >>> double(ad.tensor(1.0, requires_grad=True)).requires_grad
    False
    """

    def __init__(self, mode=True):
        if not isinstance(mode, (bool, np.bool_)):
            raise TypeError(f"inference_mode: mode must be a bool, got {type(mode).__name__}")
        self._mode = bool(mode)

    def __enter__(self):
        if self._mode:
            super().__enter__()

    def __exit__(self, *exc):
        if self._mode:
            super().__exit__(*exc)
        return False
