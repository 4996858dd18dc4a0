"""The embedded dated catalog (the estimator's offers): list prices with their source date, no network."""

from __future__ import annotations

from collections.abc import Sequence

from estimator.models import CapacityType as OfferCapacity
from estimator.models import Offer
from monitor.domain.model import CapacityType, NodeIdentity, Price


class EmbeddedCatalogSource:
    """Matches provider + instance type, preferring the node's region and capacity type.

    A price from another region, or an on-demand price for a spot node, is still better than a guess but is not this
    node's price: it is flagged `estimated` and the detail says what was substituted.
    """

    name = "catalog"

    def __init__(self, offers: Sequence[Offer]) -> None:
        self._offers = tuple(offers)

    def price(self, node: NodeIdentity) -> Price | None:
        if not node.instance_type:
            return None
        candidates = [
            o for o in self._offers if o.provider == node.provider and o.instance.lower() == node.instance_type.lower()
        ]
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
        detail = "; ".join([f"{best.provider} {best.instance} {best.capacity_type} ({best.source})", *substitutions])
        return Price(
            usd_per_hour=best.usd_per_hour,
            source=self.name,
            as_of=best.as_of,
            estimated=best.price_is_estimate or bool(substitutions),
            detail=detail,
        )


def _offer_capacity(capacity: CapacityType) -> OfferCapacity:
    if capacity == CapacityType.SPOT:
        return OfferCapacity.SPOT
    if capacity == CapacityType.RESERVED:
        return OfferCapacity.RESERVED
    return OfferCapacity.ON_DEMAND


def _rank(offer: Offer, region: str | None, wanted: OfferCapacity) -> tuple[int, int, int]:
    """Same capacity type first, then same region, then a firm price before an estimated one."""
    return (
        0 if offer.capacity_type == wanted else 1,
        0 if region is None or offer.region == region else 1,
        1 if offer.price_is_estimate else 0,
    )
