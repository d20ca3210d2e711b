"""Animations (admodes/teach/animate.py): frame contents, frame counts and valid GIF files."""

import pytest
from PIL import Image

import admodes.numpy as anp
from admodes.teach import trace
from admodes.teach.animate import animate, forward_frames, reverse_frames


@pytest.fixture
def teaching():
    return trace(lambda x, w: (x + w) * (w + 1), 2.0, 1.0, wrt="w", names="a b y")


def test_forward_frames_visit_the_nodes_in_order(teaching):
    frames = forward_frames(teaching)
    assert [f.current.name for f in frames] == ["x", "w", "a", "b", "y"]
    assert frames[2].caption == "ȧ = ∂a/∂x·ẋ + ∂a/∂w·ẇ = 1·0 + 1·1 = 1"
    assert frames[2].edges == {(0, 2), (1, 2)} and frames[2].done == {0, 1}
    assert frames[-1].shown == {0: "0", 1: "1", 2: "1", 3: "1", 4: "5"}


def test_reverse_frames_visit_the_nodes_in_reverse_and_show_partial_sums(teaching):
    frames = reverse_frames(teaching)
    assert [f.current.name for f in frames] == ["y", "b", "a", "w", "x"]
    assert frames[0].caption == "ȳ = 1 (seed);   ā += ȳ·∂y/∂a = 1·2 = 2;   b̄ += ȳ·∂y/∂b = 1·3 = 3"
    # after b: w has heard from b only (3, a partial sum); after a: from both (3 + 2 = 5)
    assert frames[1].shown[1] == "3 (so far)" and frames[1].partial == {1, 2}
    assert frames[2].shown[1] == "5 (so far)" and frames[2].edges == {(0, 2), (1, 2)}
    assert frames[3].shown[1] == "5" and "w̄ = 5: final" in frames[3].caption
    assert frames[-1].shown == {4: "1", 2: "2", 3: "3", 1: "5", 0: "2"}


def test_reverse_frame_of_a_piecewise_constant_op():
    frames = reverse_frames(trace(lambda x: anp.sign(x) * x, 2.0))
    sign = next(f for f in frames if f.current.op == "sign")
    assert "sends nothing back (sign is piecewise constant)" in sign.caption


@pytest.fixture(scope="module")
def gifs(tmp_path_factory):
    """One small GIF per mode, made once for the tests below."""
    t = trace(lambda x, w: (x + w) * (w + 1), 2.0, 1.0, wrt="w", names="a b y")
    folder = tmp_path_factory.mktemp("gifs")
    paths = {mode: animate(t, folder / f"{mode}.gif", mode=mode, seconds=0.5, dpi=30) for mode in ("forward", "both")}
    paths["reverse"] = animate(t, folder / "reverse.gif", mode="reverse", seconds=0.5, dpi=30)
    return paths


@pytest.mark.parametrize("mode", ["forward", "reverse", "both"])
def test_gif_has_a_title_frame_and_one_frame_per_node(gifs, mode):
    with Image.open(gifs[mode]) as im:
        assert im.format == "GIF" and im.n_frames == 1 + 5
        durations = []
        for k in range(im.n_frames):
            im.seek(k)
            durations.append(im.info["duration"])
        assert im.info.get("loop") == 0
    assert durations == [750, 500, 500, 500, 500, 1500]


def test_both_sweeps_side_by_side_are_wider(gifs):
    with Image.open(gifs["forward"]) as one, Image.open(gifs["both"]) as two:
        assert two.size[0] > 1.5 * one.size[0] and abs(one.size[1] - two.size[1]) <= 0.1 * one.size[1]  # cropped


def test_bad_animation_requests(teaching, tmp_path):
    with pytest.raises(ValueError, match="mode must be one of"):
        animate(teaching, tmp_path / "a.gif", mode="sideways")
    with pytest.raises(ValueError, match="should end in .gif"):
        animate(teaching, tmp_path / "a.png")
    with pytest.raises(ValueError, match="seconds must be positive"):
        animate(teaching, tmp_path / "a.gif", seconds=0)
    with pytest.raises(ValueError, match="has 5 nodes; an animation is readable up to about 4"):
        animate(teaching, tmp_path / "a.gif", max_nodes=4)


# ---- issue 17: adjoints drawn flowing backward, no empty band ---------------------------------------

def test_a_backward_arrow_has_its_head_at_the_input():
    from admodes.teach.graph import Layout, draw_arrows, place_boxes, pyplot
    t = trace(lambda x: 3.0 * x, 2.0)
    fig, ax = pyplot().subplots()
    try:
        layout = Layout(t)
        texts = place_boxes(ax, t, layout, {0: "x", 1: "y"})
        fig.canvas.draw()
        boxes = draw_arrows(ax, t, layout, texts, {(0, 1): {"backward": True}})
        (arrow,) = [a for a in ax.texts if hasattr(a, "xy") and a.arrow_patch is not None]
        assert arrow.xy[0] <= boxes[0][2] + 1e-9  # the head touches x's box (left), the tail y's
        assert arrow.xyann[0] >= boxes[1][0] - 1e-9
    finally:
        pyplot().close(fig)


def test_gif_frames_have_no_empty_band(tmp_path):
    import numpy as np
    t = trace(lambda x, w: (x + w) * (w + 1), 2.0, 1.0, wrt="w", names="a b y")
    path = animate(t, tmp_path / "sweeps.gif", seconds=0.5, dpi=80)
    with Image.open(path) as im:
        first, last = [], []
        for k in range(im.n_frames):
            im.seek(k)
            rows = np.flatnonzero((np.asarray(im.convert("L")) < 250).any(axis=1))
            first.append(rows[0])
            last.append(rows[-1])
        height = im.size[1]
        assert min(first) <= 13 and height - 1 - max(last) <= 13  # a 12-pixel margin, whatever the size
