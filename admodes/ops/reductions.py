"""Reductions: sum, mean, prod, max/min, var/std, logsumexp, cumulative sums and products.

Each takes NumPy's ``axis`` (None, an int or a tuple, negatives allowed) and ``keepdims``. A VJP
spreads the cotangent back over the reduced axes: `_restore` puts them back as length-1 axes so the
cotangent broadcasts against the input. Most reductions here have a derivative that is a weighted sum
over the reduced axes, ``d ans = sum(w * da)``; `defweights` writes that pattern once, so each of
them is one line: its weights.
"""

import numpy as np

from .core import Primitive, defrules, nondifferentiable, values_read
from .elementwise import exp
from .shape import broadcast_to, reshape


def _axes(axis, ndim):
    """``axis`` (None, an int or a tuple of ints, negatives allowed) as a tuple of axes in [0, ndim)."""
    if axis is None:
        return tuple(range(ndim))
    return tuple(int(ax) % ndim for ax in ((axis,) if np.isscalar(axis) else axis))


def _count(shape, axis):
    """How many elements each output element of a reduction over ``axis`` gathers (a Python int)."""
    return int(np.prod([shape[ax] for ax in _axes(axis, len(shape))]))


def _restore(g, shape, axis, keepdims):
    """Reshape a reduction's cotangent so it broadcasts against the input of ``shape``."""
    if keepdims or np.ndim(g) == 0:
        return g
    kept = list(shape)
    for ax in _axes(axis, len(shape)):
        kept[ax] = 1
    return reshape(g, tuple(kept))


def _spread(g, shape, axis, keepdims):
    """The cotangent of a reduction copied to every element it reduced over: an array of ``shape``."""
    return broadcast_to(_restore(g, shape, axis, keepdims), shape)


def defweights(prim, weights):
    """Define both rules of a reduction `prim` whose derivative is a weighted sum over the reduced axes.

    ``weights(ans, a, axis, keepdims)`` returns w = d ans / d a, of a's shape (each element's share of
    its output element); then jvp = sum(t * w) over the reduced axes and vjp = g * w, with g spread back.
    """
    def jvp(t, ans, a, axis=None, keepdims=False):
        return sum(t * weights(ans, a, axis, keepdims), axis=axis, keepdims=keepdims)

    def vjp(g, ans, a, axis=None, keepdims=False):
        return _restore(g, a.shape, axis, keepdims) * weights(ans, a, axis, keepdims)

    whole, meta = values_read(weights, 1, leading=0)  # what w reads; vjp adds a's shape
    defrules(prim, jvp=jvp, vjp=vjp, reads=[(whole, meta | ({0} - whole))])


# ---- sums and means --------------------------------------------------------------------------------

sum = Primitive("sum", lambda a, axis=None, keepdims=False: np.sum(a, axis=axis, keepdims=keepdims))
mean = Primitive("mean", lambda a, axis=None, keepdims=False: np.mean(a, axis=axis, keepdims=keepdims))

defrules(sum,
         jvp=lambda t, ans, a, axis=None, keepdims=False: sum(t, axis=axis, keepdims=keepdims),
         vjp=lambda g, ans, a, axis=None, keepdims=False: _spread(g, a.shape, axis, keepdims))
defrules(mean,
         jvp=lambda t, ans, a, axis=None, keepdims=False: mean(t, axis=axis, keepdims=keepdims),
         vjp=lambda g, ans, a, axis=None, keepdims=False: _spread(g * (1.0 / _count(a.shape, axis)), a.shape,
                                                                  axis, keepdims))

# ---- max and min: the derivative goes to the extreme element, split equally among ties --------------


def _tie_weights_impl(a, axis=None, which="max"):
    a = np.asarray(a)
    extreme = (np.max if which == "max" else np.min)(a, axis=axis, keepdims=True)
    hits = a == extreme
    weights = hits / np.sum(hits, axis=axis, keepdims=True)
    return weights.astype(a.dtype if a.dtype.kind == "f" else np.float64, copy=False)


max = Primitive("max", lambda a, axis=None, keepdims=False: np.max(a, axis=axis, keepdims=keepdims),
                doc="""The maximum over ``axis`` (NumPy's ``max``).

    Derivative: the extreme element gets all of it; at a tie it is split equally among the tied elements
    (JAX's convention: the average of the one-sided choices, and what keeps the gradient symmetric).

    >>> from admodes.ops.core import vjp_of
    >>> vjp_of(max, 1.0, 3.0, (np.array([1.0, 3.0, 3.0]),), {}, (True,), ((3,),))[0]
    array([0. , 0.5, 0.5])
    """)
min = Primitive("min", lambda a, axis=None, keepdims=False: np.min(a, axis=axis, keepdims=keepdims),
                doc="""The minimum over ``axis`` (NumPy's ``min``); ties split the derivative equally, as `max`.""")
tie_weights = Primitive("tie_weights", _tie_weights_impl, public=False,
                        doc="""d max(a, axis) / d a: 1/k at each of the k elements equal to the extreme, else 0.

    Piecewise constant in ``a``, hence declared nondifferentiable. ``which`` is "max" or "min".
    """)

nondifferentiable(tie_weights)
defweights(max, lambda ans, a, axis, keepdims: tie_weights(a, axis=axis, which="max"))
defweights(min, lambda ans, a, axis, keepdims: tie_weights(a, axis=axis, which="min"))

# ---- logsumexp: log(sum(exp(a))) without overflow ------------------------------------------------------


def _logsumexp_impl(a, axis=None, keepdims=False):
    a = np.asarray(a)
    shift = np.max(a, axis=axis, keepdims=True)
    shift = np.where(np.isfinite(shift), shift, 0)  # all -inf: log(0) = -inf; an inf or nan passes through
    with np.errstate(divide="ignore"):
        out = np.log(np.sum(np.exp(a - shift), axis=axis, keepdims=True)) + shift
    return out if keepdims else np.squeeze(out, axis=axis)


logsumexp = Primitive("logsumexp", _logsumexp_impl, doc="""log(sum(exp(a), axis)), computed stably.

    The largest element is taken out before exponentiating, so no exp overflows. Its derivative is the
    softmax of ``a`` over ``axis``, ``exp(a - logsumexp(a))``, which is stable too (every exponent <= 0).

    >>> float(logsumexp(np.array([1000.0, 1000.0])))  # 1000 + log 2
    1000.6931471805599
    """)

defweights(logsumexp, lambda ans, a, axis, keepdims: exp(a - _restore(ans, a.shape, axis, keepdims)))
