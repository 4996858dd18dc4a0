"""One tick of the agent (DESIGN §3): observe → price → attribute → accrue → project → budgets → one TickResult.

The agent composes the pure domain with injected ports (cluster view, pricer, store, clock, events, leader); it holds
no adapter of its own, so every step is tested with in-memory fakes. Only the leader accrues; followers compute the
same view for the read API from what the store holds.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from monitor.core.domain.accrual import LedgerChanges, plan
from monitor.core.domain.attribution import Attribution, PodCost, PricedNode
from monitor.core.domain.budgets import BudgetSpec, budget_workload, evaluate_budget
from monitor.core.domain.jobs import JobFactsMemo, cost_only_status, job_status
from monitor.core.domain.model import ClusterSnapshot, NodeIdentity, NodeInfo, PodInfo, WorkloadInfo
from monitor.core.domain.node_memo import NodeAttributionMemo, PlanSkips
from monitor.core.domain.periods import period_bounds
from monitor.core.domain.price_history import PriceHistory
from monitor.core.domain.projection import FINISHED_STATES
from monitor.core.domain.projection_points import ProjectionPoints
from monitor.core.domain.queues import queue_routes
from monitor.core.domain.result import AnnotationProblem, BudgetStatus, TickResult, TickStats, WorkloadStatus
from monitor.core.domain.snapshot_schedule import SnapshotSchedule
from monitor.core.job_estimates import JobEstimates
from monitor.core.ports import (
    Clock,
    ClusterSource,
    EventRecorder,
    GpuUtilizationSource,
    LeaderElector,
    NodePricer,
    Store,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AgentConfig:
    cluster: str
    team_label: str = "team"
    budgets: tuple[BudgetSpec, ...] = ()
    finished_job_ttl_seconds: float = 3600.0
    job_snapshot_interval_seconds: float = 300.0
    trainer_status_stale_seconds: float | None = None  # None: never stale (monitor.core.domain.progress_sources)


def _billable(pods: Iterable[PodInfo], pod_costs: Mapping[str, PodCost]) -> bool:
    """Whether any of the pods holds something that costs money now (without building its facts:
    a cluster has thousands of bare pods, DaemonSets' and system pods, that never become a workload)."""
    # A plain loop, not any(<generator>): this runs for every bare pod every tick (8,000 at the scale benchmark).
    for pod in pods:
        cost = pod_costs.get(pod.uid)
        if cost is not None and cost.hourly_usd > 0:
            return True
    return False


class Agent:
    def __init__(
        self,
        config: AgentConfig,
        cluster: ClusterSource,
        identify: Callable[[NodeInfo], NodeIdentity],
        pricer: NodePricer,
        store: Store,
        clock: Clock,
        events: EventRecorder | None = None,
        leader: LeaderElector | None = None,
        utilization: GpuUtilizationSource | None = None,
    ) -> None:
        self._config = config
        self._cluster = cluster
        self._identify = identify
        self._pricer = pricer
        self._store = store
        self._clock = clock
        self._events = events
        self._leader = leader
        self._utilization = utilization
        self._previous: dict[str, WorkloadStatus] | None = None
        # Every workload ever accounted (store snapshots + this process): budgets need the namespace, team and labels
        # of Jobs that finished long ago but spent inside the current period.
        self._known: dict[str, WorkloadStatus] = {}
        # Per live workload uid: the (annotation, value) problems already logged and the exception types whose
        # traceback was logged once. Pruned each tick to the workloads in the snapshot, like the facts memo.
        self._reported: dict[str, set[tuple[str, str]]] = {}
        self._failed: dict[str, set[str]] = {}
        self._estimates = JobEstimates()  # each workload's estimate, asked again only when its inputs changed
        self._facts = JobFactsMemo()  # what each workload's status takes from its objects (monitor.core.domain.jobs)
        # The watch cache hands out the same immutable objects until they change: derive per object, not per tick.
        self._identities: dict[str, tuple[NodeInfo, NodeIdentity]] = {}
        self._prices = PriceHistory()  # what each node cost at recent ticks: spans learned late are rated at it
        self._attribution = NodeAttributionMemo()
        self._skips = PlanSkips()  # the nodes the ledger planner may skip (unchanged and untouched)
        self._snapshots = SnapshotSchedule(config.job_snapshot_interval_seconds)
        self._points = ProjectionPoints()  # which saved snapshots add to a Job's projection history

    def tick(self) -> TickResult:
        started = time.perf_counter()
        now = self._clock.now()
        snapshot = self._cluster.snapshot()
        if self._previous is None:
            # After a restart, the store's last snapshots carry running time and finished Jobs forward.
            self._previous = {job.ref.uid: job for job in self._store.jobs()}
            self._known = dict(self._previous)
        # Until every initial list has arrived the view is partial (pods before their owners): accrue nothing yet.
        is_leader = (self._leader.is_leader() if self._leader is not None else True) and snapshot.synced
        identities = {node.name: self._identity(node) for node in snapshot.nodes}
        self._identities = {name: self._identities[name] for name in identities}  # forget nodes that left
        priced = [
            PricedNode(node, identities[node.name], self._pricer.price(identities[node.name]))
            for node in snapshot.nodes
        ]
        attribution, unchanged = self._attribution.attribute(priced, snapshot.pods, snapshot.claims)
        if is_leader:
            changed = self._store.commit_ledger(self._plan(snapshot, priced, attribution, unchanged, now))
            if changed:
                log.debug("ledger: %d segment changes", changed)
        costs = self._store.workload_costs()
        jobs = self._jobs(snapshot, attribution, identities, costs, now, self._read_utilization())
        if is_leader:
            saved = self._snapshots.due(jobs, now)
            points = self._points.due(saved, now)
            try:
                self._store.save_jobs(now, saved, points)
            except Exception:  # nothing was saved: the next tick saves these again
                self._snapshots.revert()
                self._points.revert()
                raise
        budgets = self._budgets(jobs, now)
        self._previous = {job.ref.uid: job for job in jobs}
        self._known.update(self._previous)
        return TickResult(
            cluster=self._config.cluster,
            at=now,
            jobs=tuple(jobs),
            budgets=tuple(budgets),
            nodes=attribution.nodes,
            stats=TickStats(duration_seconds=time.perf_counter() - started),
            is_leader=is_leader,
        )

    def _read_utilization(self) -> Mapping[tuple[str, str], float] | None:
        """This tick's DCGM readings by (namespace, pod); None without a source."""
        if self._utilization is None:
            return None
        try:
            return self._utilization.utilization()
        except Exception:  # a broken source never stops accounting: this tick measures nothing
            log.exception("GPU utilization source failed")
            return {}

    def memo_sizes(self) -> dict[str, int]:
        """Entries in each per-object cache (for tests and diagnostics): all are bounded by what is in the cluster,
        plus, in `known`, the gone workloads that still spent inside a budget's current period."""
        return {
            "facts": len(self._facts),
            "identities": len(self._identities),
            **self._estimates.sizes(),
            "reported": len(self._reported),
            "failed": len(self._failed),
            "known": len(self._known),
        }

    def _identity(self, node: NodeInfo) -> NodeIdentity:
        cached = self._identities.get(node.name)
        if cached is not None and cached[0] is node:
            return cached[1]
        identity = self._identify(node)
        self._identities[node.name] = (node, identity)
        return identity

    def _plan(
        self,
        snapshot: ClusterSnapshot,
        priced: Sequence[PricedNode],
        attribution: Attribution,
        unchanged: set[str],
        now: datetime,
    ) -> LedgerChanges:
        ledger = self._store.ledger()
        present = {node.info.name for node in priced}
        self._prices.observe(priced, ledger.accrued_until)
        self._prices.forget(present, ledger.accrued_until or now)
        breaks = self._prices.breaks()
        # A node needs no planning when its inputs are the objects of the last tick, that tick (committed by us, the
        # ledger's last writer) changed nothing on it, and its price did not change since.
        skip = self._skips.skip(unchanged, ledger, breaks)
        # A pod deleted while the daemon was down: its workload's finish time (if it has one) bounds its end.
        ends = {w.ref.uid: w.finished for w in snapshot.workloads if w.finished is not None}
        changes = plan(
            snapshot.pods,
            attribution.pods,
            present,
            self._prices.rates_for(snapshot.claims),
            ledger,
            now,
            breaks,
            skip,
            workload_ends=ends,
        )
        self._skips.committed(changes, ledger)
        return changes

    def _jobs(
        self,
        snapshot: ClusterSnapshot,
        attribution: Attribution,
        identities: dict[str, NodeIdentity],
        costs: dict[str, float],
        now: datetime,
        readings: Mapping[tuple[str, str], float] | None,
    ) -> list[WorkloadStatus]:
        assert self._previous is not None
        pods_by_owner: dict[str, list[PodInfo]] = defaultdict(list)
        for pod in snapshot.pods:
            if pod.owner is not None:
                pods_by_owner[pod.owner.uid].append(pod)
        jobs: list[WorkloadStatus] = []
        seen: set[str] = set()
        routes = queue_routes(snapshot.queues)
        for workload in snapshot.workloads:
            uid = workload.ref.uid
            pods = pods_by_owner.get(uid, ())
            if workload.ref.kind == "Pod" and costs.get(uid, 0.0) <= 0 and not _billable(pods, attribution.pods):
                # A bare pod that holds nothing billable (e.g. a DaemonSet pod on a GPU node, which attribution
                # lists at $0/h) is not a training workload: thousands of them would each become a $0 WorkloadStatus.
                continue
            team = workload.labels.get(self._config.team_label, "")
            try:
                facts = self._facts.facts(workload, pods, attribution.pods, identities)
                seen.add(uid)
                estimate = partial(self._estimates.estimate, uid)
                previous = self._previous.get(uid)
                cost = costs.get(uid, 0.0)
                stale_after = self._config.trainer_status_stale_seconds
                job = job_status(workload, facts, team, cost, previous, now, estimate, routes, readings, stale_after)
            except Exception as error:
                # One broken workload never stops the others, nor vanishes: it keeps its cost, without a projection.
                seen.add(uid)
                if type(error).__name__ not in self._failed.setdefault(uid, set()):
                    self._failed[uid].add(type(error).__name__)
                    log.exception("could not project %s; it is shown with its cost only", workload.ref.key)
                previous = self._previous.get(uid)
                jobs.append(cost_only_status(workload, team, costs.get(uid, 0.0), previous, now, error))
                continue
            self._report(workload, job.problems)
            jobs.append(job)
        self._facts.end_round()
        # Forget what was derived for workloads that left the cluster (their statuses live on in _previous/_known).
        live = {workload.ref.uid for workload in snapshot.workloads}
        self._estimates.end_round()
        self._reported = {uid: v for uid, v in self._reported.items() if uid in live}
        self._failed = {uid: v for uid, v in self._failed.items() if uid in live}
        jobs.extend(self._gone_jobs(seen, costs, now))
        return jobs

    def _gone_jobs(self, seen: set[str], costs: dict[str, float], now: datetime) -> Iterable[WorkloadStatus]:
        """Workloads no longer in the cluster: kept (finished, cost frozen) until the TTL passes."""
        assert self._previous is not None
        for uid, job in self._previous.items():
            if uid in seen:
                continue
            finished = job.finished or job.observed_at or now
            if (now - finished).total_seconds() > self._config.finished_job_ttl_seconds:
                continue
            state = job.state if job.state in FINISHED_STATES else "Deleted"
            cost = costs.get(uid, job.cost_usd)
            yield job.model_copy(
                update={
                    "state": state,
                    "finished": finished,
                    "hourly_cost_usd": 0.0,
                    "gpus": 0.0,
                    "gpu_utilization": None,
                    "cost_usd": cost,
                }
            )

    def _report(self, workload: WorkloadInfo, problems: Sequence[AnnotationProblem]) -> None:
        if not problems:
            return
        reported = self._reported.setdefault(workload.ref.uid, set())
        for problem in problems:
            key = (problem.annotation, problem.value)
            if key in reported:
                continue  # once per distinct problem, not every tick (the Event recorder dedups the same way)
            reported.add(key)
            log.warning("%s: %s=%r: %s", workload.ref.key, problem.annotation, problem.value, problem.message)
            if self._events is not None:
                try:
                    self._events.record(
                        workload.ref, "InvalidAnnotation", f"{problem.annotation}={problem.value!r}: {problem.message}"
                    )
                except Exception:
                    log.exception("could not record an Event on %s", workload.ref.key)

    def _budgets(self, jobs: Sequence[WorkloadStatus], now: datetime) -> list[BudgetStatus]:
        spend_by_start: dict[datetime, dict[str, float]] = {}
        statuses = []
        live = {job.ref.uid: job for job in jobs}
        for spec in self._config.budgets:
            start, _ = period_bounds(spec.period, now)
            if start not in spend_by_start:
                spend_by_start[start] = self._store.workload_spend_since(start)
            spend = spend_by_start[start]
            workloads = [
                budget_workload(job, spend.get(job.ref.uid, 0.0), job.ref.uid in live)
                for job in {**self._known, **live}.values()
                if job.ref.uid in live or spend.get(job.ref.uid, 0.0) > 0
            ]
            statuses.append(evaluate_budget(spec, workloads, now))
        # A workload that is gone and spent nothing in any budget's current period can never count again (spend only
        # accrues while it runs, and periods move forward): forget it. Without budgets nothing needs the gone ones.
        self._known = {
            uid: job
            for uid, job in self._known.items()
            if uid in live or any(spend.get(uid, 0.0) > 0 for spend in spend_by_start.values())
        }
        return statuses
