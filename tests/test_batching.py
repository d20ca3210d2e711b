"""The batching engine (admodes/batching.py): every batch rule against stacked calls, the engine, vmap, and
the Jacobians in one sweep against the per-direction ones."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from admodes.batching import batch_rule_of, looping_batch_rule
from admodes.ops.core import REGISTRY

from .ops.harness import Draw
from .ops.test_rules import CASES

BY_ID = {c.id: c for c in CASES}

# ====================================================================================================
# Every batch rule: a stack of k inputs through the rule equals k separate calls, stacked
# ====================================================================================================


class _Recording:
    """Hypothesis' data object, recording what it draws."""

    def __init__(self, data):
        self.data, self.values = data, []

    def draw(self, strategy, label=None):
        drawn = self.data.draw(strategy, label=label)
        self.values.append(drawn)
        return drawn


class _Replaying:
    """Gives back the recorded draws: the same shapes and choices, so a case drawn again with a fresh value
    generator gives other arrays of the same shapes (and the same static parameters)."""

    def __init__(self, values):
        self.values = iter(values)

    def draw(self, strategy, label=None):
        return next(self.values)


def _batch_of_cases(case, data, dtype):
    """``(prim, batched args, flags, params, per-element args)`` for k draws of one case."""
    prim = REGISTRY[case.name]
    recording = _Recording(data)
    first, params = case.draw(Draw(recording, dtype))
    k = data.draw(st.integers(1, 3), label="k")
    variants = [first]
    for j in range(1, k):
        d = Draw(_Replaying(recording.values), dtype)
        d.rng = np.random.default_rng(1000 + j)
        try:
            variants.append(case.draw(d)[0])
        except (StopIteration, ValueError, IndexError):  # the case's draws depend on its values: keep the first
            variants.append(first)
    arrays = [i for i, a in enumerate(first) if isinstance(a, np.ndarray)]
    chosen = data.draw(st.sets(st.sampled_from(arrays), min_size=1), label="batched") if arrays else set()
    elements = []
    for v in variants:
        same = [i in chosen and np.shape(v[i]) == np.shape(first[i]) and np.result_type(v[i]) == first[i].dtype
                for i in range(len(first))]
        elements.append(tuple(v[i] if same[i] else first[i] for i in range(len(first))))
    flags = tuple(i in chosen for i in range(len(first)))
    args = tuple(np.stack([e[i] for e in elements]) if flags[i] else first[i] for i in range(len(first)))
    return prim, args, flags, params, elements


def _check_batch_rule(case, data, dtype, rule_for):
    prim, args, flags, params, elements = _batch_of_cases(case, data, dtype)
    if not any(flags):
        return
    expected = np.stack([np.asarray(prim(*e, **params)) for e in elements])
    got = np.asarray(rule_for(prim)(args, flags, **params))
    assert got.shape == expected.shape, f"{case.id}: batched shape {got.shape}, stacked calls {expected.shape}"
    assert got.dtype == expected.dtype, f"{case.id}: batched dtype {got.dtype}, stacked calls {expected.dtype}"
    rtol = 1e-10 if dtype == np.float64 else 1e-5
    scale = float(np.max(np.abs(expected[np.isfinite(expected)]), initial=1.0)) if expected.dtype.kind == "f" else 1
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=rtol * scale, equal_nan=True, err_msg=case.id)


@pytest.mark.parametrize("case_id", sorted(BY_ID))
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_batch_rule_equals_stacked_calls(case_id, data):
    _check_batch_rule(BY_ID[case_id], data, np.float64, batch_rule_of)


@pytest.mark.parametrize("case_id", sorted(BY_ID))
@settings(max_examples=2, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_batch_rule_keeps_float32(case_id, data):
    _check_batch_rule(BY_ID[case_id], data, np.float32, batch_rule_of)


@pytest.mark.parametrize("case_id", sorted(BY_ID))
@settings(max_examples=2, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_slow_path_loop_equals_stacked_calls(case_id, data):
    _check_batch_rule(BY_ID[case_id], data, np.float64, looping_batch_rule)
