"""Azure spot nodes (`kubernetes.azure.com/scalesetpriority: spot`) priced from the Retail Prices API's Spot meters,
against a local server answering the documented response shape (tests/data/azure/retail-prices-spot.json)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import httpx
import pytest
import yaml

from estimator.catalog.offers import embedded_offers
from monitor.adapters.kube.convert import to_node
from monitor.adapters.pricing.azure import AzureRetailFetcher, choose_row
from monitor.adapters.pricing.factory import build_price_chain
from monitor.adapters.pricing.identity import node_identity
from monitor.config.settings import PricingSettings
from monitor.core.domain.attribution import PricedNode, attribute
from monitor.core.domain.model import NodeCapacityType, PodInfo
from tests.integration.pricing.servers import Reply, Request, serve
from tests.unit.pricing.fakes import FakeClock

pytestmark = pytest.mark.integration

DATA = Path(__file__).parents[2] / "data"
PAGE = json.loads((DATA / "azure" / "retail-prices-spot.json").read_text())


def _spot_node():
    """The AKS MIG1g node of tests/data/gpu-nodes/aks.yaml in a spot node pool (AKS labels spot pools'
    nodes kubernetes.azure.com/scalesetpriority=spot: learn.microsoft.com/azure/aks/spot-node-pool)."""
    doc = next(yaml.safe_load_all((DATA / "gpu-nodes" / "aks.yaml").read_text()))
    doc["metadata"]["labels"]["kubernetes.azure.com/scalesetpriority"] = "spot"
    return to_node(doc)


@pytest.mark.parametrize(("spot", "usd"), [(True, 8.1591), (False, 27.197)])
def test_aks_spot_node_is_priced_from_the_spot_meter(spot: bool, usd: float) -> None:
    info = _spot_node()
    identity = node_identity(info)
    assert identity.capacity_type == NodeCapacityType.SPOT
    if not spot:
        identity = identity.model_copy(update={"capacity_type": NodeCapacityType.ON_DEMAND})

    def handler(request: Request) -> Reply:
        return Reply(body=PAGE)

    with serve(handler) as server, httpx.Client(timeout=2) as client:
        price = AzureRetailFetcher(client, f"{server.url}/api/retail/prices", FakeClock()).fetch(identity)
    assert price is not None
    assert (price.usd_per_hour, price.source) == (usd, "azure-retail")
    assert ("Spot" in price.detail) == spot
    # 56 MIG 1g.5gb devices on 8 GPUs: one device is 1/56 of the node, $0.1457/h on spot instead of $0.4857/h.
    pod = PodInfo(namespace="ml", name="p", uid="p", node_name=info.name, phase="Running",
                  requests={"nvidia.com/gpu": "1"})  # fmt: skip
    result = attribute([PricedNode(info, identity, price)], [pod])
    assert result.pods["p"].hourly_usd == pytest.approx(usd / 56)


def test_the_docs_example_spot_item_is_a_windows_spot_meter() -> None:
    (example,) = [i for i in PAGE["Items"] if i["armSkuName"] == "Standard_DS14"]
    assert choose_row([example], spot=True) is None  # Windows rows are never a Linux node's price
    linux = {**example, "productName": "Virtual Machines DS Series"}
    assert choose_row([linux], spot=True) == linux
    assert choose_row([linux], spot=False) is None


# --- the embedded catalog's dated Azure spot rows (estimator/catalog/data/azure_spot_offers.json) -------------------
# Spot prices of skypilot-org/skypilot-catalog catalogs/v6/azure/vms.csv @098741e, eastus (SpotPrice column):
# Standard_ND96asr_v4 2.99167 USD/h, Standard_NC24ads_A100_v4 0.444433 USD/h.
ND96ASR_SPOT_USD = 2.99167
NC24ADS_SPOT_USD = 0.444433


def _on_demand_only(request: Request) -> Reply:
    """The Retail API answering this SKU without its Spot meter (a region or SKU whose spot meter is missing)."""
    items = [i for i in PAGE["Items"] if i["armSkuName"] == "Standard_ND96asr_v4" and "Spot" not in i["skuName"]]
    return Reply(body={**PAGE, "Items": items, "Count": len(items)})


def _chain(url: str, client: httpx.Client):
    settings = PricingSettings(azure_enabled=True, azure_endpoint_url=f"{url}/api/retail/prices")
    return build_price_chain(settings, FakeClock(), embedded_offers(), http=client)


def test_without_a_spot_meter_an_aks_spot_node_gets_the_catalog_spot_row_not_the_on_demand_list() -> None:
    info = _spot_node()
    identity = node_identity(info)
    with serve(_on_demand_only) as server, httpx.Client(timeout=2) as client:
        price = _chain(server.url, client).price(identity)
    assert (price.source, price.usd_per_hour) == ("catalog", ND96ASR_SPOT_USD)
    assert price.estimated  # a listed spot price from 2024-08: spot prices move, so the row is flagged an estimate
    assert price.as_of == date(2024, 8, 27)  # the spot figure's date, not the on-demand row's 2026-06-18
    assert "azure Standard_ND96asr_v4 spot" in price.detail
    assert "skypilot-catalog" in price.detail
    assert "price for a spot node" not in price.detail  # no substitution of the on-demand list price
    # One MIG 1g.5gb device of 56 for 3 hours: 2.99167 / 56 × 3 = 0.160268 USD (on demand it would be 1.456982).
    pod = PodInfo(namespace="ml", name="p", uid="p", node_name=info.name, phase="Running",
                  requests={"nvidia.com/gpu": "1"})  # fmt: skip
    result = attribute([PricedNode(info, identity, price)], [pod])
    assert result.pods["p"].hourly_usd * 3 == pytest.approx(0.160268, abs=1e-6)


def test_the_live_spot_meter_stays_ahead_of_the_catalog_spot_row() -> None:
    with serve(lambda request: Reply(body=PAGE)) as server, httpx.Client(timeout=2) as client:
        price = _chain(server.url, client).price(node_identity(_spot_node()))
    assert (price.source, price.usd_per_hour) == ("azure-retail", 8.1591)


def _karpenter_spot_node():
    """An AKS node that Karpenter for Azure (node auto-provisioning) created for a spot offering: its spot offerings
    carry karpenter.sh/capacity-type=spot and kubernetes.azure.com/scalesetpriority=spot (Azure/karpenter-provider-azure
    pkg/providers/instancetype/instancetypes.go, createOfferings), on a Standard_NC24ads_A100_v4 (1 x A100 80GB PCIe:
    learn.microsoft.com/azure/virtual-machines/sizes/gpu-accelerated/nca100v4-series)."""
    doc = next(yaml.safe_load_all((DATA / "gpu-nodes" / "aks.yaml").read_text()))
    doc["metadata"]["name"] = "aks-gpuspot-9k2lx"
    doc["metadata"]["labels"] = {
        "karpenter.sh/nodepool": "gpu-spot",
        "karpenter.sh/capacity-type": "spot",
        "kubernetes.azure.com/scalesetpriority": "spot",
        "node.kubernetes.io/instance-type": "Standard_NC24ads_A100_v4",
        "topology.kubernetes.io/region": "eastus",
        "topology.kubernetes.io/zone": "eastus-2",
    }
    doc["status"]["capacity"] = {"cpu": "24", "memory": "226764900Ki", "nvidia.com/gpu": "1"}
    doc["status"]["allocatable"] = {"cpu": "23660m", "memory": "209376356Ki", "nvidia.com/gpu": "1"}
    return to_node(doc)


def test_a_karpenter_azure_spot_node_is_priced_from_the_catalog_spot_row() -> None:
    info = _karpenter_spot_node()
    identity = node_identity(info)
    assert identity.capacity_type == NodeCapacityType.SPOT
    price = build_price_chain(PricingSettings(), FakeClock(), embedded_offers()).price(identity)
    assert (price.source, price.usd_per_hour, price.estimated) == ("catalog", NC24ADS_SPOT_USD, True)
    # The node's one GPU for 2 hours: 2 × 0.444433 = 0.888866 USD (2 × 3.673 = 7.346 USD on demand).
    pod = PodInfo(namespace="ml", name="p", uid="p", node_name=info.name, phase="Running",
                  requests={"nvidia.com/gpu": "1"})  # fmt: skip
    result = attribute([PricedNode(info, identity, price)], [pod])
    assert result.pods["p"].hourly_usd * 2 == pytest.approx(0.888866)
