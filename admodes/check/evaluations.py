"""Calling ``f`` for finite differences: the point checked and copied, every call counted, every output checked."""

from __future__ import annotations

import time
import warnings

import numpy as np

# The way out whenever f turns out not to take a complex step (it raises, warns, or drops the imaginary part).
_USE_RICHARDSON = "so method='complex' cannot be used; use method='richardson'"


def first_non_finite(arr):
    """The index (a tuple) of the first non-finite element of ``arr``, or None when all are finite."""
    bad = np.argwhere(~np.isfinite(arr))
    return tuple(int(k) for k in bad[0]) if len(bad) else None


def as_point(x, name):
    """A float copy of ``x`` (the caller's array is never touched), or an error that says what is wrong."""
    if isinstance(x, (str, bytes, dict, set)) or x is None:
        raise TypeError(f"{name} must be a float array or number, got {type(x).__name__}")
    arr = np.asarray(x)
    kind = arr.dtype.kind
    if kind in "iub":
        raise TypeError(f"{name} has dtype {arr.dtype}: finite differences need a float array "
                        f"(pass {name}.astype(float))")
    if kind == "c":
        raise TypeError(f"{name} is complex ({arr.dtype}): admodes differentiates real arrays only")
    if kind != "f":
        raise TypeError(f"{name} must be a float array or number, got {type(x).__name__} of dtype {arr.dtype}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape}): there is nothing to differentiate")
    where = first_non_finite(arr)
    if where is not None:
        raise ValueError(f"{name} has non-finite values ({name}{list(where)} = {arr[where]}): "
                         "differentiate at a finite point")
    return np.array(arr, copy=True)


class Calls:
    """Calls ``f`` on fresh plain arrays, counts the calls and checks what comes back.

    With ``widen=True`` (the checker's), a float32 (or float16) point is evaluated in float64 when ``f``
    follows float64 input (returns float64 for it): the differences are then as exact as float64 allows, and
    ``narrow_eps`` (the point's own eps) remains to say how exactly a float32 derivative can be computed.
    """

    def __init__(self, f, widen=False):
        if not callable(f):
            raise TypeError(f"f must be callable, got {type(f).__name__}")
        self.f = f
        self.count = 0
        self.shape = None
        self.seconds = 0.0  # how long f(x) took at the point: what a Jacobian's cost is estimated from
        self.widen, self.widened, self.narrow_eps = widen, False, None

    def point(self, x):
        """x as f is evaluated here: float64 once widened (exactly the same point), else x itself."""
        return x.astype(np.float64) if self.widened and x.dtype.kind == "f" and x.dtype.itemsize < 8 else x

    def at_point(self, x):
        """f(x), which must be finite: finite differences around a non-finite value mean nothing."""
        started = time.perf_counter()
        out = self._widened_at(x) if self.widen and x.dtype.kind == "f" and x.dtype.itemsize < 8 else None
        if out is None:
            out = self(x, "at the point")
        self.seconds = time.perf_counter() - started
        where = first_non_finite(out)
        if where is not None:
            label = f"output{list(where)}" if out.ndim else "f(x)"
            raise ValueError(f"f is not finite at the point: {label} = {out[where]} "
                             f"({np.count_nonzero(~np.isfinite(out))} of {out.size} output elements non-finite); "
                             "gradients can only be checked where f is finite")
        self.shape = out.shape
        return out

    def _widened_at(self, x):
        """f at x in float64, if f takes it and answers in float64 (then every later call is widened); else None,
        and the differences stay in x's dtype (f casts to float32 inside, or refuses float64)."""
        try:
            out = self(x.astype(np.float64), "at the point (in float64)")
        except Exception:  # (f is called again in x's own dtype: what it raises then is reported)
            return None
        if out.dtype != np.float64 or first_non_finite(out) is not None:
            return None
        self.widened, self.narrow_eps = True, float(np.finfo(x.dtype).eps)
        return out

    def __call__(self, x, where, complex_ok=False):
        self.count += 1
        if self.widened and x.dtype.itemsize < (16 if x.dtype.kind == "c" else 8):
            x = x.astype(np.complex128 if x.dtype.kind == "c" else np.float64)
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("error", np.exceptions.ComplexWarning)
                out = self.f(x.copy())
        except np.exceptions.ComplexWarning as err:
            raise TypeError(f"f does not accept complex input ({err}), {_USE_RICHARDSON}") from None
        except Exception as err:
            if complex_ok:
                raise TypeError(f"f does not accept complex input, {_USE_RICHARDSON} "
                                f"(f raised {type(err).__name__}: {err})") from None
            if hasattr(err, "add_note"):
                err.add_note(f"(raised by f, called {where} by the finite differences)")
            raise
        return self._as_output(out, where, complex_ok)

    def _as_output(self, out, where, complex_ok):
        if isinstance(out, (list, tuple, dict, set, str, bytes)) or out is None:
            raise TypeError(f"f must return an array or a number, got {type(out).__name__}"
                            + (" (return np.stack(...) for several arrays)" if isinstance(out, (list, tuple))
                               else ""))
        arr = np.array(out, copy=True)
        kind = arr.dtype.kind
        if complex_ok:
            if kind != "c":
                raise TypeError("f returned real values for complex input: it drops the imaginary part "
                                f"(np.real, abs, astype(float), ...), {_USE_RICHARDSON}")
        elif kind in "iub":
            raise TypeError(f"f returned an array of dtype {arr.dtype}: its derivative is not defined; "
                            "return floats")
        elif kind != "f":
            raise TypeError(f"f must return a float array or number, got {type(out).__name__} of dtype {arr.dtype}")
        if self.shape is not None and arr.shape != self.shape:
            raise ValueError(f"f returned shape {arr.shape} {where} but {self.shape} at the point: "
                             "the output shape must not depend on the input's values")
        return arr
