"""Animated GIFs of the two sweeps: the forward sweep lights the graph up in order, tangent by tangent;
the reverse sweep lights it up in reverse order, adjoint by adjoint, with the partial sums of a value
used twice growing as its uses send their contributions back.

A GIF has a title frame and then one frame per node (inputs included): ``1 + len(trace.nodes)``
frames, for ``mode="forward"``, ``"reverse"`` or ``"both"`` (the two sweeps side by side, step by step).

    >>> import tempfile, pathlib
    >>> from PIL import Image
    >>> from admodes.teach import trace
    >>> t = trace(lambda x, w: (x + w) * (w + 1), 2.0, 1.0, wrt="w", names="a b y")
    >>> path = animate(t, pathlib.Path(tempfile.mkdtemp()) / "sweeps.gif", mode="reverse", dpi=40)
    >>> Image.open(path).n_frames
    6
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np

from .graph import COLOURS, MAX_NODES, Layout, draw_arrows, figure_size, font_size, node_label, place_boxes, pyplot
from .notation import PICTURE, fmt
from .tables import forward_rule, reverse_update

__all__ = ["Frame", "forward_frames", "reverse_frames", "animate", "MODES"]

MODES = ("forward", "reverse", "both")
_STRONG = {"forward": "#9ecae1", "reverse": "#fdae6b"}  # the fill of the node being visited
_PARTIAL = "#fff1e4"  # the fill of a node whose adjoint is still a partial sum


class Frame:
    """One step of a sweep as the animation shows it.

    ``current`` is the node visited (None on the title frame); ``shown`` maps a node's index to the
    tangent or adjoint text on its box; ``done`` holds the nodes whose number is final; ``partial``
    those whose adjoint is still a partial sum; ``edges`` the arrows lit up; ``caption`` the formula.

    >>> from admodes.teach import trace
    >>> reverse_frames(trace(lambda x: 3.0 * x, 2.0))
    [Frame(reverse step 0: y), Frame(reverse step 1: x)]
    """

    __slots__ = ("sweep", "step", "current", "shown", "done", "partial", "edges", "caption")

    def __init__(self, sweep, step, current, shown, done, partial=(), edges=(), caption=""):
        self.sweep, self.step, self.current = sweep, step, current
        self.shown, self.done, self.partial = dict(shown), set(done), set(partial)
        self.edges, self.caption = set(edges), caption

    def __repr__(self):
        name = None if self.current is None else self.current.name
        return f"Frame({self.sweep} step {self.step}: {name})"


def forward_frames(trace):
    """The forward sweep, one frame per node in order: each tangent from its inputs' tangents.

    >>> from admodes.teach import trace
    >>> frames = forward_frames(trace(lambda x, w: (x + w) * (w + 1), 2.0, 1.0, wrt="w", names="a b y"))
    >>> [f.caption for f in frames][-1]
    'ẏ = ∂y/∂a·ȧ + ∂y/∂b·ḃ = 2·1 + 3·1 = 5'
    """
    frames = []
    for k, node in enumerate(trace.nodes):
        shown = {n.index: fmt(n.tangent, 3) for n in trace.nodes[: k + 1]}
        dot = PICTURE.dot(node.name)
        if node.is_input:
            caption = f"{dot} = {fmt(node.tangent)} (seed: the direction of the derivative)"
        elif node.terms:
            caption = f"{dot} = {forward_rule(node, PICTURE)} = {fmt(node.tangent)}"
        else:
            caption = f"{dot} = {forward_rule(node, PICTURE)}"
        edges = {(a.index, node.index) for _, a in node.operands()}
        frames.append(Frame("forward", k, node, shown, range(k), edges=edges, caption=caption))
    return frames


def reverse_frames(trace):
    """The reverse sweep, one frame per node in reverse order: each op sends its adjoint to its inputs.

    >>> from admodes.teach import trace
    >>> frames = reverse_frames(trace(lambda x, w: (x + w) * (w + 1), 2.0, 1.0, wrt="w", names="a b y"))
    >>> [f.current.name for f in frames], frames[1].shown[1]
    (['y', 'b', 'a', 'w', 'x'], '3 (so far)')
    """
    updates = {node.index: [] for node in trace.nodes}
    for step in trace.steps:
        if not step.is_seed:
            updates[step.node.index].append(step)
    out = trace.output
    running, processed, frames = {}, [], []
    for k, node in enumerate(reversed(trace.nodes)):
        lines = []
        if node is out:
            running[out.index] = trace.cotangent
            lines.append(f"{PICTURE.bar(out.name)} = {fmt(trace.cotangent)} (seed)")
        for step in updates[node.index]:
            running[step.target.index] = step.total
            lines.append(reverse_update(step, PICTURE))
        if node.is_input:
            lines.append(f"{PICTURE.bar(node.name)} = {fmt(node.adjoint)}: final, the derivative of {out.name} "
                         f"with respect to {node.name}")
        elif not updates[node.index] and node is not out:
            reason = f"{node.op} is piecewise constant" if node.prim.zero_derivative else \
                f"no adjoint reaches {node.name}"
            lines.append(f"{node.name} = {node.definition()} sends nothing back ({reason})")
        processed.append(node.index)
        shown = {i: fmt(v, 3) + ("" if i in processed else " (so far)") for i, v in running.items()}
        partial = set(running) - set(processed)
        edges = {(s.target.index, node.index) for s in updates[node.index]}
        frames.append(Frame("reverse", k, node, shown, processed[:-1], partial, edges, ";   ".join(lines)))
    return frames


def _title_frame(sweep):
    return Frame(sweep, -1, None, {}, ())


def animate(trace, path, mode="both", seconds=1.2, dpi=100, max_nodes=MAX_NODES, fontsize=None):
    """Write an animated GIF of the forward sweep, the reverse sweep or both side by side; returns the path.

    Frames: a title frame, then one per node (``1 + len(trace.nodes)`` in all); each step shows for
    ``seconds`` and the last one three times as long. ``fontsize`` (default: smaller for bigger graphs) sets the
    text; the frames grow with it.

    >>> import tempfile, pathlib
    >>> from admodes.teach import trace
    >>> t = trace(lambda x: x * x, 3.0)
    >>> animate(t, pathlib.Path(tempfile.mkdtemp()) / "x2.gif", dpi=40).suffix
    '.gif'
    """
    if mode not in MODES:
        raise ValueError(f"animate: mode must be one of {MODES}, got {mode!r}")
    path = Path(path)
    if path.suffix.lower() != ".gif":
        raise ValueError(f"animate: {str(path)!r} should end in .gif")
    n = len(trace.nodes)
    if n > max_nodes:
        raise ValueError(f"animate: the graph has {n} nodes; an animation is readable up to about {max_nodes} "
                         "(trace a smaller function, or draw a still picture with draw_graph)")
    if seconds <= 0:
        raise ValueError(f"animate: seconds must be positive, got {seconds}")
    sweeps = ("forward", "reverse") if mode == "both" else (mode,)
    steps = {"forward": forward_frames(trace), "reverse": reverse_frames(trace)}
    plt = pyplot()
    layout = Layout(trace)
    fontsize = fontsize or font_size(n)
    widest = {node.index: node_label(node, ("value", "tangent" if "forward" in sweeps else "adjoint"))
              for node in trace.nodes}
    width, height = figure_size(layout, widest, fontsize)
    width = width + 0.4 * len(sweeps)
    fig = plt.figure(figsize=(min(width * len(sweeps), 16.0 * fontsize / 10), height + 1.3), dpi=dpi)
    axes = fig.subplots(1, len(sweeps), squeeze=False)[0]
    fig.subplots_adjust(left=0.02, right=0.98, top=0.84, bottom=0.2, wspace=0.08)
    heading = fig.text(0.5, 0.97, "", ha="center", va="top", fontsize=fontsize + 2)
    images = []
    try:
        for k in range(-1, n):
            frames = [steps[s][k] if k >= 0 else _title_frame(s) for s in sweeps]
            _draw_frame(fig, axes, heading, trace, layout, frames, fontsize, k, n)
            images.append(_snapshot(fig))
    finally:
        plt.close(fig)
    images = _cropped(images)
    durations = [int(1000 * seconds * 1.5)] + [int(1000 * seconds)] * n
    durations[-1] *= 3
    path.parent.mkdir(parents=True, exist_ok=True)
    images[0].save(path, save_all=True, append_images=images[1:], duration=durations, loop=0, optimize=False)
    return path


def _draw_frame(fig, axes, heading, trace, layout, frames, fontsize, k, n):
    # The axes are made once and emptied for each frame: making axes (ticks and all) costs more than drawing.
    all_texts = []
    for ax, frame in zip(axes, frames):
        for artist in [*ax.texts, *ax.lines, *ax.patches]:
            artist.remove()
        labels, styles = _panel(trace, frame)
        all_texts.append(place_boxes(ax, trace, layout, labels, styles, fontsize))
        title = "forward sweep: tangents, in order" if frame.sweep == "forward" else \
            "reverse sweep: adjoints, in reverse order"
        ax.text(0.5, 1.02, title, transform=ax.transAxes, ha="center", va="bottom", fontsize=fontsize + 1,
                color=COLOURS[frame.sweep][1])
        chars = max(30, int(ax.get_position().width * fig.get_figwidth() * 72 / (0.62 * fontsize)))
        ax.text(0.5, -0.04, "\n".join(textwrap.wrap(frame.caption, chars)), transform=ax.transAxes, ha="center",
                va="top", fontsize=fontsize)
    at = ", ".join(f"{PICTURE.name(node.name)} = {fmt(node.value)}" for node in trace.inputs)
    step = "the graph, before the sweeps" if k < 0 else f"step {k + 1} of {n}"
    heading.set_text(f"{PICTURE.name(trace.output.name)} = {fmt(trace.value)} at {at}   ·   {step}")
    fig.canvas.draw()
    for ax, frame, texts in zip(axes, frames, all_texts):
        backward = frame.sweep == "reverse"  # adjoints flow from an op back to its inputs: so are the arrows drawn
        draw_arrows(ax, trace, layout, texts, {e: {"color": COLOURS[frame.sweep][1], "lw": 2.4, "backward": backward}
                                               for e in frame.edges})


def _panel(trace, frame):
    what = "tangent" if frame.sweep == "forward" else "adjoint"
    labels, styles = {}, {}
    strong, (light, edge) = _STRONG[frame.sweep], COLOURS[frame.sweep]
    for node in trace.nodes:
        text = frame.shown.get(node.index, "")
        labels[node.index] = node_label(node, ("value", what), **{what: text})
        if frame.current is node:
            styles[node.index] = {"fill": strong, "edge": edge, "lw": 3.0}
        elif node.index in frame.done:
            styles[node.index] = {"fill": light, "edge": edge}
        elif node.index in frame.partial:
            styles[node.index] = {"fill": _PARTIAL}
    return labels, styles


def _snapshot(fig):
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()


def _cropped(frames, margin=12):
    """The frames (RGB arrays) cut to what any of them draws, plus a margin, as palette images for the GIF:
    no empty band around the pictures, and every frame the same size.

    >>> a = np.full((40, 50, 3), 255, np.uint8); a[10:20, 5:15] = 0
    >>> _cropped([a], margin=2)[0].size
    (14, 14)
    """
    from PIL import Image
    ink = np.zeros(frames[0].shape[:2], bool)
    for f in frames:
        ink |= (f < 250).any(axis=2)
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if len(rows) == 0:
        top, bottom, left, right = 0, ink.shape[0], 0, ink.shape[1]
    else:
        top, bottom = max(0, rows[0] - margin), min(ink.shape[0], rows[-1] + 1 + margin)
        left, right = max(0, cols[0] - margin), min(ink.shape[1], cols[-1] + 1 + margin)
    return [Image.fromarray(f[top:bottom, left:right]).quantize(colors=96, method=Image.Quantize.MEDIANCUT,
                                                                dither=Image.Dither.NONE) for f in frames]
