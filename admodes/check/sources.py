"""Where `check_grad`'s derivatives come from: the AD modes, or the user's own gradient (``grad=``)
or Jacobian (``jac=``). Each gives whole Jacobians or projections u^T J v, and counts its calls."""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np

from .differences import assemble_jacobian
from .report import GradcheckError


class _Source:
    """One way to get derivatives of ``g`` at ``x``: whole Jacobians, or projections u^T J v."""

    def __init__(self, label, x, out_shape):
        self.label, self.x, self.out_shape = label, x, tuple(out_shape)
        self.calls = 0

    def jacobian(self):  # pragma: no cover - each source defines it
        raise NotImplementedError

    def project(self, u, v):  # pragma: no cover - each source defines it
        raise NotImplementedError


class _Mode(_Source):
    """An AD mode differentiating ``g``; what it raises is noted as raised in this source."""

    def __init__(self, label, g, x, out_shape):
        super().__init__(label, x, out_shape)
        self.g = g

    def _noting(self):
        return _noted(f"(raised in {self.label}, called by check_grad)")


class _Forward(_Mode):
    """Forward mode: J v in one sweep, the Jacobian column by column."""

    def jvp(self, v):
        from ..transforms import jvp
        self.calls += 1
        with self._noting():
            tangent = jvp(self.g, (self.x.copy(),), (v,))[1]
        return _plain(tangent, self.out_shape, self.label, "output tangent")

    def jacobian(self):
        columns = [self.jvp(e.reshape(self.x.shape)) for e in np.eye(self.x.size, dtype=self.x.dtype)]
        return assemble_jacobian(columns, self.out_shape, self.x.shape)

    def project(self, u, v):
        return float(np.sum(u * self.jvp(v)))


class _Reverse(_Mode):
    """Reverse mode: u^T J in one sweep (the tape is recorded once), the Jacobian row by row."""

    def __init__(self, label, g, x, out_shape):
        super().__init__(label, g, x, out_shape)
        self._vjp_fn = None

    def vjp(self, u):
        with self._noting():
            if self._vjp_fn is None:
                from ..transforms import vjp
                self._vjp_fn = vjp(self.g, self.x.copy())[1]
            self.calls += 1
            if self._vjp_fn.out_dtype.kind == "f":  # (vjp, like jvp, takes values of its output's dtype)
                u = np.asarray(u, self._vjp_fn.out_dtype)
            cotangent = self._vjp_fn(u)[0]
        return _plain(cotangent, self.x.shape, self.label, "cotangent")

    def jacobian(self):
        size = int(np.prod(self.out_shape))
        rows = [self.vjp(e.reshape(self.out_shape)) for e in np.eye(size, dtype=self.x.dtype)]
        return np.stack(rows).reshape(self.out_shape + self.x.shape)

    def project(self, u, v):
        return float(np.sum(self.vjp(u) * v))


def mode_source(mode, label, g, x, out_shape):
    """The source for AD mode ``mode`` ('forward' or 'reverse') differentiating ``g``."""
    return (_Forward if mode == "forward" else _Reverse)(label, g, x, out_shape)


class _Given(_Source):
    """A hand-written gradient (``grad=``) or Jacobian (``jac=``), called once at the point."""

    def __init__(self, label, matrix, x, out_shape):
        super().__init__(label, x, out_shape)
        self.matrix = matrix

    def jacobian(self):
        return self.matrix

    def project(self, u, v):
        self.calls += 1
        return float(np.sum(u * np.tensordot(self.matrix, v, axes=self.x.ndim)))


@contextmanager
def _noted(note):
    """Let an exception through with a note saying where it was raised (Python 3.11+ shows notes)."""
    try:
        yield
    except Exception as err:
        if hasattr(err, "add_note"):
            err.add_note(note)
        raise


def _plain(value, shape, label, what):
    """An AD result as a plain float array of the expected shape (None is a zero)."""
    arr = np.zeros(shape) if value is None else np.asarray(value, dtype=float)
    if arr.shape != tuple(shape):
        if arr.size == int(np.prod(shape)):
            return arr.reshape(shape)
        raise GradcheckError(f"{label} returned a {what} of shape {arr.shape}; expected shape {tuple(shape)}")
    return arr


def _given_matrix(options, plan, item, n_checked, out_shape):
    """Call the user's ``grad=``/``jac=`` like ``f`` and pick this argument's part, in JAX's layout."""
    label, fn = options.given
    result = fn(*[p.fresh() for p in plan])
    checked = [p.index for p in plan if not p.constant]
    if n_checked > 1:
        if not isinstance(result, (tuple, list)) or len(result) != n_checked:
            raise GradcheckError(f"{label} must return a tuple of {n_checked} arrays, one per checked argument "
                                 f"({', '.join(f'`{p.name}`' for p in plan if not p.constant)}); "
                                 f"got {type(result).__name__}")
        result = result[checked.index(item.index)]
    expected = (item.value.shape if label == "grad=" and int(np.prod(out_shape)) == 1
                else tuple(out_shape) + item.value.shape)
    if label == "grad=" and int(np.prod(out_shape)) != 1:
        raise TypeError(f"check_grad: grad= is for a scalar f, but f returns shape {tuple(out_shape)}: use jac=")
    arr = np.asarray(result, dtype=float)
    if arr.shape != expected:
        raise GradcheckError(f"{label} returned shape {arr.shape} for argument {item.index} `{item.name}` of shape "
                             f"{item.value.shape}; expected {expected}"
                             + (" (is it transposed?)" if arr.shape == expected[::-1] else ""))
    return arr.reshape(tuple(out_shape) + item.value.shape)


def derivative_sources(g, options, plan, item, n_checked, out_shape):
    x = item.value
    found = []
    if options.given is not None:
        label, _ = options.given
        found.append(_Given(label, _given_matrix(options, plan, item, n_checked, out_shape), x, out_shape))
    for mode in options.modes:
        found.append(mode_source(mode, f"{mode} mode", g, x, out_shape))
    return found
