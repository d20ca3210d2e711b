"""User-defined ops: subclass `Function` with a forward, a backward (reverse mode) and a jvp (forward mode).

Each subclass becomes a primitive of its own (not in the op library's registry), so both engines and
every transform use it exactly like a built-in op.

    >>> import numpy as np, admodes as ad
    >>> class Exp(ad.Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         y = np.exp(x)
    ...         ctx.save_for_backward(y)
    ...         return y
    ...     @staticmethod
    ...     def backward(ctx, grad_output):
    ...         (y,) = ctx.saved_tensors
    ...         return grad_output * y
    ...     @staticmethod
    ...     def jvp(ctx, x_tangent):
    ...         (y,) = ctx.saved_tensors
    ...         return x_tangent * y
    >>> x = ad.tensor(1.0, requires_grad=True)
    >>> y = Exp.apply(x); y.grad_fn
    <ExpBackward>
    >>> y.backward(); round(float(x.grad.data), 4)
    2.7183
    >>> round(float(ad.jvp(Exp.apply, (np.array(1.0),), (np.array(1.0),))[1]), 4)
    2.7183
"""

from __future__ import annotations

import numpy as np

from .arraylike import value
from .inputs import returned
from .ops.core import Primitive, Traced, defjoint, shape_of


class FunctionCtx:
    """What a custom `Function`'s forward hands to its backward and jvp.

    ``save_for_backward(*values)`` keeps values; ``saved_tensors`` returns them; ``needs_input_grad``
    tells which inputs want a gradient. Any other attribute may be set freely.
    """

    def __init__(self):
        self._saved = ()
        self._connected = None  # while differentiating the backward itself: value id -> traced value
        self.needs_input_grad = ()

    def save_for_backward(self, *values):
        self._saved = values

    def _release(self):
        """Free the saved values (the backward sweep calls it as it frees the node's own, unless retain_graph)."""
        self._saved = None

    @property
    def saved_tensors(self):
        if self._saved is None:
            raise RuntimeError("trying to backward through the graph a second time (or directly access saved "
                               "tensors after they have already been freed). Saved values are freed after the "
                               "first backward; pass retain_graph=True to it if you need them again.")
        if self._connected is None:
            return self._saved
        # With create_graph=True the backward is itself differentiated: saved inputs and outputs come
        # back as the graph's tensors, so their dependence on the inputs is recorded (as in PyTorch).
        return tuple(self._connected.get(id(v), v) for v in self._saved)


class Function:
    """Base class of user-defined ops (PyTorch's ``torch.autograd.Function``); call them with ``apply``.

    Subclasses define staticmethods ``forward(ctx, *inputs)``, ``backward(ctx, grad_output)`` returning
    one gradient per input (a single value for one input; None for no gradient), and optionally
    ``jvp(ctx, *input_tangents)`` for forward mode.
    """

    _primitive = None

    @staticmethod
    def forward(ctx, *inputs):  # pragma: no cover - subclasses define it
        raise NotImplementedError("a Function subclass must define forward(ctx, *inputs)")

    @staticmethod
    def backward(ctx, grad_output):
        raise NotImplementedError("this Function defines no backward(ctx, grad_output): reverse mode needs it")

    @staticmethod
    def jvp(ctx, *tangents):
        raise NotImplementedError("this Function defines no jvp(ctx, *tangents): forward mode needs it")

    @classmethod
    def apply(cls, *inputs):
        """Run the op on plain arrays, Tensors (recording a ``<Name>Backward`` node) or Duals."""
        prim = cls.__dict__.get("_primitive") or cls._make_primitive()
        ctx = FunctionCtx()
        ctx.needs_input_grad = tuple(bool(getattr(x, "requires_grad", False)) for x in inputs)
        return prim(*inputs, ctx=ctx)

    @classmethod
    def _make_primitive(cls):
        forward = lambda *inputs, ctx: returned(cls.forward(ctx, *inputs), cls.__name__, "forward")  # noqa: E731
        prim = Primitive(cls.__name__, forward, variadic=True,
                         short=cls.__name__, registered=False, impl_takes_traced=True)
        defjoint(prim, jvp=lambda tangents, ans, args, params: _call_jvp(cls, tangents, args, params["ctx"]),
                 vjp=lambda g, ans, args, params, needed: _call_backward(cls, g, ans, args, params["ctx"], needed),
                 saves=("args", "ans"))
        cls._primitive = prim
        return prim


def _call_jvp(cls, tangents, args, ctx):
    filled = [np.zeros(np.shape(value(a)), np.result_type(value(a))) if t is None else t
              for t, a in zip(tangents, args)]
    return cls.jvp(ctx, *filled)


def _call_backward(cls, g, ans, args, ctx, needed):
    if any(isinstance(a, Traced) for a in (*args, ans)):
        ctx._connected = {id(value(a)): a for a in (*args, ans) if isinstance(a, Traced)}
    try:
        grads = cls.backward(ctx, g)
    finally:
        ctx._connected = None
    grads = grads if isinstance(grads, tuple) else (grads,)
    name = f"{cls.__name__}Backward"
    if len(grads) != len(args):
        raise RuntimeError(f"function {name} returned an incorrect number of gradients "
                           f"(expected {len(args)}, got {len(grads)})")
    for i, (gi, a) in enumerate(zip(grads, args)):
        if gi is not None and needed[i] and shape_of(gi) != shape_of(a):
            raise RuntimeError(f"function {name} returned a gradient of shape {shape_of(gi)} for input {i}, "
                               f"whose shape is {shape_of(a)}")
    return tuple(gi if need else None for gi, need in zip(grads, needed))
