"""The lesson script (experiments/lesson_forward_vs_reverse.py) runs and writes its report."""

import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

SCRIPT = Path(__file__).resolve().parent.parent / "experiments" / "lesson_forward_vs_reverse.py"


@pytest.fixture(scope="module")
def lesson():
    from admodes.teach import lesson
    return lesson


def test_jacobian_closed_form_and_costs(lesson):
    import numpy as np
    x = np.array([1.0, 0.5, 2.0])
    np.testing.assert_allclose(lesson.jacobian_closed_form(x), [[0.5, 1.0, np.cos(2.0)], [np.exp(0.5)] * 2 + [-4.0]])
    forward, reverse = lesson.jacobian_costs(3, 2)
    forward_more, reverse_same = lesson.jacobian_costs(6, 2)
    assert forward_more == 2 * forward and reverse_same == reverse  # n sweeps versus m sweeps
    assert lesson.crossover([1, 2, 3], [(10, 25), (20, 25), (30, 25)]) == 3
    assert lesson.crossover([1, 2], [(10, 25), (20, 25)]) is None


def test_quick_lesson_writes_its_report(lesson, tmp_path):
    readme = lesson.write_lesson(tmp_path, quick=True)
    text = readme.read_text(encoding="utf-8")
    for section in ("## 1. The teaching example", "## 2. A Jacobian, column by column and row by row",
                    "## 3. The cost crossover"):
        assert section in text
    assert "w̄ = 3 (through b) + 2 (through a) = 5" in text
    assert "w 会通过两条路径传递到 y" in text.replace("$", "")
    assert "With m = 4 outputs, reverse mode becomes cheaper from n = 5 inputs on" in text
    for name in ("teaching_graph.png", "jacobian.png", "crossover.png"):
        with Image.open(tmp_path / name) as im:
            assert im.format == "PNG"
    with Image.open(tmp_path / "teaching_sweeps.gif") as im:
        assert im.n_frames == 6
    assert (tmp_path / "teaching_graph.svg").read_text().lstrip().startswith("<?xml")
    rows = (tmp_path / "crossover.csv").read_text().splitlines()
    assert rows[0] == "inputs n,outputs m,forward-mode calls (jacfwd),reverse-mode calls (jacrev)" and len(rows) == 17


def test_the_script_writes_the_lesson_and_names_no_path_of_the_machine(tmp_path):
    done = subprocess.run([sys.executable, str(SCRIPT), "--quick", "--out", str(tmp_path / "lesson")],
                          capture_output=True, text=True, cwd=tmp_path,
                          env={**__import__("os").environ, "PYTHONPATH": str(SCRIPT.parent.parent)})
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "lesson" / "README.md").read_text(encoding="utf-8")
    outside = str(SCRIPT.resolve().parents[2])  # the folder that holds the clone
    assert outside not in text and str(tmp_path) not in text and "seed note" not in text.lower()
    assert "the teaching note “一、PyTorch 核心模块” (“I. PyTorch's core modules”)" in text


def test_the_committed_lesson_names_no_path_outside_the_repository():
    text = (SCRIPT.parent.parent / "reports" / "lesson" / "README.md").read_text(encoding="utf-8")
    outside = str(SCRIPT.resolve().parents[2])  # the folder that holds the clone
    assert outside not in text and "seeds/" not in text and "seed note" not in text.lower()


def test_admodes_lesson_writes_the_classroom_pack_and_keeps_other_files(tmp_path, capsys):
    from admodes.cli import main
    from admodes.teach.slides import SLIDES
    (tmp_path / "notes.txt").write_text("mine")
    assert main(["lesson", "--out", str(tmp_path), "--quick"]) == 0
    assert "index.html" in capsys.readouterr().out
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    positions = [page.index(f'src="{s.file}"') for s in SLIDES]
    assert positions == sorted(positions)  # the slides in the lesson's order
    for s in SLIDES:
        with Image.open(tmp_path / s.file) as im:
            assert im.size[0] >= 300
    with Image.open(tmp_path / "04_sweeps.gif") as im:
        assert im.n_frames == 6
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_admodes_lesson_refuses_a_file_as_its_folder(tmp_path, capsys):
    from admodes.cli import main
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["lesson", "--out", str(blocker)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("admodes lesson: error: --out") and "not a folder" in err


def test_the_tradeoff_slide_counts_recomputation_and_memory_exactly():
    from admodes.checkpoint import revolve_recomputations
    from admodes.teach.slides import tradeoff_points
    points = tradeoff_points(32, size=1000)
    plain_memory, plain_calls = points["plain reverse"]
    for s in (2, 4, 8):
        memory, calls = points[f"revolve, s = {s}"]
        assert calls - plain_calls == revolve_recomputations(32, s) and memory < plain_memory


def test_the_readme_links_the_lesson_script_and_the_pack():
    text = (SCRIPT.parent.parent / "README.md").read_text(encoding="utf-8")
    assert "python experiments/lesson_forward_vs_reverse.py  # the lesson -> reports/lesson/README.md" in text
    assert "admodes lesson --out" in text
