"""Coloring a sparsity pattern: which columns (or rows) one sweep may carry together.

- ``kind="column"``, for forward mode (Curtis, Powell and Reid): columns that share no row get one color,
  so one JVP along the sum of a color's unit vectors gives all their entries. A distance-2 coloring of the
  bipartite row/column graph, done as a distance-1 coloring of the column intersection graph ``P^T P``.
- ``kind="row"``, for reverse mode: the same on the rows (``P P^T``); one VJP per color.
- ``kind="star"``, for symmetric Hessians (Gebremedhin, Manne and Pothen, "What color is your Jacobian?",
  SIAM Review 2005): a distance-1 coloring of the adjacency graph in which every path on four vertices
  uses at least three colors. Then each nonzero H_ij is read directly from the compressed H S, at
  (i, color j) or at (j, color i) (`star_recovery`), with fewer colors than a column coloring of H.

Greedy, in one of the usual vertex orders: ``"natural"``, ``"largest_first"`` (by degree),
``"smallest_last"`` and ``"incidence_degree"`` (Matula and Beck's and Coleman and Moré's, as in ColPack),
or ``"saturation_degree"`` (Brélaz's DSatur, the default: the colored neighbours' distinct colors decide the
next vertex, which finds the lower bound on banded, block-diagonal and 2-D stencil patterns).
SciPy has no graph coloring (``scipy.sparse.csgraph`` has traversals, flows, matchings and orderings,
no coloring); networkx's ``greedy_color`` is a distance-1 coloring of a networkx graph, neither a
dependency here nor a star coloring. So the greedy loops are written here, in Python over CSR arrays.

    >>> import numpy as np, scipy.sparse as sp
    >>> tridiagonal = sp.diags_array([np.ones(5), np.ones(6), np.ones(5)], offsets=[-1, 0, 1])
    >>> result = coloring(tridiagonal, order="natural")
    >>> result.colors, result.count, result.lower_bound
    (array([0, 1, 2, 0, 1, 2]), 3, 3)
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

__all__ = ["Coloring", "coloring", "KINDS", "ORDERS", "star_recovery"]

KINDS = ("column", "row", "star")


@dataclass(frozen=True, eq=False)
class Coloring:
    """One color per column (``kind="column"`` or ``"star"``) or per row (``"row"``), from 0.

    ``count`` colors were used; ``lower_bound`` is a bound no coloring of this kind can beat (for columns
    the most nonzeros in a row, for rows the most in a column; for star, a clique found greedily), so
    ``count == lower_bound`` proves the coloring optimal.

    >>> Coloring(np.array([0, 1, 0]), "column", "natural", 2).count
    2
    """

    colors: np.ndarray
    kind: str
    order: str
    lower_bound: int

    @property
    def count(self):
        """How many colors: the number of sweeps."""
        return int(self.colors.max()) + 1 if self.colors.size else 0

    @property
    def compresses(self):
        """False when every column (row) has a color of its own: compression buys nothing."""
        return self.count < self.colors.size

    def __repr__(self):
        return (f"Coloring(kind={self.kind!r}, order={self.order!r}, count={self.count}, "
                f"lower_bound={self.lower_bound}, of {self.colors.size})")


def _as_pattern(pattern, what="pattern"):
    if not (sp.issparse(pattern) or isinstance(pattern, np.ndarray)):
        pattern = np.asarray(pattern)
    if pattern.ndim != 2:
        raise ValueError(f"{what} must be a 2-D matrix, got shape {pattern.shape}")
    pattern = sp.csr_array(pattern, dtype=bool, copy=True)
    pattern.eliminate_zeros()  # (an explicit zero is no nonzero: it clashes with nothing)
    return pattern


def _off_diagonal(graph):
    graph = sp.coo_array(graph)
    keep = (graph.row != graph.col) & graph.data.astype(bool)
    out = sp.csr_array((np.ones(int(keep.sum()), bool), (graph.row[keep], graph.col[keep])), shape=graph.shape)
    out.sum_duplicates()
    return out


def _neighbours(graph):
    indptr, indices = graph.indptr.tolist(), graph.indices.tolist()
    return [indices[indptr[v]:indptr[v + 1]] for v in range(graph.shape[0])]


# ----------------------------------------------------------------------------------------------------
# Vertex orders
# ----------------------------------------------------------------------------------------------------

def _natural(adj):
    return list(range(len(adj)))


def _largest_first(adj):
    degrees = np.array([len(a) for a in adj], np.int64)
    return np.argsort(-degrees, kind="stable").tolist()


class _Buckets:
    """Vertices kept by an integer key (degree, incidence), to take one of a given key and move one to
    another key in O(1). Dicts keep insertion order, so the choice among equals is deterministic."""

    def __init__(self, keys, size):
        self.key, self.buckets = list(keys), [dict() for _ in range(size + 1)]
        for v, k in enumerate(self.key):
            self.buckets[k][v] = None

    def take(self, k):
        v = next(iter(self.buckets[k]))
        del self.buckets[k][v]
        return v

    def shift(self, v, by):
        del self.buckets[self.key[v]][v]
        self.key[v] += by
        self.buckets[self.key[v]][v] = None
        return self.key[v]


def _smallest_last(adj):
    """Remove a vertex of least degree in what remains, over and over; color in the reverse order."""
    queue = _Buckets([len(a) for a in adj], max((len(a) for a in adj), default=0))
    removed, order, low = [False] * len(adj), [], 0
    for _ in range(len(adj)):
        while not queue.buckets[low]:
            low += 1
        v = queue.take(low)
        removed[v] = True
        order.append(v)
        for w in adj[v]:
            if not removed[w]:
                queue.shift(w, -1)
        low = max(low - 1, 0)
    return order[::-1]


def _incidence_degree(adj):
    """Next, the vertex with the most neighbours already ordered (the first such, on ties)."""
    queue = _Buckets([0] * len(adj), max((len(a) for a in adj), default=0))
    placed, order, high = [False] * len(adj), [], 0
    for _ in range(len(adj)):
        while high > 0 and not queue.buckets[high]:
            high -= 1
        v = queue.take(high)
        placed[v] = True
        order.append(v)
        for w in adj[v]:
            if not placed[w]:
                high = max(high, queue.shift(w, +1))
    return order


def _saturation_degree(adj):
    """Brélaz's DSatur (1979): next, the vertex whose colored neighbours show the most distinct colors (ties:
    the most neighbours). A dynamic order: it colors greedily as it goes, and greedy coloring in the order it
    returns gives those same colors. On the 2-D 5-point stencil it finds 5 colors, the lower bound, where the
    static orders take 6 or 7."""
    n = len(adj)
    colors, seen = [-1] * n, [set() for _ in range(n)]
    heap = [(0, -len(a), v) for v, a in enumerate(adj)]
    heapq.heapify(heap)
    order = []
    while heap:
        saturation, _, v = heapq.heappop(heap)
        if colors[v] >= 0 or -saturation != len(seen[v]):  # colored, or an entry outdated by a later push
            continue
        c = 0
        while c in seen[v]:
            c += 1
        colors[v] = c
        order.append(v)
        for w in adj[v]:
            if colors[w] < 0 and c not in seen[w]:
                seen[w].add(c)
                heapq.heappush(heap, (-len(seen[w]), -len(adj[w]), w))
    return order


ORDERS = {"natural": _natural, "largest_first": _largest_first, "smallest_last": _smallest_last,
          "incidence_degree": _incidence_degree, "saturation_degree": _saturation_degree}


# ----------------------------------------------------------------------------------------------------
# Greedy colorings
# ----------------------------------------------------------------------------------------------------

def _smallest_free(forbidden, v):
    c = 0
    while forbidden[c] == v:
        c += 1
    return c


def _greedy_distance1(adj, order):
    colors, forbidden = [-1] * len(adj), [-1] * (len(adj) + 1)
    for v in order:
        for w in adj[v]:
            if colors[w] >= 0:
                forbidden[colors[w]] = v
        colors[v] = _smallest_free(forbidden, v)
    return colors


def _greedy_star(adj, order):
    """Give v the least color that makes no two-colored path on four vertices through v.

    With v last to be colored, such a path has v at an end, v - w - x - y colored (c, a, c, a), or inside,
    w - v - x - y colored (a, c, a, c); every path on four vertices is checked when its last vertex is
    colored. ``seen[x][a]`` counts x's neighbours of color a, so "x has a neighbour y != w of w's color"
    is ``seen[x][a] >= 2`` (w is one of them).
    """
    n = len(adj)
    colors, forbidden, seen = [-1] * n, [-1] * (n + 1), [dict() for _ in range(n)]
    for v in order:
        by_color = {}
        for w in adj[v]:
            a = colors[w]
            if a >= 0:
                forbidden[a] = v
                by_color.setdefault(a, []).append(w)
        for a, ws in by_color.items():
            for w in ws:  # v at an end: v - w - x - y with x of the color v would take, y of w's color
                for x in adj[w]:
                    if x != v and colors[x] >= 0 and seen[x].get(a, 0) >= 2:
                        forbidden[colors[x]] = v
            if len(ws) >= 2:  # v inside: w - v - x - y with w, x of one color a, y of the color v would take
                for x in ws:
                    for y in adj[x]:
                        if y != v and colors[y] >= 0:
                            forbidden[colors[y]] = v
        c = colors[v] = _smallest_free(forbidden, v)
        for w in adj[v]:
            seen[w][c] = seen[w].get(c, 0) + 1
    return colors


def _greedy_clique(adj):
    """The size of a clique found greedily from each vertex: a lower bound on any distance-1 coloring."""
    best, sets = (1 if adj else 0), [None] * len(adj)
    for v in sorted(range(len(adj)), key=lambda v: -len(adj[v])):
        if len(adj[v]) + 1 <= best:
            break
        clique = []
        for u in adj[v]:
            if all(u in (sets[w] if sets[w] is not None else sets.__setitem__(w, set(adj[w])) or sets[w])
                   for w in clique):
                clique.append(u)
        best = max(best, len(clique) + 1)
    return best


def coloring(pattern, kind="column", order="saturation_degree"):
    """Color a sparsity pattern (SciPy sparse or dense, boolean or not) for compressed derivatives.

    ``kind``: ``"column"`` (forward mode: one color per column), ``"row"`` (reverse mode: one per row) or
    ``"star"`` (a symmetric Hessian pattern: one per column, star coloring); ``order``: one of `ORDERS`.
    Returns a `Coloring`: ``.colors``, ``.count``, ``.lower_bound``.

    >>> import numpy as np
    >>> arrow = np.eye(5, dtype=bool); arrow[0, :] = arrow[:, 0] = True
    >>> coloring(arrow, "column").count, coloring(arrow, "star").count
    (5, 2)
    """
    if kind not in KINDS:
        raise ValueError(f"coloring: kind must be one of {KINDS}, got {kind!r}")
    if order not in ORDERS:
        raise ValueError(f"coloring: order must be one of {tuple(ORDERS)}, got {order!r}")
    P = _as_pattern(pattern)
    if kind == "star":
        if P.shape[0] != P.shape[1]:
            raise ValueError(f"coloring: a star coloring needs a square (symmetric) pattern, got shape {P.shape}")
        adj = _neighbours(_off_diagonal(P + P.T))
        return Coloring(np.array(_greedy_star(adj, ORDERS[order](adj)), np.int64), kind, order, _greedy_clique(adj))
    if kind == "row":
        P = sp.csr_array(P.T)
    lower = int(np.diff(P.indptr).max(initial=0))
    if P.shape[1] and lower == 0:
        lower = 1  # an empty pattern still takes one color (every column in it)
    if lower == P.shape[1]:  # a row holds every column: they all clash, a color each (no graph to build)
        return Coloring(np.arange(P.shape[1], dtype=np.int64), kind, order, lower)
    # columns that share a row are neighbours: the column intersection graph P^T P
    adj = _neighbours(_off_diagonal(P.T @ P))
    return Coloring(np.array(_greedy_distance1(adj, ORDERS[order](adj)), np.int64), kind, order, lower)


def star_recovery(pattern, colors):
    """For each nonzero (i, j) of a symmetric ``pattern`` (in CSR order): where to read H_ij in the
    compressed ``B = H S``. Returns ``(rows, cols, read_row, read_color)``: H_ij is ``B[read_row, read_color]``,
    that is B[i, color j] when j is the only column of its color in row i, else B[j, color i].

    Raises ValueError when neither holds for some nonzero: ``colors`` is not a star coloring of ``pattern``.

    >>> import numpy as np
    >>> rows, cols, at_row, at_color = star_recovery(np.ones((2, 2)), np.array([0, 1]))
    >>> at_row.tolist(), at_color.tolist()
    ([0, 0, 1, 1], [0, 1, 0, 1])
    """
    P = _as_pattern(pattern)
    P.sort_indices()
    colors = np.asarray(colors, np.int64)
    rows = np.repeat(np.arange(P.shape[0]), np.diff(P.indptr))
    cols = P.indices.astype(np.int64)
    k = int(colors.max()) + 1 if colors.size else 1
    per_row_color = np.bincount(rows * k + colors[cols], minlength=P.shape[0] * k)
    direct = per_row_color[rows * k + colors[cols]] == 1
    mirrored = per_row_color[cols * k + colors[rows]] == 1
    if not np.all(direct | mirrored):
        i, j = rows[~(direct | mirrored)][0], cols[~(direct | mirrored)][0]
        raise ValueError(f"coloring: the colors are not a star coloring of the pattern: H[{i}, {j}] cannot be "
                         "recovered (another column of its color shares its row, and of its column too)")
    return rows, cols, np.where(direct, rows, cols), np.where(direct, colors[cols], colors[rows])
