"""Pictures of a trace's computational graph: layered left to right, inputs on the left, output on the right.

Each value is a box: inputs (the leaves) green, ops grey, the output purple. A box shows the
value's name and its op (``x + w``) and, on request, its value, its tangent (v-dot, forward sweep)
and its adjoint (v-bar, reverse sweep). Arrows follow the data from the inputs of each op to its result.

    >>> import tempfile, pathlib
    >>> from admodes.teach import trace
    >>> t = trace(lambda x, w: (x + w) * (w + 1), 2.0, 1.0, wrt="w", names="a b y")
    >>> path = draw_graph(t, pathlib.Path(tempfile.mkdtemp()) / "graph.png")
    >>> path.read_bytes()[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
    True

A layered picture stays readable up to about 50 nodes (`MAX_NODES`). A bigger graph is drawn
collapsed: one box per group of consecutive layers, listing the ops it holds, and a warning says so.
"""

from __future__ import annotations

import math
import warnings
from collections import Counter
from pathlib import Path

from .notation import PICTURE, fmt, width
from .trace import TraceNode

__all__ = ["MAX_NODES", "COLOURS", "Layout", "draw_graph", "node_label", "render", "place_boxes", "draw_arrows",
           "legend", "pyplot", "save_figure", "collapse", "figure_size", "font_size"]

MAX_NODES = 50
"""The most nodes a graph picture shows one by one; beyond it the picture is collapsed by layer."""

COLOURS = {
    "input": ("#e5f5e0", "#31a354"),    # fill, edge: the leaves
    "op": ("#f7f7f7", "#636363"),
    "output": ("#efedf5", "#756bb1"),
    "forward": ("#c6dbef", "#1f77b4"),  # the same blue and orange as the scaling plots (forward, reverse)
    "reverse": ("#fdd0a2", "#e6550d"),
    "edge": "#969696",
}
"""Box colours by kind, and the highlight colours of the two sweeps in the animations."""

_SHOW = ("value", "tangent", "adjoint")
VIA = 0.3  # the height of a long arrow's slot in a layer it crosses, in rows (a box takes 1)
COPY = 0.5  # the height of a dashed copy of an input, in rows
COPY_AFTER = 2  # in a graph of over 20 nodes, an input used more than this many layers to its right is drawn
                # again beside its use (twice as many layers in smaller graphs)


def pyplot():
    """matplotlib's pyplot on the Agg backend (no display needed).

    >>> pyplot().get_backend().lower()
    'agg'
    """
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


class Layout:
    """Where each node of a trace goes: its layer (column) and its rank within the layer (row).

    An input is in layer 0; an op is as far right as its uses allow (one layer left of its first
    use), and the output is one layer right of its rightmost input. Inside a layer
    the nodes are ordered by the mean row of their neighbours (a few barycentre sweeps), which keeps
    arrows from crossing in small graphs.

    >>> from admodes.teach import trace
    >>> lay = Layout(trace(lambda x, w: (x + w) * (w + 1), 2.0, 1.0))
    >>> lay.layers
    [[0, 1], [2, 3], [4]]
    """

    def __init__(self, trace, sweeps=4):
        nodes = trace.nodes
        layer_of = {}
        for node in nodes:
            sources = [a.index for _, a in _edges(node)]
            layer_of[node.index] = 0 if node.is_input else 1 + max(layer_of[s] for s in sources)
        consumers = {node.index: [] for node in nodes}
        for node in nodes:
            for _, a in _edges(node):
                consumers[a.index].append(node.index)
        for node in reversed(nodes):  # each op as late as its consumers allow: short arrows
            if not node.is_input and not node.is_output and consumers[node.index]:
                layer_of[node.index] = min(layer_of[c] for c in consumers[node.index]) - 1
        depth = max(layer_of.values()) + 1
        layers = [[] for _ in range(depth)]
        for node in nodes:
            layers[layer_of[node.index]].append(node.index)
        preds = {n.index: [] for n in nodes}
        succs = {n.index: [] for n in nodes}
        self.routes = {}  # (source, target, input position) -> the waypoints of an arrow that skips layers
        self.copies = {}  # slot -> the input it repeats
        far = COPY_AFTER if len(nodes) > 20 else 2 * COPY_AFTER  # small graphs keep their long arrows

        def near(source, node):
            return layer_of[node.index] - layer_of[source.index] <= far

        # An input all of whose uses are far keeps its long arrows: a copy beside each use would leave its own
        # box with no arrow at all, so it would look like two inputs.
        copied = {n.index for n in nodes if n.is_input and any(near(n, c) for c in
                                                                (nodes[i] for i in consumers[n.index]))}
        for node in nodes:
            for pos, source in _edges(node):
                if source.index in copied and not near(source, node):
                    # An input used far to the right is drawn again beside its use (a dashed copy), as the
                    # textbooks do, instead of a long arrow across the picture.
                    copy = ("copy", source.index, node.index, pos)
                    layers[layer_of[node.index] - 1].append(copy)
                    preds[copy], succs[copy] = [], [node.index]
                    preds[node.index].append(copy)
                    self.copies[copy] = source.index
                    self.routes[(source.index, node.index, pos)] = [copy]
                    continue
                previous, waypoints = source.index, []
                for k in range(layer_of[source.index] + 1, layer_of[node.index]):
                    # A long arrow gets a slot in each layer it crosses, so it never runs through a box.
                    dummy = ("via", source.index, node.index, pos, k)
                    layers[k].append(dummy)
                    preds[dummy], succs[dummy] = [previous], []
                    succs[previous].append(dummy)
                    waypoints.append(dummy)
                    previous = dummy
                preds[node.index].append(previous)
                succs[previous].append(node.index)
                self.routes[(source.index, node.index, pos)] = waypoints
        if sweeps:
            # Two starts (long arrows' slots above or below the boxes), each improved, the fewer crossings kept.
            starts = [[sorted(layer, key=lambda i: not isinstance(i, int)) for layer in layers],
                      [sorted(layer, key=lambda i: isinstance(i, int)) for layer in layers]]
            layers = min((_order(start, preds, succs, sweeps) for start in starts),
                         key=lambda ls: _crossings(ls, succs))
        self.layers = [[i for i in layer if isinstance(i, int)] for layer in layers]
        self.slots = layers
        self.layer_of = layer_of
        self.position = {}
        self.height = 1.0  # of the tallest layer, in rows: a box takes one, a long arrow's slot `VIA`
        for k, layer in enumerate(layers):
            sizes = [1.0 if isinstance(i, int) else COPY if i[0] == "copy" else VIA for i in layer]
            y = sum(sizes) / 2.0
            self.height = max(self.height, 2.0 * y)
            for i, size in zip(layer, sizes):
                shift = 0.3 if not isinstance(i, int) and i[0] == "copy" else 0.0  # a copy sits near its use
                self.position[i] = (k + shift, y - size / 2.0)
                y -= size


def _edges(node):
    """``(position, source node)`` for every traced input of an op (differentiable or not)."""
    return [(i, a) for i, a in enumerate(node.inputs) if isinstance(a, TraceNode)]


def _reorder(layer, neighbours, other):
    rank = {i: r for r, i in enumerate(other)}
    current = {i: r for r, i in enumerate(layer)}

    def key(i):
        rows = [rank[j] for j in neighbours[i] if j in rank]
        return (sum(rows) / len(rows) if rows else current[i], current[i])

    layer.sort(key=key)


def _order(layers, preds, succs, sweeps):
    layers = [list(layer) for layer in layers]
    for _ in range(sweeps):
        for k in range(1, len(layers)):
            _reorder(layers[k], preds, layers[k - 1])
        for k in range(len(layers) - 2, 0, -1):  # layer 0 keeps the arguments' order
            _reorder(layers[k], succs, layers[k + 1])
    if sum(len(layer) for layer in layers) <= 400:
        _transpose(layers, preds, succs)
    return layers


def _crossings(layers, succs):
    """How many pairs of arrows cross between neighbouring layers."""
    total = 0
    for upper, lower in zip(layers, layers[1:]):
        rank = {i: r for r, i in enumerate(lower)}
        ends = [(r, rank[j]) for r, i in enumerate(upper) for j in succs[i]]
        total += sum(1 for a in ends for b in ends if a[0] < b[0] and a[1] > b[1])
    return total


def _transpose(layers, preds, succs, rounds=10):
    """Swap neighbours in a layer while that removes arrow crossings (barycentres leave ties unresolved)."""
    def crossings(u, v, rank):
        # Arrows from u and from v to one side cross when u is above v but u's end is below v's.
        total = 0
        for neighbours in (preds, succs):
            for a in neighbours[u]:
                for b in neighbours[v]:
                    if a in rank and b in rank and rank[a] > rank[b]:
                        total += 1
        return total

    for _ in range(rounds):
        improved = False
        for k in range(1, len(layers)):
            rank = {i: r for layer in layers for r, i in enumerate(layer)}
            layer = layers[k]
            for j in range(len(layer) - 1):
                u, v = layer[j], layer[j + 1]
                if crossings(v, u, rank) < crossings(u, v, rank):
                    layer[j], layer[j + 1] = v, u
                    rank[u], rank[v] = j + 1, j
                    improved = True
        if not improved:
            return


def node_label(node, show=_SHOW, digits=3, adjoint=None, tangent=None):
    """The text of a node's box: name, op, then the requested value, tangent and adjoint.

    ``tangent``/``adjoint`` override the node's own (the animations show partial sums); pass ``""``
    to leave a line blank.

    >>> from admodes.teach import trace
    >>> t = trace(lambda x, w: (x + w) * (w + 1), 2.0, 1.0, wrt="w", names="a b y")
    >>> print(node_label(t.nodes[2]))
    a
    x + w
    = 3
    ȧ = 1
    ā = 2
    """
    lines = [PICTURE.name(node.name)]
    if not node.is_input:
        definition = node.definition()
        lines.append(definition if len(definition) <= 24 else definition[:23] + "…")
    for what in show:
        if what == "value":
            lines.append(f"= {fmt(node.value, digits)}")
        elif what == "tangent":
            text = fmt(node.tangent, digits) if tangent is None else tangent
            lines.append(f"{PICTURE.dot(node.name)} = {text}" if text != "" else "")
        elif what == "adjoint":
            text = fmt(node.adjoint, digits) if adjoint is None else adjoint
            lines.append(f"{PICTURE.bar(node.name)} = {text}" if text != "" else "")
        else:
            raise ValueError(f"show: each entry must be one of {_SHOW}, got {what!r}")
    return "\n".join(lines)


def _kind(node):
    return "output" if node.is_output else "input" if node.is_input else "op"


def render(ax, trace, layout, labels, styles=None, edge_styles=None, fontsize=10):
    """Draw the graph on ``ax``: one box per node with ``labels[i]``, arrows between them.

    ``styles[i]`` may set a node's ``fill``, ``edge`` and ``lw``; ``edge_styles[(source, target)]``
    an arrow's ``color`` and ``lw``. Returns the boxes' extents in data coordinates.

    >>> from admodes.teach import trace
    >>> t = trace(lambda x: 3.0 * x, 2.0)
    >>> fig, ax = pyplot().subplots()
    >>> boxes = render(ax, t, Layout(t), {n.index: n.name for n in t.nodes}, styles={1: {"fill": "yellow"}})
    >>> sorted(boxes), bool(boxes[0][2] < boxes[1][0])     # x's box ends left of y's
    ([0, 1], True)
    >>> pyplot().close(fig)
    """
    texts = place_boxes(ax, trace, layout, labels, styles, fontsize)
    ax.figure.canvas.draw()  # the boxes' sizes are known only once the text is laid out
    return draw_arrows(ax, trace, layout, texts, edge_styles)


def place_boxes(ax, trace, layout, labels, styles=None, fontsize=10):
    """The first half of `render`: the boxes (text artists, by node index and copy slot).

    >>> from admodes.teach import trace
    >>> t = trace(lambda x: 3.0 * x, 2.0)
    >>> fig, ax = pyplot().subplots()
    >>> [text.get_text() for text in place_boxes(ax, t, Layout(t), {0: "x", 1: "y"}).values()]
    ['x', 'y']
    >>> pyplot().close(fig)
    """
    styles = styles or {}
    ax.set_axis_off()
    depth, height = len(layout.layers), layout.height
    ax.set_xlim(-0.6, depth - 0.4)
    ax.set_ylim(-height / 2.0 - 0.15, height / 2.0 + 0.15)
    texts = {}
    for node in trace.nodes:
        fill, edge = COLOURS[_kind(node)]
        style = styles.get(node.index, {})
        x, y = layout.position[node.index]
        texts[node.index] = ax.text(
            x, y, labels[node.index], ha="center", va="center", fontsize=fontsize, zorder=3, linespacing=1.25,
            bbox=dict(boxstyle="round,pad=0.35", fc=style.get("fill", fill), ec=style.get("edge", edge),
                      lw=style.get("lw", 1.4)))
    for copy, source in layout.copies.items():
        fill, edge = COLOURS["input"]
        x, y = layout.position[copy]
        texts[copy] = ax.text(x, y, PICTURE.name(trace.nodes[source].name), ha="center", va="center", zorder=3,
                              fontsize=fontsize, bbox=dict(boxstyle="round,pad=0.25", fc=fill, ec=edge,
                                                           lw=1.0, ls="--"))
    return texts


def draw_arrows(ax, trace, layout, texts, edge_styles=None):
    """The second half of `render`, once the figure has been drawn: arrows that end at the boxes' borders.

    >>> from admodes.teach import trace
    >>> t = trace(lambda x: 3.0 * x, 2.0)
    >>> fig, ax = pyplot().subplots()
    >>> texts = place_boxes(ax, t, Layout(t), {0: "x", 1: "y"})
    >>> fig.canvas.draw()
    >>> len(draw_arrows(ax, t, Layout(t), texts)), len(ax.texts)    # 2 boxes and 1 arrow (an annotation)
    (2, 3)
    >>> pyplot().close(fig)
    """
    edge_styles = edge_styles or {}
    to_data = ax.transData.inverted()
    boxes = {}
    for i, text in texts.items():
        (x0, y0), (x1, y1) = to_data.transform(text.get_bbox_patch().get_window_extent())
        boxes[i] = (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
    # A long arrow crosses each column it skips level, as wide as the column's widest box: its slanted
    # parts stay in the gaps between columns, so it never cuts a box's corner.
    half = {}
    for k, layer in enumerate(layout.layers):
        half[k] = max(((boxes[i][2] - boxes[i][0]) / 2 for i in layer if i in boxes), default=0.0)
    for node in trace.nodes:
        seen = Counter()
        for pos, source in _edges(node):
            key = (source.index, node.index)
            seen[key] += 1
            style = edge_styles.get(key, {})
            color, lw = style.get("color", COLOURS["edge"]), style.get("lw", 1.2)
            route = layout.routes[(source.index, node.index, pos)]
            if route and route[0] in layout.copies:
                start = layout.position[route[0]]
                points = [_border(boxes[route[0]], layout.position[node.index]), _border(boxes[node.index], start)]
            else:
                centres = [layout.position[d] for d in route]
                waypoints = [(x + dx * half.get(round(x), 0.0), y) for x, y in centres for dx in (-1.0, 1.0)]
                points = [_border(boxes[source.index], (waypoints or [layout.position[node.index]])[0]), *waypoints,
                          _border(boxes[node.index], (waypoints or [layout.position[source.index]])[-1])]
            if style.get("backward"):  # an adjoint flows from the op back to its input: the head at the input
                points = points[::-1]
            for a, b in zip(points[:-2], points[1:-1]):
                ax.plot([a[0], b[0]], [a[1], b[1]], color=color, lw=lw, zorder=2, solid_capstyle="round")
            rad = 0.25 * (seen[key] - 1) * (-1 if style.get("backward") else 1)
            ax.annotate("", xy=points[-1], xytext=points[-2], zorder=2, arrowprops=dict(
                arrowstyle="-|>", mutation_scale=12, shrinkA=0 if len(points) > 2 else 1, shrinkB=1, color=color, lw=lw,
                connectionstyle=f"arc3,rad={rad}"))
    return boxes


def _border(box, toward):
    """Where the line from the centre of ``box`` toward the point ``toward`` leaves the box."""
    x0, y0, x1, y1 = box
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    dx, dy = toward[0] - cx, toward[1] - cy
    if dx == 0 and dy == 0:
        return cx, cy
    scale = min(((x1 - x0) / 2) / abs(dx) if dx else math.inf, ((y1 - y0) / 2) / abs(dy) if dy else math.inf)
    return cx + dx * scale, cy + dy * scale


def figure_size(layout, labels, fontsize):
    """Inches for a layout: a column as wide as the widest label and a row as tall as the tallest, plus gaps.

    >>> from admodes.teach import trace
    >>> t = trace(lambda x: 3.0 * x, 2.0)
    >>> width, height = figure_size(Layout(t), {0: "x", 1: "y"}, 10)
    >>> width >= 4.0 and height >= 2.4
    True
    """
    lines = [line for label in labels.values() for line in label.split("\n")]
    chars = max(width(line) for line in lines)
    n_lines = max(label.count("\n") + 1 for label in labels.values())
    column = chars * fontsize * 0.6 / 72 + 0.9
    row = n_lines * fontsize * 1.6 / 72 + 0.3  # the boxes' padding and line spacing included, at any font size
    return max(4.0, column * len(layout.layers) + 0.4), max(2.4, row * layout.height + 0.9)


def font_size(n_nodes):
    """Smaller text for bigger graphs (10 pt up to 15 nodes, 7 pt at 50).

    >>> font_size(5), font_size(50)
    (10, 7)
    """
    return 10 if n_nodes <= 15 else 8.5 if n_nodes <= 30 else 7


def legend(ax, layout, fontsize=8):
    """The key under a graph: input (leaf), op, output, and the dashed copies of inputs if there are any.

    >>> from admodes.teach import trace
    >>> fig, ax = pyplot().subplots()
    >>> [t.get_text() for t in legend(ax, Layout(trace(lambda x: 3.0 * x, 2.0))).get_texts()]
    ['input (leaf)', 'op', 'output']
    >>> pyplot().close(fig)
    """
    from matplotlib.patches import Patch
    handles = [Patch(facecolor=COLOURS[k][0], edgecolor=COLOURS[k][1], label=label)
               for k, label in (("input", "input (leaf)"), ("op", "op"), ("output", "output"))]
    if layout.copies:
        handles.append(Patch(facecolor=COLOURS["input"][0], edgecolor=COLOURS["input"][1], linestyle="--",
                             label="the same input, drawn again"))
    return ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=len(handles),
                     frameon=False, fontsize=fontsize, handlelength=1.2)


def draw_graph(trace, path=None, show=_SHOW, max_nodes=MAX_NODES, title=None, dpi=110, fontsize=None):
    """Draw ``trace``'s computational graph; write it to ``path`` (.png, .svg or .pdf) or return the figure.

    ``show`` picks the lines under each box's name and op: any of "value", "tangent", "adjoint".
    ``fontsize`` (default: smaller for bigger graphs) sets the text; the picture grows with it (a slide for a
    projector wants 16 or more).
    Graphs of more than ``max_nodes`` nodes are drawn collapsed by layer, with a warning.

    >>> from admodes.teach import trace
    >>> fig = draw_graph(trace(lambda x: x * x, 3.0), show=("value",))
    >>> len(fig.axes)
    1
    """
    show = _check_show(show)
    suffix = _check_path(path)
    plt = pyplot()
    n = len(trace.nodes)
    if n > max_nodes:
        warnings.warn(f"draw_graph: the graph has {n} nodes; a picture of every node is readable up to about "
                      f"{max_nodes}, so it is drawn collapsed by layer (pass max_nodes={n} to draw every node)",
                      stacklevel=2)
        fig = _draw_collapsed(trace, plt, dpi)
    else:
        layout = Layout(trace)
        labels = {node.index: node_label(node, show) for node in trace.nodes}
        size = fontsize or font_size(n)
        fig, ax = plt.subplots(figsize=figure_size(layout, labels, size), dpi=dpi)
        render(ax, trace, layout, labels, fontsize=size)
        legend(ax, layout, fontsize=max(8, size - 2))
        ax.set_title(title or _title(trace), fontsize=size + 1)
    if path is None:
        return fig
    return save_figure(fig, path, suffix)


def _title(trace):
    out, name = trace.output.name, trace.function_name
    args = ", ".join(node.name for node in trace.inputs)
    call = f"{name}({args})" if name.isidentifier() else name
    return f"computational graph of {call}" if out == name else f"computational graph of {out} = {call}"


def save_figure(fig, path, suffix=None):
    """Write ``fig`` to ``path`` (reproducibly: no dates in the file) and close it; returns the path.

    >>> import tempfile, pathlib
    >>> fig, _ = pyplot().subplots()
    >>> save_figure(fig, pathlib.Path(tempfile.mkdtemp()) / "empty.svg").suffix
    '.svg'
    """
    plt = pyplot()
    path = Path(path)
    suffix = suffix or _check_path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    metadata = {"svg": {"Date": None}, "pdf": {"CreationDate": None, "ModDate": None}}.get(suffix)
    with plt.rc_context({"svg.hashsalt": "admodes", "svg.fonttype": "path"}):
        fig.savefig(path, format=suffix, dpi=fig.dpi, bbox_inches="tight", metadata=metadata)
    plt.close(fig)
    return path


def _check_show(show):
    show = (show,) if isinstance(show, str) else tuple(show or ())
    for what in show:
        if what not in _SHOW:
            raise ValueError(f"show: each entry must be one of {_SHOW}, got {what!r}")
    return show


def _check_path(path):
    if path is None:
        return None
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in ("png", "svg", "pdf"):
        raise ValueError(f"draw_graph: {str(path)!r} should end in .png, .svg or .pdf")
    return suffix


# ----------------------------------------------------------------------------------------------------
# Big graphs: collapsed by layer
# ----------------------------------------------------------------------------------------------------

def collapse(trace, groups=24):
    """Group consecutive layers into at most ``groups`` boxes: ``(first layer, last layer, Counter of ops)``.

    >>> from admodes.teach import trace
    >>> collapse(trace(lambda x: (x * x + 1.0) * x, 2.0), groups=2)
    [(0, 1, Counter({'input': 1, 'multiply': 1})), (2, 3, Counter({'add': 1, 'multiply': 1}))]
    """
    layout = Layout(trace, sweeps=0)
    depth = len(layout.layers)
    per_group = max(1, math.ceil(depth / groups))
    result = []
    for start in range(0, depth, per_group):
        stop = min(depth, start + per_group) - 1
        ops = Counter()
        for k in range(start, stop + 1):
            for i in layout.layers[k]:
                ops[trace.nodes[i].op or "input"] += 1
        result.append((start, stop, ops))
    return result


def _draw_collapsed(trace, plt, dpi):
    groups = collapse(trace)
    per_row = 6
    rows = math.ceil(len(groups) / per_row)
    fig, ax = plt.subplots(figsize=(2.1 * min(per_row, len(groups)) + 0.4, 1.5 * rows + 1.0), dpi=dpi)
    ax.set_axis_off()
    ax.set_xlim(-0.6, min(per_row, len(groups)) - 0.4)
    ax.set_ylim(-rows + 0.4, 0.6)
    centres = []
    for g, (start, stop, ops) in enumerate(groups):
        x, y = g % per_row, -(g // per_row)
        layers = f"layer {start}" if start == stop else f"layers {start}–{stop}"
        top = "\n".join(f"{count} × {op}" for op, count in ops.most_common(4))
        more = len(ops) - 4
        total = sum(ops.values())
        text = f"{layers}\n{total} node{'s' if total > 1 else ''}\n{top}" + (f"\n+{more} more ops" if more > 0 else "")
        ax.text(x, y, text, ha="center", va="center", fontsize=7, bbox=dict(
            boxstyle="round,pad=0.35", fc=COLOURS["op"][0], ec=COLOURS["op"][1]))
        centres.append((x, y))
    for (x0, y0), (x1, y1) in zip(centres, centres[1:]):
        ax.annotate("", xy=(x1 - 0.38, y1) if y0 == y1 else (x1, y1 + 0.3),
                    xytext=(x0 + 0.38, y0) if y0 == y1 else (x0, y0 - 0.3),
                    arrowprops=dict(arrowstyle="-|>", color=COLOURS["edge"]))
    ax.set_title(f"{trace.function_name}: {len(trace.nodes)} nodes in {groups[-1][1] + 1} layers, collapsed "
                 f"(a picture of every node is readable up to about {MAX_NODES})", fontsize=9)
    return fig
