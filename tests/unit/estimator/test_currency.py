"""Money, dated exchange rates and conversion (rates from the shared reference `fx` rows)."""

from __future__ import annotations

from datetime import date

import pytest

from estimator.currency import (
    Currency,
    CurrencyMismatchError,
    Money,
    cfets_rate,
    convert,
    custom_rate,
    known_rates,
    offer_hourly,
    parse_currency,
    rate_assumption,
)
from estimator.errors import EstimatorError
from estimator.models import CapacityType, Offer


def _offer(usd: float, currency: str = "USD", native: float | None = None) -> Offer:
    return Offer(
        provider="aliyun",
        instance="ecs.gn7-c12g1.3xlarge",
        region="cn-beijing",
        gpu_id="A100-SXM-40GB",
        gpu_count=1,
        capacity_type=CapacityType.ON_DEMAND,
        usd_per_hour=usd,
        source="test",
        as_of=date(2024, 12, 30),
        currency=currency,
        native_price_per_hour=native,
    )


def test_default_rate_is_the_latest_dated_cfets_parity() -> None:
    rate = cfets_rate()
    assert (rate.quote_per_base, rate.as_of) == (7.0197, date(2026, 1, 8))
    dated = [r for r in known_rates() if r.as_of is not None]
    assert max(dated, key=lambda r: r.as_of or date.min) == rate


def test_usd_to_cny_and_back() -> None:
    rate = cfets_rate()
    cny = convert(Money(amount=10.0, currency=Currency.USD), Currency.CNY, rate)
    assert cny == Money(amount=70.197, currency=Currency.CNY)
    back = convert(cny, Currency.USD, rate)
    assert back.amount == pytest.approx(10.0)
    assert convert(cny, Currency.CNY, rate) is cny


def test_adding_mixed_currencies_is_refused() -> None:
    usd = Money(amount=1.0, currency=Currency.USD)
    cny = Money(amount=7.0, currency=Currency.CNY)
    with pytest.raises(CurrencyMismatchError, match="convert"):
        _ = usd + cny
    assert (usd + convert(cny, Currency.USD, custom_rate(7.0))).amount == pytest.approx(2.0)


def test_cny_native_price_stays_exact_in_cny() -> None:
    # Aliyun gn7-c12g1.3xlarge, cn-beijing: 31.5833 CNY/h (2024-12-30 list); the USD figure is a conversion.
    offer = _offer(usd=31.5833 / 7.0197, currency="CNY", native=31.5833)
    assert offer_hourly(offer, Currency.CNY, custom_rate(7.5)).amount == 31.5833
    assert offer_hourly(offer, Currency.USD, cfets_rate()).amount == pytest.approx(4.4993, abs=1e-4)


def test_usd_offer_in_cny_uses_the_rate() -> None:
    assert offer_hourly(_offer(usd=2.0), Currency.CNY, custom_rate(7.5)).amount == 15.0


def test_rate_assumption_shows_rate_and_date() -> None:
    assumption = rate_assumption(cfets_rate(), Currency.CNY)
    assert assumption.value == "7.0197 CNY per USD (2026-01-08)"
    assert "CFETS" in assumption.why


def test_bad_inputs_name_the_field() -> None:
    with pytest.raises(EstimatorError, match=r"currency='EUR'.*USD, CNY"):
        parse_currency("EUR")
    assert parse_currency("rmb") is Currency.CNY
    with pytest.raises(EstimatorError, match="cny_per_usd"):
        custom_rate(0)


def test_money_format() -> None:
    assert Money(amount=1234.5, currency=Currency.CNY).format() == "¥1,234.50"
    assert Money(amount=3.0, currency=Currency.USD).scaled(2).format() == "$6.00"


def test_a_rates_file_whose_first_row_is_not_the_newest_dated_rate_is_refused() -> None:
    # The first row is the default every CNY figure is converted with: an older rate moved above it must not
    # silently become the default.
    import json

    from estimator.catalog.tables import CatalogDataError, parse_table, read_table_text
    from estimator.currency import RATES_FILE, ExchangeRate, checked_rates

    document = json.loads(read_table_text(RATES_FILE))
    assert checked_rates(parse_table(RATES_FILE, json.dumps(document), ExchangeRate))[0] == cfets_rate()
    document["rows"][0], document["rows"][1] = document["rows"][1], document["rows"][0]
    with pytest.raises(CatalogDataError, match=r"exchange_rates\.json rows\[0\] field as_of=.*newest dated rate first"):
        checked_rates(parse_table(RATES_FILE, json.dumps(document), ExchangeRate))
    document["rows"][1]["quote_per_base"] = 0
    with pytest.raises(CatalogDataError, match=r"rows\[1\] field quote_per_base=0: Input should be greater than 0"):
        parse_table(RATES_FILE, json.dumps(document), ExchangeRate)
