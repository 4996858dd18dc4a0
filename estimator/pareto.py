"""The time/cost Pareto front of a plan, and the ranking with offers that differ only by GPU count folded together."""

from __future__ import annotations

from collections.abc import Iterable

from estimator.plan import Candidate


def dominates(a: Candidate, b: Candidate) -> bool:
    """a dominates b when it is no slower and no dearer, and strictly better in one of the two.

    Formula: a ≻ b ⇔ hours(a) ≤ hours(b) ∧ usd(a) ≤ usd(b) ∧ (hours(a) < hours(b) ∨ usd(a) < usd(b)) (Pareto
    dominance, minimising both objectives). Candidates without hours or a USD total dominate nothing and are
    dominated by nothing: they are not on the time/cost plane.
    """
    if a.hours is None or a.total_usd is None or b.hours is None or b.total_usd is None:
        return False
    no_worse = a.hours <= b.hours and a.total_usd <= b.total_usd
    return no_worse and (a.hours < b.hours or a.total_usd < b.total_usd)


def pareto_front(candidates: Iterable[Candidate]) -> tuple[Candidate, ...]:
    """The candidates no other candidate dominates, fastest first (so dearest first); ties on both keep the first.

    One sweep over the candidates sorted by (hours, usd): a candidate is on the front when it is strictly cheaper
    than every faster-or-equal one kept before it. O(n log n).
    """
    placed = [c for c in candidates if c.hours is not None and c.total_usd is not None]
    placed.sort(key=lambda c: (c.hours, c.total_usd))
    front: list[Candidate] = []
    for candidate in placed:
        assert candidate.total_usd is not None
        if not front or candidate.total_usd < (front[-1].total_usd or 0.0):
            front.append(candidate)
    return tuple(front)


def offer_key(candidate: Candidate) -> tuple[str, str | None, str | None, str | None, str | None]:
    """What identifies an offer apart from how many GPUs of it are used: GPU model, provider, instance, region,
    capacity."""
    capacity = candidate.capacity_type.value if candidate.capacity_type else None
    return candidate.gpu_id, candidate.provider, candidate.instance, candidate.region, capacity


def fold_gpu_counts(candidates: Iterable[Candidate]) -> list[tuple[Candidate, int]]:
    """The first candidate of each offer (in the given order, so the cheapest when ranked) and how many others of
    the same offer, differing only by GPU count or ZeRO stage, it stands for."""
    first: dict[tuple[str, str | None, str | None, str | None, str | None], Candidate] = {}
    others: dict[tuple[str, str | None, str | None, str | None, str | None], int] = {}
    for candidate in candidates:
        key = offer_key(candidate)
        if key in first:
            others[key] += 1
        else:
            first[key], others[key] = candidate, 0
    return [(candidate, others[key]) for key, candidate in first.items()]
