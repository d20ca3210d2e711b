"""Shape, indexing and joining primitives (ops/shape.py, indexing.py, joining.py): values, compositions, errors.

The random-shape rule checks live in cases_shape.py; these tests pin down values a reader can verify by
hand, and the behaviour the rule checks cannot see (repeats, ties, errors, what the tape keeps).
"""

import numpy as np
import pytest

import admodes as ad
from admodes.ops.core import FUNCTIONS, REGISTRY, jvp_of, vjp_of
from admodes.ops.indexing import diag, getitem, index_add, index_update, repeat, scatter_add, sort, take
from admodes.ops.joining import array_split, concatenate, hstack, split, stack, vstack
from admodes.ops.reductions import sum as asum
from admodes.ops.shape import expand_dims, flip, moveaxis, ravel, reshape, squeeze, tile, tril, triu


def cotangents(prim, g, *args, **params):
    """Every argument's cotangent from the output cotangent ``g`` (engine-free)."""
    ans = prim(*args, **params)
    needed = tuple(i not in prim.nondiff for i in range(len(args)))
    return vjp_of(prim, np.asarray(g, dtype=float), ans, args, params, needed, tuple(np.shape(a) for a in args))


def grads(f, x):
    """d sum(f(x)) / dx in both modes; they must agree."""
    forward = ad.grad(lambda v: asum(f(v)), mode="forward")(x)
    reverse = ad.grad(lambda v: asum(f(v)), mode="reverse")(x)
    np.testing.assert_allclose(forward, reverse, rtol=1e-12, atol=1e-12)
    return reverse


# ---- getitem and the scatters -----------------------------------------------------------------------

def test_getitem_vjp_accumulates_repeated_indices():
    (ct,) = cotangents(REGISTRY["getitem"], np.ones(3), np.arange(4.0), index=[0, 0, 1])
    np.testing.assert_array_equal(ct, [2.0, 1.0, 0.0, 0.0])


def test_getitem_gradient_of_repeats_in_both_modes():
    x = np.array([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(grads(lambda v: getitem(v, [0, 0, 2]) ** 2, x), [4.0, 0.0, 6.0])


@pytest.mark.parametrize("index", [
    (slice(None, None, -2), -1),          # a negative step and a negative int
    (None, Ellipsis, 1),                   # None and Ellipsis
    np.array([[1, 1], [0, 1]]),            # a 2-D integer array with repeats
    (np.array([True, False, True]), slice(1, 3)),  # a boolean mask beside a slice
    (np.array([0, 2, 0]), np.array([3, 3, 3])),    # two integer arrays, broadcast together
])
def test_getitem_vjp_counts_how_often_each_element_is_read(index):
    x = np.arange(12.0).reshape(3, 4)
    (ct,) = cotangents(REGISTRY["getitem"], np.ones(x[index].shape), x, index=index)
    counts = np.zeros_like(x)
    np.add.at(counts, index, 1.0)
    np.testing.assert_array_equal(ct, counts)
    assert ct.shape == x.shape


def test_getitem_values_are_numpys():
    x = np.arange(24.0).reshape(2, 3, 4)
    for index in [(1, slice(None, None, -1)), (Ellipsis, [0, 0, 3]), x > 10, (None, 0, [1, 2], 1)]:
        np.testing.assert_array_equal(getitem(x, index), x[index])


def test_scatter_add_accumulates_and_broadcasts():
    out = scatter_add(np.array([1.0, 10.0]), ([[2, 0], [0, 1]],), (3,))
    np.testing.assert_array_equal(out, [11.0, 10.0, 1.0])  # NumPy 2.4's own np.add.at gets this one wrong
    np.testing.assert_array_equal(scatter_add(5.0, (slice(1, None),), (3,)), [0.0, 5.0, 5.0])


def test_index_add_accumulates_and_leaves_x_untouched():
    x = np.zeros(3)
    np.testing.assert_array_equal(index_add(x, [0, 0, 2], 1.0), [2.0, 0.0, 1.0])
    np.testing.assert_array_equal(x, 0.0)
    ct_x, ct_values = cotangents(REGISTRY["index_add"], [1.0, 2.0, 3.0], x, np.ones(3), index=[0, 0, 2])
    np.testing.assert_array_equal(ct_x, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(ct_values, [1.0, 1.0, 3.0])


def test_index_update_values_and_derivatives():
    x = np.array([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(index_update(x, slice(1, None), [7.0, 8.0]), [1.0, 7.0, 8.0])
    np.testing.assert_array_equal(x, [1.0, 2.0, 3.0])
    ct_x, ct_values = cotangents(REGISTRY["index_update"], [1.0, 2.0, 3.0], x, np.array([7.0, 8.0]),
                                 index=slice(1, None))
    np.testing.assert_array_equal(ct_x, [1.0, 0.0, 0.0])  # the overwritten positions have no say
    np.testing.assert_array_equal(ct_values, [2.0, 3.0])


def test_index_update_broadcast_value_collects_every_written_position():
    _, ct_value = cotangents(REGISTRY["index_update"], [1.0, 2.0, 3.0], np.zeros(3), 5.0, index=slice(1, None))
    assert ct_value == 5.0


def test_index_update_repeated_positions_keep_numpys_surviving_write():
    x, values = np.zeros(3), np.array([4.0, 5.0, 6.0])
    ans = index_update(x, [0, 0, 1], values)
    np.testing.assert_array_equal(ans, [5.0, 6.0, 0.0])  # NumPy keeps the last write to position 0
    _, ct_values = cotangents(REGISTRY["index_update"], [10.0, 20.0, 30.0], x, values, index=[0, 0, 1])
    np.testing.assert_array_equal(ct_values, [0.0, 10.0, 20.0])  # the overwritten write has no derivative
    tangent = jvp_of(REGISTRY["index_update"], (None, np.array([1.0, 2.0, 3.0])), ans, (x, values),
                     {"index": [0, 0, 1]})
    np.testing.assert_array_equal(tangent, [2.0, 3.0, 0.0])


def test_index_update_in_both_modes():
    x = np.array([1.0, 2.0, 3.0])
    # y = [3 * x2, x1, x2] (position 0 written twice, x2's write survives); sum(y^2) = 10 x2^2 + x1^2
    f = lambda v: index_update(v, [0, 0], getitem(v, slice(1, None)) * 3.0) ** 2
    np.testing.assert_allclose(grads(f, x), [0.0, 4.0, 60.0])


def test_getitem_vjp_keeps_only_the_shape_of_x():
    whole, metadata = REGISTRY["getitem"].vjp_reads[0]
    assert whole == frozenset() and metadata == frozenset({0})


# ---- axes and flattening ----------------------------------------------------------------------------

def test_axis_ops_match_numpy_and_their_vjps_restore_the_shape():
    x = np.arange(6.0).reshape(2, 1, 3)
    for prim, params, expected in [
        (expand_dims, {"axis": (0, 3)}, np.expand_dims(x, (0, 3))),
        (squeeze, {"axis": 1}, np.squeeze(x, 1)),
        (ravel, {"order": "F"}, np.ravel(x, "F")),
        (moveaxis, {"source": 0, "destination": -1}, np.moveaxis(x, 0, -1)),
    ]:
        out = prim(x, **params)
        np.testing.assert_array_equal(out, expected)
        (ct,) = cotangents(prim, out, x, **params)  # a permutation's adjoint is its inverse
        np.testing.assert_array_equal(ct, x)


def test_ravel_refuses_an_order_it_cannot_undo():
    with pytest.raises(ValueError, match="order='K'"):
        cotangents(ravel, np.ones(2), np.ones(2), order="K")


# ---- joining and splitting --------------------------------------------------------------------------

def test_concatenate_vjp_cuts_the_cotangent_into_blocks():
    a, b = np.zeros((2, 1)), np.zeros((2, 2))
    ct_a, ct_b = cotangents(REGISTRY["concatenate"], [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], a, b, axis=1)
    np.testing.assert_array_equal(ct_a, [[1.0], [4.0]])
    np.testing.assert_array_equal(ct_b, [[2.0, 3.0], [5.0, 6.0]])
    ct_a, ct_b = cotangents(REGISTRY["concatenate"], np.arange(6.0), a, b, axis=None)
    np.testing.assert_array_equal(ct_a, [[0.0], [1.0]])
    np.testing.assert_array_equal(ct_b, [[2.0, 3.0], [4.0, 5.0]])


def test_concatenate_jvp_fills_a_missing_tangent_with_zeros():
    a, b = np.ones(2), np.ones(1)
    tangent = jvp_of(REGISTRY["concatenate"], (None, np.array([7.0])), concatenate([a, b]), (a, b), {"axis": 0})
    np.testing.assert_array_equal(tangent, [0.0, 0.0, 7.0])


def test_concatenate_and_stack_take_lists_beside_traced_arrays():
    x = np.array([1.0, 2.0])
    np.testing.assert_array_equal(grads(lambda v: concatenate([[5.0], v ** 2, [6.0, 7.0]]), x), 2.0 * x)
    np.testing.assert_array_equal(grads(lambda v: stack([[5.0, 6.0], v ** 2]), x), 2.0 * x)


def test_stack_vjp_and_gradient():
    ct_a, ct_b = cotangents(REGISTRY["stack"], [[1.0, 2.0], [3.0, 4.0]], np.zeros(2), np.zeros(2), axis=1)
    np.testing.assert_array_equal(ct_a, [1.0, 3.0])
    np.testing.assert_array_equal(ct_b, [2.0, 4.0])
    x = np.array([1.0, 2.0])
    np.testing.assert_allclose(grads(lambda v: stack([v, 3.0 * v], axis=-1) ** 2, x), 20.0 * x)


def test_hstack_and_vstack_match_numpy_for_every_rank():
    for parts in ([np.float64(1.0), np.arange(2.0)], [np.ones((2, 1)), np.zeros((2, 3))], [np.arange(3.0)] * 2):
        np.testing.assert_array_equal(hstack(parts), np.hstack(parts))
    for parts in ([np.float64(1.0), np.float64(2.0)], [np.arange(2.0), np.ones((3, 2))]):
        np.testing.assert_array_equal(vstack(parts), np.vstack(parts))


def test_hstack_vstack_gradients():
    x = np.array([1.0, 2.0])
    np.testing.assert_allclose(grads(lambda v: hstack([v, 2.0 * v]) ** 2, x), 10.0 * x)
    np.testing.assert_allclose(grads(lambda v: vstack([v, v, 2.0 * v]) ** 2, x), 12.0 * x)


def test_split_and_array_split_match_numpy():
    x = np.arange(12.0).reshape(2, 6)
    for pieces, expected in [(split(x, 3, axis=1), np.split(x, 3, axis=1)),
                             (split(x, [1, 4, 10], axis=-1), np.split(x, [1, 4, 10], axis=-1)),
                             (array_split(x, 4, axis=1), np.array_split(x, 4, axis=1))]:
        assert len(pieces) == len(expected)
        for piece, want in zip(pieces, expected):
            np.testing.assert_array_equal(piece, want)


def test_split_gradient_weights_each_piece():
    x = np.arange(1.0, 7.0)
    f = lambda v: concatenate([p * w for w, p in enumerate(split(v, 3), start=1)])
    np.testing.assert_array_equal(grads(f, x), [1.0, 1.0, 2.0, 2.0, 3.0, 3.0])


# ---- repeating, flipping, triangles, diagonals --------------------------------------------------------

def test_tile_and_repeat_vjps_sum_the_copies():
    x = np.array([[1.0, 2.0]])
    (ct,) = cotangents(tile, np.arange(12.0).reshape(3, 4), x, reps=(3, 2))
    np.testing.assert_array_equal(ct, [[0 + 2 + 4 + 6 + 8 + 10, 1 + 3 + 5 + 7 + 9 + 11]])
    (ct,) = cotangents(repeat, [1.0, 2.0, 3.0, 4.0], np.zeros(2), repeats=2)
    np.testing.assert_array_equal(ct, [3.0, 7.0])
    (ct,) = cotangents(repeat, [[1.0, 2.0, 3.0, 4.0]], np.zeros((1, 3)), repeats=np.array([2, 0, 2]), axis=1)
    np.testing.assert_array_equal(ct, [[3.0, 0.0, 7.0]])


def test_flip_triu_tril_are_their_own_adjoints():
    g = np.arange(9.0).reshape(3, 3)
    (ct,) = cotangents(flip, g, np.zeros((3, 3)), axis=0)
    np.testing.assert_array_equal(ct, g[::-1])
    (ct,) = cotangents(triu, g, np.zeros((3, 3)), k=1)
    np.testing.assert_array_equal(ct, np.triu(g, 1))
    (ct,) = cotangents(tril, g, np.zeros(3), k=0)  # a 1-D input is broadcast to rows: summed back
    np.testing.assert_array_equal(ct, np.tril(g).sum(axis=0))


def test_diag_builds_and_extracts_and_their_vjps():
    (ct,) = cotangents(diag, np.arange(16.0).reshape(4, 4), np.zeros(3), k=1)
    np.testing.assert_array_equal(ct, [1.0, 6.0, 11.0])
    (ct,) = cotangents(diag, [5.0], np.zeros((2, 4)), k=-1)  # a rectangular matrix, below the diagonal
    np.testing.assert_array_equal(ct, [[0.0, 0.0, 0.0, 0.0], [5.0, 0.0, 0.0, 0.0]])
    (ct,) = cotangents(diag, [5.0, 7.0], np.zeros((3, 2)), k=0)
    np.testing.assert_array_equal(ct, [[5.0, 0.0], [0.0, 7.0], [0.0, 0.0]])


def test_take_accumulates_repeats_and_honours_mode():
    a = np.arange(6.0).reshape(2, 3)
    (ct, ct_indices) = cotangents(take, np.ones((2, 3)), a, np.array([0, 0, -1]), axis=1)
    np.testing.assert_array_equal(ct, [[2.0, 0.0, 1.0], [2.0, 0.0, 1.0]])
    assert ct_indices is None  # indices carry no derivative
    (ct, _) = cotangents(take, np.ones(2), a, np.array([7, -8]), mode="wrap")  # flat positions 1 and 4
    np.testing.assert_array_equal(ct, [[0.0, 1.0, 0.0], [0.0, 1.0, 0.0]])
    assert REGISTRY["take"].nondiff == frozenset({1})


def test_sort_permutes_tangents_and_cotangents():
    x = np.array([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]])
    (ct,) = cotangents(sort, [[10.0, 20.0, 30.0], [40.0, 50.0, 60.0]], x, axis=-1)
    np.testing.assert_array_equal(ct, [[30.0, 10.0, 20.0], [40.0, 60.0, 50.0]])
    (ct,) = cotangents(sort, np.arange(6.0), x, axis=None)  # sorted flat: 0, 1, 2, 3, 4, 5
    np.testing.assert_array_equal(ct, [[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]])
    tangent = jvp_of(sort, (np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]),), sort(x, axis=0), (x,), {"axis": 0})
    np.testing.assert_array_equal(tangent, [[4.0, 2.0, 3.0], [1.0, 5.0, 6.0]])  # only column 0 reorders


def test_sort_ties_follow_the_input_order():
    # At a tie sort is not differentiable; the rule takes the stable order: the first 1.0 stays first.
    (ct,) = cotangents(sort, [10.0, 20.0, 30.0], np.array([1.0, 0.0, 1.0]))
    np.testing.assert_array_equal(ct, [20.0, 10.0, 30.0])


def test_sort_hessian_is_a_permuted_diagonal():
    x = np.array([3.0, 1.0, 2.0])
    f = lambda v: asum(np.arange(3.0) * sort(v) ** 2)  # weights 0, 1, 2 for x1, x2, x0
    np.testing.assert_allclose(ad.hessian(f)(x), np.diag([4.0, 0.0, 2.0]))


# ---- float32 through the engines --------------------------------------------------------------------

def test_float32_in_float32_out_through_both_engines():
    x = np.arange(1.0, 7.0, dtype=np.float32)
    f = lambda v: hstack([getitem(v, [0, 0]), sort(v)[::-1], tile(v, 2), take(v, np.array([5, 5]))]) * 2.0
    for mode in ("forward", "reverse"):
        g = ad.grad(lambda v: asum(f(v)), mode=mode)(x)
        assert g.dtype == np.float32
        # each element: once in the sort, twice in the tile; x0 twice more, x5 twice more; all times 2
        np.testing.assert_array_equal(g, [10.0, 6.0, 6.0, 6.0, 6.0, 10.0])


# ---- errors -----------------------------------------------------------------------------------------

def test_reshape_to_an_incompatible_shape_names_the_op_and_shapes():
    with pytest.raises(ValueError, match=r"admodes\.reshape\(a: shape \(2, 3\).*into shape \(4,\)"):
        reshape(np.zeros((2, 3)), (4,))


def test_concatenate_mismatched_shapes_names_the_op_and_shapes():
    with pytest.raises(ValueError, match=r"admodes\.concatenate\(arrays\[0\]: shape \(2, 3\).*arrays\[1\]: "
                                         r"shape \(3, 3\)"):
        concatenate([np.zeros((2, 3)), np.zeros((3, 3))], axis=1)
    with pytest.raises(ValueError, match=r"admodes\.concatenate.*shape \(3, 3\)"):  # traced inputs too
        ad.grad(lambda v: asum(concatenate([v, np.zeros((3, 3))], axis=1)))(np.zeros((2, 3)))


def test_split_into_unequal_pieces_is_refused():
    with pytest.raises(ValueError, match=r"admodes\.split: an axis of length 5 does not split into 2"):
        split(np.zeros(5), 2)
    with pytest.raises(ValueError, match="sections must be positive"):
        array_split(np.zeros(5), 0)


def test_public_names_are_published_and_internal_ones_are_not():
    for name in ("concatenate", "stack", "hstack", "vstack", "split", "array_split", "tile", "repeat", "flip",
                 "diag", "triu", "tril", "take", "sort", "expand_dims", "squeeze", "ravel", "moveaxis"):
        assert name in FUNCTIONS, name
    for name in ("getitem", "scatter_add", "index_add", "index_update"):
        assert name in REGISTRY and name not in FUNCTIONS, name


# ---- second derivatives: the rules are written with ops, so they differentiate again ----------------

SECOND_ORDER = {
    "getitem": lambda v: asum(getitem(v, [0, 0, 3]) ** 3),
    "index_update": lambda v: asum(index_update(v, [1, 1, 2], getitem(v, slice(3, None)) ** 2) ** 2),
    "index_add": lambda v: asum(index_add(v ** 2, [1, 1], getitem(v, [4, 5])) ** 2),
    "concatenate_stack": lambda v: asum(stack([concatenate([v, v ** 2]), concatenate([v ** 3, v])]) ** 2),
    "split_vstack_hstack": lambda v: asum(vstack(split(v ** 2, 2)) * reshape(hstack([v[:3], v[3:] ** 2]), (2, 3))),
    "sort_take": lambda v: asum(sort(v ** 3) * np.arange(6.0) * take(v, np.array([5, 4, 3, 2, 1, 1]))),
    "tile_repeat": lambda v: asum(tile(v, 2) ** 2 * repeat(v, 2)),
    "diag_triangles_flip": lambda v: asum(triu(diag(v) + 1.0) * tril(diag(v ** 2)) * asum(flip(v ** 2))),
}


@pytest.mark.parametrize("name", sorted(SECOND_ORDER))
def test_second_derivatives_in_both_modes(name):
    x = np.random.default_rng(0).standard_normal(6)
    report = ad.check_grad(SECOND_ORDER[name], x, order=2)  # raises GradcheckError on any disagreement
    assert report.passed and report.order == 2
