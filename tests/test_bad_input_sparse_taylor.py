"""Bad input to the sparse-derivative and Taylor-mode entry points, as an adversarial user would give it.

Each case gets a clear error naming the argument (or what f returned) before any work, never an error from
deep inside, never a silently empty pattern or a zero series; the good neighbours of each case still work.
"""

import numpy as np
import pytest

import admodes as ad
import admodes.numpy as anp
from admodes.sparse import color_advice

chain = lambda x: x[1:] * x[:-1]
chain_sum = lambda x: anp.sum(x[1:] * x[:-1])
X = np.array([1.0, 2.0, 3.0])

# ----------------------------------------------------------------------------------------------------
# Sparsity detection, compression, advice
# ----------------------------------------------------------------------------------------------------

MAKERS = [("jacobian_sparsity", ad.jacobian_sparsity), ("hessian_sparsity", ad.hessian_sparsity),
          ("sparse_jacfwd", ad.sparse_jacfwd), ("sparse_jacrev", ad.sparse_jacrev),
          ("sparse_jacobian", ad.sparse_jacobian), ("sparse_hessian", ad.sparse_hessian)]


@pytest.mark.parametrize("who, make", MAKERS, ids=[w for w, _ in MAKERS])
@pytest.mark.parametrize("f", [None, 3, "x ** 2"])
def test_a_function_that_is_not_callable_is_named_when_the_derivative_is_made(who, make, f):
    with pytest.raises(TypeError, match=f"^{who}: f must be callable, got {type(f).__name__}$"):
        make(f)
    with pytest.raises(TypeError, match=f"^color_advice: f must be callable, got {type(f).__name__}$"):
        color_advice(f, X)


@pytest.mark.parametrize("returns, what", [(lambda x: None, "None .did it forget to `return`"),
                                          (lambda x: "x", "a str"), (lambda x: {"y": x}, "a dict"),
                                          (lambda x: np.array([None, 1]), "an array of dtype object")])
def test_a_function_returning_no_array_is_refused_never_an_empty_pattern(returns, what):
    # (before: jacobian_sparsity gave an empty (1, 3) pattern, so the sparse Jacobian was silently zero)
    with pytest.raises(TypeError, match=f"jacobian_sparsity: f must return a real array, but it returned {what}"):
        ad.jacobian_sparsity(returns)(X)
    with pytest.raises(TypeError, match="must return a real array"):
        color_advice(returns, X)
    for make in (ad.sparse_jacfwd, ad.sparse_jacrev):
        with pytest.raises(TypeError, match="must return a real array"):
            make(returns)(X)
        with pytest.raises(TypeError, match="must return a real array"):  # a given pattern skips detection
            make(returns, sparsity=np.ones((2, 3)))(X)


@pytest.mark.parametrize("x, error, match", [
    ("abc", TypeError, r"argument 0 must be a real array, got str of dtype <U3"),
    (None, TypeError, r"argument 0 must be a real array, got NoneType of dtype object"),
    (np.array([1j, 2, 3]), TypeError, r"argument 0 is complex \(complex128, shape \(3,\)\)"),
    (np.array([object(), 1.0], dtype=object), TypeError, "argument 0 must be a real array, got ndarray of dtype obj"),
])
def test_the_point_of_a_pattern_is_a_real_array(x, error, match):
    for who, find in (("jacobian_sparsity", ad.jacobian_sparsity(chain)), ("hessian_sparsity",
                      ad.hessian_sparsity(chain_sum)), ("jacobian_sparsity", lambda x: color_advice(chain, x))):
        with pytest.raises(error, match=f"{who}: {match}"):
            find(x)


def test_patterns_read_shapes_only_so_integer_lists_and_non_finite_points_give_the_pattern():
    expected = np.array([[1, 1, 0], [0, 1, 1]], bool)
    with np.errstate(invalid="ignore"):  # (inf * 0 on the primal: the pattern does not read values)
        np.testing.assert_array_equal(ad.jacobian_sparsity(chain)(np.array([np.nan, np.inf, 0.0])).toarray(), expected)
    for x in ([1, 2, 3], np.array([1, 2, 3]), np.array([True, False, True]), np.ones(3, np.float32)):
        np.testing.assert_array_equal(ad.jacobian_sparsity(chain)(x).toarray(), expected)
    assert ad.jacobian_sparsity(chain)(np.ones(0)).shape == (0, 0)
    assert ad.jacobian_sparsity(lambda x: x * 2)(np.array(2.0)).toarray().tolist() == [[True]]


def test_a_point_too_large_for_the_machine_is_refused_before_tracing():
    huge = np.broadcast_to(np.ones(1), (10 ** 11,))  # (before: the identity pattern ran the machine out of memory)
    with pytest.raises(ValueError, match=r"argument 0 has 100,000,000,000 elements: its index sets take .* GiB"):
        ad.jacobian_sparsity(chain)(huge)


@pytest.mark.parametrize("who, make", MAKERS[2:], ids=[w for w, _ in MAKERS[2:]])
@pytest.mark.filterwarnings("ignore::admodes.sparse.CompressionWarning")
def test_compressed_derivatives_name_their_bad_arguments(who, make):
    g = chain_sum if who == "sparse_hessian" else chain
    with pytest.raises(TypeError, match=f"{who}: sparsity= must be a 2-D boolean matrix .*, got str"):
        make(g, sparsity="dense")
    with pytest.raises(TypeError, match=f"{who}: coloring= must be a Coloring or a 1-D array of int colors"):
        make(g, coloring="abc")
    with pytest.raises(TypeError, match="of dtype float64"):  # (before: silently truncated to [0, 1, 0])
        make(g, coloring=[0.5, 1.5, 0.0])
    with pytest.raises(TypeError, match=r"shape \(3, 1\)"):
        make(g, coloring=np.zeros((3, 1), int))
    huge = [0, 10 ** 12] if who == "sparse_jacrev" else [0, 10 ** 12, 0]  # one color per row (2) or column (3)
    with pytest.raises(ValueError, match=f"{who}: coloring= has color 1000000000000 for .*; colors run from 0 to"):
        make(g, coloring=huge)(X)  # (before: MemoryError allocating 14.6 TiB)
    with pytest.raises(TypeError, match=f"{who}: the derivative takes one argument x, got 2"):
        make(g)(X, X)
    with pytest.raises(TypeError, match=f"{who}: x has dtype float16; SciPy sparse matrices hold float32 or float64"):
        make(g)(np.ones(3, np.float16))
    with pytest.raises(TypeError, match=f"{who}: x must be a real floating-point array, got dtype complex128"):
        make(g)(X * 1j)
    assert make(g)(X.astype(np.float32)).dtype == np.float32  # the neighbours still work
    assert make(g)([1, 2, 3]).shape in ((2, 3), (3, 3))


@pytest.mark.parametrize("who, make", MAKERS[2:], ids=[w for w, _ in MAKERS[2:]])
def test_a_given_pattern_that_misses_nonzeros_is_an_error_never_a_wrong_derivative(who, make):
    # (before: the missed entries were added into their neighbours of the same color: [[3, 0, 0], [0, 5, 0]])
    g, short, full = ((chain_sum, np.eye(3), np.ones((3, 3))) if who == "sparse_hessian"
                      else (chain, np.eye(2, 3), np.ones((2, 3))))
    what = "Hessian" if who == "sparse_hessian" else "Jacobian"
    with pytest.raises(ValueError, match=f"{who}: sparsity= misses nonzeros of the {what} at x: .* Give the full "
                                         "pattern"):
        make(g, sparsity=short)(X)
    expected = ad.hessian(g)(X) if who == "sparse_hessian" else ad.jacfwd(g)(X)
    np.testing.assert_allclose(make(g, sparsity=full)(X).toarray(), expected)
    np.testing.assert_allclose(make(g, sparsity=sp_csr(full))(X.astype(np.float32)).toarray(), expected, rtol=1e-6)


def sp_csr(dense):
    import scipy.sparse as sp
    return sp.csr_array(dense)


def test_a_valid_coloring_given_by_hand_still_works():
    J = ad.sparse_jacfwd(chain, coloring=np.array([0, 1, 0]))(X).toarray()
    np.testing.assert_array_equal(J, [[2.0, 1.0, 0.0], [0.0, 3.0, 2.0]])


# ----------------------------------------------------------------------------------------------------
# Taylor mode
# ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("f", [None, 3.0])
def test_taylor_and_jet_refuse_a_function_that_is_not_callable(f):
    with pytest.raises(TypeError, match=f"^taylor: f must be callable, got {type(f).__name__}$"):
        ad.taylor(f, order=2)
    with pytest.raises(TypeError, match=f"^jet: fun must be callable, got {type(f).__name__}$"):
        ad.jet(f, (X,), ([X],))


@pytest.mark.parametrize("returns, what", [
    (lambda x: None, "None"), (lambda x: "s", "a str"), (lambda x: {"y": x}, "a dict"),
    (lambda x: np.array([None]), "an array of dtype object"),
    (lambda x: np.ones(2) * 1j, "an array of dtype complex128"),
])
def test_taylor_of_a_function_returning_no_real_array_is_refused_never_zero_derivatives(returns, what):
    # (before: None and object or complex arrays gave zero derivatives of every order; a str or dict a NumPy error)
    with pytest.raises(TypeError, match=f"^jet: fun must return a real array, but it returned {what}"):
        ad.taylor(returns, order=2)(np.zeros(2), np.ones(2))
    with pytest.raises(TypeError, match="jet: fun must return a real array"):
        ad.jet(returns, (np.zeros(2),), ([np.ones(2)],))


def test_a_constant_function_has_zero_derivatives_of_every_order():
    assert [d.tolist() for d in ad.taylor(lambda x: np.ones(2), order=2)(np.zeros(2), np.ones(2))] == [[0, 0], [0, 0]]


def test_orders_beyond_what_factorials_in_float64_hold_are_refused_up_front():
    with pytest.raises(ValueError, match=r"taylor: order must be at most 170 \(171! overflows float64"):
        ad.taylor(anp.sin, order=10 ** 6)  # (before: OverflowError from inside the engine, after O(K^2) work)
    series = [np.array(0.0)] * 171
    with pytest.raises(ValueError, match="jet: the series have order 171, but with factorial_scaled=True at most 170"):
        ad.jet(anp.sin, (np.array(0.0),), (series,))
    _, out = ad.jet(anp.sin, (np.array(0.0),), ([np.array(1.0)] + series[1:],), factorial_scaled=False)
    assert len(out) == 171 and float(out[0]) == 1.0 and float(out[2]) == pytest.approx(-1 / 6)
    assert len(ad.taylor(anp.sin, order=170)(np.array(0.0), np.array(0.0))) == 170


def test_jet_names_a_coefficient_that_is_not_an_array():
    with pytest.raises(TypeError, match=r"jet: series 0 coefficient 2 is None: each Taylor coefficient is an array "
                                        r"of primal 0's shape and dtype \(np.zeros_like\(x\) for a zero coefficient\)"):
        ad.jet(anp.sin, (X,), ([X, None],))  # (before: "has shape ()", about a None)
    with pytest.raises(TypeError, match="jet: series 0 coefficient 1 is a str"):
        ad.jet(anp.sin, (X,), (["abc"],))
    with pytest.raises(TypeError, match="jet: series 0 coefficient 1 is None"):
        ad.taylor(anp.sin, order=2)(X, None)


def test_jet_factorial_scaled_must_be_a_bool():
    with pytest.raises(TypeError, match="jet: factorial_scaled must be a bool, got str"):
        ad.jet(anp.sin, (X,), ([X],), factorial_scaled="no")  # (before: "no" counted as True)
    assert ad.jet(anp.sin, (X,), ([X],), factorial_scaled=np.bool_(False))[1][0].shape == (3,)


@pytest.mark.parametrize("order", [0, -1, 2.0, True, "2"])
def test_taylor_order_must_be_a_positive_int(order):
    with pytest.raises(ValueError, match="taylor: order must be an int >= 1"):
        ad.taylor(anp.sin, order=order)


def test_taylor_point_and_direction_checks():
    d = ad.taylor(anp.sin, order=2)
    with pytest.raises(TypeError, match=r"taylor: x has dtype int64 \(shape \(\)\)"):
        d(np.array(1), np.array(1.0))
    with pytest.raises(TypeError, match=r"taylor: x is complex"):
        d(X + 1j, X)
    with pytest.raises(ValueError, match=r"coefficient 1 has shape \(2,\) but primal 0 has shape \(3,\)"):
        d(X, np.ones(2))
    with pytest.raises(TypeError, match="coefficient 1 has dtype float32 but primal 0 has dtype float64"):
        d(X, X.astype(np.float32))
    assert [float(v) for v in d(1, 1)] == pytest.approx([np.cos(1.0), -np.sin(1.0)])  # Python numbers: promoted
    assert [v.shape for v in d(np.zeros(0), np.zeros(0))] == [(0,), (0,)]
