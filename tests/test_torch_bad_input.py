"""Bad input to the PyTorch-style API (constructors, Tensor methods, hooks, grad modes, SGD, linearize), as an
adversarial user would give it: PyTorch's error (its words where it has them) naming the argument, never an error
from deep inside NumPy, never a silently different result or a gradient taken from something that is not one.
"""

import numpy as np
import pytest

import admodes as ad
import admodes.numpy as anp


def leaf(data=((1.0, 2.0), (3.0, 4.0))):
    return ad.tensor(data, requires_grad=True)


# ----------------------------------------------------------------------------------------------------
# Constructors
# ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("call, error, match", [
    (lambda: ad.tensor([[1, 2], [3]]), ValueError, r"tensor\(\): data is a ragged nested sequence"),
    (lambda: ad.tensor([1.0], dtype="floot"), TypeError, r"tensor\(\): argument 'dtype' must be a dtype .*'floot'"),
    (lambda: ad.zeros(2, dtype="abc"), TypeError, r"zeros\(\): argument 'dtype' must be a dtype"),
    (lambda: ad.tensor([1.0], requires_grad="yes"), TypeError,
     r"tensor\(\): argument 'requires_grad' must be bool, not str"),
    (lambda: ad.ones(2, requires_grad=1), TypeError, r"ones\(\): argument 'requires_grad' must be bool, not int"),
    (lambda: ad.zeros(2, -1), RuntimeError,
     r"zeros\(\): Trying to create tensor with negative dimension -1: \[2, -1\]"),
    (lambda: ad.rand(-2), RuntimeError, r"rand\(\): Trying to create tensor with negative dimension -2"),
    (lambda: ad.full((-2,), 1.0), RuntimeError, r"full\(\): Trying to create tensor with negative dimension"),
    (lambda: ad.zeros(2.5), TypeError, r"zeros\(\): size must be non-negative ints"),
    (lambda: ad.ones(2, size=(2,)), TypeError, r"ones\(\) got the size both by position and as size="),
    (lambda: ad.arange(0, 5, 0), RuntimeError, r"arange\(\): step must be nonzero"),
    (lambda: ad.arange(0.0, np.nan), RuntimeError, r"arange\(\): unsupported range: 0.0 -> nan"),
    (lambda: ad.arange(0.0, np.inf), RuntimeError, r"arange\(\): unsupported range"),
    (lambda: ad.arange("5"), TypeError, r"arange\(\): argument 'end' must be a number, not str"),
    (lambda: ad.arange(), TypeError, r"arange\(\) needs an end"),
    (lambda: ad.linspace(0, 1, -1), RuntimeError, r"linspace\(\): number of steps must be non-negative, got -1"),
    (lambda: ad.linspace(0, 1, 2.5), TypeError, r"linspace\(\): argument 'steps' must be int, not float"),
    (lambda: ad.zeros_like(None), TypeError, r"zeros_like\(\): argument 'input' \(position 1\) must be Tensor, not "
                                             r"NoneType"),
    (lambda: ad.randn_like("abc"), TypeError, r"randn_like\(\): argument 'input' .* must be Tensor, not str"),
    (lambda: ad.manual_seed(2 ** 64), ValueError, r"manual_seed: seed must be in \[-0x8000_0000_0000_0000, "),
    (lambda: ad.manual_seed(1.5), TypeError, "seed must be an int"),
])
def test_constructors_name_the_bad_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_constructors_accept_what_pytorch_accepts():
    assert ad.ones(size=(2, 3)).shape == (2, 3) and ad.randn(size=[4]).shape == (4,)
    assert ad.arange(end=3).tolist() == [0, 1, 2] and ad.arange(1, 4).tolist() == [1, 2, 3]
    assert ad.zeros_like([1.0, 2.0]).shape == (2,)  # (before: "Field elements must be 2- or 3-tuples")
    assert ad.ones_like(np.zeros((2, 1), np.float32)).dtype == np.float32
    assert ad.tensor([1.0], dtype="float32").dtype == np.float32
    # negative seeds wrap around, as in PyTorch (before: NumPy's "expected non-negative integer")
    a = ad.manual_seed(-1).random()
    assert ad.manual_seed(2 ** 64 - 1).random() == a


# ----------------------------------------------------------------------------------------------------
# Tensor methods: dimensions
# ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("call, error, match", [
    (lambda x: x.size("a"), TypeError, r"size\(\): argument 'dim' must be int, not str"),
    (lambda x: x.size(1.0), TypeError, r"size\(\): argument 'dim' must be int, not float"),
    (lambda x: x.flatten(5), IndexError,
     r"flatten\(\): Dimension out of range \(expected to be in range of \[-2, 1\], but got 5\)"),
    (lambda x: x.flatten(1, 0), RuntimeError, r"flatten\(\) has invalid args: start_dim cannot come after end_dim"),
    (lambda x: x.max(5), IndexError, r"max\(\): Dimension out of range"),
    (lambda x: x.min(dim=-3), IndexError, r"min\(\): Dimension out of range .* but got -3\)"),
    (lambda x: x.sort(5), IndexError, r"sort\(\): Dimension out of range"),
    (lambda x: x.argmax(2), IndexError, r"argmax\(\): Dimension out of range"),
    (lambda x: x.argmin("0"), TypeError, r"argmin\(\): argument 'dim' must be int, not str"),
    (lambda x: ad.zeros(0, 2).max(0), IndexError, r"max\(\): Expected reduction dim 0 to have non-zero size"),
    (lambda x: ad.zeros(0).argmax(), IndexError, r"argmax\(\): Expected reduction dim 0 to have non-zero size"),
    (lambda x: x.split(0), RuntimeError, r"split_size can only be 0 if dimension size is 0, but got dimension size "
                                         r"of 2"),
    (lambda x: x.split(-1), RuntimeError, r"split expects split_size be non-negative, but got split_size=-1"),
    (lambda x: x.split(1.5), TypeError, r"split\(\): argument 'split_size_or_sections' must be an int or a list"),
    (lambda x: x.split([3, -1]), RuntimeError, r"split_with_sizes expects split_sizes have only non-negative "
                                               r"entries, but got split_sizes=\[3, -1\]"),
    (lambda x: x.split(1, dim=5), IndexError, r"split\(\): Dimension out of range"),
    (lambda x: x.chunk(0), RuntimeError, r"chunk expects `chunks` to be greater than 0, got: 0"),
    (lambda x: x.chunk(-1), RuntimeError, r"chunk expects `chunks` to be greater than 0, got: -1"),
    (lambda x: x.chunk(2, dim=4), IndexError, r"chunk\(\): Dimension out of range"),
    (lambda x: x.transpose(0, 5), IndexError, r"transpose\(\): Dimension out of range .* but got 5\)"),
    (lambda x: x.softmax(2), IndexError, r"softmax\(\): Dimension out of range"),
    (lambda x: x.log_softmax(-3), IndexError, r"log_softmax\(\): Dimension out of range"),
    (lambda x: x.repeat(2), RuntimeError, r"Number of dimensions of repeat dims can not be smaller than number of "
                                          r"dimensions of tensor"),
    (lambda x: x.expand(3, 3), RuntimeError, r"the expanded size of the tensor \(3\) must match the existing size "
                                             r"\(2\) at non-singleton dimension 0.  Target sizes: \[3, 3\]"),
    (lambda x: x.expand(2), RuntimeError, r"the number of sizes provided \(1\) must be greater or equal to the "
                                          r"number of dimensions in the tensor \(2\)"),
    (lambda x: x.expand(-1, 2, 2), RuntimeError, r"the expanded size of the tensor \(-1\) isn't allowed in a leading, "
                                                 r"non-existing dimension 0"),
])
def test_dimension_arguments_get_pytorchs_errors(call, error, match):
    with pytest.raises(error, match=match):
        call(leaf())


def test_dimension_methods_still_work_with_good_arguments():
    x = leaf()
    assert x.size(-1) == 2 and x.flatten(0, -1).shape == (4,) and x.flatten(1).shape == (2, 2)
    assert ad.tensor(3.0).flatten().shape == (1,) and ad.tensor(3.0).max(0).values.item() == 3.0
    assert [p.shape for p in x.split(1)] == [(1, 2), (1, 2)] and [p.shape for p in x.chunk(3)] == [(1, 2), (1, 2)]
    assert [p.shape for p in ad.zeros(0, 2).split(0)] == [(0, 2)]
    assert x.expand(3, 2, 2).shape == (3, 2, 2) and x[:1].expand(4, -1).shape == (4, 2)
    assert x.repeat(1, 2).shape == (2, 4) and x.argmax(-1).tolist() == [1, 1]
    values, indices = x.max(-1)
    values.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[0.0, 1.0], [0.0, 1.0]])


# ----------------------------------------------------------------------------------------------------
# Tensor methods: masks, fills, types
# ----------------------------------------------------------------------------------------------------

def test_masks_and_conditions_must_be_boolean_as_in_pytorch():
    x = leaf()
    with pytest.raises(RuntimeError, match="masked_fill_ only supports boolean masks, but got mask with dtype float64"):
        x.masked_fill(np.array([[0.5, 0.0], [0.0, 1.0]]), 0.0)  # (before: 0.5 counted as True)
    with pytest.raises(RuntimeError, match="where expected condition to be a boolean tensor, but got a tensor with "
                                           "dtype int64"):
        x.where(np.array([1, 0]), 0.0)
    y = x.masked_fill(np.array([[True, False], [False, True]]), 0.0)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[0.0, 1.0], [1.0, 0.0]])


def test_fill_takes_one_value_and_clamp_a_bound():
    with pytest.raises(RuntimeError, match="fill_ only supports 0-dimension value tensor but got tensor with 1 "
                                           "dimensions"):
        ad.zeros(2).fill_([1.0, 2.0])  # (before: broadcast in)
    with pytest.raises(RuntimeError, match="At least one of 'min' or 'max' must not be None"):
        ad.zeros(2).clamp_()
    assert ad.zeros(2).fill_(3.0).tolist() == [3.0, 3.0] and ad.zeros(2).fill_(ad.tensor(2.0)).tolist() == [2.0, 2.0]


def test_type_as_reads_any_array_like():
    assert leaf().type_as([1, 2]).dtype == np.int64  # (before: "Field elements must be 2- or 3-tuples")
    assert leaf().type_as(ad.zeros(1, dtype=ad.float32)).dtype == np.float32


# ----------------------------------------------------------------------------------------------------
# Gradients assigned by hand or by hooks
# ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("new, error, match", [
    ([[1.0, 1.0], [1.0, 1.0]], TypeError, "assigned grad expected to be a Tensor or None but got grad of type list"),
    ("abc", TypeError, "assigned grad expected to be a Tensor or None but got grad of type str"),
    (np.ones((2, 2), int), RuntimeError, r"assigned grad has data of a different type \(int64; the tensor is float64"),
    (np.ones((2, 2), np.float32), RuntimeError, "assigned grad has data of a different type"),
    (np.ones(3), RuntimeError, r"assigned grad has shape \(3,\), different from the tensor's shape \(2, 2\)"),
])
def test_assigning_grad_refuses_what_pytorch_refuses(new, error, match):
    x = leaf()
    with pytest.raises(error, match=match):
        x.grad = new
    assert x.grad is None


def test_an_assigned_grad_of_the_right_kind_accumulates():
    x = leaf()
    x.grad = ad.ones(2, 2)
    (x * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.full((2, 2), 3.0))


@pytest.mark.parametrize("returns, error, match", [
    (lambda g: [[1.0, 1.0], [1.0, 1.0]], TypeError, "hook '<lambda>' returned a list; a hook returns a Tensor"),
    (lambda g: "s", TypeError, "hook '<lambda>' returned a str"),
    (lambda g: 2.0, TypeError, "hook '<lambda>' returned a float"),
    (lambda g: np.ones((2, 2), int), RuntimeError, r"hook '<lambda>' has changed the type of value \(was float64 got "
                                                   r"int64\)"),
    (lambda g: g.to(ad.float32), RuntimeError, "has changed the type of value"),
])
@pytest.mark.parametrize("on", ["leaf", "non-leaf"])
def test_a_hook_returning_no_gradient_is_refused_never_taken_as_one(returns, error, match, on):
    x = leaf()
    target = x if on == "leaf" else x * 3
    target.register_hook(returns)
    with pytest.raises(error, match=match):
        (target * 2).sum().backward()


def test_a_hook_returning_an_array_of_the_gradients_kind_replaces_it():
    x = leaf()
    x.register_hook(lambda g: np.full((2, 2), 5.0))
    (x * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.full((2, 2), 5.0))


# ----------------------------------------------------------------------------------------------------
# Grad modes
# ----------------------------------------------------------------------------------------------------

def test_inference_mode_takes_a_bool_and_decorates_without_parentheses():
    with pytest.raises(TypeError, match="inference_mode: mode must be a bool, got str"):
        ad.inference_mode("no")  # (before: "no" was True)

    @ad.inference_mode
    def double(x):  # (before: returned an inference_mode object instead of the function)
        return x * 2

    x = leaf()
    assert not double(x).requires_grad and double(x).tolist() == [[2.0, 4.0], [6.0, 8.0]]
    assert ad.is_grad_enabled() and (x * 2).requires_grad
    with ad.inference_mode(False):
        assert (x * 2).requires_grad


# ----------------------------------------------------------------------------------------------------
# SGD
# ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("call, error, match", [
    (lambda w: ad.optim.SGD([w], lr="0.1"), TypeError, "SGD: lr must be a number, got str"),
    (lambda w: ad.optim.SGD([w], lr=None), TypeError, "SGD: lr must be a number, got NoneType"),
    (lambda w: ad.optim.SGD([w], lr=float("nan")), ValueError, "Invalid learning rate: nan"),
    (lambda w: ad.optim.SGD([w], lr=float("inf")), ValueError, "Invalid learning rate: inf"),
    (lambda w: ad.optim.SGD([w], lr=np.array([0.1, 0.2])), TypeError, "SGD: lr must be a number, got ndarray"),
    (lambda w: ad.optim.SGD([w], momentum=float("nan")), ValueError, "Invalid momentum value: nan"),
    (lambda w: ad.optim.SGD([w], weight_decay=-1.0), ValueError, "Invalid weight_decay value: -1.0"),
    (lambda w: ad.optim.SGD(None), TypeError, "params argument given to the optimizer should be an iterable of "
                                              "Tensors or dicts, but got NoneType"),
    (lambda w: ad.optim.SGD(3), TypeError, "should be an iterable of Tensors or dicts, but got int"),
    (lambda w: ad.optim.SGD([w, w], lr=0.1), ValueError, r"SGD: params\[1\] appears twice"),
    (lambda w: ad.optim.SGD([{"params": [w]}, {"params": [w]}], lr=0.1), ValueError, "appears twice"),
    (lambda w: ad.optim.SGD([{"lr": 0.1}]), ValueError, "SGD: parameter group 0 has no 'params'"),
    (lambda w: ad.optim.SGD([{"params": [w], "lr": -1}]), ValueError, "Invalid learning rate: -1"),
    (lambda w: ad.optim.SGD([{"params": [w], "lr": "x"}]), TypeError, "SGD: lr must be a number, got str"),
    (lambda w: ad.optim.SGD([{"params": [w]}, w], lr=0.1), TypeError, "params mixes parameter groups"),
    (lambda w: ad.optim.SGD([{"params": [w], "nesterov": True}]), ValueError, "Nesterov momentum requires"),
    (lambda w: ad.optim.SGD([w], lr=0.1).step(closure=3), TypeError, "step: closure must be a function"),
])
def test_sgd_names_bad_options_and_parameters(call, error, match):
    with pytest.raises(error, match=match):
        call(ad.tensor([1.0, 2.0], requires_grad=True))


def test_a_parameter_listed_once_steps_once_and_a_tensor_alone_is_a_group():
    w = ad.tensor([1.0, 2.0], requires_grad=True)
    opt = ad.optim.SGD([{"params": w}], lr=0.5)  # (before: iterated over w's elements: "non-leaf Tensor")
    (w * w).sum().backward()
    opt.step()
    np.testing.assert_allclose(w.data, [0.0, 0.0])  # w - 0.5 * 2w, once
    assert ad.optim.SGD([w], lr=ad.tensor(0.1)).param_groups[0]["lr"].item() == pytest.approx(0.1)


# ----------------------------------------------------------------------------------------------------
# linearize
# ----------------------------------------------------------------------------------------------------

def test_linearize_names_what_is_wrong():
    with pytest.raises(TypeError, match="linearize: f must be callable, got NoneType"):
        ad.linearize(None, np.ones(2))
    with pytest.raises(TypeError, match=r"linearize: f must return a real array, but it returned None"):
        ad.linearize(lambda x: None, np.ones(2))  # (before: (None, f_jvp), the error only at the first f_jvp)
    with pytest.raises(TypeError, match="linearize: f must return a real array, but it returned a str"):
        ad.linearize(lambda x: "s", np.ones(2))
    y, f_jvp = ad.linearize(anp.sin, [0.0, 1.0])
    np.testing.assert_allclose(f_jvp([1.0, 1.0]), np.cos([0.0, 1.0]))


def test_linearize_inside_grad_keeps_the_outer_derivative():
    # (before: the primal was copied with np.array, which refuses a traced value)
    g = ad.grad(lambda a: anp.sum(ad.linearize(anp.sin, a)[0]))(np.array([0.5, 1.0]))
    np.testing.assert_allclose(g, np.cos([0.5, 1.0]))


def test_grad_mode_blocks_decorate_without_parentheses_and_flags_are_bools():
    @ad.no_grad
    def double(x):  # (before: TypeError, no_grad() takes no arguments)
        return x * 2

    @ad.enable_grad
    def triple(x):
        return x * 3

    x = leaf()
    assert not double(x).requires_grad and double(x).tolist() == [[2.0, 4.0], [6.0, 8.0]]
    with ad.no_grad():
        assert triple(x).requires_grad
    assert ad.is_grad_enabled()
    with pytest.raises(TypeError, match="takes no arguments"):
        ad.no_grad(3)
    with pytest.raises(TypeError, match="requires_grad must be a bool, not str"):
        x.requires_grad_("no")  # (before: "no" was True)
    assert not x.detach().requires_grad_(np.bool_(False)).requires_grad
