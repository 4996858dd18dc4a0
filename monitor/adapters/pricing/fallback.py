"""Last resort: a price guess (a typical price for what the node holds), always flagged `estimated`.

GPU nodes: gpu_count × the median on-demand $/GPU-hour of that GPU model over the embedded offers. CPU-only nodes:
cores × a typical general-purpose $/vCPU-hour. A node with neither is "unpriced" at 0 — visible in
`trainspend_price_info{source="unpriced"}`, never silent.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from estimator.models import CapacityType, Offer
from monitor.core.domain.model import NodeIdentity, Price

# GCP n1-standard-4 in us-central1: 0.189999 USD/h for 4 vCPU + 15 GiB (Cloud Billing Catalog, 2026-07-30, project
# reference gpu-prices.json) → 0.0475 USD per vCPU-hour, memory included; AWS m5.xlarge (0.192 USD/h, 4 vCPU) agrees.
TYPICAL_USD_PER_VCPU_HOUR = 0.0475
TYPICAL_VCPU_PRICE_SOURCE = "GCP n1-standard-4 us-central1 list price, 2026-07-30"


def median_usd_per_gpu_hour(offers: Sequence[Offer], gpu_id: str) -> float | None:
    """Median over on-demand offers of `gpu_id` of usd_per_hour / gpu_count; None when no offer has that GPU."""
    per_gpu = [
        o.usd_per_hour / o.gpu_count
        for o in offers
        if o.gpu_id == gpu_id and o.gpu_count > 0 and o.capacity_type == CapacityType.ON_DEMAND
    ]
    return statistics.median(per_gpu) if per_gpu else None


class PriceGuessSource:
    """The price guess: always answers, flagged `estimated`."""

    name = "estimate"  # the `source` label value of trainspend_price_info: a public name, kept

    def __init__(self, offers: Sequence[Offer]) -> None:
        self._offers = tuple(offers)
        self._as_of = max((o.as_of for o in self._offers if o.as_of is not None), default=None)

    def price(self, node: NodeIdentity) -> Price:
        if node.gpu_model and node.gpu_count > 0:
            per_gpu = median_usd_per_gpu_hour(self._offers, node.gpu_model)
            if per_gpu is not None:
                return Price(
                    usd_per_hour=per_gpu * node.gpu_count,
                    source=self.name,
                    as_of=self._as_of,
                    estimated=True,
                    detail=f"{node.gpu_count} × typical {node.gpu_model} at {per_gpu:.3f} USD/GPU-hour "
                    "(median on-demand list price of the embedded catalog)",
                )
        if node.cpu_cores > 0:
            detail = (
                f"{node.cpu_cores:g} vCPU × {TYPICAL_USD_PER_VCPU_HOUR} USD/vCPU-hour ({TYPICAL_VCPU_PRICE_SOURCE})"
            )
            if node.gpu_count:
                detail += f"; {node.gpu_count} GPU(s) of unknown price not included"
            return Price(
                usd_per_hour=node.cpu_cores * TYPICAL_USD_PER_VCPU_HOUR,
                source=self.name,
                as_of=None,
                estimated=True,
                detail=detail,
            )
        return Price(
            usd_per_hour=0.0,
            source="unpriced",
            as_of=None,
            estimated=True,
            detail="no source knows this node: set pricing.instance_usd_per_hour or pricing.gpu_usd_per_hour",
        )
