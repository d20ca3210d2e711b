"""Shared benchmark workloads, written with ``admodes.numpy`` so that every mode runs the same code.

Called with plain NumPy arrays they are plain NumPy functions (the op library's fast path); called with
`Dual`s or `Tensor`s they are differentiated. Each workload comes with a function that makes its inputs,
deterministically from a seed, in float64 or float32.

- `rosenbrock`: the extended Rosenbrock function, ``sum(100 (x[1:] - x[:-1]^2)^2 + (1 - x[:-1])^2)``;
  elementwise work on n-element arrays, a handful of ops.
- `mlp_loss`: a 2-layer perceptron on a batch (64 x 784 inputs, 784 x 256 and 256 x 10 weights, tanh, then
  softmax cross-entropy or mean squared loss); two matrix products dominate.
  `mlp_loss_flat` takes all parameters as one flat vector, for transforms of a single argument.

    >>> import numpy as np
    >>> float(rosenbrock(np.ones(5)))                 # the minimum, at x = 1
    0.0
    >>> p = mlp_problem(batch=4, n_in=6, n_hidden=5, n_out=3)
    >>> round(float(mlp_loss(p.W1, p.b1, p.W2, p.b2, p.X, p.Y)), 4) > 0
    True
"""

from __future__ import annotations

import tracemalloc
from typing import NamedTuple

import numpy as np

import admodes.numpy as anp

__all__ = ["rosenbrock", "rosenbrock_point", "MLPProblem", "mlp_problem", "mlp_loss", "mlp_loss_flat", "LOSSES",
           "sin_mul_add_chain", "tape_bytes_per_step_per_element"]


# ---- Rosenbrock --------------------------------------------------------------------------------------

def rosenbrock(x):
    """The extended Rosenbrock function of a vector ``x`` (n >= 2): zero at x = 1, its minimum.

    >>> float(rosenbrock(np.array([0.0, 0.0])))       # (1 - 0)^2
    1.0
    """
    head, tail = x[:-1], x[1:]
    return anp.sum(100.0 * (tail - head * head) ** 2 + (1.0 - head) ** 2)


def rosenbrock_point(n, dtype=np.float64, seed=0):
    """A reproducible point at which to evaluate `rosenbrock`: n values uniform in [-2, 2).

    >>> rosenbrock_point(3, np.float32).dtype
    dtype('float32')
    """
    return np.random.default_rng(seed).uniform(-2.0, 2.0, n).astype(dtype)


# ---- a 2-layer perceptron's loss ---------------------------------------------------------------------

LOSSES = ("cross_entropy", "mse")


class MLPProblem(NamedTuple):
    """The parameters and one batch of data of the 2-layer perceptron (see `mlp_problem`)."""

    W1: np.ndarray  # (n_in, n_hidden)
    b1: np.ndarray  # (n_hidden,)
    W2: np.ndarray  # (n_hidden, n_out)
    b2: np.ndarray  # (n_out,)
    X: np.ndarray   # (batch, n_in) inputs
    Y: np.ndarray   # (batch, n_out) one-hot labels

    @property
    def params(self):
        """The four parameter arrays, in `mlp_loss`'s order."""
        return (self.W1, self.b1, self.W2, self.b2)

    @property
    def theta(self):
        """All parameters as one flat vector, in the order `mlp_loss_flat` unpacks them."""
        return np.concatenate([p.ravel() for p in self.params])

    @property
    def shapes(self):
        """The parameters' shapes, for `mlp_loss_flat`."""
        return tuple(p.shape for p in self.params)


def mlp_problem(batch=64, n_in=784, n_hidden=256, n_out=10, dtype=np.float64, seed=0):
    """Parameters (scaled like Glorot's initialisation) and a random batch with one-hot labels.

    >>> p = mlp_problem()
    >>> p.X.shape, p.W1.shape, p.W2.shape, p.Y.shape
    ((64, 784), (784, 256), (256, 10), (64, 10))
    """
    rng = np.random.default_rng(seed)
    W1 = rng.normal(0.0, np.sqrt(2.0 / (n_in + n_hidden)), (n_in, n_hidden))
    b1 = rng.normal(0.0, 0.1, n_hidden)
    W2 = rng.normal(0.0, np.sqrt(2.0 / (n_hidden + n_out)), (n_hidden, n_out))
    b2 = rng.normal(0.0, 0.1, n_out)
    X = rng.uniform(0.0, 1.0, (batch, n_in))
    Y = np.eye(n_out)[rng.integers(0, n_out, batch)]
    return MLPProblem(*(a.astype(dtype) for a in (W1, b1, W2, b2, X, Y)))


def mlp_loss(W1, b1, W2, b2, X, Y, loss="cross_entropy"):
    """The mean loss of the perceptron ``tanh(X W1 + b1) W2 + b2`` on the batch ``(X, Y)``.

    ``loss="cross_entropy"``: softmax cross-entropy against the one-hot ``Y`` (computed stably, with
    logsumexp); ``loss="mse"``: the mean squared error of the outputs against ``Y``.

    >>> p = mlp_problem(batch=2, n_in=3, n_hidden=4, n_out=2)
    >>> float(mlp_loss(p.W1, p.b1, p.W2, p.b2, p.X, p.Y, loss="mse")) > 0
    True
    """
    hidden = anp.tanh(X @ W1 + b1)
    out = hidden @ W2 + b2
    if loss == "cross_entropy":
        log_probs = out - anp.logsumexp(out, axis=1, keepdims=True)
        return -anp.mean(anp.sum(Y * log_probs, axis=1))
    if loss == "mse":
        return anp.mean((out - Y) ** 2)
    raise ValueError(f"mlp_loss: loss must be one of {LOSSES}, got {loss!r}")


def mlp_loss_flat(theta, X, Y, shapes, loss="cross_entropy"):
    """`mlp_loss` with its four parameters packed in one flat vector ``theta`` (see `MLPProblem.theta`).

    >>> p = mlp_problem(batch=2, n_in=3, n_hidden=4, n_out=2)
    >>> bool(np.isclose(mlp_loss_flat(p.theta, p.X, p.Y, p.shapes), mlp_loss(*p.params, p.X, p.Y)))
    True
    """
    params, start = [], 0
    for shape in shapes:
        size = int(np.prod(shape))
        params.append(anp.reshape(theta[start:start + size], shape))
        start += size
    return mlp_loss(*params, X, Y, loss=loss)


# ---- the tape-memory chain ---------------------------------------------------------------------------

def sin_mul_add_chain(y, steps, sin=anp.sin):
    """``y = sin(y) * 1.0001 + 0.1``, ``steps`` times (3 primitives a step), with any library's ``sin``.

    >>> float(sin_mul_add_chain(np.array(0.0), 1))
    0.1
    """
    for _ in range(steps):
        y = sin(y) * 1.0001 + 0.1
    return y


def tape_bytes_per_step_per_element(start, sin=anp.sin, n=10**5, short=20, long=120):
    """The memory a library's tape keeps per step of `sin_mul_add_chain`, per element of its input.

    ``start(x)`` turns a plain array into the library's traced input (and may open what it needs); the peak
    memory (tracemalloc, which sees NumPy's buffers) of a long chain minus a short one, per step and element.

    >>> import admodes as ad
    >>> round(tape_bytes_per_step_per_element(lambda x: ad.tensor(x, requires_grad=True), n=10**4))  # the floor
    8
    """
    def peak(steps):
        x = start(np.linspace(-1.0, 1.0, n))
        tracemalloc.start()
        tracemalloc.reset_peak()
        try:
            y = sin_mul_add_chain(x, steps, sin)
            _, top = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        del y
        return top
    return (peak(long) - peak(short)) / (long - short) / n
