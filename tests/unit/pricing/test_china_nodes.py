"""ACK and TKE nodes priced by the embedded China offers through the daemon's normal price chain."""

from __future__ import annotations

from datetime import date

import pytest

from estimator.catalog.offers import all_offers, embedded_offers
from estimator.catalog.providers import canonical_provider
from monitor.adapters.pricing.factory import build_price_chain
from monitor.adapters.pricing.identity import node_identity
from monitor.config.settings import PricingSettings
from monitor.core.domain.model import NodeCapacityType, NodeInfo
from tests.unit.pricing.fakes import FakeClock

# Reference list prices (china-and-local-prices.json): Alibaba Cloud ecs.gn7i-c8g1.2xlarge, cn-hangzhou, pay-as-you-go
# ¥9.5326/h as of 2024-12-30; Tencent Cloud GN7.2XLARGE32 (Guangzhou) USD 1.26/h on its international site, 2021-03-24.
# Exchange rate: 7.0197 CNY per USD, CFETS central parity of 2026-01-08.
ACK_CNY_PER_HOUR = 9.5326
CNY_PER_USD = 7.0197
TKE_USD_PER_HOUR = 1.26


def _ack_node() -> NodeInfo:
    return NodeInfo(
        name="cn-hangzhou.10.0.1.17",
        uid="u-ack",
        provider_id="cn-hangzhou.i-bp1abcdef1234567890",
        labels={
            "node.kubernetes.io/instance-type": "ecs.gn7i-c8g1.2xlarge",
            "topology.kubernetes.io/region": "cn-hangzhou",
            "topology.kubernetes.io/zone": "cn-hangzhou-h",
            "aliyun.accelerator/nvidia_name": "NVIDIA-A10",
            "aliyun.accelerator/nvidia_count": "1",
        },
        capacity={"cpu": "8", "memory": "31Gi", "nvidia.com/gpu": "1"},
    )


def _tke_node(labels: dict[str, str] | None = None) -> NodeInfo:
    return NodeInfo(
        name="10.1.0.9",
        uid="u-tke",
        provider_id="qcloud:///100003/ins-abcd1234",
        labels={
            "node.kubernetes.io/instance-type": "GN7.2XLARGE32",
            "topology.kubernetes.io/region": "gz",  # TKE labels short region names
            "topology.kubernetes.io/zone": "100003",
            **(labels or {}),
        },
        capacity={"cpu": "8", "memory": "32Gi"},
    )


def test_embedded_offers_hold_the_china_clouds_beside_the_others() -> None:
    providers = {o.provider for o in embedded_offers()}
    assert {"aliyun", "tencent", "aws", "gcp"} <= providers
    assert embedded_offers()[: len(all_offers())] == all_offers()


def test_every_alias_maps_to_the_catalog_id() -> None:
    assert {canonical_provider(n) for n in ("alibaba", "Alibaba Cloud", "alicloud", "aliyun", "ACK")} == {"aliyun"}
    assert {canonical_provider(n) for n in ("qcloud", "Tencent Cloud", "tencentcloud", "TKE")} == {"tencent"}
    assert canonical_provider("AWS") == "aws"


def test_ack_node_identity_uses_the_catalog_provider_id() -> None:
    ident = node_identity(_ack_node())
    assert (ident.provider, ident.region, ident.zone) == ("aliyun", "cn-hangzhou", "cn-hangzhou-h")
    assert (ident.instance_type, ident.capacity_type) == ("ecs.gn7i-c8g1.2xlarge", NodeCapacityType.ON_DEMAND)
    assert (ident.gpu_model, ident.gpu_count) == ("A10", 1)


def test_ack_node_gets_the_cny_native_list_price_in_usd_at_the_dated_rate() -> None:
    chain = build_price_chain(PricingSettings(), FakeClock(), embedded_offers())
    price = chain.price(node_identity(_ack_node()))
    assert price.source == "catalog"
    assert not price.estimated
    assert price.as_of == date(2024, 12, 30)
    assert price.usd_per_hour == pytest.approx(ACK_CNY_PER_HOUR / CNY_PER_USD, rel=1e-6)
    assert "CNY-native ¥9.5326/h" in price.detail
    assert "7.0197 CNY/USD (CFETS central parity 2026-01-08)" in price.detail


def test_tke_node_gets_the_tencent_list_price_and_says_it_is_usd_native() -> None:
    ident = node_identity(_tke_node())
    assert (ident.provider, ident.region) == ("tencent", "ap-guangzhou")
    assert (ident.gpu_model, ident.gpu_count) == ("T4", 1)  # from the catalog's instance, no GPU labels
    price = build_price_chain(PricingSettings(), FakeClock(), embedded_offers()).price(ident)
    assert (price.source, price.estimated, price.as_of) == ("catalog", False, date(2021, 3, 24))
    assert price.usd_per_hour == pytest.approx(TKE_USD_PER_HOUR)
    assert "native" not in price.detail  # quoted in USD by the seller: nothing converted


def test_tke_spot_node_falls_back_to_the_list_price_flagged_estimated() -> None:
    ident = node_identity(_tke_node({"karpenter.sh/capacity-type": "spot"}))
    price = build_price_chain(PricingSettings(), FakeClock(), embedded_offers()).price(ident)
    assert ident.capacity_type == NodeCapacityType.SPOT
    assert price.estimated
    assert price.usd_per_hour == pytest.approx(TKE_USD_PER_HOUR)
    assert "on-demand price for a spot node" in price.detail


def test_without_the_china_offers_the_same_node_is_only_estimated() -> None:
    price = build_price_chain(PricingSettings(), FakeClock(), all_offers()).price(node_identity(_ack_node()))
    assert (price.source, price.estimated) == ("estimate", True)
