import dataclasses
import math
from datetime import UTC, datetime, timedelta, timezone
from statistics import NormalDist
from typing import TypeVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.core.domain.projection import Z90, ProjectionInput, observed_log_sd, project, total_seconds_band
from tests.unit.domain.factories import P4D_USD_PER_HOUR, T0

HOUR = 3600.0
T = TypeVar("T")


def sure(value: T | None) -> T:
    assert value is not None
    return value


def running(**changes) -> ProjectionInput:
    # A full p4d for 10 hours so far.
    base = ProjectionInput(
        now=T0, cost_usd=10 * P4D_USD_PER_HOUR, hourly_cost_usd=P4D_USD_PER_HOUR, running_seconds=10 * HOUR
    )
    return dataclasses.replace(base, **changes)


def test_nothing_known_gives_cost_so_far_only():
    result = project(running())
    assert (result.projected_cost_usd, result.remaining_cost_usd, result.expected_completion) == (None, None, None)
    assert result.progress is None


def test_progress_only_extrapolates_observed_throughput():
    result = project(running(progress=0.25))
    # elapsed / p = 40 h total, 30 h left at the p50.
    assert result.basis == "throughput"
    assert sure(result.remaining_seconds).p50 == pytest.approx(30 * HOUR)
    assert sure(result.remaining_cost_usd).p50 == pytest.approx(30 * P4D_USD_PER_HOUR)
    assert sure(result.projected_cost_usd).p50 == pytest.approx(40 * P4D_USD_PER_HOUR)
    assert result.expected_completion == T0 + timedelta(hours=30)
    sd = observed_log_sd(0.25)
    assert sure(result.remaining_seconds).p90 == pytest.approx(30 * HOUR * math.exp(Z90 * sd))
    assert result.progress_source == "reported"


def test_estimate_only_counts_down_the_expected_duration():
    result = project(running(estimate_total_seconds=24 * HOUR))
    assert result.basis == "estimator"
    # Median of T given T > 10 h, with log T ~ N(log 24 h, 0.3): a little above the unconditioned 14 h.
    dist = NormalDist(math.log(24 * HOUR), 0.3)
    below = dist.cdf(math.log(10 * HOUR))
    assert sure(result.remaining_seconds).p50 == pytest.approx(
        math.exp(dist.inv_cdf(below + 0.5 * (1 - below))) - 10 * HOUR
    )
    assert 14 * HOUR < sure(result.remaining_seconds).p50 < 14.1 * HOUR
    assert result.progress == pytest.approx(10 / 24)
    assert result.progress_source == "estimator"
    # T > 10 h is already known, so the p10 of what is left is above the unconditioned 24 h x exp(-1.28 x 0.3) - 10 h.
    assert sure(result.remaining_seconds).p10 > 24 * HOUR * math.exp(-Z90 * 0.3) - 10 * HOUR


def test_without_progress_remaining_is_conditioned_on_time_already_run():
    # 10 h run against a 12 h estimate: given T > 10 h, the remaining band stays positive and ordered.
    result = project(running(estimate_total_seconds=12 * HOUR))
    assert (
        0 < sure(result.remaining_seconds).p10 < sure(result.remaining_seconds).p50 < sure(result.remaining_seconds).p90
    )
    assert sure(result.remaining_seconds).p50 < 12 * HOUR * math.exp(Z90 * 0.3) - 10 * HOUR
    # Far beyond the estimate (10 h against 1 h) the estimate is no guide: nothing is projected as remaining.
    assert sure(project(running(estimate_total_seconds=HOUR)).remaining_cost_usd).p90 == 0


def test_blend_moves_from_estimate_to_observation_as_progress_grows():
    def p50_total(progress: float) -> float:
        inp = running(progress=progress, running_seconds=progress * 40 * HOUR, estimate_total_seconds=20 * HOUR)
        band, basis = sure(total_seconds_band(inp))
        assert basis == "blend"
        return band.p50

    # Observation says 40 h, the estimator 20 h; early it is near 20 h, at 10 % midway (equal weights), late near 40.
    early, even, late = p50_total(0.01), p50_total(0.10), p50_total(0.90)
    assert 20 * HOUR < early < even < late < 40 * HOUR
    assert even == pytest.approx(math.sqrt(20 * 40) * HOUR, rel=1e-3)
    assert late > 39 * HOUR


def test_blend_band_is_narrower_than_either_source():
    alone = sure(total_seconds_band(running(progress=0.1)))[0]
    both = sure(total_seconds_band(running(progress=0.1, estimate_total_seconds=100 * HOUR)))[0]
    assert both.p90 / both.p10 < alone.p90 / alone.p10


def test_finished_job_projects_its_final_cost():
    finished_at = T0 - timedelta(minutes=5)
    result = project(running(state="Succeeded", finished=finished_at, hourly_cost_usd=0.0, progress=0.97))
    assert sure(result.projected_cost_usd).p10 == sure(result.projected_cost_usd).p90 == 10 * P4D_USD_PER_HOUR
    assert sure(result.remaining_cost_usd).p90 == 0
    assert result.expected_completion == finished_at
    assert result.progress == 1.0


def test_progress_complete_while_still_running_leaves_nothing():
    result = project(running(progress=1.0, estimate_total_seconds=99 * HOUR))
    assert sure(result.remaining_cost_usd).p90 == 0
    assert result.expected_completion == T0


def test_paused_job_uses_average_burn_and_has_no_eta():
    result = project(running(state="Suspended", hourly_cost_usd=0.0, progress=0.5))
    assert result.expected_completion is None
    assert sure(result.remaining_cost_usd).p50 == pytest.approx(10 * P4D_USD_PER_HOUR)


def test_pending_job_that_never_ran_has_zero_remaining_cost():
    result = project(
        ProjectionInput(now=T0, cost_usd=0, hourly_cost_usd=0, running_seconds=0, estimate_total_seconds=HOUR)
    )
    assert sure(result.remaining_cost_usd).p50 == 0
    assert result.expected_completion is None


@given(
    progress=st.one_of(st.none(), st.floats(min_value=0.001, max_value=0.999)),
    estimate_hours=st.one_of(st.none(), st.floats(min_value=0.1, max_value=1e4)),
    elapsed_hours=st.floats(min_value=0.01, max_value=1e3),
    hourly=st.floats(min_value=0.0, max_value=400.0),
)
def test_bands_are_ordered_and_projected_total_covers_cost_so_far(progress, estimate_hours, elapsed_hours, hourly):
    inp = ProjectionInput(
        now=T0,
        cost_usd=elapsed_hours * hourly,
        hourly_cost_usd=hourly,
        running_seconds=elapsed_hours * HOUR,
        progress=progress,
        estimate_total_seconds=None if estimate_hours is None else estimate_hours * HOUR,
    )
    result = project(inp)
    if progress is None and estimate_hours is None:
        assert result.projected_cost_usd is None
        return
    for band in map(sure, (result.projected_cost_usd, result.remaining_cost_usd, result.remaining_seconds)):
        assert 0 <= band.p10 <= band.p50 <= band.p90
    assert sure(result.projected_cost_usd).p10 >= inp.cost_usd


# The projection builds its Bands without validation (`built`) and skips the datetime.max horizon for ETAs that are
# surely representable: both must give exactly what the validated / full computation gives.
@given(st.tuples(*[st.one_of(st.floats(), st.integers(-(10**6), 10**6)) for _ in range(3)]))
def test_unvalidated_band_is_the_validated_band(values: tuple[float, float, float]) -> None:
    from monitor.core.domain.projection import _band
    from monitor.core.domain.result import Band

    fast, validated = _band(*values), Band(p10=values[0], p50=values[1], p90=values[2])
    assert fast.model_dump_json() == validated.model_dump_json()
    assert [type(v) for v in fast.model_dump().values()] == [float, float, float]


@given(
    st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=14)), timezone(-timedelta(hours=12))])),
    st.one_of(st.floats(0, 1e12), st.floats(0, 1e10), st.floats(0, 1e6)),
)
def test_eta_fast_path_matches_the_horizon_check(now: datetime, remaining_seconds: float) -> None:
    from monitor.core.domain.projection import _eta

    horizon_seconds = (datetime.max.replace(tzinfo=now.tzinfo) - now).total_seconds()
    expected = None if remaining_seconds >= horizon_seconds - 86_400 else now + timedelta(seconds=remaining_seconds)
    assert _eta(now, remaining_seconds) == expected
