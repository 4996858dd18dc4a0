"""The daemon's display currency: costs are accrued, stored and exported in USD; the JSON API adds the same figures in
the currency of `Settings.currency`, converted at one dated exchange rate that it shows beside them.

Conversion: amount = usd x quote_per_base (estimator.currency.convert), with the rate of `Settings.cny_per_usd` /
`cny_per_usd_as_of`, or by default the dated CFETS central parity carried by `estimator.currency.cfets_rate()`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from estimator.currency import Currency, ExchangeRate, Money, cfets_rate, convert, parse_currency
from monitor.config.settings import Settings
from monitor.core.domain.result import Band, BudgetStatus, WorkloadStatus


@dataclass(frozen=True)
class DisplayCurrency:
    currency: Currency
    rate: ExchangeRate

    def amount(self, usd: float) -> float:
        """`usd` in the display currency (unchanged for USD), rounded to 6 decimals like the USD fields."""
        return round(convert(Money(amount=usd, currency=Currency.USD), self.currency, self.rate).amount, 6)

    def band(self, band: Band | None) -> dict[str, float] | None:
        if band is None:
            return None
        return {"p10": self.amount(band.p10), "p50": self.amount(band.p50), "p90": self.amount(band.p90)}

    def header(self) -> dict[str, Any]:
        """The currency and, when it is not USD, the rate (quote per USD), its date and its source."""
        if self.currency is Currency.USD:
            return {"currency": "USD", "rate": 1.0, "rate_as_of": None, "rate_source": "no conversion"}
        return {
            "currency": self.currency.value,
            "rate": self.rate.quote_per_base,
            "rate_as_of": self.rate.as_of.isoformat() if self.rate.as_of else None,
            "rate_source": self.rate.source,
        }


def usd_display() -> DisplayCurrency:
    """No conversion: what the API shows when no display currency is configured."""
    return DisplayCurrency(currency=Currency.USD, rate=cfets_rate())


def display_currency(settings: Settings) -> DisplayCurrency:
    """The display currency and rate that `settings` ask for (see the module docstring for the default rate)."""
    rate = cfets_rate()
    if settings.cny_per_usd is not None:
        rate = ExchangeRate(
            quote=Currency.CNY,
            quote_per_base=settings.cny_per_usd,
            as_of=settings.cny_per_usd_as_of,
            source="configured (settings cny_per_usd)",
        )
    return DisplayCurrency(currency=parse_currency(settings.currency), rate=rate)


def job_display(job: WorkloadStatus, display: DisplayCurrency) -> dict[str, Any]:
    """The `display_currency` block of a `/api/v1/jobs` item."""
    return {
        **display.header(),
        "cost": display.amount(job.cost_usd),
        "hourly_cost": display.amount(job.hourly_cost_usd),
        "projected": display.band(job.projected_cost_usd),
        "remaining": display.band(job.remaining_cost_usd),
        "budget": display.amount(job.budget_usd) if job.budget_usd is not None else None,
    }


def budget_display(budget: BudgetStatus, display: DisplayCurrency) -> dict[str, Any]:
    """The `display_currency` block of a `/api/v1/budgets` item."""
    return {
        **display.header(),
        "limit": display.amount(budget.limit_usd),
        "spend": display.amount(budget.spend_usd),
        "projected": display.amount(budget.projected_spend_usd),
    }
