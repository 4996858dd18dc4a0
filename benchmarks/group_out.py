"""Leave one family out / leave one sequence length out, computed from which rows each fitted constant is fitted on.

For a group G (all cases of one family, or of one sequence length) every fit that uses rows of G is redone on its
other rows, and the cases of G are evaluated with the refitted constants. A fit left with no rows cannot be redone:
the A100 GEMM fraction then falls back to what the estimator uses for any GPU generation it has no fit for (the
H100's measured fraction); the H100 host and memory-bound constants have no such fallback, so the group's check is
reported as not computable, with the reason. A group no fit uses is evaluated with the committed constants: its
check is its held-out error.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

from estimator.step_phases import StepConstants

Key = tuple[str, int]  # (family, sequence length) of a row


@dataclass(frozen=True)
class HeldCase:
    """One held-out comparison: its family and sequence length, and its error under any set of constants."""

    name: str
    family: str
    seq_len: int
    error_with: Callable[[StepConstants], float]  # predicted / measured − 1 (step time or GPU-hours)


@dataclass(frozen=True)
class Fit:
    """A fitted constant (or pair): the (family, seq) of each row it is fitted on and how to refit it on a subset."""

    name: str
    keys: Sequence[Key]
    # refit(kept row indices, constants) → constants with this fit redone on those rows (None when it cannot be)
    # and a note saying how
    refit: Callable[[list[int], StepConstants], tuple[StepConstants | None, str]]


@dataclass(frozen=True)
class GroupResult:
    label: str
    cases: int
    refits: tuple[str, ...]  # what was refitted and on how many rows, or why it could not be
    errors: tuple[float, ...] | None  # None: not computable


def leave_group_out(
    label: str, member: Callable[[Key], bool], cases: Sequence[HeldCase], fits: Sequence[Fit], base: StepConstants
) -> GroupResult:
    """Refit every fit that uses rows of the group without them, then evaluate the group's cases (module docstring)."""
    constants: StepConstants | None = base
    notes = []
    for fit in fits:
        used = [i for i, key in enumerate(fit.keys) if member(key)]
        if not used:
            continue
        kept = [i for i, key in enumerate(fit.keys) if not member(key)]
        refitted, how = fit.refit(kept, constants if constants is not None else base)
        notes.append(f"{fit.name}: {how}")
        constants = refitted if constants is not None else None
    group = [c for c in cases if member((c.family, c.seq_len))]
    if not notes:
        notes.append("no fitted constant uses these rows: the check is their held-out error")
    errors = None if constants is None else tuple(c.error_with(constants) for c in group)
    return GroupResult(label, len(group), tuple(notes), errors)


def _in_family(family: str, key: Key) -> bool:
    return key[0] == family


def _at_length(seq: int, key: Key) -> bool:
    return key[1] == seq


def report(cases: Sequence[HeldCase], fits: Sequence[Fit], base: StepConstants) -> list[GroupResult]:
    """Print leave-one-family-out and leave-one-sequence-length-out over every family and length in `cases`."""
    results = []
    families = sorted({c.family for c in cases})
    lengths = sorted({c.seq_len for c in cases})
    for family in families:
        results.append(leave_group_out(f"family {family}", partial(_in_family, family), cases, fits, base))
    for seq in lengths:
        results.append(leave_group_out(f"seq {seq}", partial(_at_length, seq), cases, fits, base))
    print(f"\n{'left out':20s} {'n':>4s} {'median':>8s} {'max':>8s}   constants")
    for r in results:
        if r.errors is None:
            stats = f"{'—':>8s} {'—':>8s}"
        else:
            abs_errors = [abs(e) for e in r.errors]
            stats = f"{statistics.median(abs_errors):8.1%} {max(abs_errors):8.1%}"
        print(f"{r.label:20s} {r.cases:4d} {stats}   " + "; ".join(r.refits))
    return results
