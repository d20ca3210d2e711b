"""What ``admodes check`` and ``admodes compare`` share to answer bad input with one line and exit 2:
`Unusable`, the checks of ``--shape``, ``--seed``, ``--range``, ``--timeout`` and ``--max-seconds``,
`guarded`, which turns the user's ``sys.exit`` into an error, and `run_command`, which runs a command
under ``--timeout`` and prints what it found.

(A module whose name starts with ``_`` is not a subcommand: `admodes.cli` skips it.)

``--timeout`` runs the command in a forked child process and kills it (SIGKILL) when time is up: that
stops anything, a long call inside C code or a loop that never lets a signal handler run (on Python
3.10, ``while True: try: pass except Exception: pass`` never does, so SIGALRM in the main thread cannot
stop it). The child sends back its exit status and texts through a pipe. Without ``--timeout`` the
command runs in this process. POSIX only (os.fork); elsewhere ``--timeout`` is refused in one line.
"""

from __future__ import annotations

import json
import math
import os
import select
import signal
import time
import warnings
from contextlib import contextmanager

from ..check.differences import gib, physical_memory


class Unusable(Exception):
    """The command cannot run; the message is the one line shown to the user.

    >>> str(Unusable("--seed -1 is negative"))
    '--seed -1 is negative'
    """


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
    needed, available = size * itemsize, physical_memory()
    if needed > available:
        raise Unusable(f"--shape {text!r} has {size:,} elements: one array of them needs {gib(needed)}, more than "
                       f"this machine's {gib(available)} of memory")


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


UNUSABLE = 2  # the exit status of a command that could not run


@contextmanager
def guarded(label):
    """Run the block with the user's code in it: its sys.exit is an error that names it.

    >>> with guarded("f.py:f"):
    ...     raise SystemExit(3)
    Traceback (most recent call last):
    ...
    admodes.commands._guard.Unusable: f.py:f called sys.exit(3): a checked function must return a value, ...
    """
    try:
        yield
    except SystemExit as stop:
        raise Unusable(f"{label} called sys.exit({stop.code!r}): a checked function must return a value, not end "
                       "the program") from None


def run_command(name, body, args, out, err):
    """Run ``body()`` -> (exit status, text for ``out``, one line for ``err``) under ``args.timeout``; print.

    >>> import argparse, io
    >>> out, err = io.StringIO(), io.StringIO()
    >>> run_command("admodes x", lambda: (2, "", "no good"), argparse.Namespace(function="f.py:f"), out, err)
    2
    >>> err.getvalue()
    'admodes x: no good\\n'
    """
    try:
        timeout = seconds(getattr(args, "timeout", None), "--timeout", zero_ok=False)
        status, text, problem = _limited(body, args.function, timeout)
    except Unusable as stopped:
        status, text, problem = UNUSABLE, "", str(stopped)
    if text:
        print(text, file=out)
    if problem:
        print(f"{name}: {problem}", file=err)
    return status


def _limited(body, label, timeout):
    """``body()``, in a forked child killed after ``timeout`` seconds (or here, when there is no timeout)."""
    if timeout is None or timeout == math.inf:
        return body()
    if not hasattr(os, "fork"):
        raise Unusable("--timeout needs os.fork, which this system does not have")
    read_end, write_end = os.pipe()
    with warnings.catch_warnings():  # the child only runs f and exits: no other thread's lock is needed there
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:
        _child(body, read_end, write_end)
    os.close(write_end)
    try:
        payload = _read_until(read_end, time.monotonic() + timeout)
    finally:
        os.close(read_end)
    if payload is None:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        raise Unusable(f"{label} did not finish within --timeout {timeout:g} s: stopped it")
    os.waitpid(pid, 0)
    if not payload:
        raise Unusable(f"{label}: the process running the check ended without a result")
    return tuple(json.loads(payload))


def _child(body, read_end, write_end):
    """In the forked child: run the body, send (status, text, problem) as JSON, and exit at once."""
    os.close(read_end)
    try:
        result = list(body())
    except BaseException as error:  # noqa: B036 - whatever happens, the parent gets one line
        result = [UNUSABLE, "", f"{type(error).__name__}: {' '.join(str(error).split())}"]
    with os.fdopen(write_end, "wb") as pipe:
        pipe.write(json.dumps(result).encode())
    os._exit(0)


def _read_until(fd, deadline):
    """Everything written to ``fd`` until the writer closes it, or None if the deadline comes first."""
    chunks = []
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
            return None
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
