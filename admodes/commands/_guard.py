"""What ``admodes check`` and ``admodes compare`` share to answer bad input with one line and exit 2:
`Unusable`, the checks of ``--shape``, ``--seed``, ``--range``, ``--timeout`` and ``--max-seconds``, and
`guarded`, which stops the user's code at ``--timeout`` and turns its ``sys.exit`` into an error.

(A module whose name starts with ``_`` is not a subcommand: `admodes.cli` skips it.)

The timeout uses SIGALRM in the main thread (POSIX): the alarm raises an exception inside the user's
function, at its next Python bytecode, so a loop written in Python stops and nothing is left running.
A subprocess would also stop a long call inside C code, but it would have to pickle f's module and
the point, and a thread cannot be stopped at all; SIGALRM is the simple choice that really stops f.
"""

from __future__ import annotations

import math
import signal
import threading
from contextlib import contextmanager

from ..check.differences import _gib, _physical_memory


class Unusable(Exception):
    """The command cannot run; the message is the one line shown to the user.

    >>> str(Unusable("--seed -1 is negative"))
    '--seed -1 is negative'
    """


class _TimeUp(BaseException):
    """Raised by the alarm inside f: a BaseException, so f's own ``except Exception`` cannot swallow it."""


def parse_shape(text):
    """``"3,4"`` -> ``(3, 4)``; ``"()"`` is a scalar; anything that is not positive integers is an error,
    and so is an array too large for this machine's memory (float64).

    >>> parse_shape("3,4"), parse_shape("()")
    ((3, 4), ())
    >>> parse_shape("3,,4")
    Traceback (most recent call last):
    ...
    admodes.commands._guard.Unusable: --shape '3,,4' has an empty size between commas: give e.g. 3,4
    """
    if text.strip() in ("()", "scalar"):
        return ()
    cleaned = text.strip().strip("()[]").replace(" ", "")
    if not cleaned:
        raise Unusable(f"--shape {text!r} is empty: give the sizes, e.g. --shape 3,4 (or --shape '()' for a scalar)")
    parts = cleaned.split(",")
    if parts[-1] == "" and len(parts) > 1:  # "3," is the tuple (3,), as Python writes it
        parts = parts[:-1]
    if "" in parts:
        raise Unusable(f"--shape {text!r} has an empty size between commas: give e.g. 3,4")
    try:
        shape = tuple(int(part) for part in parts)
    except ValueError:
        raise Unusable(f"--shape {text!r} is not a shape: give comma-separated positive integers, e.g. 3,4") from None
    if any(n <= 0 for n in shape):
        raise Unusable(f"--shape {text!r} has a size below 1: an empty array has no derivatives to check")
    _require_memory(text, shape)
    return shape


def _require_memory(text, shape, itemsize=8):
    size = math.prod(shape)
    needed, available = size * itemsize, _physical_memory()
    if needed > available:
        raise Unusable(f"--shape {text!r} has {size:,} elements: one array of them needs {_gib(needed)}, more than "
                       f"this machine's {_gib(available)} of memory")


def parse_seed(seed):
    """The seed of the random point: a non-negative integer (NumPy's generators take no other).

    >>> parse_seed(3)
    3
    """
    if seed < 0:
        raise Unusable(f"--seed {seed} is negative: give a non-negative integer")
    return seed


def parse_range(text):
    """``"LOW,HIGH"`` -> (low, high): finite numbers, low below high, and a finite width.

    >>> parse_range("0.1,2")
    (0.1, 2.0)
    """
    try:
        low, high = (float(v) for v in text.split(","))
    except ValueError:
        raise Unusable(f"--range {text!r} is not LOW,HIGH (e.g. --range 0.1,2)") from None
    if not (math.isfinite(low) and math.isfinite(high)):
        raise Unusable(f"--range {text!r}: LOW and HIGH must be finite numbers")
    if not low < high:
        raise Unusable(f"--range {text!r}: LOW must be below HIGH")
    if not math.isfinite(high - low):
        raise Unusable(f"--range {text!r} is wider than the largest float: draw from a narrower range")
    return low, high


def seconds(value, flag, zero_ok):
    """A number of seconds given to ``flag``: not NaN, not negative (and above 0 unless ``zero_ok``).

    >>> seconds(2.5, "--timeout", zero_ok=False)
    2.5
    """
    if value is None:
        return None
    if math.isnan(value) or value < 0 or (value == 0 and not zero_ok):
        least = "0 or more" if zero_ok else "a positive number"
        raise Unusable(f"{flag} {value:g} is not a number of seconds: give {least}")
    return value


@contextmanager
def guarded(label, timeout=None):
    """Run the block with the user's code in it: stopped after ``timeout`` seconds, its sys.exit an error.

    >>> with guarded("f.py:f"):
    ...     raise SystemExit(3)
    Traceback (most recent call last):
    ...
    admodes.commands._guard.Unusable: f.py:f called sys.exit(3): a checked function must return a value, \
not end the program
    """
    alarm = timeout is not None and timeout != math.inf
    if alarm:
        if not hasattr(signal, "SIGALRM") or threading.current_thread() is not threading.main_thread():
            raise Unusable("--timeout needs SIGALRM, which only a POSIX system's main thread has")
        previous = signal.signal(signal.SIGALRM, _raise_time_up)
        signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        yield
    except _TimeUp:
        raise Unusable(f"{label} did not finish within --timeout {timeout:g} s: stopped it") from None
    except SystemExit as stop:
        raise Unusable(f"{label} called sys.exit({stop.code!r}): a checked function must return a value, not end "
                       "the program") from None
    finally:
        if alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)


def _raise_time_up(signum, frame):
    raise _TimeUp()
