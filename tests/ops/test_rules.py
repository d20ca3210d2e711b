"""Every registered primitive's rules, checked by finite differences and by the adjoint identity."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from admodes.ops.core import REGISTRY

from . import cases_complex, cases_elementwise, cases_linalg, cases_reductions, cases_rounding, cases_shape
from .harness import Draw, check_fast_forms, check_float32, check_rules

MODULES = (cases_elementwise, cases_rounding, cases_reductions, cases_linalg, cases_shape, cases_complex)
CASES = [c for module in MODULES for c in module.CASES]
BY_ID = {c.id: c for c in CASES}
RULES = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def test_case_ids_are_unique():
    assert len(BY_ID) == len(CASES)


def test_every_primitive_is_declared_batched_and_tested():
    # The one check a new primitive must pass: its declaration (defrules or a front-end), a batch rule in
    # it, and cases in tests/ops/cases_*.py. (The names are the doctest examples' primitives.)
    examples = {"double", "triple_example", "double_example"}
    without_rules = sorted(name for name, prim in REGISTRY.items() if not prim.has_rules)
    without_batch = sorted(set(name for name, prim in REGISTRY.items() if prim.batch_rule is None) - examples)
    untested = sorted(set(REGISTRY) - {c.name for c in CASES} - examples)
    assert without_rules == [], f"primitives without a declaration (defrules): {without_rules}"
    assert without_batch == [], f"primitives declared without a batch rule (defrules(..., batch=...)): {without_batch}"
    assert untested == [], f"primitives missing from the rule tests (tests/ops/cases_*.py): {untested}"


@pytest.mark.parametrize("case_id", sorted(BY_ID))
@RULES
@given(data=st.data())
def test_rules_float64(case_id, data):
    check_rules(BY_ID[case_id], Draw(data, np.float64))


@pytest.mark.parametrize("case_id", sorted(BY_ID))
@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_rules_keep_float32(case_id, data):
    check_float32(BY_ID[case_id], Draw(data, np.float32))


FAST = sorted(c.id for c in CASES if REGISTRY[c.name].elementwise or REGISTRY[c.name].rules.fast is not None)


def test_fast_forms_cover_the_hot_ops():
    hot = {"multiply", "subtract", "negative", "divide", "power", "sin", "exp", "getitem"}
    assert hot <= {BY_ID[i].name for i in FAST}


@pytest.mark.parametrize("case_id", sorted(BY_ID))
@RULES
@given(data=st.data())
def test_fast_path_equals_the_reference_path(case_id, data):
    check_fast_forms(BY_ID[case_id], Draw(data, np.float64))


@pytest.mark.parametrize("case_id", FAST)
@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_fast_forms_keep_float32(case_id, data):
    check_fast_forms(BY_ID[case_id], Draw(data, np.float32))
