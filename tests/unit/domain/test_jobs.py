"""A workload's facts from the memo are exactly what `job_facts` computes from scratch, whatever changed between calls
(pods added, removed, re-annotated, moved, finished; the workload re-annotated or re-labelled; a node's price or
identity changed); and the memo forgets workloads that left."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.core.domain.attribution import PricedNode
from monitor.core.domain.jobs import JobFacts, JobFactsMemo, job_facts, job_status
from monitor.core.domain.model import NodeCapacityType, PodInfo, Price, WorkloadInfo
from monitor.core.domain.node_memo import NodeAttributionMemo
from monitor.core.domain.result import WorkloadStatus
from tests.unit.domain.factories import P4D_USD_PER_HOUR, T0, job_ref, pod, priced_node

NODES = ("p4d-a", "p4d-b")
WORKLOADS = ("llama-ft", "bert-pt")
ANNOTATIONS = st.sampled_from(
    [
        {},
        {"trainspend.io/progress": "0.4"},
        {"trainspend.io/progress": "0.7", "trainspend.io/budget-usd": "500"},
        {"trainspend.io/model": "llama-3-8b", "trainspend.io/tokens": "1e9"},
        {"trainspend.io/budget-usd": "-3"},  # a problem the facts carry
    ]
)
LABELS = st.sampled_from([{}, {"team": "nlp"}, {"kueue.x-k8s.io/queue-name": "gpu-queue"}])

# One change to the world between two calls.
CHANGES = st.one_of(
    st.tuples(st.just("pod"), st.integers(0, 5), st.sampled_from(WORKLOADS), st.sampled_from([*NODES, None])),
    st.tuples(st.just("pod-annotations"), st.integers(0, 5), ANNOTATIONS),
    st.tuples(st.just("pod-labels"), st.integers(0, 5), LABELS),
    st.tuples(st.just("finish"), st.integers(0, 5)),
    st.tuples(st.just("delete"), st.integers(0, 5)),
    st.tuples(st.just("workload-annotations"), st.sampled_from(WORKLOADS), ANNOTATIONS),
    st.tuples(st.just("workload-labels"), st.sampled_from(WORKLOADS), LABELS),
    st.tuples(st.just("workload-gone"), st.sampled_from(WORKLOADS)),
    st.tuples(st.just("price"), st.sampled_from(NODES), st.sampled_from([P4D_USD_PER_HOUR, 12.5, 9.8])),
    st.tuples(st.just("spot"), st.sampled_from(NODES)),
)


class World:
    def __init__(self) -> None:
        self.nodes: dict[str, PricedNode] = {name: priced_node(name, P4D_USD_PER_HOUR, gpus=8) for name in NODES}
        self.workloads: dict[str, WorkloadInfo] = {
            name: WorkloadInfo(ref=job_ref(name), created=T0 - timedelta(hours=1)) for name in WORKLOADS
        }
        self.pods: dict[int, PodInfo] = {}

    def apply(self, change: tuple[object, ...]) -> None:
        kind, *args = change
        if kind == "pod":
            i, owner, node = args
            assert isinstance(i, int)
            assert isinstance(owner, str)
            gpus = str(1 + i % 4)
            self.pods[i] = pod(f"p{i}", node, {"nvidia.com/gpu": gpus}, owner=job_ref(owner))
        elif kind in ("pod-annotations", "pod-labels", "finish", "delete") and args[0] in self.pods:
            i = args[0]
            assert isinstance(i, int)
            if kind == "delete":
                del self.pods[i]
            elif kind == "finish":
                self.pods[i] = self.pods[i].model_copy(update={"phase": "Succeeded", "finished": T0})
            else:
                field = "annotations" if kind == "pod-annotations" else "labels"
                self.pods[i] = self.pods[i].model_copy(update={field: args[1]})
        elif kind in ("workload-annotations", "workload-labels"):
            name, value = args
            assert isinstance(name, str)
            if name in self.workloads:
                field = "annotations" if kind == "workload-annotations" else "labels"
                self.workloads[name] = self.workloads[name].model_copy(update={field: value})
        elif kind == "workload-gone":
            self.workloads.pop(str(args[0]), None)
        elif kind == "price":
            name, usd = args
            node = self.nodes[str(name)]
            price = Price(usd_per_hour=float(str(usd)), source="catalog", as_of=node.price.as_of)
            self.nodes[str(name)] = PricedNode(node.info, node.identity, price)
        elif kind == "spot":
            node = self.nodes[str(args[0])]
            identity = node.identity.model_copy(update={"capacity_type": NodeCapacityType.SPOT})
            self.nodes[str(args[0])] = PricedNode(node.info, identity, node.price)


def _no_estimate(facts: JobFacts) -> None:
    return None


def _owned(world: World, workload: WorkloadInfo) -> list[PodInfo]:
    return [p for p in world.pods.values() if p.owner is not None and p.owner.uid == workload.ref.uid]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(CHANGES, max_size=4), min_size=1, max_size=8))
def test_memoised_facts_equal_a_rebuild_and_statuses_follow(rounds) -> None:
    world = World()
    for i in range(4):
        world.apply(("pod", i, WORKLOADS[i % 2], NODES[i % 2]))
    memo, attribution = JobFactsMemo(), NodeAttributionMemo()
    previous: dict[str, WorkloadStatus] = {}
    now = T0
    for changes in rounds:
        for change in changes:
            world.apply(change)
        now += timedelta(seconds=30)
        nodes = list(world.nodes.values())
        costs, _ = attribution.attribute(nodes, tuple(world.pods.values()))
        identities = {node.info.name: node.identity for node in nodes}
        for workload in world.workloads.values():
            pods = _owned(world, workload)
            got = memo.facts(workload, pods, costs.pods, identities)
            assert got == job_facts(workload, pods, costs.pods, identities)
            # The status is a pure function of the facts: built from memoised or fresh facts it is the same.
            last = previous.get(workload.ref.uid)
            status = job_status(workload, got, "", 3.0, last, now, _no_estimate)
            fresh = job_facts(workload, pods, costs.pods, identities)
            assert status == job_status(workload, fresh, "", 3.0, last, now, _no_estimate)
            previous[workload.ref.uid] = status
        memo.end_round()
        assert len(memo) == len(world.workloads)  # workloads that left are forgotten
