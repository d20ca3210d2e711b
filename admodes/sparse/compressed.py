"""Compressed Jacobians and Hessians: one sweep per color instead of one per column or row.

With a column coloring of the Jacobian's pattern (`coloring`), the columns of one color share no row,
so one JVP along the sum of their unit vectors, ``J S`` with the seed matrix ``S[j, color j] = 1``,
holds each of their entries in its own row: ``J[i, j] = (J S)[i, color j]`` (Curtis, Powell and Reid).
Reverse mode does the same with rows and VJPs (``S^T J``), and a Hessian with a star coloring and one
forward-over-reverse sweep (`star_recovery`). All the colors go through one batched sweep of the batching
engine (``jacfwd(..., batch=True)`` on the k seed directions), so the cost is about that of k JVPs.

The pattern and the coloring are computed once, on the first call (or by ``prepare(x)``), and reused for
every x of that shape; pass ``sparsity=`` (and ``coloring=``) to skip detection (a given pattern is
checked once per shape against one sweep along a random direction: one it misses is an error, never a
nonzero credited to its neighbour of the same color). Results are SciPy CSR
matrices of shape ``(f(x).size, x.size)`` (inputs and outputs flattened in C order) with the pattern's
structure: an entry of the pattern that is zero at this x is stored as an explicit 0, so every call
returns the same ``indptr`` and ``indices``.

    >>> import numpy as np, admodes.numpy as anp
    >>> jac = sparse_jacfwd(lambda x: anp.sin(x[1:]) * x[:-1])
    >>> J = jac(np.zeros(1000)); J.shape, J.nnz, jac.coloring.count
    ((999, 1000), 1998, 2)

A function whose pattern depends on x's values through a branch (``if x[0] > 0``) has the pattern of the
branch taken at the x it was prepared at (see `jacobian_sparsity`); prepare it again (``prepare(x)``) where
the branch changes.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import scipy.sparse as sp

from ..inputs import returned
from .coloring import Coloring, coloring, star_recovery
from .tracer import hessian_sparsity, jacobian_sparsity

__all__ = ["SparseJacobian", "SparseHessian", "sparse_jacfwd", "sparse_jacrev", "sparse_jacobian", "sparse_hessian",
           "CompressionWarning"]

MODES = ("auto", "forward", "reverse")


class CompressionWarning(UserWarning):
    """The pattern needs as many colors as columns (or rows): compression buys nothing over the dense form."""


def _point(x, who):
    x = np.asarray(x)
    if x.dtype.kind in "iub":
        x = x.astype(np.float64)
    if x.dtype.kind != "f":
        raise TypeError(f"{who}: x must be a real floating-point array, got dtype {x.dtype}")
    if x.dtype.itemsize < 4:  # SciPy's sparse matrices hold no float16
        raise TypeError(f"{who}: x has dtype {x.dtype}; SciPy sparse matrices hold float32 or float64 "
                        "(pass x.astype(np.float32))")
    return x


def _checked_arguments(f, sparsity, coloring, who):
    """f, sparsity= and coloring= checked when the derivative is made, so a mistake is named before any work."""
    if not callable(f):
        raise TypeError(f"{who}: f must be callable, got {type(f).__name__}")
    if sparsity is not None and not sp.issparse(sparsity):
        given = np.asarray(sparsity) if isinstance(sparsity, (np.ndarray, list, tuple)) else None
        if given is None or given.dtype.kind not in "biuf":
            raise TypeError(f"{who}: sparsity= must be a 2-D boolean matrix (SciPy sparse or NumPy), "
                            f"got {type(sparsity).__name__}")
    if coloring is not None and not isinstance(coloring, Coloring):
        given = np.asarray(coloring) if isinstance(coloring, (np.ndarray, list, tuple)) else None
        if given is None or given.ndim != 1 or (given.size and given.dtype.kind not in "iu"):
            raise TypeError(f"{who}: coloring= must be a Coloring or a 1-D array of int colors (one per column, "
                            f"or per row), got {type(coloring).__name__}"
                            + (f" of dtype {given.dtype}, shape {given.shape}" if given is not None else ""))


def _given_pattern(sparsity, shape, who, x_shape):
    pattern = sp.csr_array(sparsity, dtype=bool)
    if pattern.shape != shape:
        what = "Hessian" if who == "sparse_hessian" else "Jacobian"
        raise ValueError(f"{who}: sparsity= has shape {pattern.shape} but the {what} at x of shape {x_shape} "
                         f"has shape {shape}")
    pattern.sum_duplicates()  # canonical: sorted, no repeats, as the offsets read from it assume
    return pattern


def _given_coloring(given, kind, n, who):
    colors = np.asarray(given.colors if isinstance(given, Coloring) else given, np.int64)
    if isinstance(given, Coloring) and given.kind != kind:
        raise ValueError(f"{who}: coloring= is a {given.kind} coloring, and this needs a {kind} coloring")
    if colors.shape != (n,):
        raise ValueError(f"{who}: coloring= has {colors.size} colors for {n} {'rows' if kind == 'row' else 'columns'}")
    if colors.size and colors.min() < 0:
        raise ValueError(f"{who}: coloring= has a negative color")
    if colors.size and colors.max() >= n:  # (n colors always suffice; a larger one would size the sweep by it)
        raise ValueError(f"{who}: coloring= has color {colors.max()} for {n} {'rows' if kind == 'row' else 'columns'}; "
                         f"colors run from 0 to {n - 1}")
    return given if isinstance(given, Coloring) else Coloring(colors, kind, "given", 0)


def _check_distance2(pattern, colors, who):
    """No two columns of one color share a row (else their entries would add up in the compressed matrix)."""
    rows = np.repeat(np.arange(pattern.shape[0]), np.diff(pattern.indptr))
    k = int(colors.max()) + 1 if colors.size else 1
    clash = np.bincount(rows * k + colors[pattern.indices], minlength=pattern.shape[0] * k) > 1
    if clash.any():
        row = int(np.flatnonzero(clash)[0] // k)
        raise ValueError(f"{who}: coloring= gives two columns that share row {row} one color; they cannot be "
                         "told apart in one sweep")


def _warn_dense(c, who):
    if not c.compresses and c.colors.size > 1:
        what = "rows" if c.kind == "row" else "columns"
        warnings.warn(f"{who}: the pattern needs {c.count} colors for {c.colors.size} {what}, so compression buys "
                      "nothing here: the dense Jacobian (jacfwd/jacrev with batch=True) costs the same",
                      CompressionWarning, stacklevel=4)


class _Compressed:
    """What `SparseJacobian` and `SparseHessian` share: preparing once per input shape, then one batched
    compressed sweep per call (``_compressed``), read out at the offsets found when preparing (``_take``)."""

    def __init__(self, f, sparsity, coloring, order, who):
        _checked_arguments(f, sparsity, coloring, who)
        self.f, self.order, self.who = f, order, who
        self._given_sparsity, self._given_coloring = sparsity, coloring
        self.sparsity = self.coloring = self._x_shape = self._take = None

    @property
    def sweeps(self):
        """The number of colors: sweeps (batched into one) per derivative."""
        return self.coloring.count

    @property
    def compresses(self):
        """False when the coloring gives every column (row) its own color."""
        return self.coloring.compresses

    def __call__(self, x, *more):
        if more:
            raise TypeError(f"{self.who}: the derivative takes one argument x, got {1 + len(more)}; for f of several "
                            "arguments differentiate lambda x: f(x, y) (the others held constant)")
        x = _point(x, self.who)
        if self.sparsity is None or x.shape != self._x_shape:
            self.prepare(x)
        result = _with_pattern(self.sparsity, self._compressed(x).reshape(-1).take(self._take))
        if self._given_sparsity is not None and not self._verified:
            self._verify_given_pattern(x, result)
        return result

    _verified = False

    def _verify_given_pattern(self, x, result):
        """A given ``sparsity=`` that misses a nonzero would credit it to another entry of its color, silently:
        so once per prepared shape the result is checked against one sweep along a random direction (a JVP,
        or a VJP in reverse mode, the sweep the compressed form itself uses)."""
        import admodes as ad
        import admodes.numpy as anp
        hessian, reverse = isinstance(self, SparseHessian), getattr(self, "mode", None) == "reverse"
        f, rng = (ad.grad(self.f) if hessian else self.f), np.random.default_rng(0)
        if reverse:
            u = rng.standard_normal(result.shape[0]).astype(x.dtype)
            _, pull = ad.vjp(lambda v: anp.reshape(f(v), (-1,)), x)
            exact, got = np.asarray(pull(u)[0], float).reshape(-1), result.T @ u.astype(float)
            size = abs(result).T @ np.abs(u).astype(float) + np.abs(exact)
        else:
            v = rng.standard_normal(x.shape).astype(x.dtype)
            exact = np.asarray(ad.jvp(f, (x,), (v,))[1], dtype=float).reshape(-1)
            got = result @ v.reshape(-1).astype(float)
            size = abs(result) @ np.abs(v.reshape(-1)).astype(float) + np.abs(exact)
        off = np.flatnonzero(~(np.abs(got - exact) <= (1e-6 if x.dtype.itemsize >= 8 else 1e-3) * size))
        if off.size:
            i, what = int(off[0]), "Hessian" if hessian else "Jacobian"
            raise ValueError(f"{self.who}: sparsity= misses nonzeros of the {what} at x: element {i} of the result "
                             f"along a random direction is {got[i]:.6g}, but one {'VJP' if reverse else 'JVP'} gives "
                             f"{exact[i]:.6g}; a nonzero the pattern does not list is credited to another "
                             f"entry of its color. Give the full pattern ({'hessian' if hessian else 'jacobian'}"
                             "_sparsity(f)(x) finds it), or no sparsity=")
        self._verified = True


class SparseJacobian(_Compressed):
    """f's Jacobian as a SciPy CSR matrix, by compressed sweeps; pattern and coloring prepared once.

    ``mode``: ``"forward"`` (column coloring, one JVP per color), ``"reverse"`` (row coloring, one VJP per
    color) or ``"auto"`` (the direction with fewer colors; forward on a tie). After preparing:
    ``.sparsity``, ``.coloring``, ``.mode`` (resolved), ``.sweeps`` and ``.compresses``.

    >>> import numpy as np, admodes.numpy as anp
    >>> f = lambda x: anp.concatenate([anp.sum(x, keepdims=True), x[1:] ** 2])  # one dense row
    >>> jac = SparseJacobian(f, mode="auto").prepare(np.ones(5))
    >>> jac.mode, jac.sweeps
    ('reverse', 2)
    """

    def __init__(self, f, mode="auto", *, sparsity=None, coloring=None, order="natural", who="sparse_jacobian"):
        if mode not in MODES:
            raise ValueError(f"{who}: mode must be one of {MODES}, got {mode!r}")
        super().__init__(f, sparsity, coloring, order, who)
        self.requested_mode, self.mode = mode, None

    def prepare(self, x):
        """Find (or check) the pattern and color it, for inputs of x's shape; returns self."""
        x = _point(x, self.who)
        p = x.size
        if self._given_sparsity is not None:  # checked against f(x)'s size: one evaluation of f
            m = math.prod(np.shape(returned(self.f(x), self.who)))
            self.sparsity = _given_pattern(self._given_sparsity, (m, p), self.who, x.shape)
        else:
            self.sparsity = jacobian_sparsity(self.f)(x)
        mode, given = self.requested_mode, self._given_coloring
        if mode == "auto" and isinstance(given, Coloring):
            mode = "forward" if given.kind == "column" else "reverse"
        if given is not None:
            kind = "column" if mode in ("forward", "auto") else "row"
            self.coloring = _given_coloring(given, kind, self.sparsity.shape[1 if kind == "column" else 0], self.who)
            on = self.sparsity if kind == "column" else sp.csr_array(self.sparsity.T)
            _check_distance2(on, self.coloring.colors, self.who)
            mode = "forward" if kind == "column" else "reverse"
        elif mode == "auto":
            columns = coloring(self.sparsity, "column", self.order)
            rows = coloring(self.sparsity, "row", self.order)
            mode, self.coloring = ("forward", columns) if columns.count <= rows.count else ("reverse", rows)
        else:
            self.coloring = coloring(self.sparsity, "column" if mode == "forward" else "row", self.order)
        self.mode, self._x_shape, self._verified = mode, x.shape, False
        # where each nonzero sits in the flattened compressed matrix: (m, k) forward, (k, p) reverse
        P, colors, k = self.sparsity, self.coloring.colors, max(self.coloring.count, 1)
        rows = np.repeat(np.arange(P.shape[0]), np.diff(P.indptr))
        self._take = (rows * k + colors[P.indices] if mode == "forward"
                      else colors[rows] * P.shape[1] + P.indices) if P.nnz else np.zeros(0, np.int64)
        _warn_dense(self.coloring, self.who)
        return self

    def _compressed(self, x):
        P, colors, k = self.sparsity, self.coloring.colors, max(self.coloring.count, 1)
        m, p = P.shape
        if self.mode == "reverse":
            return _reverse_sweep(self.f, x, colors, k, m, self.who)
        compressed = _forward_sweep(self.f, x, colors, k)
        if compressed.size != m * k:
            raise ValueError(f"{self.who}: sparsity= has shape {P.shape} but the Jacobian at x of shape {x.shape} "
                             f"has shape {(compressed.size // k, p)}")
        return compressed


def _with_pattern(P, values):
    """The CSR matrix of P's structure holding ``values``; its index arrays are copies, so that editing the result
    in place (``sort_indices``, ``eliminate_zeros``) cannot change the prepared pattern."""
    return sp.csr_array((values, P.indices.copy(), P.indptr.copy()), shape=P.shape, copy=False)


def _seeded(x, colors, c):
    """x + S c: the point moved along the seed matrix, so that d/dc at c = 0 is J S."""
    return x + c[colors].reshape(x.shape)


def _forward_sweep(f, x, colors, k):
    import admodes as ad
    return np.asarray(ad.jacfwd(lambda c: f(_seeded(x, colors, c)), batch=True)(np.zeros(k, x.dtype)))


def _reverse_sweep(f, x, colors, k, m, who):
    import admodes as ad
    import admodes.numpy as anp
    seeds = np.zeros((k, m), x.dtype)
    seeds[colors, np.arange(m)] = 1

    def compressed(v):
        y = returned(f(v), who)
        if math.prod(np.shape(y)) != m:
            raise ValueError(f"{who}: sparsity= has {m} rows but f(x) has shape {np.shape(y)} "
                             f"({math.prod(np.shape(y))} elements)")
        return anp.matmul(seeds, anp.reshape(y, (m,)))
    return np.asarray(ad.jacrev(compressed, batch=True)(x))


class SparseHessian(_Compressed):
    """The Hessian of a scalar f as a symmetric SciPy CSR matrix: star coloring, one forward-over-reverse
    sweep per color (batched into one), each entry read directly from the compressed ``H S``.

    >>> import numpy as np, admodes.numpy as anp
    >>> hess = SparseHessian(lambda x: anp.sum(x[1:] ** 2 * x[:-1]))
    >>> hess(np.ones(4)).toarray()
    array([[0., 2., 0., 0.],
           [2., 2., 2., 0.],
           [0., 2., 2., 2.],
           [0., 0., 2., 2.]])
    >>> hess.coloring.count
    3
    """

    def __init__(self, f, *, sparsity=None, coloring=None, order="natural", who="sparse_hessian"):
        super().__init__(f, sparsity, coloring, order, who)

    def prepare(self, x):
        x = _point(x, self.who)
        if self._given_sparsity is not None:
            pattern = _given_pattern(self._given_sparsity, (x.size, x.size), self.who, x.shape)
            self.sparsity = sp.csr_array(pattern + pattern.T, dtype=bool)
            self.sparsity.sort_indices()
        else:
            self.sparsity = hessian_sparsity(self.f)(x)
        if self._given_coloring is not None:
            self.coloring = _given_coloring(self._given_coloring, "star", x.size, self.who)
        else:
            self.coloring = coloring(self.sparsity, "star", self.order)
        _, _, at_row, at_color = star_recovery(self.sparsity, self.coloring.colors)  # raises if not a star coloring
        self._take = at_row * max(self.coloring.count, 1) + at_color
        self._x_shape, self._verified = x.shape, False
        _warn_dense(self.coloring, self.who)
        return self

    def _compressed(self, x):
        import admodes as ad
        colors, k, grad = self.coloring.colors, max(self.coloring.count, 1), ad.grad(self.f)
        return np.asarray(ad.jacfwd(lambda c: grad(_seeded(x, colors, c)), batch=True)(np.zeros(k, x.dtype)))


def sparse_jacfwd(f, *, sparsity=None, coloring=None, order="natural"):
    """f's Jacobian by compressed forward mode: a column coloring, one JVP per color (one batched sweep).

    Returns a `SparseJacobian` (call it with x; it prepares the pattern and coloring on the first call).

    >>> import numpy as np
    >>> sparse_jacfwd(lambda x: x[1:] - x[:-1])(np.zeros(3)).toarray()
    array([[-1.,  1.,  0.],
           [ 0., -1.,  1.]])
    """
    return SparseJacobian(f, "forward", sparsity=sparsity, coloring=coloring, order=order, who="sparse_jacfwd")


def sparse_jacrev(f, *, sparsity=None, coloring=None, order="natural"):
    """f's Jacobian by compressed reverse mode: a row coloring, one VJP per color (one batched sweep).

    >>> import numpy as np
    >>> sparse_jacrev(lambda x: x[1:] - x[:-1])(np.zeros(4)).toarray()
    array([[-1.,  1.,  0.,  0.],
           [ 0., -1.,  1.,  0.],
           [ 0.,  0., -1.,  1.]])
    """
    return SparseJacobian(f, "reverse", sparsity=sparsity, coloring=coloring, order=order, who="sparse_jacrev")


def sparse_jacobian(f, mode="auto", *, sparsity=None, coloring=None, order="natural"):
    """f's Jacobian by compressed sweeps in the direction with fewer colors (``mode="auto"``), or the one given.

    >>> import numpy as np
    >>> jac = sparse_jacobian(lambda x: x * x[0])     # one dense column: forward takes 2 colors, reverse 3
    >>> jac(np.array([1.0, 2.0, 3.0])).toarray(), jac.mode
    (array([[2., 0., 0.],
           [2., 1., 0.],
           [3., 0., 1.]]), 'forward')
    """
    return SparseJacobian(f, mode, sparsity=sparsity, coloring=coloring, order=order)


def sparse_hessian(f, *, sparsity=None, coloring=None, order="natural"):
    """The Hessian of a scalar f by star coloring and compressed forward-over-reverse sweeps; a `SparseHessian`.

    >>> import numpy as np, admodes.numpy as anp
    >>> sparse_hessian(lambda x: anp.sum(x ** 3))(np.array([1.0, 2.0])).toarray()
    array([[ 6.,  0.],
           [ 0., 12.]])
    """
    return SparseHessian(f, sparsity=sparsity, coloring=coloring, order=order)
