"""What the engines and transforms accept: argument checks and dtype rules, in one place.

Every entry point (``Dual(...)``, `jvp`, `grad`, `jacrev`, `vmap`, `checkpoint`, ...) checks what the user
passed with these functions, so the same mistake gets the same clear error (naming the argument, its
shape and dtype) whichever transform met it first. The dtype rules are NumPy's and PyTorch's:

- a derivative needs a real floating-point point: integer and bool arrays are refused (``astype(float)``
  is the fix), but Python numbers and lists of them are promoted to float64, NumPy's default;
- complex values are taken where JAX takes them (`jvp`, `vjp`, `grad` and `jacrev` of a real-valued f, and
  ``holomorphic=True``: `check_holomorphic`), with JAX's convention: a derivative of a complex value is
  the transpose of the JVP, so ``grad(lambda z: abs(z) ** 2)(3 + 4j) == 6 - 8j`` (df/dx - i df/dy);
- a tangent has its primal's shape and dtype; a Python number or list is converted to that dtype;
- where a dtype must be made up for a result that has no float dtype of its own (the zero gradient of an
  integer output), it is float64.

    >>> import numpy as np
    >>> float_input([1, 2], "x").dtype, float_dtype(np.arange(3))
    (dtype('float64'), dtype('float64'))
    >>> check_argnums((0, -1), 3, "grad")
    (0, 2)
"""

from __future__ import annotations

import math

import numpy as np

from .ops.core import Traced, shape_of

__all__ = [
    "dtype_of", "float_dtype", "in_dtype", "float_input", "check_holomorphic", "check_holomorphic_output",
    "checked_tangent", "checked_like", "check_argnums",
    "as_tuple", "returned", "single_output", "check_scalar_output", "check_int", "check_batch_size",
]


# ----------------------------------------------------------------------------------------------------
# dtype rules
# ----------------------------------------------------------------------------------------------------

def dtype_of(x):
    """The dtype of an array, a traced value (read without unwrapping it: a batched value has one) or a
    Python number.

    >>> dtype_of(np.float32(1.0)), dtype_of(2)
    (dtype('float32'), dtype('int64'))
    """
    dtype = getattr(x, "dtype", None)
    return np.dtype(dtype) if dtype is not None else np.result_type(x)


def float_dtype(x):
    """The dtype of ``x`` (a value or a dtype) if it is a float (or complex) dtype, else float64: the dtype
    given to a derivative (a zero tangent or gradient) of a value that has no float dtype of its own.

    >>> float_dtype(np.zeros(2, np.float32)), float_dtype(np.dtype(bool)), float_dtype(1j)
    (dtype('float32'), dtype('float64'), dtype('complex128'))
    """
    dtype = x if isinstance(x, np.dtype) else dtype_of(x)
    return dtype if dtype.kind in "fc" else np.dtype(np.float64)


def in_dtype(derivative, dtype):
    """A derivative with respect to an input of ``dtype``, in that dtype: as in JAX, the gradient of a float32
    input is float32 even where f mixed in float64 constants (its output, and the sweep, were float64).

    A complex derivative of a real input (a Jacobian of a function with complex output) stays complex, in
    the input's precision.

    >>> in_dtype(np.ones(2), np.dtype(np.float32)).dtype, in_dtype(np.ones(2) * 1j, np.dtype(np.float32)).dtype
    (dtype('float32'), dtype('complex64'))
    """
    if derivative.dtype.kind == "c" and dtype.kind == "f":
        dtype = np.result_type(dtype, np.complex64)
    return derivative if derivative.dtype == dtype else derivative.astype(dtype)


# ----------------------------------------------------------------------------------------------------
# Points and tangents
# ----------------------------------------------------------------------------------------------------

def float_input(x, what, complex_ok=False):
    """``x`` as a point to differentiate at (no copy): a real floating-point array, or a clear error.

    A traced value (an enclosing transform's, or a batch) is kept as it is; its dtype is read without
    unwrapping it. ``what`` names the argument in the error ("jvp: primal 0"). ``complex_ok``: a complex
    array (or Python complex) is a point too (jvp, vjp, grad; JAX's convention).

    >>> float_input(np.int64(3), "x")
    Traceback (most recent call last):
    ...
    TypeError: x has dtype int64 (shape ()): a derivative needs floating-point input; pass x.astype(float)
    """
    if type(x) is np.ndarray and x.dtype.kind == "f":  # the common case
        return x
    if isinstance(x, Traced):  # a value of an enclosing transform
        dtype = dtype_of(x)
        if dtype.kind != "f" and not (complex_ok and dtype.kind == "c"):
            raise TypeError(f"{what} has dtype {dtype} (shape {shape_of(x)}): a derivative needs floating-point "
                            "input")
        return x
    arr = np.asarray(x)
    kind = arr.dtype.kind
    if kind == "f":
        return arr
    if kind == "c":
        if complex_ok:
            return arr
        raise TypeError(f"{what} is complex ({arr.dtype}, shape {arr.shape}); this transform differentiates real "
                        "arrays only: use jvp/vjp/grad, or holomorphic=True for a holomorphic function")
    if kind in "iu" and not isinstance(x, (np.ndarray, np.generic)):
        return arr.astype(np.float64)  # Python numbers (or lists of them): promoted, as NumPy's float default
    if kind in "iub":
        raise TypeError(f"{what} has dtype {arr.dtype} (shape {arr.shape}): a derivative needs floating-point "
                        "input; pass x.astype(float)")
    raise TypeError(f"{what} must be a real floating-point array, got {type(x).__name__} of dtype {arr.dtype}")


def checked_tangent(t, primal, what, primal_name):
    """The tangent ``t`` for ``primal``: its shape, and its dtype unless ``t`` is a Python number or list.

    >>> checked_tangent(1, np.zeros((), np.float32), "tangent", "the primal").dtype
    dtype('float32')
    """
    if type(primal) is np.ndarray and type(t) is np.ndarray and t.shape == primal.shape and t.dtype == primal.dtype:
        return t  # the common case, checked
    return checked_like(t, shape_of(primal), dtype_of(primal), what, primal_name)


def checked_like(t, shape, dtype, what, owner, kind="tangent", owners="its primal's"):
    """``t`` checked as a ``kind`` (tangent, or cotangent for vjp) of a value of ``shape`` and ``dtype``
    (``owner``'s): the same shape, and the same dtype unless ``t`` is a Python number or list (converted).

    >>> checked_like([1, 2], (2,), np.dtype(np.float32), "the cotangent", "f's output", "cotangent").dtype
    dtype('float32')
    """
    if isinstance(t, Traced):  # a tangent that itself depends on an enclosing transform
        t_shape, t_dtype = shape_of(t), dtype_of(t)
    else:
        from_python = not isinstance(t, (np.ndarray, np.generic))
        t = np.asarray(t)
        t_shape, t_dtype = t.shape, t.dtype
        if from_python and (t.dtype.kind in "iuf" or t.dtype.kind == "c" == dtype.kind):
            t, t_dtype = t.astype(dtype, copy=False), dtype
    if t_shape != shape:
        raise ValueError(f"{what} has shape {t_shape} but {owner} has shape {shape}: a {kind} has {owners} "
                         "shape and dtype")
    if t_dtype != dtype:
        fix = f"pass the {kind} as .astype(np.{dtype})" if t_dtype.kind in "iufb" or dtype.kind == "c" else \
            f"use a real float {kind}"
        raise TypeError(f"{what} has dtype {t_dtype} but {owner} has dtype {dtype} (shape {shape}): a "
                        f"{kind} has {owners} dtype; {fix}")
    return t


# ----------------------------------------------------------------------------------------------------
# Arguments of the transforms
# ----------------------------------------------------------------------------------------------------

def check_argnums(argnums, nargs, who):
    """``argnums`` (an int or a tuple of ints, negative ones counting from the end) as a tuple of indices.

    >>> check_argnums(1, 2, "grad")
    (1,)
    """
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums) if isinstance(argnums, (tuple, list)) else ()
    if not nums or any(not isinstance(i, int) or isinstance(i, bool) for i in nums):
        raise TypeError(f"{who}: argnums must be an int or a non-empty tuple of ints, got {argnums!r}")
    for i in nums:
        if not -nargs <= i < nargs:
            raise ValueError(f"{who}: argnums {i} is out of range for a function called with {nargs} arguments")
    nums = tuple(i % nargs for i in nums)
    twice = sorted({i for i in nums if nums.count(i) > 1})
    if twice:  # (PyTorch's torch.func refuses them too: one leaf per argument, one derivative per leaf)
        raise ValueError(f"{who}: argnums {argnums!r} names argument {twice[0]} more than once; list each "
                         "argument once (and reuse its derivative)")
    return nums


def as_tuple(xs, what, who="jvp"):
    """``xs`` (a tuple or list with one entry per argument of f) as a tuple.

    >>> as_tuple([1.0], "primals")
    (1.0,)
    """
    if isinstance(xs, (tuple, list)):
        return tuple(xs)
    raise TypeError(f"{who}: {what} must be a tuple with one entry per argument of f, got {type(xs).__name__} "
                    f"(for one argument write ({what[:-1]},))")


def returned(out, who, name="f"):
    """What ``f`` returned, if it is one array of numbers, real or complex (a number, a traced value); else a
    TypeError saying what it is.

    A function that forgets to ``return`` gives None, which would otherwise become a constant and a zero
    derivative without a word. (Tuples and lists pass: `single_output` refuses them.)

    >>> returned(None, "grad")
    Traceback (most recent call last):
    ...
    TypeError: grad: f must return a real array, but it returned None (did it forget to `return`?) ...
    """
    if type(out) is np.ndarray and out.dtype.kind in "fiubc" or isinstance(out, (Traced, tuple, list)):
        return out
    if out is None:
        what = "None (did it forget to `return`?)"
    elif isinstance(out, (np.ndarray, np.generic, int, float, complex)):
        dtype = np.result_type(out)
        if dtype.kind in "fiubc":
            return out
        noun = "an array" if isinstance(out, np.ndarray) else "a value"
        what = f"{noun} of dtype {dtype} (shape {np.shape(out)})"
    else:
        what = f"a {type(out).__name__}"
    raise TypeError(f"{who}: {name} must return a real array, but it returned {what} (or a complex one, where "
                    "the transform takes complex values)")


def single_output(out, who):
    """What ``f`` returned, checked to be one real array (`returned`; the transforms do not take pytrees).

    >>> single_output((1, 2), "vmap")
    Traceback (most recent call last):
    ...
    TypeError: vmap: f must return a single array (pytrees are not supported); return one array, ...
    """
    if isinstance(out, (tuple, list)):
        raise TypeError(f"{who}: f must return a single array (pytrees are not supported); return one array, "
                        "or differentiate each output separately")
    return returned(out, who)


def check_scalar_output(out, who, holomorphic=False):
    """Refuse an output that is not one float number (what a gradient needs; one complex number with
    ``holomorphic``).

    >>> check_scalar_output(np.ones(2), "grad")
    Traceback (most recent call last):
    ...
    TypeError: grad needs a function with a scalar output, but f returned shape (2,): reduce it ...
    """
    shape = shape_of(out)
    if math.prod(shape) != 1:
        raise TypeError(f"{who} needs a function with a scalar output, but f returned shape {shape}: reduce it "
                        "(e.g. with .sum()), or use jacrev/jacfwd for the Jacobian, or vjp for v^T J")
    check_holomorphic_output(out, who, holomorphic)


def check_holomorphic(x, what, who, holomorphic, complex_ok=True):
    """``x`` as a point for ``who`` (grad, jacrev, jacfwd), by JAX's rules: with ``holomorphic`` it must be
    complex; without, a complex point is taken only where ``complex_ok`` (grad and jacrev, of a real-valued
    f; jacfwd refuses it, as JAX's does).

    >>> check_holomorphic(np.array(1.0), "argument 0", "jacrev", True)
    Traceback (most recent call last):
    ...
    TypeError: jacrev with holomorphic=True requires inputs with complex dtype, but argument 0 has float64
    """
    if holomorphic:
        dtype = dtype_of(x)
        if dtype.kind != "c":
            raise TypeError(f"{who} with holomorphic=True requires inputs with complex dtype, but {what} has {dtype}")
        return x if isinstance(x, Traced) else np.asarray(x)
    if not complex_ok and dtype_of(x).kind == "c":
        raise TypeError(f"{who} requires real-valued inputs, but {what} has {dtype_of(x)}. For holomorphic "
                        "differentiation, pass holomorphic=True. For differentiation of non-holomorphic functions "
                        "involving complex inputs, use jvp directly (with tangents 1 and 1j)")
    return float_input(x, f"{who}: {what}", complex_ok=True)


def check_holomorphic_output(out, who, holomorphic):
    """Refuse an output dtype ``who`` cannot differentiate, by JAX's rules: ``holomorphic`` needs a complex
    output; otherwise grad and jacrev need a real floating-point one (a complex output's cotangent has two
    parts, which `vjp` takes).

    >>> check_holomorphic_output(np.array(1j), "grad", False)
    Traceback (most recent call last):
    ...
    TypeError: grad requires real-valued outputs, but f returned complex128. For holomorphic ...
    """
    dtype = dtype_of(out)
    if holomorphic:
        if dtype.kind != "c":
            raise TypeError(f"{who} with holomorphic=True requires outputs with complex dtype, but f returned {dtype}")
    elif dtype.kind == "c":
        raise TypeError(f"{who} requires real-valued outputs, but f returned {dtype}. For holomorphic "
                        "differentiation, pass holomorphic=True. For differentiation of non-holomorphic functions "
                        "with complex outputs, use vjp directly")
    elif dtype.kind != "f":
        raise TypeError(f"{who}: f returned dtype {dtype}; a gradient needs a float output")


def check_int(value, name, who, low, high=None, high_name=""):
    """``value`` as an int in ``[low, high]`` (``high_name`` says what bounds it), or a clear error.

    >>> check_int(3, "steps", "revolve", 1)
    3
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{who}: {name} must be an int, got {type(value).__name__} {value!r}")
    if value < low:
        raise ValueError(f"{who}: {name} must be at least {low}, got {value}")
    if high is not None and value > high:
        raise ValueError(f"{who}: {name} must be at most {high_name} = {high}, got {value}")
    return int(value)


def check_batch_size(batch_size, who, name="batch_size"):
    """A batched Jacobian's ``batch_size`` (or ``chunk_size``): a positive int, or None (an automatic size).

    >>> check_batch_size(None, "jacfwd"), check_batch_size(4, "jacfwd")
    (None, 4)
    """
    if batch_size is None:
        return None
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"{who}: {name} must be a positive int (or None for an automatic size), "
                         f"got {batch_size!r}")
    return int(batch_size)
