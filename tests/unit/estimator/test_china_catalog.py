"""The Alibaba Cloud / Tencent Cloud catalog against `china-and-local-prices.json` (hand-copied figures)."""

from __future__ import annotations

from datetime import date

import pytest

from estimator.catalog.china import cheapest_per_gpu_hour, china_offers, china_offers_for, china_provider
from estimator.catalog.gpus import all_gpus
from estimator.cost import cost_for_offer
from estimator.currency import Currency, cfets_rate, custom_rate, offer_hourly
from estimator.errors import EstimatorError
from estimator.models import CapacityType


def test_aliyun_a100_40gb_beijing_is_the_reference_list_price() -> None:
    # seed_checks: aliyun_a100_40gb_list_cny_per_hour 31.5833 in cn-beijing / cn-shanghai, as of 2024-12-30.
    (offer,) = china_offers_for("aliyun", "A100-40GB", "cn-beijing")[:1]
    assert offer.instance == "ecs.gn7-c12g1.3xlarge"
    assert (offer.currency, offer.native_price_per_hour, offer.as_of) == ("CNY", 31.5833, date(2024, 12, 30))
    assert offer.capacity_type is CapacityType.ON_DEMAND
    assert not offer.price_is_estimate
    assert "cn-shanghai" in offer.notes


def test_cny_prices_stay_exact_and_usd_is_the_dated_conversion() -> None:
    rate = cfets_rate()
    for offer in china_offers():
        assert offer.source
        assert offer.as_of is not None
        if offer.currency == "CNY":
            assert offer.native_price_per_hour is not None
            assert offer.usd_per_hour == pytest.approx(offer.native_price_per_hour / rate.quote_per_base, abs=1e-6)
            assert offer_hourly(offer, Currency.CNY, custom_rate(7.5)).amount == offer.native_price_per_hour
            assert "7.0197 CNY/USD" in offer.notes


def test_every_offer_names_a_catalog_gpu() -> None:
    ids = {g.id for g in all_gpus()}
    assert {offer.gpu_id for offer in china_offers()} <= ids
    assert {offer.provider for offer in china_offers()} == {"aliyun", "tencent"}


def test_an_8_gpu_gn7e_run_costs_hours_times_the_cny_price() -> None:
    # ecs.gn7e-c16g1.32xlarge (8x A100 80GB), cn-hangzhou: 277.933 CNY/h. 10 h on 8 GPUs = 2,779.33 CNY.
    offer = next(
        o for o in china_offers_for("alibaba cloud", region="cn-hangzhou") if o.instance == "ecs.gn7e-c16g1.32xlarge"
    )
    line = cost_for_offer(offer, gpus=8, hours=10)
    assert offer_hourly(offer, Currency.CNY, cfets_rate()).scaled(line.hours * line.instances).amount == pytest.approx(
        2779.33
    )
    assert line.total_usd == pytest.approx(2779.33 / 7.0197, rel=1e-6)


def test_tencent_rows_keep_their_age_and_low_confidence_visible() -> None:
    # GN10Xp.2XLARGE40 (1x V100 32GB): 1.72 USD/h on the international site, table last edited 2021-03-24.
    (old,) = [o for o in china_offers_for("tencent") if o.instance == "GN10Xp.2XLARGE40"]
    assert (old.currency, old.usd_per_hour, old.as_of) == ("USD", 1.72, date(2021, 3, 24))
    assert "old list prices" in old.notes
    # GT4.4XLARGE96 (1x A100 40GB): 12,948 CNY per GPU-month subscription, a third-party scrape.
    (monthly,) = [o for o in china_offers_for("qcloud") if o.instance == "GT4.4XLARGE96"]
    assert monthly.capacity_type is CapacityType.RESERVED
    assert monthly.native_price_per_hour == pytest.approx(12948 / 730, abs=1e-6)
    assert monthly.price_is_estimate
    assert "medium-low" in monthly.notes


def test_cheapest_a100_40gb_gpu_hour_is_wulanchabu() -> None:
    # mainland range for gn7-c12g1.3xlarge: 28.425 (cn-wulanchabu) .. 31.5833 CNY/h.
    best = cheapest_per_gpu_hour(china_offers_for("aliyun", "A100-SXM-40GB"))
    assert (best.region, best.native_price_per_hour) == ("cn-wulanchabu", 28.425)


def test_unknown_provider_lists_the_known_ones() -> None:
    with pytest.raises(EstimatorError, match="aliyun, tencent"):
        china_provider("baidu")
    assert china_provider("Tencent Cloud") == "tencent"
    with pytest.raises(EstimatorError, match="offers"):
        cheapest_per_gpu_hour(())
