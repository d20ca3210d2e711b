"""What the whole suite shares: the test profile, and the ``slow`` marker.

``ADMODES_TEST_PROFILE`` chooses how hard the generated tests look:

- ``full`` (the default, and the README's command): every hypothesis test draws the examples its settings ask for;
- ``light``: a quarter of them (at least 2, never more than asked), and hypothesis' default 100 becomes 25. CI's
  repeated runs use it (the suite on each other Python, and every run with ``ADMODES_REFERENCE=1``): they look
  for what differs between interpreters or between the fast and the reference paths, which shows on any draw,
  while the full profile's run looks for rare draws.

A test marked ``slow`` is expensive and shows nothing that depends on the interpreter or on the fast paths (the
measuring runs of the scaling experiments, whose memory and op counts the engine tests pin down on every Python);
CI runs it once, in the README's run, and leaves it out of the repeated runs with ``-m "not slow"``.
"""

import math
import os

import pytest
from hypothesis import settings

PROFILES = {"full": 1.0, "light": 0.25}
PROFILE = os.environ.get("ADMODES_TEST_PROFILE", "full")
if PROFILE not in PROFILES:
    raise pytest.UsageError(f"ADMODES_TEST_PROFILE={PROFILE!r}: expected one of {', '.join(PROFILES)}")
settings.register_profile("light", max_examples=25)
if PROFILE == "light":
    settings.load_profile("light")


def fewer_examples(asked, share=PROFILES[PROFILE]):
    """The examples a test that asks for ``asked`` draws under the profile: ``asked`` in full, a share of it
    (at least 2, never more than asked) in light.

    >>> fewer_examples(15, 0.25), fewer_examples(3, 0.25), fewer_examples(1, 0.25), fewer_examples(60, 1.0)
    (4, 2, 1, 60)
    """
    return asked if share >= 1 else min(asked, max(2, math.ceil(asked * share)))


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: repeats at a high price what a cheaper test shows; run once in CI "
                                       "(the README's run), left out of the repeated runs with -m 'not slow'")


def pytest_collection_modifyitems(config, items):
    """Under the light profile, each hypothesis test's own ``max_examples`` shrinks too (a profile alone
    changes only the tests that set none)."""
    if PROFILE == "full":
        return
    done = set()
    for item in items:
        test = getattr(item, "obj", None)
        own = getattr(test, "_hypothesis_internal_use_settings", None)
        if own is None or id(test) in done:
            continue
        done.add(id(test))
        test._hypothesis_internal_use_settings = settings(own, max_examples=fewer_examples(own.max_examples))
