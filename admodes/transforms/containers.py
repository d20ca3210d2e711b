"""Containers in and out of the transforms: a layer over the array-level ones.

Each public transform flattens the differentiated arguments (tuples, lists, dicts, namedtuples, None:
`admodes.tree`) into their leaves, runs the array-level transform (`forward_mode`, `reverse_mode`) on a
function of those leaves whose output is one array (a container's leaves raveled and concatenated), and
builds the containers back, with JAX's layouts:

- a gradient has its argument's structure (a tuple of them for a tuple ``argnums``);
- a Jacobian is the output's structure outside, the input's inside: ``jac[out_path][in_path]`` has shape
  ``out_leaf.shape + in_leaf.shape``;
- ``has_aux=True``: ``f`` returns ``(output, aux)``; ``aux`` is handed back as it is (its values no longer
  traced by this transform), and is not differentiated;
- keyword arguments are passed to ``f`` and are not differentiated (JAX's rule).

    >>> import numpy as np, admodes.numpy as anp
    >>> params = {"w": np.array([1.0, 2.0]), "b": np.array(0.5)}
    >>> loss = lambda p, x: anp.sum(p["w"] * x) + p["b"]
    >>> grad(loss)(params, np.array([3.0, 4.0]))
    {'b': array(1.), 'w': array([3., 4.])}
"""

from __future__ import annotations

import inspect
import math

import numpy as np

from ..arraylike import as_array
from ..inputs import (
    as_tuple,
    check_argnums,
    check_scalar_output,
    checked_like,
    checked_tangent,
    dtype_of,
    float_dtype,
    float_input,
    in_dtype,
    returned,
)
from ..ops.core import FUNCTIONS, REGISTRY, Traced, new_level, shape_of
from ..tree import is_container, tree_flatten, tree_map
from . import forward_mode, reverse_mode
from .reverse_mode import MODES

__all__ = ["grad", "value_and_grad", "jvp", "vjp", "jacfwd", "jacrev", "hessian", "hvp", "Inputs", "Outputs",
           "parameter_names", "strip_levels"]


# ----------------------------------------------------------------------------------------------------
# Flattening the arguments, packing the output
# ----------------------------------------------------------------------------------------------------

def parameter_names(f, count):
    """The names of ``f``'s first ``count`` positional parameters (``args[2]`` for ``*args`` or unknown ones).

    >>> parameter_names(lambda params, x: 0, 2), parameter_names(lambda *xs: 0, 2)
    (['params', 'x'], ['xs[0]', 'xs[1]'])
    """
    try:
        params = list(inspect.signature(f).parameters.values())
    except (TypeError, ValueError):
        params = []
    positional = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    star = next((p.name for p in params if p.kind == p.VAR_POSITIONAL), "args")
    return [positional[i] if i < len(positional) else f"{star}[{i - len(positional)}]" for i in range(count)]


def leaf_labels(f, args, nums, treedefs, noun="argument"):
    """How messages name each leaf: ``argument 1`` for an array argument, ``argument 0, params['w'][1]``
    inside a container (the parameter's name from ``f``'s signature)."""
    names = None
    labels = []
    for i, treedef in zip(nums, treedefs):
        if treedef.is_leaf:
            labels.append(f"{noun} {i}")
            continue
        names = names or parameter_names(f, len(args))
        labels.extend(f"{noun} {i}, {path}" for path in treedef.leaf_paths(names[i]))
    return labels


class Inputs:
    """The arguments ``nums`` of one call of ``f`` flattened into their leaves (each a float point, checked
    and named by its path), and back.

    >>> inputs = Inputs(lambda p: 0, ({"w": [1.0, 2.0]},), (0,), "grad")
    >>> len(inputs.leaves), inputs.labels[1]
    (2, "argument 0, p['w'][1]")
    >>> inputs.rebuild([10.0, 20.0])
    [{'w': [10.0, 20.0]}]
    """

    def __init__(self, f, args, nums, who, noun="argument"):
        self.args, self.nums = list(args), nums
        self.arrays = not any(is_container(args[i]) for i in nums)  # the common case: no container
        if self.arrays:
            # f's own arguments go to the array-level transform, which checks and names them (argument i)
            self.labels = [f"{noun} {i}" for i in nums]
            self.leaves, self.argnums = list(args), tuple(nums)
            self.treedefs = [_ONE_ARRAY] * len(nums)
            return
        flat = [tree_flatten(args[i]) for i in nums]
        self.treedefs = [treedef for _, treedef in flat]
        self.labels = leaf_labels(f, args, nums, self.treedefs, noun)
        leaves = [leaf for ls, _ in flat for leaf in ls]
        self.leaves = [float_input(leaf, f"{who}: {label}") for leaf, label in zip(leaves, self.labels)]
        self.argnums = tuple(range(len(self.leaves)))

    @property
    def differentiated(self):
        """The leaves the array-level transform differentiates, in ``argnums``' order."""
        return [self.leaves[i] for i in self.argnums]

    def _split(self, leaves):
        start = 0
        for treedef in self.treedefs:
            yield treedef.unflatten(leaves[start:start + treedef.num_leaves])
            start += treedef.num_leaves

    def rebuild(self, leaves):
        """The call's arguments with the leaves of ``nums`` replaced by ``leaves``."""
        if self.arrays:
            return list(leaves)
        args = list(self.args)
        for i, tree in zip(self.nums, self._split(list(leaves))):
            args[i] = tree
        return args

    def trees(self, per_leaf, single):
        """Values, one per leaf, in the arguments' structures: one tree if ``single``, else a tuple of them."""
        trees = tuple(self._split(list(per_leaf)))
        return trees[0] if single else trees


class Outputs:
    """``f``'s output as one array (a container's leaves raveled and concatenated; one array is itself), and
    back: what lets the array-level transforms differentiate functions returning containers.

    >>> outputs = Outputs("jvp")
    >>> outputs.pack((np.ones(2), {"s": np.array(3.0)}))
    array([1., 1., 3.])
    >>> outputs.unpack(np.arange(3.0))
    (array([0., 1.]), {'s': array(2.)})
    """

    def __init__(self, who, scalar=False):
        self.who, self.scalar = who, scalar
        self.treedef = None

    @property
    def packed(self):
        return not self.treedef.is_leaf

    def pack(self, out):
        if not isinstance(out, (tuple, list, dict)):  # one array (None: the array-level check says `return` is missing)
            self.treedef = _ONE_ARRAY
            return out
        leaves, treedef = tree_flatten(out)
        if self.scalar:
            raise TypeError(f"{self.who} needs a function with a scalar output, but f returned {_kind(out)}; return "
                            "one number (with has_aux=True, f returns (loss, aux)), or use jacrev/jacfwd for the "
                            "Jacobian of a container")
        paths = treedef.leaf_paths("output")
        leaves = [returned(leaf, self.who, f"f (at its {path})") for leaf, path in zip(leaves, paths)]
        self.treedef, self.paths = treedef, paths
        self.shapes, self.dtypes = [shape_of(x) for x in leaves], [dtype_of(x) for x in leaves]
        if not leaves:
            return np.zeros(0)
        reshape = REGISTRY["reshape"]
        flat = [reshape(x if isinstance(x, Traced) else np.asarray(x), (-1,)) for x in leaves]
        if not any(isinstance(x, Traced) for x in flat):
            return np.concatenate(flat)
        return FUNCTIONS["concatenate"](flat, axis=0)

    def pieces(self, flat, trailing=()):
        """The rows of ``flat`` (the packed output's axis first) that belong to each leaf, shaped
        ``leaf.shape + trailing``."""
        start, out = 0, []
        for shape in self.shapes:
            size = math.prod(shape)
            out.append(flat[start:start + size].reshape(tuple(shape) + tuple(trailing)))
            start += size
        return out

    def unpack(self, flat, derivative=False):
        """The output tree from its packed form; ``derivative``: in each leaf's float dtype (a tangent)."""
        if not self.packed:
            return flat
        pieces = self.pieces(flat)
        dtypes = [float_dtype(d) if derivative else d for d in self.dtypes]
        return self.treedef.unflatten(_cast(p, d) for p, d in zip(pieces, dtypes))

    def check_cotangent(self, cotangent, dtype):
        """A cotangent tree of the output's structure as one packed array (each leaf checked, named by path)."""
        if not self.packed:
            if is_container(cotangent) and not _literal(cotangent):
                raise TypeError(f"{self.who}: the cotangent is {_kind(cotangent)} where an array is required "
                                "(f's output is one array)")
            return cotangent
        cts = self.treedef.flatten_up_to(cotangent, "the cotangent")
        flat = []
        for ct, path, shape, out_dtype in zip(cts, self.treedef.leaf_paths("the cotangent"), self.shapes,
                                              self.dtypes):
            if is_container(ct) and not _literal(ct):
                raise TypeError(f"{self.who}: {path} is {_kind(ct)} where an array is required")
            ct = checked_like(ct, tuple(shape), float_dtype(out_dtype), f"{self.who}: {path}",
                              f"f's output{path[len('the cotangent'):]}", "cotangent", "the output's")
            flat.append(REGISTRY["reshape"](ct, (-1,)) if isinstance(ct, Traced) else np.reshape(ct, -1))
        if not flat:
            return np.zeros(0, dtype)
        if any(isinstance(x, Traced) for x in flat):
            return in_dtype(FUNCTIONS["concatenate"](flat, axis=0), dtype)
        return np.concatenate(flat).astype(dtype, copy=False)


_ONE_ARRAY = tree_flatten(0)[1]


def _cast(x, dtype):
    if dtype_of(x) == dtype or (isinstance(x, Traced) and dtype.kind != "f"):
        return x
    return x.astype(dtype)


def _literal(x):
    """True for a list or tuple of Python numbers (nested): an array written in Python, which NumPy reads as one
    array, unlike a container holding arrays (which is never stacked into one silently)."""
    if not isinstance(x, (list, tuple)) or hasattr(type(x), "_fields"):
        return False
    return all(isinstance(v, (int, float, bool)) and not isinstance(v, np.generic) or _literal(v) for v in x)


def _kind(x):
    return "None" if x is None else f"a {type(x).__name__}"


def strip_levels(tree, start):
    """``tree`` with every value traced at a level above ``start`` (made by a transform that has finished)
    replaced by the value inside it: what ``has_aux`` hands back.

    >>> from admodes.forward import Dual
    >>> strip_levels((Dual._make(np.array(1.0), np.array(2.0), 10**9),), 0)
    (array(1.),)
    """
    def strip(x):
        while isinstance(x, Traced) and x._level > start and x._one_value:
            x = x._inner()
        return as_array(x)
    return tree_map(strip, tree)


class _Call:
    """One call of a transform: ``f``'s differentiated arguments as leaves, and the function of those
    leaves (`flat`) that the array-level transform differentiates."""

    def __init__(self, f, args, kwargs, nums, has_aux, who, scalar=False, noun="argument"):
        self.f, self.kwargs, self.has_aux, self.who = f, kwargs, has_aux, who
        self.inputs = Inputs(f, args, nums, who, noun)
        self.outputs = Outputs(who, scalar)
        self.start = new_level()  # levels made after this one belong to this transform
        self.aux = None

    @property
    def leaves(self):
        return self.inputs.leaves

    @property
    def argnums(self):
        return self.inputs.argnums

    def flat(self, *leaves):
        out = self.f(*self.inputs.rebuild(leaves), **self.kwargs)
        if self.has_aux:
            if not (isinstance(out, (tuple, list)) and len(out) == 2):
                raise TypeError(f"{self.who}: with has_aux=True, f must return a pair (output, aux), got "
                                f"{_kind(out)}" + (f" of {len(out)}" if isinstance(out, (tuple, list)) else ""))
            out, self.aux = out
        return self.outputs.pack(out)

    def plain(self):
        """``f`` called once as it is: what a transform with no leaf to differentiate returns."""
        return self.flat(*self.leaves)

    def finished_aux(self):
        return strip_levels(self.aux, self.start) if self.has_aux else None


def _nums(argnums, args, who):
    return check_argnums(argnums, len(args), who)


# ----------------------------------------------------------------------------------------------------
# The transforms
# ----------------------------------------------------------------------------------------------------

def value_and_grad(f, argnums=0, mode="reverse", has_aux=False, **options):
    """A function returning ``(f(*args), gradient)`` for a scalar-valued ``f``; the gradient has the
    structure of the argument (a tuple of them for a tuple ``argnums``). ``has_aux=True``: ``f`` returns
    ``(value, aux)``, and the result is ``((value, aux), gradient)``, as in JAX.

    ``mode="reverse"`` (one backward sweep) or ``"forward"`` (one forward sweep per input element); the
    keyword ``options`` go to the array-level `reverse_mode.value_and_grad`.

    >>> value_and_grad(lambda x: (x * x).sum())(np.array([1.0, 2.0]))
    (array(5.), array([2., 4.]))
    >>> value_and_grad(lambda p: (p[0] * p[1], "aux"), has_aux=True)((2.0, 3.0))
    ((array(6.), 'aux'), (array(3.), array(2.)))
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")

    def value_and_gradient(*args, **kwargs):
        call = _Call(f, args, kwargs, _nums(argnums, args, "grad"), has_aux, "grad", scalar=True)
        if call.argnums:
            out, grads = reverse_mode.value_and_grad(call.flat, call.argnums, mode, **options)(*call.leaves)
        else:  # nothing to differentiate (empty containers, None): f's value, and empty gradients
            out, grads = call.plain(), ()
            check_scalar_output(out, "grad")
        gradients = call.inputs.trees(grads, isinstance(argnums, int))
        return ((out, call.finished_aux()) if has_aux else out), gradients

    return value_and_gradient


def grad(f, argnums=0, mode="reverse", has_aux=False, **options):
    """The gradient of a scalar-valued ``f`` with respect to argument ``argnums`` (or a tuple of them), in
    the structure of that argument. ``has_aux=True``: ``f`` returns ``(value, aux)``; the result is
    ``(gradient, aux)``.

    >>> grad(lambda x, y: x * y, argnums=(0, 1))(np.array(3.0), np.array(4.0))
    (array(4.), array(3.))
    >>> grad(lambda p: p["a"] * p["b"] ** 2)({"a": 2.0, "b": 3.0})
    {'a': array(9.), 'b': array(12.)}
    """
    value_and_gradient = value_and_grad(f, argnums, mode, has_aux, **options)

    def gradient(*args, **kwargs):
        out, gradients = value_and_gradient(*args, **kwargs)
        return (gradients, out[1]) if has_aux else gradients

    return gradient


def jvp(f, primals, tangents, has_aux=False):
    """Evaluate ``f(*primals)`` and its directional derivative along ``tangents``, in one forward sweep.

    ``primals`` and ``tangents`` are tuples, one entry per argument of ``f`` (an array or a container of
    them); each tangent has its primal's structure, shapes and dtypes. Returns ``(f(*primals), J @
    tangents)`` in the output's structure; with ``has_aux=True``, ``(out, tangent, aux)``.

    >>> jvp(lambda x, y: x * y, (np.array(3.0), np.array(4.0)), (np.array(1.0), np.array(0.0)))
    (array(12.), array(4.))
    >>> jvp(lambda p: {"sum": p[0] + p[1]}, ((1.0, 2.0),), ((1.0, 1.0),))
    ({'sum': array(3.)}, {'sum': array(2.)})
    """
    primals, tangents = as_tuple(primals, "primals"), as_tuple(tangents, "tangents")
    if len(primals) != len(tangents):
        raise ValueError(f"jvp: {len(primals)} primals but {len(tangents)} tangents; give one tangent per primal")
    call = _Call(f, primals, {}, tuple(range(len(primals))), has_aux, "jvp", noun="primal")
    moved, paths = [], []
    for i, (primal, tangent) in enumerate(zip(primals, tangents)):
        structure = tree_flatten(primal)[1]
        moved += structure.flatten_up_to(tangent, f"tangent {i}")
        paths += structure.leaf_paths(f"{i}")
    for t, p, path in zip(moved, call.leaves, paths):
        if is_container(t) and not _literal(t):
            raise TypeError(f"jvp: tangent {path} is {_kind(t)} where an array is required (its primal is an array "
                            f"of shape {shape_of(p)})")
    if not call.inputs.arrays:  # (arrays alone: the array-level jvp checks them, primal first)
        moved = [checked_tangent(t, p, f"jvp: tangent {path}", f"primal {path}")
                 for t, p, path in zip(moved, call.leaves, paths)]
    if call.leaves:
        out, tangent = forward_mode.jvp(call.flat, tuple(call.leaves), tuple(moved))
    else:
        out = call.plain()
        tangent = tree_map(lambda x: np.zeros(shape_of(x), float_dtype(x)), out)
    result = call.outputs.unpack(out), call.outputs.unpack(tangent, derivative=True)
    return (*result, call.finished_aux()) if has_aux else result


def vjp(f, *primals, has_aux=False):
    """Evaluate ``f(*primals)`` and return ``(out, vjp_fn)``; ``vjp_fn(u)`` gives u^T J, one per primal, each in
    its primal's structure (``u`` has the output's). With ``has_aux=True``: ``(out, vjp_fn, aux)``.

    ``vjp_fn`` may be called many times (the tape is kept while it lives).

    >>> out, vjp_fn = vjp(lambda x: x * 2.0, np.array([1.0, 2.0]))
    >>> vjp_fn(np.array([1.0, 10.0]))
    (array([ 2., 20.]),)
    >>> out, vjp_fn = vjp(lambda p: (p["a"] * 3.0, p["a"] ** 2), {"a": np.array(2.0)})
    >>> vjp_fn((np.array(1.0), np.array(1.0)))
    ({'a': array(7.)},)
    """
    call = _Call(f, primals, {}, tuple(range(len(primals))), has_aux, "vjp")
    out, flat_fn = reverse_mode.vjp(call.flat, *call.leaves)

    def vjp_fn(cotangent):
        cts = flat_fn(call.outputs.check_cotangent(cotangent, float_dtype(flat_fn.out_dtype)))
        return call.inputs.trees(cts, False)

    vjp_fn.out_dtype = flat_fn.out_dtype  # (one array's dtype, or the packed leaves' common one)
    result = call.outputs.unpack(out), vjp_fn
    return (*result, call.finished_aux()) if has_aux else result


def _jacobian(array_level, who):
    def transform(f, argnums=0, has_aux=False, **options):
        array_level(f, argnums, **options)  # its options are checked now, where the array-level one checks them

        def jacobian(*args, **kwargs):
            call = _Call(f, args, kwargs, _nums(argnums, args, who), has_aux, who)
            if call.argnums:
                per_leaf = array_level(call.flat, call.argnums, **options)(*call.leaves)
            else:
                call.plain()
                per_leaf = ()
            single, outputs = isinstance(argnums, int), call.outputs
            if not outputs.packed:
                jac = call.inputs.trees(per_leaf, single)
            else:  # the output's structure outside, each output leaf's Jacobian in the inputs' structure
                in_shapes = [shape_of(x) for x in call.inputs.differentiated]
                rows = [outputs.pieces(j, s) for j, s in zip(per_leaf, in_shapes)]  # [input leaf][output leaf]
                jac = outputs.treedef.unflatten(call.inputs.trees([r[a] for r in rows], single)
                                                for a in range(outputs.treedef.num_leaves))
            return (jac, call.finished_aux()) if has_aux else jac
        return jacobian
    return transform


jacfwd = _jacobian(forward_mode.jacfwd, "jacfwd")
jacfwd.__name__ = "jacfwd"
jacfwd.__doc__ = """The Jacobian of ``f`` by forward mode (one sweep per input direction; see
    `forward_mode.jacfwd`, whose keyword options it takes). Containers in and out, in JAX's layout: the
    output's structure outside, the input's inside, each leaf ``out_leaf.shape + in_leaf.shape``; a tuple
    ``argnums`` gives a tuple. ``has_aux=True``: ``f`` returns ``(output, aux)``; the result is ``(jac, aux)``.

    >>> jacfwd(lambda x: x ** 2)(np.array([1.0, 2.0]))
    array([[2., 0.],
           [0., 4.]])
    >>> jacfwd(lambda p: {"y": p["x"] * 3.0})({"x": np.array([1.0])})
    {'y': {'x': array([[3.]])}}
    """

jacrev = _jacobian(reverse_mode.jacrev, "jacrev")
jacrev.__name__ = "jacrev"
jacrev.__doc__ = """The Jacobian of ``f`` by reverse mode (one backward sweep per output element; see
    `reverse_mode.jacrev`, whose keyword options it takes), with `jacfwd`'s containers and ``has_aux``.

    >>> jacrev(lambda x, y: (x * y, x), argnums=(0, 1))(np.array(2.0), np.array(3.0))
    ((array(3.), array(2.)), (array(1.), array(0.)))
    """


def hessian(f, argnums=0, has_aux=False, **options):
    """The Hessian of a scalar-valued ``f``: forward mode over reverse mode, ``jacfwd(jacrev(f))`` (the keyword
    ``options`` go to both). With a tuple ``argnums`` a tuple of tuples (``H[i][j]``: d2f / dx_i dx_j);
    containers in JAX's layout.

    >>> hessian(lambda x: (x ** 3).sum())(np.array([1.0, 2.0]))
    array([[ 6.,  0.],
           [ 0., 12.]])
    >>> hessian(lambda x, y: x * x * y, argnums=(0, 1))(np.array(1.0), np.array(2.0))
    ((array(4.), array(2.)), (array(2.), array(0.)))
    """
    inner = jacrev(f, argnums, has_aux=has_aux, **options)
    return jacfwd(inner, argnums, has_aux=has_aux, **options)


def hvp(f, x, v):
    """The Hessian-vector product H(x) v of a scalar ``f``, in one forward-over-reverse sweep (``x`` and ``v``
    arrays or containers of one structure).

    >>> hvp(lambda x: (x ** 3).sum(), np.array([1.0, 2.0]), np.array([1.0, 1.0]))
    array([ 6., 12.])
    """
    return jvp(grad(f), (x,), (v,))[1]
