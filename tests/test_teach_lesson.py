"""The lesson script (experiments/lesson_forward_vs_reverse.py) runs and writes its report."""

import importlib.util
from pathlib import Path

import pytest
from PIL import Image

SCRIPT = Path(__file__).resolve().parent.parent / "experiments" / "lesson_forward_vs_reverse.py"


@pytest.fixture(scope="module")
def lesson():
    spec = importlib.util.spec_from_file_location("lesson_forward_vs_reverse", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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
    readme = lesson.main(tmp_path, quick=True)
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
