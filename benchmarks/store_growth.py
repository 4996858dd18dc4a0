"""Store growth: how many bytes the SQLite store gains per simulated day, with and without churn.

The daemon's agent and SQLite store run against the synthetic cluster of the scale benchmark (benchmarks/synthetic.py,
100 GPU nodes / 1,000 pods / 100 workloads by default) fed straight into the watch cache (no HTTP: only the store is
measured), at the daemon's 30 s tick, for several simulated hours after a warm-up hour; growth per day is the file's
growth (database + WAL, checkpointed) scaled to 24 h. Scenarios:

* steady: nothing changes (the target: <= 20 MB/day at 100 nodes / 1,000 pods; per-tick samples wrote ~840 MB/day);
* churn: every simulated hour 10 % of the training pods finish and are replaced by new pods (a new bind each), and a
  third of the nodes (the spot ones) change price — the store must grow in proportion to those events.

The figures per event (bytes per pod finished + replaced, per price change) give the sizing rule printed at the end
and written into the chart's values (store.persistence.size) and docs/performance.md.
"""

from __future__ import annotations

import random
import sqlite3
import sys
import tempfile
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.report import Table
from benchmarks.synthetic import BASE_TIME, Shape, populate
from estimator.catalog.offers import embedded_offers
from monitor.adapters.kube.cache import ClusterCache
from monitor.adapters.kube.kinds import CRDS, JOBS, NODES, PODS, WatchedKind
from monitor.adapters.pricing.factory import build_price_chain
from monitor.adapters.pricing.identity import node_identity
from monitor.adapters.store.engine import create_store_engine
from monitor.adapters.store.migrate import upgrade_engine
from monitor.adapters.store.repository import SqlStore
from monitor.config.settings import PricingSettings
from monitor.core.clock import ManualClock
from monitor.core.domain.model import NodeIdentity, Price
from monitor.core.ports import NodePricer
from monitor.core.tick import Agent, AgentConfig
from monitor.demo import objects
from monitor.demo.apiserver import LocalApiServer
from monitor.demo.objectstore import KubeStatusError

SEED = 11
SHAPE = Shape(nodes=100, pods=1000, workloads=100)
TICK_SECONDS = 30
TARGET_STEADY_BYTES_PER_DAY = 20 * 10**6
CHURN_SHARE_PER_HOUR = 0.10
KINDS: tuple[WatchedKind, ...] = (NODES, PODS, JOBS, *CRDS)
MB = 10**6


class _SpotPricer:
    """The embedded price chain, with the spot nodes' price moving every simulated hour (as AWS spot does)."""

    def __init__(self, inner: NodePricer, clock: ManualClock, moving: bool) -> None:
        self._inner, self._clock, self._moving = inner, clock, moving

    def price(self, node: NodeIdentity) -> Price:
        price = self._inner.price(node)
        if not self._moving or node.capacity_type.value != "spot":
            return price
        hour = int((self._clock.now() - BASE_TIME).total_seconds() // 3600)
        factor = 1.0 + 0.05 * ((hour + zlib.crc32(node.node.encode()) % 3) % 4)
        return price.model_copy(update={"usd_per_hour": round(price.usd_per_hour * factor, 4)})


def _store_bytes(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return sum(p.stat().st_size for p in db.parent.iterdir() if p.name.startswith(db.name))


def _rows(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {t: int(conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]) for t in tables}


@dataclass
class Result:
    name: str
    hours: float
    bytes_start: int
    bytes_end: int
    pod_events: int  # pods finished + replaced
    price_changes: int
    rows: dict[str, int]

    @property
    def bytes_per_day(self) -> float:
        return (self.bytes_end - self.bytes_start) * 24 / self.hours


class _Cluster:
    """The synthetic cluster's objects in a LocalApiServer's store (no HTTP), mirrored into a ClusterCache."""

    def __init__(self, clock: ManualClock) -> None:
        self.server = LocalApiServer(clock=clock.now)
        self.training = populate(self.server, SHAPE, SEED)
        self.cache = ClusterCache("bench", clock.now, deleted_pod_tombstone_seconds=600)
        for kind in KINDS:
            try:
                listed = self.server.objects(kind.api_version, kind.kind)
            except KubeStatusError:  # a CRD the local server does not serve by default (e.g. mpi-operator's v2beta1)
                continue
            self.cache.replace_all(kind, None, listed)
        self._clock = clock
        self._next = 0

    def churn(self, share: float, rng: random.Random) -> int:
        """Finishes `share` of the training pods (Succeeded now) and creates a replacement for each."""
        chosen = rng.sample(self.training, max(1, round(len(self.training) * share)))
        now = self._clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")
        for namespace, name in chosen:
            pod = self.server.get("v1", "Pod", name, namespace)
            done = objects.pod(name, namespace, pod["spec"]["nodeName"], phase="Succeeded", finished=now)
            finished = self.server.patch("v1", "Pod", name, {"status": done["status"]}, namespace)
            self.cache.apply(PODS, None, "MODIFIED", finished)
            self._next += 1
            fresh: dict[str, Any] = {
                **pod,
                "metadata": {
                    **{k: v for k, v in pod["metadata"].items() if k not in ("uid", "resourceVersion")},
                    "name": f"{name}-r{self._next}",
                },
                "status": {
                    "phase": "Running",
                    "startTime": now,
                    "conditions": [{"type": "PodScheduled", "status": "True", "lastTransitionTime": now}],
                },
            }
            self.cache.apply(PODS, None, "ADDED", self.server.create(fresh))
            self.training[self.training.index((namespace, name))] = (namespace, fresh["metadata"]["name"])
        return 2 * len(chosen)


def run(name: str, hours: float, churn: bool) -> Result:
    clock = ManualClock(BASE_TIME)
    cluster = _Cluster(clock)
    rng = random.Random(SEED)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "store.db"
        engine = create_store_engine(f"sqlite:///{db}")
        upgrade_engine(engine)
        store = SqlStore(engine)
        pricer = _SpotPricer(build_price_chain(PricingSettings(), clock, embedded_offers()), clock, churn)
        agent = Agent(AgentConfig(cluster="bench"), cluster.cache, node_identity, pricer, store, clock)
        ticks_per_hour = 3600 // TICK_SECONDS
        for _ in range(ticks_per_hour):  # warm-up hour: the first tick writes every pod's first segment
            agent.tick()
            clock.advance(TICK_SECONDS)
        start = _store_bytes(db)
        pod_events = price_changes = 0
        spot = sum(1 for n in cluster.cache.snapshot().nodes if n.labels.get("karpenter.sh/capacity-type") == "spot")
        spot += sum(1 for n in cluster.cache.snapshot().nodes if n.labels.get("cloud.google.com/gke-spot") == "true")
        for tick in range(round(hours * ticks_per_hour)):
            if churn and tick % ticks_per_hour == 0:
                pod_events += cluster.churn(CHURN_SHARE_PER_HOUR, rng)
                price_changes += spot
            agent.tick()
            clock.advance(TICK_SECONDS)
        end = _store_bytes(db)
        rows = _rows(db)
        engine.dispose()
    return Result(name, hours, start, end, pod_events, price_changes, rows)


def report(steady: Result, churn: Result) -> tuple[Table, float, float]:
    table = Table(
        f"store growth: {SHAPE.nodes} GPU nodes, {SHAPE.pods} pods, {SHAPE.workloads} workloads, SQLite, "
        f"{TICK_SECONDS} s ticks, {steady.hours:g} simulated hours after a warm-up hour",
        ["scenario", "store after warm-up", "growth", "per day", "target"],
    )
    table.add(
        "steady (no churn)",
        f"{steady.bytes_start / MB:.1f} MB",
        f"{(steady.bytes_end - steady.bytes_start) / MB:.2f} MB",
        f"{steady.bytes_per_day / MB:.2f} MB/day",
        f"<= {TARGET_STEADY_BYTES_PER_DAY / MB:.0f} MB/day: "
        + ("met" if steady.bytes_per_day <= TARGET_STEADY_BYTES_PER_DAY else "MISSED"),
    )
    table.add(
        f"churn: {churn.pod_events} pod finishes+binds, {churn.price_changes} price changes",
        f"{churn.bytes_start / MB:.1f} MB",
        f"{(churn.bytes_end - churn.bytes_start) / MB:.2f} MB",
        f"{churn.bytes_per_day / MB:.2f} MB/day",
        "in proportion to events",
    )
    extra = churn.bytes_end - churn.bytes_start - (steady.bytes_end - steady.bytes_start)
    events = churn.pod_events + churn.price_changes
    per_event = extra / events if events else 0.0
    table.add("bytes per event (pod finish/bind or price change)", f"{per_event:,.0f} B", "", "", "")
    table.add("rows at the end (churn)", ", ".join(f"{k} {v}" for k, v in sorted(churn.rows.items())), "", "", "")
    return table, steady.bytes_per_day, per_event


def main(quick: bool = False) -> int:
    began = time.perf_counter()
    hours = 1.0 if quick else 6.0
    steady = run("steady", hours, churn=False)
    churned = run("churn", hours, churn=True)
    table, steady_per_day, per_event = report(steady, churned)
    print(table.render())
    events_per_day = 10_000
    print(
        f"  sizing: ~{steady.bytes_start / SHAPE.pods / 1e3:.1f} KB per pod present, plus ~{per_event / 1e3:.1f} KB "
        f"per pod start, finish or price change, plus ~{steady_per_day / SHAPE.workloads / 1e3:.0f} KB a day per "
        f"running workload (its projection history); e.g. {events_per_day:,} events a day over the default 90-day "
        f"retention: ~{(steady_per_day * 90 + per_event * events_per_day * 90) / 1e9:.1f} GB"
    )
    print(f"  ({time.perf_counter() - began:.1f} s in all)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main("--quick" in sys.argv[1:]))
