"""How the classroom tools write numbers, tangents, adjoints and partial derivatives.

The textbooks write the tangent of v as v-dot and its adjoint as v-bar. The same trace is shown in
three places, each with its own way of putting a dot or a bar on a name: a terminal or Markdown
(Unicode combining marks), a terminal that cannot print them (ASCII) and a picture (Unicode with
subscript digits: matplotlib draws combining marks well, and plain text lays out far faster than
mathtext).

    >>> UNICODE.dot("a"), UNICODE.bar("w"), ASCII.bar("w"), PICTURE.dot("v1")
    ('ȧ', 'w̄', 'bar(w)', 'v̇₁')
    >>> fmt(2.0), fmt(1 / 3), fmt(np.array([1.0, 2.5]))
    ('2', '0.3333', '[1, 2.5]')
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np

__all__ = ["Notation", "UNICODE", "ASCII", "PICTURE", "fmt", "width"]


def fmt(x, digits=4):
    """A short, readable form of a value: 4 significant digits, small arrays in full, big ones cut.

    >>> fmt(np.float64(6.0)), fmt(-0.0), fmt(np.arange(10.0))
    ('6', '0', '[0, 1, 2, …, 9] (shape (10,))')
    """
    if x is None:
        return "0"
    arr = np.asarray(x)
    if arr.size == 1:
        return _number(arr.reshape(()).item(), digits)
    if arr.size <= 6:
        return _nested(arr, digits)
    flat = arr.ravel()
    head = ", ".join(_number(v, digits) for v in flat[:3].tolist())
    return f"[{head}, …, {_number(flat[-1].item(), digits)}] (shape {arr.shape})"


def _number(v, digits):
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    text = f"{float(v):.{digits}g}"
    return "0" if text == "-0" else text


def _nested(arr, digits):
    if arr.ndim == 0:
        return _number(arr.item(), digits)
    return "[" + ", ".join(_nested(a, digits) for a in arr) + "]"


def width(text):
    """The number of terminal columns ``text`` takes: combining marks take none.

    >>> width("w̄ = 5"), len("w̄ = 5")
    (5, 6)
    """
    return sum(0 if unicodedata.combining(c) else 1 for c in text)


class Notation:
    """One way of writing v-dot, v-bar, partial derivatives and products.

    >>> n = Notation("unicode")
    >>> n.partial("y", "a"), n.times
    ('∂y/∂a', '·')
    """

    def __init__(self, style):
        if style not in ("unicode", "ascii", "picture"):
            raise ValueError(f"notation style must be 'unicode', 'ascii' or 'picture', got {style!r}")
        self.style = style
        self.times = "*" if style == "ascii" else "·"

    def name(self, name):
        """A variable's name as written in this notation (in pictures ``v1`` is v with a subscript 1)."""
        if self.style == "picture":
            m = re.fullmatch(r"([A-Za-z]+)(\d+)", name)
            if m:
                return m.group(1) + m.group(2).translate(_SUBSCRIPTS)
        return name

    def dot(self, name):
        """The tangent of ``name`` (forward sweep)."""
        return self._mark(name, "\u0307", "dot")

    def bar(self, name):
        """The adjoint of ``name`` (reverse sweep)."""
        return self._mark(name, "\u0304", "bar")

    def partial(self, out, inp):
        """The local partial derivative of ``out`` with respect to its input ``inp``."""
        if self.style == "ascii":
            return f"d{out}/d{inp}"
        return f"∂{self.name(out)}/∂{self.name(inp)}"

    def _mark(self, name, combining, word):
        if self.style == "ascii":
            return f"{word}({name})"
        name = self.name(name)  # the mark goes on the first letter: ȧ, ẇ, v̇1
        return unicodedata.normalize("NFC", name[:1] + combining) + name[1:]

    def __repr__(self):
        return f"Notation({self.style!r})"


_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")

UNICODE = Notation("unicode")
ASCII = Notation("ascii")
PICTURE = Notation("picture")
