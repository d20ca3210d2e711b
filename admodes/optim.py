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

from .arraylike import value
from .reverse import Tensor, no_grad

__all__ = ["SGD", "Optimizer"]


class Optimizer:
    """What every optimizer shares: parameter groups, `zero_grad`, the per-parameter ``state``."""

    def __init__(self, params, defaults):
        who = type(self).__name__
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                            "but got a Tensor (wrap it in a list: [w])")
        if isinstance(params, (str, bytes, dict)) or not hasattr(params, "__iter__"):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                            f"but got {type(params).__name__}")
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if any(isinstance(g, dict) for g in groups) and not all(isinstance(g, dict) for g in groups):
            raise TypeError(f"{who}: params mixes parameter groups (dicts) with tensors; give a list of tensors or a "
                            "list of dicts")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        self.defaults, self.param_groups, self.state = defaults, [], {}
        seen = set()
        for k, group in enumerate(groups):
            if "params" not in group:
                raise ValueError(f"{who}: parameter group {k} has no 'params' (give {{'params': [w, ...], ...}})")
            unknown = set(group) - set(defaults) - {"params"}
            if unknown:
                raise TypeError(f"{who}: unknown options {sorted(unknown)} in a parameter group")
            self.check_options(group)
            members = group["params"]  # (one tensor alone is a group of one, as in PyTorch)
            group = {**defaults, **group, "params": [members] if isinstance(members, Tensor) else list(members)}
            for i, p in enumerate(group["params"]):
                if not isinstance(p, Tensor):
                    raise TypeError(f"{who}: params[{i}] is a {type(p).__name__}, not a Tensor")
                if not p.is_leaf:
                    raise ValueError(f"can't optimize a non-leaf Tensor (params[{i}]); use a leaf made with "
                                     "requires_grad=True")
                if id(p) in seen:  # it would be stepped twice per step() (PyTorch warns; admodes refuses)
                    raise ValueError(f"{who}: params[{i}] appears twice among the parameters; list each parameter "
                                     "once")
                seen.add(id(p))
            self.param_groups.append(group)

    def check_options(self, options):
        """Refuse options that cannot be right (an optimizer's own checks; none here)."""

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
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize)
        self.check_options(defaults)
        super().__init__(params, defaults)

    _NUMBERS = (("lr", "learning rate"), ("momentum", "momentum value"), ("dampening", "dampening value"),
                ("weight_decay", "weight_decay value"))

    def check_options(self, options):
        """PyTorch's checks (a negative rate is invalid), and a number that is not one, or not finite."""
        for key, name in self._NUMBERS:
            if key not in options:
                continue
            val = options[key]
            number = val.item() if isinstance(val, (Tensor, np.ndarray)) and np.size(value(val)) == 1 else val
            if isinstance(number, bool) or not isinstance(number, (int, float, np.integer, np.floating)):
                raise TypeError(f"{type(self).__name__}: {key} must be a number, got {type(val).__name__}")
            if not np.isfinite(number) or (key != "dampening" and number < 0.0):
                raise ValueError(f"Invalid {name}: {number}")
        momentum, dampening = options.get("momentum", 0.0), options.get("dampening", 0.0)
        if options.get("nesterov") and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")

    def step(self, closure=None):
        """Update every parameter that has a gradient; ``closure()`` (re-evaluating the loss) is called first
        and its value returned, as in PyTorch."""
        loss = None
        if closure is not None and not callable(closure):
            raise TypeError(f"step: closure must be a function re-evaluating the loss, got {type(closure).__name__}")
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
