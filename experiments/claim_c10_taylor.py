"""Claim C10: the k-th derivative by nesting forward mode k times costs exponentially in k; Taylor mode, k^2.

Each jvp differentiates the whole computation of the one inside it, derivative rules included, so every
nesting multiplies the primitive calls by a constant factor (a sin becomes a sin and a cos times a tangent,
a product three ops, ...): about 2^k, here measured nearer 2.7^k. Taylor mode carries the k + 1 coefficients
of the truncated series through one sweep, and each product convolves them: about k^2 (Griewank and Walther,
"Evaluating Derivatives", ch. 13). Measured in primitive calls on the chain of `admodes.taylor.experiment`
(sin and a product with x, L times); the full tables with nested reverse mode, time and memory are drawn by
``admodes.taylor.experiment.measure_c10``.
"""

from admodes.measure import Check, Experiment, Exponential, Quote
from admodes.measure.tasks import TASKS, Task
from admodes.taylor.experiment import METHODS, chain

LENGTH = 4
"""L, the chain's length (2 L primitive ops in f): fixed, the sweep is over k."""

SIZE = 1000


def _kth_derivative(method):
    """A factory ``(k, rng) -> (g, x)``: g(x) is f's k-th directional derivative along a fixed v, by ``method``."""
    def build(k, rng):
        f, v = chain(LENGTH), rng.standard_normal(SIZE)
        return (lambda x: METHODS[method](f, x, v, int(k))), rng.uniform(-1.0, 1.0, SIZE)
    build.__doc__ = f"f's k-th directional derivative by {method} (see `admodes.taylor.experiment.METHODS`)."
    return build


def _kth_derivative_task(g, x, v, u):
    """The call g(x): the variant's factory has already built g as the k-th derivative of f."""
    return (lambda: g(x)), None


TASKS.setdefault("kth_derivative", Task("kth_derivative", "forward", "k-th derivative", _kth_derivative_task))

HIGHER_ORDER = Quote("高阶导数嵌套正向模式的代价随阶数指数增长",
                     "Nesting forward mode for higher derivatives costs exponentially in the order.")
FAMILIES = {"nested jvp": _kth_derivative("nested_jvp"), "Taylor mode": _kth_derivative("taylor")}

EXPERIMENT = Experiment(
    id="C10", claim="The k-th derivative costs exponentially in k by nested jvps, about k^2 by Taylor mode",
    quotes=(HIGHER_ORDER,),
    n="k, the number of nested derivatives (the order); the chain's length L and size are fixed.",
    setting=f"f(x) = sum(h_L), h_i = sin(h_(i-1)) * x, L = {LENGTH} on {SIZE} doubles; the k-th directional "
            "derivative along a fixed v by k nested jvps (forward over forward) and by one Taylor-mode sweep "
            "(`admodes.taylor`), the row `kth_derivative` being that whole computation. Tested on primitive calls: "
            "nested jvps multiply them by at least 2 per order (the base of the line log(calls) against k, its "
            "95% interval at or above 2); Taylor mode's grow as a + b k^2 (constant marginal cost per k^2).",
    variables=("k",), build=FAMILIES, sweep=(1, 2, 3, 4, 5, 6, 7, 8), quick=(1, 2, 3, 4, 5, 6),
    tasks=("kth_derivative",),
    checks=(Exponential("kth_derivative", "calls", at_least=2, variant="nested jvp"),
            Check("kth_derivative", "calls", expected=2, variant="Taylor mode")),
)
