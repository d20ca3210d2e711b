"""Reductions: sum, mean, prod, max/min, var/std, logsumexp, cumulative sums and products.

Each takes NumPy's ``axis`` (None, an int or a tuple, negatives allowed) and ``keepdims``. A VJP
spreads the cotangent back over the reduced axes: `_restore` puts them back as length-1 axes so the
cotangent broadcasts against the input. Most reductions here have a derivative that is a weighted sum
over the reduced axes, ``d ans = sum(w * da)``; `defweights` writes that pattern once, so each of
them is one line: its weights.

Products never divide by an element to get "the product of the others", so their derivatives are
exact at zeros, at every order: see the banner over `cumprod` for how.
"""

import builtins
import math

import numpy as np

from .. import fastpaths
from . import jet_arrays
from .declare import deflinear, defrules, nondifferentiable, pad_batched
from .elementwise import absolute, sqrt, where
from .primitive import Primitive, ndim_of, shape_of
from .shape import broadcast_to, reshape, transpose


def reduced_axes(axis, ndim):
    """``axis`` (None, an int or a tuple of ints, negatives allowed) as a tuple of axes in [0, ndim).

    >>> reduced_axes(-1, 3), reduced_axes(None, 2)
    ((2,), (0, 1))
    """
    if axis is None:
        return tuple(range(ndim))
    return tuple(int(ax) % ndim for ax in ((axis,) if np.ndim(axis) == 0 else axis))


def reduced_count(shape, axis):
    """How many elements each output element of a reduction over ``axis`` gathers (a Python int).

    >>> reduced_count((2, 3, 4), (0, 2))
    8
    """
    return math.prod(shape[ax] for ax in reduced_axes(axis, len(shape)))


def _restore(g, shape, axis, keepdims):
    """Reshape a reduction's cotangent so it broadcasts against the input of ``shape``."""
    if keepdims or ndim_of(g) == 0:
        return g
    kept = list(shape)
    for ax in reduced_axes(axis, len(shape)):
        kept[ax] = 1
    return reshape(g, tuple(kept))


def _spread(g, shape, axis, keepdims):
    """The cotangent of a reduction copied to every element it reduced over: an array of ``shape``."""
    return broadcast_to(_restore(g, shape, axis, keepdims), shape)


def _batch_axes(axis, ndim):
    """``axis`` of an array of ``ndim`` axes, for the same array with a batch axis in front: the axes one
    further on (None, all of them, becomes all but the batch axis)."""
    return tuple(ax + 1 for ax in reduced_axes(axis, ndim))


def _reduction_batch_rule(prim):
    """Batch rule of a reduction over ``axis``: reduce the same axes of the batched array."""
    def rule(args, batched, axis=None, **params):
        (a,) = args
        return prim(a, axis=_batch_axes(axis, a.ndim - 1), **params)
    return rule


def _scan_batch_rule(prim):
    """Batch rule of a scan along one ``axis`` (None: of the flattened array, NumPy's cumsum/cumprod)."""
    def rule(args, batched, axis=None, **params):
        (a,) = args
        if axis is None:
            return prim(reshape(a, (a.shape[0], -1)), axis=1, **params)
        return prim(a, axis=_batch_axes(axis, a.ndim - 1)[0], **params)
    return rule


def defweights(prim, weights, saves=("a",), **more):
    """Declare a reduction `prim` whose derivative is a weighted sum over the reduced axes.

    ``weights(ans, a, axis, keepdims)`` returns w = d ans / d a, of a's shape (each element's share of
    its output element); then jvp = sum(t * w) over the reduced axes and vjp = g * w, with g spread back.
    ``saves`` is what the weights read (a's shape is kept anyway); the batch rule reduces the same axes of
    the batched array; ``more`` goes to `defrules`.

    >>> total = Primitive("total_example", lambda a, axis=None, keepdims=False: np.sum(a, axis, keepdims=keepdims),
    ...                   registered=False)
    >>> defweights(total, lambda ans, a, axis, keepdims: np.ones_like(a))
    >>> total.vjp_rules[0](np.float64(2.0), None, np.zeros(3))
    array([2., 2., 2.])
    """
    def jvp(t, ans, a, axis=None, keepdims=False):
        return sum(t * weights(ans, a, axis, keepdims), axis=axis, keepdims=keepdims)

    def vjp(g, ans, a, axis=None, keepdims=False):
        return _restore(g, a.shape, axis, keepdims) * weights(ans, a, axis, keepdims)

    saves = (saves,) if isinstance(saves, str) else tuple(saves)
    defrules(prim, jvp=jvp, vjp=vjp, saves=saves + ("a.shape",), batch=_reduction_batch_rule(prim), **more)


# ---- sums and means --------------------------------------------------------------------------------

sum = Primitive("sum", lambda a, axis=None, keepdims=False: np.sum(a, axis=axis, keepdims=keepdims),
                doc="""The sum over ``axis`` (NumPy's ``sum``): linear, so its rules are sums and copies.

    >>> sum(np.array([[1.0, 2.0], [3.0, 4.0]]), axis=0)
    array([4., 6.])
    """)
mean = Primitive("mean", lambda a, axis=None, keepdims=False: np.mean(a, axis=axis, keepdims=keepdims),
                 doc="""The mean over ``axis`` (NumPy's ``mean``).

    >>> mean(np.array([[1.0, 2.0], [3.0, 4.0]]), axis=-1, keepdims=True)
    array([[1.5],
           [3.5]])
    """)

deflinear(sum, transpose=lambda g, ans, a, axis=None, keepdims=False: _spread(g, a.shape, axis, keepdims),
          saves="a.shape", batch=_reduction_batch_rule(sum), deps="reduction")
deflinear(mean, transpose=lambda g, ans, a, axis=None, keepdims=False: _spread(g * _per_dof(a.shape, axis, 0),
                                                                               a.shape, axis, keepdims),
          saves="a.shape", batch=_reduction_batch_rule(mean), deps="reduction")

# ---- variance and standard deviation ---------------------------------------------------------------


def _centered(a, axis):
    return a - mean(a, axis=axis, keepdims=True)


def _per_dof(shape, axis, ddof):
    """1 / (n - ddof), a Python float; nan where NumPy's variance itself is undefined (n <= ddof)."""
    dof = reduced_count(shape, axis) - ddof
    return 1.0 / dof if dof > 0 else float("nan")


var = Primitive("var", lambda a, axis=None, ddof=0, keepdims=False: np.var(a, axis=axis, ddof=ddof,
                                                                            keepdims=keepdims),
                doc="""The variance over ``axis``: sum((a - mean)**2) / (n - ddof) (NumPy's ``var``).

    >>> float(var(np.array([1.0, 2.0, 3.0, 4.0]), ddof=1))
    1.6666666666666667
    """)
std = Primitive("std", lambda a, axis=None, ddof=0, keepdims=False: np.std(a, axis=axis, ddof=ddof,
                                                                            keepdims=keepdims),
                doc="""The standard deviation over ``axis``: sqrt(var(a, axis, ddof)) (NumPy's ``std``).

    Like sqrt at 0, its derivative is undefined where the deviation is 0 (all reduced elements equal):
    the rules give nan there.
    """)



def _var_weights(a, axis, ddof):
    """d var / d a = 2 (a - mean) / (n - ddof)."""
    return _centered(a, axis) * (2.0 * _per_dof(a.shape, axis, ddof))


def unit_along(x, axis, zero=0.0, norm=None):
    """x / ||x||, the 2-norm taken over ``axis`` (None: all axes), with ``zero`` where x is 0 (0.0, a
    subgradient, or nan where the derivative is undefined).

    Computed from x divided by its largest magnitude, so no square underflows or overflows: it is a unit
    vector for any x, where x / sqrt(sum(x * x)) is 0 at [1e-300, 1e-300] and at [1e200, 1e200]
    (NumPy's norm and std themselves give 0 and inf there). ``norm``, ||x|| as NumPy computed it (kept
    axes), allows the fast path: where it is plain and far from under- and overflow, x / norm is as exact
    in one array pass.

    >>> unit_along(np.array([3e-300, 4e-300]), axis=None)
    array([0.6, 0.8])
    """
    if norm is not None and _far_from_under_and_overflow(x, norm):
        return x / norm
    if reduced_count(shape_of(x), axis) == 0:
        return x  # nothing to scale (max over an empty axis has no value)
    big = max(absolute(x), axis=axis, keepdims=True)
    y = x / where(big, big, 1.0)  # big as the condition: nonzero
    length = sqrt(sum(y * y, axis=axis, keepdims=True))
    return where(length, y / where(length, length, 1.0), zero)


def _far_from_under_and_overflow(x, norm):
    """Whether x and its norm are plain arrays (the fast paths are on) and every norm lies where a square
    sum computes it exactly: sqrt(tiny) / eps < norm < sqrt(max) * eps (1e-138 to 3e138 in float64)."""
    if not (fastpaths.FAST and type(x) is np.ndarray and type(norm) in _PLAIN):
        return False
    info = np.finfo(x.dtype)
    return bool(np.all((norm > math.sqrt(info.tiny) / info.eps) & (norm < math.sqrt(info.max) * info.eps)))


_PLAIN = frozenset({np.ndarray, np.float64, np.float32, np.float16})


def _std_weights(ans, a, axis, ddof, keepdims):
    """d std / d a = (a - mean) / ((n - ddof) std) = unit(a - mean) / sqrt(n - ddof); nan where std = 0."""
    per_dof = _per_dof(a.shape, axis, ddof)
    known = _restore(ans, a.shape, axis, keepdims) / math.sqrt(per_dof) if type(ans) in _PLAIN and per_dof > 0 else None
    return unit_along(_centered(a, axis), axis, zero=math.nan, norm=known) * math.sqrt(per_dof)


defrules(var,
         jvp=lambda t, ans, a, axis=None, ddof=0, keepdims=False: sum(
             t * _var_weights(a, axis, ddof), axis=axis, keepdims=keepdims),
         vjp=lambda g, ans, a, axis=None, ddof=0, keepdims=False: _restore(
             g, a.shape, axis, keepdims) * _var_weights(a, axis, ddof),
         saves="a", batch=_reduction_batch_rule(var), jet=jet_arrays.var, deps="reduction")
defrules(std,
         jvp=lambda t, ans, a, axis=None, ddof=0, keepdims=False: sum(
             t * _std_weights(ans, a, axis, ddof, keepdims), axis=axis, keepdims=keepdims),
         vjp=lambda g, ans, a, axis=None, ddof=0, keepdims=False: _restore(
             g, a.shape, axis, keepdims) * _std_weights(ans, a, axis, ddof, keepdims),
         saves=("ans", "a"), batch=_reduction_batch_rule(std), jet=jet_arrays.std, deps="reduction")

# ---- max and min: the derivative goes to the extreme element, split equally among ties --------------


def _tie_weights_impl(a, axis=None, which="max"):
    a = np.asarray(a)
    extreme = (np.max if which == "max" else np.min)(a, axis=axis, keepdims=True)
    hits = a == extreme
    weights = hits / np.sum(hits, axis=axis, keepdims=True)
    return weights.astype(a.dtype if a.dtype.kind == "f" else np.float64, copy=False)


max = Primitive("max", lambda a, axis=None, keepdims=False: np.max(a, axis=axis, keepdims=keepdims),
                doc="""The maximum over ``axis`` (NumPy's ``max``).

    Derivative: the extreme element gets all of it; at a tie it is split equally among the k tied
    elements, 1/k each (JAX's convention: symmetric in the tied elements, and the weights still sum to 1).

    >>> from admodes.ops.rules import vjp_of
    >>> vjp_of(max, 1.0, 3.0, (np.array([1.0, 3.0, 3.0]),), {}, (True,), ((3,),))[0]
    array([0. , 0.5, 0.5])
    """)
min = Primitive("min", lambda a, axis=None, keepdims=False: np.min(a, axis=axis, keepdims=keepdims),
                doc="""The minimum over ``axis`` (NumPy's ``min``); ties split the derivative equally, as `max`.""")
tie_weights = Primitive("tie_weights", _tie_weights_impl, public=False,
                        doc="""d max(a, axis) / d a: 1/k at each of the k elements equal to the extreme, else 0.

    Piecewise constant in ``a``, hence declared nondifferentiable. ``which`` is "max" or "min".
    """)

nondifferentiable(tie_weights, batch=_reduction_batch_rule(tie_weights))
defweights(max, lambda ans, a, axis, keepdims: tie_weights(a, axis=axis, which="max"), jet="linear", deps="reduction")
defweights(min, lambda ans, a, axis, keepdims: tie_weights(a, axis=axis, which="min"), jet="linear", deps="reduction")

# ---- logsumexp and its derivative, softmax: exp without overflow -----------------------------------


def _exp_shifted(a, axis):
    """exp(a - m) with m the maximum over ``axis`` (kept as length-1 axes): no exponent is positive.

    (ndarray methods rather than np.max and np.sum: the same reductions without NumPy's Python-level
    wrappers, a few microseconds a call that small arrays, as in an MLP's loss, notice.)
    """
    shift = a.max(axis=axis, keepdims=True, initial=-np.inf)  # an empty axis: -inf, a sum of no exp is 0
    if not np.isfinite(shift).all():
        shift = np.where(np.isfinite(shift), shift, 0)  # all -inf: the sum is 0; an inf or nan passes through
    return np.exp(a - shift), shift


def _logsumexp_impl(a, axis=None, keepdims=False):
    exps, shift = _exp_shifted(np.asarray(a), axis)
    total = exps.sum(axis=axis, keepdims=True)
    if total.all():
        out = np.log(total) + shift
    else:
        with np.errstate(divide="ignore"):  # log(0) = -inf is the right answer for a sum of exp(-inf)
            out = np.log(total) + shift
    return out if keepdims else np.squeeze(out, axis=axis)


def _softmax_impl(a, axis=None):
    exps, _ = _exp_shifted(np.asarray(a), axis)
    return exps / exps.sum(axis=axis, keepdims=True)


logsumexp = Primitive("logsumexp", _logsumexp_impl, doc="""log(sum(exp(a), axis)), computed stably.

    The largest element is taken out before exponentiating, so no exp overflows. Its derivative is the
    softmax of ``a`` over ``axis``, computed the same way (not as exp(a - logsumexp(a)), which would
    lose the rounding error of a large output: 3e-5 relative in float32 at 1000).

    >>> float(logsumexp(np.array([1000.0, 1000.0])))  # 1000 + log 2
    1000.6931471805599
    """)
softmax = Primitive("softmax", _softmax_impl, public=False,
                    doc="exp(a) / sum(exp(a), axis), the derivative of logsumexp; stable as logsumexp is.")

defweights(logsumexp, lambda ans, a, axis, keepdims: softmax(a, axis=axis), jet=jet_arrays.logsumexp, deps="reduction")
# d softmax = s * (da - sum(s * da)): a symmetric Jacobian, diag(s) - s s^T, so both rules read alike
defrules(softmax,
         jvp=lambda t, ans, a, axis=None: ans * (t - sum(ans * t, axis=axis, keepdims=True)),
         vjp=lambda g, ans, a, axis=None: ans * (g - sum(ans * g, axis=axis, keepdims=True)),
         saves="ans", batch=_reduction_batch_rule(softmax), jet=jet_arrays.softmax, deps="lane")

# ---- cumulative sums -----------------------------------------------------------------------------
# cumsum and cumsum_reverse (sums from the far end) are each other's adjoint.


def _flat(a, axis):
    """NumPy's cumulative ops flatten when ``axis`` is None: the array they scan and its axis."""
    return (reshape(a, (-1,)), 0) if axis is None else (a, axis)


def _unflat(ct, shape, axis):
    return reshape(ct, shape) if axis is None else ct


def _cumsum_reverse_impl(a, axis=-1):
    return np.flip(np.cumsum(np.flip(a, axis), axis), axis)


cumsum = Primitive("cumsum", lambda a, axis=None: np.cumsum(a, axis=axis),
                   doc="""The cumulative sum along ``axis`` (NumPy's ``cumsum``; None flattens).

    >>> cumsum(np.array([[1.0, 2.0], [3.0, 4.0]]))
    array([ 1.,  3.,  6., 10.])
    """)
cumsum_reverse = Primitive("cumsum_reverse", _cumsum_reverse_impl, public=False,
                           doc="out[k] = sum(a[k:]) along ``axis``: the adjoint of cumsum.")

deflinear(cumsum, transpose=lambda g, ans, a, axis=None: _unflat(cumsum_reverse(g, axis=0 if axis is None else axis),
                                                                 a.shape, axis),  # (None: g is flat)
          saves="a.shape", batch=_scan_batch_rule(cumsum), deps="scan")
deflinear(cumsum_reverse, transpose=lambda g, ans, a, axis=-1: cumsum(g, axis=axis), saves=(),
          batch=_scan_batch_rule(cumsum_reverse), deps="suffix_scan")

# ---- products without division ---------------------------------------------------------------------
# The derivative of a product is a product of the *other* factors. Dividing the product by the factor
# fails at zeros, so we never divide: the product of all elements but a[k] is the product of those
# before k times the product of those after k (`cumprod_exclusive`, both ways). The derivatives of
# those partial products are linear recurrences (`linear_scan`), whose derivatives are linear
# recurrences again: the family is closed, so every order of derivative is exact, zeros included.


def _scan_along(a, axis, reverse):
    """View ``a`` with ``axis`` last, in scan order."""
    moved = np.moveaxis(np.asarray(a), axis, -1)
    return moved[..., ::-1] if reverse else moved


def _scan_back(out, axis, reverse):
    return np.moveaxis(out[..., ::-1] if reverse else out, -1, axis)


def _cumprod_exclusive_impl(a, axis=-1, reverse=False):
    x = _scan_along(a, axis, reverse)
    head = np.cumprod(x[..., :-1], axis=-1)
    out = np.concatenate([np.ones(x.shape[:-1] + (1,), head.dtype), head], axis=-1)[..., :x.shape[-1]]  # (empty)
    return _scan_back(out, axis, reverse)


def _linear_scan_impl(a, b, axis=-1, reverse=False):
    a, b = np.broadcast_arrays(a, b)
    coef, acc = _scan_along(a, axis, reverse)[..., :-1], _scan_along(b, axis, reverse)[..., :-1]
    dtype = np.result_type(coef, acc)
    coef, acc = coef.astype(dtype), acc.astype(dtype)  # copies: updated in place below
    # Hillis-Steele: log2(n) vectorised steps; after the step of `span`, element k holds the composition
    # of the maps h -> a_i h + b_i over the 2 * span elements ending at k.
    n, span = acc.shape[-1], 1
    while span < n:
        acc[..., span:] = coef[..., span:] * acc[..., :-span] + acc[..., span:]
        coef[..., span:] = coef[..., span:] * coef[..., :-span]
        span *= 2
    out = np.concatenate([np.zeros(acc.shape[:-1] + (1,), dtype), acc], axis=-1)
    return _scan_back(out, axis, reverse)


cumprod = Primitive("cumprod", lambda a, axis=None: np.cumprod(a, axis=axis),
                    doc="""The cumulative product along ``axis`` (NumPy's ``cumprod``; None flattens).

    Its derivatives are exact at zeros: no rule divides by an element of ``a``.

    >>> cumprod(np.array([2.0, 0.0, 4.0]))
    array([2., 0., 0.])
    """)
cumprod_exclusive = Primitive("cumprod_exclusive", _cumprod_exclusive_impl, public=False,
                              doc="""out[k] = prod(a[:k]) along ``axis`` (prod(a[k+1:]) if ``reverse``).""")
linear_scan = Primitive("linear_scan", _linear_scan_impl, public=False, doc="""The linear recurrence
    out[0] = 0, out[k+1] = a[k] * out[k] + b[k] along ``axis`` (run from the far end if ``reverse``).

    It is linear in ``b``, and its adjoint in ``b`` is the same recurrence run the other way.

    >>> linear_scan(np.array([2.0, 3.0, 4.0]), np.array([1.0, 1.0, 1.0]))
    array([0., 1., 4.])
    """)


def _cumprod_jvp(t, ans, a, axis=None):
    (x, ax), (t, _) = _flat(a, axis), _flat(t, axis)
    first_order = t * cumprod_exclusive(x, axis=ax)  # d y_k = a_k d y_{k-1} + t_k y_{k-1}
    return first_order + x * linear_scan(x, first_order, axis=ax)


def _cumprod_vjp(g, ans, a, axis=None):
    x, ax = _flat(a, axis)
    ct = cumprod_exclusive(x, axis=ax) * (g + linear_scan(x, x * g, axis=ax, reverse=True))
    return _unflat(ct, a.shape, axis)


def _linear_scan_batch(args, batched, axis=-1, reverse=False):
    rank = builtins.max(ndim_of(x) - b for x, b in zip(args, batched))  # a and b broadcast: max is ours here
    padded = [pad_batched(x, rank) if b else x for x, b in zip(args, batched)]
    return linear_scan(*padded, axis=axis % rank + 1, reverse=reverse)


defrules(cumprod, jvp=_cumprod_jvp, vjp=_cumprod_vjp, saves="a", batch=_scan_batch_rule(cumprod),
         jet=jet_arrays.cumprod, deps="scan")
defrules(cumprod_exclusive,
         jvp=lambda t, ans, a, axis=-1, reverse=False: linear_scan(a, t * ans, axis=axis, reverse=reverse),
         vjp=lambda g, ans, a, axis=-1, reverse=False: ans * linear_scan(a, g, axis=axis, reverse=not reverse),
         saves=("ans", "a"), batch=_scan_batch_rule(cumprod_exclusive),
         jet=jet_arrays.cumprod_exclusive, deps="exclusive_scan")
defrules(linear_scan,
         jvp=(lambda t, ans, a, b, axis=-1, reverse=False: linear_scan(a, t * ans, axis=axis, reverse=reverse),
              lambda t, ans, a, b, axis=-1, reverse=False: linear_scan(a, t, axis=axis, reverse=reverse)),
         vjp=(lambda g, ans, a, b, axis=-1, reverse=False: ans * linear_scan(a, g, axis=axis, reverse=not reverse),
              lambda g, ans, a, b, axis=-1, reverse=False: linear_scan(a, g, axis=axis, reverse=not reverse)),
         saves={"a": ("ans", "a"), "b": "a"}, batch=_linear_scan_batch,
         jet=jet_arrays.linear_scan, deps="exclusive_scan")

# ---- prod ------------------------------------------------------------------------------------------


def _product_of_others(a, axis):
    """For each element, the product of the other elements it is reduced with (a's shape), no division."""
    axes = reduced_axes(axis, a.ndim)
    if len(axes) == 1:
        return cumprod_exclusive(a, axis=axes[0]) * cumprod_exclusive(a, axis=axes[0], reverse=True)
    kept = tuple(ax for ax in range(a.ndim) if ax not in axes)
    order = kept + axes
    in_place = order == tuple(range(a.ndim))
    moved = a if in_place else transpose(a, order)  # the reduced axes last, then merged into one
    merged = reshape(_product_of_others(reshape(moved, moved.shape[:len(kept)] + (-1,)), -1), moved.shape)
    return merged if in_place else transpose(merged, tuple(int(i) for i in np.argsort(order)))


prod = Primitive("prod", lambda a, axis=None, keepdims=False: np.prod(a, axis=axis, keepdims=keepdims),
                 doc="""The product over ``axis`` (NumPy's ``prod``).

    Its derivatives are exact with zeros among the factors (one zero: only the zero gets a derivative,
    the product of the others; two or more: all zero), because no rule divides by a factor.

    >>> from admodes.ops.rules import vjp_of
    >>> vjp_of(prod, 1.0, 0.0, (np.array([2.0, 0.0, 4.0]),), {}, (True,), ((3,),))[0]
    array([0., 8., 0.])
    """)

defweights(prod, lambda ans, a, axis, keepdims: _product_of_others(a, axis), jet=jet_arrays.prod, deps="reduction")
