"""What can be measured of a function ``f`` at ``x``: the computations both modes offer, by name.

Each task turns ``(f, x, rng)`` into a call to time (and, for the backward sweep alone, a ``setup``
that records the tape untimed). The mode says which colour a plot gives it.

=================  =========  ===============================================================
task               mode       what one call does
=================  =========  ===============================================================
``f``              plain      ``f(x)`` on NumPy arrays (the op library's fast path)
``jvp``            forward    one forward sweep: ``jvp(f, (x,), (v,))``
``vjp``            reverse    one reverse sweep: ``vjp(f, x)`` (records the tape) then ``vjp_fn(u)``
``record``         reverse    the forward pass of reverse mode alone: ``vjp(f, x)``
``backward``       reverse    the backward sweep alone: ``vjp_fn(u)`` on a tape recorded beforehand
``grad_forward``   forward    ``grad(f, mode="forward")(x)``: one forward sweep per input
``grad_reverse``   reverse    ``grad(f)(x)``: one reverse sweep
``jacfwd``         forward    ``jacfwd(f, batch=False)(x)``: one forward sweep per input
``jacrev``         reverse    ``jacrev(f, batch=False)(x)``: one reverse sweep per output
``jacfwd_batched`` forward    ``jacfwd(f)(x)``: every input direction in one batched sweep
``jacrev_batched`` reverse    ``jacrev(f)(x)``: every output cotangent in one batched sweep
=================  =========  ===============================================================
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Task", "TASKS", "prepare"]


@dataclass(frozen=True)
class Task:
    """A named computation on ``(f, x)`` and the AD mode it belongs to ("plain", "forward", "reverse").

    >>> TASKS["jvp"].mode, TASKS["backward"].label
    ('forward', 'backward sweep (reverse)')
    """

    name: str
    mode: str
    label: str
    make: object  # (f, x, tangent, cotangent) -> (fn, setup)


def _f(f, x, v, u):
    return (lambda: f(x)), None


def _jvp(f, x, v, u):
    import admodes as ad
    return (lambda: ad.jvp(f, (x,), (v,))), None


def _vjp(f, x, v, u):
    import admodes as ad

    def sweep():
        out, vjp_fn = ad.vjp(f, x)
        return vjp_fn(u)
    return sweep, None


def _record(f, x, v, u):
    import admodes as ad
    return (lambda: ad.vjp(f, x)), None


def _backward(f, x, v, u):
    import admodes as ad
    return (lambda vjp_fn: vjp_fn(u)), (lambda: ad.vjp(f, x)[1])


def _grad_forward(f, x, v, u):
    import admodes as ad
    g = ad.grad(f, mode="forward")
    return (lambda: g(x)), None


def _grad_reverse(f, x, v, u):
    import admodes as ad
    g = ad.grad(f, mode="reverse")
    return (lambda: g(x)), None


def _jacobian(kind, batch):
    def make(f, x, v, u):
        import admodes as ad
        jac = getattr(ad, kind)(f, batch=batch)
        return (lambda: jac(x)), None
    return make


TASKS = {t.name: t for t in [
    Task("f", "plain", "f (plain NumPy)", _f),
    Task("jvp", "forward", "JVP (forward sweep)", _jvp),
    Task("vjp", "reverse", "VJP (reverse sweep)", _vjp),
    Task("record", "reverse", "tape recording (reverse)", _record),
    Task("backward", "reverse", "backward sweep (reverse)", _backward),
    Task("grad_forward", "forward", "gradient, forward mode", _grad_forward),
    Task("grad_reverse", "reverse", "gradient, reverse mode", _grad_reverse),
    Task("jacfwd", "forward", "jacfwd, one sweep per input", _jacobian("jacfwd", False)),
    Task("jacrev", "reverse", "jacrev, one sweep per output", _jacobian("jacrev", False)),
    Task("jacfwd_batched", "forward", "jacfwd, batched", _jacobian("jacfwd", True)),
    Task("jacrev_batched", "reverse", "jacrev, batched", _jacobian("jacrev", True)),
]}
"""Every task, by name."""


def prepare(task, f, x, rng):
    """The call (and setup) measuring ``task`` on ``f`` at ``x``; tangent and cotangent drawn from ``rng``.

    >>> import numpy as np
    >>> fn, setup = prepare("f", lambda x: 2 * x, np.ones(3), np.random.default_rng(0))
    >>> fn(), setup
    (array([2., 2., 2.]), None)
    """
    if task not in TASKS:
        raise KeyError(f"unknown task {task!r}; choose from {', '.join(TASKS)}")
    x = np.asarray(x, dtype=float)
    tangent = rng.standard_normal(x.shape)
    cotangent = None
    if task in ("vjp", "backward"):
        cotangent = rng.standard_normal(np.shape(f(x)))
    return TASKS[task].make(f, x, tangent, cotangent)
