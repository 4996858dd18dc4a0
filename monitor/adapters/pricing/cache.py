"""A TTL cache in front of one live pricing API, with stale fallback and backoff.

- A fresh answer (younger than the TTL) is reused without calling the API; "no price" answers are cached too, so an
  instance type the API does not know is not asked about every tick.
- On any API error the last good price stays in use, flagged `stale=True`; without one the source answers None and
  the chain moves on.
- With a `LastGoodPrices` store, every good answer is also saved per node identity, and the saved ones are loaded on
  first use: a daemon restarted during an API outage prices from them (stale=True) rather than from the catalog.
- After an error the whole source waits before its next call: the API's Retry-After when throttled, else an
  exponential backoff (initial · 2^(failures-1), capped), so a down API is not hammered once per node per tick.
- The tick and the price-refresh task price from two threads: one lock per source covers the whole look-up,
  the API call included, so a caller that finds a call in flight waits for its answer (cached, or one failure and one
  backoff step) instead of calling again. A call is bounded by the HTTP client's timeout.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from monitor.adapters.pricing.errors import PricingApiError, PricingThrottledError
from monitor.core.backoff import backoff_seconds
from monitor.core.domain.model import NodeIdentity, Price
from monitor.core.ports import Clock, LastGoodPrices

log = logging.getLogger(__name__)

CacheKey = tuple[str, ...]
_KEY_SEPARATOR = "|"  # no provider, region, zone, instance type or GPU model name contains it


class LiveFetcher(Protocol):
    """One cloud pricing API. `fetch` raises PricingApiError (or PricingThrottledError) when the API fails."""

    name: str

    def applies_to(self, node: NodeIdentity) -> bool:
        """Whether this API can price the node at all (right provider, instance type known)."""
        ...

    def fetch(self, node: NodeIdentity) -> Price | None: ...


@dataclass(frozen=True)
class _CachedAnswer:
    """The API's answer for one cache key (None: it knows no price) and when it was fetched."""

    price: Price | None
    fetched_at: datetime


def cache_key(node: NodeIdentity) -> CacheKey:
    """Everything a cloud price depends on; the zone matters for spot prices only."""
    zone = (node.zone or "") if node.capacity_type == "spot" else ""
    return (
        node.provider,
        node.region or "",
        zone,
        node.instance_type or "",
        str(node.capacity_type),
        node.gpu_model or "",
        str(node.gpu_count),
    )


class CachedSource:
    """A `PriceSource` over a `LiveFetcher`."""

    def __init__(
        self,
        fetcher: LiveFetcher,
        clock: Clock,
        ttl_seconds: float,
        stale_after_seconds: float,
        backoff_initial_seconds: float = 30.0,
        backoff_max_seconds: float = 3600.0,
        memory: LastGoodPrices | None = None,
    ) -> None:
        self.name = fetcher.name
        self._fetcher = fetcher
        self._clock = clock
        self._ttl = timedelta(seconds=ttl_seconds)
        self._stale_after = timedelta(seconds=stale_after_seconds)
        self._backoff_initial_seconds = backoff_initial_seconds
        self._backoff_max_seconds = backoff_max_seconds
        self._entries: dict[CacheKey, _CachedAnswer] = {}
        self._last_good: dict[CacheKey, Price] = {}
        self._memory = memory
        self._remembered = memory is None  # the saved last good prices are loaded once, on first use
        self._failures = 0
        self._blocked_until: datetime | None = None
        self._lock = threading.Lock()  # every field of the cache is written under it
        self.api_calls = 0
        self.api_errors = 0
        self.last_error = ""

    def price(self, node: NodeIdentity) -> Price | None:
        if not self._fetcher.applies_to(node):
            return None
        with self._lock:
            return self._price(node)

    def _price(self, node: NodeIdentity) -> Price | None:
        key = cache_key(node)
        now = self._clock.now()
        if not self._remembered:
            self._remember()
        entry = self._entries.get(key)
        if entry is not None and now - entry.fetched_at < self._ttl:
            return self._aged(entry.price, now)
        if self._blocked_until is not None and now < self._blocked_until:
            return self._stale(key, "backing off after an API error")
        self.api_calls += 1
        try:
            answer = self._fetcher.fetch(node)
        except PricingApiError as error:
            self._on_error(error, now)
            return self._stale(key, f"{self.name} failed: {error}")
        except Exception as error:  # the edge of every adapter: a failure class nobody mapped is still an API failure
            log.exception("pricing API %s raised an unmapped %s", self.name, type(error).__name__)
            self._on_error(PricingApiError(f"{type(error).__name__}: {str(error)[:200]}"), now)
            return self._stale(key, f"{self.name} failed: {type(error).__name__}")
        self._failures = 0
        self._blocked_until = None
        self._entries[key] = _CachedAnswer(answer, now)
        if answer is not None:
            self._last_good[key] = answer
            self._save(key, answer, now)
        return answer

    def known(self, node: NodeIdentity) -> Price | None:
        """What this source last learned about the node, without calling the API: the cached answer however old
        (flagged stale past `stale_after`), else the last good price kept in the store (stale), else None."""
        if not self._fetcher.applies_to(node):
            return None
        if not self._remembered:
            self._remember()
        key = cache_key(node)
        entry = self._entries.get(key)
        if entry is not None:
            return self._aged(entry.price, self._clock.now())
        return self._stale(key, "not refreshed since the daemon started")

    def _remember(self) -> None:
        self._remembered = True
        assert self._memory is not None
        try:
            saved = self._memory.load(self.name)
        except Exception:  # the store being down must not stop pricing: it only loses the memory of old answers
            log.exception("could not load the last good prices of %s", self.name)
            return
        for text, price in saved.items():
            self._last_good.setdefault(tuple(text.split(_KEY_SEPARATOR)), price)

    def _save(self, key: CacheKey, price: Price, now: datetime) -> None:
        if self._memory is None:
            return
        try:
            self._memory.save(self.name, _KEY_SEPARATOR.join(key), price, now)
        except Exception:
            log.exception("could not save the last good price of %s", self.name)

    def _aged(self, price: Price | None, now: datetime) -> Price | None:
        """A cached price older than `stale_after` is flagged stale even when served from a fresh cache entry."""
        if price is None or price.fetched_at is None or now - price.fetched_at <= self._stale_after:
            return price
        return price.model_copy(update={"stale": True})

    def _stale(self, key: CacheKey, why: str) -> Price | None:
        last = self._last_good.get(key)
        if last is None:
            return None
        detail = f"{last.detail}; stale: {why}" if last.detail else f"stale: {why}"
        return last.model_copy(update={"stale": True, "detail": detail})

    def _on_error(self, error: PricingApiError, now: datetime) -> None:
        self.api_errors += 1
        self.last_error = str(error)
        self._failures += 1
        delay = backoff_seconds(
            self._failures - 1,
            base_seconds=self._backoff_initial_seconds,
            max_seconds=self._backoff_max_seconds,
            jitter="none",  # one cache per API: nothing to de-synchronise, and tests read the exact delay
        )
        if isinstance(error, PricingThrottledError) and error.retry_after_seconds is not None:
            delay = max(delay, min(error.retry_after_seconds, self._backoff_max_seconds))
        self._blocked_until = now + timedelta(seconds=delay)
        log.warning("pricing API %s failed (%s); backing off %.0f s", self.name, error, delay)
