"""`attribute` one node at a time, reusing a node's result while its inputs are unchanged.

The watch cache hands out the same immutable objects until they change, and a node's attribution depends only on the
node (as priced), the pods bound to it and the DRA claims: at 2,000 nodes and 20,000 pods a tick sees a few hundred
changed pods, so recomputing every node was most of the attribution's time. A node's inputs are compared by identity
first (the cache's objects), then by value. The nodes found unchanged are also those the ledger planner may skip
(`monitor.core.domain.accrual.plan`'s `skip`), when nothing else moved them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, field
from datetime import datetime

from monitor.core.domain.accrual import Ledger, LedgerChanges
from monitor.core.domain.attribution import Attribution, PodCost, PricedNode, Shares, attribute
from monitor.core.domain.model import ClaimInfo, PodInfo
from monitor.core.domain.result import NodeCost


@dataclass
class _NodeAttributionEntry:
    """One node's inputs as last attributed (node as priced, pods bound to it) and the result they gave."""

    node: PricedNode
    pods: tuple[PodInfo, ...]
    costs: dict[str, PodCost]
    cost: NodeCost | None


@dataclass
class NodeAttributionMemo:
    _entries: dict[str, _NodeAttributionEntry] = field(default_factory=dict)
    _claims: tuple[ClaimInfo, ...] = ()

    def attribute(
        self, nodes: Sequence[PricedNode], pods: Sequence[PodInfo], claims: Sequence[ClaimInfo] = ()
    ) -> tuple[Attribution, set[str]]:
        """The same `Attribution` as `attribute(nodes, pods, claims=claims)`, and the names of the nodes whose inputs
        were unchanged since the previous call."""
        claims = tuple(claims)
        if claims != self._claims:
            self._entries = {}  # a claim can move GPUs between any pods: start again
            self._claims = claims
        by_node: dict[str, list[PodInfo]] = {}
        for pod in pods:
            if pod.node_name is not None:
                by_node.setdefault(pod.node_name, []).append(pod)
        costs: dict[str, PodCost] = {}
        node_costs: list[NodeCost] = []
        unchanged: set[str] = set()
        entries: dict[str, _NodeAttributionEntry] = {}
        known = set()
        shares = Shares()  # GPU geometry and shares by value: a tick's changed nodes are of a few kinds
        for node in nodes:
            name = node.info.name
            known.add(name)
            held = tuple(by_node.get(name, ()))
            entry = self._entries.get(name)
            if entry is not None and _same_node(entry.node, node) and entry.pods == held:
                unchanged.add(name)
            else:
                result = attribute([node], held, claims=claims, shares=shares)
                entry = _NodeAttributionEntry(node, held, dict(result.pods), result.nodes[0] if result.nodes else None)
            entries[name] = entry
            costs.update(entry.costs)
            if entry.cost is not None:
                node_costs.append(entry.cost)
        self._entries = entries
        orphans = [pod for name, group in by_node.items() if name not in known for pod in group]
        if orphans:  # pods on nodes without a price (gone, or not listed yet): attribution gives them $0
            costs.update(attribute([], orphans, claims=claims, shares=shares).pods)
        return Attribution(pods=costs, nodes=tuple(node_costs)), unchanged


def _same_node(a: PricedNode, b: PricedNode) -> bool:
    return a is b or (
        (a.info is b.info or a.info == b.info)
        and (a.identity is b.identity or a.identity == b.identity)
        and (a.price is b.price or a.price == b.price)
    )


@dataclass
class PlanSkips:
    """Which nodes the ledger planner may skip (`plan`'s `skip`): those `NodeAttributionMemo` found unchanged, that
    the last plan — committed by this planner, the ledger's last writer — left untouched, and whose price did not
    change since. A plan that found no time passed (`now` at or before the ledger's `accrued_until`: a replayed tick,
    a clock stepped back) changed nothing because it looked at nothing, so it proves no node steady: the nodes the
    plan before it touched stay touched."""

    touched: set[str] = field(default_factory=set)  # nodes whose segments the last plan changed
    committed_at: datetime | None = None

    def skip(self, unchanged: Set[str], ledger: Ledger, breaks: Mapping[str, object]) -> set[str]:
        if ledger.accrued_until is None or ledger.accrued_until != self.committed_at:
            return set()
        return set(unchanged) - self.touched - breaks.keys()

    def committed(self, changes: LedgerChanges, ledger: Ledger) -> None:
        touched = {segment.node for segment in changes.opens}
        touched.update(ledger.open[c.pod_uid].node for c in changes.closes if c.pod_uid in ledger.open)
        if ledger.accrued_until is not None and changes.at <= ledger.accrued_until:
            touched |= self.touched
        self.touched = touched
        self.committed_at = changes.at
