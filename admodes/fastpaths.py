"""The one switch for every fast path: ``ADMODES_REFERENCE=1`` in the environment turns them all off.

admodes keeps, beside each measured optimisation (an unrolled branch, an in-place VJP form, a uniform
cotangent, buffer reuse in the backward sweep), the generic code it replaces: the *reference path*. With the
switch on, every engine takes the reference path only, so the test suite can be run both ways and a fast path
that disagrees with the rule it stands for fails a test instead of going unnoticed. The switch is read once,
at import: set it before Python starts (``ADMODES_REFERENCE=1 python -m pytest``).

>>> isinstance(REFERENCE, bool)
True
"""

import os

REFERENCE: bool = os.environ.get("ADMODES_REFERENCE", "").strip() not in ("", "0")
"""True when the fast paths are off (the environment variable ``ADMODES_REFERENCE`` is set and not 0)."""

FAST: bool = not REFERENCE
"""True when the fast paths are on: the default."""
