"""The prices each node had, as the ticks observed them, so that a span learned late (a pod bound during an outage,
seen after it) is charged at the price its node had then, not at today's.

A price observed at a tick applies since the tick before (the ledger's `accrued_until`), as `plan` re-rates from
there; each change is kept as (from, priced node). Kept in the agent's memory only: after a restart the history
starts again with the current price, and a span before it is charged at the earliest price known.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime

from monitor.core.domain.accrual import RatesFor
from monitor.core.domain.attribution import PodCost, PricedNode, attribute
from monitor.core.domain.model import ClaimInfo, PodInfo


class PriceHistory:
    def __init__(self) -> None:
        self._changes: dict[str, list[tuple[datetime | None, PricedNode]]] = {}

    def observe(self, nodes: Sequence[PricedNode], since: datetime | None) -> None:
        """Records this tick's priced nodes; a node whose price (or what it is) changed gets an entry from `since`."""
        for node in nodes:
            changes = self._changes.setdefault(node.info.name, [])
            if not changes:
                changes.append((None, node))
            elif not _same(changes[-1][1], node):
                last_from = changes[-1][0]
                if since is not None and last_from is not None and since <= last_from:
                    changes[-1] = (last_from, node)  # a replayed tick: the latest word replaces the one before
                else:
                    changes.append((since, node))

    def forget(self, present: Collection[str], before: datetime) -> None:
        """Drops nodes no longer present and changes superseded before `before` (the oldest span still re-rated)."""
        for name in [name for name in self._changes if name not in present]:
            del self._changes[name]
        for name, changes in self._changes.items():
            keep = 0
            for i, (start, _) in enumerate(changes):
                if start is not None and start <= before:
                    keep = i
            if keep:
                self._changes[name] = changes[keep:]

    def at(self, node: str, moment: datetime) -> PricedNode | None:
        """The node as priced over the span starting at `moment` (the earliest known when `moment` is older)."""
        changes = self._changes.get(node)
        if not changes:
            return None
        found = changes[0][1]
        for start, priced in changes:
            if start is None or start <= moment:
                found = priced
            else:
                break
        return found

    def breaks(self) -> Mapping[str, Sequence[datetime]]:
        """Per node, the times its price changed (spans are split there)."""
        return {
            name: [start for start, _ in changes if start is not None]
            for name, changes in self._changes.items()
            if len(changes) > 1
        }

    def rates_for(self, claims: Sequence[ClaimInfo] = ()) -> RatesFor:
        """`plan`'s attribution of one node for a set of holders over a span, at the price the node had then (with
        the DRA claims of this tick)."""

        def rates(node: str, holders: Sequence[PodInfo], at: datetime) -> Mapping[str, PodCost]:
            priced = self.at(node, at)
            return {} if priced is None else attribute([priced], holders, since=at, claims=claims).pods

        return rates


def _same(a: PricedNode, b: PricedNode) -> bool:
    """Same rate-making facts: price and provenance, and the node as attribution reads it (a fetch time moving on is
    no change)."""
    return (
        a.price.usd_per_hour == b.price.usd_per_hour
        and a.price.source == b.price.source
        and (a.info is b.info or a.info == b.info)
        and (a.identity is b.identity or a.identity == b.identity)
    )
