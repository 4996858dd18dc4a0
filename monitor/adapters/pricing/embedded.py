"""The embedded dated catalog (the estimator's offers): list prices with their source date, no network."""

from __future__ import annotations

from collections.abc import Sequence

from estimator.catalog.providers import canonical_provider
from estimator.currency import Currency, cfets_rate
from estimator.models import CapacityType, Offer
from monitor.core.domain.model import NodeCapacityType, NodeIdentity, Price


class EmbeddedCatalogSource:
    """Matches provider + instance type, preferring the node's region and capacity type.

    A price from another region, or an on-demand price for a spot node, is still better than a guess but is not this
    node's price: it is flagged `estimated` and the detail says what was substituted. A price the seller quotes in
    CNY (Alibaba Cloud) is accrued in USD as the catalog converted it, and the detail says it is CNY-native, with the
    exact CNY figure and the rate.
    """

    name = "catalog"

    def __init__(self, offers: Sequence[Offer]) -> None:
        self._offers = tuple(offers)
        # (provider, lower-case instance) → its offers in catalog order: scanning every offer for each of 2,000 nodes
        # a tick was ~15 ms. Answers are memoised per (provider, instance type, region, capacity type), the only
        # fields of a node the answer depends on (the catalog is fixed for the source's lifetime).
        self._by_instance: dict[tuple[str, str], list[Offer]] = {}
        for offer in self._offers:
            self._by_instance.setdefault((offer.provider, offer.instance.lower()), []).append(offer)
        self._answers: dict[tuple[str, str, str | None, NodeCapacityType], Price | None] = {}

    def price(self, node: NodeIdentity) -> Price | None:
        if not node.instance_type:
            return None
        key = (node.provider, node.instance_type, node.region, node.capacity_type)
        if key not in self._answers:
            self._answers[key] = self._price(node, node.instance_type)
        return self._answers[key]

    def _price(self, node: NodeIdentity, instance_type: str) -> Price | None:
        provider = canonical_provider(node.provider)
        candidates = self._by_instance.get((provider, instance_type.lower()), [])
        if not candidates:
            return None
        wanted = _offer_capacity(node.capacity_type)
        ranked = sorted(candidates, key=lambda o: _rank(o, node.region, wanted))
        best = ranked[0]
        substitutions: list[str] = []
        if node.region and best.region and best.region != node.region:
            substitutions.append(f"list price of {best.region}, not {node.region}")
        if best.capacity_type != wanted:
            substitutions.append(f"{best.capacity_type} price for a {wanted} node")
        detail = "; ".join(
            [f"{best.provider} {best.instance} {best.capacity_type} ({best.source})", *_native(best), *substitutions]
        )
        return Price(
            usd_per_hour=best.usd_per_hour,
            source=self.name,
            as_of=best.as_of,
            estimated=best.price_is_estimate or bool(substitutions),
            detail=detail,
        )


def native_price_note(offer: Offer) -> str | None:
    """The note for an offer quoted in another currency than USD, e.g. "CNY-native ¥9.5326/h, USD at 7.0197 CNY/USD
    (CFETS central parity 2026-01-08)"; None for a USD-native offer. The rate is native / usd_per_hour, the one the
    catalog used; it is named as the CFETS rate when it is that rate."""
    if offer.native_price_per_hour is None or offer.currency == Currency.USD.value:
        return None
    implied = offer.native_price_per_hour / offer.usd_per_hour
    cfets = cfets_rate()
    if offer.currency == cfets.quote.value and abs(implied - cfets.quote_per_base) < 5e-4:
        when = cfets.as_of.isoformat() if cfets.as_of else "undated"
        rate = f"{cfets.quote_per_base:g} {cfets.quote.value}/USD (CFETS central parity {when})"
    else:
        rate = f"{implied:.4f} {offer.currency}/USD (the catalog's conversion)"
    symbol = "¥" if offer.currency == Currency.CNY.value else f"{offer.currency} "
    return f"{offer.currency}-native {symbol}{offer.native_price_per_hour:g}/h, USD at {rate}"


def _native(offer: Offer) -> list[str]:
    note = native_price_note(offer)
    return [note] if note else []


def _offer_capacity(capacity: NodeCapacityType) -> CapacityType:
    if capacity == NodeCapacityType.SPOT:
        return CapacityType.SPOT
    if capacity == NodeCapacityType.RESERVED:
        return CapacityType.RESERVED
    return CapacityType.ON_DEMAND


def _rank(offer: Offer, region: str | None, wanted: CapacityType) -> tuple[int, int, int]:
    """Same capacity type first, then same region, then a firm price before an estimated one."""
    return (
        0 if offer.capacity_type == wanted else 1,
        0 if region is None or offer.region == region else 1,
        1 if offer.price_is_estimate else 0,
    )
