"""PyTorch's constructors, grad modes and SGD, and JAX's linearize/jacobian (issue 16); a two-layer MLP written
the way a PyTorch user writes it trains, with gradients checked against jacrev and finite differences."""

import numpy as np
import pytest

import admodes as ad
import admodes.numpy as anp

# ---- constructors ---------------------------------------------------------------------------------------


def test_constructors_make_pytorchs_tensors_with_numpys_default_dtype():
    assert ad.zeros(2, 3).data.tolist() == [[0.0] * 3] * 2 and ad.zeros((2, 3)).shape == (2, 3)
    assert ad.ones([4]).data.tolist() == [1.0] * 4 and ad.ones(4).dtype == np.float64
    assert ad.empty(2, 2).shape == (2, 2)
    assert ad.full((2,), 7.0).data.tolist() == [7.0, 7.0]
    assert ad.arange(4).data.tolist() == [0, 1, 2, 3] and ad.arange(4).dtype == np.int64
    assert ad.arange(0.0, 1.0, 0.25).data.tolist() == [0.0, 0.25, 0.5, 0.75]
    assert ad.linspace(0, 1, 5).data.tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    x = ad.tensor([1.0, 2.0], dtype=ad.float32)
    for like, fill in [(ad.zeros_like, 0.0), (ad.ones_like, 1.0), (lambda t: ad.full_like(t, 3.0), 3.0)]:
        made = like(x)
        assert made.dtype == np.float32 and made.data.tolist() == [fill, fill]
    assert ad.empty_like(x).shape == (2,) and ad.rand_like(x).dtype == np.float32
    assert ad.randn(3, dtype=ad.float32).dtype == np.float32
    w = ad.randn(2, 3, requires_grad=True)
    assert w.requires_grad and w.is_leaf and w.dtype == np.float64
    r = ad.rand(1000)
    assert 0.0 <= r.data.min() and r.data.max() < 1.0


def test_tensor_copies_and_from_numpy_shares():
    a = np.array([1.0, 2.0])
    t, shared = ad.tensor(a), ad.from_numpy(a)
    shared.add_(1.0)
    assert a.tolist() == [2.0, 3.0] and t.data.tolist() == [1.0, 2.0]
    assert ad.tensor([1, 2], dtype=ad.float64, requires_grad=True).requires_grad
    with pytest.raises(TypeError, match="from_numpy: expected a numpy.ndarray, got list"):
        ad.from_numpy([1.0])
    with pytest.raises(RuntimeError, match="only tensors of floating point dtype can require gradients"):
        ad.tensor([1, 2], requires_grad=True)


def test_manual_seed_makes_random_tensors_repeat():
    ad.manual_seed(3)
    first = (ad.randn(4).data, ad.rand(2).data, ad.randn_like(ad.zeros(3)).data)
    ad.manual_seed(3)
    second = (ad.randn(4).data, ad.rand(2).data, ad.randn_like(ad.zeros(3)).data)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(ad.randn(4).data, first[0])
    with pytest.raises(TypeError, match="seed must be an int"):
        ad.manual_seed(1.5)


def test_constructors_refuse_what_admodes_cannot_do():
    with pytest.raises(ValueError, match="zeros\\(\\): device='cuda' is not available: admodes runs on NumPy, CPU"):
        ad.zeros(2, device="cuda")
    assert ad.zeros(2, device="cpu").shape == (2,)
    with pytest.raises(TypeError, match="ones\\(\\) does not support the keyword pin_memory="):
        ad.ones(2, pin_memory=True)
    with pytest.raises(TypeError, match="keyword out="):
        ad.arange(3, out=ad.zeros(3))
    with pytest.raises(TypeError, match="memory_format="):
        ad.empty_like(ad.zeros(2), memory_format="channels_last")
    with pytest.raises(TypeError, match="randn\\(\\): dtype must be a float dtype"):
        ad.randn(2, dtype=ad.int64)
    with pytest.raises(RuntimeError, match=r"Trying to create tensor with negative dimension -1: \[2, -1\]"):
        ad.zeros(2, -1)
    with pytest.raises(TypeError, match="unexpected keyword arguments \\['bogus'\\]"):
        ad.zeros(2, bogus=1)


# ---- grad modes -------------------------------------------------------------------------------------------

def test_set_grad_enabled_as_context_manager_function_and_decorator():
    x = ad.tensor(1.0, requires_grad=True)
    with ad.set_grad_enabled(False):
        assert not (x * 2).requires_grad
        with ad.set_grad_enabled(True):
            assert (x * 2).requires_grad
    assert ad.is_grad_enabled() and (x * 2).requires_grad
    try:
        ad.set_grad_enabled(False)
        assert not ad.is_grad_enabled() and not (x * 2).requires_grad
    finally:
        ad.set_grad_enabled(True)
    assert (x * 2).requires_grad

    @ad.set_grad_enabled(False)
    def evaluate():
        return x * 2

    assert ad.is_grad_enabled() and not evaluate().requires_grad and (x * 2).requires_grad
    with pytest.raises(TypeError, match="mode must be a bool"):
        ad.set_grad_enabled("no")


def test_inference_mode():
    x = ad.tensor(1.0, requires_grad=True)
    with ad.inference_mode():
        assert not (x * 2).requires_grad
    with ad.inference_mode(False):
        assert (x * 2).requires_grad

    @ad.inference_mode()
    def evaluate():
        return x * 2

    assert not evaluate().requires_grad and (x * 2).requires_grad


# ---- SGD ----------------------------------------------------------------------------------------------------

def sgd_path(steps, **options):
    """w after ``steps`` SGD steps on f(w) = 0.5 * w^2 (gradient w), from w = 1."""
    w = ad.tensor([1.0], requires_grad=True)
    opt = ad.optim.SGD([w], **options)
    for _ in range(steps):
        opt.zero_grad()
        (0.5 * w * w).sum().backward()
        opt.step()
    return w.data[0]


def test_sgd_follows_pytorchs_update_rules():
    # hand-computed: g = w; buf_1 = g_1; buf_k = m buf + (1 - d) g; w -= lr * (buf, or g + m buf for Nesterov)
    assert sgd_path(2, lr=0.1) == pytest.approx(0.9 * 0.9)
    assert sgd_path(2, lr=0.1, momentum=0.5) == pytest.approx(0.9 - 0.1 * (0.5 * 1.0 + 0.9))  # 0.76
    assert sgd_path(2, lr=0.1, momentum=0.5, dampening=0.5) == pytest.approx(0.9 - 0.1 * (0.5 + 0.5 * 0.9))
    # Nesterov: step 1: buf = 1, d = 1 + 0.5 = 1.5, w = 0.85; step 2: buf = 0.5 + 0.85, d = 0.85 + 0.5 * 1.35
    assert sgd_path(2, lr=0.1, momentum=0.5, nesterov=True) == pytest.approx(0.85 - 0.1 * (0.85 + 0.5 * 1.35))
    assert sgd_path(1, lr=0.1, weight_decay=1.0) == pytest.approx(1.0 - 0.1 * 2.0)
    assert sgd_path(1, lr=0.1, maximize=True) == pytest.approx(1.1)


def test_sgd_parameter_groups_zero_grad_and_bad_input():
    a, b = ad.tensor([1.0], requires_grad=True), ad.tensor([1.0], requires_grad=True)
    opt = ad.optim.SGD([{"params": [a]}, {"params": [b], "lr": 1.0}], lr=0.1)
    (a * 1.0 + b * 1.0).sum().backward()
    opt.step()
    assert a.data[0] == pytest.approx(0.9) and b.data[0] == pytest.approx(0.0)
    opt.zero_grad(set_to_none=False)
    assert a.grad.data.tolist() == [0.0]
    opt.zero_grad()
    assert a.grad is None
    with pytest.raises(ValueError, match="empty parameter list"):
        ad.optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        ad.optim.SGD([a], lr=-1)
    with pytest.raises(ValueError, match="Nesterov momentum requires a momentum"):
        ad.optim.SGD([a], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        ad.optim.SGD([a * 2.0], lr=0.1)
    with pytest.raises(TypeError, match="wrap it in a list"):
        ad.optim.SGD(a, lr=0.1)


def test_a_step_after_a_graph_saved_a_parameter_makes_that_backward_raise():
    w = ad.tensor([1.0], requires_grad=True)
    opt = ad.optim.SGD([w], lr=0.1)
    loss = (w * w).sum()
    loss.backward(retain_graph=True)
    opt.step()
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        loss.backward()


# ---- the two-layer MLP, written as a PyTorch user writes it ------------------------------------------------

def make_data():
    ad.manual_seed(0)
    X = ad.randn(64, 3)
    y = (X[:, :1] * X[:, 1:2]).tanh() + 0.5 * X[:, 2:].sin()
    return X, y


def make_params():
    ad.manual_seed(1)
    W1 = (ad.randn(3, 16) * 0.5).requires_grad_()
    b1 = ad.zeros(16, requires_grad=True)
    W2 = (ad.randn(16, 1) * 0.5).requires_grad_()
    b2 = ad.zeros(1, requires_grad=True)
    return [W1, b1, W2, b2]


def mlp_loss(X, y, W1, b1, W2, b2):
    hidden = (X.matmul(W1) + b1).tanh()
    prediction = hidden @ W2 + b2
    return ((prediction - y) ** 2).mean()


def test_mlp_gradients_match_jacrev_and_finite_differences():
    X, y = make_data()
    params = make_params()
    mlp_loss(X, y, *params).backward()
    values = [p.detach().numpy() for p in params]
    for k, p in enumerate(params):
        def loss_of(v, k=k):  # the loss as a function of parameter k alone (the others constant tensors)
            args = [ad.tensor(a) for a in values]
            args[k] = v
            return mlp_loss(X, y, *args)
        jac = ad.jacobian(loss_of)(values[k])  # a Tensor (of no grad): the loss used the tensors X and y
        np.testing.assert_allclose(p.grad.data, jac.data, rtol=1e-10, atol=1e-12)
        numeric = ad.numeric_grad(lambda v, k=k: loss_of(ad.tensor(v), k).item(), values[k])
        np.testing.assert_allclose(p.grad.data, numeric, rtol=1e-6, atol=1e-9)


def test_mlp_trains_with_the_classic_loop():
    X, y = make_data()
    params = make_params()
    opt = ad.optim.SGD(params, lr=0.1, momentum=0.9)
    losses = []
    for _ in range(300):
        opt.zero_grad()
        loss = mlp_loss(X, y, *params)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.1 * losses[0], (losses[0], losses[-1])
    with ad.no_grad():
        final = mlp_loss(X, y, *params)
    assert not final.requires_grad and final.item() == pytest.approx(losses[-1], rel=0.2)


# ---- JAX's linearize and jacobian --------------------------------------------------------------------------

def test_linearize_gives_fx_and_the_jvp_at_the_point():
    f = lambda x, w: anp.sum(anp.sin(x) * w)
    x, w = np.array([0.1, 0.2, 0.3]), np.array([1.0, 2.0, 3.0])
    out, f_jvp = ad.linearize(f, x, w)
    assert out == pytest.approx(np.sum(np.sin(x) * w))
    tx, tw = np.array([1.0, 0.0, -1.0]), np.array([0.5, 0.5, 0.5])
    expected = ad.jvp(f, (x, w), (tx, tw))[1]
    x[:] = 100.0  # the point was copied
    np.testing.assert_allclose(f_jvp(tx, tw), expected)
    np.testing.assert_allclose(f_jvp(tx, tw), np.sum(np.cos([0.1, 0.2, 0.3]) * tx * w + np.sin([0.1, 0.2, 0.3]) * tw))
    with pytest.raises(TypeError, match="f_jvp takes 2 tangent"):
        f_jvp(tx)
    with pytest.raises(ValueError, match="tangent 0 has shape \\(2,\\)"):
        f_jvp(np.ones(2), tw)
    assert ad.jacobian is ad.jacrev
