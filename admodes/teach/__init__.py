"""Classroom tools: evaluation traces of both sweeps, graph pictures and animations.

    >>> from admodes.teach import trace
    >>> t = trace(lambda x, w: (x + w) * (w + 1), 2.0, 1.0, wrt="w", names="a b y")
    >>> print(t.summary().splitlines()[1])
    forward sweep (seed ẋ = 0, ẇ = 1): ẏ = 5 = ∂y/∂w

- `trace` (trace.py): the graph of one call and the two sweeps, as text, Markdown or rows (tables.py);
- `draw_graph` (graph.py): the graph as a PNG or SVG picture, layered left to right;
- `animate` (animate.py): GIFs of the forward sweep in order and the reverse sweep in reverse;
- `parse_expression`, `trace_expression` (expression.py): the safe expression language of ``admodes demo``.
"""

from .animate import animate
from .expression import Expression, ExpressionError, parse_expression, trace_expression
from .graph import draw_graph
from .trace import Constant, ReverseStep, Trace, TraceNode, trace

__all__ = [
    "Constant", "Expression", "ExpressionError", "ReverseStep", "Trace", "TraceNode", "animate", "draw_graph",
    "parse_expression", "trace", "trace_expression",
]
