"""The time/cost Pareto front and the fold of offers that differ only by GPU count: stated invariants, checked by
hypothesis against a brute-force definition, and on a real plan from the catalog."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from estimator.catalog.gpus import all_gpus
from estimator.catalog.offers import all_offers
from estimator.catalog.presets import preset
from estimator.cost import with_reserved
from estimator.models import CapacityType, Method, TrainingRun
from estimator.pareto import dominates, fold_gpu_counts, offer_key, pareto_front
from estimator.plan import Candidate, plan

_numbers = st.one_of(st.none(), st.floats(min_value=0.0, max_value=1e6, allow_nan=False))
candidates = st.lists(
    st.builds(
        Candidate,
        gpu_id=st.sampled_from(["H100-SXM", "A100-SXM-80GB"]),
        gpus=st.sampled_from([1, 2, 4, 8]),
        zero_stage=st.sampled_from([0, 1, 3]),
        provider=st.sampled_from([None, "aws", "gcp"]),
        instance=st.sampled_from([None, "p5.48xlarge"]),
        region=st.sampled_from([None, "cn-hangzhou", "cn-wulanchabu"]),
        capacity_type=st.sampled_from([None, CapacityType.SPOT, CapacityType.ON_DEMAND]),
        hours=_numbers,
        total_usd=_numbers,
    ),
    max_size=40,
)


@given(candidates)
def test_front_is_exactly_the_undominated_points(pool: list[Candidate]) -> None:
    front = pareto_front(pool)
    placed = [c for c in pool if c.hours is not None and c.total_usd is not None]
    for member in front:
        assert not any(dominates(other, member) for other in placed)
    # Every placed candidate off the front is dominated by, or ties on both objectives with, a front member.
    for candidate in placed:
        if candidate in front:
            continue
        assert any(
            dominates(m, candidate) or (m.hours, m.total_usd) == (candidate.hours, candidate.total_usd) for m in front
        )


@given(candidates)
def test_front_runs_fastest_to_cheapest(pool: list[Candidate]) -> None:
    front = pareto_front(pool)
    hours = [c.hours for c in front]
    costs = [c.total_usd for c in front]
    assert all(a is not None and b is not None and a < b for a, b in itertools.pairwise(hours))
    assert all(a is not None and b is not None and a > b for a, b in itertools.pairwise(costs))


@given(candidates)
def test_fold_keeps_one_row_per_offer_and_counts_the_rest(pool: list[Candidate]) -> None:
    folded = fold_gpu_counts(pool)
    keys = [offer_key(c) for c, _ in folded]
    assert len(keys) == len(set(keys))
    assert sum(1 + hidden for _, hidden in folded) == len(pool)
    for candidate, _ in folded:  # the first of its offer in the given order
        assert next(c for c in pool if offer_key(c) == offer_key(candidate)) is candidate


def test_real_plan_front_trades_hours_for_dollars() -> None:
    run = TrainingRun(tokens=2e8, seq_len=2048, micro_batch=1, method=Method.LORA)
    result = plan(preset("llama-3-8b"), run, all_gpus(), with_reserved(all_offers()))
    front = pareto_front(result.accepted)
    assert len(front) >= 2
    cheapest = min(result.accepted, key=lambda c: c.total_usd or 0.0)
    fastest = min(result.accepted, key=lambda c: c.hours or 0.0)
    assert front[-1].total_usd == cheapest.total_usd
    assert front[0].hours == fastest.hours
    folded = fold_gpu_counts(result.accepted)
    assert len(folded) < len(result.accepted)  # the catalog offers each instance at several GPU counts


def test_the_same_instance_in_two_regions_is_two_offers_never_folded() -> None:
    # Alibaba Cloud lists ecs.ebmgn7e.32xlarge in cn-hangzhou and cn-wulanchabu at different prices.
    def at(region: str, gpus: int, usd: float) -> Candidate:
        return Candidate(gpu_id="A100-SXM-80GB", gpus=gpus, zero_stage=0, provider="aliyun",
                         instance="ecs.ebmgn7e.32xlarge", region=region, capacity_type=CapacityType.ON_DEMAND,
                         hours=10.0, total_usd=usd)  # fmt: skip

    pool = [at("cn-wulanchabu", 8, 546.0), at("cn-hangzhou", 8, 607.0), at("cn-wulanchabu", 16, 560.0)]
    folded = fold_gpu_counts(pool)
    assert [(c.region, hidden) for c, hidden in folded] == [("cn-wulanchabu", 1), ("cn-hangzhou", 0)]
