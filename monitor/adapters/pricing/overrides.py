"""User overrides from settings: on-prem node classes (TCO), per instance type, per GPU model. They win over every
other source. An override of 0 is the one way a node may cost nothing: the user said so explicitly."""

from __future__ import annotations

from datetime import datetime

from monitor.config.settings import OnPremNodeClass, PricingSettings
from monitor.core.domain.model import NodeIdentity, Price
from monitor.core.ports import Clock

HOURS_PER_YEAR = 8766.0  # 365.25 days · 24 h: amortisation over calendar years, leap years included


def on_prem_usd_per_hour(node_class: OnPremNodeClass) -> float:
    """Hourly total cost of ownership of one owned node.

    usd/h = purchase_usd / (amortisation_years · 8766 h) + watts / 1000 · PUE · usd_per_kwh
    (straight-line depreciation plus facility energy; PUE per The Green Grid, "PUE: a comprehensive examination of the
    metric", 2012).
    """
    capital = node_class.purchase_usd / (node_class.amortisation_years * HOURS_PER_YEAR)
    energy = node_class.watts / 1000.0 * node_class.pue * node_class.usd_per_kwh
    return capital + energy


class OverrideSource:
    """Prices from `PricingSettings`: on-prem classes by label selector, then instance type, then GPU model."""

    name = "override"

    def __init__(self, settings: PricingSettings, clock: Clock) -> None:
        self._settings = settings
        self._clock = clock

    def price(self, node: NodeIdentity) -> Price | None:
        now = self._clock.now()
        for node_class in self._settings.on_prem:
            if node_class.selector and all(node.labels.get(k) == v for k, v in node_class.selector.items()):
                return self._price(
                    on_prem_usd_per_hour(node_class),
                    now,
                    f"on-prem class {node_class.name!r}: {node_class.purchase_usd:.0f} USD over "
                    f"{node_class.amortisation_years:g} y + {node_class.watts:.0f} W · PUE {node_class.pue:g} · "
                    f"{node_class.usd_per_kwh:g} USD/kWh",
                )
        instance = node.instance_type
        if instance is not None and instance in self._settings.instance_usd_per_hour:
            return self._price(self._settings.instance_usd_per_hour[instance], now, f"instance type {instance}")
        gpu = node.gpu_model
        if gpu is not None and node.gpu_count > 0 and gpu in self._settings.gpu_usd_per_hour:
            per_gpu = self._settings.gpu_usd_per_hour[gpu]
            return self._price(per_gpu * node.gpu_count, now, f"{node.gpu_count} × {gpu} at {per_gpu:g} USD/GPU-hour")
        return None

    def _price(self, usd_per_hour: float, now: datetime, detail: str) -> Price:
        return Price(usd_per_hour=usd_per_hour, source=self.name, as_of=now.date(), fetched_at=now, detail=detail)
