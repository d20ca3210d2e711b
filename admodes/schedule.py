"""Binomial checkpointing's schedule (Griewank and Walther, "Algorithm 799: revolve"): which states of a
chain of L equal steps to keep in s snapshot slots, and what to recompute, so that the chain is reversed
with the fewest recomputed steps, r*L - C(s + r, s + 1) with r the smallest integer such that
C(s + r, s) >= L.

This module is the plan alone, plain data a teacher can print; `admodes.checkpoint.revolve` runs it on the
tape.

    >>> revolve_recomputations(steps=10, snapshots=2)   # r = 3: 3*10 - C(5, 3)
    20
    >>> [a.kind for a in revolve_schedule(2, 1).actions]
    ['snapshot', 'advance', 'reverse', 'restore', 'reverse']
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .inputs import check_int

__all__ = ["repetition_number", "revolve_recomputations", "Action", "Schedule", "revolve_schedule", "schedule_for"]


def repetition_number(steps, snapshots):
    """The smallest r with C(s + r, s) >= L: each step is evaluated at most r times.

    C(s + r, s) is the longest chain that s snapshots reverse with r repetitions (Griewank and Walther).

    >>> repetition_number(10, 2), repetition_number(10, 9), repetition_number(1, 1)
    (3, 1, 0)
    """
    who = "repetition_number"
    steps = check_int(steps, "steps", who, 1)
    snapshots = check_int(snapshots, "snapshots", who, 1)
    # C(s + r, s) grows with r: double r until it reaches L, then bisect (r = L - 1 for one snapshot, so
    # counting r up one at a time took a billion binomials for L = 10^9).
    low, high = -1, 0  # C(s + low, s) < L (with C(s - 1, s) = 0) and C(s + high, s) is to be tried
    while math.comb(snapshots + high, snapshots) < steps:
        low, high = high, 2 * high + 1
    while high - low > 1:
        middle = (low + high) // 2
        if math.comb(snapshots + middle, snapshots) < steps:
            low = middle
        else:
            high = middle
    return high


def revolve_recomputations(steps, snapshots):
    """The fewest forward steps that reverse a chain of L steps with s snapshots: r*L - C(s + r, s + 1).

    These are the step evaluations done without recording, on top of the L recorded ones that plain
    reverse mode also does: the extra work of binomial checkpointing (Griewank and Walther,
    "Algorithm 799: revolve"). One snapshot means L(L - 1)/2; L - 1 snapshots or more, L - 1.

    >>> revolve_recomputations(10, 1), revolve_recomputations(10, 2), revolve_recomputations(10, 9)
    (45, 20, 9)
    """
    r = repetition_number(steps, snapshots)
    return r * steps - math.comb(snapshots + r, snapshots + 1)


@dataclass(frozen=True)
class Action:
    """One action of a checkpointing schedule, on the states x_0 ... x_L of the chain.

    ============  ==============================================================
    kind          meaning
    ============  ==============================================================
    ``snapshot``  keep the state in hand, x_start, in a free snapshot slot
    ``advance``   compute x_end from x_start without recording (end - start steps)
    ``reverse``   record step ``start`` from x_start and sweep it: the cotangent of
                  x_(start+1) becomes that of x_start
    ``restore``   take x_start from its snapshot as the state in hand
    ``free``      release the snapshot of x_start
    ============  ==============================================================

    >>> Action("advance", 0, 3)
    advance x0 -> x3
    """

    kind: str
    start: int
    end: int | None = None

    def __repr__(self):
        if self.kind == "advance":
            return f"advance x{self.start} -> x{self.end}"
        if self.kind == "reverse":
            return f"reverse step {self.start} (x{self.start} -> x{self.start + 1})"
        return f"{self.kind} x{self.start}"


@dataclass(frozen=True)
class Schedule:
    """A plan that reverses a chain of ``steps`` equal steps with at most ``snapshots`` stored states.

    ``actions`` lists `Action` objects; ``recomputations`` counts the steps they evaluate without
    recording (the ``advance`` actions), which for `revolve_schedule` equals the closed form
    `revolve_recomputations`. Printing a schedule gives the table a teacher can walk through.

    >>> s = revolve_schedule(4, 2)
    >>> s.recomputations, s.peak_snapshots
    (4, 2)
    >>> print(s)   # doctest: +NORMALIZE_WHITESPACE
    revolve: L = 4 steps, s = 2 snapshots, r = 2, 4 recomputed steps (closed form 4)
      1  snapshot x0                   held: x0
      2  advance x0 -> x2              held: x0
      3  snapshot x2                   held: x0 x2
      4  advance x2 -> x3              held: x0 x2
      5  reverse step 3 (x3 -> x4)     held: x0 x2
      6  restore x2                    held: x0 x2
      7  reverse step 2 (x2 -> x3)     held: x0 x2
      8  free x2                       held: x0
      9  restore x0                    held: x0
     10  advance x0 -> x1              held: x0
     11  reverse step 1 (x1 -> x2)     held: x0
     12  restore x0                    held: x0
     13  reverse step 0 (x0 -> x1)     held: x0
    """

    steps: int
    snapshots: int
    actions: tuple[Action, ...]

    @property
    def recomputations(self):
        """Steps evaluated without recording: the sum of the ``advance`` lengths."""
        return sum(a.end - a.start for a in self.actions if a.kind == "advance")

    @property
    def peak_snapshots(self):
        """The most states held in snapshots at once."""
        held = peak = 0
        for a in self.actions:
            held += {"snapshot": 1, "free": -1}.get(a.kind, 0)
            peak = max(peak, held)
        return peak

    @property
    def first_reverse(self):
        """The index of the first ``reverse`` action: the actions before it are the forward pass."""
        return next(i for i, a in enumerate(self.actions) if a.kind == "reverse")

    def __str__(self):
        r = repetition_number(self.steps, self.snapshots)
        lines = [f"revolve: L = {self.steps} steps, s = {self.snapshots} snapshots, r = {r}, "
                 f"{self.recomputations} recomputed steps (closed form "
                 f"{revolve_recomputations(self.steps, self.snapshots)})"]
        held = []
        for k, a in enumerate(self.actions, 1):
            if a.kind == "snapshot":
                held.append(a.start)
            elif a.kind == "free":
                held.remove(a.start)
            lines.append(f"{k:3d}  {a!r:<28}  held: " + " ".join(f"x{i}" for i in sorted(held)))
        return "\n".join(lines)


def _split_point(length, snapshots):
    """Where to take the next snapshot when reversing ``length`` steps with ``snapshots`` (>= 2) slots.

    The first ``m`` steps are then reversed with the same slots after being advanced over once, the
    other ``length - m`` with one slot fewer. With r = `repetition_number`, the cost
    m + t(length - m, s - 1) + t(m, s) is smallest exactly for
    max(C(s+r-2, s), L - C(s+r-1, s-1)) <= m <= min(C(s+r-1, s), L - C(s+r-2, s-1));
    we take the largest such m (the test checks the total against the closed form).
    """
    r = repetition_number(length, snapshots)
    if r <= 1:
        return 1
    return min(math.comb(snapshots + r - 1, snapshots), length - math.comb(snapshots + r - 2, snapshots - 1))


def revolve_schedule(steps, snapshots):
    """The binomial checkpointing schedule for a chain of ``steps`` equal steps with ``snapshots`` slots.

    The input x_0 occupies the first slot. To reverse steps a .. b-1 with x_a stored and k slots: one
    step is reversed at once; with one slot, each step i (last first) is reached by advancing from
    x_a; otherwise advance to the optimal split m, store x_m, reverse m .. b-1 with k - 1 slots, free
    x_m and reverse a .. m-1 with k slots. Its ``recomputations`` equal `revolve_recomputations`.

    >>> [a.kind for a in revolve_schedule(2, 1).actions]
    ['snapshot', 'advance', 'reverse', 'restore', 'reverse']
    """
    who = "revolve_schedule"
    steps = check_int(steps, "steps", who, 1)
    snapshots = check_int(snapshots, "snapshots", who, 1, steps, "the number of steps L")
    actions = [Action("snapshot", 0)]
    hand = 0  # the index of the state in hand (None once a reverse consumed it)
    todo = [(0, steps, snapshots)]  # (a, b, k): reverse steps a .. b-1, x_a stored, k slots; or ("free", i)
    while todo:
        task = todo.pop()
        if task[0] == "free":
            actions.append(Action("free", task[1]))
            continue
        a, b, k = task
        if b - a > 1 and k > 1:
            m = a + _split_point(b - a, k)
            if hand != a:
                actions.append(Action("restore", a))
            actions.append(Action("advance", a, m))
            hand = m
            if b - m == 1:  # the last step is reversed straight from the state in hand: no slot needed
                todo += [(a, m, k), (m, b, k - 1)]
            else:
                actions.append(Action("snapshot", m))
                todo += [(a, m, k), ("free", m), (m, b, k - 1)]  # a stack: the right part goes first
            continue
        for i in range(b - 1, a - 1, -1):  # one slot (or one step): reach each step from x_a
            if hand != a:
                actions.append(Action("restore", a))
            if i > a:
                actions.append(Action("advance", a, i))
            actions.append(Action("reverse", i))
            hand = None
    return Schedule(steps, snapshots, tuple(actions))



_schedules: dict = {}


def schedule_for(steps, snapshots):
    """`revolve_schedule`, kept for the last few (L, s) asked for (a chain is usually reversed many times).

    >>> schedule_for(4, 2) is schedule_for(4, 2)
    True
    """
    key = (steps, snapshots)
    if key not in _schedules:
        if len(_schedules) > 32:
            _schedules.clear()
        _schedules[key] = revolve_schedule(steps, snapshots)
    return _schedules[key]
