"""A teacher's classroom pack: the lesson's figures at a projector's size and font, and an index page.

`write_pack` writes, into one folder, numbered pictures in the order of the lesson, each readable from the
back of a room (text of 16 points or more on a figure about a slide wide):

1. the teaching example's computational graph, with values, tangents and adjoints;
2. the forward sweep's table and 3. the reverse sweep's table;
4. both sweeps, step by step (a GIF);
5. the Jacobian crossover: n forward sweeps against m reverse sweeps;
6. the memory/time trade-off of reverse mode: the whole tape, sqrt(L) checkpoints, binomial checkpointing;

and ``index.html``, which shows them in that order with a title and a sentence each (open it in a browser,
full screen). Work is counted exactly (primitive calls) and memory measured by tracemalloc, so the pictures
are the same on every machine. Only these files are written; nothing else in the folder is touched.

    >>> SLIDES[0].file, len(SLIDES)
    ('01_graph.png', 6)
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Slide", "SLIDES", "write_pack"]

FONT = 16
"""Points of the slides' text."""


@dataclass(frozen=True)
class Slide:
    """One picture of the pack: its file name, title and one sentence for the index page.

    >>> Slide("x.png", "a title", "a sentence").title
    'a title'
    """

    file: str
    title: str
    caption: str


SLIDES = [
    Slide("01_graph.png", "The computational graph of y = (x + w) * (w + 1)",
          "Each box is a value: its name, the op that made it, its value, its tangent (forward mode, along w) and "
          "its adjoint (reverse mode)."),
    Slide("02_forward_table.png", "The forward sweep: tangents, in order",
          "Each tangent is computed from the tangents of its op's inputs, in the order the graph was built."),
    Slide("03_reverse_table.png", "The reverse sweep: adjoints, in reverse order",
          "Each op sends its adjoint back to its inputs; w is used twice, so its adjoint adds two contributions."),
    Slide("04_sweeps.gif", "Both sweeps, step by step",
          "Left: tangents flow forward. Right: adjoints flow back, with the partial sums of w-bar."),
    Slide("05_crossover.png", "A Jacobian costs n forward sweeps or m reverse sweeps",
          "Counted exactly in primitive calls: which mode is cheaper depends on the shape of f."),
    Slide("06_tradeoff.png", "Reverse mode trades memory for time",
          "The whole tape, sqrt(L) checkpoints or binomial checkpointing (revolve): less memory, more recomputation."),
]
"""The pack's pictures, in the order of the lesson."""


def write_pack(out, quick=False):
    """Write the classroom pack into ``out`` (created if needed); returns the path of ``index.html``.

    ``quick`` draws at a lower resolution and a shorter chain (for the tests).
    """
    from .lesson import teaching
    from .trace import trace

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    dpi = 60 if quick else 110
    t = trace(teaching, 2.0, 1.0, wrt="w", names="a b y")
    _graph(t, out / SLIDES[0].file, dpi)
    forward, reverse = _tables(t)
    _text_picture(forward, out / SLIDES[1].file, dpi)
    _text_picture(reverse, out / SLIDES[2].file, dpi)
    from .animate import animate
    animate(t, out / SLIDES[3].file, dpi=40 if quick else 80, fontsize=FONT)
    _crossover(out / SLIDES[4].file, dpi, quick)
    _tradeoff(out / SLIDES[5].file, dpi, length=32 if quick else 128)
    index = out / "index.html"
    index.write_text(_index_page(), encoding="utf-8")
    return index


def _graph(t, path, dpi):
    from .graph import draw_graph
    draw_graph(t, path, dpi=dpi, fontsize=FONT + 2)


def _tables(t):
    """The plain-text tables of the two sweeps, each with its title line."""
    text = t.text()
    head, _, rest = text.partition("\nReverse sweep")
    reverse = ("Reverse sweep" + rest).split("\n\n")[0]
    return head.strip(), reverse.strip()


def _text_picture(text, path, dpi):
    from .graph import pyplot, save_figure
    plt = pyplot()
    lines = text.splitlines()
    width = max(len(line) for line in lines) * FONT * 0.62 / 72 + 0.6
    fig = plt.figure(figsize=(width, len(lines) * FONT * 1.5 / 72 + 0.6), dpi=dpi)
    fig.text(0.02, 0.97, text, family="DejaVu Sans Mono", fontsize=FONT, va="top", ha="left", linespacing=1.4)
    save_figure(fig, path)


def _crossover(path, dpi, quick):
    from .graph import COLOURS, pyplot, save_figure
    from .lesson import crossover, jacobian_costs
    plt = pyplot()
    fixed, sizes = 4, list(range(1, 9 if quick else 13))
    costs = [jacobian_costs(n, fixed) for n in sizes]
    star = crossover(sizes, costs)
    fig, ax = plt.subplots(figsize=(11, 6.2), dpi=dpi)
    ax.plot(sizes, [c[0] for c in costs], "o-", color=COLOURS["forward"][1], lw=3, ms=10,
            label="forward mode (jacfwd): n sweeps")
    ax.plot(sizes, [c[1] for c in costs], "s-", color=COLOURS["reverse"][1], lw=3, ms=10,
            label="reverse mode (jacrev): m sweeps")
    if star is not None:
        ax.axvline(star - 0.5, color="#969696", ls="--", lw=2)
        ax.text(star - 0.4, 0.96, f"reverse cheaper from n = {star}", transform=ax.get_xaxis_transform(),
                fontsize=FONT, color="#636363", va="top")
    ax.set_xlabel(f"n, inputs of f (m = {fixed} outputs)", fontsize=FONT)
    ax.set_ylabel("primitive calls for the whole Jacobian", fontsize=FONT)
    ax.tick_params(labelsize=FONT - 2)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=FONT, loc="upper left")
    save_figure(fig, path)


def tradeoff_points(length, size=10_000):
    """``{strategy: (peak bytes, primitive calls)}`` of one VJP of a chain of ``length`` sins on ``size``
    doubles, by plain reverse mode, sqrt(length) segments and revolve with 2, 4 and 8 snapshots.

    >>> points = tradeoff_points(16, size=2000)
    >>> (plain_memory, plain_calls), (least_memory, most_calls) = points["plain reverse"], points["revolve, s = 2"]
    >>> plain_memory > least_memory, plain_calls < most_calls
    (True, True)
    """
    import numpy as np

    from .. import numpy as anp
    from ..checkpoint import checkpoint_sequential, revolve
    from ..measure import op_counts, peak_memory, prepare

    strategies = {"plain reverse": lambda x: anp.sum(_chain(x, length)),
                  "sqrt(L) segments": lambda x: anp.sum(checkpoint_sequential([anp.sin] * length, x)),
                  **{f"revolve, s = {s}": (lambda x, s=s: anp.sum(revolve(anp.sin, x, length, s))) for s in (2, 4, 8)}}
    rng = np.random.default_rng(0)
    x = rng.uniform(-1.0, 1.0, size)
    out = {}
    for name, f in strategies.items():
        fn, setup = prepare("vjp", f, x, rng)
        out[name] = (peak_memory(fn, setup=setup), op_counts(fn, setup=setup).total_calls)
    return out


def _chain(x, length):
    from .. import numpy as anp
    for _ in range(length):
        x = anp.sin(x)
    return x


def _tradeoff(path, dpi, length):
    from .graph import COLOURS, pyplot, save_figure
    plt = pyplot()
    points = tradeoff_points(length)
    fig, ax = plt.subplots(figsize=(11, 6.2), dpi=dpi)
    for name, (memory, calls) in points.items():
        ax.plot(memory / 1e6, calls, "o", color=COLOURS["reverse"][1], ms=14)
        ax.annotate(name, (memory / 1e6, calls), textcoords="offset points", xytext=(10, 6), fontsize=FONT)
    ax.set_xscale("log")
    ax.set_xlabel(f"peak memory of one VJP (MB), a chain of L = {length} sins on 10,000 doubles", fontsize=FONT)
    ax.set_ylabel("primitive calls (recomputation included)", fontsize=FONT)
    ax.tick_params(labelsize=FONT - 2)
    ax.grid(alpha=0.3, which="both")
    ax.margins(x=0.25, y=0.15)
    save_figure(fig, path)


def _index_page():
    items = "\n".join(
        f'<section><h2>{k}. {html.escape(s.title)}</h2>\n<img src="{s.file}" alt="{html.escape(s.title)}">\n'
        f"<p>{html.escape(s.caption)}</p></section>" for k, s in enumerate(SLIDES, 1))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Forward mode versus reverse mode: the slides</title>
<style>body {{ font-family: sans-serif; font-size: 24px; max-width: 1400px; margin: auto; }}
section {{ min-height: 95vh; border-bottom: 1px solid #ccc; padding: 1em 0; }}
img {{ max-width: 100%; max-height: 75vh; display: block; margin: auto; }}</style></head>
<body><h1>Forward mode versus reverse mode</h1>
<p>Written by <code>admodes lesson</code>; the example is from the teaching note “PyTorch's core modules”.</p>
{items}
</body></html>
"""
