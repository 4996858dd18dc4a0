"""The embedded catalog memoises its answers per (provider, instance type, region, capacity type): a reused answer
must equal what a fresh source (nothing memoised) gives for the same node, whatever was asked before."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from estimator.catalog.offers import embedded_offers
from monitor.adapters.pricing.embedded import EmbeddedCatalogSource
from monitor.core.domain.model import NodeCapacityType, NodeIdentity

OFFERS = embedded_offers()
INSTANCES = [*sorted({o.instance for o in OFFERS})[:40], "no-such-instance", ""]
PROVIDERS = [*sorted({o.provider for o in OFFERS}), "unknown"]
REGIONS = [None, *sorted({o.region for o in OFFERS if o.region})[:10], "nowhere-1"]

nodes = st.builds(
    NodeIdentity,
    node=st.sampled_from(["n1", "n2", "n3"]),
    provider=st.sampled_from(PROVIDERS),
    region=st.sampled_from(REGIONS),
    instance_type=st.sampled_from(INSTANCES).map(lambda s: s or None) | st.sampled_from(INSTANCES).map(str.upper),
    capacity_type=st.sampled_from(list(NodeCapacityType)),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(nodes, min_size=1, max_size=12))
def test_a_memoised_answer_equals_a_fresh_sources_answer(asked: list[NodeIdentity]) -> None:
    reused = EmbeddedCatalogSource(OFFERS)
    for node in asked:
        reused.price(node)  # fills the memo in a random order
    for node in asked:
        assert reused.price(node) == EmbeddedCatalogSource(OFFERS).price(node)


def test_nodes_differing_only_in_region_or_capacity_get_their_own_answer() -> None:
    offer = next(o for o in OFFERS if o.provider == "aws" and o.region)
    source = EmbeddedCatalogSource(OFFERS)
    here = NodeIdentity(node="a", provider="aws", region=offer.region, instance_type=offer.instance)
    there = here.model_copy(update={"region": "nowhere-1"})
    spot = here.model_copy(update={"capacity_type": NodeCapacityType.SPOT})
    answers = [source.price(n) for n in (here, there, spot)]
    assert answers == [EmbeddedCatalogSource(OFFERS).price(n) for n in (here, there, spot)]
    assert answers[0] is not None
    assert answers[1] is not None
    assert not answers[0].estimated or offer.price_is_estimate
    assert answers[1].estimated  # another region's list price is flagged, not reused from the first answer
