from __future__ import annotations

import threading
import time

from monitor.adapters.pricing.cache import CachedSource
from monitor.adapters.pricing.errors import PricingApiError, PricingThrottledError
from monitor.core.domain.model import NodeCapacityType, NodeIdentity
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
    spot = NODE.model_copy(update={"capacity_type": NodeCapacityType.SPOT, "zone": "us-east-1a"})
    assert must(source.price(spot)).usd_per_hour == 20.0
    assert must(source.price(spot.model_copy(update={"zone": "us-east-1b"}))).usd_per_hour == 25.0


class _SlowFailingApi:
    """A live API that fails every call after `seconds` (a timeout in flight); counts calls under its own lock."""

    name = "fake-api"

    def __init__(self, seconds: float) -> None:
        self._seconds = seconds
        self._lock = threading.Lock()
        self.calls = 0

    def applies_to(self, node: NodeIdentity) -> bool:
        return True

    def fetch(self, node: NodeIdentity) -> None:
        with self._lock:
            self.calls += 1
        time.sleep(self._seconds)
        raise PricingApiError("timeout calling pricing.us-east-1.amazonaws.com")


def test_two_scheduled_tasks_pricing_at_once_make_one_failing_call_and_one_backoff_step() -> None:
    # The tick and the price-refresh task call the same cache from two threads. While one call to a failing API is in
    # flight, the other callers wait for its outcome and then back off with it: one API call, one error counted, one
    # backoff step (30 s), not one call and one doubling per caller (which would back off 2^7 · 30 s for one outage).
    clock = FakeClock()
    fetcher = _SlowFailingApi(seconds=0.05)
    source = CachedSource(
        fetcher, clock, ttl_seconds=600, stale_after_seconds=3600, backoff_initial_seconds=30, backoff_max_seconds=3600
    )
    callers = 8
    start = threading.Barrier(callers)

    def task() -> None:
        start.wait()
        source.price(NODE)

    workers = [threading.Thread(target=task) for _ in range(callers)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert (fetcher.calls, source.api_calls, source.api_errors) == (1, 1, 1)
    clock.advance(29)
    source.price(NODE)
    assert fetcher.calls == 1  # still backing off
    clock.advance(2)
    source.price(NODE)
    assert fetcher.calls == 2  # 30 s after the one failure, not 2^7 · 30 s
