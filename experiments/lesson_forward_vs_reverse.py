"""A lesson in three parts: forward mode versus reverse mode, on the teaching notes' own example.

    python experiments/lesson_forward_vs_reverse.py               # -> reports/lesson/
    python experiments/lesson_forward_vs_reverse.py --out /tmp/l  # somewhere else
    python experiments/lesson_forward_vs_reverse.py --quick       # smaller sweep and pictures (the tests)

It writes README.md (the lesson: the teaching example's graph and both sweeps, a Jacobian by columns and by
rows, the cost crossover) and its figures; the code is `admodes.teach.lesson`. For the classroom pack (the
slides' figures at a projector's size and an index page) run ``admodes lesson --out DIR``.
"""

import argparse
import sys
from pathlib import Path

from admodes.teach.lesson import write_lesson

OUT = Path(__file__).resolve().parent.parent / "reports" / "lesson"

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help="output folder (default reports/lesson)")
    parser.add_argument("--quick", action="store_true", help="smaller sweep and pictures")
    options = parser.parse_args()
    print(f"wrote {write_lesson(options.out, options.quick)}")
    sys.exit(0)
