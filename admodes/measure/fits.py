"""Power-law fits with confidence intervals, and the verdict rules that judge a claim by them.

A complexity claim "cost is O(n^b)" becomes a straight line on log-log axes: we fit
``log y = a + b log n`` by least squares and give ``b`` a confidence interval from Student's t
distribution. Several variables work the same way (``log y = a + b1 log p + b2 log m``).

Everything here is NumPy and the standard library; the t quantile comes from the exact finite
series of the t distribution for an integer number of degrees of freedom.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

__all__ = [
    "t_quantile", "LinearFit", "fit_linear", "PowerLaw", "fit_power_law", "fit_power_laws",
    "Verdict", "HOLDS", "FAILS", "INCONCLUSIVE", "exponent_verdict", "bound_verdict", "base_verdict",
    "combine_verdicts", "ExponentialFit", "fit_exponential",
    "MarginalCost", "fit_marginal_cost", "marginal_verdict",
]


# ----------------------------------------------------------------------------------------------------
# Student's t quantile
# ----------------------------------------------------------------------------------------------------

def _central_probability(t, dof):
    """P(|T| <= t) for Student's t with an integer ``dof`` (Abramowitz and Stegun 26.7.3-4)."""
    theta = math.atan(t / math.sqrt(dof))
    s, c = math.sin(theta), math.cos(theta)
    if dof % 2 == 1:
        term, series = c, 0.0
        for k in range(1, (dof - 1) // 2 + 1):  # cos + 2/3 cos^3 + 2*4/(3*5) cos^5 + ... up to cos^(dof-2)
            series += term
            term *= c * c * (2 * k) / (2 * k + 1)
        return 2.0 / math.pi * (theta + s * series)
    term, series = 1.0, 0.0
    for k in range(1, dof // 2 + 1):  # 1 + 1/2 cos^2 + 1*3/(2*4) cos^4 + ... up to cos^(dof-2)
        series += term
        term *= c * c * (2 * k - 1) / (2 * k)
    return s * series


@lru_cache(maxsize=256)
def t_quantile(q, dof):
    """The ``q`` quantile of Student's t distribution with ``dof`` (a positive integer) degrees of freedom.

    Exact to about 1e-12: the distribution function has a closed finite series for integer ``dof``,
    inverted here by bisection.

    >>> round(t_quantile(0.975, 1), 3), round(t_quantile(0.975, 10), 3), round(t_quantile(0.975, 10**6), 3)
    (12.706, 2.228, 1.96)
    """
    dof = int(dof)
    if dof < 1:
        raise ValueError(f"t_quantile needs at least 1 degree of freedom, got {dof}")
    if not 0.0 < q < 1.0:
        raise ValueError(f"t_quantile needs 0 < q < 1, got {q}")
    if q == 0.5:
        return 0.0
    if q < 0.5:
        return -t_quantile(1.0 - q, dof)
    if dof > 2000:  # the series gets long; the normal approximation with two correction terms is exact enough
        z = _normal_quantile(q)
        return z + (z**3 + z) / (4 * dof) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * dof**2)
    target = 2.0 * q - 1.0  # P(|T| <= t) at the quantile
    lo, hi = 0.0, math.pi / 2  # bisection on theta = atan(t / sqrt(dof)), where the series is smooth
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        if _central_probability(math.tan(mid) * math.sqrt(dof), dof) < target:
            lo = mid
        else:
            hi = mid
    return math.tan(0.5 * (lo + hi)) * math.sqrt(dof)


def _normal_quantile(q):
    lo, hi = -40.0, 40.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if 0.5 * math.erfc(-mid / math.sqrt(2)) < q:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


# ----------------------------------------------------------------------------------------------------
# Least squares with confidence intervals
# ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LinearFit:
    """Ordinary least squares ``y = X @ coef``, with standard errors and confidence intervals.

    >>> fit = fit_linear(np.c_[np.ones(4), [0.0, 1, 2, 3]], [1.0, 3, 5, 7])
    >>> [round(float(c), 6) for c in fit.coef], fit.dof
    ([1.0, 2.0], 2)
    """

    coef: np.ndarray
    stderr: np.ndarray
    ci: np.ndarray  # shape (k, 2): the lower and upper ends of each coefficient's interval
    dof: int  # degrees of freedom of the residual: points minus coefficients
    r2: float
    residual_std: float
    confidence: float


def fit_linear(X, y, confidence=0.95):
    """Least squares fit of ``y`` on the columns of ``X``; confidence intervals from Student's t.

    With as many points as coefficients there is no residual to estimate the noise from: the
    intervals are then infinite (``dof`` 0), and a verdict on them is inconclusive.

    >>> fit = fit_linear(np.c_[np.ones(5), np.arange(5.0)], [0.1, 1.0, 2.1, 2.9, 4.0])
    >>> bool(fit.ci[1, 0] < 1.0 < fit.ci[1, 1])
    True
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    if X.ndim != 2 or y.ndim != 1 or X.shape[0] != y.shape[0]:
        raise ValueError(f"fit_linear: X must be (n, k) and y (n,), got {X.shape} and {y.shape}")
    if not (np.all(np.isfinite(X)) and np.all(np.isfinite(y))):
        raise ValueError("fit_linear: the data contain NaN or infinite values")
    n, k = X.shape
    if n < k:
        raise ValueError(f"fit_linear: {n} points cannot determine {k} coefficients")
    coef, *_ = np.linalg.lstsq(X, y, rcond=None)
    residual = y - X @ coef
    dof = n - k
    rss = float(residual @ residual)
    tss = float(((y - y.mean()) ** 2).sum())
    r2 = 1.0 - rss / tss if tss > 0 else 1.0
    if dof == 0:
        stderr = np.full(k, np.inf)
        ci = np.column_stack([np.full(k, -np.inf), np.full(k, np.inf)])
        return LinearFit(coef, stderr, ci, 0, r2, float("nan"), confidence)
    sigma2 = rss / dof
    cov = sigma2 * np.linalg.pinv(X.T @ X)
    stderr = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    half = t_quantile(0.5 + confidence / 2, dof) * stderr
    ci = np.column_stack([coef - half, coef + half])
    return LinearFit(coef, stderr, ci, dof, r2, math.sqrt(sigma2), confidence)


@dataclass(frozen=True)
class PowerLaw:
    """A fitted power law ``y = prefactor * n1^b1 * n2^b2 ...`` (fit on logs), with 95% intervals.

    >>> law = fit_power_law([1, 2, 4, 8], [3.0, 6.0, 12.0, 24.0])
    >>> round(law.exponent, 6), round(law.prefactor, 6), round(float(law(16)), 6)
    (1.0, 3.0, 48.0)
    """

    names: tuple[str, ...]
    exponents: tuple[float, ...]
    intervals: tuple[tuple[float, float], ...]
    prefactor: float
    r2: float
    points: int
    dof: int
    confidence: float = 0.95
    residual_std: float = field(default=float("nan"))  # in natural-log units: 0.1 is about 10% scatter

    @property
    def exponent(self):
        """The exponent of the first (usually the only) variable."""
        return self.exponents[0]

    @property
    def interval(self):
        """The confidence interval of the first variable's exponent."""
        return self.intervals[0]

    def __call__(self, *ns):
        """The fitted value at ``ns`` (one value or array per variable)."""
        out = self.prefactor
        for n, b in zip(ns, self.exponents):
            out = out * np.asarray(n, dtype=float) ** b
        return out

    def describe(self, name=None):
        """The exponent and its interval as text, e.g. ``"1.00 [0.98, 1.02]"``.

        >>> fit_power_law([1, 2, 4], [1.0, 2.0, 4.0]).describe()
        '1.00 [1.00, 1.00]'
        """
        i = 0 if name is None else self.names.index(name)
        lo, hi = self.intervals[i]
        fmt = lambda v: "0.00" if f"{v:.2f}" == "-0.00" else f"{v:.2f}"
        return f"{fmt(self.exponents[i])} [{fmt(lo)}, {fmt(hi)}]"


def fit_power_laws(columns, y, names=None, confidence=0.95):
    """Fit ``log y = a + sum_k b_k log n_k``: a power law in several variables.

    ``columns`` is a sequence of arrays, one per variable, each as long as ``y``; every value must be
    positive (a power law cannot pass through zero).

    >>> p = np.array([1, 2, 4, 1, 2, 4]); m = np.array([1, 1, 1, 8, 8, 8])
    >>> law = fit_power_laws([p, m], 5.0 * p / m, names=("p", "m"))
    >>> [round(b, 6) for b in law.exponents]
    [1.0, -1.0]
    """
    columns = [np.asarray(c, dtype=float) for c in columns]
    y = np.asarray(y, dtype=float)
    names = tuple(names) if names is not None else tuple(f"n{i}" for i in range(len(columns)))
    for label, values in [("y", y), *zip(names, columns)]:
        if np.any(~np.isfinite(values)) or np.any(values <= 0):
            raise ValueError(f"a power-law fit needs positive, finite values; {label} has {values[values <= 0][:3]}"
                             if np.any(values <= 0) else f"a power-law fit needs finite values; {label} has NaN/inf")
    X = np.column_stack([np.ones_like(y), *(np.log(c) for c in columns)])
    fit = fit_linear(X, np.log(y), confidence)
    return PowerLaw(
        names=names,
        exponents=tuple(float(b) for b in fit.coef[1:]),
        intervals=tuple((float(lo), float(hi)) for lo, hi in fit.ci[1:]),
        prefactor=float(np.exp(fit.coef[0])),
        r2=float(fit.r2),
        points=len(y),
        dof=fit.dof,
        confidence=confidence,
        residual_std=fit.residual_std,
    )


def fit_power_law(n, y, confidence=0.95):
    """Fit ``y = c * n^b`` by least squares on ``log y = log c + b log n``; ``b`` gets a t interval.

    >>> law = fit_power_law([10, 100, 1000], [2.0, 20.0, 200.0])
    >>> round(law.exponent, 6), law.describe()
    (1.0, '1.00 [1.00, 1.00]')
    """
    return fit_power_laws([n], y, names=("n",), confidence=confidence)


# ----------------------------------------------------------------------------------------------------
# Verdicts
# ----------------------------------------------------------------------------------------------------

HOLDS, FAILS, INCONCLUSIVE = "holds", "does not hold", "inconclusive"


@dataclass(frozen=True)
class Verdict:
    """The outcome of one check ("holds", "does not hold" or "inconclusive") and why.

    >>> Verdict(HOLDS, "exponent 1.00 [0.99, 1.01] lies within 1 +/- 0.2").holds
    True
    """

    outcome: str
    reason: str

    @property
    def holds(self):
        """True when the outcome is "holds"."""
        return self.outcome == HOLDS


def exponent_verdict(law, expected, tolerance=0.2, name=None):
    """Judge "the exponent is ``expected``" by the fit's confidence interval and a tolerance band.

    The rule: the claim **holds** when the whole confidence interval lies inside
    ``[expected - tolerance, expected + tolerance]``; it **does not hold** when the interval lies
    wholly outside that band; otherwise (the interval straddles an edge: too few or too noisy points)
    the data are **inconclusive**.

    >>> law = fit_power_law([1, 2, 4, 8], [1.0, 2.0, 4.0, 8.0])
    >>> exponent_verdict(law, 1).outcome, exponent_verdict(law, 0).outcome
    ('holds', 'does not hold')
    """
    i = 0 if name is None else law.names.index(name)
    b, (lo, hi) = law.exponents[i], law.intervals[i]
    low_edge, high_edge = expected - tolerance, expected + tolerance
    fmt = lambda v: "0.00" if f"{v:.2f}" == "-0.00" else f"{v:.2f}"
    text = (f"exponent {fmt(b)}, {law.confidence:.0%} CI [{fmt(lo)}, {fmt(hi)}]; "
            f"expected {expected:g} +/- {tolerance:g}")
    if law.dof < 1:
        return Verdict(INCONCLUSIVE, f"{text}: too few points to estimate the uncertainty")
    if low_edge <= lo and hi <= high_edge:
        return Verdict(HOLDS, f"{text}: the interval lies inside the band")
    if hi < low_edge or lo > high_edge:
        return Verdict(FAILS, f"{text}: the interval lies outside the band")
    return Verdict(INCONCLUSIVE, f"{text}: the interval straddles the band's edge")


@dataclass(frozen=True)
class ExponentialFit:
    """A fitted exponential ``y = prefactor * base**k`` (a straight line in log y against k), with the 95%
    interval of its base; callable at k.

    >>> fit = fit_exponential([1, 2, 3, 4], [6.0, 12.0, 24.0, 48.0])
    >>> round(fit.base, 6), round(float(fit(5)), 6)
    (2.0, 96.0)
    """

    prefactor: float
    base: float
    interval: tuple
    dof: int

    def __call__(self, k):
        return self.prefactor * self.base ** np.asarray(k, dtype=float)


def fit_exponential(k, y, confidence=0.95):
    """Least squares fit of log y = log a + k log b: an `ExponentialFit` (y positive)."""
    k, y = np.asarray(k, dtype=float), np.asarray(y, dtype=float)
    fit = fit_linear(np.c_[np.ones_like(k), k], np.log(y), confidence)
    lo, hi = (math.exp(v) if math.isfinite(v) else v for v in fit.ci[1])
    return ExponentialFit(math.exp(fit.coef[0]), math.exp(fit.coef[1]), (lo, hi), fit.dof)


def base_verdict(k, y, at_least, confidence=0.95):
    """Judge "y grows exponentially in k, by a factor of at least ``at_least`` per step" by the base b of the
    least-squares fit log y = a + k log b (a straight line in log y against k) and its confidence interval.

    **Holds** when the whole interval of b lies at or above ``at_least``; **does not hold** when it lies wholly
    below; otherwise (or with too few points) **inconclusive**. A polynomial's factor per step shrinks towards 1
    as k grows, so it lands below or across the bound, never wholly above it for long.

    >>> k = [1, 2, 3, 4, 5, 6]
    >>> base_verdict(k, [3 * 2.7 ** i for i in k], at_least=2).outcome
    'holds'
    >>> base_verdict(k, [i ** 2 for i in k], at_least=2).outcome, base_verdict(k, [5.0] * 6, at_least=2).outcome
    ('inconclusive', 'does not hold')
    """
    k, y = np.asarray(k, dtype=float), np.asarray(y, dtype=float)
    if np.any(y <= 0):
        return Verdict(INCONCLUSIVE, "some values are not positive: no exponential fit")
    fit = fit_exponential(k, y, confidence)
    b, (lo, hi) = fit.base, fit.interval
    text = (f"base {b:.3g} per step of k, {confidence:.0%} CI [{_sig(lo)}, {_sig(hi)}]; "
            f"expected at least {at_least:g}")
    if fit.dof < 1:
        return Verdict(INCONCLUSIVE, f"{text}: too few points to estimate the uncertainty")
    if lo >= at_least:
        return Verdict(HOLDS, f"{text}: the interval lies above the bound")
    if hi < at_least:
        return Verdict(FAILS, f"{text}: the interval lies below the bound")
    return Verdict(INCONCLUSIVE, f"{text}: the interval straddles the bound")


def bound_verdict(values, below, what="value", confidence=0.95):
    """Judge "the values stay below ``below``" (e.g. the VJP/f time ratio below 5) by their typical level.

    The values (ratios, positive) are taken as one constant level with noise: their geometric mean gets a
    t interval from the logs. Holds when the whole interval lies below the bound, does not hold when it
    lies wholly above, and is inconclusive otherwise. One slow repeat on a shared machine widens the
    interval instead of deciding the verdict (the largest value is reported beside it).

    >>> bound_verdict([2.1, 2.5, 3.0], below=5).outcome, bound_verdict([6.0, 7.0, 6.5, 6.8], below=5).outcome
    ('holds', 'does not hold')
    """
    values = np.asarray(values, dtype=float)
    worst = float(values.max())
    if len(values) < 2 or np.any(values <= 0) or not np.all(np.isfinite(values)):
        return Verdict(INCONCLUSIVE, f"{what}: {len(values)} values, largest {worst:.2f}; bound {below:g}: too few "
                                     "positive finite values to estimate a level")
    fit = fit_linear(np.ones((len(values), 1)), np.log(values), confidence)
    level, (lo, hi) = math.exp(fit.coef[0]), (math.exp(fit.ci[0][0]), math.exp(fit.ci[0][1]))
    text = (f"{what}: typical (geometric mean) {level:.2f}, {confidence:.0%} CI [{lo:.2f}, {hi:.2f}] over "
            f"{len(values)} points, largest {worst:.2f}; bound {below:g}")
    if hi < below:
        return Verdict(HOLDS, f"{text}: the interval lies below the bound")
    if lo >= below:
        return Verdict(FAILS, f"{text}: the interval lies above the bound")
    return Verdict(INCONCLUSIVE, f"{text}: the interval straddles the bound")


def combine_verdicts(verdicts):
    """One verdict from several checks: fails if any fails, holds if all hold, else inconclusive.

    >>> combine_verdicts([Verdict(HOLDS, ""), Verdict(INCONCLUSIVE, "")])
    'inconclusive'
    """
    outcomes = [v.outcome for v in verdicts]
    if not outcomes:
        return INCONCLUSIVE
    if FAILS in outcomes:
        return FAILS
    if all(o == HOLDS for o in outcomes):
        return HOLDS
    return INCONCLUSIVE


# ----------------------------------------------------------------------------------------------------
# The affine model of an O(n) claim: cost = a + b n, the marginal cost b constant
# ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class MarginalCost:
    """A cost fitted as ``a + b * n**power`` (one intercept per group of the other variables), and how the
    marginal cost behaves along ``n``.

    ``slope`` is ``b``, the marginal cost per unit of ``n**power`` (per op, per input, per output ...),
    with its confidence interval. ``exponent`` is the log-log slope of the increments between neighbouring
    points, ``(y2 - y1) / (n2**power - n1**power)``, against ``n``: 0 when the cost really is affine in
    ``n**power`` (the marginal cost is constant), above 0 when it grows faster, below 0 when slower. It is
    None when some increment is not positive (noise larger than the marginal cost, or no growth at all).

    >>> mc = fit_marginal_cost([4, 8, 16, 32], [13.0, 21.0, 37.0, 69.0])   # 5 + 2 n
    >>> round(mc.slope, 6), mc.describe()
    (2.0, '+2 per n [2, 2]; marginal-cost exponent 0.00 [0.00, 0.00]')
    """

    name: str
    power: float
    slope: float
    slope_interval: tuple[float, float]
    exponent: float | None
    exponent_interval: tuple[float, float] | None
    increments: int
    dof: int
    confidence: float = 0.95
    intercepts: tuple = ()  # a, one per group (in the order of the groups' first appearance, sorted)

    def __call__(self, n, group=0):
        """The fitted cost ``a + b * n**power`` at ``n`` (for the ``group``-th group's intercept)."""
        return self.intercepts[group] + self.slope * np.asarray(n, dtype=float) ** self.power

    @property
    def per(self):
        """The unit of the marginal cost: ``n``, ``sqrt(n)`` or ``n^k``.

        >>> MarginalCost("L", 0.5, 1.0, (1.0, 1.0), 0.0, (0.0, 0.0), 3, 1).per
        'sqrt(L)'
        """
        if self.power == 1:
            return self.name
        return f"sqrt({self.name})" if self.power == 0.5 else f"{self.name}^{self.power:g}"

    def describe(self, unit=""):
        """The marginal cost and its interval, then the exponent of the marginal cost, as text."""
        lo, hi = self.slope_interval
        scale = 1.0
        if unit == "s":  # time: microseconds read better
            scale, unit = 1e6, "µs"
        elif unit == "bytes" and abs(self.slope) >= 1e3:
            scale, unit = (1e-6, "MB") if abs(self.slope) >= 1e6 else (1e-3, "kB")
        unit = f" {unit}" if unit else ""
        text = f"+{_sig(self.slope * scale)}{unit} per {self.per} [{_sig(lo * scale)}, {_sig(hi * scale)}]"
        if self.exponent is None:
            return f"{text}; marginal-cost exponent: not every increment is positive"
        elo, ehi = self.exponent_interval
        return f"{text}; marginal-cost exponent {_two(self.exponent)} [{_two(elo)}, {_two(ehi)}]"


def _sig(x):
    if not math.isfinite(x):
        return "inf" if x > 0 else "-inf"
    return "0" if abs(x) < 1e-12 else f"{x:.3g}"


def _two(x):
    if not math.isfinite(x):
        return "inf" if x > 0 else "-inf"
    text = f"{x:.2f}"
    return "0.00" if text == "-0.00" else text


def fit_marginal_cost(n, y, power=1.0, groups=None, name="n", confidence=0.95):
    """Fit ``y = a_g + b * n**power`` (``a_g``: one intercept per value of ``groups``; least squares in relative
    error) and the log-log exponent of the marginal cost; returns a `MarginalCost`.

    ``groups`` (one hashable per point) holds the other sweep variables: increments are taken between
    neighbouring points of the same group, and the exponent's fit gives each group its own level.

    >>> m = np.array([1, 4, 16, 1, 4, 16]); p = np.array([1, 1, 1, 8, 8, 8])
    >>> mc = fit_marginal_cost(m, 10.0 + 3 * m + 0.5 * p, groups=p, name="m")
    >>> round(mc.slope, 6), round(mc.exponent, 6) + 0.0  # (+ 0.0: a zero fitted as -0.0 prints as 0.0)
    (3.0, 0.0)
    """
    n = np.asarray(n, dtype=float)
    y = np.asarray(y, dtype=float)
    keys = [0] * len(n) if groups is None else [tuple(np.ravel(k).tolist()) for k in groups]
    labels = list(range(len(set(keys))))
    groups = np.array([sorted(set(keys)).index(k) for k in keys])
    dummies = np.column_stack([(groups == g).astype(float) for g in labels])
    g = n ** power
    # Relative errors: costs span decades and their noise is a fraction of each (a slow repeat adds a share),
    # so each point is weighted by 1/y and the line passes near the small ones as well as the big ones.
    weight = 1.0 / np.where(np.abs(y) > 0, np.abs(y), 1.0)
    fit = fit_linear(np.column_stack([dummies, g]) * weight[:, None], y * weight, confidence)
    slope, (lo, hi) = float(fit.coef[-1]), (float(fit.ci[-1][0]), float(fit.ci[-1][1]))
    round_off = 1e-9 * float(np.abs(y).max()) / float(g.max()) if len(y) and g.max() > 0 else 0.0
    slope, lo, hi = (0.0 if abs(v) <= round_off else v for v in (slope, lo, hi))  # exact data: no round-off
    mids, steps, owners = [], [], []
    for label in labels:
        sel = np.flatnonzero(groups == label)
        order = sel[np.argsort(n[sel])]
        for a, b in zip(order[:-1], order[1:]):
            if n[b] > n[a]:
                mids.append(math.sqrt(n[a] * n[b]))
                steps.append((y[b] - y[a]) / (g[b] - g[a]))
                owners.append(label)
    exponent = interval = None
    dof = 0
    steps = np.array(steps)
    if len(steps) and np.all(steps > 0):
        owners = np.array(owners)
        used = [label for label in labels if np.any(owners == label)]
        X = np.column_stack([*((owners == label).astype(float) for label in used), np.log(mids)])
        if X.shape[0] >= X.shape[1]:
            law = fit_linear(X, np.log(steps), confidence)
            exponent, interval, dof = float(law.coef[-1]), (float(law.ci[-1][0]), float(law.ci[-1][1])), law.dof
    return MarginalCost(name, float(power), slope, (lo, hi), exponent, interval, len(steps), dof, confidence,
                        tuple(float(a) for a in fit.coef[:-1]))


def marginal_verdict(mc, tolerance=0.2, unit=""):
    """Judge "the cost is ``a + b n**power`` with ``b > 0``" (for power 1: O(n)) by a `MarginalCost`.

    **Holds** when the marginal cost's whole interval is above 0 and the whole interval of its log-log
    exponent lies within 0 +/- ``tolerance`` (it neither grows nor shrinks with n); **does not hold** when
    the marginal cost's interval lies at or below 0 (the cost does not grow) or the exponent's interval
    lies wholly outside the band; otherwise **inconclusive**.

    >>> marginal_verdict(fit_marginal_cost([4, 8, 16, 32], [13.0, 21.0, 37.0, 69.0])).outcome
    'holds'
    >>> marginal_verdict(fit_marginal_cost([4, 8, 16, 32], [16.0, 64.0, 256.0, 1024.0])).outcome   # n^2
    'does not hold'
    """
    lo, hi = mc.slope_interval
    text = mc.describe(unit) + f"; expected a marginal cost above 0 with exponent 0 +/- {tolerance:g}"
    if hi <= 0:
        return Verdict(FAILS, f"{text}: the cost does not grow with {mc.name}")
    if mc.exponent is None:
        return Verdict(INCONCLUSIVE, f"{text}: some increments are not positive, so the noise is as large as "
                                     "the marginal cost")
    if mc.dof < 1:
        return Verdict(INCONCLUSIVE, f"{text}: too few points to estimate the uncertainty")
    elo, ehi = mc.exponent_interval
    if lo > 0 and -tolerance <= elo and ehi <= tolerance:
        return Verdict(HOLDS, f"{text}: the marginal cost is positive and constant")
    if ehi < -tolerance or elo > tolerance:
        return Verdict(FAILS, f"{text}: the marginal cost {'grows' if elo > tolerance else 'shrinks'} with {mc.name}")
    return Verdict(INCONCLUSIVE, f"{text}: an interval straddles its band's edge")
