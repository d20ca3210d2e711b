"""Reverse-mode transforms: `vjp`, `grad`, `value_and_grad`, `jacrev`, and the second-order `hessian` and
`hvp` (forward over reverse).

Each call makes a fresh level (`core.new_level`) for its tensors, so the transforms nest in any
combination: ``grad(grad(f))``, ``jacfwd(jacrev(f))``, ``jvp`` of ``grad``, ...

    >>> import numpy as np
    >>> grad(lambda x: (x ** 3).sum())(np.array([1.0, 2.0]))      # 3 x^2
    array([ 3., 12.])
    >>> grad(grad(lambda x: x ** 3))(np.array(2.0))             # 6 x
    array(12.)
"""

from __future__ import annotations

import numpy as np

from ..arraylike import as_array
from ..fastpaths import FAST
from ..inputs import (
    check_argnums,
    check_holomorphic,
    check_holomorphic_output,
    check_scalar_output,
    checked_like,
    dtype_of,
    float_dtype,
    float_input,
    in_dtype,
    single_output,
)
from ..ops.core import new_level, shape_of
from ..reverse import Tensor, run_backward
from ..temporaries import sole
from .batched import batched_jacrev, batched_or_per_direction, chunk_of
from .forward_mode import jacfwd, jvp, value_and_jacfwd

__all__ = ["vjp", "grad", "value_and_grad", "jacrev", "hessian", "hvp", "MODES"]

MODES = ("reverse", "forward")
"""The modes `grad` and `value_and_grad` take."""


def vjp(f, *primals):
    """Evaluate ``f(*primals)`` and return ``(out, vjp_fn)``; ``vjp_fn(u)`` gives u^T J, one per primal.

    ``vjp_fn`` may be called many times (the tape is kept while it lives).

    >>> import numpy as np
    >>> out, vjp_fn = vjp(lambda x: x * 2.0, np.array([1.0, 2.0]))
    >>> vjp_fn(np.array([1.0, 10.0]))
    (array([ 2., 20.]),)
    """
    return _vjp(f, primals, range(len(primals)), "vjp")


def _vjp(f, args, nums, who, once=False, holomorphic=None):
    """`vjp` of ``f`` in the arguments ``nums``; ``once``: the returned function will be called once, so its
    sweep frees the tape as it goes (grad), instead of keeping it for more calls. ``holomorphic`` (grad,
    jacrev): check the inputs' dtypes by JAX's rules (`inputs.check_holomorphic`); None: any float dtype."""
    level = new_level()
    args = list(args)
    leaves = []
    for i in nums:
        if holomorphic is None:
            x = float_input(args[i], f"{who}: argument {i}", complex_ok=True)
        else:
            x = check_holomorphic(args[i], f"argument {i}", who, holomorphic)
        # A view, so that an in-place op inside f can never write into the caller's array.
        inner = x.view() if type(x) is np.ndarray else x
        args[i] = Tensor._make(inner, level, requires_grad=True)
        leaves.append(args[i])
    out = single_output(f(*args), who)
    traced = type(out) is Tensor and out._level == level
    out_value = as_array(out.data if traced else out)
    out_shape, out_dtype = shape_of(out_value), dtype_of(out_value)

    def vjp_fn(cotangent):
        cotangent = cotangent.data if type(cotangent) is Tensor and cotangent._level == level else cotangent
        cotangent = checked_like(cotangent, out_shape, float_dtype(out_dtype), f"{who}: the cotangent", "f's output",
                                 "cotangent", "the output's")
        found = [None] * len(leaves)
        if traced and out._requires_grad:
            found = run_backward([out], [cotangent], leaves, retain_graph=not once, create_graph=False,
                                 accumulate=False)
        cotangents = []
        for i, t in enumerate(leaves):
            g = found[i]
            found[i] = None
            if g is None:
                g = np.zeros(shape_of(t.data), dtype_of(t.data))
            elif type(g) is np.ndarray and not (FAST and g.base is None and sole(g)):
                # Ours to return: never the caller's cotangent itself, a read-only broadcast, ... (The fast
                # path keeps an array that only the sweep made and holds, instead of copying it.)
                g = g.copy()
            if g.dtype != t.data.dtype:  # the input's dtype, as JAX (f may have mixed in float64 constants)
                g = in_dtype(g, t.data.dtype)
            cotangents.append(as_array(g))
        return tuple(cotangents)

    vjp_fn.out_dtype = out_dtype
    return out_value, vjp_fn


def value_and_grad(f, argnums=0, mode="reverse", *, holomorphic=False):
    """A function returning ``(f(*args), gradient)`` for a scalar-valued ``f``.

    ``mode="reverse"`` (one backward sweep) or ``"forward"`` (one forward sweep per input element).
    Complex inputs follow JAX: a real-valued ``f`` of complex ``z = x + iy`` has the gradient
    ``df/dx - i df/dy`` (``grad(lambda z: abs(z) ** 2)(3 + 4j) == 6 - 8j``: conjugate it for a step of
    gradient descent); ``holomorphic=True`` gives f'(z) of a holomorphic ``f`` (complex in, complex out).

    >>> import numpy as np
    >>> value_and_grad(lambda x: (x * x).sum())(np.array([1.0, 2.0]))
    (array(5.), array([2., 4.]))
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")

    def value_and_gradient(*args):
        nums = check_argnums(argnums, len(args), "grad")
        if mode == "forward":  # one forward sweep per input element; the value comes from the sweeps
            out, jac = value_and_jacfwd(f, nums, who="grad", holomorphic=holomorphic)(*args)
            check_scalar_output(out, "grad", holomorphic)
            grads = tuple(j.reshape(shape_of(args[i])) for i, j in zip(nums, jac))
        else:
            out, vjp_fn = _vjp(f, args, nums, "grad", once=True, holomorphic=holomorphic)
            check_scalar_output(out, "grad", holomorphic)
            grads = vjp_fn(np.ones(shape_of(out), float_dtype(vjp_fn.out_dtype)))
        return as_array(out), grads[0] if isinstance(argnums, int) else grads

    return value_and_gradient


def grad(f, argnums=0, mode="reverse", *, holomorphic=False):
    """The gradient of a scalar-valued ``f`` with respect to argument ``argnums`` (or a tuple of them).
    For complex arguments and ``holomorphic``, see `value_and_grad`.

    >>> import numpy as np
    >>> grad(lambda x, y: x * y, argnums=(0, 1))(np.array(3.0), np.array(4.0))
    (array(4.), array(3.))
    >>> grad(lambda z: abs(z) ** 2)(3 + 4j), grad(lambda z: z ** 2, holomorphic=True)(3 + 4j)
    (array(6.-8.j), array(6.+8.j))
    """
    value_and_gradient = value_and_grad(f, argnums, mode, holomorphic=holomorphic)

    def gradient(*args):
        return value_and_gradient(*args)[1]

    return gradient


def jacrev(f, argnums=0, *, holomorphic=False, batch=True, chunk_size=None):
    """The Jacobian of ``f`` by reverse mode, row by row: one backward sweep seeded with the cotangents of
    all output elements at once (`batched_jacrev`), ``chunk_size`` of them at a time.

    The result has JAX's layout, ``f(x).shape + x.shape``. ``chunk_size=None`` sizes the chunks to a memory
    budget (`automatic_chunk_size`), as ``torch.func.jacrev``'s ``chunk_size`` (``batch=k`` is another
    spelling of ``chunk_size=k``). ``batch=False`` runs one backward sweep per output element instead: the
    textbook cost. Where ``f`` reads the plain value of a cotangent (a custom `Function` whose backward
    calls NumPy, a hook that prints its gradient), the per-output sweeps run instead. As JAX's, it takes
    complex inputs of a real-valued f (each row as `grad` gives it), and ``holomorphic=True`` for complex in
    and out (the Jacobian is f'(z), swept one output element at a time).

    >>> import numpy as np
    >>> jacrev(lambda x: x[::-1] * 1.0)(np.array([1.0, 2.0]))
    array([[0., 1.],
           [1., 0.]])
    >>> jacrev(lambda x: x[::-1] * 1.0, batch=False)(np.array([1.0, 2.0]))
    array([[0., 1.],
           [1., 0.]])
    """
    if holomorphic and batch is not False:
        return jacrev(f, argnums, holomorphic=True, batch=False)
    if batch is not False:
        per_direction = jacrev(f, argnums, batch=False)
        return batched_or_per_direction(batched_jacrev(f, argnums, chunk_of(batch, chunk_size, "jacrev")),
                                        per_direction)
    if chunk_size is not None:
        raise ValueError(f"jacrev: chunk_size={chunk_size!r} needs batch=True (batch=False: one sweep per output)")

    def jacobian(*args):
        nums = check_argnums(argnums, len(args), "jacrev")
        out, vjp_fn = _vjp(f, args, nums, "jacrev", holomorphic=holomorphic)
        check_holomorphic_output(out, "jacrev", holomorphic)
        out_shape = shape_of(out)
        basis = np.eye(int(np.prod(out_shape)), dtype=float_dtype(vjp_fn.out_dtype))
        rows = [vjp_fn(e.reshape(out_shape)) for e in basis]  # one reverse sweep per output element
        jacs = []
        for k, i in enumerate(nums):
            in_shape = shape_of(args[i])
            stacked = np.stack([r[k] for r in rows]) if rows else np.zeros((0,) + in_shape)
            jacs.append(stacked.reshape(out_shape + in_shape))
        return jacs[0] if isinstance(argnums, int) else tuple(jacs)
    return jacobian


def hessian(f, argnums=0, *, holomorphic=False, batch=True, chunk_size=None):
    """The Hessian of a scalar-valued ``f``: forward mode over reverse mode, ``jacfwd(jacrev(f))``, both
    batched by default (``batch`` and ``chunk_size`` as in `jacfwd`; ``batch=False``: one forward sweep per
    input direction, over one backward sweep each); ``holomorphic`` as in `jacrev`.

    >>> import numpy as np
    >>> hessian(lambda x: (x ** 3).sum())(np.array([1.0, 2.0]))
    array([[ 6.,  0.],
           [ 0., 12.]])
    """
    return jacfwd(jacrev(f, argnums, holomorphic=holomorphic, batch=batch, chunk_size=chunk_size), argnums,
                  holomorphic=holomorphic, batch=batch, chunk_size=chunk_size)


def hvp(f, x, v):
    """The Hessian-vector product H(x) v of a scalar ``f``, in one forward-over-reverse sweep.

    >>> import numpy as np
    >>> hvp(lambda x: (x ** 3).sum(), np.array([1.0, 2.0]), np.array([1.0, 1.0]))
    array([ 6., 12.])
    """
    return jvp(grad(f), (x,), (v,))[1]
