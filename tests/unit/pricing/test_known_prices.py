"""KnownPrices, the tick's pricer: it never calls a live API (the refresh does), answers what the last refresh
learned, queues the nodes it has not priced, and the refresh prices those, then everyone every refresh_seconds."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from estimator.catalog.offers import embedded_offers
from monitor.adapters.pricing.cache import CachedSource
from monitor.adapters.pricing.chain import PriceChain
from monitor.adapters.pricing.errors import PricingApiError
from monitor.adapters.pricing.fallback import PriceGuessSource
from monitor.adapters.pricing.refresh import KnownPrices
from monitor.core.domain.model import NodeCapacityType, NodeIdentity
from tests.unit.pricing.fakes import FakeClock, ScriptedFetcher


def _node(name: str, instance: str = "p4d.24xlarge") -> NodeIdentity:
    return NodeIdentity(
        node=name, provider="aws", region="us-east-1", instance_type=instance, capacity_type=NodeCapacityType.ON_DEMAND
    )


def _known(script: list[float | Exception | None], refresh_seconds: float = 900.0):
    clock = FakeClock()
    fetcher = ScriptedFetcher(clock, script)
    source = CachedSource(fetcher, clock, ttl_seconds=60, stale_after_seconds=86400)
    chain = PriceChain([source], PriceGuessSource(embedded_offers()))
    return KnownPrices(chain, clock, refresh_seconds), fetcher, clock


def test_the_tick_never_calls_the_api_and_reads_what_the_refresh_learned() -> None:
    known, fetcher, _ = _known([40.0])
    node = _node("a")
    before = known.price(node)
    assert fetcher.calls == 0
    assert before.source != "fake-api"  # the chain without its live API: here the fallback estimate
    assert known.refresh(lambda: [node]) == 1
    assert fetcher.calls == 1
    assert known.price(node).usd_per_hour == 40.0
    assert fetcher.calls == 1  # and the tick still asks nothing


def test_a_node_the_tick_met_is_priced_by_the_next_refresh_even_between_full_ones() -> None:
    known, fetcher, clock = _known([40.0, 41.0, 42.0])
    a, b = _node("a"), _node("b", "p5.48xlarge")
    known.refresh(lambda: [a])
    clock.advance(10)
    known.price(b)  # new: queued
    assert known.refresh(lambda: [a, b]) == 1  # not a full refresh yet: only b
    assert known.price(b).usd_per_hour == 41.0
    clock.advance(900)
    assert known.refresh(lambda: [b]) == 1  # full: a left the cluster and is forgotten
    known.price(a)
    assert fetcher.calls == 3


def test_a_failing_api_leaves_the_last_good_price_flagged_stale() -> None:
    known, _, clock = _known([40.0, PricingApiError("503")], refresh_seconds=60)
    node = _node("a")
    known.refresh(lambda: [node])
    clock.advance(120)  # past the cache TTL and the refresh interval
    known.refresh(lambda: [node])
    price = known.price(node)
    assert (price.usd_per_hour, price.stale) == (40.0, True)


def test_a_closed_refresh_asks_nothing_more() -> None:
    known, fetcher, _ = _known([40.0, 41.0])
    known.close()
    assert known.refresh(lambda: [_node("a"), _node("b", "p5.48xlarge")]) == 0
    assert fetcher.calls == 0


@given(steps=st.lists(st.tuples(st.sampled_from("abc"), st.booleans(), st.integers(0, 1000)), max_size=30))
def test_the_tick_is_never_the_one_calling_the_api(steps: list[tuple[str, bool, int]]) -> None:
    known, fetcher, clock = _known([10.0] * 200, refresh_seconds=300)
    nodes = {name: _node(name) for name in "abc"}
    for name, refresh, seconds in steps:
        clock.advance(seconds)
        calls = fetcher.calls
        known.price(nodes[name])
        assert fetcher.calls == calls
        if refresh:
            known.refresh(lambda: list(nodes.values()))
            assert known.price(nodes[name]).usd_per_hour == 10.0
