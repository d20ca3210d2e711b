"""A lesson in three parts, forward mode versus reverse mode on the teaching notes' own example, and a
teacher's classroom pack of the same material.

`write_lesson` writes the lesson (``README.md`` and its figures; ``python experiments/lesson_forward_vs_reverse.py``
runs it into ``reports/lesson/``):

1. The teaching example y = (x + w) * (w + 1) at x = 2, w = 1 (from the teaching note "PyTorch's core
   modules", `admodes.teach.notes`): its graph, the forward sweep along w and the reverse sweep, where the
   adjoint of w sums over its two paths.
2. The Jacobian of a function of 3 inputs and 2 outputs, built column by column by forward mode (3 sweeps)
   and row by row by reverse mode (2 sweeps).
3. The cost crossover: for f: R^n -> R^m a whole Jacobian costs n forward sweeps or m reverse sweeps.
   Work is counted exactly (primitive calls, `admodes.count_ops`), so the figures are the same on every run.

`write_pack` (``admodes lesson --out DIR``) writes the slides' figures at a projector's size and font, and an
``index.html`` that shows them in order (see `admodes.teach.slides`).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

import admodes as ad
import admodes.numpy as anp

from .animate import animate
from .graph import COLOURS, draw_graph, pyplot, save_figure
from .notes import cite
from .trace import trace

FORWARD, REVERSE = COLOURS["forward"][1], COLOURS["reverse"][1]

# The teaching notes, quoted with a translation.
TWO_PATHS = ("首先，观察 $w$ 和 $y$ 之间的关系： $w$ 会通过两条路径传递到 $y$ 。一种是通过左边的路径（与 $a$ 相连），"
             "另一种是通过右边的路径（与 $b$ 相连）。",
             "First, look at how w and y are related: w reaches y along two paths, one on the left (through a) "
             "and one on the right (through b).")
FORWARD_ACCUMULATION = ("所谓正向，其实就是按照计算图的方向来进行的，"
                        "也就是在链式法则中，先计算最基础的关于自变量x的导数，再算各种中间变量的导数，最后乘起来",
                        "Forward accumulation follows the direction of the graph: in the chain rule it first computes "
                        "the derivatives with respect to the input x, then those of the intermediate variables, and "
                        "multiplies them together at the end.")
REVERSE_ACCUMULATION = ("反向就是相反的，与计算图的构造方向反着来，先从因变量计算最后一个中间变量，然后一直算一直算，"
                        "最后算到中间变量关于x的导数，全部相乘",
                        "Reverse accumulation goes the other way, against the direction in which the graph was built: "
                        "it starts from the output and the last intermediate variable and works back until it reaches "
                        "the derivatives with respect to x, multiplying everything together.")
FORWARD_COST = ("计算复杂度正向是O(n)", "In computational complexity, forward mode is O(n).")
MEMORY = ("内存复杂度上来说，正向是O(1)，反向还是O(n)，"
          "因为正向在不断构造计算图的过程中就已经求导了，而反向是要储存中间变量，不能像正向一样删掉",
          "In memory, forward mode is O(1) and reverse mode O(n): forward mode has already differentiated while the "
          "graph was being built, whereas reverse mode must store the intermediate variables and cannot delete "
          "them the way forward mode does.")
EVERY_LAYER = ("而且对神经网络来说，我们常常要对每一层都计算梯度，那正向每算一次都是O(n)的计算消耗",
               "And for a neural network we usually need the gradient for every layer; forward mode pays O(n) "
               "every time it computes one.")


def quote(pair):
    chinese, english = pair
    return f"> {chinese}\n>\n> *{english}*"


# ----------------------------------------------------------------------------------------------------
# Part 1: the teaching example
# ----------------------------------------------------------------------------------------------------

def teaching(x, w):
    """The teaching example of the note "PyTorch's core modules": a = x + w, b = w + 1, y = a * b.

    >>> teaching(2.0, 1.0)
    6.0
    """
    return (x + w) * (w + 1)


def part_one(out, quick):
    t = trace(teaching, 2.0, 1.0, wrt="w", names="a b y")
    assert float(t.derivative) == 5.0 and [float(g) for g in t.gradient] == [2.0, 5.0]
    draw_graph(t, out / "teaching_graph.png", dpi=80 if quick else 150)
    draw_graph(t, out / "teaching_graph.svg")
    animate(t, out / "teaching_sweeps.gif", mode="both", dpi=50 if quick else 90)
    w_steps = t.contributions(t.inputs[1])
    return f"""## 1. The teaching example: y = (x + w) * (w + 1) at x = 2, w = 1

The example comes from {cite("004")}. It splits the computation into a = x + w, b = w + 1,
y = a * b and asks for the derivative of y with respect to w:

{quote(TWO_PATHS)}

`admodes.teach.trace(teaching, 2.0, 1.0, wrt="w", names="a b y")` records the graph of one call
(running the function on reverse-mode tensors, so every op is a node with its `grad_fn`) and runs the two
sweeps over it with the op library's own derivative rules.

![the computational graph of the teaching example](teaching_graph.png)

The **forward sweep** goes in the direction of the graph. Each value carries a tangent, the derivative
along the chosen input direction (here ẋ = 0, ẇ = 1, so the tangents are derivatives with respect to w):

{quote(FORWARD_ACCUMULATION)}

The **reverse sweep** goes the other way: it starts from ȳ = 1 and each op, visited in reverse order, sends
its adjoint back to its inputs:

{quote(REVERSE_ACCUMULATION)}

{t.markdown()}

The adjoint of w is the sum of what comes back along its two paths: w̄ = {" + ".join(
        f"{float(s.contribution):g} (through {s.node.name})" for s in w_steps)} = {float(t.gradient[1]):g}, the
chain rule ∂y/∂w = ∂y/∂a · ∂a/∂w + ∂y/∂b · ∂b/∂w of the note, and both sweeps give dy/dw = 5. One reverse sweep
also gave dy/dx = 2; the forward sweep would need a second pass (seed ẋ = 1, ẇ = 0) for it.

The animation shows both sweeps step by step (left: tangents in order; right: adjoints in reverse order,
with the partial sums of w̄):

![both sweeps, step by step](teaching_sweeps.gif)
"""


# ----------------------------------------------------------------------------------------------------
# Part 2: a Jacobian, column by column and row by row
# ----------------------------------------------------------------------------------------------------

def two_outputs(x):
    """f: R^3 -> R^2, f(x) = (x0 x1 + sin x2, x0 exp(x1) - x2^2)."""
    return anp.stack([x[0] * x[1] + anp.sin(x[2]), x[0] * anp.exp(x[1]) - x[2] ** 2])


def jacobian_closed_form(x):
    x0, x1, x2 = x
    return np.array([[x1, x0, np.cos(x2)],
                     [np.exp(x1), x0 * np.exp(x1), -2 * x2]])


def part_two(out):
    x = np.array([1.0, 0.5, 2.0])
    expected = jacobian_closed_form(x)
    columns, forward_calls = [], []
    for j in range(3):  # forward mode: one sweep per input direction gives one column
        with ad.count_ops() as counts:
            _, column = ad.jvp(two_outputs, (x,), (np.eye(3)[j],))
        columns.append(column)
        forward_calls.append(counts.total_calls)
    with ad.count_ops() as recording:
        _, vjp_fn = ad.vjp(two_outputs, x)
    rows, reverse_calls = [], []
    for i in range(2):  # reverse mode: one sweep per output direction gives one row
        with ad.count_ops() as counts:
            (row,) = vjp_fn(np.eye(2)[i])
        rows.append(row)
        reverse_calls.append(counts.total_calls)
    by_columns, by_rows = np.stack(columns, axis=1), np.stack(rows)
    np.testing.assert_allclose(by_columns, expected, rtol=1e-14)
    np.testing.assert_allclose(by_rows, expected, rtol=1e-14)
    np.testing.assert_allclose(ad.jacfwd(two_outputs, batch=False)(x), expected, rtol=1e-14)
    np.testing.assert_allclose(ad.jacrev(two_outputs, batch=False)(x), expected, rtol=1e-14)
    _jacobian_figure(out / "jacobian.png", expected)

    lines = ["| sweep | seed | gives | values | primitive calls |", "|---|---|---|---|---|"]
    for j, (c, n) in enumerate(zip(columns, forward_calls)):
        seed = ", ".join(f"ẋ{k} = {int(k == j)}" for k in range(3))
        lines.append(f"| forward {j + 1} | {seed} | column {j + 1}: ∂f/∂x{j} | {_vector(c)} | {n} |")
    lines.append(f"| (recording) | — | the tape of f, kept for the reverse sweeps | — | {recording.total_calls} |")
    for i, (r, n) in enumerate(zip(rows, reverse_calls)):
        seed = ", ".join(f"ȳ{k} = {int(k == i)}" for k in range(2))
        lines.append(f"| reverse {i + 1} | {seed} | row {i + 1}: ∇f{i} | {_vector(r)} | {n} |")
    return f"""## 2. A Jacobian, column by column and row by row

f: R³ → R², f(x) = (x₀x₁ + sin x₂, x₀ e^(x₁) − x₂²), at x = (1, 0.5, 2). Its Jacobian in closed form is

    J = [[x₁,      x₀,         cos x₂],       = {_matrix(expected[0])}
         [e^(x₁),  x₀ e^(x₁),  −2 x₂ ]]         {_matrix(expected[1])}

A forward sweep pushes one input direction ẋ = eⱼ through f and comes out with J eⱼ, **one column**; a
reverse sweep pulls one output direction ȳ = eᵢ back through the tape and comes out with eᵢᵀ J, **one row**.
So forward mode needs 3 sweeps (one per input) and reverse mode 2 (one per output, after recording f once):

{chr(10).join(lines)}

Both agree with the closed form to the last bit (and with `ad.jacfwd` and `ad.jacrev`, which do exactly this).

![the Jacobian by columns (forward) and by rows (reverse)](jacobian.png)
"""


def _vector(v):
    return "(" + ", ".join(f"{float(a):.4g}" for a in v) + ")"


def _matrix(row):
    return "[" + ", ".join(f"{float(a):7.4f}" for a in row) + "]"


def _jacobian_figure(path, jac):
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(9.0, 3.0), dpi=110)
    shades = {"forward": ["#deebf7", "#9ecae1", "#4292c6"], "reverse": ["#fdd0a2", "#fd8d3c"]}
    for ax, mode in zip(axes, ("forward", "reverse")):
        for i in range(2):
            for j in range(3):
                colour = shades[mode][j] if mode == "forward" else shades[mode][i]
                ax.add_patch(plt.Rectangle((j, 1 - i), 1, 1, facecolor=colour, edgecolor="white", lw=3))
                ax.text(j + 0.5, 1.5 - i, f"{jac[i, j]:.3f}", ha="center", va="center", fontsize=11)
        ax.set_xlim(0, 3)
        ax.set_ylim(0, 2)
        ax.set_aspect("equal")
        if mode == "forward":
            ax.set_xticks([0.5, 1.5, 2.5], [f"∂/∂x{s}\nsweep {j + 1}" for j, s in enumerate("₀₁₂")])
            ax.set_yticks([1.5, 0.5], ["f₀", "f₁"])
        else:
            ax.set_xticks([0.5, 1.5, 2.5], ["∂/∂x₀", "∂/∂x₁", "∂/∂x₂"])
            ax.set_yticks([1.5, 0.5], ["f₀\nsweep 1", "f₁\nsweep 2"])
        ax.tick_params(length=0)
        for side in ax.spines.values():
            side.set_visible(False)
        if mode == "forward":
            ax.set_title("forward mode: 3 sweeps, one column each", color=FORWARD, fontsize=10)
        else:
            ax.set_title("reverse mode: 2 sweeps, one row each", color=REVERSE, fontsize=10)
    fig.suptitle("the Jacobian of f: R³ → R² at x = (1, 0.5, 2)", fontsize=11)
    save_figure(fig, path)


# ----------------------------------------------------------------------------------------------------
# Part 3: the cost crossover
# ----------------------------------------------------------------------------------------------------

def layer(n, m, hidden=8, seed=0):
    """f: R^n -> R^m, f(x) = A tanh(B x) + C sin(x): a small network layer with fixed random weights."""
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, hidden)) / np.sqrt(hidden)
    B = rng.standard_normal((hidden, n)) / np.sqrt(n)
    C = rng.standard_normal((m, n)) / np.sqrt(n)

    def f(x):
        return anp.matmul(A, anp.tanh(anp.matmul(B, x))) + anp.matmul(C, anp.sin(x))

    return f, rng.uniform(-1.0, 1.0, n)


def jacobian_costs(n, m):
    """Primitive calls of the whole Jacobian of `layer(n, m)`: by forward mode and by reverse mode."""
    f, x = layer(n, m)
    with ad.count_ops() as forward:
        by_columns = ad.jacfwd(f, batch=False)(x)  # one sweep per input: the textbook cost
    with ad.count_ops() as reverse:
        by_rows = ad.jacrev(f, batch=False)(x)
    np.testing.assert_allclose(by_columns, by_rows, rtol=1e-12, atol=1e-14)
    return forward.total_calls, reverse.total_calls


def crossover(sizes, costs):
    """The first size at which reverse mode is cheaper than forward mode (None if it never is)."""
    for size, (fwd, rev) in zip(sizes, costs):
        if rev < fwd:
            return size
    return None


def part_three(out, quick):
    fixed = 4
    sizes = list(range(1, 9 if quick else 17))
    vary_n = [jacobian_costs(n, fixed) for n in sizes]
    vary_m = [jacobian_costs(fixed, m) for m in sizes]
    with open(out / "crossover.csv", "w", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["inputs n", "outputs m", "forward-mode calls (jacfwd)", "reverse-mode calls (jacrev)"])
        for n, (fwd, rev) in zip(sizes, vary_n):
            writer.writerow([n, fixed, fwd, rev])
        for m, (fwd, rev) in zip(sizes, vary_m):
            writer.writerow([fixed, m, fwd, rev])
    n_star, m_star = crossover(sizes, vary_n), crossover(sizes, [(r, f) for f, r in vary_m])
    per_forward = vary_n[1][0] - vary_n[0][0]
    per_reverse = vary_m[1][1] - vary_m[0][1]
    recording = vary_m[0][1] - per_reverse  # jacrev with one output: one recording and one backward sweep
    _crossover_figure(out / "crossover.png", sizes, vary_n, vary_m, fixed, n_star, m_star)
    rows = ["| n (m = 4) | forward calls | reverse calls | cheaper |", "|---|---|---|---|"]
    for n, (fwd, rev) in zip(sizes, vary_n):
        rows.append(f"| {n} | {fwd} | {rev} | {'forward' if fwd < rev else 'reverse' if rev < fwd else 'tie'} |")
    return f"""## 3. The cost crossover

{quote(FORWARD_COST)}

{quote(EVERY_LAYER)}

The note counts the cost of *one* derivative. For a whole Jacobian of f: Rⁿ → Rᵐ the count is in sweeps:
forward mode needs **n** of them (one per input, part 2's columns), reverse mode **m** (one per output, part 2's
rows) plus one recording of f. Which mode is cheaper depends on the shape of f, not on a fixed winner.

Here f(x) = A tanh(Bx) + C sin(x), a small network layer from Rⁿ to Rᵐ, and the work is counted exactly: the
number of primitive calls (`admodes.count_ops`), so these numbers are the same on every run. Each extra input
costs forward mode {per_forward} calls (one more sweep); each extra output costs reverse mode {per_reverse} calls
(one more backward sweep).

![the cost of a whole Jacobian by forward and by reverse mode](crossover.png)

With m = {fixed} outputs, reverse mode becomes cheaper from n = {n_star} inputs on; with n = {fixed} inputs,
forward mode becomes cheaper from m = {m_star} outputs on. Here a forward sweep costs {per_forward} calls and a
reverse sweep {per_reverse}, but reverse mode also records f once ({recording} calls) before its first sweep, so the
crossover sits a little past n = m. For a loss function (m = 1) of n parameters, reverse mode is cheaper by a
factor of about n: that is why training uses it. It pays in memory instead, since the tape keeps every
value the backward sweep needs:

{quote(MEMORY)}

Primitive calls weigh every op the same; `experiments/scaling.py` measures wall time and memory as well.

{chr(10).join(rows)}

All numbers: [crossover.csv](crossover.csv).
"""


def _crossover_figure(path, sizes, vary_n, vary_m, fixed, n_star, m_star):
    plt = pyplot()
    from matplotlib.ticker import MaxNLocator
    fig, axes = plt.subplots(1, 2, figsize=(10.0, 3.8), dpi=110, sharey=True)
    panels = ((axes[0], vary_n, f"n inputs (m = {fixed} outputs)", n_star, "n"),
              (axes[1], vary_m, f"m outputs (n = {fixed} inputs)", m_star, "m"))
    for ax, costs, label, star, letter in panels:
        ax.plot(sizes, [c[0] for c in costs], "o-", color=FORWARD, label="forward mode (jacfwd): n sweeps")
        ax.plot(sizes, [c[1] for c in costs], "s-", color=REVERSE, label="reverse mode (jacrev): m sweeps")
        if star is not None:
            ax.axvline(star - 0.5, color="#969696", ls="--", lw=1)
            ax.annotate(f"crossover: {letter} = {star}", (star - 0.4, 0.97), xycoords=("data", "axes fraction"),
                        fontsize=8, color="#636363", va="top")
        ax.set_xlabel(label)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("primitive calls for the whole Jacobian")
    axes[0].legend(fontsize=8, loc="lower right")
    fig.suptitle("a Jacobian of f: Rⁿ → Rᵐ costs n forward sweeps or m reverse sweeps", fontsize=11)
    save_figure(fig, path)


# ----------------------------------------------------------------------------------------------------

def write_lesson(out, quick=False, command="python experiments/lesson_forward_vs_reverse.py"):
    """Write the lesson (README.md and its figures) to ``out``; returns the README's path.

    ``command`` is how the README says it was written; ``quick`` makes a smaller sweep and pictures.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    sections = [part_one(out, quick), part_two(out), part_three(out, quick)]
    readme = out / "README.md"
    readme.write_text(
        "# Lesson: forward mode versus reverse mode\n\n"
        f"Written by `{command}`" + (" --quick" if quick else "") + "; every number below is computed by admodes, "
        "every quotation is\nfrom the teaching notes (in Chinese, with an English translation; "
        "`admodes/teach/notes.py` lists their titles).\n\n"
        + "\n".join(sections), encoding="utf-8")
    return readme
