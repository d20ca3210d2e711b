"""vmap composes with grad, jvp, vjp, jacfwd, jacrev and hessian in any nesting (admodes/transforms/mapping.py and
the engines' shape reads): every result equals the loop over the batch; in_axes/out_axes as JAX has them;
Python control flow on a batched value is refused, naming the line."""

import numpy as np
import pytest

import admodes as ad
import admodes.numpy as anp
from admodes.transforms import batched_jacfwd, batched_jacrev
from admodes.tree import tree_leaves, tree_map

RNG = np.random.default_rng(5)
M = RNG.standard_normal((3, 4))
S = M.T @ M

# Functions of a vector of 4 that reach the ops whose rules read shapes (ndim_of, .shape, .ndim): matmul, dot,
# tensordot, einsum, solve, statistics, comparisons (where), sorting, indexing, joining, norms, det and inv.
FUNCTIONS = {
    "matmul": lambda x: anp.sum(anp.tanh(M @ x) ** 2),
    "dot": lambda x: anp.dot(x, x) * anp.sum(anp.sin(x)),
    "tensordot": lambda x: anp.sum(anp.tensordot(anp.outer(x, x), S, axes=2) * x),
    "einsum": lambda x: anp.einsum("i,ij,j->", x, S, x),
    "solve": lambda x: anp.sum(anp.linalg.solve(np.eye(4) * 3 + anp.outer(x, x), x)),
    "statistics": lambda x: anp.var(x) + anp.mean(x) ** 2 + anp.std(x) + anp.average(x, weights=anp.exp(x)),
    "cov": lambda x: anp.sum(anp.cov(anp.reshape(x, (2, 2)))),
    "where": lambda x: anp.sum(anp.where(x > 0, x ** 2, anp.sin(x))),
    "index": lambda x: anp.sum(x[1:] * x[:-1]) + anp.max(x) + anp.prod(x[:2]),
    "sort": lambda x: anp.sum(anp.sort(x) * anp.arange(4.0)) + anp.sum(anp.concatenate([x, x ** 2])),
    "linalg": lambda x: anp.linalg.norm(x) + anp.linalg.det(np.eye(4) + anp.outer(x, x)) * 0.1
    + anp.sum(anp.linalg.inv(np.eye(4) * 2 + anp.outer(x, x))),
}
X = RNG.standard_normal((3, 4))
V = RNG.standard_normal((3, 4))


def loop(fn, *batches):
    return np.stack([fn(*items) for items in zip(*batches)])


def close(a, b, rtol=1e-10, atol=1e-12):
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


# ====================================================================================================
# vmap of every transform equals the loop
# ====================================================================================================

INNER = {
    "grad": lambda f: ad.grad(f),
    "grad-forward": lambda f: ad.grad(f, mode="forward"),
    "jacfwd": lambda f: ad.jacfwd(ad.grad(f)),
    "jacrev": lambda f: ad.jacrev(ad.grad(f)),
    "jacfwd-batch": lambda f: ad.jacfwd(ad.grad(f), batch=True),
    "jacrev-batch-2": lambda f: ad.jacrev(ad.grad(f), batch=2),
    "hessian": lambda f: ad.hessian(f),
    "vjp": lambda f: (lambda x: ad.vjp(f, x)[1](np.array(2.0))[0]),
}


@pytest.mark.parametrize("transform", sorted(INNER))
@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_vmap_of_a_transform_equals_the_loop(name, transform):
    g = INNER[transform](FUNCTIONS[name])
    close(ad.vmap(g)(X), loop(g, X))


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_vmap_of_jvp_and_hvp_with_batched_tangents_equals_the_loop(name):
    f = FUNCTIONS[name]
    jvp = lambda x, v: ad.jvp(f, (x,), (v,))[1]  # noqa: E731
    close(ad.vmap(jvp)(X, V), loop(jvp, X, V))
    hvp = lambda x, v: ad.hvp(f, x, v)  # noqa: E731
    close(ad.vmap(hvp)(X, V), loop(hvp, X, V))
    close(ad.vmap(hvp, in_axes=(None, 0))(X[0], V), loop(lambda v: hvp(X[0], v), V))


# ====================================================================================================
# every transform of vmap, and deeper nestings
# ====================================================================================================

OUTER = {"grad": ad.grad, "jacfwd": ad.jacfwd, "jacrev": ad.jacrev, "hessian": ad.hessian}


@pytest.mark.parametrize("transform", sorted(OUTER))
@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_a_transform_of_vmap_equals_the_transform_of_the_loop(name, transform):
    f = FUNCTIONS[name]
    mapped = lambda x: anp.sum(ad.vmap(f)(anp.stack([x, x * 2.0, x ** 2])))  # noqa: E731
    looped = lambda x: f(x) + f(x * 2.0) + f(x ** 2)  # noqa: E731
    close(OUTER[transform](mapped)(X[0]), OUTER[transform](looped)(X[0]))


@pytest.mark.parametrize("name", ["matmul", "tensordot", "where", "statistics"])
def test_deeper_nestings(name):
    f = FUNCTIONS[name]
    batches = np.stack([X, X * 0.5])
    close(ad.vmap(ad.vmap(ad.grad(f)))(batches), np.stack([loop(ad.grad(f), b) for b in batches]))
    close(ad.grad(lambda x: anp.sum(ad.vmap(ad.grad(f))(anp.stack([x, x * 2.0]))))(X[0]),
          ad.grad(lambda x: anp.sum(ad.grad(f)(x) + ad.grad(f)(x * 2.0)))(X[0]))
    close(ad.vmap(ad.jacfwd(lambda x: ad.vmap(ad.grad(f))(anp.stack([x, -x]))))(X),
          loop(ad.jacfwd(lambda x: anp.stack([ad.grad(f)(x), ad.grad(f)(-x)])), X))
    close(ad.jacrev(ad.vmap(ad.grad(f)))(X), ad.jacrev(lambda xs: anp.stack([ad.grad(f)(x) for x in xs]))(X))


def test_a_rule_reading_shapes_through_nested_levels_is_a_regression():
    """Dual(Tensor(Batched)): its .ndim (read by ndim_of in average's rule) raised 'no single plain value' before,
    even with the batched Jacobians: the shape was read through value(), which unwraps every level."""
    f = FUNCTIONS["statistics"]
    hessian = batched_jacfwd(batched_jacrev(f))
    close(ad.vmap(hessian)(X), loop(hessian, X))
    d = ad.jvp(lambda x: ad.vmap(lambda y: y * 1.0)(x), (X,), (V,))  # a Batched inside a Dual: 2-D values
    close(d[1], V)


# ====================================================================================================
# per-example gradients, containers, in_axes and out_axes
# ====================================================================================================

def mlp_loss(params, x, y):
    h = anp.tanh(x @ params["layers"][0]["w"] + params["layers"][0]["b"])
    out = h @ params["layers"][1]["w"] + params["layers"][1]["b"]
    return (anp.sum(out) - y) ** 2 + 1e-3 * anp.sum(params["layers"][0]["w"] ** 2)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_per_example_gradients_equal_the_loop(mode, dtype):
    params = {"layers": [{"w": RNG.standard_normal((3, 5)), "b": RNG.standard_normal(5)},
                         {"w": RNG.standard_normal((5, 2)), "b": RNG.standard_normal(2)}]}
    params = tree_map(lambda a: a.astype(dtype), params)
    xs, ys = RNG.standard_normal((6, 3)).astype(dtype), RNG.standard_normal(6).astype(dtype)
    per_example = ad.vmap(ad.grad(mlp_loss, mode=mode), in_axes=(None, 0, 0))(params, xs, ys)
    looped = [ad.grad(mlp_loss, mode=mode)(params, x, y) for x, y in zip(xs, ys)]
    for i, leaf in enumerate(tree_leaves(per_example)):
        assert leaf.dtype == dtype and leaf.shape[0] == 6
        close(leaf, np.stack([tree_leaves(g)[i] for g in looped]), rtol=1e-4 if dtype == np.float32 else 1e-12,
              atol=1e-6 if dtype == np.float32 else 1e-14)
    # the same with in_axes as a container prefix: every leaf of params shared
    prefix = ({"layers": [None, {"w": None, "b": None}]}, 0, 0)
    again = ad.vmap(ad.grad(mlp_loss, mode=mode), in_axes=prefix)(params, xs, ys)
    for a, b in zip(tree_leaves(again), tree_leaves(per_example)):
        np.testing.assert_array_equal(a, b)


def test_in_axes_and_out_axes_as_jax_has_them():
    p = {"a": X, "b": np.array(0.5)}
    out = ad.vmap(lambda p: {"s": anp.sum(p["a"]) * p["b"], "a": p["a"]}, in_axes=({"a": 1, "b": None},),
                  out_axes={"s": 0, "a": -1})(p)
    close(out["s"], X.sum(axis=0) * 0.5)
    close(out["a"], X)  # mapped over axis 1 of a, stacked along the last axis: a again
    pair = ad.vmap(lambda x: (x * 2.0, anp.sum(x)), out_axes=(1, 0))(X)
    close(pair[0], 2.0 * X.T)
    close(pair[1], X.sum(axis=1))
    shared = ad.vmap(lambda x, w: (anp.dot(x, w), w * 2.0), in_axes=(0, None), out_axes=(0, None))(X, V[0])
    close(shared[0], X @ V[0])
    close(shared[1], 2.0 * V[0])
    close(ad.vmap(lambda x, y=None: x * y)(X, y=V), X * V)  # keyword arguments are mapped over axis 0


def test_bad_axes_are_explained():
    with pytest.raises(ValueError, match=r"in_axes\[0\] must be a prefix of the structure of argument 0"):
        ad.vmap(lambda p: p["a"], in_axes=({"a": 0, "b": 0},))({"a": X})
    with pytest.raises(TypeError, match=r"in_axes\[0\] holds 'x'; each entry is an int"):
        ad.vmap(lambda p: p, in_axes=("x",))(X)
    with pytest.raises(ValueError, match=r"argument 1, y\['v'\] has 4 elements along axis 0, but argument 0 has 3"):
        ad.vmap(lambda x, y: x + y["v"])(X, {"v": np.ones((4, 4))})
    with pytest.raises(ValueError, match=r"out_axes is None for f's output\[0\], but it differs between batch"):
        ad.vmap(lambda x: (x, 1.0), out_axes=(None, 0))(X)
    with pytest.raises(ValueError, match=r"out_axes 3 is out of range for f's output"):
        ad.vmap(lambda x: x, out_axes=3)(X)
    with pytest.raises(ValueError, match="in_axes has 1 entries for 2 arguments"):
        ad.vmap(lambda x, y: x, in_axes=(0,))(X, X)


# ====================================================================================================
# Python control flow on a batched value
# ====================================================================================================

def branchy(x):  # its `if` is the line the error names
    if anp.sum(x) > 0:
        return anp.sum(x ** 2)
    return anp.sum(x)


@pytest.mark.parametrize("wrap", [lambda f: f, ad.grad, lambda f: ad.grad(f, mode="forward"), ad.hessian])
def test_a_branch_on_a_batched_value_is_refused_naming_the_line(wrap):
    with pytest.raises(TypeError, match=r"vmap: a Python branch \(if/while\) on a batched value at "
                                        r"test_vmap_compose\.py:\d+ \(`if anp\.sum\(x\) > 0:`\)"):
        ad.vmap(wrap(branchy))(X)
    # anp.where chooses per element instead: the fix the message gives
    close(ad.vmap(ad.grad(lambda x: anp.sum(anp.where(anp.sum(x) > 0, x ** 2, x))))(np.abs(X)), 2 * np.abs(X))
