"""Jacobians batched by default (issue 20): `jacfwd`, `jacrev` and `hessian` push their directions through
batched sweeps in chunks (``chunk_size``, automatic by default); ``batch=False`` keeps one sweep per
direction. The two give the same Jacobians and the same errors, and a function that reads the plain value
of a tangent or cotangent falls back to the per-direction sweeps.
"""

import numpy as np
import pytest

import admodes as ad
import admodes.numpy as anp
from admodes.transforms import batched as batched_module
from admodes.transforms.batched import automatic_chunk_size, batched_jacfwd, batched_jacrev, reads_batched_values

from .test_function import Exp

RNG = np.random.default_rng(20)
A = RNG.standard_normal((4, 3))
X = RNG.uniform(0.5, 1.5, 3)
W = RNG.uniform(0.5, 1.5, (2, 2))

FUNCTIONS = {
    "tanh(A x)": (lambda x: anp.tanh(A @ x), X),
    "matrix in, scalar out": (lambda w: anp.sum(anp.exp(w) * w[::-1]), W),
    "matrix out": (lambda x: anp.outer(anp.sin(x), x), X),
    "constant": (lambda x: np.ones(2), X),
    "0-d": (lambda x: x ** 3, np.array(2.0)),
}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
@pytest.mark.parametrize("kind", ["jacfwd", "jacrev"])
def test_every_chunk_size_gives_the_per_direction_jacobian(kind, name):
    f, x = FUNCTIONS[name]
    transform = getattr(ad, kind)
    expected = transform(f, batch=False)(x)
    for chunk_size in (None, 1, 2, 5):
        got = transform(f, chunk_size=chunk_size)(x)
        assert got.shape == expected.shape and got.dtype == expected.dtype
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14, err_msg=f"chunk_size={chunk_size}")
    np.testing.assert_allclose(transform(f, batch=2)(x), expected, rtol=1e-12, atol=1e-14)  # batch=k: chunks of k


def test_hessian_batched_equals_per_direction_for_a_matrix_argument():
    f = lambda x, w: anp.sum(anp.sin(x[:2]) * (w @ x[:2])) + anp.sum(w ** 3 * anp.exp(w[::-1]))  # noqa: E731
    expected = ad.hessian(f, argnums=1, batch=False)(X, W)
    assert expected.shape == (2, 2, 2, 2)
    for chunk_size in (None, 1, 3):
        np.testing.assert_allclose(ad.hessian(f, argnums=1, chunk_size=chunk_size)(X, W), expected,
                                   rtol=1e-12, atol=1e-14)


class _CountedIdentity(ad.Function):
    """x itself, counting how often its rules run: once per sweep, whatever the sweep carries."""

    rules_run = 0

    @staticmethod
    def forward(ctx, x):
        return x * 1.0

    @staticmethod
    def backward(ctx, g):
        _CountedIdentity.rules_run += 1
        return g * 1.0

    @staticmethod
    def jvp(ctx, t):
        _CountedIdentity.rules_run += 1
        return t * 1.0


def _sweeps(jacobian):
    _CountedIdentity.rules_run = 0
    jacobian(X)
    return _CountedIdentity.rules_run


def test_the_default_takes_one_sweep_and_batch_false_one_per_direction():
    f = lambda x: anp.tanh(A @ _CountedIdentity.apply(x))  # noqa: E731
    for transform, directions in ((ad.jacfwd, 3), (ad.jacrev, 4)):
        assert _sweeps(transform(f)) == 1
        assert _sweeps(transform(f, batch=False)) == directions
        assert _sweeps(transform(f, chunk_size=2)) == 2
        assert _sweeps(transform(f, chunk_size=1)) == directions
        np.testing.assert_allclose(transform(f)(X), transform(f, batch=False)(X), rtol=1e-14)


def test_automatic_chunks_follow_the_memory_budget(monkeypatch):
    assert automatic_chunk_size(1000, 8 * 1000, 8 * 1000 * 10) == 1000
    assert automatic_chunk_size(10**6, 8 * 10**6, 8 * 10**6) == 4
    assert automatic_chunk_size(5, 10**12) == 1  # never fewer than one direction
    # a budget of 64 bytes: one direction of tanh(A x) (4 outputs of 8 bytes) is 32 bytes, so 2 per sweep
    monkeypatch.setattr(batched_module, "CHUNK_BUDGET_BYTES", 64)
    monkeypatch.setattr(batched_module, "CHUNK_JACOBIAN_FACTOR", 0)
    f = FUNCTIONS["tanh(A x)"][0]
    with ad.count_ops() as counts:
        jac = ad.jacrev(f)(X)
    assert counts.calls["matmul"] == 1 + 2  # the forward pass, then two sweeps of two rows
    np.testing.assert_allclose(jac, ad.jacrev(f, batch=False)(X), rtol=1e-12)
    with ad.count_ops() as counts:
        jac = ad.jacfwd(f)(X)
    # the first chunk is sized by the input alone (3 x 8 bytes: 2 directions), the rest by the output too
    assert counts.calls["matmul"] == 2 * 2
    np.testing.assert_allclose(jac, ad.jacfwd(f, batch=False)(X), rtol=1e-12)


# ---- every error of the per-direction path, on the batched path ------------------------------------

class _Boom(Exception):
    pass


def _raises_inside(x):
    raise _Boom("f's own error")


BAD = {
    "argnums out of range": (lambda x: x * 1.0, dict(argnums=3), (X,)),
    "duplicate argnums": (lambda x, y: x * y, dict(argnums=(0, 0)), (X, X)),
    "integer input": (lambda x: x * 1.0, {}, (np.arange(3),)),
    "string input": (lambda x: x * 1.0, {}, ("x",)),
    "returns None": (lambda x: None, {}, (X,)),
    "returns a dict": (lambda x: {"y": x}, {}, (X,)),
    "returns a str": (lambda x: "loss", {}, (X,)),
    "f raises": (_raises_inside, {}, (X,)),
    "singular solve": (lambda x: anp.linalg.solve(np.zeros((3, 3)), x), {}, (X,)),
    "shape mismatch": (lambda x: x + np.ones(4), {}, (X,)),
    "control flow on a batched vmap value": (lambda x: x if ad.vmap(lambda v: v)(x[None]) else x, {}, (X,)),
}


def _error_of(call):
    try:
        call()
    except Exception as err:  # noqa: BLE001 - the test compares whatever is raised
        return type(err), str(err)
    return None


@pytest.mark.parametrize("case", sorted(BAD))
@pytest.mark.parametrize("kind", ["jacfwd", "jacrev", "hessian"])
def test_the_batched_default_raises_every_error_of_the_per_direction_path(kind, case):
    f, kwargs, args = BAD[case]
    transform = getattr(ad, kind)
    per_direction = _error_of(lambda: transform(f, batch=False, **kwargs)(*args))
    assert per_direction is not None, "a bad case that raises nothing tests nothing"
    assert _error_of(lambda: transform(f, **kwargs)(*args)) == per_direction
    assert _error_of(lambda: transform(f, chunk_size=1, **kwargs)(*args)) == per_direction


@pytest.mark.parametrize("kind", ["jacfwd", "jacrev"])
@pytest.mark.parametrize("chunk_size", [0, -1, 1.5, "2", True])
def test_a_bad_chunk_size_is_refused_naming_it(kind, chunk_size):
    with pytest.raises(ValueError, match=rf"{kind}: chunk_size must be a positive int"):
        getattr(ad, kind)(lambda x: x, chunk_size=chunk_size)


@pytest.mark.parametrize("kind", ["jacfwd", "jacrev"])
def test_chunk_size_with_batch_false_or_twice_is_refused(kind):
    with pytest.raises(ValueError, match=rf"{kind}: chunk_size=2 needs batch=True"):
        getattr(ad, kind)(lambda x: x, batch=False, chunk_size=2)
    with pytest.raises(ValueError, match=rf"{kind}: give the directions per sweep once"):
        getattr(ad, kind)(lambda x: x, batch=3, chunk_size=2)


# ---- code written for one direction at a time: the per-direction sweeps take over -------------------

class _NumpyRules(Exp):
    """The custom Exp with rules that call NumPy on the tangent and cotangent: one direction at a time only."""

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return np.asarray(g) * y

    @staticmethod
    def jvp(ctx, t):
        (y,) = ctx.saved_tensors
        return np.asarray(t) * y


@pytest.mark.parametrize("kind", ["jacfwd", "jacrev"])
def test_a_function_reading_plain_tangents_falls_back_to_one_sweep_per_direction(kind):
    f = lambda x: _NumpyRules.apply(x) * 2.0  # noqa: E731
    jac = getattr(ad, kind)(f)(X)
    np.testing.assert_allclose(jac, np.diag(2.0 * np.exp(X)), rtol=1e-14)
    with pytest.raises(TypeError, match="NumPy tried to turn a Batched into a plain array") as err:  # the batched sweep
        {"jacfwd": batched_jacfwd, "jacrev": batched_jacrev}[kind](f)(X)
    assert reads_batched_values(err.value)


def test_a_type_error_of_f_itself_is_raised_at_once_not_retried():
    calls = []

    def f(x):
        calls.append(1)
        raise TypeError("f's own type error")
    for transform in (ad.jacfwd, ad.jacrev):
        calls.clear()
        with pytest.raises(TypeError, match="f's own type error"):
            transform(f)(X)
        assert len(calls) == 1
