"""Plots of the scaling experiments, made for a slide: log-log axes, one colour per mode, fitted lines
with their exponents in the legend, and a title that states the claim.

Forward mode is always blue, reverse mode always orange, plain ``f`` grey.
"""

from __future__ import annotations

import math

import numpy as np

from .fits import fit_power_laws
from .harness import COUNT_METRICS, Check, crossings, series
from .tasks import TASKS
from .timing import METRICS

__all__ = ["COLOURS", "plot_claim"]

COLOURS = {"plain": "#555555", "forward": "#1f77b4", "reverse": "#ff7f0e"}
"""One colour per mode, the same in every plot."""

_MARKERS = ["o", "s", "^", "D", "v"]
_VERDICT_COLOURS = {"holds": "#2ca02c", "does not hold": "#d62728", "inconclusive": "#7f7f7f"}


def _pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def _style(task, variant, experiment):
    mode = TASKS[task].mode
    same_mode = [t for t in experiment.tasks if TASKS[t].mode == mode]
    marker = _MARKERS[same_mode.index(task) % len(_MARKERS)]
    hollow = experiment.variants.index(variant) % 2 == 1 if variant in experiment.variants else False
    return dict(color=COLOURS[mode], marker=marker, markerfacecolor="white" if hollow else COLOURS[mode],
                linestyle="none", markersize=6)


def _label(task, variant):
    label = TASKS[task].label
    return f"{label}, {variant}" if variant else label


def _fit_line(ax, n, y, style, text_prefix, solid):
    keep = (n > 0) & (y > 0) & np.isfinite(y)
    if keep.sum() < 2:
        return
    law = fit_power_laws([n[keep]], y[keep], names=("n",))
    grid = np.geomspace(n[keep].min(), n[keep].max(), 50)
    lo, hi = law.interval
    ci = f" [{lo:.2f}, {hi:.2f}]" if math.isfinite(lo) else ""
    ax.plot(grid, law(grid), color=style["color"], linestyle="-" if solid else ":", linewidth=2 if solid else 1.2,
            alpha=0.8, label=f"{text_prefix}: slope {law.exponent:.2f}{ci}")


def _panel(ax, experiment, rows, metric, names, checked):
    """Plot the ``names`` series ((series, variant) pairs) of one measure on log-log axes, with fits."""
    variable = experiment.variables[0]
    for name, variant in names:
        points, values = series(rows, experiment, name, metric, variant)
        if len(values) == 0:
            continue
        n = points[:, 0]
        task = name.split("/")[0]
        style = _style(task, variant, experiment)
        label = _label(task, variant) if "/" not in name else f"{_label(task, variant)} / f"
        keep = values > 0
        ax.plot(n[keep], values[keep], **style)
        _fit_line(ax, n, values, style, label, solid=(name, variant) in checked)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel(variable)
    ax.set_ylabel(METRICS[metric] if not any("/" in n for n, _ in names) else f"ratio to f ({METRICS[metric]})")
    ax.grid(True, which="both", alpha=0.25)
    ax.legend(fontsize=7, loc="best")


def _title(fig, result):
    e = result.experiment
    verdict = result.verdict
    fig.suptitle(f"{e.id}: {e.title or e.claim}", fontsize=13, fontweight="bold")
    fig.text(0.5, 0.905, f"verdict: {verdict}", ha="center", fontsize=10, color=_VERDICT_COLOURS[verdict])


def plot_claim(result, rows, path):
    """Draw one experiment's plot to ``path`` (a PNG): a panel per measure the checks use, plus wall time."""
    e = result.experiment
    plt = _pyplot()
    if len(e.variables) > 1:
        return _plot_grid(result, rows, path, plt)
    checks = [c for c in e.checks if isinstance(c, Check) and c.expected is not None or
              getattr(c, "below", None) is not None]
    plain_metrics = []
    for c in e.checks:
        metric = getattr(c, "metric", None)
        if metric and "/" not in getattr(c, "series", "") and metric not in plain_metrics:
            plain_metrics.append(metric)
    if "seconds" not in plain_metrics:
        plain_metrics.append("seconds")
    ratio_checks = [c for c in checks if c.ratio]
    ratio_panels = []
    for c in ratio_checks:
        for metric in (c.metric, "seconds"):
            if (c.series, metric) not in ratio_panels:
                ratio_panels.append((c.series, metric))
    panels = len(plain_metrics) + (1 if ratio_panels else 0)
    fig, axes = plt.subplots(1, panels, figsize=(5.2 * panels, 4.6), squeeze=False)
    axes = axes[0]
    all_series = [(t, v) for v in e.variants for t in e.tasks]
    checked = {(c.series, c.variant) for c in checks}
    for ax, metric in zip(axes, plain_metrics):
        _panel(ax, e, rows, metric, all_series, checked if metric != "seconds" else
               {(c.series, c.variant) for c in checks if c.metric in COUNT_METRICS})
        ax.set_title(METRICS[metric], fontsize=10)
    if ratio_panels:
        ax = axes[-1]
        for name, metric in ratio_panels:
            for variant in e.variants:
                points, values = series(rows, e, name, metric, variant)
                if len(values) == 0:
                    continue
                task = name.split("/")[0]
                style = _style(task, variant, e)
                if metric == "seconds":
                    style.update(markerfacecolor="white")
                ax.plot(points[:, 0], values, linestyle="-", linewidth=1, **{k: v for k, v in style.items()
                                                                            if k != "linestyle"},
                        label=f"{name} in {METRICS[metric]}")
        for c in ratio_checks:
            if c.below is not None:
                ax.axhline(c.below, color="#d62728", linestyle="--", linewidth=1, label=f"bound {c.below:g}")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel(e.variables[0])
        ax.set_ylabel("ratio to f")
        ax.set_title("cost relative to f (flat = same growth as f)", fontsize=10)
        ax.grid(True, which="both", alpha=0.25)
        ax.legend(fontsize=7, loc="best")
    _title(fig, result)
    fig.tight_layout(rect=(0, 0, 1, 0.89))
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _plot_grid(result, rows, path, plt):
    """Two sweep variables (a Jacobian's p and m): cost curves at a few m, and where each mode is cheaper."""
    e = result.experiment
    crossover = result.crossovers[0].crossover if result.crossovers else None
    fwd, rev = (crossover.forward, crossover.reverse) if crossover else ("jacfwd", "jacrev")
    along, versus = (crossover.along, crossover.versus) if crossover else e.variables
    ia, iv = e.variables.index(along), e.variables.index(versus)
    metric = crossover.metric if crossover else "calls"
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.8))
    p_fwd, c_fwd = series(rows, e, fwd, metric, "")
    p_rev, c_rev = series(rows, e, rev, metric, "")
    versus_values = sorted(set(p_fwd[:, iv]))
    shown = [versus_values[i] for i in sorted({0, len(versus_values) // 2, len(versus_values) - 1})]
    ax = axes[0]
    for k, v in enumerate(shown):
        for task, points, values in ((fwd, p_fwd, c_fwd), (rev, p_rev, c_rev)):
            sel = points[:, iv] == v
            style = _style(task, "", e)
            style["marker"] = _MARKERS[k % len(_MARKERS)]
            ax.plot(points[sel, ia], values[sel], linestyle="-", linewidth=1,
                    **{key: val for key, val in style.items() if key != "linestyle"},
                    label=f"{TASKS[task].label}, {versus}={v:g}")
    for c in result.checks:
        if c.law is not None:
            ax.plot([], [], " ", label=f"fit {c.check.series}: " + ", ".join(
                f"{n}^{b:.2f}" for n, b in zip(c.law.names, c.law.exponents)))
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel(f"{along} (inputs)")
    ax.set_ylabel(METRICS[metric])
    ax.set_title(f"{METRICS[metric]} against {along}", fontsize=10)
    ax.grid(True, which="both", alpha=0.25)
    ax.legend(fontsize=6.5, loc="best")
    for ax, m in zip(axes[1:], (metric, "seconds")):
        _heatmap(ax, e, rows, fwd, rev, m, along, versus, result if m == metric else None)
    _title(fig, result)
    fig.tight_layout(rect=(0, 0, 1, 0.89))
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _heatmap(ax, e, rows, fwd, rev, metric, along, versus, result):
    from matplotlib.colors import LinearSegmentedColormap
    ia, iv = e.variables.index(along), e.variables.index(versus)
    points, a = series(rows, e, fwd, metric, "")
    _, b = series(rows, e, rev, metric, "")
    xs, ys = sorted(set(points[:, ia])), sorted(set(points[:, iv]))
    grid = np.full((len(ys), len(xs)), np.nan)
    for (x, y), ratio in zip(points[:, [ia, iv]], a / b):
        grid[ys.index(y), xs.index(x)] = math.log2(ratio)
    limit = max(1.0, float(np.nanmax(np.abs(grid))))
    cmap = LinearSegmentedColormap.from_list("modes", [COLOURS["forward"], "#ffffff", COLOURS["reverse"]])
    # Negative log ratio: forward costs less, so the cell takes forward's colour.
    image = ax.imshow(grid, origin="lower", cmap=cmap, vmin=-limit, vmax=limit, aspect="auto")
    for i in range(len(ys)):
        for j in range(len(xs)):
            if np.isfinite(grid[i, j]):
                ax.text(j, i, f"{2 ** grid[i, j]:.2g}", ha="center", va="center", fontsize=6)
    ax.set_xticks(range(len(xs)), [f"{x:g}" for x in xs])
    ax.set_yticks(range(len(ys)), [f"{y:g}" for y in ys])
    ax.set_xlabel(f"{along} (inputs)")
    ax.set_ylabel(f"{versus} (outputs)")
    # The diagonal p = m, in cell coordinates (the grids are geometric, so it is a straight line).
    diag = [(xs.index(v), ys.index(v)) for v in xs if v in ys]
    if diag:
        ax.plot([d[0] for d in diag], [d[1] for d in diag], color="black", linestyle="--", linewidth=1,
                label=f"{along} = {versus}")
    if result is not None and result.crossovers:
        found = crossings(e, rows, result.crossovers[0].crossover)
        cx = [np.interp(math.log(c), np.log(xs), range(len(xs))) for v, c in found.items() if c is not None]
        cy = [ys.index(v) for v, c in found.items() if c is not None]
        ax.plot(cx, cy, "kx", markersize=8, markeredgewidth=2, label="measured crossover")
    ax.legend(fontsize=7, loc="upper left")
    ax.set_title(f"{fwd} / {rev} in {METRICS[metric]} (blue: forward cheaper)", fontsize=10)
    ax.figure.colorbar(image, ax=ax, label=f"log2({fwd} / {rev})")
