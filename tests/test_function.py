"""Custom ops: `Function` with ctx, used by both engines and on plain arrays (admodes/function.py)."""

import numpy as np
import pytest

import admodes as ad
import admodes.numpy as anp


class Exp(ad.Function):
    """The teaching notes' custom Exp (seed 004): forward saves its output, backward reads it."""

    @staticmethod
    def forward(ctx, x):
        y = anp.exp(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return grad_output * y

    @staticmethod
    def jvp(ctx, x_tangent):
        (y,) = ctx.saved_tensors
        return x_tangent * y


class Mul(ad.Function):
    @staticmethod
    def forward(ctx, x, w):
        ctx.save_for_backward(x, w)
        return x * w

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        return (g * w if ctx.needs_input_grad[0] else None), (g * x if ctx.needs_input_grad[1] else None)


def test_on_tensors_records_a_named_node():
    x = ad.tensor([0.0, 1.0], requires_grad=True)
    y = Exp.apply(x)
    assert type(y.grad_fn).__name__ == "ExpBackward"
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, np.exp([0.0, 1.0]), rtol=1e-15)


def test_on_plain_arrays_and_duals():
    np.testing.assert_allclose(Exp.apply(np.array([0.0, 1.0])), np.exp([0.0, 1.0]))
    out, tangent = ad.jvp(Exp.apply, (np.array([0.5]),), (np.array([2.0]),))
    np.testing.assert_allclose(tangent, 2.0 * np.exp([0.5]))


def test_in_the_functional_transforms_and_nested():
    f = lambda x: anp.sum(Exp.apply(x * x))
    x = np.array([0.3, -0.2])
    np.testing.assert_allclose(ad.grad(f)(x), 2 * x * np.exp(x * x), rtol=1e-14)
    # forward over reverse: the forward sweep runs through the user's forward and backward bodies
    expected = np.diag((2 + 4 * x * x) * np.exp(x * x))
    np.testing.assert_allclose(ad.hessian(f)(x), expected, rtol=1e-13)


def test_needs_input_grad_and_none_gradients():
    x = ad.tensor([2.0], requires_grad=True)
    w = ad.tensor([3.0])
    Mul.apply(x, w).sum().backward()
    assert x.grad.data.tolist() == [3.0] and w.grad is None


def test_create_graph_through_a_function_connects_its_saved_values():
    x = ad.tensor(0.4, requires_grad=True)
    y = Exp.apply(x)
    (g,) = ad.gradients(y, x, create_graph=True)
    (h,) = ad.gradients(g, x)
    np.testing.assert_allclose(h.data, np.exp(0.4), rtol=1e-15)


def test_a_backward_with_the_wrong_number_of_gradients():
    class Bad(ad.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2.0

        @staticmethod
        def backward(ctx, g):
            return g, g

    x = ad.tensor([1.0], requires_grad=True)
    expected = r"BadBackward returned an incorrect number of gradients \(expected 1, got 2\)"
    with pytest.raises(RuntimeError, match=expected):
        Bad.apply(x).sum().backward()


def test_a_backward_with_a_gradient_of_the_wrong_shape():
    class Bad(ad.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2.0

        @staticmethod
        def backward(ctx, g):
            return np.ones(3)

    x = ad.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"gradient of shape \(3,\) for input 0, whose shape is \(2,\)"):
        Bad.apply(x).sum().backward()


def test_forward_mode_without_a_jvp_says_so():
    x = np.array([1.0])
    with pytest.raises(NotImplementedError, match="defines no jvp"):
        ad.jvp(Mul.apply, (x, x), (x, x))
