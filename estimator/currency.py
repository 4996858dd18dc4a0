"""Money in a named currency, dated exchange rates, and conversion that never sums mixed currencies silently.

Prices are stored in the currency the seller quotes (Alibaba Cloud and Tencent Cloud's mainland sites in CNY, the US
clouds in USD). A price shown in its own currency is shown exactly; any other currency goes through one dated
`ExchangeRate`, and that rate is reported as an assumption next to the figure.
"""

from __future__ import annotations

import math
from datetime import date
from enum import StrEnum
from functools import cache

from pydantic import Field

from estimator.catalog.tables import CatalogDataError, load_table
from estimator.errors import EstimatorError
from estimator.models import Assumption, Frozen, Offer

RATES_FILE = "exchange_rates.json"


class Currency(StrEnum):
    USD = "USD"
    CNY = "CNY"


class CurrencyMismatchError(EstimatorError):
    """Two amounts in different currencies were combined without converting one of them first."""


class ExchangeRate(Frozen):
    """`quote_per_base` units of `quote` buy one unit of `base` (CNY 7.0197 per USD 1), as published on `as_of`."""

    base: Currency = Currency.USD
    quote: Currency
    quote_per_base: float = Field(gt=0)
    as_of: date | None
    source: str
    note: str = ""


class Money(Frozen):
    amount: float
    currency: Currency

    def __add__(self, other: Money) -> Money:
        """Sum of two amounts of the same currency; a CurrencyMismatchError otherwise (convert first)."""
        if other.currency is not self.currency:
            raise CurrencyMismatchError(
                "currency",
                f"{self.currency.value} + {other.currency.value}",
                "convert one amount with estimator.currency.convert() before adding",
            )
        return Money(amount=self.amount + other.amount, currency=self.currency)

    def scaled(self, factor: float) -> Money:
        """amount x factor, same currency (hours x hourly price, instances x price...)."""
        return Money(amount=self.amount * factor, currency=self.currency)

    def format(self, decimals: int = 2) -> str:
        """Formats as $1,234.50 or ¥8.40; more decimals for small unit prices (per 1k requests, per million tokens)."""
        symbol = {Currency.USD: "$", Currency.CNY: "¥"}[self.currency]
        return f"{symbol}{self.amount:,.{decimals}f}"


def checked_rates(rows: tuple[ExchangeRate, ...]) -> tuple[ExchangeRate, ...]:
    """The rows of data/exchange_rates.json, refused (CatalogDataError) unless the first is the newest dated rate:
    that row is the default."""
    dated = [row.as_of for row in rows if row.as_of is not None]
    if not rows or rows[0].as_of is None or rows[0].as_of != max(dated):
        raise CatalogDataError(
            f"{RATES_FILE} rows[0] field as_of",
            rows[0].as_of if rows else None,
            f"the first row is the default rate: put the newest dated rate first in estimator/catalog/data/{RATES_FILE}"
            if rows
            else "the file needs at least one dated rate",
        )
    return rows


@cache
def known_rates() -> tuple[ExchangeRate, ...]:
    """Every USD/CNY rate the project carries (data/exchange_rates.json): dated reference rates newest first, then the
    undated planning conventions (read once, on first use)."""
    return checked_rates(load_table(RATES_FILE, ExchangeRate))


def cfets_rate() -> ExchangeRate:
    """The default USD/CNY rate: the latest dated CFETS central parity in the project's reference data (the first row
    of data/exchange_rates.json)."""
    return known_rates()[0]


def custom_rate(cny_per_usd: float) -> ExchangeRate:
    """A user-given USD/CNY rate (e.g. `--cny-per-usd 7.2`), undated and labelled as the user's."""
    if not math.isfinite(cny_per_usd) or cny_per_usd <= 0:
        raise EstimatorError("cny_per_usd", cny_per_usd, "a positive number of yuan per US dollar, e.g. 7.1")
    return ExchangeRate(quote=Currency.CNY, quote_per_base=cny_per_usd, as_of=None, source="given by the user")


def parse_currency(value: str) -> Currency:
    """`usd`/`USD`/`cny`/`RMB` → Currency; an EstimatorError naming the supported codes otherwise."""
    key = value.strip().upper()
    if key == "RMB":
        key = "CNY"
    try:
        return Currency(key)
    except ValueError:
        supported = ", ".join(c.value for c in Currency)
        raise EstimatorError("currency", value, f"supported currencies: {supported}") from None


def convert(money: Money, to: Currency, rate: ExchangeRate) -> Money:
    """money in `to`: unchanged when already in `to`; x quote_per_base from base to quote; / quote_per_base back.

    Raises CurrencyMismatchError when the rate does not connect the two currencies.
    """
    if money.currency is to:
        return money
    if money.currency is rate.base and to is rate.quote:
        return Money(amount=money.amount * rate.quote_per_base, currency=to)
    if money.currency is rate.quote and to is rate.base:
        return Money(amount=money.amount / rate.quote_per_base, currency=to)
    raise CurrencyMismatchError(
        "currency",
        f"{money.currency.value} -> {to.value}",
        f"the exchange rate given is {rate.base.value}/{rate.quote.value}; pass a rate between these currencies",
    )


def offer_hourly(offer: Offer, currency: Currency, rate: ExchangeRate) -> Money:
    """One instance-hour of `offer` in `currency`.

    A price quoted natively in `currency` (offer.native_price_per_hour with offer.currency) is returned exactly;
    anything else is offer.usd_per_hour converted with `rate`.
    """
    if offer.native_price_per_hour is not None and offer.currency == currency.value:
        return Money(amount=offer.native_price_per_hour, currency=currency)
    return convert(Money(amount=offer.usd_per_hour, currency=Currency.USD), currency, rate)


def rate_assumption(rate: ExchangeRate, currency: Currency) -> Assumption:
    """The exchange rate behind converted figures, with its date and source, as an assumption to show the user."""
    when = rate.as_of.isoformat() if rate.as_of else "undated"
    why = f"{rate.source}; prices quoted natively in {currency.value} are shown exactly, others converted at this rate"
    if rate.note:
        why += f" ({rate.note})"
    return Assumption(
        name="exchange_rate",
        value=f"{rate.quote_per_base:g} {rate.quote.value} per {rate.base.value} ({when})",
        why=why,
    )


def amount_in(usd: float, native: float | None, native_currency: str, to: Currency, rate: ExchangeRate) -> Money:
    """A priced amount in `to`: the seller's own figure `native` when it is quoted in `to` (exact), else `usd`
    converted with `rate` (a CostLine's total_usd/native_total, a plan candidate's, ...)."""
    if native is not None and native_currency == to.value:
        return Money(amount=native, currency=to)
    return convert(Money(amount=usd, currency=Currency.USD), to, rate)
