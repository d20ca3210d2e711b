"""Claim C9: a sparse Jacobian costs its number of colors in sweeps, where a dense one costs p.

The dense Jacobian takes p forward sweeps (or m reverse ones) whatever its pattern; the compressed one
(`admodes.sparse_jacobian`) pushes the columns that share no row through one sweep together, so a banded,
block-diagonal or stencil Jacobian takes a handful of sweeps at any p (Curtis, Powell and Reid; Gebremedhin,
Manne and Pothen, "What color is your Jacobian?", 2005). Measured here in primitive calls (dense: p sweeps
of f's calls each; compressed: all colors in one batched sweep, constant in p) and elements processed
(compressed: colors x p). The patterns with their colorings, the arrowhead (which one-sided coloring cannot
compress, and a split into forward and reverse sweeps takes in 3) and sweeps against p are drawn by
``python -m admodes.sparse.experiment --out DIR``.
"""

from admodes.measure import Check, Experiment, Quote
from admodes.measure.tasks import TASKS, Task
from admodes.sparse import sparse_jacobian
from admodes.sparse.experiment import banded, block_diagonal, stencil


def _sparse_jacobian(f, x, v, u):
    """The compressed Jacobian, pattern and coloring prepared once outside the timing (they are reused)."""
    jac = sparse_jacobian(f).prepare(x)
    return (lambda: jac(x)), None


TASKS.setdefault("sparse_jacobian", Task("sparse_jacobian", "forward", "compressed Jacobian (colors)",
                                         _sparse_jacobian))

FORWARD_COST = Quote("计算复杂度正向是O(n)", "In computational complexity, forward mode is O(n).")
FAMILIES = {"banded (5 colors)": banded, "block-diagonal (8 colors)": block_diagonal, "2-D stencil (5 colors)": stencil}

EXPERIMENT = Experiment(
    id="C9", claim="A sparse Jacobian costs its number of colors in sweeps, a dense one p sweeps",
    quotes=(FORWARD_COST,),
    n="p, the number of inputs of f (and of outputs); the pattern's number of colors is fixed.",
    setting="f: R^p -> R^p with a banded (bandwidth 2), block-diagonal (8 x 8 blocks) or 5-point-stencil (on a "
            "sqrt(p) x sqrt(p) grid) Jacobian; the dense Jacobian by jacfwd (p forward sweeps), the compressed one "
            "by sparse_jacobian (mode 'auto': column coloring, all colors in one batched forward sweep). Work "
            "(elements processed) is colors x p for the compressed form against p x p for the dense one.",
    variables=("p",), build=FAMILIES, sweep=(16, 64, 144, 256, 576, 1024), quick=(16, 64, 144, 256),
    tasks=("f", "jacfwd", "sparse_jacobian"),
    checks=(*(Check("jacfwd", "calls", expected=1, variant=v) for v in FAMILIES),
            *(Check("sparse_jacobian", "calls", expected=0, variant=v) for v in FAMILIES),
            *(Check("sparse_jacobian", "elements", expected=1, variant=v) for v in FAMILIES)),
)
