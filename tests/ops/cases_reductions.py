"""Rule-test cases of the reductions (admodes/ops/reductions.py)."""

from .harness import Case


def _reduce(d):
    shape = d.shape()
    return (d.array(shape),), {"axis": d.axis(len(shape)), "keepdims": d.choice([False, True])}


CASES = [
    Case("sum", _reduce),
]
