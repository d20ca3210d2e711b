"""The Tensor methods PyTorch users type (issue 16): every op of admodes.numpy that PyTorch has as a method,
PyTorch's keywords beside NumPy's, the shape queries, the in-place family under PyTorch's rules, comparisons,
hooks, the non-leaf .grad warning, and the keywords admodes refuses by name."""

import warnings

import numpy as np
import pytest

import admodes as ad
import admodes.numpy as anp
from admodes.ops.core import FUNCTIONS
from admodes.tensor_methods import TORCH_NAMES, TORCH_TENSOR_METHODS, method_names


def leaf(values):
    return ad.tensor(np.asarray(values, dtype=float), requires_grad=True)


def grad_of(fn, x):
    """d sum(fn(x)) / dx through the tape."""
    t = leaf(x)
    fn(t).sum().backward()
    return t.grad.data


# ---- every op with a PyTorch method has one, computing what admodes.numpy computes -------------------

def test_every_op_that_pytorch_has_as_a_method_is_a_tensor_method():
    expected = {name: tuple(n for n in TORCH_NAMES.get(name, (name,)) if n in TORCH_TENSOR_METHODS)
                for name in FUNCTIONS}
    for name, torch_names in expected.items():
        assert method_names(name) == torch_names, name
        for method in torch_names:
            assert callable(getattr(ad.Tensor, method)), (name, method)
    # the ones PyTorch users type most, named in the issue
    for method in "exp tanh pow relu view unsqueeze clamp matmul t sum mean numel dim clone".split():
        assert callable(getattr(ad.Tensor, method)), method


UNARY = [name for name in FUNCTIONS if method_names(name) and name in (
    "exp", "log", "sin", "cos", "tanh", "sqrt", "square", "arcsin", "arctan", "expm1", "log1p", "reciprocal",
    "negative", "absolute", "sinh", "cosh", "exp2", "log2", "ravel", "cumsum", "cumprod", "sum", "mean",
    "prod", "std", "var", "logsumexp", "trace", "tril", "triu", "flip", "squeeze")]


@pytest.mark.parametrize("name", UNARY)
def test_a_generated_method_gives_the_value_and_gradient_of_the_numpy_function(name):
    x = np.array([[0.3, 0.6, 0.2], [0.5, 0.1, 0.4], [0.7, 0.8, 0.9]])
    for method in method_names(name):
        got = getattr(leaf(x), method)()
        np.testing.assert_allclose(got.data, FUNCTIONS[name](x), err_msg=method)
        np.testing.assert_allclose(grad_of(lambda t: getattr(t, method)(), x),
                                   ad.grad(lambda a: anp.sum(FUNCTIONS[name](a)))(x), err_msg=method)


def test_binary_methods_take_other_by_position_or_keyword():
    x, y = leaf([1.0, 2.0]), ad.tensor([3.0, 5.0])
    np.testing.assert_allclose(x.add(y, alpha=2).data, [7.0, 12.0])
    np.testing.assert_allclose(x.sub(other=y).data, [-2.0, -3.0])
    np.testing.assert_allclose(x.mul(y).data, [3.0, 10.0])
    np.testing.assert_allclose(x.div(y).data, [1 / 3, 2 / 5])
    np.testing.assert_allclose(x.pow(2).data, [1.0, 4.0])
    np.testing.assert_allclose(x.pow(exponent=3).data, [1.0, 8.0])
    np.testing.assert_allclose(x.atan2(y).data, np.arctan2([1.0, 2.0], [3.0, 5.0]))
    np.testing.assert_allclose(x.dot(y).data, 13.0)
    np.testing.assert_allclose(x.matmul(y).data, 13.0)
    x.add(y, alpha=2).sum().backward()
    np.testing.assert_allclose(x.grad.data, [1.0, 1.0])


# ---- dim/keepdim beside axis/keepdims --------------------------------------------------------------

@pytest.mark.parametrize("method", ["sum", "mean", "prod", "std", "var", "logsumexp", "cumsum"])
def test_dim_and_keepdim_mean_axis_and_keepdims(method):
    x = np.arange(1.0, 7.0).reshape(2, 3)
    keep = {} if method == "cumsum" else {"keepdim": True}
    keeps = {} if method == "cumsum" else {"keepdims": True}
    torch_style = getattr(leaf(x), method)(dim=1, **keep)
    numpy_style = getattr(leaf(x), method)(axis=1, **keeps)
    np.testing.assert_allclose(torch_style.data, numpy_style.data)
    np.testing.assert_allclose(torch_style.data, FUNCTIONS[method](x, axis=1, **keeps))
    with pytest.raises(TypeError, match=r"both dim= .*and axis="):
        getattr(leaf(x), method)(dim=1, axis=1)
    with pytest.raises(TypeError, match=r"both keepdim= .*and keepdims="):
        leaf(x).sum(keepdim=True, keepdims=True)


def test_std_and_var_take_pytorchs_correction_and_unbiased():
    x = np.array([1.0, 2.0, 4.0])
    np.testing.assert_allclose(leaf(x).std(unbiased=True).data, np.std(x, ddof=1))
    np.testing.assert_allclose(leaf(x).var(correction=1).data, np.var(x, ddof=1))
    np.testing.assert_allclose(leaf(x).var().data, np.var(x))  # NumPy's default (see docs/pytorch.md)


def test_max_and_min_follow_the_keyword_given():
    x = leaf([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
    values, indices = x.max(dim=1)
    np.testing.assert_allclose(values.data, [5.0, 7.0])
    np.testing.assert_array_equal(indices.data, [1, 0])
    assert not indices.requires_grad
    np.testing.assert_allclose(x.max(axis=1).data, [5.0, 7.0])  # NumPy's keyword: the values only
    assert x.min(1, keepdim=True).values.shape == (2, 1)
    np.testing.assert_allclose(x.max().data, 7.0)
    np.testing.assert_allclose(x.max(ad.tensor(4.0)).data, [[4.0, 5.0, 4.0], [7.0, 4.0, 4.0]])
    values.sum().backward()
    np.testing.assert_allclose(x.grad.data, [[0, 1, 0], [1, 0, 0]])


def test_sort_returns_values_and_indices_and_differentiates_through_the_values():
    x = leaf([3.0, 1.0, 2.0])
    values, indices = x.sort(descending=True)
    np.testing.assert_allclose(values.data, [3.0, 2.0, 1.0])
    np.testing.assert_array_equal(indices.data, [0, 2, 1])
    (values * ad.tensor([1.0, 10.0, 100.0])).sum().backward()
    np.testing.assert_allclose(x.grad.data, [1.0, 100.0, 10.0])


# ---- shapes ------------------------------------------------------------------------------------------

def test_size_is_numpys_attribute_and_pytorchs_method():
    x = ad.zeros(2, 3)
    assert x.size == 6 and x.size() == (2, 3) and x.size(1) == 3 and x.size(-2) == 2
    assert x.numel() == 6 and x.dim() == 2 and x.shape == (2, 3)
    assert ad.grad(lambda a: a.sum() / a.size)(np.ones(4)).tolist() == [0.25] * 4  # NumPy code keeps working
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"):
        x.size(2)


def test_shape_methods_match_numpy_and_pass_gradients():
    a = np.arange(24.0).reshape(2, 3, 4)
    cases = {
        "view": (lambda t: t.view(6, -1), a.reshape(6, 4)),
        "unsqueeze": (lambda t: t.unsqueeze(0), a[None]),
        "flatten": (lambda t: t.flatten(1), a.reshape(2, 12)),
        "permute": (lambda t: t.permute(2, 0, 1), a.transpose(2, 0, 1)),
        "transpose": (lambda t: t.transpose(0, 2), a.swapaxes(0, 2)),  # PyTorch's: swap two
        "numpy transpose": (lambda t: t.transpose(2, 0, 1), a.transpose(2, 0, 1)),
        "repeat": (lambda t: t.repeat(1, 2, 1), np.tile(a, (1, 2, 1))),
        "expand": (lambda t: t[:, :1].expand(-1, 5, -1), np.broadcast_to(a[:, :1], (2, 5, 4))),
        "squeeze": (lambda t: t[:, :1].squeeze(1), a[:, 0]),
        "movedim": (lambda t: t.movedim(0, 2), np.moveaxis(a, 0, 2)),
    }
    for name, (fn, expected) in cases.items():
        np.testing.assert_allclose(fn(leaf(a)).data, expected, err_msg=name)
        weights = np.random.default_rng(0).standard_normal(expected.shape)
        np.testing.assert_allclose(grad_of(lambda t: fn(t) * weights, a),
                                   ad.numeric_grad(lambda v: np.sum(fn(ad.tensor(v)).data * weights), a),
                                   atol=1e-6, err_msg=name)
    m = leaf([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_allclose(m.t().data, [[1.0, 3.0], [2.0, 4.0]])
    with pytest.raises(RuntimeError, match="t\\(\\) expects a tensor with <= 2 dimensions"):
        leaf(a).t()


def test_split_and_chunk_take_pytorchs_sizes():
    x = ad.arange(7.0)
    assert [p.data.tolist() for p in x.split(3)] == [[0, 1, 2], [3, 4, 5], [6]]
    assert [p.data.tolist() for p in x.split([2, 5])] == [[0, 1], [2, 3, 4, 5, 6]]
    assert [len(p.data) for p in x.chunk(3)] == [3, 3, 1]
    with pytest.raises(RuntimeError, match="add up to 3"):
        x.split([1, 2])


def test_activations_and_where():
    x = leaf([-1.0, 0.0, 2.0])
    np.testing.assert_allclose(x.relu().data, [0.0, 0.0, 2.0])
    np.testing.assert_allclose(grad_of(lambda t: t.relu(), [-1.0, 0.0, 2.0]), [0.0, 0.0, 1.0])  # 0 at 0
    np.testing.assert_allclose(x.sigmoid().data, 1 / (1 + np.exp([1.0, 0.0, -2.0])))
    np.testing.assert_allclose(grad_of(lambda t: t.sigmoid(), [0.0]), [0.25])
    np.testing.assert_allclose(x.softmax(dim=0).data, np.exp([-1, 0, 2]) / np.exp([-1, 0, 2]).sum())
    np.testing.assert_allclose(x.log_softmax(0).exp().data, x.softmax(0).data)
    np.testing.assert_allclose(x.where(x > 0, ad.tensor(9.0)).data, [9.0, 9.0, 2.0])
    np.testing.assert_allclose(x.masked_fill(x < 0, 5.0).data, [5.0, 0.0, 2.0])
    np.testing.assert_allclose(x.clamp(min=0).data, [0.0, 0.0, 2.0])


def test_clone_is_a_copy_in_the_graph():
    x = leaf([1.0, 2.0])
    c = x.clone()
    assert not np.shares_memory(c.data, x.data) and c.grad_fn is not None
    (c * 3).sum().backward()
    np.testing.assert_allclose(x.grad.data, [3.0, 3.0])


def test_dtype_casts():
    x = leaf([1.5, -2.5])
    assert x.float().dtype == np.float32 and x.float().requires_grad
    assert x.double().dtype == np.float64
    assert x.long().dtype == np.int64 and not x.long().requires_grad
    assert x.to(ad.float32).dtype == np.float32 and x.to("cpu") is x
    x.float().sum().backward()
    assert x.grad.dtype == np.float64


# ---- comparisons ---------------------------------------------------------------------------------------

def test_comparisons_are_tensors_of_bools_without_grad():
    x, y = leaf([1.0, 2.0]), ad.tensor([1.0, 3.0])
    for result, expected in [(x == y, [True, False]), (x != y, [False, True]), (x < y, [False, True]),
                             (x <= y, [True, True]), (x > 1.5, [False, True]), (x >= 2.0, [False, True]),
                             (x.eq(y), [True, False]), (x.isnan(), [False, False])]:
        assert type(result) is ad.Tensor and not result.requires_grad
        assert result.dtype == bool and result.data.tolist() == expected
    assert bool((x == x).all()) and x.equal(x.clone())
    assert {x: 1}[x] == 1  # still hashable by identity
    assert (x > 1.5).float().mean().item() == 0.5 and (x > 0).sum().item() == 2


def test_numpy_converts_a_tensor_that_requires_no_grad_only():
    x = leaf([1.0, 2.0])
    with pytest.raises(TypeError, match="would drop its derivative"):
        np.asarray(x)
    with pytest.raises(TypeError, match="would drop its derivative"):
        np.asarray(x * 2.0)
    values = np.asarray(x.detach())
    assert values.tolist() == [1.0, 2.0] and not np.shares_memory(values, x.data)
    assert np.asarray(x > 1.5).tolist() == [False, True]


# ---- in place ------------------------------------------------------------------------------------------

def test_in_place_family_on_plain_tensors():
    x = ad.tensor([1.0, 2.0])
    version = x._version
    assert x.add_(1.0) is x and x.data.tolist() == [2.0, 3.0]
    x.sub_(ad.tensor([1.0, 1.0]), alpha=2)
    assert x.data.tolist() == [0.0, 1.0]
    x.mul_(3.0).div_(2.0)
    assert x.data.tolist() == [0.0, 1.5]
    x.clamp_(min=0.5)
    assert x.data.tolist() == [0.5, 1.5]
    x.copy_(ad.tensor([7.0, 8.0]))
    assert x.data.tolist() == [7.0, 8.0]
    x.fill_(4.0)
    assert x.data.tolist() == [4.0, 4.0]
    x.zero_()
    assert x.data.tolist() == [0.0, 0.0]
    assert x._version == version + 8


def test_in_place_on_a_leaf_that_requires_grad_raises_as_in_pytorch():
    w = leaf([1.0, 2.0])
    for op in (lambda: w.add_(1.0), lambda: w.zero_(), lambda: w.copy_(ad.tensor([0.0, 0.0])),
               lambda: w.mul_(2.0), lambda: w.clamp_(max=0.0)):
        with pytest.raises(RuntimeError, match="leaf tensor that requires grad is being used in an in-place"):
            op()
    with ad.no_grad():
        w.add_(1.0)
    assert w.data.tolist() == [2.0, 3.0]


def test_in_place_on_a_value_saved_for_backward_makes_backward_raise():
    x = leaf([1.0, 2.0])
    h = x * 2.0
    y = (h * h).sum()  # saves h
    h.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.backward()


def test_in_place_on_a_non_leaf_is_recorded():
    x = leaf([1.0, 2.0])
    h = x * 1.0
    h.mul_(3.0).add_(1.0)
    h.sum().backward()
    np.testing.assert_allclose(x.grad.data, [3.0, 3.0])
    z = leaf([1.0, 2.0])
    k = z * 1.0
    k.zero_()  # the old value no longer matters: zero gradient
    (k + z).sum().backward()
    np.testing.assert_allclose(z.grad.data, [1.0, 1.0])
    src, dst = leaf([5.0, 6.0]), ad.zeros(2)
    dst.copy_(src * 2.0)
    dst.sum().backward()
    np.testing.assert_allclose(src.grad.data, [2.0, 2.0])


# ---- hooks and the non-leaf .grad warning ---------------------------------------------------------------

def test_hooks_on_leaves_and_non_leaves_see_and_may_replace_the_gradient():
    x = leaf([1.0, 2.0])
    h = x * 3.0
    seen = []
    h.register_hook(lambda g: seen.append(g.data.copy()))
    handle = h.register_hook(lambda g: g * 2.0)
    x.register_hook(lambda g: g + 100.0)
    (h * h).sum().backward()
    np.testing.assert_allclose(seen[0], 2 * 3.0 * np.array([1.0, 2.0]))  # d/dh of sum(h^2) = 2h
    np.testing.assert_allclose(x.grad.data, 2 * (2 * 3.0 * np.array([1.0, 2.0])) * 3.0 + 100.0)
    handle.remove()
    x.grad = None
    h2 = x * 3.0
    (h2 * h2).sum().backward()
    np.testing.assert_allclose(x.grad.data, 2 * 9.0 * np.array([1.0, 2.0]) + 100.0)  # the leaf hook stays


def test_a_non_leaf_hook_runs_once_on_the_summed_gradient_before_retain_grad():
    x = leaf([1.0])
    h = x * 1.0
    h.retain_grad()
    calls = []
    h.register_hook(lambda g: calls.append(g.item()) or g * 10.0)
    (h * 2.0 + h * 3.0).sum().backward()
    assert calls == [5.0]
    np.testing.assert_allclose(h.grad.data, [50.0])
    np.testing.assert_allclose(x.grad.data, [50.0])


def test_register_hook_refuses_what_pytorch_refuses():
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        ad.tensor([1.0]).register_hook(lambda g: g)
    x = leaf([1.0, 2.0])
    x.register_hook(lambda g: g.sum())
    with pytest.raises(RuntimeError, match="returned a gradient of shape \\(\\)"):
        (x * 1.0).sum().backward()


def test_reading_grad_of_a_non_leaf_warns_as_pytorch_does():
    x = leaf([1.0])
    h = x * 2.0
    h.sum().backward()
    with pytest.warns(UserWarning, match="not a leaf Tensor is being accessed"):
        assert h.grad is None
    h2 = x * 2.0
    h2.retain_grad()
    h2.sum().backward()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert x.grad is not None and h2.grad is not None  # leaves and retained non-leaves: no warning


# ---- keywords admodes refuses ------------------------------------------------------------------------

def test_unsupported_pytorch_keywords_are_refused_by_name():
    x = leaf([1.0, 2.0])
    with pytest.raises(TypeError, match="keyword out=.*assign the result"):
        x.exp(out=ad.zeros(2))
    with pytest.raises(ValueError, match="device='cuda'.*admodes runs on NumPy, CPU only"):
        x.to("cuda")
    with pytest.raises(ValueError, match="admodes runs on NumPy, CPU only"):
        x.cuda()
    with pytest.raises(TypeError, match="memory_format="):
        x.clone(memory_format="channels_last")
    with pytest.raises(TypeError, match="view\\(dtype\\)"):
        x.view(np.int64)
    assert x.sum(out=None).item() == 3.0  # the harmless defaults are fine


def test_hooks_work_with_create_graph_and_gradients():
    x = leaf([1.0, 2.0])
    h = x * x
    h.register_hook(lambda g: g * 2.0)
    (g,) = ad.gradients(h.sum(), x, create_graph=True)
    np.testing.assert_allclose(g.data, [4.0, 8.0])  # 2 * 2x, and still differentiable
    g.sum().backward()
    np.testing.assert_allclose(x.grad.data, [4.0, 4.0])
    w = leaf([1.0, 2.0])
    w.register_hook(lambda g: g * 3.0)
    np.testing.assert_allclose(ad.gradients((w * w).sum(), w)[0].data, [6.0, 12.0])


@pytest.mark.parametrize("sweep", ["backward_pass", "fast_backward_pass"])
def test_hooks_run_on_the_generic_sweep_and_on_the_fast_one(sweep):
    from admodes import reverse

    x = leaf([1.0, 2.0])
    h = x * 3.0
    h.register_hook(lambda g: g * 2.0)
    x.register_hook(lambda g: g + 1.0)
    y = (h * h).sum()
    getattr(reverse, sweep)([y], [np.array(1.0)])
    np.testing.assert_allclose(x.grad.data, 2 * (2 * 3.0 * np.array([1.0, 2.0])) * 3.0 + 1.0)
