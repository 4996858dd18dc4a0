"""Prices for the tick without a pricing API on its path.

The tick asks `KnownPrices.price` for every node: it answers from the last refresh, and for a node it has not priced
yet (new, or its identity changed) from the chain without its live APIs (overrides, the last good API price the
store kept, flagged stale, the embedded catalog) and queues the node. `refresh`, run by the daemon's own
`price-refresh` task every few seconds, prices the queued nodes through the whole chain (live APIs, each cached,
backed off and stale-on-error) and, every `refresh_seconds`, every node. A slow, hanging or failing pricing API
therefore delays the refresh task only; the tick reads what the refresh last learned.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from monitor.adapters.pricing.chain import PriceChain
from monitor.core.domain.model import NodeIdentity, Price
from monitor.core.ports import Clock

log = logging.getLogger(__name__)


class KnownPrices:
    """The tick's `NodePricer`: reads only. `refresh` is the writer, on another thread."""

    def __init__(self, chain: PriceChain, clock: Clock, refresh_seconds: float) -> None:
        self._chain = chain
        self._clock = clock
        self._every = timedelta(seconds=refresh_seconds)
        self._lock = threading.Lock()  # guards the two dicts; never held while a source is asked
        self._known: dict[str, tuple[NodeIdentity, Price]] = {}  # node name → (identity priced, its price)
        self._wanted: dict[str, NodeIdentity] = {}  # nodes the tick met unpriced, for the next refresh
        self._last_full: datetime | None = None
        self._closed = threading.Event()

    def price(self, node: NodeIdentity) -> Price:
        with self._lock:
            entry = self._known.get(node.node)
            # The tick's identity memo hands out the same object while the node is unchanged: `is` first.
            if entry is not None and entry[0] is node:
                return entry[1]
            if entry is not None and entry[0] == node:
                self._known[node.node] = (node, entry[1])  # the tick's object from now on: the `is` test holds
                return entry[1]
            self._wanted[node.node] = node
        return self._chain.price(node, live=False)

    def close(self) -> None:
        """A refresh in flight stops after the request it is waiting on (at most pricing.request_timeout_seconds),
        so that stopping the daemon never waits for every node of a hanging API."""
        self._closed.set()

    def api_errors(self) -> dict[str, int]:
        return self._chain.api_errors()

    def refresh(self, nodes: Callable[[], Iterable[NodeIdentity]]) -> int:
        """Prices the nodes the tick asked about and, when `refresh_seconds` have passed, all of `nodes()`, through
        the whole chain; returns how many were priced. Nodes not in a full refresh's `nodes()` are forgotten."""
        now = self._clock.now()
        todo: dict[str, NodeIdentity] = {}
        full = self._last_full is None or now - self._last_full >= self._every
        if full:
            todo = {identity.node: identity for identity in nodes()}
        priced = 0
        while True:
            with self._lock:
                todo.update(self._wanted)
                self._wanted.clear()
            if not todo:
                break
            for name, identity in todo.items():
                if self._closed.is_set():
                    return priced
                price = self._chain.price(identity)  # may wait on an API: only this task waits
                with self._lock:
                    self._known[name] = (identity, price)
                priced += 1
            if full:
                present = set(todo)
                with self._lock:
                    self._known = {n: v for n, v in self._known.items() if n in present or n in self._wanted}
                self._last_full = now
                full = False
            todo = {}  # then whatever the tick queued meanwhile
        return priced
