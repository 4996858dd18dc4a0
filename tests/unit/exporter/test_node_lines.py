"""The exporter keeps each node's lines while its `NodeCost` is the same object: through any sequence of nodes
added, removed, re-priced and kept, `/metrics` must be exactly what prometheus_client's `generate_latest` writes
for the families built from scratch (`Exporter.collect`), with and without the OpenCost names and a display
currency."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client import generate_latest

from monitor.core.domain.model import NodeCapacityType, NodeIdentity, Price
from monitor.core.domain.result import NodeCost
from monitor.http.exporter import Exporter
from tests.unit.exporter.sample import sample_result

NAMES = ("ip-10-0-0-1", "ip-10-0-0-2", 'odd"name', "gke-a100\\pool")


def _node(name: str, usd: float, spot: bool, stale: bool, as_of: date | None) -> NodeCost:
    return NodeCost(
        identity=NodeIdentity(
            node=name,
            provider="aws",
            region="us-east-1",
            instance_type="p4d.24xlarge",
            capacity_type=NodeCapacityType.SPOT if spot else NodeCapacityType.ON_DEMAND,
            gpu_model="A100-SXM4-40GB",
            gpu_count=8,
            provider_id=f"aws:///us-east-1a/{name}",
        ),
        price=Price(usd_per_hour=usd, source="catalog", as_of=as_of, stale=stale),
        gpu_hourly_cost_usd=usd / 8,
        idle_gpu_hourly_cost_usd=usd / 16,
        gpus_allocated=4.0,
    )


# a NodeCost's price, spot, stale and as-of
NODE = st.tuples(
    st.sampled_from([32.77, 12.5, 0.0, 1e7]), st.booleans(), st.booleans(), st.sampled_from([None, date(2025, 6, 1)])
)
# per tick, per node name: keep last tick's object (absent), drop it ("drop"), or a new NodeCost (maybe equal)
CHANGE = st.dictionaries(st.sampled_from(NAMES), st.just("drop") | NODE)


@settings(max_examples=120, deadline=None)
@given(st.lists(CHANGE, min_size=1, max_size=6), st.booleans(), st.sampled_from(["USD", "EUR"]))
def test_kept_node_lines_give_the_exposition_a_rebuild_gives(ticks, opencost, currency) -> None:
    exporter = Exporter(opencost_series=opencost, display_currency=currency, runtime_metrics=False)
    base = sample_result()
    nodes: dict[str, NodeCost] = {}
    for change in ticks:
        for name, what in change.items():
            if what == "drop":
                nodes.pop(name, None)
            else:
                nodes[name] = _node(name, *what)
        result = base.model_copy(update={"nodes": tuple(nodes.values())})
        exporter.update(result)
        assert exporter.exposition() == generate_latest(exporter.registry)
