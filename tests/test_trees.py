"""Containers (pytrees) in and out of every transform, the checkpoint, the checker and the CLI (admodes/tree.py,
admodes/transforms/containers.py): values compared with dense computations on the flattened arrays."""

from collections import namedtuple

import numpy as np
import pytest

import admodes as ad
import admodes.numpy as anp
from admodes.cli import main
from admodes.testing import assert_grad_close
from admodes.tree import tree_flatten, tree_leaves, tree_map, tree_structure, tree_unflatten

RNG = np.random.default_rng(15)
Pair = namedtuple("Pair", "w b")
MODES = ["reverse", "forward"]


def assert_trees_close(a, b, rtol):
    assert tree_structure(a) == tree_structure(b)
    for x, y in zip(tree_leaves(a), tree_leaves(b)):
        np.testing.assert_allclose(x, y, rtol=rtol)


def make_params(dtype=np.float64):
    return {"w": [RNG.standard_normal((3, 2)).astype(dtype), RNG.standard_normal(2).astype(dtype)],
            "b": Pair(RNG.standard_normal(2).astype(dtype), None)}


def loss(p, x, scale=1.0):
    h = anp.tanh(x @ p["w"][0] + p["w"][1])
    return scale * anp.sum((h + p["b"].w) ** 2)


def flat_loss(bw, w0, w1, x, scale=1.0):  # the same function of the leaves, in tree_flatten's order
    return loss({"w": [w0, w1], "b": Pair(bw, None)}, x, scale)


# ====================================================================================================
# admodes.tree
# ====================================================================================================

def test_flatten_order_and_round_trip_follow_jax():
    tree = {"z": (1.0, None, [2.0, {"b": 3.0, "a": 4.0}]), "a": Pair(5.0, 6.0)}
    leaves, treedef = tree_flatten(tree)
    assert leaves == [5.0, 6.0, 1.0, 2.0, 4.0, 3.0]  # dict keys sorted, None no leaf, namedtuple a container
    rebuilt = tree_unflatten(treedef, leaves)
    assert rebuilt == tree and type(rebuilt["a"]) is Pair and rebuilt["z"][1] is None
    assert treedef.num_leaves == 6 and tree_structure(rebuilt) == treedef
    assert tree_structure([1.0]) != tree_structure((1.0,))
    assert tree_map(lambda a, b: a * b, tree, tree_map(lambda a: 10, tree)) == tree_map(lambda a: a * 10, tree)
    assert ad.tree_leaves is tree_leaves and ad.tree_map is tree_map


def test_deep_nesting_needs_no_recursion():
    deep = 1.0
    for _ in range(100_000):
        deep = [deep, None]
    leaves, treedef = tree_flatten(deep)
    assert leaves == [1.0] and treedef.num_leaves == 1
    assert tree_leaves(tree_unflatten(treedef, [2.0])) == [2.0]
    assert len(repr(treedef)) > 100_000


def test_structure_mismatch_names_the_path():
    with pytest.raises(ValueError, match=r"tree\['w'\]\[1\] is a float, but the structure expects a list of 2"):
        tree_structure({"w": [0, [0, 0]]}).flatten_up_to({"w": [1.0, 2.0]})
    with pytest.raises(ValueError, match=r"tree 1 of tree_map is a dict with keys \['a'\], but the structure "
                                         r"expects a dict with keys \['a', 'b'\]"):
        tree_map(lambda a, b: a, {"a": 1, "b": 2}, {"a": 1})
    with pytest.raises(ValueError, match="this structure has 2 leaves, got 1"):
        tree_unflatten(tree_structure((1, 2)), [1])


# ====================================================================================================
# grad, value_and_grad, has_aux, keyword arguments
# ====================================================================================================

@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_grad_of_containers_equals_the_gradients_of_the_leaves(mode, dtype):
    params, x = make_params(dtype), RNG.standard_normal(3).astype(dtype)
    g = ad.grad(loss, mode=mode)(params, x, scale=2.0)
    expected = ad.grad(flat_loss, argnums=(0, 1, 2), mode=mode)(*tree_leaves(params), x, scale=2.0)
    assert type(g) is dict and type(g["w"]) is list and type(g["b"]) is Pair and g["b"].b is None
    for got, want in zip(tree_leaves(g), expected):
        assert got.dtype == dtype  # each gradient in its leaf's dtype
        np.testing.assert_allclose(got, want, rtol=1e-5 if dtype == np.float32 else 1e-12)


def test_grad_of_a_tuple_is_a_tuple_never_a_stacked_array():
    a, b = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    g = ad.grad(lambda p: anp.sum(p[0] * p[1] ** 2))((a, b))
    assert isinstance(g, tuple) and len(g) == 2
    np.testing.assert_allclose(g[0], b ** 2)
    np.testing.assert_allclose(g[1], 2 * a * b)
    g = ad.grad(lambda p: p[0] * p[1])([2.0, 5.0])  # a list of numbers is a list of leaves, as in JAX
    assert isinstance(g, list) and [float(v) for v in g] == [5.0, 2.0]


@pytest.mark.parametrize("mode", MODES)
def test_has_aux_and_keywords_follow_jax(mode):
    params, x = make_params(), RNG.standard_normal(3)

    def with_aux(p, x, scale):
        value = loss(p, x, scale)
        return value, {"value": value, "tag": "t"}

    g, aux = ad.grad(with_aux, has_aux=True, mode=mode)(params, x, scale=3.0)
    assert_trees_close(g, ad.grad(loss)(params, x, scale=3.0), rtol=1e-12)
    assert aux["tag"] == "t" and type(aux["value"]) is np.ndarray  # plain values, no longer traced
    np.testing.assert_allclose(aux["value"], loss(params, x, 3.0), rtol=1e-12)
    (value, aux2), g2 = ad.value_and_grad(with_aux, argnums=(0, 1), has_aux=True, mode=mode)(params, x, scale=3.0)
    assert isinstance(g2, tuple) and g2[1].shape == (3,)
    np.testing.assert_allclose(value, aux2["value"])
    # keywords are passed through and not differentiated: scale scales the gradient
    assert_trees_close(ad.grad(loss, mode=mode)(params, x, scale=2.0),
                       tree_map(lambda v: 2 * v, ad.grad(loss, mode=mode)(params, x)), rtol=1e-12)


def test_empty_containers_and_none_arguments():
    g = ad.grad(lambda p, x: anp.sum(x ** 2), argnums=(0, 1))({}, np.array([1.0, 2.0]))
    assert g[0] == {} and np.allclose(g[1], [2.0, 4.0])
    assert ad.grad(lambda p, x: anp.sum(x), argnums=0)(None, np.ones(2)) is None


# ====================================================================================================
# Jacobians, Hessians, jvp, vjp, hvp
# ====================================================================================================

def model(p, x):
    """Two outputs of different shapes, in a dict and a tuple."""
    h = anp.sin(x @ p["w"][0]) * p["w"][1]
    return {"h": h, "pair": (anp.sum(h * p["b"].w), anp.outer(h, x))}


def dense(fn, leaves):
    """The Jacobian of the output leaves, raveled and concatenated, with respect to each input leaf (dense)."""
    def packed(*xs):
        return anp.concatenate([anp.ravel(o) for o in tree_leaves(fn(*xs))])
    return ad.jacfwd(packed, argnums=tuple(range(len(leaves))))(*leaves)


@pytest.mark.parametrize("name", ["jacfwd", "jacrev"])
def test_jacobians_of_containers_have_jaxs_layout(name):
    params, x = make_params(), RNG.standard_normal(3)
    jac = getattr(ad, name)(model)(params, x)
    out_leaves, out_def = tree_flatten(model(params, x))
    assert tree_structure(jac, is_leaf=lambda v: isinstance(v, dict) and "w" in v) == out_def  # output outside
    expected = dense(lambda bw, w0, w1: model({"w": [w0, w1], "b": Pair(bw, None)}, x), tree_leaves(params))
    start = 0
    for out_leaf, per_output in zip(out_leaves, [jac["h"], jac["pair"][0], jac["pair"][1]]):
        assert tree_structure(per_output) == tree_structure(params)  # the input's structure inside
        for in_leaf, block, full in zip(tree_leaves(params), tree_leaves(per_output), expected):
            assert block.shape == out_leaf.shape + in_leaf.shape
            np.testing.assert_allclose(block.reshape(out_leaf.size, -1),
                                       full[start:start + out_leaf.size].reshape(out_leaf.size, -1), rtol=1e-12)
        start += out_leaf.size
    both = getattr(ad, name)(model, argnums=(0, 1))(params, x)
    assert isinstance(both["h"], tuple) and both["h"][1].shape == (2, 3)
    jac_aux, aux = getattr(ad, name)(lambda p, x: (model(p, x), "aux"), has_aux=True)(params, x)
    assert aux == "aux" and np.allclose(jac_aux["h"]["w"][0], jac["h"]["w"][0])


def test_hessian_with_tuple_argnums_is_a_tuple_of_tuples():
    x, y = RNG.standard_normal(3), RNG.standard_normal(2)
    f = lambda x, y: anp.sum(anp.sin(x)) * anp.sum(y ** 2) + anp.sum(x[:2] * y)  # noqa: E731
    H = ad.hessian(f, argnums=(0, 1))(x, y)
    assert isinstance(H, tuple) and all(isinstance(row, tuple) and len(row) == 2 for row in H)
    np.testing.assert_allclose(H[0][0], np.diag(-np.sin(x)) * np.sum(y ** 2), rtol=1e-12)
    np.testing.assert_allclose(H[0][1], np.outer(np.cos(x), 2 * y) + np.eye(3, 2), rtol=1e-12)
    np.testing.assert_allclose(H[1][0], H[0][1].T, rtol=1e-12)
    np.testing.assert_allclose(H[1][1], 2 * np.eye(2) * np.sum(np.sin(x)), rtol=1e-12)
    Hp = ad.hessian(lambda p: anp.sum(p["a"] ** 3) * p["c"])({"a": np.array([1.0, 2.0]), "c": np.array(2.0)})
    np.testing.assert_allclose(Hp["a"]["a"], np.diag([12.0, 24.0]))
    np.testing.assert_allclose(Hp["a"]["c"], [3.0, 12.0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_jvp_vjp_and_hvp_of_containers_agree_with_the_dense_jacobian(dtype):
    params, x = make_params(dtype), RNG.standard_normal(3).astype(dtype)
    tangent = tree_map(lambda a: RNG.standard_normal(a.shape).astype(dtype), params)
    out, t_out = ad.jvp(lambda p: model(p, x), (params,), (tangent,))
    assert tree_structure(t_out) == tree_structure(out)
    u = tree_map(lambda a: RNG.standard_normal(np.shape(a)).astype(dtype), out)
    out2, vjp_fn = ad.vjp(lambda p: model(p, x), params)
    (ct,) = vjp_fn(u)
    assert tree_structure(ct) == tree_structure(params) and all(c.dtype == dtype for c in tree_leaves(ct))
    # the adjoint identity <u, J v> = <u^T J, v>
    lhs = sum(np.sum(a * b, dtype=np.float64) for a, b in zip(tree_leaves(u), tree_leaves(t_out)))
    rhs = sum(np.sum(a * b, dtype=np.float64) for a, b in zip(tree_leaves(ct), tree_leaves(tangent)))
    np.testing.assert_allclose(lhs, rhs, rtol=1e-4 if dtype == np.float32 else 1e-12)
    full = dense(lambda bw, w0, w1: model({"w": [w0, w1], "b": Pair(bw, None)}, x), tree_leaves(params))
    jv = sum(j.reshape(j.shape[0], -1) @ v.ravel() for j, v in zip(full, tree_leaves(tangent)))
    np.testing.assert_allclose(np.concatenate([np.ravel(o) for o in tree_leaves(t_out)]), jv,
                               rtol=1e-4 if dtype == np.float32 else 1e-12, atol=1e-5 if dtype == np.float32 else 0)
    hv = ad.hvp(lambda p: loss(p, x), params, tangent)
    fd = ad.jvp(ad.grad(lambda p: loss(p, x)), (params,), (tangent,))[1]
    assert_trees_close(hv, fd, rtol=1e-12)
    out3, vjp3, aux = ad.vjp(lambda p: (model(p, x), 7), params, has_aux=True)
    assert aux == 7 and np.allclose(vjp3(u)[0]["w"][0], ct["w"][0])
    out4, t4, aux4 = ad.jvp(lambda p: (model(p, x), {"h": model(p, x)["h"]}), (params,), (tangent,), has_aux=True)
    assert type(aux4["h"]) is np.ndarray and np.allclose(aux4["h"], out["h"]) and np.allclose(t4["h"], t_out["h"])


def test_hessian_has_aux():
    H, aux = ad.hessian(lambda x: (anp.sum(x ** 3), x * 2.0), has_aux=True)(np.array([1.0, 2.0]))
    np.testing.assert_allclose(H, np.diag([6.0, 12.0]))
    assert type(aux) is np.ndarray and np.allclose(aux, [2.0, 4.0])


# ====================================================================================================
# A container where an array is required: a TypeError naming the path
# ====================================================================================================

def test_bad_leaves_and_structures_are_named_by_their_path():
    params, x = make_params(), RNG.standard_normal(3)
    bad = {"w": [params["w"][0], np.ones(2, int)], "b": params["b"]}
    with pytest.raises(TypeError, match=r"grad: argument 0, p\['w'\]\[1\] has dtype int64"):
        ad.grad(loss)(bad, x)
    with pytest.raises(TypeError, match=r"argument 0, p\['w'\]\[1\] must be a real floating-point array, got str"):
        ad.jacrev(loss)({"w": [params["w"][0], "two"], "b": params["b"]}, x)
    with pytest.raises(TypeError, match=r"jvp: tangent 0\['w'\]\[1\] is a tuple where an array is required"):
        ad.jvp(lambda p: loss(p, x), (params,), ({"w": [params["w"][0], (np.ones(1), np.ones(1))], "b": params["b"]},))
    with pytest.raises(ValueError, match=r"tangent 0\['b'\] is a tuple of 2, but the structure expects a Pair"):
        ad.jvp(lambda p: loss(p, x), (params,), ({"w": params["w"], "b": (1.0, 2.0)},))
    _, vjp_fn = ad.vjp(lambda p: model(p, x), params)
    with pytest.raises(TypeError, match=r"vjp: the cotangent\['h'\] is a list where an array is required"):
        vjp_fn({"h": [np.ones(1), np.ones(1)], "pair": (1.0, np.ones((2, 3)))})
    (ct,) = vjp_fn({"h": [1.0, 2.0], "pair": (1.0, np.ones((2, 3)))})  # Python numbers: an array literal
    assert ct["w"][0].shape == (3, 2)
    with pytest.raises(ValueError, match=r"vjp: the cotangent\['pair'\]\[1\] has shape \(3,\) but f's "
                                         r"output\['pair'\]\[1\] has shape \(2, 3\)"):
        vjp_fn({"h": np.ones(2), "pair": (1.0, np.ones(3))})
    with pytest.raises(TypeError, match="grad needs a function with a scalar output, but f returned a tuple.*has_aux"):
        ad.grad(lambda p: (loss(p, x), 1.0))(params)
    with pytest.raises(TypeError, match=r"with has_aux=True, f must return a pair \(output, aux\), got a tuple of 3"):
        ad.grad(lambda p: (loss(p, x), 1, 2), has_aux=True)(params)
    with pytest.raises(TypeError, match=r"jacfwd: f \(at its output\['s'\]\) must return a real array, but it "
                                        "returned a str"):
        ad.jacfwd(lambda p: {"s": "no", "y": p["w"][1]})(params)


# ====================================================================================================
# checkpoint, the checker, the CLI
# ====================================================================================================

def test_checkpoint_takes_and_returns_containers():
    calls = []

    def block(p, x):
        calls.append(1)
        return {"y": anp.sin(p["w"][1] * x[:2]), "s": (anp.sum(p["w"][0]),)}

    def total(p, x, wrap):
        out = wrap(block)(p, x)
        return anp.sum(out["y"] ** 2) + out["s"][0] ** 2

    params, x = make_params(), RNG.standard_normal(3)
    expected = ad.grad(total)(params, x, lambda f: f)
    calls.clear()
    found = ad.grad(total)(params, x, ad.checkpoint)
    assert len(calls) == 2  # the forward pass, and the recomputation in the backward sweep
    for a, b in zip(tree_leaves(found), tree_leaves(expected)):
        np.testing.assert_allclose(a, b, rtol=1e-13)


def test_check_grad_of_containers_names_the_leaf():
    params, x = make_params(), RNG.standard_normal(3)
    report = ad.check_grad(model, params, x)
    assert [a.name for a in report.arguments] == ["p['b'].w", "p['w'][0]", "p['w'][1]", "x"]
    assert report.passed and assert_grad_close(model, params, x).passed

    class Cube(ad.Function):  # a wrong backward, inside a container
        @staticmethod
        def forward(ctx, v):
            ctx.save_for_backward(v)
            return v ** 3

        @staticmethod
        def backward(ctx, g):
            (v,) = ctx.saved_tensors
            return g * 2.0 * v ** 2

    with pytest.raises(AssertionError, match=r"reverse mode gives a wrong derivative of `<lambda>` for argument 0 "
                                             r"`p\['a'\]`"):
        assert_grad_close(lambda p: anp.sum(Cube.apply(p["a"])) + anp.sum(p["c"]),
                          {"a": np.array([1.0, 2.0]), "c": np.ones(2)}, modes=("reverse",))
    with pytest.raises(TypeError, match="grad= and jac= take array arguments"):
        ad.check_grad(loss, params, x, grad=lambda p, x: p)


def test_cli_checks_a_function_of_a_dict(tmp_path, capsys):
    path = tmp_path / "model.py"
    path.write_text("import admodes.numpy as anp\n\n\ndef loss(p, x):\n"
                    "    return anp.sum(anp.tanh(x @ p['w']) + p['b'] ** 2)\n")
    code = main(["check", f"{path}:loss", "--shape", '{"w": [3, 2], "b": [2]}', "--shape", "3"])
    out, err = capsys.readouterr()
    assert code == 0 and err == ""
    assert "argument 0 `p['w']` (shape (3, 2), float64)" in out and "argument 1 `x` (shape (3,)" in out
    code = main(["check", f"{path}:loss", "--shape", '{"w": [3, 2], "b": "x"}', "--shape", "3"])
    out, err = capsys.readouterr()
    assert code == 2 and err.count("\n") == 1 and "holds 'x': each shape is a list of sizes" in err
    code = main(["check", f"{path}:loss", "--shape", '{"w": [3, 2]', "--shape", "3"])
    assert code == 2 and "is not valid JSON" in capsys.readouterr().err
