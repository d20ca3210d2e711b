"""Experiment C9 (issue 18, item 4): sweeps of dense and compressed Jacobians against p, judged, and the report."""

import csv

import numpy as np
import pytest

import admodes as ad
from admodes.sparse import experiment


@pytest.mark.parametrize("family", sorted(experiment.FAMILIES))
def test_families_have_the_patterns_they_claim(family):
    f, x = experiment.FAMILIES[family](64, np.random.default_rng(0))
    pattern = ad.jacobian_sparsity(f)(x)
    dense = np.asarray(ad.jacfwd(f)(x)) != 0
    np.testing.assert_array_equal(pattern.toarray(), dense)  # exact at a generic point
    expected = {"banded": 5, "block-diagonal": 8, "arrowhead": 64, "2-D stencil": 5}[family]
    assert ad.coloring(pattern, "column").count == expected
    compressed = {"banded": 5, "block-diagonal": 8, "arrowhead": 3, "2-D stencil": 5}[family]
    assert ad.sparse_jacobian(f).prepare(x).sweeps == compressed


def test_run_judges_sweeps_and_writes_the_report(tmp_path):
    rows = experiment.run(quick=True, repeats=1, families=["banded", "arrowhead"], min_time=0.0)
    by = {(r["family"], r["p"], r["method"]): r for r in rows}
    assert by[("banded", 64, "dense jacfwd")]["sweeps"] == 64 and by[("banded", 64, "dense jacrev")]["sweeps"] == 64
    assert by[("banded", 64, "compressed")]["sweeps"] == 5
    assert by[("arrowhead", 64, "compressed")]["sweeps"] == 3  # 1 reverse sweep (the dense row) + 2 forward
    assert by[("arrowhead", 64, "compressed")]["mode"] == "bidirectional"
    judged = experiment.write_report(rows, tmp_path)
    outcomes = {(v["family"], v["method"]): v["verdict"].outcome for v in judged}
    assert set(outcomes.values()) == {"holds"}
    assert len(outcomes) == 6
    with open(tmp_path / "C9.csv") as fh:
        assert len(list(csv.DictReader(fh))) == len(rows)
    assert "| banded | compressed | 5 .. 5 | 0 | holds" in (tmp_path / "C9.md").read_text()
    assert (tmp_path / "C9.png").stat().st_size > 10_000
