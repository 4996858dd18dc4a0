"""The price chain: overrides → cloud APIs (cached) → embedded catalog → typical estimate. Always answers, and
remembers the provenance of every node it priced (for `trainspend_price_info` and `trainspend_price_stale`)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from monitor.domain.model import CapacityType, NodeIdentity, Price
from monitor.ports import PriceSource
from monitor.pricing.fallback import FallbackSource

log = logging.getLogger(__name__)

# Sources whose answer is exactly what the user configured: never discounted, and the only ones allowed to say 0.
_EXPLICIT_SOURCES = frozenset({"override"})


@dataclass(frozen=True)
class PricedNode:
    identity: NodeIdentity
    price: Price


class PriceChain:
    def __init__(self, sources: Sequence[PriceSource], fallback: FallbackSource, discount_percent: float = 0.0) -> None:
        if not 0 <= discount_percent < 100:
            raise ValueError(f"discount_percent = {discount_percent}: must be in [0, 100)")
        self._sources = tuple(sources)
        self._fallback = fallback
        self._discount_percent = discount_percent
        self._priced: dict[str, PricedNode] = {}

    @property
    def source_names(self) -> tuple[str, ...]:
        return (*(s.name for s in self._sources), self._fallback.name)

    def price(self, node: NodeIdentity) -> Price:
        """The first source's answer, discounted where a negotiated discount applies; never raises."""
        answer = self._first_answer(node)
        answer = self._discounted(node, answer)
        self._priced[node.node] = PricedNode(node, answer)
        return answer

    def provenance(self) -> tuple[PricedNode, ...]:
        """The latest price of every node priced and not forgotten, sorted by node name."""
        return tuple(self._priced[name] for name in sorted(self._priced))

    def retain(self, node_names: Iterable[str]) -> None:
        """Forgets nodes that left the cluster, so their provenance stops being published."""
        keep = set(node_names)
        for name in [n for n in self._priced if n not in keep]:
            del self._priced[name]

    def _first_answer(self, node: NodeIdentity) -> Price:
        for source in self._sources:
            try:
                answer = source.price(node)
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
            or node.capacity_type in (CapacityType.SPOT, CapacityType.ON_PREM)
        ):
            return answer
        factor = 1 - self._discount_percent / 100
        detail = f"{answer.detail}; {self._discount_percent:g}% discount" if answer.detail else "discounted"
        return answer.model_copy(update={"usd_per_hour": answer.usd_per_hour * factor, "detail": detail})
