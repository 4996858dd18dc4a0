"""Azure spot nodes (`kubernetes.azure.com/scalesetpriority: spot`) priced from the Retail Prices API's Spot meters,
against a local server answering the documented response shape (tests/data/azure/retail-prices-spot.json)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
import yaml

from monitor.adapters.kube.convert import to_node
from monitor.adapters.pricing.azure import AzureRetailFetcher, choose_row
from monitor.adapters.pricing.identity import node_identity
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
