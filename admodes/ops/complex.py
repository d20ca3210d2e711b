"""Complex numbers: the parts of a complex value (`real`, `imag`, `conjugate`, `angle`), and the list of the
op library's primitives whose rules hold for complex values.

The convention is JAX's (its autodiff cookbook, "Complex numbers and differentiation"). A complex number
is a pair of reals, and every rule is R-linear in the tangent; a VJP is the *transpose* of the JVP under
the pairing ``<a, b> = Re(sum(a * b))``, never its conjugate. So a holomorphic op's rules read as they do
for reals (sin's ``g * cos(x)``), and linear ops transpose without conjugation (matmul's ``g @ b.T``).
Then, for a real-valued f of z = x + iy, ``grad(f)(z) = df/dx - i df/dy``:

    >>> import numpy as np, admodes as ad, admodes.numpy as anp
    >>> ad.grad(lambda z: anp.abs(z) ** 2)(3 + 4j)        # JAX gives 6 - 8j too
    array(6.-8.j)
    >>> bool(ad.grad(anp.sin, holomorphic=True)(1 + 1j) == np.cos(1 + 1j))
    True

A primitive not listed here refuses complex input with a TypeError naming it (`primitive.call_impl`; and
`refuse_complex_input` for those whose NumPy function would quietly give a real result, like ``var``).
The parts themselves are not holomorphic, and their rules say so: ``real``'s transpose is ``g + 0i``,
``imag``'s ``-i g``, ``conjugate``'s ``conj(g)`` (and ``angle``, composed of them, gets ``-i g / z``).
"""

import math

import numpy as np

from . import elementwise, indexing, joining, linalg, products, reductions, shape  # noqa: F401  (registered first)
from .declare import accept_complex, deflinear
from .elementwise import arctan2, astype
from .primitive import REGISTRY, Primitive, complex_refused, is_complex, register_function

__all__ = ["refuse_complex_input", "COMPLEX_PRIMITIVES"]  # (and the ops below)


def _cast(g, dtype):
    """``g`` in ``dtype`` (a complex dtype: ``g + 0i``; a real one: the real part)."""
    return g if g.dtype == dtype else astype(g, dtype)


real = Primitive("real", lambda x: np.real(x), doc=(
    "The real part, elementwise (x itself for real x). Real-linear: its JVP is real(t), its transpose g + 0i.\n\n"
    ">>> real(np.array([1.0 + 2.0j]))\narray([1.])"))
deflinear(real, transpose=lambda g, ans, x: _cast(g, x.dtype), saves="x.shape", elementwise=True, complex="mixed")

imag = Primitive("imag", lambda x: np.imag(x), doc=(
    "The imaginary part, elementwise (0 for real x). Real-linear: its JVP is imag(t), its transpose -i g.\n\n"
    ">>> imag(np.array([1.0 + 2.0j]))\narray([2.])"))
deflinear(imag, transpose=lambda g, ans, x: _cast(g * -1j, x.dtype), saves="x.shape", elementwise=True,
          complex="mixed")

conjugate = Primitive("conjugate", np.conjugate, short="Conj", doc=(
    "The complex conjugate, elementwise (also published as `conj`; x itself for real x). Real-linear and "
    "its own transpose: the JVP is conj(t), the VJP conj(g).\n\n"
    ">>> conjugate(np.array([1.0 + 2.0j]))\narray([1.-2.j])"))
deflinear(conjugate, transpose=lambda g, ans, x: conjugate(g), saves=(), elementwise=True, complex=True)
register_function("conj")(conjugate)


@register_function("angle")
def angle(z, deg=False):
    """The argument of z, elementwise, in (-pi, pi] (degrees with ``deg=True``), as ``numpy.angle``: composed
    as arctan2(imag z, real z), so d angle = Im(dz / z) and the VJP is -i g / z; for real z (angle 0 or pi)
    the derivative is 0, and at z = 0 it is nan (arctan2's at the origin).

    >>> angle(np.array([1j, -1.0]))
    array([1.57079633, 3.14159265])
    """
    theta = arctan2(imag(z), real(z))
    return theta * (180.0 / math.pi) if deg else theta


# ---- which primitives take complex values --------------------------------------------------------------
# Linear ops transpose without conjugation, holomorphic elementwise ops and products have rules that hold
# for complex values as written, and rules that read only values those ops compute stay right. Each is
# checked by tests/test_complex.py with complex cases (finite differences, the transpose identity).

COMPLEX_PRIMITIVES = (
    # shapes, indexing, joining: linear
    "broadcast_to", "sum_to", "reshape", "transpose", "swapaxes", "expand_dims", "squeeze", "moveaxis", "tile",
    "flip", "triu", "tril", "getitem", "scatter_add", "repeat", "diag", "take", "untake", "ravel", "index_add",
    "index_update", "concatenate", "stack",
    # reductions and products: linear or multilinear
    "trace", "sum", "mean", "cumsum", "cumsum_reverse", "prod", "cumprod", "cumprod_exclusive", "linear_scan", "matmul",
    "tensordot", "dot",
    "inner", "outer", "einsum",
    # elementwise, holomorphic (and absolute, with its own rules for complex x)
    "negative", "add", "subtract", "multiply", "divide", "reciprocal", "square", "power", "sqrt", "exp",
    "exp2", "expm1", "log", "log2", "log10", "log1p", "sin", "cos", "tan", "arcsin", "arccos", "arctan",
    "sinh", "cosh", "tanh", "arcsinh", "arccosh", "arctanh", "absolute", "where",
    # linear algebra: holomorphic matrix functions
    "linalg.inv", "linalg.solve",
)
accept_complex(*(REGISTRY[name] for name in COMPLEX_PRIMITIVES))
accept_complex(astype, mixed=True)  # (complex to real keeps the real part; its transpose casts back)


def refuse_complex_input(prim):
    """Make `prim` refuse complex arguments with a TypeError naming it: for a primitive whose NumPy function
    maps complex input to a real result (``var``, ``norm``) by a formula its rules do not follow, which
    `primitive.call_impl`'s check of complex *results* would let through.

    >>> import admodes.numpy as anp
    >>> anp.var(np.array([1j, 2.0]))
    Traceback (most recent call last):
    ...
    TypeError: admodes.var(a: shape (2,) dtype complex128): admodes.var does not take complex input (argument a ...
    """
    impl, names = prim.impl, prim.argnames

    def real_only(*args, **params):
        for name, a in zip(names, args):
            if is_complex(a):
                raise complex_refused(prim.name, name, np.result_type(a))
        return impl(*args, **params)

    real_only.__doc__ = impl.__doc__
    prim.impl = real_only


# The primitives whose NumPy functions give real results for complex input, or fail on it with another error
# than a TypeError (cholesky's LinAlgError): found by tests/test_complex.py, which feeds every primitive's
# cases complex values.
for _name in ("var", "std", "linalg.norm", "linalg.slogdet", "linalg.cholesky", "linalg.eigh"):
    refuse_complex_input(REGISTRY[_name])
