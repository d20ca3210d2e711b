"""Regression tests of the engines' defects found by using admodes as a user would (issue 13).

Each test failed on the code before its fix; the siblings found for each defect class are tested beside it.
"""

import numpy as np
import pytest

import admodes as ad
import admodes.numpy as anp

X = np.array([1.0, 2.0])
Y = np.array([3.0, 4.0])


# ----------------------------------------------------------------------------------------------------
# 1. Duplicate argnums: refused by every transform taking argnums, in both modes (PyTorch's torch.func
#    refuses them; JAX has no meaning for them), never an internal object or a zero gradient.
# ----------------------------------------------------------------------------------------------------

_TRANSFORMS_WITH_ARGNUMS = {
    "grad": lambda f, nums: ad.grad(lambda a, b: anp.sum(f(a, b)), argnums=nums),
    "grad-forward": lambda f, nums: ad.grad(lambda a, b: anp.sum(f(a, b)), argnums=nums, mode="forward"),
    "value_and_grad": lambda f, nums: ad.value_and_grad(lambda a, b: anp.sum(f(a, b)), argnums=nums),
    "value_and_grad-forward": lambda f, nums: ad.value_and_grad(lambda a, b: anp.sum(f(a, b)), argnums=nums,
                                                                mode="forward"),
    "jacrev": lambda f, nums: ad.jacrev(f, argnums=nums),
    "jacrev-batch": lambda f, nums: ad.jacrev(f, argnums=nums, batch=True),
    "jacfwd": lambda f, nums: ad.jacfwd(f, argnums=nums),
    "jacfwd-batch": lambda f, nums: ad.jacfwd(f, argnums=nums, batch=True),
    "hessian": lambda f, nums: ad.hessian(lambda a, b: anp.sum(f(a, b)), argnums=nums),
}


@pytest.mark.parametrize("nums", [(0, 1, 0), (1, 1), (0, -2)])
@pytest.mark.parametrize("transform", sorted(_TRANSFORMS_WITH_ARGNUMS))
def test_duplicate_argnums_are_refused_naming_argnums(transform, nums):
    differentiated = _TRANSFORMS_WITH_ARGNUMS[transform](lambda a, b: a * b * b, nums)
    with pytest.raises(ValueError, match=r"argnums .* names argument \d more than once"):
        differentiated(X, Y)


@pytest.mark.parametrize("transform", sorted(set(_TRANSFORMS_WITH_ARGNUMS) - {"hessian"}))
def test_distinct_argnums_still_give_each_argument_its_derivative(transform):
    out = _TRANSFORMS_WITH_ARGNUMS[transform](lambda a, b: a * b * b, (1, 0))(X, Y)
    out = out[1] if transform.startswith("value_and_grad") else out
    expected_b, expected_a = 2 * X * Y, Y * Y  # d/db sum(a b^2), d/da sum(a b^2)
    if transform.startswith("jac"):
        expected_b, expected_a = np.diag(expected_b), np.diag(expected_a)
    np.testing.assert_allclose(out[0], expected_b)
    np.testing.assert_allclose(out[1], expected_a)
