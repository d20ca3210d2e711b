"""admodes.measure: the t quantile, least squares and power-law fits, verdict rules, the three measures."""

import math

import numpy as np
import pytest

import admodes.numpy as anp
from admodes.measure import (
    FAILS,
    HOLDS,
    INCONCLUSIVE,
    Timing,
    Verdict,
    base_verdict,
    bound_verdict,
    combine_verdicts,
    exponent_verdict,
    fit_linear,
    fit_marginal_cost,
    fit_power_law,
    fit_power_laws,
    marginal_verdict,
    measure,
    op_counts,
    peak_memory,
    t_quantile,
    time_call,
)
from admodes.measure.timing import Stopwatch

# ---- the t quantile ------------------------------------------------------------------------------

# Two-sided 95% and 99% critical values from the standard tables.
TABLE = {1: (12.706, 63.657), 2: (4.303, 9.925), 3: (3.182, 5.841), 4: (2.776, 4.604), 5: (2.571, 4.032),
         6: (2.447, 3.707), 8: (2.306, 3.355), 10: (2.228, 3.169), 15: (2.131, 2.947), 20: (2.086, 2.845),
         30: (2.042, 2.750), 60: (2.000, 2.660), 120: (1.980, 2.617)}


@pytest.mark.parametrize("dof", sorted(TABLE))
def test_t_quantile_matches_the_table(dof):
    q95, q99 = TABLE[dof]
    assert t_quantile(0.975, dof) == pytest.approx(q95, abs=6e-4)
    assert t_quantile(0.995, dof) == pytest.approx(q99, abs=6e-4)


def test_t_quantile_is_symmetric_and_tends_to_the_normal():
    assert t_quantile(0.025, 7) == pytest.approx(-t_quantile(0.975, 7))
    assert t_quantile(0.5, 3) == 0.0
    assert t_quantile(0.975, 5000) == pytest.approx(1.96044, abs=1e-4)
    assert t_quantile(0.975, 10**7) == pytest.approx(1.959964, abs=1e-5)
    assert t_quantile(0.975, 2000) == pytest.approx(t_quantile(0.975, 2001), abs=1e-5)  # both sides of the switch


def test_t_quantile_of_one_dof_is_the_cauchy_quantile():
    for q in (0.6, 0.9, 0.99):
        assert t_quantile(q, 1) == pytest.approx(math.tan(math.pi * (q - 0.5)), rel=1e-9)


def test_t_quantile_rejects_bad_arguments():
    with pytest.raises(ValueError, match="degree of freedom"):
        t_quantile(0.975, 0)
    with pytest.raises(ValueError, match="0 < q < 1"):
        t_quantile(1.0, 5)


# ---- least squares -------------------------------------------------------------------------------

def test_fit_linear_recovers_a_line_and_its_interval_covers_the_truth():
    rng = np.random.default_rng(0)
    x = np.linspace(0, 10, 40)
    covered = 0
    for _ in range(200):
        y = 1.5 + 0.7 * x + rng.normal(0, 0.5, x.size)
        fit = fit_linear(np.c_[np.ones_like(x), x], y)
        covered += fit.ci[1, 0] <= 0.7 <= fit.ci[1, 1]
    assert fit.dof == 38
    assert 0.90 <= covered / 200 <= 0.99  # a 95% interval covers the true slope about 95% of the time


def test_fit_linear_matches_the_textbook_formula_for_the_slope_error():
    x = np.array([1.0, 2, 3, 4, 5])
    y = np.array([2.1, 3.9, 6.2, 7.8, 10.1])
    fit = fit_linear(np.c_[np.ones(5), x], y)
    residual = y - (fit.coef[0] + fit.coef[1] * x)
    se = math.sqrt(residual @ residual / 3 / ((x - x.mean()) ** 2).sum())
    assert fit.stderr[1] == pytest.approx(se)
    assert fit.ci[1, 1] - fit.coef[1] == pytest.approx(3.182446 * se, rel=1e-5)


def test_fit_linear_with_no_residual_degrees_has_infinite_intervals():
    fit = fit_linear(np.c_[np.ones(2), [1.0, 2.0]], [1.0, 3.0])
    assert fit.dof == 0 and np.isinf(fit.ci).all()
    assert fit.coef[1] == pytest.approx(2.0)


def test_fit_linear_rejects_bad_shapes_and_nan():
    with pytest.raises(ValueError, match="points cannot determine"):
        fit_linear(np.ones((1, 2)), [1.0])
    with pytest.raises(ValueError, match="NaN"):
        fit_linear(np.c_[np.ones(3), [1.0, 2, 3]], [1.0, np.nan, 2])


# ---- power laws on synthetic data with known exponents -------------------------------------------

@pytest.mark.parametrize("exponent", [0.0, 0.5, 1.0, 2.0, -1.0])
def test_fit_power_law_recovers_exact_exponents(exponent):
    n = np.array([4, 8, 16, 32, 64, 128])
    law = fit_power_law(n, 3.0 * n**exponent)
    assert law.exponent == pytest.approx(exponent, abs=1e-9)
    assert law.prefactor == pytest.approx(3.0)
    lo, hi = law.interval
    assert hi - lo < 1e-6
    assert law(256) == pytest.approx(3.0 * 256.0**exponent)


@pytest.mark.parametrize("exponent", [0.0, 1.0, 2.0])
def test_fit_power_law_recovers_noisy_exponents_inside_the_interval(exponent):
    rng = np.random.default_rng(int(exponent * 10))
    n = np.geomspace(10, 10_000, 12)
    y = 5e-6 * n**exponent * np.exp(rng.normal(0, 0.1, n.size))  # 10% multiplicative noise, like timings
    law = fit_power_law(n, y)
    lo, hi = law.interval
    assert lo < exponent < hi
    assert abs(law.exponent - exponent) < 0.1
    assert 0.0 < hi - lo < 0.2
    assert law.residual_std == pytest.approx(0.1, abs=0.06)


def test_fit_power_laws_in_two_variables():
    p, m = np.meshgrid([1.0, 2, 4, 8], [1.0, 4, 16])
    p, m = p.ravel(), m.ravel()
    law = fit_power_laws([p, m], 7.0 * p * m**0.5, names=("p", "m"))
    assert law.names == ("p", "m")
    assert law.exponents == pytest.approx((1.0, 0.5))
    assert law.dof == len(p) - 3
    assert law.describe("m") == "0.50 [0.50, 0.50]"


def test_fit_power_law_refuses_non_positive_values():
    with pytest.raises(ValueError, match="positive"):
        fit_power_law([1, 2, 3], [1.0, 0.0, 2.0])
    with pytest.raises(ValueError, match="positive"):
        fit_power_law([0, 2, 3], [1.0, 1.0, 2.0])


def test_a_constant_offset_bends_the_fitted_exponent_below_one():
    n = np.array([8, 16, 32, 64, 128, 256, 512, 1024])
    assert fit_power_law(n, 2 * n + 2).exponent == pytest.approx(0.98, abs=0.005)
    assert fit_power_law(n, n + 100).exponent < 0.8


# ---- verdicts ------------------------------------------------------------------------------------

def test_verdict_holds_for_data_that_follow_the_claim_and_flips_when_they_contradict_it():
    n = np.array([8, 16, 32, 64, 128, 256])
    linear = fit_power_law(n, 2.0 * n)
    quadratic = fit_power_law(n, 2.0 * n**2)
    assert exponent_verdict(linear, 1).outcome == HOLDS
    assert exponent_verdict(quadratic, 1).outcome == FAILS
    flat = fit_power_law(n, np.full(n.size, 4096.0))
    growing = fit_power_law(n, 4096.0 + 500.0 * n)  # memory that grows with L: "O(1)" is contradicted
    assert exponent_verdict(flat, 0).outcome == HOLDS
    assert exponent_verdict(growing, 0).outcome == FAILS


def test_verdict_is_inconclusive_when_the_interval_straddles_the_band():
    rng = np.random.default_rng(3)
    n = np.array([8.0, 16, 32, 64])
    law = fit_power_law(n, n ** 1.15 * np.exp(rng.normal(0, 0.3, n.size)))
    lo, hi = law.interval
    assert lo < 1.2 < hi  # the noise is large enough that the interval crosses the band's upper edge
    assert exponent_verdict(law, 1).outcome == INCONCLUSIVE
    assert "straddles" in exponent_verdict(law, 1).reason


def test_verdict_with_too_few_points_is_inconclusive():
    law = fit_power_law([1, 2], [1.0, 2.0])
    assert exponent_verdict(law, 1).outcome == INCONCLUSIVE
    assert "too few points" in exponent_verdict(law, 1).reason


def test_verdict_tolerance_is_the_band_half_width():
    n = np.array([8, 16, 32, 64, 128])
    law = fit_power_law(n, n**1.3)
    assert exponent_verdict(law, 1, tolerance=0.2).outcome == FAILS
    assert exponent_verdict(law, 1, tolerance=0.35).outcome == HOLDS


def test_bound_verdict_judges_the_typical_level_with_its_interval():
    assert bound_verdict([2.0, 2.6, 3.0, 2.4, 2.8], below=5).outcome == HOLDS
    assert bound_verdict([2.5, 2.6, 2.4, 2.5, 2.7, 2.6, 5.4], below=5).outcome == HOLDS  # one slow point
    assert bound_verdict([2.0, 3.0, 9.0], below=5).outcome == INCONCLUSIVE
    assert bound_verdict([6.0, 7.0, 6.5, 6.8], below=5).outcome == FAILS
    assert bound_verdict([3.0], below=5).outcome == INCONCLUSIVE


# ---- the affine model of an O(n) claim (issue 17) ----------------------------------------------

def test_an_affine_cost_holds_under_the_marginal_model_where_a_power_law_is_inconclusive():
    """jacrev's cost is one recorded forward pass plus m sweeps: 10 + 14 m calls. On the quick grid a power
    law through those points has exponent 0.82, which the old rule called inconclusive."""
    m = np.array([1, 4, 16] * 3)
    p = np.repeat([1, 4, 16], 3)
    calls = 10.0 + 14.0 * m
    law = fit_power_laws([p, m], calls, names=("p", "m"))
    assert law.exponents[1] == pytest.approx(0.82, abs=0.02)
    assert exponent_verdict(law, 1, name="m").outcome == INCONCLUSIVE
    mc = fit_marginal_cost(m, calls, groups=p, name="m")
    assert mc.slope == pytest.approx(14.0) and mc.slope_interval == pytest.approx((14.0, 14.0))
    assert mc.exponent == pytest.approx(0.0, abs=1e-9)
    assert marginal_verdict(mc).outcome == HOLDS
    assert "+14 calls per m [14, 14]" in marginal_verdict(mc, unit="calls").reason


def test_the_marginal_model_fails_a_cost_that_grows_faster_or_not_at_all():
    n = np.array([4, 8, 16, 32, 64])
    assert marginal_verdict(fit_marginal_cost(n, 5.0 + n ** 2)).outcome == FAILS  # the marginal cost grows
    flat = marginal_verdict(fit_marginal_cost(n, np.full(5, 7.0)))
    assert flat.outcome == FAILS and "does not grow" in flat.reason
    sqrt = fit_marginal_cost(n, 3.0 + 2.0 * np.sqrt(n), power=0.5)
    assert marginal_verdict(sqrt).outcome == HOLDS and sqrt.per == "sqrt(n)"
    assert marginal_verdict(fit_marginal_cost(n, 3.0 + 2.0 * n, power=0.5)).outcome == FAILS  # O(n) is not O(sqrt n)


def test_the_marginal_model_is_inconclusive_when_noise_hides_the_increments():
    n = np.array([4, 8, 16, 32, 64])
    noisy = marginal_verdict(fit_marginal_cost(n, 100.0 + n + np.array([0, 9, -9, 9, 0])))
    assert noisy.outcome == INCONCLUSIVE and "not positive" in noisy.reason
    assert marginal_verdict(fit_marginal_cost([4, 8, 16], [1.0, 2.0, 3.0])).outcome == INCONCLUSIVE  # 2 increments


def test_combine_verdicts():
    h, f, i = Verdict(HOLDS, ""), Verdict(FAILS, ""), Verdict(INCONCLUSIVE, "")
    assert combine_verdicts([h, h]) == HOLDS
    assert combine_verdicts([h, i]) == INCONCLUSIVE
    assert combine_verdicts([h, i, f]) == FAILS
    assert combine_verdicts([]) == INCONCLUSIVE


# ---- the three measures --------------------------------------------------------------------------

def test_timing_summary_from_raw_times():
    t = Timing.from_times([4.0, 1.0, 3.0, 2.0, 5.0], number=10)
    assert (t.median, t.q1, t.q3, t.min, t.max) == (3.0, 2.0, 4.0, 1.0, 5.0)
    assert t.repeats == 5 and t.number == 10
    assert t.spread == pytest.approx(2.0 / 3.0)


def test_time_call_runs_warmup_then_repeats_of_number_calls():
    calls = []
    t = time_call(lambda: calls.append(1), repeats=4, warmup=2, min_time=0.0)
    assert t.number == 1 and t.repeats == 4
    assert len(calls) == 2 + 4


def test_stopwatch_runs_setup_before_every_call_untimed():
    log = []
    watch = Stopwatch(lambda arg: log.append(("call", arg)), setup=lambda: log.append("setup") or 7, min_time=0.0)
    watch.repeat()
    assert log == ["setup", ("call", 7), "setup", ("call", 7)]


def test_time_call_rejects_zero_repeats():
    with pytest.raises(ValueError, match="repeats"):
        time_call(lambda: None, repeats=0)


def test_peak_memory_counts_numpy_buffers_exactly():
    n = 1_000_000
    peak = peak_memory(lambda: np.ones(n))
    assert 8 * n <= peak < 8 * n + 10_000
    def three_alive():
        a, b = np.ones(n), np.ones(n)
        return a + b  # a, b and the sum are alive at once
    assert 3 * 8 * n <= peak_memory(three_alive) < 3 * 8 * n + 10_000


def test_peak_memory_excludes_what_setup_allocates():
    peak = peak_memory(lambda a: a.sum(), setup=lambda: np.ones(1_000_000))
    assert peak < 10_000


def test_peak_memory_grows_with_what_the_call_keeps_alive():
    def keep(k):
        return lambda: [np.ones(10_000) for _ in range(k)]
    small, large = peak_memory(keep(10)), peak_memory(keep(40))
    assert (large - small) == pytest.approx(30 * 80_000, rel=0.02)


def test_op_counts_and_measure():
    x = np.linspace(0, 1, 50)
    counts = op_counts(lambda: anp.sum(anp.sin(anp.cos(x))))
    assert dict(counts.calls) == {"cos": 1, "sin": 1, "sum": 1}
    assert counts.total_elements == 150
    m = measure(lambda: anp.exp(x), repeats=2, min_time=0.001)
    assert (m.calls, m.elements, m.time.repeats) == (1, 50, 2)
    assert m.metric("calls") == 1.0 and m.metric("seconds") == m.time.min  # fits use the fastest repeat
    with pytest.raises(KeyError, match="unknown metric"):
        m.metric("flops")


# ---- exponential growth: the base of log(y) against k ------------------------------------------------

def test_base_verdict_tells_exponential_from_polynomial_growth():
    k = np.arange(1, 7)
    holds = base_verdict(k, 5.0 * 2.5 ** k * (1 + 0.01 * np.sin(k)), at_least=2)
    assert holds.outcome == HOLDS and "base 2.49" in holds.reason
    assert base_verdict(k, 8.0 * k ** 2 + 9 * k + 3, at_least=2).outcome != HOLDS   # Taylor mode's count
    assert base_verdict(k, 3.0 * 1.5 ** k, at_least=2).outcome == FAILS
    assert base_verdict(k[:2], 2.0 ** k[:2], at_least=2).outcome == INCONCLUSIVE  # a line through two points
    assert base_verdict(k, np.zeros(6), at_least=2).outcome == INCONCLUSIVE


def test_an_exponential_check_is_judged_in_the_claim_verdict():
    from admodes.measure import Experiment, Exponential, analyse, run_experiments

    def sins(n):
        def f(x):
            for _ in range(n):
                x = anp.sin(x)
            return x
        return f, np.ones(1)

    def doubling(k, rng):  # 2^k sins: each step of k doubles the work
        return sins(2 ** int(k))

    def linear(k, rng):  # 3k sins
        return sins(3 * int(k))

    e = Experiment(id="X", claim="", n="k", quotes=(), build={"doubling": doubling, "linear": linear},
                   sweep=(), quick=(1, 2, 3, 4, 5), tasks=("f",),
                   checks=(Exponential("f", "calls", at_least=1.8, variant="doubling"),))
    rows = run_experiments([e], quick=True, repeats=1, progress=False)
    assert analyse(e, rows).verdict == HOLDS
    e_linear = Experiment(id="X", claim="", n="k", quotes=(), build={"doubling": doubling, "linear": linear},
                          sweep=(), quick=(1, 2, 3, 4, 5), tasks=("f",),
                          checks=(Exponential("f", "calls", at_least=1.8, variant="linear"),))
    assert analyse(e_linear, rows).verdict != HOLDS
    with pytest.raises(ValueError, match="metric must be one of"):
        Exponential("f", "seconds", at_least=2)
