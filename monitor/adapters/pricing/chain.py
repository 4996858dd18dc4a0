"""The price chain: overrides → cloud APIs (cached) → embedded catalog → price guess. Always answers; each
answer carries its own provenance (`Price.source`, `as_of`, `stale`), which the tick result publishes."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from monitor.adapters.pricing.cache import CachedSource
from monitor.adapters.pricing.fallback import PriceGuessSource
from monitor.core.domain.model import NodeCapacityType, NodeIdentity, Price
from monitor.core.errors import ConfigError
from monitor.core.ports import PriceSource

log = logging.getLogger(__name__)

# Sources whose answer is exactly what the user configured: never discounted, and the only ones allowed to say 0.
_EXPLICIT_SOURCES = frozenset({"override"})


class PriceChain:
    def __init__(
        self, sources: Sequence[PriceSource], fallback: PriceGuessSource, discount_percent: float = 0.0
    ) -> None:
        if not 0 <= discount_percent < 100:
            raise ConfigError(f"pricing.discount_percent={discount_percent!r}: use a percentage in [0, 100), e.g. 15")
        self._sources = tuple(sources)
        self._fallback = fallback
        self._discount_percent = discount_percent

    @property
    def source_names(self) -> tuple[str, ...]:
        return (*(s.name for s in self._sources), self._fallback.name)

    def price(self, node: NodeIdentity, live: bool = True) -> Price:
        """The first source's answer, discounted where a negotiated discount applies; never raises.

        With `live=False` no pricing API is called: each live source answers what it last learned (its cached answer
        however old, else the last good price the store kept, flagged stale), and the chain goes on from there."""
        answer = self._first_answer(node, live)
        return self._discounted(node, answer)

    def api_errors(self) -> dict[str, int]:
        """Failed calls per live pricing API since start, keyed `pricing:<source>` (trainspend_api_errors_total)."""
        return {f"pricing:{s.name}": s.api_errors for s in self._sources if isinstance(s, CachedSource)}

    def last_errors(self) -> dict[str, str]:
        """Live API name -> its last error, for the APIs that failed since this chain was built."""
        return {s.name: s.last_error for s in self._sources if isinstance(s, CachedSource) and s.last_error}

    def _first_answer(self, node: NodeIdentity, live: bool) -> Price:
        for source in self._sources:
            try:
                answer = source.price(node) if live or not isinstance(source, CachedSource) else source.known(node)
            except Exception:  # one broken source must not stop pricing: the next one answers
                log.exception("price source %s failed for node %s", source.name, node.node)
                continue
            if answer is None:
                continue
            if answer.usd_per_hour <= 0 and answer.source not in _EXPLICIT_SOURCES:
                log.warning("price source %s said %s USD/h for node %s: ignored", source.name, answer, node.node)
                continue
            return answer
        return self._fallback.price(node)

    def _discounted(self, node: NodeIdentity, answer: Price) -> Price:
        """A negotiated discount applies to list prices (on-demand/reserved), not to spot market prices nor to the
        user's own overrides: usd/h = list usd/h · (1 − discount% / 100)."""
        if (
            self._discount_percent == 0
            or answer.source in _EXPLICIT_SOURCES
            or node.capacity_type in (NodeCapacityType.SPOT, NodeCapacityType.ON_PREM)
        ):
            return answer
        factor = 1 - self._discount_percent / 100
        detail = f"{answer.detail}; {self._discount_percent:g}% discount" if answer.detail else "discounted"
        return answer.model_copy(update={"usd_per_hour": answer.usd_per_hour * factor, "detail": detail})
