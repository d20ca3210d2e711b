"""Benchmarks import their shared workloads as ``from workloads import ...``."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
