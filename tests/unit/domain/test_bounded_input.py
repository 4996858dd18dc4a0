"""Every value a user writes is bounded before it is parsed: the annotation parser, the estimate and the projection
never raise, whatever the text or float (issue 12 item 2: a malformed annotation made its Job vanish)."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.core.domain.annotations import ANNOTATIONS, PREFIX, merge_progress, parse_workload_annotations
from monitor.core.domain.bounded import DISPLAY_CHARS, MAX_JSON_DEPTH, BoundError, clip, json_depth, load_bounded_json
from monitor.core.domain.projection import ProjectionInput, project
from monitor.core.domain.quantities import QuantityError, parse_count, parse_quantity
from monitor.core.domain.workload_estimate import EstimateKey, WorkloadEstimate, estimate_workload

NOW = datetime(2026, 11, 10, 8, 0, tzinfo=UTC)
LLAMA = {PREFIX + "model": "llama-3-8b", PREFIX + "tokens": "2e9"}

# The values that reproduced the fault, one per failure class the issue names, plus neighbours of each bound.
NASTY = [
    "1e999999999",  # decimal overflow
    "1e-999999999",
    "9" * 5000,  # above CPython's 4,300-digit int() limit
    "9" * 4000,  # below it: parses, then overflows a float
    "5e-324",  # the smallest subnormal double
    "1e308",
    "-0",
    "inf",
    "nan",
    "1e18",
    "1.0000001e18",
    "0x10",
    "１２",  # full-width digits: int() accepts them
    "\x00",
    "",
    " " * 300,
    "[" * 20_000 + "]" * 20_000,
    '{"a": ' + "[" * 5_000 + "]" * 5_000 + "}",
    '{"hidden_size": ' + "9" * 5000 + "}",
    '{"hidden_size": 1e999, "num_hidden_layers": 32}',
    '{"hidden_size": NaN}',
    "x" * 200_000,
]
SUFFIXES = [name.removeprefix(PREFIX) for name in ANNOTATIONS]
values = st.one_of(st.sampled_from(NASTY), st.text(max_size=300), st.floats().map(repr), st.integers().map(str))
annotation_maps = st.dictionaries(
    st.one_of(st.sampled_from(SUFFIXES), st.text(max_size=20)).map(lambda s: PREFIX + s), values, max_size=8
)


@pytest.mark.parametrize("suffix", SUFFIXES)
@pytest.mark.parametrize("value", NASTY, ids=lambda v: repr(v[:20]) + f"..{len(v)}")
def test_each_nasty_value_is_a_problem_or_a_bounded_value_and_the_rest_still_parses(suffix: str, value: str) -> None:
    parsed = parse_workload_annotations({**LLAMA, PREFIX + suffix: value})
    if suffix not in ("model", "tokens"):
        assert parsed.spec.model == "llama-3-8b"
        assert parsed.spec.tokens == 2e9
    for problem in parsed.problems:
        assert len(problem.value) <= DISPLAY_CHARS + 40
        assert problem.message
    _assert_bounded(parsed.spec)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(annotation_maps)
def test_parser_never_raises_and_every_annotation_is_parsed_or_reported(annotations: dict[str, str]) -> None:
    parsed = parse_workload_annotations({**LLAMA, **annotations})
    _assert_bounded(parsed.spec)
    reported = {p.annotation for p in parsed.problems}
    for key, raw in annotations.items():
        field = key.removeprefix(PREFIX).replace("-", "_")
        if key not in ANNOTATIONS:
            assert clip(key) in reported, key
        elif getattr(parsed.spec, field) is None and field != "model":
            assert key in reported, f"{key}={raw!r} was dropped without a problem"
    ratio = merge_progress(annotations, [annotations])
    assert ratio is None or 0.0 <= ratio <= 1.0


@settings(max_examples=150, deadline=None)
@given(annotation_maps, st.sampled_from(["H100-SXM", "A100-SXM-40GB", "no-such-gpu"]), st.integers(1, 4096))
def test_estimate_of_any_parsed_spec_is_finite_or_a_problem(annotations: dict[str, str], gpu: str, gpus: int) -> None:
    spec = parse_workload_annotations({**LLAMA, **annotations}).spec
    answer = estimate_workload(EstimateKey(spec=spec, gpu_model=gpu, gpus=gpus))
    if isinstance(answer, WorkloadEstimate):
        assert 0 < answer.total_seconds < math.inf


def _assert_bounded(spec: object) -> None:
    for name, value in vars(spec).items():
        if isinstance(value, float):
            assert math.isfinite(value), name
        if isinstance(value, int) and not isinstance(value, bool):
            assert abs(value) <= 2**53, name
    tokens = getattr(spec, "tokens", None)
    assert tokens is None or 0 < tokens <= 1e18


extreme = st.floats(min_value=0.0, allow_nan=False, allow_infinity=False)
extremes = st.one_of(extreme, st.sampled_from([0.0, 5e-324, 1e-300, 1.0, 1e300, 1.7976931348623157e308]))


@settings(max_examples=500)
@given(
    cost=extremes,
    hourly=extremes,
    running=extremes,
    progress=st.none() | st.floats(0.0, 1.0) | st.sampled_from([5e-324, 1e-300, 1.0 - 1e-16]),
    estimate=st.none() | extremes,
    uncertainty=st.sampled_from([0.0, 1e-300, 0.3, 1e300]),
    state=st.sampled_from(["Running", "Pending", "Suspended", "Succeeded", "Failed"]),
)
def test_projection_of_extreme_floats_never_raises_and_is_finite_and_ordered(
    cost: float,
    hourly: float,
    running: float,
    progress: float | None,
    estimate: float | None,
    uncertainty: float,
    state: str,
) -> None:
    inp = ProjectionInput(
        now=NOW,
        cost_usd=cost,
        hourly_cost_usd=hourly,
        running_seconds=running,
        progress=progress,
        estimate_total_seconds=estimate,
        estimate_relative_uncertainty=uncertainty,
        state=state,
    )
    result = project(inp)
    for band in (result.projected_cost_usd, result.remaining_cost_usd, result.remaining_seconds):
        if band is not None:
            assert all(math.isfinite(v) and v >= 0 for v in (band.p10, band.p50, band.p90))
            assert band.p10 <= band.p50 * (1 + 1e-9)
            assert band.p50 <= band.p90 * (1 + 1e-9)
    if result.projected_cost_usd is not None:
        assert result.projected_cost_usd.p10 >= cost * (1 - 1e-9)
    if result.expected_completion is not None:
        assert result.expected_completion >= NOW
    assert result.progress is None or 0.0 <= result.progress <= 1.0


def test_tiny_progress_leaves_the_estimate_in_charge() -> None:
    # 5e-324 of the work in 1 h says nothing about the total: the 10 h estimate alone decides.
    base = ProjectionInput(
        now=NOW, cost_usd=32.0, hourly_cost_usd=32.0, running_seconds=3600.0, estimate_total_seconds=36_000.0
    )
    tiny = project(ProjectionInput(**{**vars(base), "progress": 5e-324}))
    assert tiny.basis == "estimator"
    assert tiny.remaining_seconds is not None
    assert tiny.remaining_seconds.p50 == pytest.approx(36_000.0, rel=1e-6)


def test_an_eta_beyond_year_9999_is_none_while_the_cost_stays() -> None:
    inp = ProjectionInput(
        now=NOW, cost_usd=5.0, hourly_cost_usd=1e-9, running_seconds=60.0, estimate_total_seconds=1e300
    )
    result = project(inp)
    assert result.expected_completion is None
    assert result.remaining_seconds is not None
    assert result.remaining_seconds.p50 > (datetime.max - NOW.replace(tzinfo=None)).total_seconds()


def test_a_ten_day_eta_is_kept() -> None:
    inp = ProjectionInput(now=NOW, cost_usd=5.0, hourly_cost_usd=1.0, running_seconds=1.0, progress=0.5)
    eta = project(inp).expected_completion
    assert eta is not None
    assert eta - NOW < timedelta(seconds=2)


def test_count_and_quantity_overflow_are_clear_errors() -> None:
    with pytest.raises(QuantityError, match="tokens='1e999999999'"):
        parse_count("1e999999999", "tokens")
    with pytest.raises(QuantityError, match="positive number up to 1e\\+18"):
        parse_count("2e18", "tokens")
    with pytest.raises(QuantityError, match="overflows"):
        parse_quantity("1e999999999", "memory")
    with pytest.raises(QuantityError):
        parse_quantity("1" * 10_000)


def test_json_depth_counts_brackets_outside_strings_only() -> None:
    assert json_depth('{"a": "[[[[{{{{", "b": [1, {"c": 2}]}') == 3
    assert json_depth(r'{"a": "\"[[["}') == 1
    deep = '{"a": ' + "[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1) + "}"
    with pytest.raises(BoundError, match=f"at most {MAX_JSON_DEPTH} levels"):
        load_bounded_json(deep)
    ok = '{"a": ' + "[" * (MAX_JSON_DEPTH - 1) + "]" * (MAX_JSON_DEPTH - 1) + "}"
    assert json_depth(ok) == MAX_JSON_DEPTH
    assert isinstance(load_bounded_json(ok), dict)


def test_deep_model_config_is_a_problem_naming_the_depth() -> None:
    raw = '{"a": ' + "[" * 20_000 + "]" * 20_000 + "}"  # under the size bound: only the depth stops it
    parsed = parse_workload_annotations({PREFIX + "model-config": raw, PREFIX + "tokens": "2e9"})
    (problem,) = parsed.problems
    assert problem.annotation == PREFIX + "model-config"
    assert "nest at most 32 levels deep (this one nests 20001)" in problem.message
    assert problem.value.endswith(f"({len(raw) - DISPLAY_CHARS} more characters)")


def test_huge_integer_in_model_config_is_a_problem() -> None:
    raw = json.dumps({"hidden_size": 10**30, "num_hidden_layers": 32})
    (problem,) = parse_workload_annotations({PREFIX + "model-config": raw}).problems
    assert "integers of at most 9007199254740992" in problem.message
