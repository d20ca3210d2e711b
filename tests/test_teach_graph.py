"""Graph pictures (admodes/teach/graph.py): layout, labels and valid PNG/SVG files."""

import warnings
import xml.etree.ElementTree as ET

import pytest
from PIL import Image

import admodes.numpy as anp
from admodes.teach import trace
from admodes.teach.graph import Layout, collapse, draw_arrows, draw_graph, node_label

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def teaching(x, w):
    return (x + w) * (w + 1)


def chain(n):
    """A function with n ops: s -> sin(s) * x + 1, repeated, starting from s = x."""
    def f(x):
        s = x
        for _ in range(n // 3):
            s = anp.sin(s) * x + 1.0
        return s
    return f


def test_layout_is_layered_left_to_right():
    t = trace(teaching, 2.0, 1.0, names="a b y")
    lay = Layout(t)
    assert lay.layers == [[0, 1], [2, 3], [4]]  # x, w | a, b | y
    xs = {t.nodes[i].name: lay.position[i][0] for i in range(5)}
    assert xs == {"x": 0.0, "w": 0.0, "a": 1.0, "b": 1.0, "y": 2.0}
    assert lay.position[0][1] > lay.position[1][1]  # x above w: the arguments' order


def test_long_arrows_get_waypoints_and_do_not_cross_here():
    t = trace(lambda x, y: anp.sin(x) * y + x, 1.0, 2.0)
    lay = Layout(t)
    # x -> f skips two layers, y -> v2 one: each crossing gets a waypoint slot
    assert len(lay.routes[(0, 4, 1)]) == 2 and len(lay.routes[(1, 3, 1)]) == 1
    from admodes.teach.graph import _crossings
    succs = {}
    for (src, dst, _), route in lay.routes.items():
        chain_ = [src, *route, dst]
        for a, b in zip(chain_, chain_[1:]):
            succs.setdefault(a, []).append(b)
    for layer in lay.slots:
        for i in layer:
            succs.setdefault(i, [])
    assert _crossings(lay.slots, succs) == 0


def test_inputs_used_far_away_are_drawn_again_beside_their_use():
    t = trace(chain(30), 0.3)
    lay = Layout(t)
    assert lay.copies and set(lay.copies.values()) == {0}
    for copy in lay.copies:
        assert lay.layer_of[copy[2]] - 1 == int(lay.position[copy][0])


def test_node_label_shows_what_is_asked():
    t = trace(teaching, 2.0, 1.0, wrt="w", names="a b y")
    assert node_label(t.nodes[4]).splitlines() == ["y", "a * b", "= 6", "ẏ = 5", "ȳ = 1"]
    assert node_label(t.nodes[1], show=("adjoint",)).splitlines() == ["w", "w̄ = 5"]
    assert node_label(t.nodes[1], show=()).splitlines() == ["w"]
    with pytest.raises(ValueError, match="show: each entry must be one of"):
        node_label(t.nodes[1], show=("gradient",))


def test_png_and_svg_files(tmp_path):
    t = trace(teaching, 2.0, 1.0, wrt="w", names="a b y")
    png = draw_graph(t, tmp_path / "graph.png")
    assert png.read_bytes()[:8] == PNG_MAGIC
    with Image.open(png) as im:
        im.verify()
    with Image.open(png) as im:
        assert im.format == "PNG" and im.size[0] > 300 and im.size[1] > 200
    svg = draw_graph(t, tmp_path / "sub" / "graph.svg", show=("value",))
    root = ET.parse(svg).getroot()
    assert root.tag.endswith("svg") and len(root.findall(".//{http://www.w3.org/2000/svg}path")) > 10


def test_svg_is_reproducible(tmp_path):
    t = trace(teaching, 2.0, 1.0, names="a b y")
    a, b = draw_graph(t, tmp_path / "a.svg"), draw_graph(t, tmp_path / "b.svg")
    assert a.read_bytes() == b.read_bytes()


def test_about_fifty_nodes_are_drawn_one_by_one(tmp_path):
    t = trace(chain(48), 0.3)
    assert len(t.nodes) == 49
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        path = draw_graph(t, tmp_path / "fifty.png", show=("value",))
    with Image.open(path) as im:
        assert im.format == "PNG"


def test_bigger_graphs_are_collapsed_with_a_warning(tmp_path):
    t = trace(chain(60), 0.3)
    assert len(t.nodes) == 61
    with pytest.warns(UserWarning, match="61 nodes.*readable up to about 50.*collapsed by layer"):
        fig = draw_graph(t)
    title = fig.axes[0].get_title()
    assert "61 nodes in 61 layers, collapsed" in title
    groups = collapse(t)
    assert len(groups) <= 24 and sum(sum(ops.values()) for *_, ops in groups) == 61
    assert groups[0][0] == 0 and groups[-1][1] == 60


def test_bad_picture_paths_and_options(tmp_path):
    t = trace(teaching, 2.0, 1.0)
    with pytest.raises(ValueError, match="should end in .png, .svg or .pdf"):
        draw_graph(t, tmp_path / "graph.jpg")
    with pytest.raises(ValueError, match="show: each entry must be one of"):
        draw_graph(t, tmp_path / "graph.png", show=("values",))


# ---- issue 17: an input drawn once, arrows that cut no box ------------------------------------------

def test_an_input_used_only_far_away_keeps_its_arrow_instead_of_a_copy():
    def f(x, w):
        for _ in range(8):
            x = anp.sin(x)
        return x * w  # w is used once, eight layers to the right
    t = trace(f, 0.5, 2.0)
    layout = Layout(t)
    assert layout.copies == {}
    w = t.inputs[1].index
    assert layout.routes[(w, t.output.index, 1)]  # a long arrow with waypoints, from w's own box


def test_long_arrows_cut_no_box():
    import numpy as np

    from admodes.teach.expression import trace_expression
    from admodes.teach.graph import place_boxes, pyplot
    t = trace_expression("sin(a) * b + exp(c * d) - g / h", dict(a=1.0, b=2.0, c=0.5, d=1.0, g=3.0, h=2.0))
    fig, ax = pyplot().subplots(figsize=(8, 8))
    try:
        layout = Layout(t)
        texts = place_boxes(ax, t, layout, {n.index: node_label(n) for n in t.nodes})
        fig.canvas.draw()
        boxes = draw_arrows(ax, t, layout, texts)
        for line in ax.lines:  # the straight parts of long arrows
            xs, ys = line.get_data()
            for s in np.linspace(0, 1, 50):
                x, y = xs[0] + s * (xs[1] - xs[0]), ys[0] + s * (ys[1] - ys[0])
                inside = [i for i, (x0, y0, x1, y1) in boxes.items() if x0 + 0.01 < x < x1 - 0.01 and
                          y0 + 0.01 < y < y1 - 0.01]
                assert not inside, f"an arrow runs through the box of {t.nodes[inside[0]].name}"
    finally:
        pyplot().close(fig)
