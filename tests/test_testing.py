"""`admodes.testing.assert_grad_close`: check_grad for pytest suites."""

import numpy as np
import pytest

import admodes.numpy as anp
from admodes.check import GradcheckError, GradcheckReport
from admodes.testing import assert_grad_close


def test_passes_and_returns_the_report():
    report = assert_grad_close(lambda x: anp.sum(anp.tanh(x) ** 2), np.array([0.1, -0.7, 2.0]))
    assert isinstance(report, GradcheckReport) and report.passed
    assert report.arguments[0].max_rel_error < 1e-9


def test_fails_as_an_assertion_with_the_checkers_message():
    with pytest.raises(AssertionError) as info:
        assert_grad_close(lambda x: np.sum(x ** 3), np.array([1.0, 2.0]), grad=lambda x: 3 * x)
    assert not isinstance(info.value, GradcheckError)  # a plain test failure, not an error
    message = str(info.value)
    assert message.startswith("grad= gives a wrong derivative of `<lambda>` for argument 0 `x` (shape (2,), float64)")
    assert "--> d f / d x[1]" in message and "abs error 6, rel error 0.5" in message
    assert info.value.report.failures[0][1].source == "grad="


def test_passes_keywords_through():
    report = assert_grad_close(lambda x, y: anp.sum(x * y), np.ones(3), np.arange(3.0), fast=True, argnums=0,
                               modes=("reverse",))
    assert report.fast and report.sources == ("reverse",) and report.arguments[1].constant


def test_bad_input_is_not_turned_into_an_assertion():
    with pytest.raises(TypeError, match="no float argument to differentiate"):
        assert_grad_close(lambda n: n * 2.0, np.array([1, 2]))


def test_a_check_finite_differences_cannot_decide_is_a_failure_not_a_pass():
    with pytest.raises(AssertionError) as info:
        assert_grad_close(lambda x: np.sum(np.sin(x)) + 1e12, np.array([0.1, -0.2]), grad=lambda x: 1.01 * np.cos(x))
    assert str(info.value).startswith("cannot decide whether grad= gives the right derivative of `<lambda>`")
    assert info.value.report.verdict == "cannot decide"
