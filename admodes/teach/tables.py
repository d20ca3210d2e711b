"""A trace as tables: the forward sweep in order, the reverse sweep in reverse order, and a summary.

    >>> from admodes.teach import trace
    >>> t = trace(lambda x, w: (x + w) * (w + 1), 2.0, 1.0, wrt="w", names="a b y")
    >>> print(render_text(t, UNICODE, 4))
    Forward sweep: values and tangents, in order (seed ẋ = 0, ẇ = 1)
    v  definition  value  tangent rule                   tangent
    -  ----------  -----  -----------------------------  -------
    x  input       2      seed                           0
    w  input       1      seed                           1
    a  x + w       3      ∂a/∂x·ẋ + ∂a/∂w·ẇ = 1·0 + 1·1  1
    b  w + 1       2      ∂b/∂w·ẇ = 1·1                  1
    y  a * b       6      ∂y/∂a·ȧ + ∂y/∂b·ḃ = 2·1 + 3·1  5
    <BLANKLINE>
    Reverse sweep: adjoints, in reverse order (seed ȳ = 1)
    step  op         adjoint update          adjoint
    ----  ---------  ----------------------  -------------
    0     y          ȳ = 1 (seed)            ȳ = 1
    1     y = a * b  ā += ȳ·∂y/∂a = 1·2 = 2  ā = 2
    2                b̄ += ȳ·∂y/∂b = 1·3 = 3  b̄ = 3
    3     b = w + 1  w̄ += b̄·∂b/∂w = 3·1 = 3  w̄ = 3
    4     a = x + w  x̄ += ā·∂a/∂x = 2·1 = 2  x̄ = 2
    5                w̄ += ā·∂a/∂w = 2·1 = 2  w̄ = 3 + 2 = 5
    <BLANKLINE>
    y = 6 at x = 2, w = 1
    forward sweep (seed ẋ = 0, ẇ = 1): ẏ = 5 = ∂y/∂w
    reverse sweep (seed ȳ = 1): x̄ = 2 = ∂y/∂x, w̄ = 5 = ∂y/∂w (the whole gradient in one sweep)
    w̄ = 3 + 2: w is used by 2 ops (b, a) and its adjoint sums what comes back along each path
    the engines agree: jvp gives 5; y.backward() gives x.grad = 2, w.grad = 5
"""

from __future__ import annotations

import numpy as np

from .notation import UNICODE, fmt, width

__all__ = ["forward_rule", "reverse_update", "render_text", "render_markdown", "render_summary"]


# ----------------------------------------------------------------------------------------------------
# The cells
# ----------------------------------------------------------------------------------------------------

def forward_rule(node, n=UNICODE, digits=4):
    """The chain rule of one forward step: ``∂a/∂x·ẋ + ∂a/∂w·ẇ = 1·0 + 1·1`` (numbers for scalars).

    >>> from admodes.teach import trace
    >>> forward_rule(trace(lambda x: 3.0 * x, 2.0).output)
    '∂y/∂x·ẋ = 3·1'
    """
    if node.is_input:
        return "seed"
    if not node.terms:
        return f"0 ({node.op} is piecewise constant)" if node.prim.zero_derivative else "0"
    symbolic = " + ".join(f"{n.partial(node.name, t.source.name)}{n.times}{n.dot(t.source.name)}" for t in node.terms)
    if all(t.partial is not None for t in node.terms):
        numbers = " + ".join(f"{fmt(t.partial, digits)}{n.times}{fmt(t.source.tangent, digits)}" for t in node.terms)
        return f"{symbolic} = {numbers}"
    if len(node.terms) > 1:
        return f"{symbolic} = " + " + ".join(fmt(t.contribution, digits) for t in node.terms)
    return symbolic


def reverse_update(step, n=UNICODE, digits=4):
    """One update of the reverse sweep: ``w̄ += ā·∂a/∂w = 2·1 = 2`` (the seed: ``ȳ = 1 (seed)``).

    >>> from admodes.teach import trace
    >>> t = trace(lambda x: 3.0 * x, 2.0)
    >>> [reverse_update(s) for s in t.steps]
    ['ȳ = 1 (seed)', 'x̄ += ȳ·∂y/∂x = 1·3 = 3']
    """
    if step.is_seed:
        return f"{n.bar(step.node.name)} = {fmt(step.contribution, digits)} (seed)"
    node, target = step.node.name, step.target.name
    head = f"{n.bar(target)} += {n.bar(node)}{n.times}{n.partial(node, target)}"
    if step.partial is not None:
        return f"{head} = {fmt(step.node.adjoint, digits)}{n.times}{fmt(step.partial, digits)} = " \
               f"{fmt(step.contribution, digits)}"
    return f"{head} = {fmt(step.contribution, digits)}"


def _running_total(step, n, digits):
    name = n.bar(step.target.name)
    if step.previous is None:
        return f"{name} = {fmt(step.total, digits)}"
    return f"{name} = {fmt(step.previous, digits)} + {fmt(step.contribution, digits)} = {fmt(step.total, digits)}"


def _seed_text(trace, n, digits):
    return ", ".join(f"{n.dot(node.name)} = {fmt(seed, digits)}" for node, seed in zip(trace.inputs, trace.seeds))


def _forward_rows(trace, n, digits):
    return [[node.name, node.definition(), fmt(node.value, digits), forward_rule(node, n, digits),
             fmt(node.tangent, digits)] for node in trace.nodes]


def _reverse_rows(trace, n, digits):
    rows, last = [], None
    for k, step in enumerate(trace.steps):
        if step.is_seed:
            label = step.node.name
        elif step.node is last:
            label = ""
        else:
            label = f"{step.node.name} = {step.node.definition()}"
        last = None if step.is_seed else step.node
        rows.append([str(k), label, reverse_update(step, n, digits), _running_total(step, n, digits)])
    return rows


_FORWARD_HEADERS = ["v", "definition", "value", "tangent rule", "tangent"]
_REVERSE_HEADERS = ["step", "op", "adjoint update", "adjoint"]


def _forward_title(trace, n, digits):
    return f"Forward sweep: values and tangents, in order (seed {_seed_text(trace, n, digits)})"


def _reverse_title(trace, n, digits):
    return f"Reverse sweep: adjoints, in reverse order (seed {n.bar(trace.output.name)} = " \
           f"{fmt(trace.cotangent, digits)})"


# ----------------------------------------------------------------------------------------------------
# Text and Markdown
# ----------------------------------------------------------------------------------------------------

def _text_table(headers, rows):
    widths = [max(width(str(r[c])) for r in [headers, *rows]) for c in range(len(headers))]

    def line(cells):
        return "  ".join(c + " " * (w - width(c)) for c, w in zip(cells, widths)).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def render_text(trace, n=UNICODE, digits=4):
    """Both sweeps as aligned plain-text tables, then the summary (``n``: `UNICODE` or `ASCII`).

    >>> from admodes.teach import trace
    >>> from admodes.teach.notation import ASCII
    >>> render_text(trace(lambda x: 3.0 * x, 2.0), ASCII).splitlines()[10]
    '1     y = 3 * x  bar(x) += bar(y)*dy/dx = 1*3 = 3  bar(x) = 3'
    """
    return "\n".join([
        _forward_title(trace, n, digits), _text_table(_FORWARD_HEADERS, _forward_rows(trace, n, digits)), "",
        _reverse_title(trace, n, digits), _text_table(_REVERSE_HEADERS, _reverse_rows(trace, n, digits)), "",
        render_summary(trace, n, digits),
    ])


def _md_cell(text, code=False):
    text = str(text).replace("|", "\\|")
    if code and text and text not in ("input", "seed"):
        return f"`{text}`"
    return text


def _md_table(headers, rows, code_columns):
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    for r in rows:
        lines.append("| " + " | ".join(_md_cell(c, i in code_columns) for i, c in enumerate(r)) + " |")
    return "\n".join(lines)


def render_markdown(trace, digits=4, n=UNICODE):
    """Both sweeps as Markdown tables (formulas in code spans), then the summary as a list; ``n`` the notation.

    >>> from admodes.teach import trace
    >>> from admodes.teach.notation import ASCII
    >>> render_markdown(trace(lambda x: 3.0 * x, 2.0)).splitlines()[5]
    '| y | `3 * x` | 6 | `∂y/∂x·ẋ = 3·1` | 3 |'
    >>> render_markdown(trace(lambda x: 3.0 * x, 2.0), n=ASCII).splitlines()[5]
    '| y | `3 * x` | 6 | `dy/dx*dot(x) = 3*1` | 3 |'
    """
    return "\n".join([
        f"**{_forward_title(trace, n, digits)}**", "",
        _md_table(_FORWARD_HEADERS, _forward_rows(trace, n, digits), code_columns={1, 3}), "",
        f"**{_reverse_title(trace, n, digits)}**", "",
        _md_table(_REVERSE_HEADERS, _reverse_rows(trace, n, digits), code_columns={1, 2, 3}), "",
        *(f"- {line}" for line in render_summary(trace, n, digits).splitlines()),
    ])


# ----------------------------------------------------------------------------------------------------
# The summary
# ----------------------------------------------------------------------------------------------------

def render_summary(trace, n=UNICODE, digits=4):
    """What the two sweeps found, in a few sentences (see `Trace.summary`).

    >>> from admodes.teach import trace
    >>> print(render_summary(trace(lambda x: 3.0 * x, 2.0)))
    y = 6 at x = 2
    forward sweep (seed ẋ = 1): ẏ = 3 = ∂y/∂x
    reverse sweep (seed ȳ = 1): x̄ = 3 = ∂y/∂x (the whole gradient in one sweep)
    the engines agree: jvp gives 3; y.backward() gives x.grad = 3
    """
    out = trace.output.name
    scalar_out = np.size(trace.value) == 1
    at = ", ".join(f"{node.name} = {fmt(node.value, digits)}" for node in trace.inputs)
    lines = [f"{out} = {fmt(trace.value, digits)} at {at}"]

    picked = trace.seed_input
    meaning = f" = {n.partial(out, picked.name)}" if picked is not None and scalar_out else \
        f" (the derivative of {out} along the seed)"
    lines.append(f"forward sweep (seed {_seed_text(trace, n, digits)}): {n.dot(out)} = "
                 f"{fmt(trace.derivative, digits)}{meaning}")

    unit_seed = scalar_out and float(np.ravel(trace.cotangent)[0]) == 1.0
    parts = []
    for node, g in zip(trace.inputs, trace.gradient):
        part = f"{n.bar(node.name)} = {fmt(g, digits)}"
        parts.append(part + (f" = {n.partial(out, node.name)}" if unit_seed else ""))
    if unit_seed:
        tail = " (the whole gradient in one sweep)"
    else:
        tail = f" ({n.bar(out)}{'ᵀ' if n.style == 'unicode' else '^T '}J for each input)"
    lines.append(f"reverse sweep (seed {n.bar(out)} = {fmt(trace.cotangent, digits)}): " + ", ".join(parts) + tail)

    shared = [node for node in trace.nodes if len(trace.contributions(node)) > 1]
    for node in shared[:3]:
        steps = trace.contributions(node)
        users = ", ".join(s.node.name for s in steps)
        lines.append(f"{n.bar(node.name)} = " + " + ".join(fmt(s.contribution, digits) for s in steps)
                     + f": {node.name} is used by {len(steps)} ops ({users}) and its adjoint sums what comes back "
                       "along each path")
    if len(shared) > 3:
        lines.append(f"(and {len(shared) - 3} more values whose adjoints sum several contributions)")
    lines.append(_engines_line(trace, digits))
    return "\n".join(lines)


def _engines_line(trace, digits):
    engines = trace.engines
    if not engines:
        return "the engines were not run"
    out = trace.output.name
    call = f"{out}.backward()" if np.size(trace.value) == 1 else f"{out}.backward(gradient=...)"
    forward_ok = np.allclose(engines["forward"], trace.derivative, rtol=1e-10, atol=1e-12, equal_nan=True)
    reverse_ok = all(np.allclose(e, g, rtol=1e-10, atol=1e-12, equal_nan=True)
                     for e, g in zip(engines["reverse"], trace.gradient))
    grads = ", ".join(f"{node.name}.grad = {fmt(g, digits)}" for node, g in zip(trace.inputs, engines["reverse"]))
    verdict = "the engines agree" if forward_ok and reverse_ok else "WARNING: the engines DISAGREE with the table"
    return f"{verdict}: jvp gives {fmt(engines['forward'], digits)}; {call} gives {grads}"

