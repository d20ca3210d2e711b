"""Experiment C9: a sparse Jacobian costs its number of colors in sweeps, a dense one p (or m) sweeps.

    python -m admodes.sparse.experiment --out DIR            # p = 16 ... 1024, a few minutes
    python -m admodes.sparse.experiment --out DIR --quick    # p = 16 ... 64, seconds

Four functions R^p -> R^p with the Jacobians of the textbook (Gebremedhin, Manne and Pothen 2005):
banded (bandwidth 2), block-diagonal (8 x 8 blocks), arrowhead (a dense first row and column) and the
5-point stencil on an n x n grid (p = n^2). For each p: the sweeps and the time of the dense `jacfwd`
(one forward sweep per column), the dense `jacrev` (one reverse sweep per row) and the compressed
`sparse_jacobian` (``mode="auto"``; pattern and coloring prepared once, outside the timing). Dense sweeps
grow like p; compressed ones stay at the number of colors. The arrowhead's dense row and column give every
column and every row a color of its own, so one-sided coloring cannot compress it; split in two
(`bicoloring`: the dense row by one reverse sweep, the rest by two forward sweeps) it takes 3 sweeps at any
p. The figure shows each pattern colored as the compressed sweeps read it (what a teacher puts on the
board), then sweeps and time against p.

Writes ``C9.png``, ``C9.csv`` and ``C9.md`` (the fitted exponents of sweeps and of time against p, and
the verdicts, as `admodes.measure` judges C1-C8) into ``--out``.
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
import warnings
from pathlib import Path

import numpy as np

import admodes as ad
import admodes.numpy as anp
from admodes.measure import HOLDS, exponent_verdict, fit_power_law, time_call

from .compressed import CompressionWarning

__all__ = ["FAMILIES", "run", "write_report", "main"]

BAND, BLOCK = 2, 8


def _shift(v, k):
    """v moved k places down (k > 0) or up (k < 0), zeros filling in: a neighbour k places away."""
    zero = np.zeros(abs(k), v.dtype)
    return anp.concatenate([zero, v[:-k]]) if k > 0 else anp.concatenate([v[-k:], zero])


def banded(p, rng):
    """f_i = x_i^2 + sum over 0 < |k| <= 2 of sin(x_(i+k)): bandwidth 2, 5 colors either way.

    >>> f, x = banded(8, np.random.default_rng(0)); f(x).shape
    (8,)
    """
    def f(x):
        out = x * x
        for k in range(1, BAND + 1):
            out = out + _shift(anp.sin(x), k) + _shift(anp.sin(x), -k)
        return out
    return f, rng.uniform(-1, 1, p)


def block_diagonal(p, rng):
    """f = tanh(x W) blockwise, W a dense 8 x 8 matrix: 8 colors either way."""
    w = rng.standard_normal((BLOCK, BLOCK)) / np.sqrt(BLOCK)
    return (lambda x: anp.tanh(x.reshape(-1, BLOCK) @ w).ravel()), rng.uniform(-1, 1, p)


def arrowhead(p, rng):
    """f_0 = sum(x^2), f_i = x_0 x_i + sin(x_i): a dense first row and first column, p colors either way."""
    return (lambda x: anp.concatenate([anp.sum(x * x, keepdims=True), x[0] * x[1:] + anp.sin(x[1:])]),
            rng.uniform(-1, 1, p))


def stencil(p, rng):
    """The 5-point Laplacian of u = x on an n x n grid (p = n^2), plus u^3: 5 colors either way."""
    n = math.isqrt(p)

    def f(x):
        u = x.reshape(n, n)
        zero_row, zero_column = np.zeros((1, n)), np.zeros((n, 1))
        up, down = anp.concatenate([zero_row, u[:-1]]), anp.concatenate([u[1:], zero_row])
        left = anp.concatenate([zero_column, u[:, :-1]], axis=1)
        right = anp.concatenate([u[:, 1:], zero_column], axis=1)
        return (up + down + left + right - 4.0 * u + u ** 3).ravel()
    return f, rng.uniform(-1, 1, n * n)


FAMILIES = {"banded": banded, "block-diagonal": block_diagonal, "arrowhead": arrowhead, "2-D stencil": stencil}
SIZES = {"full": (16, 32, 64, 128, 256, 512, 1024), "quick": (16, 32, 64)}
STENCIL_SIDES = {"full": (4, 6, 8, 12, 16, 24, 32), "quick": (4, 6, 8)}
METHODS = ("dense jacfwd", "dense jacrev", "compressed")


def _methods(f, x):
    """Each method's call and its number of sweeps (columns, rows, colors)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CompressionWarning)  # (a small p may not compress)
        compressed = ad.sparse_jacobian(f).prepare(x)
    m = np.size(f(x))
    return {"dense jacfwd": (ad.jacfwd(f), x.size), "dense jacrev": (ad.jacrev(f), m),
            "compressed": (compressed, compressed.sweeps)}


def run(quick=False, repeats=3, seed=0, families=None, min_time=0.005):
    """Measure every family at every size: a list of rows (family, p, method, sweeps, seconds, mode)."""
    rng, rows, scale = np.random.default_rng(seed), [], "quick" if quick else "full"
    for family in families or FAMILIES:
        build = FAMILIES[family]
        sizes = [n * n for n in STENCIL_SIDES[scale]] if family == "2-D stencil" else SIZES[scale]
        for p in sizes:
            f, x = build(p, rng)
            for method, (jacobian, sweeps) in _methods(f, x).items():
                seconds = time_call(lambda: jacobian(x), repeats=repeats, min_time=min_time).median
                mode = getattr(jacobian, "mode", method.split()[-1].replace("jac", ""))
                rows.append({"family": family, "p": p, "method": method, "sweeps": sweeps, "seconds": seconds,
                             "mode": mode})
    return rows


def _series(rows, family, method, key):
    picked = [r for r in rows if r["family"] == family and r["method"] == method]
    return [r["p"] for r in picked], [r[key] for r in picked]


def verdicts(rows):
    """For each family and method: the fitted exponent of sweeps and of time against p, and the verdict on
    the claim (dense: sweeps grow like p; compressed: sweeps stay constant)."""
    out = []
    for family in dict.fromkeys(r["family"] for r in rows):
        for method in METHODS:
            p, sweeps = _series(rows, family, method, "sweeps")
            _, seconds = _series(rows, family, method, "seconds")
            if len(p) < 3:
                continue
            expected = 0 if method == "compressed" else 1
            verdict = exponent_verdict(fit_power_law(p, sweeps), expected, tolerance=0.1)
            out.append({"family": family, "method": method, "expected": expected, "verdict": verdict,
                        "sweeps": f"{sweeps[0]} .. {sweeps[-1]}",
                        "time exponent": fit_power_law(p, seconds).exponents[0]})
    return out


def _pattern_panel(ax, family, p=64):
    """The pattern, each entry in the color of the sweep that reads it: a forward sweep's column color, a
    reverse sweep's row color (after the forward ones, for a two-sided split)."""
    f, x = FAMILIES[family](p, np.random.default_rng(0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CompressionWarning)
        jac = ad.sparse_jacobian(f).prepare(x)
    pattern = jac.sparsity.tocoo()
    rows, cols = pattern.row, pattern.col
    if jac.mode == "bidirectional":
        split = jac.coloring
        reverse = split.forward.count + split.reverse.colors[rows]
        entry_colors = np.where(split.by_forward, split.forward.colors[cols], reverse)
        text = f"{split.forward.count} forward + {split.reverse.count} reverse sweeps"
    else:
        entry_colors = jac.coloring.colors[cols if jac.mode == "forward" else rows]
        text = f"{jac.sweeps} {jac.mode} sweeps"
    one_sided = ad.coloring(jac.sparsity, "column")
    count = int(entry_colors.max()) + 1 if entry_colors.size else 1
    ax.scatter(cols, rows, c=entry_colors, cmap="tab10" if count <= 10 else "viridis", marker="s",
               s=max(2.0, 900.0 / pattern.shape[0]), linewidths=0, vmin=0, vmax=max(count - 1, 1))
    ax.set_xlim(-0.5, pattern.shape[1] - 0.5)
    ax.set_ylim(pattern.shape[0] - 0.5, -0.5)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(f"{family}, p = {x.size}\n{text}\n({one_sided.count} column colors, at least "
                 f"{one_sided.lower_bound})", fontsize=9)


def plot(rows, path):
    """The figure: each pattern colored as the compressed sweeps read it; sweeps and time against p."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    families = list(dict.fromkeys(r["family"] for r in rows))
    fig, axes = plt.subplots(3, len(families), figsize=(3.2 * len(families), 9.0), squeeze=False)
    from matplotlib.ticker import NullFormatter, ScalarFormatter

    styles = {"dense jacfwd": ("tab:blue", "o", "-"), "dense jacrev": ("tab:red", "s", "--"),
              "compressed": ("tab:green", "^", "-")}
    for j, family in enumerate(families):
        _pattern_panel(axes[0, j], family)
        for i, key in ((1, "sweeps"), (2, "seconds")):
            ax = axes[i, j]
            for method in METHODS:
                p, y = _series(rows, family, method, key)
                colour, marker, line = styles[method]
                ax.loglog(p, y, marker=marker, color=colour, linestyle=line, label=method, markersize=4)
            ax.xaxis.set_major_formatter(ScalarFormatter())
            ax.xaxis.set_minor_formatter(NullFormatter())
            ax.set_xlabel("p (inputs = outputs)")
            ax.set_ylabel("sweeps" if key == "sweeps" else "time (s)")
            ax.grid(True, which="both", alpha=0.3)
        axes[1, j].legend(fontsize=7)
    fig.suptitle("C9: a sparse Jacobian costs its colors, a dense one p sweeps", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_report(rows, out):
    """C9.csv (every measurement), C9.md (exponents and verdicts) and C9.png into the folder ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "C9.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    judged = verdicts(rows)
    lines = ["# C9: a sparse Jacobian costs its number of colors in sweeps, a dense one p or m sweeps", "",
             __doc__.split("\n\n")[2].replace("\n", " "), "",
             "| function | method | sweeps (smallest p .. largest) | expected exponent of sweeps | verdict | "
             "exponent of time |", "|---|---|---|---|---|---|"]
    for v in judged:
        lines.append(f"| {v['family']} | {v['method']} | {v['sweeps']} | {v['expected']} | {v['verdict'].outcome}: "
                     f"{v['verdict'].reason} | {v['time exponent']:.2f} |")
    lines += ["", "![patterns, sweeps and time](C9.png)", ""]
    (out / "C9.md").write_text("\n".join(lines))
    plot(rows, out / "C9.png")
    return judged


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m admodes.sparse.experiment", description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True, help="the folder for C9.png, C9.csv and C9.md")
    parser.add_argument("--quick", action="store_true", help="p = 16 ... 64 only")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    judged = write_report(run(args.quick, args.repeats, args.seed), args.out)
    for v in judged:
        print(f"{v['family']:16s} {v['method']:14s} sweeps {v['sweeps']:>12s}  {v['verdict'].outcome}")
    return 0 if all(v["verdict"].outcome == HOLDS for v in judged) else 1


if __name__ == "__main__":
    sys.exit(main())
