from __future__ import annotations

from monitor.adapters.pricing.cache import CachedSource
from monitor.adapters.pricing.errors import PricingApiError, PricingThrottledError
from monitor.core.domain.model import CapacityType, NodeIdentity
from tests.unit.pricing.fakes import FakeClock, ScriptedFetcher, must

NODE = NodeIdentity(node="n", provider="aws", region="us-east-1", instance_type="p5.48xlarge")


def _source(clock: FakeClock, script: list[float | Exception | None]) -> tuple[CachedSource, ScriptedFetcher]:
    fetcher = ScriptedFetcher(clock, script)
    source = CachedSource(
        fetcher, clock, ttl_seconds=600, stale_after_seconds=3600, backoff_initial_seconds=30, backoff_max_seconds=600
    )
    return source, fetcher


def test_fresh_answer_is_reused_until_the_ttl_expires() -> None:
    clock = FakeClock()
    source, fetcher = _source(clock, [55.04, 50.0])
    assert must(source.price(NODE)).usd_per_hour == 55.04
    clock.advance(599)
    assert must(source.price(NODE)).usd_per_hour == 55.04
    assert fetcher.calls == 1
    clock.advance(2)
    assert must(source.price(NODE)).usd_per_hour == 50.0
    assert fetcher.calls == 2


def test_other_nodes_of_other_types_are_fetched_separately() -> None:
    clock = FakeClock()
    source, fetcher = _source(clock, [55.04, 1.006])
    source.price(NODE)
    other = NODE.model_copy(update={"instance_type": "g5.xlarge"})
    assert must(source.price(other)).usd_per_hour == 1.006
    assert fetcher.calls == 2


def test_error_keeps_last_good_price_flagged_stale_then_recovers() -> None:
    clock = FakeClock()
    source, _ = _source(clock, [55.04, PricingApiError("HTTP 500"), 54.0])
    assert must(source.price(NODE)).stale is False
    clock.advance(601)
    stale = must(source.price(NODE))
    assert (stale.usd_per_hour, stale.stale) == (55.04, True)
    assert "HTTP 500" in stale.detail
    assert source.api_errors == 1
    clock.advance(31)  # past the first backoff
    fresh = must(source.price(NODE))
    assert (fresh.usd_per_hour, fresh.stale) == (54.0, False)


def test_error_without_a_last_good_price_answers_none() -> None:
    clock = FakeClock()
    source, _ = _source(clock, [PricingApiError("timeout")])
    assert source.price(NODE) is None


def test_backoff_doubles_and_no_call_is_made_while_backing_off() -> None:
    clock = FakeClock()
    source, fetcher = _source(clock, [PricingApiError("a"), PricingApiError("b"), 7.0])
    source.price(NODE)  # fails: wait 30 s
    clock.advance(29)
    assert source.price(NODE) is None
    assert fetcher.calls == 1
    clock.advance(2)
    source.price(NODE)  # fails again: wait 60 s
    clock.advance(59)
    source.price(NODE)
    assert fetcher.calls == 2
    clock.advance(2)
    assert must(source.price(NODE)).usd_per_hour == 7.0


def test_throttling_honours_retry_after() -> None:
    clock = FakeClock()
    source, fetcher = _source(clock, [PricingThrottledError("429", retry_after_seconds=300), 7.0])
    source.price(NODE)
    clock.advance(299)
    source.price(NODE)
    assert fetcher.calls == 1
    clock.advance(2)
    assert must(source.price(NODE)).usd_per_hour == 7.0


def test_none_answers_are_cached_too() -> None:
    clock = FakeClock()
    source, fetcher = _source(clock, [None])
    assert source.price(NODE) is None
    assert source.price(NODE) is None
    assert fetcher.calls == 1


def test_nodes_the_api_does_not_cover_are_not_fetched() -> None:
    clock = FakeClock()
    source, fetcher = _source(clock, [])
    assert source.price(NODE.model_copy(update={"provider": "gcp"})) is None
    assert fetcher.calls == 0


def test_spot_prices_are_cached_per_zone() -> None:
    clock = FakeClock()
    source, _ = _source(clock, [20.0, 25.0])
    spot = NODE.model_copy(update={"capacity_type": CapacityType.SPOT, "zone": "us-east-1a"})
    assert must(source.price(spot)).usd_per_hour == 20.0
    assert must(source.price(spot.model_copy(update={"zone": "us-east-1b"}))).usd_per_hour == 25.0
