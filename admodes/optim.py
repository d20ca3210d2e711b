"""``admodes.optim.SGD``: stochastic gradient descent with momentum, as ``torch.optim.SGD``, for the classic loop.

    >>> import admodes as ad
    >>> w = ad.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = ad.optim.SGD([w], lr=0.1, momentum=0.9)
    >>> for _ in range(3):
    ...     opt.zero_grad()
    ...     loss = (w * w).sum()
    ...     loss.backward()
    ...     opt.step()
    >>> bool((w * w).sum().item() < 5.0)
    True

The update of each parameter ``p`` with gradient ``g`` (PyTorch's, step for step):
``g += weight_decay * p``; with momentum, ``buf = momentum * buf + (1 - dampening) * g`` (``buf = g`` at the
first step) and ``g = g + momentum * buf`` (Nesterov) or ``g = buf``; then ``p -= lr * g`` (``+=`` with
``maximize``). Parameters are updated in place, so their version counters move: a graph that saved a
parameter before the step refuses a later backward, as PyTorch's does.
"""

from __future__ import annotations

import numpy as np

from .reverse import Tensor, no_grad

__all__ = ["SGD", "Optimizer"]


class Optimizer:
    """What every optimizer shares: parameter groups, `zero_grad`, the per-parameter ``state``."""

    def __init__(self, params, defaults):
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                            "but got a Tensor (wrap it in a list: [w])")
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        self.defaults, self.param_groups, self.state = defaults, [], {}
        for group in groups:
            unknown = set(group) - set(defaults) - {"params"}
            if unknown:
                raise TypeError(f"{type(self).__name__}: unknown options {sorted(unknown)} in a parameter group")
            group = {**defaults, **group, "params": list(group["params"])}
            for i, p in enumerate(group["params"]):
                if not isinstance(p, Tensor):
                    raise TypeError(f"{type(self).__name__}: params[{i}] is a {type(p).__name__}, not a Tensor")
                if not p.is_leaf:
                    raise ValueError(f"can't optimize a non-leaf Tensor (params[{i}]); use a leaf made with "
                                     "requires_grad=True")
            self.param_groups.append(group)

    def zero_grad(self, set_to_none=True):
        """Forget the parameters' gradients (``.grad = None``, or zeros with ``set_to_none=False``)."""
        for group in self.param_groups:
            for p in group["params"]:
                if p._grad is not None:
                    p.grad = None if set_to_none else p._grad * 0.0


class SGD(Optimizer):
    """``SGD(params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, maximize=False)``.

    ``params``: an iterable of leaf tensors, or of dicts (parameter groups with their own options).
    """

    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False,
                 maximize=False):
        for name, val in (("learning rate", lr), ("momentum value", momentum), ("weight_decay value", weight_decay)):
            if val < 0.0:
                raise ValueError(f"Invalid {name}: {val}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                                      nesterov=nesterov, maximize=maximize))

    def step(self, closure=None):
        """Update every parameter that has a gradient; ``closure()`` (re-evaluating the loss) is called first
        and its value returned, as in PyTorch."""
        loss = None
        if closure is not None:
            from .reverse import enable_grad
            with enable_grad():
                loss = closure()
        with no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    if p._grad is not None:
                        self._update(p, group)
        return loss

    def _update(self, p, group):
        g = np.asarray(p._grad.data, dtype=p.data.dtype)
        if group["weight_decay"]:
            g = g + group["weight_decay"] * p.data
        momentum = group["momentum"]
        if momentum:
            buf = self.state.setdefault(id(p), {}).get("momentum_buffer")
            if buf is None:
                buf = np.array(g, copy=True)
            else:
                buf *= momentum
                buf += (1 - group["dampening"]) * g
            self.state[id(p)]["momentum_buffer"] = buf
            g = g + momentum * buf if group["nesterov"] else buf
        step = group["lr"] * g
        if group["maximize"]:
            p.add_(step)
        else:
            p.sub_(step)
