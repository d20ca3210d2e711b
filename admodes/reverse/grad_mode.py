"""Grad mode: whether ops on the user's tensors are recorded, per thread (PyTorch's ``no_grad``).

The recording in `Tensor._apply` reads it on every op, and the backward sweep switches it (a sweep is
recorded exactly when ``create_graph=True``), so it sits below both.

    >>> import admodes as ad
    >>> x = ad.tensor(1.0, requires_grad=True)
    >>> with no_grad():
    ...     print(is_grad_enabled(), (x * 2).requires_grad)
    False False
    >>> is_grad_enabled()
    True
"""

from __future__ import annotations

import threading
from contextlib import ContextDecorator

__all__ = ["no_grad", "enable_grad", "is_grad_enabled", "THREAD_MODE", "OPEN_BLOCKS"]


class _GradMode(threading.local):
    enabled = True  # a class default: every thread starts with grad mode on, read without getattr()

    def __init__(self):
        # The mode to restore at the exit of each no_grad/enable_grad block open in this thread, innermost
        # last: kept per entry, so one instance entered twice (a recursive decorated function) is right.
        self.outer = []


THREAD_MODE = _GradMode()
"""This thread's grad mode, ``THREAD_MODE.enabled`` (a thread-local: reading it is slowish), and the modes to
restore at the exit of its open blocks, ``THREAD_MODE.outer``."""

OPEN_BLOCKS: list = []
"""One entry per `no_grad` (or `enable_grad`) block open in any thread. While it is empty every thread
records, and the recording need not read the thread-local flag. (append and pop are atomic.)"""


def is_grad_enabled():
    """Whether ops on tensors are recorded in this thread (False inside `no_grad`).

    Grad mode governs the tensors users make (PyTorch's world). The functional transforms (`grad`,
    `vjp`, ...) always record their own values, so they nest and work inside `no_grad` too.

    >>> is_grad_enabled()
    True
    """
    return THREAD_MODE.enabled


class no_grad(ContextDecorator):
    """Record nothing inside: a context manager (nestable, per thread) and a decorator.

    >>> import admodes as ad
    >>> x = ad.tensor(1.0, requires_grad=True)
    >>> with ad.no_grad():
    ...     y = x * 2
    >>> y.requires_grad
    False
    >>> @ad.no_grad
    ... def double(x):
    ...     return x * 2
    >>> double(x).requires_grad
    False
    """

    enabled = False  # the mode inside the block

    def __new__(cls, *args):
        # ``@no_grad`` without parentheses decorates the function directly, as PyTorch 2 allows
        if len(args) == 1 and callable(args[0]):
            return cls()(args[0])
        return super().__new__(cls)

    def __init__(self, *args):
        if args:
            raise TypeError(f"{type(self).__name__}() takes no arguments, got {len(args)}")

    def __enter__(self):
        THREAD_MODE.outer.append(THREAD_MODE.enabled)
        OPEN_BLOCKS.append(None)
        THREAD_MODE.enabled = self.enabled

    def __exit__(self, *exc):
        THREAD_MODE.enabled = THREAD_MODE.outer.pop()
        OPEN_BLOCKS.pop()
        return False


class enable_grad(no_grad):
    """Record again inside a `no_grad` block (used for ``create_graph=True``).

    >>> with no_grad(), enable_grad():
    ...     is_grad_enabled()
    True
    """

    enabled = True
