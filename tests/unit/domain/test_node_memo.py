"""The per-node attribution memo gives exactly what `attribute` gives, call after call, whatever changed between."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.core.domain.attribution import attribute
from monitor.core.domain.model import PodInfo
from monitor.core.domain.node_memo import NodeAttributionMemo
from tests.unit.domain.factories import M5_USD_PER_HOUR, P4D_USD_PER_HOUR, T0, pod, priced_node

NODES = {
    "p4d-a": priced_node("p4d-a", P4D_USD_PER_HOUR, gpus=8),
    "p4d-b": priced_node("p4d-b", 12.5, gpus=8),
    "m5-a": priced_node("m5-a", M5_USD_PER_HOUR, capacity={"cpu": "8", "memory": "32Gi"}),
}

pods = st.builds(
    lambda i, node, gpus, cpu, done: pod(
        f"p{i}",
        node,
        {"nvidia.com/gpu": str(gpus), "cpu": str(cpu)} if node != "m5-a" else {"cpu": str(cpu), "memory": "4Gi"},
        phase="Succeeded" if done else "Running",
        finished=T0 if done else None,
    ),
    st.integers(0, 30),
    st.sampled_from([*NODES, "gone-node", None]),
    st.integers(0, 4),
    st.integers(1, 6),
    st.booleans(),
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.lists(pods, max_size=12, unique_by=lambda p: p.uid), st.sets(st.sampled_from(list(NODES)))),
        min_size=1,
        max_size=5,
    )
)
def test_the_memo_equals_a_fresh_attribution_on_every_call(ticks: list[tuple[list[PodInfo], set[str]]]) -> None:
    memo = NodeAttributionMemo()
    previous: tuple[list[PodInfo], list[str]] | None = None
    for pod_list, cheaper in ticks:
        nodes = [
            priced_node(name, NODES[name].price.usd_per_hour / 2, gpus=8) if name in cheaper and name != "m5-a" else n
            for name, n in NODES.items()
        ]
        got, unchanged = memo.attribute(nodes, pod_list)
        want = attribute(nodes, pod_list)
        assert got.pods == want.pods
        assert got.nodes == want.nodes
        if previous is None:
            assert unchanged == set()
        for name in unchanged:
            assert previous is not None
            assert [p for p in pod_list if p.node_name == name] == [p for p in previous[0] if p.node_name == name]
        previous = (pod_list, [n.info.name for n in nodes])
