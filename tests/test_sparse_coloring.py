"""Coloring (issue 18, item 2): valid colorings in every order, optimal counts on known patterns, and star
colorings checked against their definition and by direct recovery of a symmetric matrix."""

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import admodes as ad
from admodes.sparse import star_recovery
from admodes.sparse.coloring import ORDERS

ORDER_NAMES = sorted(ORDERS)


def banded(p, b):
    return sp.diags_array([np.ones(p - abs(k)) for k in range(-b, b + 1)], offsets=list(range(-b, b + 1)),
                          format="csr").astype(bool)


def arrow(p):
    a = np.eye(p, dtype=bool)
    a[0, :] = a[:, 0] = True
    return sp.csr_array(a)


def block_diagonal(blocks, size):
    return sp.block_diag([np.ones((size, size), bool)] * blocks, format="csr").astype(bool)


@st.composite
def patterns(draw, square=False, symmetric=False):
    m = draw(st.integers(1, 9))
    n = m if square else draw(st.integers(1, 9))
    seed = draw(st.integers(0, 2**16))
    density = draw(st.sampled_from([0.1, 0.3, 0.6]))
    a = np.random.default_rng(seed).random((m, n)) < density
    if symmetric:
        a = a | a.T
        np.fill_diagonal(a, True)
    return a


def assert_column_coloring(pattern, colors):
    a = np.asarray(pattern.toarray() if sp.issparse(pattern) else pattern, bool)
    for row in a:
        used = colors[np.flatnonzero(row)]
        assert len(used) == len(set(used.tolist())), f"two columns of one color share a row: {used}"


def assert_star_coloring(pattern, colors):
    """Distance-1 coloring, and every path on four vertices w - x - y - z uses at least three colors."""
    a = np.asarray(pattern, bool) | np.asarray(pattern, bool).T
    np.fill_diagonal(a, False)
    adj = [np.flatnonzero(r).tolist() for r in a]
    for x, y in zip(*np.nonzero(a)):
        assert colors[x] != colors[y], f"neighbours {x} and {y} share color {colors[x]}"
        for w, z in itertools.product(adj[x], adj[y]):
            if len({w, x, y, z}) == 4:
                assert not (colors[w] == colors[y] and colors[x] == colors[z]), f"two-colored path {w, x, y, z}"


@pytest.mark.parametrize("order", ORDER_NAMES)
@settings(max_examples=40, deadline=None)
@given(a=patterns())
def test_column_and_row_colorings_are_valid(order, a):
    columns = ad.coloring(a, "column", order=order)
    assert_column_coloring(a, columns.colors)
    rows = ad.coloring(sp.csr_array(a), "row", order=order)
    assert_column_coloring(a.T, rows.colors)
    assert columns.colors.shape == (a.shape[1],) and rows.colors.shape == (a.shape[0],)
    assert columns.count >= columns.lower_bound == max(1, a.sum(axis=1).max())
    assert rows.count >= rows.lower_bound == max(1, a.sum(axis=0).max())


@pytest.mark.parametrize("order", ORDER_NAMES)
@settings(max_examples=40, deadline=None)
@given(a=patterns(square=True, symmetric=True), seed=st.integers(0, 2**16))
def test_star_colorings_are_valid_and_recover_the_matrix(order, a, seed):
    star = ad.coloring(a, "star", order=order)
    assert_star_coloring(a, star.colors)
    assert star.count >= star.lower_bound
    # direct recovery: H from B = H S alone, for a random symmetric H with this pattern
    h = np.random.default_rng(seed).standard_normal(a.shape) * a
    h = h + h.T
    seeds = np.eye(star.count)[star.colors]
    rows, cols, at_row, at_color = star_recovery(a, star.colors)
    recovered = np.zeros_like(h)
    recovered[rows, cols] = (h @ seeds)[at_row, at_color]
    np.testing.assert_allclose(recovered, h, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("order", ORDER_NAMES)
def test_every_order_is_a_permutation(order):
    a = np.random.default_rng(3).random((30, 30)) < 0.15
    graph = [np.flatnonzero(r | c).tolist() for r, c in zip(a, a.T)]
    graph = [[w for w in ws if w != v] for v, ws in enumerate(graph)]
    assert sorted(ORDERS[order](graph)) == list(range(30))


def test_smallest_last_and_incidence_degree_orders():
    # a path 0 - 1 - 2 plus an isolated 3: smallest last removes 3 (degree 0) first, so colors it last
    graph = [[1], [0, 2], [1], []]
    assert ORDERS["smallest_last"](graph)[-1] == 3
    assert ORDERS["largest_first"](graph)[0] == 1
    order = ORDERS["incidence_degree"](graph)
    assert order[:3] in ([0, 1, 2], [1, 0, 2], [1, 2, 0], [2, 1, 0])  # each next vertex touches the ones before


@pytest.mark.parametrize("order", ORDER_NAMES)
@pytest.mark.parametrize("b", [1, 2, 4])
def test_banded_counts_are_optimal(order, b):
    p = 40
    columns = ad.coloring(banded(p, b), "column", order=order)
    assert columns.count == columns.lower_bound == 2 * b + 1
    assert ad.coloring(banded(p, b), "row", order=order).count == 2 * b + 1


@pytest.mark.parametrize("order", ORDER_NAMES)
def test_arrow_and_block_diagonal_counts(order):
    assert ad.coloring(arrow(20), "column", order=order).count == 20  # the dense row makes every column clash
    assert ad.coloring(arrow(20), "row", order=order).count == 20
    assert ad.coloring(arrow(20), "star", order=order).count == 2  # the hub, and every leaf
    blocks = block_diagonal(5, 4)
    for kind in ("column", "row", "star"):
        result = ad.coloring(blocks, kind, order=order)
        assert result.count == result.lower_bound == 4, kind


def test_star_coloring_of_tridiagonal_and_banded_hessians():
    tri = ad.coloring(banded(30, 1), "star")
    assert tri.count == 3  # a path needs three colors for a star coloring (two would make a two-colored P4)
    assert_star_coloring(banded(30, 1).toarray(), tri.colors)
    assert ad.coloring(banded(30, 1), "column").count == 3
    assert ad.coloring(banded(30, 2), "star").lower_bound == 3


def test_result_object():
    result = ad.coloring(banded(6, 1), "column")
    assert isinstance(result.colors, np.ndarray) and result.colors.dtype == np.int64
    assert (result.count, result.lower_bound, result.kind, result.compresses) == (3, 3, "column", True)
    assert "count=3" in repr(result)
    assert not ad.coloring(np.ones((3, 3)), "column").compresses


def test_bad_arguments_name_themselves():
    with pytest.raises(ValueError, match="kind"):
        ad.coloring(np.eye(2), "diagonal")
    with pytest.raises(ValueError, match="order"):
        ad.coloring(np.eye(2), order="random")
    with pytest.raises(ValueError, match="square"):
        ad.coloring(np.ones((2, 3)), "star")
    with pytest.raises(ValueError, match="2-D"):
        ad.coloring(np.ones(3))
    with pytest.raises(ValueError, match="not a star coloring"):
        star_recovery(banded(4, 1).toarray(), np.array([0, 1, 0, 1]))


def stencil_pattern(n):
    """The Jacobian pattern of the 5-point Laplacian on an n x n grid (p = n^2)."""
    grid = sp.diags_array([np.ones(n - 1), np.ones(n), np.ones(n - 1)], offsets=[-1, 0, 1])
    return sp.csr_array(sp.kron(grid, sp.eye_array(n)) + sp.kron(sp.eye_array(n), grid), dtype=bool)


@pytest.mark.parametrize("n", [8, 16, 32])
def test_the_default_order_colors_the_5_point_stencil_with_its_lower_bound(n):
    """Greedy in a static order takes 6 or 7 colors on the stencil; DSatur (the default) finds 5, the most
    nonzeros in a row, so the coloring is optimal."""
    pattern = stencil_pattern(n)
    for kind in ("column", "row"):
        result = ad.coloring(pattern, kind)
        assert_column_coloring(pattern.toarray() if kind == "column" else pattern.T.toarray(), result.colors)
        assert (result.count, result.lower_bound) == (5, 5)
    assert ad.coloring(pattern, "column", order="natural").count == 7
