"""Plots of the scaling experiments, made for a slide: log-log axes, one colour per mode, fitted lines
with their exponents in the legend, and a title that states the claim.

Forward mode is always blue, reverse mode always orange, plain ``f`` grey. Points are measurements;
lines are power-law fits (solid where a check judges the series, dotted where it is shown for contrast), or
for an `Exponential` check the fitted c b^k with its base in the legend.
With more than two variants (the checkpointing strategies of C8), each variant has its own marker and a
darker shade of its mode's colour, and a `Frontier` adds a panel of memory against time.
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import replace

import numpy as np

from .fits import fit_exponential, fit_marginal_cost, fit_power_laws, marginal_verdict
from .harness import COUNT_METRICS, Check, Exponential
from .overhead import fixed_shares
from .tasks import TASKS
from .timing import METRICS
from .verdicts import crossings, series, series_unit

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
    """Colour by mode, marker by task within the mode, hollow markers for the second variant (with more
    than two variants: marker and shade by variant)."""
    mode = TASKS[task].mode
    index = experiment.variants.index(variant)
    if len(experiment.variants) > 2:
        colour = _shade(COLOURS[mode], index / (len(experiment.variants) - 1))
        return dict(color=colour, marker=_MARKERS[index % len(_MARKERS)], markerfacecolor=colour, markersize=6.5)
    same_mode = [t for t in experiment.tasks if TASKS[t].mode == mode]
    hollow = index % 2 == 1
    return dict(color=COLOURS[mode], marker=_MARKERS[same_mode.index(task) % len(_MARKERS)],
                markerfacecolor="white" if hollow else COLOURS[mode], markersize=6.5)


def _shade(colour, darkness):
    """``colour`` (a hex string) mixed with black: ``darkness`` 0 keeps it, 1 gives 70% black.

    >>> _shade("#ff7f0e", 0.0), _shade("#ff7f0e", 1.0)
    ('#ff7f0e', '#4d2604')
    """
    rgb = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    return "#" + "".join(f"{round(255 * c * (1 - 0.7 * darkness)):02x}" for c in rgb)


AXIS_LABELS = {"L": "L, operations in f", "p": "p, inputs of f", "m": "m, outputs of f",
               "B": "B, operations in the unrelated branch"}
"""What each sweep variable counts, as an axis says it."""


def _axis(name):
    return AXIS_LABELS.get(name, name)


def _label(name, variant, experiment):
    """A legend label: the task (and "/ f" for a ratio), with the variant; with many variants, the variant
    alone (the panel's title names the task), and plain f without a variant (it is the same in each)."""
    parts = name.split("/")
    label = TASKS[parts[0]].label + (" / f" if len(parts) == 2 else "")
    if not variant or (TASKS[parts[0]].mode == "plain" and len(experiment.variants) > 2):
        return label
    return variant if len(experiment.variants) > 2 else f"{label} [{variant}]"


def _legend(ax, columns=1):
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.16), frameon=False, ncol=columns)


def _loglog(ax, xlabel, ylabel):
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, which="major", alpha=0.3)
    ax.grid(True, which="minor", alpha=0.1)


class _Panel:
    """What one panel has drawn: the series' values (to see one hidden under another) and whether the guide's
    legend entry is there."""

    def __init__(self, ax):
        self.ax, self.drawn, self.guide = ax, [], False

    def hidden_under(self, n, y):
        return any(len(n) == len(m) and np.allclose(n, m) and np.allclose(y, v, rtol=0.03) for m, v in self.drawn)


def _expected_power(check, experiment):
    expected = check.expected if isinstance(check.expected, dict) else {experiment.variables[0]: check.expected}
    return expected.get(experiment.variables[0])


def _plot_series(panel, e, rows, name, metric, variant, check=None, label_suffix="", hollow=False):
    """Measured points of one series; for a judged series (``check``) its fit under the claim's model (solid)
    and the claimed law as a dashed guide through the largest point (for an `Exponential` check, the fitted
    c b^k); other series joined by a thin line."""
    ax = panel.ax
    points, values = series(rows, e, name, metric, variant)
    keep = np.isfinite(values) & (values > 0)
    if keep.sum() == 0:
        return
    n, y = points[keep, 0], values[keep]
    style = _style(name.split("/")[0], variant, e)
    if hollow or panel.hidden_under(n, y):  # drawn larger and hollow so the series beneath shows through
        style.update(markerfacecolor="white", markersize=11, markeredgewidth=1.8)
    panel.drawn.append((n, y))
    label = _label(name, variant, e) + label_suffix
    if isinstance(check, Exponential) and len(set(n)) >= 3:
        fit, grid = fit_exponential(n, y), np.linspace(n.min(), n.max(), 60)
        ax.plot(grid, fit(grid), color=style["color"], linestyle="-", linewidth=2.0, alpha=0.85)
        lo, hi = fit.interval
        text = f"fit c·{fit.base:.2f}^k, base 95% CI [{lo:.2f}, {hi:.2f}]"
        ax.plot(n, y, linestyle="none", label=f"{label}: {text}", **style)
        return
    power = _expected_power(check, e) if isinstance(check, Check) and check.below is None else None
    grid = np.geomspace(n.min(), n.max(), 60)
    if power is not None and len(set(n)) >= 2 and power > 0:
        mc = fit_marginal_cost(n, y, power=power, name=e.variables[0])
        if metric == "seconds" and not marginal_verdict(mc, check.tolerance).holds:
            power = None  # the clock does not follow the model here (the report says why): no curve that misses
            label += ": time not affine here (see the report)"
    if power is not None and len(set(n)) >= 2:
        if power > 0:
            curve, text = mc(grid), mc.describe(series_unit(check, metric))
            text = text.split(";")[0]  # the marginal cost; its exponent is in the report
        else:
            law = fit_power_laws([n], y, names=("n",))
            lo, hi = law.interval
            curve, text = law(grid), f"exponent {_fixed(law.exponent)} [{_fixed(lo)}, {_fixed(hi)}]"
        ax.plot(grid, curve, color=style["color"], linestyle="-", linewidth=2.0, alpha=0.85)
        guide = y[np.argmax(n)] * (grid / n.max()) ** power
        near = guide >= y.min() / 1.5  # where the guide leaves the data far below, it would only stretch the axis
        ax.plot(grid[near], guide[near], color=style["color"], linestyle="--", linewidth=1.0, alpha=0.7)
        if not panel.guide:
            ax.plot([], [], color="#555555", linestyle="--", linewidth=1.0,
                    label="dashed: the claimed law, through the largest point")
            panel.guide = True
        label = f"{label}: {text}"
    elif len(n) >= 2:
        ax.plot(n, y, color=style["color"], linestyle=":", linewidth=1.0, alpha=0.7)
    ax.plot(n, y, linestyle="none", label=label, **style)


def _fixed(x):
    text = f"{x:.2f}"
    return "0.00" if text == "-0.00" else text


def _clock_note(ax, result, rows, costs):
    """A line per judged task in the time panel: the share of its time paid per call, at both ends."""
    lines = []
    for task, variant, ends in fixed_shares(result, rows, costs):
        shares = " → ".join(f"{share:.0%}" for _, share in ends)
        lines.append(f"{_label(task, variant, result.experiment)}: {shares}")
    if lines:  # as legend entries without a mark, below the panel where they hide no point
        ax.plot([], [], " ", label="fixed cost per call, share of the time (smallest → largest size):")
        for line in lines:
            ax.plot([], [], " ", label="   " + line)


def plot_claim(result, rows, path, costs=None):
    """Draw one experiment's plot to ``path`` (a PNG).

    One variable: a panel for each measure the checks judge (op counts or peak memory), time (CPU),
    and the ratios to f when a check is about a ratio. Two variables (a Jacobian's p and m): the
    cost against p at a few m, and which mode is cheaper over the grid, in op counts and time.

    >>> import tempfile, pathlib, numpy as np
    >>> from admodes.measure import Check, Experiment, analyse, run_experiments
    >>> e = Experiment(id="X", claim="sin costs O(n)", n="n", quotes=(), variables=("n",),
    ...                build=lambda n, rng: (np.sin, np.ones(n)), sweep=(), quick=(100, 200, 400), tasks=("f",),
    ...                checks=(Check("f", "peak_bytes", expected=1),))
    >>> rows = run_experiments([e], quick=True, repeats=1, min_time=0.0, progress=False)
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "X.png"
    >>> plot_claim(analyse(e, rows), rows, path); path.read_bytes()[:4]
    b'\\x89PNG'
    """
    plt = _pyplot()
    costs = costs or {}
    if len(result.experiment.variables) > 1:
        fig = _grid_figure(result, rows, plt, costs)
    else:
        fig = _sweep_figure(result, rows, plt, costs)
    e = result.experiment
    width = fig.get_size_inches()[0]
    title = textwrap.wrap(f"{e.id}: {e.claim}", int(width * 6.5))  # about the characters of 14 pt bold per inch
    fig.suptitle("\n".join(title), fontsize=14, fontweight="bold", y=0.99)
    below = 0.915 - 0.05 * (len(title) - 1)
    fig.text(0.5, below, f"verdict: {result.verdict}" + (f" (time {result.time_agreement})"
                                                         if result.time_agreement else ""),
             ha="center", fontsize=11, color=_VERDICT_COLOURS[result.verdict])
    if len(title) > 1:
        fig.subplots_adjust(top=fig.subplotpars.top - 0.05 * (len(title) - 1))
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)


def _sweep_figure(result, rows, plt, costs):
    e = result.experiment
    checks = [c for c in e.checks if isinstance(c, Check)]
    metrics = []
    for c in [*checks, *(c for c in e.checks if isinstance(c, Exponential))]:
        if c.metric not in metrics and c.metric != "seconds":
            metrics.append(c.metric)
    metrics.append("seconds")
    ratio_checks = [c for c in checks if c.ratio]
    panels = len(metrics) + bool(ratio_checks) + bool(result.frontiers)
    fig, axes = plt.subplots(1, panels, figsize=(5.6 * panels, 4.6), squeeze=False)
    judged = {(c.series, c.variant, c.metric): c for c in checks if not c.ratio}
    judged.update({(c.series, c.variant, "seconds"): c for c in checks if c.metric in COUNT_METRICS and not c.ratio})
    judged.update({(c.series, c.variant, c.metric): c for c in e.checks if isinstance(c, Exponential)})
    variable = e.variables[0]
    many = len(e.variants) > 2
    for ax, metric in zip(axes[0], metrics):
        panel = _Panel(ax)
        for variant in e.variants:
            for task in e.tasks:
                if many and TASKS[task].mode == "plain" and variant != e.variants[0]:
                    continue  # plain f is the same function in every variant: drawn once
                _plot_series(panel, e, rows, task, metric, variant, judged.get((task, variant, metric)))
        _loglog(ax, _axis(variable), METRICS[metric])
        tasks = sorted({TASKS[t].label for t in e.tasks if TASKS[t].mode != "plain"})
        ax.set_title(METRICS[metric] + (f" of the {tasks[0]}" if many and len(tasks) == 1 else ""), fontsize=11)
        if metric == "seconds":
            _clock_note(ax, result, rows, costs)
        _legend(ax)
    if ratio_checks:
        ax = axes[0][-1 - bool(result.frontiers)]
        panel = _Panel(ax)
        shown = []
        for c in ratio_checks:
            for metric in (c.metric, "seconds"):
                if (c.series, c.variant, metric) not in shown:
                    shown.append((c.series, c.variant, metric))
                    judge = c if metric == c.metric or c.metric in COUNT_METRICS else None
                    _plot_series(panel, e, rows, c.series, metric, c.variant, judge if c.below is None else None,
                                 label_suffix=f", {'time' if metric == 'seconds' else METRICS[metric]}",
                                 hollow=metric == "seconds")
            if c.below is not None:
                ax.axhline(c.below, color="#d62728", linestyle="--", linewidth=1, label=f"bound: {c.below:g} x f")
        _loglog(ax, _axis(variable), "cost / cost of f")
        low, high = ax.get_ylim()
        if high / low < 10:  # a flat ratio should look flat: show at least a decade
            middle = math.sqrt(low * high)
            ax.set_ylim(middle / 10 ** 0.5, middle * 10 ** 0.5)
        from matplotlib.ticker import FuncFormatter
        plain = FuncFormatter(lambda v, _: f"{v:g}")
        ax.yaxis.set_major_formatter(plain)
        ax.yaxis.set_minor_formatter(FuncFormatter(lambda v, _: f"{v:g}" if high / low < 10 else ""))
        ax.set_title("relative to f (flat: grows like f)", fontsize=11)
        _legend(ax)
    if result.frontiers:
        _frontier(axes[0][-1], e, rows, result.frontiers[0])
    fig.subplots_adjust(top=0.82, wspace=0.3)
    return fig


def frontier_points(e, rows, frontier, point):
    """``{variant: (memory, cost)}`` of ``frontier.series`` at one point of the sweep."""
    table = {(r.variant, r.task): r.measurement for r in rows if r.claim == e.id and r.point == point}
    return {v: (table[(v, frontier.series)].metric(frontier.memory), table[(v, frontier.series)].metric(frontier.cost))
            for v in e.variants if (v, frontier.series) in table}


def _frontier(ax, e, rows, frontier, largest=3):
    """Memory against cost at the ``largest`` points of the sweep: one line per point through the variants,
    one marker per variant; the names sit beside the largest point's marks."""
    points = sorted({r.point for r in rows if r.claim == e.id})[-largest:]
    for k, point in enumerate(points):
        marks = frontier_points(e, rows, frontier, point)
        if not marks:
            continue
        order = sorted(marks, key=lambda v: marks[v][0])
        last = k == len(points) - 1
        ax.plot([marks[v][0] for v in order], [marks[v][1] for v in order], color="#999999",
                linewidth=2.0 if last else 1.0, alpha=1.0 if last else 0.5, zorder=1,
                label=_point_text(e.variables, point) + (" (labelled)" if last else ""))
        for v in order:
            style = _style(frontier.series, v, e)
            ax.plot(*marks[v], linestyle="none", alpha=1.0 if last else 0.45, zorder=2, **style)
            if last:
                ax.annotate(v, marks[v], textcoords="offset points", xytext=(6, 4), fontsize=8)
    _loglog(ax, METRICS[frontier.memory], METRICS[frontier.cost])
    ax.set_xscale("log")
    ax.set_title(f"the trade: memory against {'time' if frontier.cost == 'seconds' else METRICS[frontier.cost]}\n"
                 f"({TASKS[frontier.series].label}, one line per {e.variables[0]})", fontsize=11)
    _legend(ax)


def _point_text(names, point):
    return ", ".join(f"{n} = {v:g}" for n, v in zip(names, point))


def _grid_figure(result, rows, plt, costs):
    """Two sweep variables (a Jacobian's p and m): cost curves at a few m, and where each mode is cheaper."""
    e = result.experiment
    if not result.crossovers:
        raise ValueError(f"experiment {e.id}: a two-variable plot needs a Crossover check")
    crossover = result.crossovers[0].crossover
    fwd, rev, metric = crossover.forward, crossover.reverse, crossover.metric
    ia, iv = e.variables.index(crossover.along), e.variables.index(crossover.versus)
    fig, axes = plt.subplots(1, 3, figsize=(17, 5.2))
    ax = axes[0]
    panel = _Panel(ax)
    p_fwd, c_fwd = series(rows, e, fwd, metric)
    p_rev, c_rev = series(rows, e, rev, metric)
    versus_values = sorted(set(p_fwd[:, iv]))
    shown = [versus_values[i] for i in sorted({0, len(versus_values) // 2, len(versus_values) - 1})]
    for k, v in enumerate(shown):
        for task, points, values in ((fwd, p_fwd, c_fwd), (rev, p_rev, c_rev)):
            sel = points[:, iv] == v
            style = dict(_style(task, "", e), marker=_MARKERS[k % len(_MARKERS)])
            n, y = points[sel, ia], values[sel]
            if panel.hidden_under(n, y):  # jacfwd's cost is the same at every m: draw each one visibly
                style.update(markerfacecolor="white", markersize=6.5 + 3.5 * k, markeredgewidth=1.6)
            panel.drawn.append((n, y))
            ax.plot(n, y, linestyle="-", linewidth=1.2, alpha=0.9,
                    label=f"{TASKS[task].label}, {crossover.versus} = {v:g}", **style)
    for c in result.checks:
        if c.law is not None:
            ax.plot([], [], " ", label=f"{c.check.series}: " + c.evidence().replace("marginal-cost exponent", "exp."))
    _loglog(ax, _axis(crossover.along), METRICS[metric])
    ax.set_title(f"{METRICS[metric]} against {crossover.along}", fontsize=11)
    _legend(ax)
    for ax, m in zip(axes[1:], (metric, "seconds")):
        _heatmap(ax, e, rows, crossover, m)
    fig.subplots_adjust(top=0.8, wspace=0.4)
    return fig


def _heatmap(ax, e, rows, crossover, metric):
    from matplotlib.colors import LinearSegmentedColormap
    fwd, rev, along, versus = crossover.forward, crossover.reverse, crossover.along, crossover.versus
    ia, iv = e.variables.index(along), e.variables.index(versus)
    points, a = series(rows, e, fwd, metric)
    _, b = series(rows, e, rev, metric)
    xs, ys = sorted(set(points[:, ia])), sorted(set(points[:, iv]))
    grid = np.full((len(ys), len(xs)), np.nan)
    for (x, y), ratio in zip(points[:, [ia, iv]], a / b):
        grid[ys.index(y), xs.index(x)] = math.log2(ratio)
    limit = max(1.0, math.ceil(float(np.nanmax(np.abs(grid)))))
    # log2(forward / reverse) < 0 where forward mode is cheaper: those cells take forward's colour.
    cmap = LinearSegmentedColormap.from_list("modes", [COLOURS["forward"], "#ffffff", COLOURS["reverse"]])
    image = ax.imshow(grid, origin="lower", cmap=cmap, vmin=-limit, vmax=limit, aspect="auto")
    diagonal = [(xs.index(v), ys.index(v)) for v in xs if v in ys]
    if diagonal:  # the grids are geometric, so p = m is a straight line in cell coordinates
        ax.plot(*zip(*diagonal), color="black", linestyle="--", linewidth=1.0, alpha=0.6, zorder=2,
                label=f"{along} = {versus}")
    measured = replace(crossover, metric=metric)
    found = [(c, v) for v, c in crossings(e, rows, measured).items() if c is not None]
    if found:  # on the cells' lower edge, so the numbers in the cells stay readable
        ax.plot([np.interp(math.log(c), np.log(xs), range(len(xs))) for c, _ in found],
                [ys.index(v) - 0.38 for _, v in found], "k^", markersize=7, zorder=3,
                label="measured crossover (the cost ratio is 1), at the cell's foot")
    if len(xs) * len(ys) <= 100:
        for i in range(len(ys)):
            for j in range(len(xs)):
                if np.isfinite(grid[i, j]):
                    ax.text(j, i + 0.08, _ratio_text(2 ** grid[i, j]), ha="center", va="center",
                            fontsize=9 if len(xs) <= 5 else 7,
                            zorder=4, bbox=dict(boxstyle="round,pad=0.15", facecolor="white", edgecolor="none",
                                                alpha=0.75))
    ax.set_xticks(range(len(xs)), [f"{x:g}" for x in xs])
    ax.set_yticks(range(len(ys)), [f"{y:g}" for y in ys])
    ax.set_xlabel(_axis(along))
    ax.set_ylabel(_axis(versus))
    ax.set_title(f"{fwd} / {rev}, {METRICS[metric]}\nblue: forward cheaper, orange: reverse cheaper", fontsize=10)
    _legend(ax)
    ticks = range(-int(limit), int(limit) + 1, max(1, int(limit) // 3))
    bar = ax.figure.colorbar(image, ax=ax, shrink=0.85, ticks=list(ticks))
    bar.ax.set_yticklabels([_ratio_text(2.0 ** t) for t in ticks])
    bar.set_label(f"{fwd} / {rev} (log scale)")


def _ratio_text(r):
    """A cost ratio as a cell or a colour bar says it: 0.25 as "1/4", 3.2 as "3.2", 130 as "130".

    >>> _ratio_text(0.25), _ratio_text(3.2), _ratio_text(1.0), _ratio_text(127.4), _ratio_text(1 / 127.4)
    ('1/4', '3.2', '1', '127', '1/127')
    """
    if r < 1:
        return "1/" + _ratio_text(1 / r)
    return f"{r:.2g}" if r < 10 else f"{r:.0f}"
