"""Sparsity detection: run f once on index sets to find which outputs can depend on which inputs.

A `Deps` value carries its primal beside a dependency matrix (SciPy CSR, boolean, ``(size, p)``: row k
holds the inputs element k may depend on). Each primitive applied to it computes its output on the
primals and the output's dependency matrix with the primitive's rule (`admodes.sparse.rules`), which
reads shapes only, never values. So the pattern holds for every x, with one exception: Python control
flow. A branch on a value (``if x[0] > 0:``, a ``while`` loop) is taken on the primal, as every engine
takes it, and only the branch taken is traced; a function whose branches touch different elements has
the pattern of the branch x selects (SparseConnectivityTracer.jl's global tracers refuse such a branch
instead; JAX's tracing would too).

    >>> import numpy as np, admodes as ad, admodes.numpy as anp
    >>> f = lambda x: x[1:] * x[:-1]
    >>> ad.jacobian_sparsity(f)(np.ones(4)).toarray().astype(int)
    array([[1, 1, 0, 0],
           [0, 1, 1, 0],
           [0, 0, 1, 1]])
    >>> ad.hessian_sparsity(lambda x: anp.sum(x[1:] * x[:-1]))(np.ones(3)).toarray().astype(int)
    array([[0, 1, 0],
           [1, 0, 1],
           [0, 1, 0]])

The Hessian's pattern is the Jacobian pattern of the gradient, traced through the op library's VJP
rules: which inputs meet in a nonlinear op falls out of those rules (add's rule passes the cotangent on,
so x + y adds no pair; multiply's reads the other argument, so x * y adds (x, y); sin's reads cos(x), so
sin(x) adds (x, x)), element by element, with no second table of linearity classes to keep in step.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp

from ..arraylike import ArrayLike, plain_index, value
from ..inputs import returned
from ..ops.core import Traced, new_level, op, shape_of
from .rules import empty, rule_of

__all__ = ["Deps", "jacobian_sparsity", "hessian_sparsity"]


class Deps(ArrayLike):
    """A value and the inputs each of its elements may depend on (a boolean CSR matrix, one row per element).

    Comparisons and ``if`` look at the primal, as for `Dual`.

    >>> import scipy.sparse as sp
    >>> x = Deps(np.array([1.0, 2.0]), sp.eye_array(2, dtype=bool, format="csr"))
    >>> (x.sum() * x).deps.toarray()
    array([[ True,  True],
           [ True,  True]])
    """

    __slots__ = ("primal", "deps", "_level")

    def __init__(self, primal, deps):
        deps = sp.csr_array(deps, dtype=bool)
        if deps.shape[0] != math.prod(shape_of(primal)):
            raise ValueError(f"Deps: {deps.shape[0]} dependency rows for a value of shape {shape_of(primal)}")
        self.primal, self.deps, self._level = primal, deps, new_level()

    @classmethod
    def _make(cls, primal, deps, level):
        d = object.__new__(cls)
        d.primal, d.deps, d._level = primal, deps, level
        return d

    def _inner(self):
        return self.primal

    def __repr__(self):
        return f"Deps(primal={self.primal!r}, nnz={self.deps.nnz})"

    def __setitem__(self, index, new):
        """``d[index] = new``: a functional update of the value and its dependencies."""
        updated = op("index_update")(self, new, index=plain_index(index))
        if type(updated) is Deps and updated._level == self._level:
            self.primal, self.deps = updated.primal, updated.deps
        elif isinstance(updated, Traced) and updated._level > self._level:
            raise TypeError("d[index] = value: the value is traced by a transform nested inside the sparsity "
                            "tracer; build a new array instead (anp.where, or concatenate the pieces)")
        else:
            self.primal, self.deps = updated, empty(self.deps.shape[0], self.deps.shape[1])

    def _apply(self, prim, args, params):
        """Run `prim` on the primals and map this level's dependency matrices through its rule."""
        level = self._level
        primals, deps, traced = list(args), [None] * len(args), False
        for i, a in enumerate(args):
            if type(a) is Deps and a._level == level:
                primals[i], deps[i], traced = a.primal, a.deps, True
        ans = prim.impl(*primals, **params) if prim.impl_takes_traced else prim(*primals, **params)
        if not traced or prim.zero_derivative:  # a constant here: sign, comparisons' cousins, ...
            return ans
        if not prim.variadic:
            for i in prim.nondiff:  # an index or a condition carries no derivative
                deps[i] = None
            if all(d is None for d in deps):
                return ans
        out = rule_of(prim)(deps, primals, shape_of(ans), params)
        return Deps._make(ans, out.tocsr(), level)


def jacobian_sparsity(f, argnums=0):
    """The pattern of f's Jacobian: a SciPy CSR boolean matrix of shape ``(f(x).size, x.size)``.

    Found by one run of f on index sets (see the module's docstring): conservative (never misses a
    nonzero: an entry may be a structural nonzero that is zero at every x) and the same at every x,
    except that a branch on a value is traced for the branch x takes. Inputs and outputs are flattened
    in C order, as ``x.ravel()`` and ``f(x).ravel()``.

    >>> import numpy as np, admodes.numpy as anp
    >>> jacobian_sparsity(lambda x: anp.cumsum(x))(np.zeros(3)).toarray().astype(int)
    array([[1, 0, 0],
           [1, 1, 0],
           [1, 1, 1]])
    """
    if not callable(f):
        raise TypeError(f"jacobian_sparsity: f must be callable, got {type(f).__name__}")
    if not isinstance(argnums, int) or isinstance(argnums, bool):
        raise TypeError(f"jacobian_sparsity: argnums must be an int, got {argnums!r}")

    def pattern(*args):
        if not -len(args) <= argnums < len(args):
            raise ValueError(f"jacobian_sparsity: argnums {argnums} is out of range for {len(args)} arguments")
        x = args[argnums]
        if not isinstance(x, Traced):
            x = _pattern_point(x, f"argument {argnums}")
        p, level = math.prod(shape_of(x)), new_level()
        moved = list(args)
        moved[argnums] = Deps._make(x, sp.eye_array(p, dtype=bool, format="csr"), level)
        out = returned(f(*moved), "jacobian_sparsity")  # (None, a string...: never an empty pattern)
        if isinstance(out, (tuple, list)):
            raise TypeError("jacobian_sparsity: f must return a single array (pytrees are not supported)")
        if type(out) is Deps and out._level == level:
            found = out.deps
        else:
            if isinstance(out, Traced) and out._level > level:
                raise TypeError("jacobian_sparsity: f returned a value traced by a transform it started itself")
            found = empty(math.prod(np.shape(value(out))), p)
        found = sp.csr_array(found, dtype=bool)
        found.sum_duplicates()
        found.sort_indices()
        return found
    return pattern


def _pattern_point(x, what, who="jacobian_sparsity"):
    """x as a float array to trace (the pattern reads shapes only, so integers are fine), or a clear error."""
    arr = np.asarray(x)
    if arr.dtype.kind == "c":
        raise TypeError(f"{who}: {what} is complex ({arr.dtype}, shape {arr.shape}); admodes "
                        "differentiates real arrays only")
    if arr.dtype.kind not in "fiub":
        raise TypeError(f"{who}: {what} must be a real array, got {type(x).__name__} of dtype {arr.dtype}")
    # The index sets start as the identity (17 bytes an element in CSR) and every op of f makes new ones:
    # refuse, before the machine runs out of memory, an x whose first index sets would fill a quarter of it.
    from ..check.differences import gib, physical_memory
    needed, memory = 17 * arr.size, physical_memory()
    if 4 * needed > memory:
        raise ValueError(f"{who}: {what} has {arr.size:,} elements: its index sets take {gib(needed)} "
                         f"and each op of f makes new ones, too much for this machine's {gib(memory)}")
    return arr if arr.dtype.kind == "f" else arr.astype(np.float64)


def hessian_sparsity(f, argnums=0):
    """The pattern of the Hessian of a scalar f: a symmetric SciPy CSR boolean matrix ``(x.size, x.size)``.

    The Jacobian pattern of ``grad(f)``, traced through the VJP rules (see the module's docstring), made
    symmetric; conservative and the same at every x, as `jacobian_sparsity`.

    >>> import numpy as np, admodes.numpy as anp
    >>> hessian_sparsity(lambda x: anp.sum(anp.sin(x)) + x[0] * x[2])(np.zeros(3)).toarray().astype(int)
    array([[1, 0, 1],
           [0, 1, 0],
           [1, 0, 1]])
    """
    from ..transforms import grad

    if not callable(f):
        raise TypeError(f"hessian_sparsity: f must be callable, got {type(f).__name__}")

    def pattern(*args):
        if isinstance(argnums, int) and -len(args) <= argnums < len(args) and not isinstance(args[argnums], Traced):
            _pattern_point(args[argnums], f"argument {argnums}", "hessian_sparsity")  # (named as called)
        found = jacobian_sparsity(grad(f, argnums), argnums)(*args)
        found = sp.csr_array(found + found.T, dtype=bool)
        found.sort_indices()
        return found
    return pattern
