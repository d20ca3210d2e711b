"""Elementwise primitives: arithmetic, exponentials and logarithms, trigonometry, and friends.

Most rules multiply the incoming tangent or cotangent by a partial derivative; `defpartials` writes
that pattern once, so each op below is one line of calculus. Broadcasting needs no care here: the
engines sum cotangents back to each input's shape (`core.unbroadcast`).
"""

import numpy as np

from .core import Primitive, defrules, values_read


def defpartials(prim, *partials):
    """Define both rules of an elementwise `prim` from its partial derivatives d ans / d arg_i.

    Each partial is ``partial(ans, *args)``; then jvp_i = t * partial and vjp_i = g * partial.
    """
    jvps = tuple(lambda t, ans, *args, _p=p: t * _p(ans, *args) for p in partials)
    vjps = tuple(lambda g, ans, *args, _p=p: g * _p(ans, *args) for p in partials)
    nargs = len(prim.argnames)
    defrules(prim, jvp=jvps, vjp=vjps, reads=[values_read(p, nargs, leading=0) for p in partials])


# ---- arithmetic ------------------------------------------------------------------------------------

add = Primitive("add", np.add)
subtract = Primitive("subtract", np.subtract, short="Sub")
multiply = Primitive("multiply", np.multiply, short="Mul")
divide = Primitive("divide", np.divide, short="Div")
negative = Primitive("negative", np.negative, short="Neg")

defrules(add, jvp=(lambda t, ans, x, y: t, lambda t, ans, x, y: t),
         vjp=(lambda g, ans, x, y: g, lambda g, ans, x, y: g))
defrules(subtract, jvp=(lambda t, ans, x, y: t, lambda t, ans, x, y: -t),
         vjp=(lambda g, ans, x, y: g, lambda g, ans, x, y: -g))
defrules(multiply, jvp=(lambda t, ans, x, y: t * y, lambda t, ans, x, y: x * t),
         vjp=(lambda g, ans, x, y: g * y, lambda g, ans, x, y: x * g))
defrules(divide, jvp=(lambda t, ans, x, y: t / y, lambda t, ans, x, y: -t * x / (y * y)),
         vjp=(lambda g, ans, x, y: g / y, lambda g, ans, x, y: -g * x / (y * y)))
defrules(negative, jvp=lambda t, ans, x: -t, vjp=lambda g, ans, x: -g)

# ---- exponentials, logarithms, trigonometry ---------------------------------------------------------

exp = Primitive("exp", np.exp)
log = Primitive("log", np.log)
sin = Primitive("sin", np.sin)
cos = Primitive("cos", np.cos)

defpartials(exp, lambda ans, x: ans)
defpartials(log, lambda ans, x: 1.0 / x)
defpartials(sin, lambda ans, x: cos(x))
defpartials(cos, lambda ans, x: -sin(x))
