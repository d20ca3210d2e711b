"""experiments/scaling.py and the harness behind it: the quick run end to end, bad input, interruption,
and verdicts that follow the data (a claim contradicted by its data does not hold)."""

import csv
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

import admodes.numpy as anp
from admodes.checkpoint import revolve_recomputations
from admodes.measure import Check, Crossover, Exact, Experiment, Frontier, PerUnit, analyse, run_experiments
from admodes.measure.harness import Row
from admodes.measure.timing import Measurement, Timing
from admodes.measure.verdicts import crossings, series

ROOT = Path(__file__).resolve().parent.parent


def _load_scaling():
    spec = importlib.util.spec_from_file_location("scaling_experiments", ROOT / "experiments" / "scaling.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


scaling = _load_scaling()
IDS = [e.id for e in scaling.EXPERIMENTS]


@pytest.fixture(scope="module")
def quick_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("quick") / "scaling"
    code = scaling.main(scaling.EXPERIMENTS, ["--quick", "--repeats", "1", "--out", str(out), "--no-progress"],
                        prog="scaling.py")  # one timed repeat: verdicts rest on counts, memory and CPU time
    return code, out


# ---- the quick run, end to end -------------------------------------------------------------------

def test_every_claim_is_declared():
    assert IDS == ["C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8", "C9", "C10"]
    for e in scaling.EXPERIMENTS:
        assert e.quotes and all(q.zh and q.en for q in e.quotes)
        assert e.n.startswith(f"{e.variables[0]}, the number of")  # the report says what n is
        assert all(v in e.n for v in e.variables)


@pytest.mark.slow  # the quick run of every claim (the fixture): once in CI (tests/conftest.py)
def test_quick_run_writes_every_file(quick_report):
    code, out = quick_report
    assert code == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(["report.md", "results.csv", "results.json", *(f"{i}.png" for i in IDS)])
    for i in IDS:
        data = (out / f"{i}.png").read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]  # no staging folder left behind


@pytest.mark.slow  # the quick run of every claim (the fixture): once in CI (tests/conftest.py)
def test_quick_report_has_the_verdict_table_quotes_and_plots(quick_report):
    _, out = quick_report
    text = (out / "report.md").read_text(encoding="utf-8")
    summary = text[text.index("## Verdicts"):text.index("<a id=")]
    for e in scaling.EXPERIMENTS:
        assert f"[{e.id}](#{e.id.lower()})" in summary
        assert f"![{e.id}: {e.claim}]({e.id}.png)" in text
        for q in e.quotes:
            assert f"> {q.zh}" in text and q.en in text
    assert "内存复杂度上来说，正向是O(1)" in text
    assert "--quick" in text  # the exact command


@pytest.mark.slow  # the quick run of every claim (the fixture): once in CI (tests/conftest.py)
def test_quick_results_json_holds_every_measurement_and_the_machine(quick_report):
    _, out = quick_report
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert data["command"].startswith("python scaling.py --quick")
    assert data["machine"]["numpy"] == np.__version__
    assert data["machine"]["python"].count(".") == 2
    assert data["settings"] == {"quick": True, "repeats": 1, "seed": 0, "claims": IDS}
    expected_rows = sum(len(e.variants) * len(e.quick) * len(e.tasks) for e in scaling.EXPERIMENTS)
    assert len(data["measurements"]) == expected_rows
    first = data["measurements"][0]
    assert first["claim"] == "C1" and first["task"] == "f" and first["L"] == scaling.CHAIN_QUICK[0]
    assert len(first["seconds_raw"]) == len(first["cpu_seconds_raw"]) == 1
    assert first["calls"] == scaling.CHAIN_QUICK[0] + 1
    claims = {c["id"]: c for c in data["claims"]}
    assert set(claims) == set(IDS)
    assert all(c["verdict"] in ("holds", "does not hold", "inconclusive") for c in claims.values())


@pytest.mark.slow  # the quick run of every claim (the fixture): once in CI (tests/conftest.py)
def test_quick_results_csv_matches_the_json(quick_report):
    _, out = quick_report
    with open(out / "results.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert len(rows) == len(data["measurements"])
    assert {"claim", "variant", "task", "mode", "L", "p", "m", "B", "seconds_median", "seconds_q1", "seconds_q3",
            "peak_bytes", "calls", "elements", "seconds_raw"} <= set(rows[0])
    for row, record in zip(rows, data["measurements"]):
        assert int(row["calls"]) == record["calls"] and int(row["peak_bytes"]) == record["peak_bytes"]
        assert len(row["seconds_raw"].split()) == record["repeats"]


@pytest.mark.slow  # the quick run of every claim (the fixture): once in CI (tests/conftest.py)
def test_quick_run_noise_free_verdicts(quick_report):
    """Op counts and memory are exact, so these fits do not depend on the machine's load."""
    _, out = quick_report
    claims = {c["id"]: c for c in json.loads((out / "results.json").read_text(encoding="utf-8"))["claims"]}
    c1 = claims["C1"]["checks"][0]
    assert c1["series"] == "jvp" and 0.85 < c1["fit"]["exponents"][0] <= 1.0
    assert claims["C1"]["checks"][1]["fit"]["exponents"][0] == pytest.approx(0.0, abs=1e-9)  # jvp/f calls: flat
    assert claims["C2"]["verdict"] == "holds"  # forward mode's peak memory does not grow with L
    assert claims["C2"]["checks"][0]["fit"]["exponents"][0] == pytest.approx(0.0, abs=0.02)
    assert claims["C3"]["checks"][1]["fit"]["exponents"][0] == pytest.approx(1.0, abs=0.05)  # the tape: O(L)
    per_op = claims["C3"]["per_unit"][0]["value"]
    assert 8 <= per_op < 40  # each sin saves its input (8 bytes per element) and the backward sweep's temporaries
    assert claims["C5"]["checks"][1]["fit"]["exponents"][0] == pytest.approx(0.0, abs=1e-9)  # grad_reverse / f
    assert claims["C6"]["verdict"] == "holds"
    # forward mode computes the branch (1 call per op from a constant, 2 with tangents from x); reverse skips it
    jvp = {c["variant"]: c["marginal_costs"][0]["slope"] for c in claims["C6"]["checks"] if c["series"] == "jvp"}
    assert jvp == pytest.approx({"branch from a constant": 1.0, "dead branch from x": 2.0}, abs=1e-9)
    backward = [c["fit"]["exponents"][0] for c in claims["C6"]["checks"] if c["series"] == "backward"]
    assert backward == pytest.approx([0.0, 0.0], abs=1e-9)
    fit = claims["C7"]["checks"][0]["fit"]
    assert fit["exponents"] == pytest.approx([1.0, 0.0], abs=0.02)  # jacfwd: p sweeps, whatever m


@pytest.mark.slow  # a second measuring run of every claim: once in CI (tests/conftest.py)
def test_quick_run_gives_every_claim_a_verdict_on_two_seeds(quick_report):
    """Issue 17: with each claim tested by the model it states, --quick decides every claim on any seed. Seed 0
    is the command line with --quick and one timed repeat (the fixture); seed 1 runs the same quick sweeps with
    one repeat and no report: the same measuring and fitting code in a fraction of --quick's time (the full
    --quick, three repeats, is run by hand on other seeds)."""
    _, out = quick_report
    claims = json.loads((out / "results.json").read_text(encoding="utf-8"))["claims"]
    assert {c["id"]: c["verdict"] for c in claims} == dict.fromkeys(IDS, "holds")
    rows = run_experiments(scaling.EXPERIMENTS, quick=True, repeats=1, seed=1, min_time=0.0, progress=False)
    verdicts = {e.id: analyse(e, rows).verdict for e in scaling.EXPERIMENTS}
    assert verdicts == dict.fromkeys(IDS, "holds")


@pytest.mark.slow  # the quick run of every claim (the fixture): once in CI (tests/conftest.py)
def test_quick_run_checkpointing_trade(quick_report):
    """C8: memory O(L), O(sqrt(L)), flat in L for revolve and one state per snapshot; the recomputed
    steps, read off the op counts, equal the closed forms exactly."""
    _, out = quick_report
    c8 = {c["id"]: c for c in json.loads((out / "results.json").read_text(encoding="utf-8"))["claims"]}["C8"]
    assert c8["verdict"] == "holds"
    memory = {c["variant"]: c["fit"]["exponents"][0] for c in c8["checks"]}
    assert memory["plain reverse"] == pytest.approx(1.0, abs=0.1)
    assert memory["sqrt(L) segments"] == pytest.approx(0.5, abs=0.1)
    assert all(abs(memory[f"revolve, s = {s}"]) < 0.1 for s in (2, 4, 8))
    (slope,) = c8["per_unit"]
    assert slope["unit"] == "states per snapshot" and slope["value"] == pytest.approx(1.0, abs=0.2)
    exact = {x["variant"]: x for x in c8["exact"]}
    for s in (2, 4, 8):
        x = exact[f"revolve, s = {s}"]
        assert x["verdict"] == "holds" and x["baseline"] == "plain reverse"
        assert x["measured"] == [revolve_recomputations(L, s) for (L,) in x["points"]]
    assert exact["sqrt(L) segments"]["measured"] == [12, 27, 56, 117]  # L - L // round(sqrt(L)), L = 16 .. 128
    text = (out / "report.md").read_text(encoding="utf-8")
    assert "| 128 | 117 / 117 | 1,240 / 1,240 | 516 / 516 | 329 / 329 |" in text  # measured / closed form
    assert "| variant | peak memory (bytes) | × plain reverse | time (s, CPU) | × plain reverse |" in text


# ---- options and bad input -----------------------------------------------------------------------

def test_claims_option_runs_only_those_claims(tmp_path):
    out = tmp_path / "two"
    code = scaling.main(scaling.EXPERIMENTS, ["--quick", "--claims", "c2,C5", "--repeats", "1", "--seed", "3",
                                              "--out", str(out), "--no-progress"])
    assert code == 0
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert [c["id"] for c in data["claims"]] == ["C2", "C5"]
    assert data["settings"]["seed"] == 3 and data["settings"]["repeats"] == 1
    assert sorted(p.name for p in out.glob("*.png")) == ["C2.png", "C5.png"]


def test_unknown_claim_is_a_clear_error(tmp_path, capsys):
    code = scaling.main(scaling.EXPERIMENTS, ["--claims", "C1,C99", "--out", str(tmp_path / "x")])
    assert code == 2
    err = capsys.readouterr().err
    assert "unknown claim id C99" in err and "C1, C2, C3, C4, C5, C6, C7, C8, C9, C10" in err
    assert not (tmp_path / "x").exists()


def test_bad_repeats_is_a_clear_error(tmp_path, capsys):
    assert scaling.main(scaling.EXPERIMENTS, ["--repeats", "0", "--out", str(tmp_path / "x")]) == 2
    assert "--repeats must be at least 1" in capsys.readouterr().err


def test_unwritable_output_is_a_clear_error_before_any_measuring(tmp_path, capsys, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setattr(scaling, "main", scaling.main)
    code = scaling.main(scaling.EXPERIMENTS, ["--quick", "--out", str(blocker / "report")])
    assert code == 2
    assert "cannot write the output folder" in capsys.readouterr().err


def test_output_folder_holding_other_files_is_not_replaced(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine")
    code = scaling.main(scaling.EXPERIMENTS, ["--quick", "--claims", "C2", "--out", str(tmp_path)])
    assert code == 2
    assert "holds files a run does not write (notes.txt)" in capsys.readouterr().err
    assert (tmp_path / "notes.txt").read_text() == "mine"


def _tiny(n, rng):
    return (lambda x: anp.sum(anp.sin(x))), np.ones(n)


TINY = Experiment(id="T1", claim="tiny", n="n", quotes=(), build=_tiny, variables=("n",), sweep=(2, 4, 8),
                  quick=(2, 4, 8), tasks=("f", "jvp"), checks=(Check("jvp", "elements", expected=1),))


def test_an_interrupted_run_leaves_the_previous_report_untouched(tmp_path, monkeypatch, capsys):
    out = tmp_path / "report"
    assert scaling.main([TINY], ["--quick", "--repeats", "1", "--out", str(out), "--no-progress"]) == 0
    before = (out / "results.json").read_text(encoding="utf-8")

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr("admodes.measure.command.run_experiments", interrupted)
    code = scaling.main([TINY], ["--quick", "--repeats", "1", "--out", str(out), "--no-progress"])
    assert code == 130
    assert "interrupted; no report written" in capsys.readouterr().err
    assert (out / "results.json").read_text(encoding="utf-8") == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]  # no half-written staging folder


def test_a_run_replaces_only_its_own_files_and_keeps_the_users(tmp_path, capsys):
    out = tmp_path / "report"
    argv = ["--quick", "--repeats", "1", "--out", str(out), "--no-progress"]
    assert scaling.main([TINY], argv) == 0
    (out / "notes.txt").write_text("mine")  # the user's file beside a previous report
    (out / "T1.png").write_bytes(b"old plot")
    assert scaling.main([TINY], argv) == 2  # refused: the folder holds a file a run does not write
    assert "holds files a run does not write (notes.txt)" in capsys.readouterr().err
    assert scaling.main([TINY], [*argv, "--force"]) == 0
    assert (out / "notes.txt").read_text() == "mine"
    assert (out / "T1.png").read_bytes()[:4] == b"\x89PNG"  # the run's own file was replaced
    assert sorted(p.name for p in out.iterdir()) == ["T1.png", "notes.txt", "report.md", "results.csv",
                                                     "results.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]


def test_a_new_output_folder_gets_the_usual_permissions(tmp_path):
    import os
    umask = os.umask(0o022)
    os.umask(umask)
    out = tmp_path / "fresh"
    assert scaling.main([TINY], ["--quick", "--repeats", "1", "--out", str(out), "--no-progress"]) == 0
    assert out.stat().st_mode & 0o777 == 0o777 & ~umask


def test_sigterm_during_a_run_leaves_no_hidden_partial_folder(tmp_path):
    import signal
    import subprocess
    import sys
    import time
    out = tmp_path / "report"
    proc = subprocess.Popen([sys.executable, str(ROOT / "experiments" / "scaling.py"), "--claims", "C1,C2,C3",
                             "--quick", "--no-progress", "--out", str(out)], cwd=ROOT, stderr=subprocess.PIPE,
                            env={**__import__("os").environ, "PYTHONPATH": str(ROOT)})
    deadline = time.monotonic() + 60
    while not [p for p in tmp_path.iterdir() if p.name.startswith(".")] and time.monotonic() < deadline:
        time.sleep(0.05)  # wait until the run has made its staging folder
    assert proc.poll() is None, "the run ended before it could be terminated"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143
    assert "terminated; no report written" in err.decode()
    assert list(tmp_path.iterdir()) == []


def test_an_interrupted_first_run_leaves_no_report(tmp_path, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr("admodes.measure.report.write_csv", interrupted)  # interrupted while writing
    code = scaling.main([TINY], ["--quick", "--repeats", "1", "--out", str(tmp_path / "r"), "--no-progress"])
    assert code == 130
    assert list(tmp_path.iterdir()) == []


# ---- the harness judges what it measures ---------------------------------------------------------

def _squared_chain(n, rng):
    """A function whose op count grows like n^2: it contradicts a claim of O(n)."""
    def f(x):
        for _ in range(n * n):
            x = anp.sin(x)
        return anp.sum(x)
    return f, np.ones(4)


def test_a_verdict_flips_when_the_data_contradict_the_claim():
    linear = Experiment(id="L", claim="", n="n", quotes=(), build=lambda n, rng: scaling.sin_chain(n, rng, size=4),
                        variables=("n",), sweep=(), quick=(4, 8, 16, 32), tasks=("f", "jvp"),
                        checks=(Check("jvp", "calls", expected=1),))
    squared = Experiment(id="S", claim="", n="n", quotes=(), build=_squared_chain, variables=("n",), sweep=(),
                         quick=(4, 8, 16, 24), tasks=("f", "jvp"), checks=(Check("jvp", "calls", expected=1),))
    rows = run_experiments([linear, squared], quick=True, repeats=1, min_time=0.0, progress=False)
    holds, fails = analyse(linear, rows), analyse(squared, rows)
    assert holds.verdict == "holds"
    assert fails.verdict == "does not hold"
    assert fails.checks[0].law.exponent == pytest.approx(2.0, abs=0.1)
    assert "the marginal cost grows with n" in fails.checks[0].verdict.reason


def _row(claim, task, point, calls, seconds=1e-3, peak=0):
    return Row(claim, "", task, point, Measurement(Timing.from_times([seconds]), peak, calls, calls))


GRID = Experiment(id="G", claim="", n="p, m", quotes=(), build=_tiny, variables=("p", "m"), sweep=(), quick=(),
                  tasks=("f", "jacfwd", "jacrev"),
                  checks=(Check("jacfwd", "calls", expected={"p": 1, "m": 0}),
                          Check("jacrev", "calls", expected={"p": 0, "m": 1}),
                          Crossover("jacfwd", "jacrev", "calls", along="p", versus="m")))


def _grid_rows(reverse_sweep_cost):
    rows = []
    for p in (1, 2, 4, 8, 16):
        for m in (1, 2, 4, 8, 16):
            rows.append(_row("G", "jacfwd", (p, m), calls=10 * p, seconds=1e-4 * p))
            rows.append(_row("G", "jacrev", (p, m), calls=reverse_sweep_cost * m, seconds=1e-4 * m))
    return rows


def test_crossover_lies_on_the_diagonal_when_both_sweeps_cost_the_same():
    rows = _grid_rows(reverse_sweep_cost=10)
    found = crossings(GRID, rows, GRID.checks[2])
    assert found[16.0] == pytest.approx(16.0) and found[4.0] == pytest.approx(4.0)
    result = analyse(GRID, rows)
    assert result.verdict == "holds"
    assert result.checks[0].law.exponents == pytest.approx((1.0, 0.0))


def test_crossover_far_from_the_diagonal_does_not_hold():
    rows = _grid_rows(reverse_sweep_cost=100)  # a reverse sweep ten times dearer: forward wins until p = 10 m
    found = crossings(GRID, rows, GRID.checks[2])
    assert found[1.0] == pytest.approx(10.0)
    assert found[2.0] is None  # p would have to reach 20, beyond the grid
    result = analyse(GRID, rows)
    assert result.crossovers[0].verdict.outcome == "does not hold"
    assert result.verdict == "does not hold"


def test_series_ratio_and_per_unit_slope():
    e = Experiment(id="R", claim="", n="L", quotes=(), build=_tiny, sweep=(), quick=(), tasks=("f", "vjp"),
                   checks=(PerUnit("vjp", "peak_bytes", per=100, unit="bytes per op per element"),))
    rows = [r for L in (1, 2, 4) for r in (_row("R", "f", (L,), calls=L, peak=1000),
                                           _row("R", "vjp", (L,), calls=3 * L, peak=1000 + 800 * L))]
    points, values = series(rows, e, "vjp/f", "calls")
    assert points[:, 0].tolist() == [1, 2, 4] and values.tolist() == [3, 3, 3]
    result = analyse(e, rows)
    assert result.per_units[0].value == pytest.approx(8.0)


def _strategy_rows():
    """Four versions of one chain at L = 4, 8, 16: plain; "cut", doing L - 1 more calls in a third of the
    memory; "s1" and "s3", whose memory is 2 + s units and which do 10 and 2L more calls."""
    def row(variant, L, calls, peak, seconds):
        return Row("K", variant, "vjp", (L,), Measurement(Timing.from_times([seconds]), peak, calls, calls))
    rows = []
    for L in (4, 8, 16):
        rows += [row("plain", L, 3 * L, 300 * L, 1e-3 * L), row("cut", L, 4 * L - 1, 100 * L, 2e-3 * L),
                 row("s1", L, 3 * L + 10, 300, 4e-3 * L), row("s3", L, 5 * L, 500, 3e-3 * L)]
    return rows


STRATEGIES = Experiment(
    id="K", claim="a trade", n="L", quotes=(), build={"plain": _tiny, "cut": _tiny, "s1": _tiny, "s3": _tiny},
    sweep=(), quick=(), tasks=("vjp",),
    checks=(Exact("vjp", "calls", expected=lambda L: L - 1, formula="L - 1", variant="cut", baseline="plain"),
            Exact("vjp", "calls", expected=lambda L: 2 * L, formula="2L", variant="s3", baseline="plain"),
            Exact("vjp", "calls", expected=lambda L: 2 * L, formula="2L", variant="s1", baseline="plain"),
            PerUnit("vjp", "peak_bytes", per=100, unit="units per snapshot", across={"s1": 1, "s3": 3},
                    expected=1, tolerance=0.25),
            Frontier("vjp")))


def test_exact_checks_slopes_across_variants_and_the_frontier(tmp_path):
    from admodes.measure.plots import frontier_points, plot_claim
    from admodes.measure.report import render_markdown
    rows = _strategy_rows()
    result = analyse(STRATEGIES, rows)
    cut, s3, s1 = result.exacts
    assert cut.verdict.outcome == "holds" and cut.measured == [3, 7, 15] and cut.points == [(4,), (8,), (16,)]
    assert s3.verdict.outcome == "holds" and s3.expected == [8, 16, 32]
    assert s1.verdict.outcome == "does not hold"
    assert "at 3 of them; first at L=4: measured 10, formula 8" in s1.verdict.reason
    (slope,) = result.per_units
    assert slope.value == pytest.approx(1.0) and slope.verdict.outcome == "holds"
    assert result.frontiers == [STRATEGIES.checks[4]]
    assert result.verdict == "does not hold"  # one exact check fails, so the claim does
    assert frontier_points(STRATEGIES, rows, STRATEGIES.checks[4], (16,))["cut"] == pytest.approx((1600, 0.032))
    plot_claim(result, rows, tmp_path / "K.png")
    assert (tmp_path / "K.png").read_bytes()[:4] == b"\x89PNG"
    text = render_markdown([result], rows, {"command": "test"})
    assert "| 16 | 15 / 15 | 32 / 32 | 10 / 32 **≠** |" in text
    assert "| cut | 1.6 kB | 0.333 | 32 ms | 2 |" in text


def test_experiment_declarations_are_checked():
    with pytest.raises(ValueError, match="unknown task"):
        Experiment(id="X", claim="", n="", quotes=(), build=_tiny, sweep=(), quick=(), tasks=("f", "hessian"))
    with pytest.raises(ValueError, match="needs tasks"):
        Experiment(id="X", claim="", n="", quotes=(), build=_tiny, sweep=(), quick=(), tasks=("f",),
                   checks=(Check("jvp", "calls", expected=1),))
    with pytest.raises(ValueError, match="exactly one of"):
        Check("jvp", "calls")
    with pytest.raises(ValueError, match="unknown metric"):
        Check("jvp", "flops", expected=1)
    with pytest.raises(ValueError, match="only op counts are exact"):
        Exact("vjp", "peak_bytes", expected=lambda L: 0, formula="0")
    with pytest.raises(ValueError, match=r"names variants \['nope'\]"):
        Experiment(id="X", claim="", n="", quotes=(), build={"a": _tiny}, sweep=(), quick=(), tasks=("vjp",),
                   checks=(Exact("vjp", "calls", expected=lambda L: 0, formula="0", variant="a", baseline="nope"),))
