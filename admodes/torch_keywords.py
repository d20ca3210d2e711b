"""PyTorch's keywords, read once for every Tensor method and constructor: ``dim``/``keepdim`` become NumPy's
``axis``/``keepdims``, ``device`` must be the CPU, and the keywords admodes cannot honour are refused by name.

A keyword that would change what a call means is never dropped in silence: ``out=`` (admodes returns new
tensors), ``device='cuda'`` (admodes runs on NumPy), ``memory_format=``, ``pin_memory=True``, ...

    >>> numpy_keywords("sum", {"dim": 1, "keepdim": True})
    {'axis': 1, 'keepdims': True}
    >>> numpy_keywords("sum", {"dim": 1, "axis": 1})
    Traceback (most recent call last):
    ...
    TypeError: sum() got both dim= (PyTorch's name) and axis= (NumPy's name); give one of them
"""

from __future__ import annotations

# PyTorch's name -> NumPy's name, for every method and function.
RENAMED = {"dim": "axis", "keepdim": "keepdims"}

# Keywords admodes cannot honour: what to do instead. The harmless value (None, False) is accepted.
UNSUPPORTED = {
    "out": "admodes returns a new Tensor; assign the result instead (y = x.exp())",
    "memory_format": "admodes tensors are NumPy arrays in C order; drop memory_format=",
    "layout": "admodes tensors are dense (strided) NumPy arrays; drop layout=",
    "pin_memory": "admodes runs on NumPy, CPU only; drop pin_memory=",
    "non_blocking": "admodes runs on NumPy, CPU only; drop non_blocking=",
    "generator": "seed admodes' generator with admodes.manual_seed(seed) instead",
    "names": "admodes has no named tensors; drop names=",
}


def check_device(who, device):
    """Accept the CPU (``None``, ``'cpu'``, ``'cpu:0'``); refuse any other device with what to do.

    >>> check_device("zeros", "cuda")
    Traceback (most recent call last):
    ...
    ValueError: zeros(): device='cuda' is not available: admodes runs on NumPy, CPU only (use device='cpu' or omit it)
    """
    name = getattr(device, "type", device)  # a torch.device has .type
    if name is None or str(name).split(":")[0] == "cpu":
        return
    raise ValueError(f"{who}(): device={str(device)!r} is not available: admodes runs on NumPy, CPU only "
                     "(use device='cpu' or omit it)")


def refuse_unsupported(who, kwargs):
    """Raise a TypeError naming the first keyword of `UNSUPPORTED` given a value other than None/False;
    check and remove ``device``. Returns the other keywords (a new dict)."""
    rest = dict(kwargs)
    if "device" in rest:
        check_device(who, rest.pop("device"))
    for key, advice in UNSUPPORTED.items():
        if key in rest:
            given = rest.pop(key)
            if given is not None and given is not False:
                raise TypeError(f"{who}() does not support the keyword {key}= in admodes: {advice}")
    return rest


def numpy_keywords(who, kwargs, renames=None):
    """``kwargs`` with PyTorch's names translated to NumPy's (``RENAMED``, then the op's own ``renames``)
    and the unsupported ones refused. Giving both names of one keyword is a TypeError."""
    out = {}
    for key, val in refuse_unsupported(who, kwargs).items():
        target = (renames or {}).get(key) or RENAMED.get(key, key)
        if target in out or (target != key and target in kwargs):
            raise TypeError(f"{who}() got both {key}= (PyTorch's name) and {target}= (NumPy's name); give one "
                            "of them")
        out[target] = val
    return out
