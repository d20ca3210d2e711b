"""How often the gradient checker says "cannot decide" on float32 points (numbers, not pass/fail).

    python benchmarks/check_undecided.py            # 7 correct functions x 50 float32 points x {whole, fast}

Each check is of a correct derivative, so "wrong" is a false alarm and "cannot decide" a lost answer; the
checker's float32 differences are taken in float64 when f takes it (see docs/finite_differences.md).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import admodes.numpy as anp  # noqa: E402
from admodes.check import GradcheckError, GradcheckUndecided, check_grad  # noqa: E402
from benchmarks.bench_check import smooth_loss  # noqa: E402
from tests.test_check import CORRECT_FUNCTIONS  # noqa: E402

CASES = [*CORRECT_FUNCTIONS, ("smooth_loss", lambda x, w: smooth_loss(x) * w),
         ("exp-sin", lambda x, w: anp.sum(anp.exp(anp.sin(x)) * x) * w)]


def verdicts(f, fast, points=50):
    """(undecided, wrong) over ``points`` random float32 points."""
    undecided = wrong = 0
    for seed in range(points):
        rng = np.random.default_rng(seed)
        x, w = (rng.standard_normal(4) * 2).astype(np.float32), np.float32(rng.uniform(0.5, 2.0))
        try:
            check_grad(f, x, w, seed=seed, fast=fast)
        except GradcheckUndecided:
            undecided += 1
        except GradcheckError:
            wrong += 1
    return undecided, wrong


def main(points=50):
    total = undecided = wrong = 0
    print("| function | whole Jacobians: cannot decide / wrong | projections: cannot decide / wrong |")
    print("|---|---|---|")
    for name, f in CASES:
        cells = []
        for fast in (False, True):
            u, w = verdicts(f, fast, points)
            total, undecided, wrong = total + points, undecided + u, wrong + w
            cells.append(f"{u} / {w} of {points}")
        print(f"| {name} | {cells[0]} | {cells[1]} |")
    print(f"\ncannot decide {undecided} of {total} ({undecided / total:.1%}), wrong {wrong} of {total}")


if __name__ == "__main__":
    main()
