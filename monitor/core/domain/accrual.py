"""Accrual (DESIGN §3 step 4) as intervals: what a pod holds, at which hourly rate, from when to when.

A pod holds its node from binding (`PodInfo.bound`) until it finishes or is deleted (`PodInfo.finished`). What is
persisted are *segments*: one pod at one constant hourly rate over [start, end), `end` None while it is still open.
A new segment starts only when a pod binds, when its rate changes (its node's price changed, or — on a CPU node whose
shares were scaled to its price — another pod came or went) and a segment ends when the pod finishes or is deleted.
A steady cluster writes nothing per tick. The cost of a segment is

    usd = hourly_usd x (min(end, accrued_until) - start) / 3600 s

and a workload's cost is the sum over its pods' segments, so a replayed tick or a restart cannot count twice: they
find the same segments already there (`plan` returns nothing new).

`plan` computes, at each tick, the changes from what the store holds (`Ledger`): over the window [L, now) of each node
— L the previous tick (`accrued_until`; on the very first tick, the earliest bind on record) — the node is split at
every bind, finish and price change inside the window, and each span is attributed with exactly the pods that held the
node during it (`monitor.core.domain.attribution.attribute`); an open segment whose rate changes is closed at the
change and
a new one opened (re-rating from L is safe: an open segment has not been summed anywhere yet). So at every instant a
node's charges plus its idle cost equal its price: nobody is charged before binding or after finishing. A pod first
seen after the tick that followed its bind (bound and seen only across an API-server outage) is charged from L, not
from its bind: the spans before L are already summed for the pods beside it, and charging it there too could make the
node cost more than its price.

Late knowledge corrects instead of being lost: a finish time learned after an outage or a restart (the pod's
containers' finishedAt) closes the pod's segment there, or — when it lies before the open segment — removes that
segment and cuts the pod's earlier segments at it (`Close.end` before `Close.start`). When the end is unknown (the pod
vanished and no tombstone says when: deleted while the daemon was down) the segment is closed at the last time the
ledger was confirmed (`Ledger.accrued_until`), the latest moment the pod is known to have held its node — or, when
its workload's status bounds the pod's end, at that bound (`vanished_end`). Changes
observed only at a tick (a node's price) apply since the tick before, as the samples this replaced did; a span learned
late is charged at the price its node had then (`monitor.core.domain.price_history`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise

from monitor.core.domain.attribution import PodCost
from monitor.core.domain.model import PodInfo

_MICROSECONDS_PER_HOUR = 3_600_000_000
_MICROSECOND = timedelta(microseconds=1)


def interval_usd(hourly_usd: float, start: datetime, end: datetime) -> float:
    """hourly_usd x (end - start) in hours, with the interval counted in whole microseconds (timedelta's unit); 0 for
    an empty or reversed interval."""
    microseconds = (end - start) // _MICROSECOND
    return hourly_usd * max(0, microseconds) / _MICROSECONDS_PER_HOUR


@dataclass(frozen=True, slots=True)
class Segment:
    """One pod at one hourly rate over [start, end); `end` None while open (accrues up to `Ledger.accrued_until`)."""

    pod_uid: str
    workload_uid: str
    workload_key: str  # "namespace/Kind/name"
    namespace: str
    node: str
    start: datetime
    end: datetime | None
    hourly_usd: float
    price_source: str = ""

    def usd(self, until: datetime) -> float:
        """Cost accrued up to `until` (an open segment) or its end, whichever is earlier."""
        end = until if self.end is None else min(self.end, until)
        return interval_usd(self.hourly_usd, self.start, end)


@dataclass(frozen=True, slots=True)
class Close:
    """Close the open segment (pod_uid, start) at `end`. `end` <= `start`: the pod ended before this segment began —
    the segment goes, and the pod's closed segments that end after `end` are cut at `end`."""

    pod_uid: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Ledger:
    """What the store holds, as `plan` needs it."""

    open: Mapping[str, Segment]  # pod uid → its open segment
    covered: Mapping[str, datetime]  # pod uid → end of its latest closed segment
    accrued_until: datetime | None  # the last tick committed (open segments accrue up to it)
    horizon: datetime | None = None  # segments before it were pruned: nothing may start before it again


@dataclass(frozen=True)
class LedgerChanges:
    at: datetime  # the tick: the ledger's new accrued_until
    closes: tuple[Close, ...] = ()
    opens: tuple[Segment, ...] = ()  # closed (end set) or open (end None) segments to add

    def __bool__(self) -> bool:
        return bool(self.closes or self.opens)


EMPTY_LEDGER = Ledger(open={}, covered={}, accrued_until=None)

# (node name, the pods holding it over a span, the span's start) → each pod's cost over that span
RatesFor = Callable[[str, Sequence[PodInfo], datetime], Mapping[str, PodCost]]


@dataclass(slots=True)
class _Hold:
    pod: PodInfo
    start: datetime
    end: datetime | None  # None: holds the node now
    booked: bool  # has an owner: gets segments (an ownerless pod still takes its share of the node)


@dataclass(slots=True)
class _Piece:
    start: datetime
    end: datetime
    hourly_usd: float
    price_source: str


@dataclass
class _Changes:
    closes: list[Close] = field(default_factory=list)
    opens: list[Segment] = field(default_factory=list)


def hold_interval(pod: PodInfo, ledger: Ledger, unknown: datetime) -> tuple[datetime, datetime | None] | None:
    """[start, end) the pod holds its node, not yet covered by closed segments; None when not bound.

    start = max(bind time, covered, horizon), the bind time being the PodScheduled transition (else startTime, else
    `unknown`); end = the finish/deletion time, `unknown` for a finished pod whose time nobody recorded, None while
    it holds the node."""
    if pod.node_name is None:
        return None
    start = pod.bound or pod.started or unknown
    covered = ledger.covered.get(pod.uid)
    if covered is not None and covered > start:
        start = covered
    if ledger.horizon is not None and ledger.horizon > start:
        start = ledger.horizon
    end = pod.finished
    if end is None and pod.phase in ("Succeeded", "Failed"):
        end = unknown
    return start, end


def plan(
    pods: Sequence[PodInfo],
    holding_now: Mapping[str, PodCost],
    priced_nodes: Collection[str],
    rates_for: RatesFor,
    ledger: Ledger,
    now: datetime,
    breaks: Mapping[str, Sequence[datetime]] | None = None,
    skip: Collection[str] = (),
    workload_ends: Mapping[str, datetime] | None = None,
) -> LedgerChanges:
    """The segment changes that bring `ledger` up to `now` (see the module docstring).

    `holding_now`: the attribution of the pods holding their nodes at `now` (reused for the last span of a node when
    its holders are the same); `priced_nodes`: nodes present and priced now (a pod's segment on a node that is gone
    ends when the ledger last saw it); `rates_for`: the attribution of one node for a given set of holders over a span
    starting at a given time (at the price the node had then); `breaks`: per node, times its price changed; `skip`:
    nodes known to need nothing (the same pods at the same rates as at the tick that last changed nothing there);
    `workload_ends`: workload uid → its finish time where its status says it finished (see `vanished_end`)."""
    unknown = ledger.accrued_until if ledger.accrued_until is not None else now
    if skip:
        # A paying pod without an open segment is owed one as soon as its bind time has passed (it was seen bound
        # "in the future": the API server's clock runs ahead of ours). Its node is not steady, whatever its objects.
        owed = {
            pod.node_name
            for pod in pods
            if pod.node_name in skip
            and pod.owner is not None
            and pod.uid not in ledger.open
            and _pays(holding_now, pod)
        }
        skip = set(skip) - owed if owed else skip
    by_node: dict[str, list[_Hold]] = {}
    seen: set[str] = set()
    for pod in pods:
        if pod.owner is None and pod.uid in ledger.open:
            seen.add(pod.uid)  # its owner is being resolved again: its segment stays as it is
            continue
        if pod.node_name in skip:
            seen.add(pod.uid)
            continue
        interval = hold_interval(pod, ledger, unknown)
        if interval is None or pod.node_name is None:
            continue
        seen.add(pod.uid)
        start, end = interval
        by_node.setdefault(pod.node_name, []).append(_Hold(pod, min(start, now), end, pod.owner is not None))
    changes = _Changes()
    for node, holds in by_node.items():
        if node in priced_nodes:
            node_breaks = breaks.get(node, ()) if breaks else ()
            _plan_node(node, holds, holding_now, rates_for, ledger, now, changes, node_breaks)
        else:
            _close_gone_node(holds, ledger, unknown, changes)
    vanished = [segment for uid, segment in ledger.open.items() if uid not in seen]
    if vanished:  # without a tombstone: held its node until the ledger last saw it, or its workload's end
        bounds = _VanishedBounds.of(pods, unknown) if workload_ends else None
        for segment in vanished:
            end = vanished_end(segment, unknown, now, workload_ends or {}, priced_nodes, bounds)
            changes.closes.append(Close(segment.pod_uid, segment.start, end))
    return LedgerChanges(at=now, closes=tuple(changes.closes), opens=tuple(changes.opens))


@dataclass(frozen=True)
class _VanishedBounds:
    """What the current pods say about the time since the ledger was last confirmed (L)."""

    first_bind_after: Mapping[str, datetime]  # node → earliest bind after L of a pod on it (its GPUs reused)
    restarted: frozenset[str]  # workloads with a pod bound after L (a retry or replacement ran meanwhile)

    @staticmethod
    def of(pods: Sequence[PodInfo], unknown: datetime) -> _VanishedBounds:
        first: dict[str, datetime] = {}
        restarted: set[str] = set()
        for pod in pods:
            if pod.bound is None or pod.bound <= unknown:
                continue
            if pod.node_name is not None and (pod.node_name not in first or pod.bound < first[pod.node_name]):
                first[pod.node_name] = pod.bound
            if pod.owner is not None:
                restarted.add(pod.owner.uid)
        return _VanishedBounds(first, frozenset(restarted))


def vanished_end(
    segment: Segment,
    unknown: datetime,
    now: datetime,
    workload_ends: Mapping[str, datetime],
    priced_nodes: Collection[str],
    bounds: _VanishedBounds | None,
) -> datetime:
    """Where the open segment of a pod that vanished without a tombstone (deleted while the daemon was down) ends.

    The pod held its node at L = `unknown` (the ledger's last confirmed time). When its workload's status says it
    finished at F with L < F (the owner still exists: a batch Job's completionTime, a PyTorchJob's, a RayJob's endTime
    ...), the pod ran at most until F; it is taken to have run until

        end = min(F, now, the first bind after L of another pod on its node)

    provided its node is still there and no other pod of the workload bound after L (a retry or a replacement would
    mean this pod may have ended long before F). Otherwise, and when the workload is gone or still running, the end
    is L: what happened to the pod after L is not known, and nothing is charged for it."""
    finished = workload_ends.get(segment.workload_uid)
    if finished is None or finished <= unknown or bounds is None:
        return unknown
    if segment.node not in priced_nodes or segment.workload_uid in bounds.restarted:
        return unknown
    end = min(finished, now, bounds.first_bind_after.get(segment.node, now))
    return max(end, unknown)


def _pays(holding_now: Mapping[str, PodCost], pod: PodInfo) -> bool:
    cost = holding_now.get(pod.uid)
    return cost is not None and cost.hourly_usd > 0


def _close_gone_node(holds: Sequence[_Hold], ledger: Ledger, unknown: datetime, changes: _Changes) -> None:
    """The node left (or has no price): its pods' segments end at their own end, or when the ledger last saw it."""
    for hold in holds:
        segment = ledger.open.get(hold.pod.uid)
        if segment is not None:
            end = unknown if hold.end is None else min(hold.end, unknown)
            changes.closes.append(Close(hold.pod.uid, segment.start, end))


def _plan_node(
    node: str,
    holds: list[_Hold],
    holding_now: Mapping[str, PodCost],
    rates_for: RatesFor,
    ledger: Ledger,
    now: datetime,
    changes: _Changes,
    breaks: Sequence[datetime],
) -> None:
    window = ledger.accrued_until
    if window is None:  # the first tick ever: from the earliest bind on record
        window = min([now, *(h.start for h in holds if h.end is None or h.end > h.start)])
    elif not any(window < moment < now for moment in breaks) and _steady(holds, holding_now, ledger.open, window):
        return  # the common case: the same pods at the same rates since the last tick, nothing to write
    active: list[_Hold] = []
    for hold in holds:
        hold.start = max(hold.start, window)
        if hold.end is not None and hold.end <= hold.start:
            segment = ledger.open.get(hold.pod.uid)
            if segment is not None:  # ended before the window: learned late (an outage, a restart)
                changes.closes.append(Close(hold.pod.uid, segment.start, hold.end))
            continue
        active.append(hold)
    if not active or window >= now:  # nothing held, or no time has passed (a replayed tick)
        return
    bounds = {window, now} | {moment for moment in breaks if window < moment < now}
    for hold in active:
        if window < hold.start < now:
            bounds.add(hold.start)
        if hold.end is not None and window < hold.end < now:
            bounds.add(hold.end)
    ordered = sorted(bounds)
    now_holders = sum(1 for hold in active if hold.end is None)
    last_break = max((moment for moment in breaks if moment < now), default=window)
    pieces: dict[str, list[_Piece]] = {}
    for left, right in pairwise(ordered):
        holders = [h for h in active if h.start <= left and (h.end is None or h.end >= right)]
        if not holders:
            continue
        same_as_now = (
            right == now and left >= last_break and len(holders) == now_holders and all(h.end is None for h in holders)
        )
        rates = holding_now if same_as_now else rates_for(node, [h.pod for h in holders], left)
        for hold in holders:
            if not hold.booked:
                continue
            cost = rates.get(hold.pod.uid)
            hourly = cost.hourly_usd if cost is not None else 0.0
            source = cost.price.source if cost is not None and cost.price is not None else ""
            _append(pieces.setdefault(hold.pod.uid, []), _Piece(left, right, hourly, source))
    for hold in active:
        if hold.booked:
            _reconcile(hold, pieces.get(hold.pod.uid, []), ledger.open.get(hold.pod.uid), window, now, changes)


def _steady(
    holds: Sequence[_Hold], holding_now: Mapping[str, PodCost], open_segments: Mapping[str, Segment], window: datetime
) -> bool:
    """True when the node's holders over [window, now) are its holders now, each at the rate of its open segment (or
    at no rate and without one): `_plan_node` would change nothing."""
    for hold in holds:
        segment = open_segments.get(hold.pod.uid)
        if hold.end is not None and hold.end <= hold.start and segment is None:
            continue  # finished and accounted: it lingers on the API server, holding nothing
        if hold.end is not None or hold.start > window:
            return False
        cost = holding_now.get(hold.pod.uid)
        hourly = cost.hourly_usd if cost is not None else 0.0
        if segment is None:
            if hourly > 0 and hold.booked:
                return False
            continue
        source = cost.price.source if cost is not None and cost.price is not None else ""
        if segment.hourly_usd != hourly or segment.price_source != source:
            return False
    return True


def _append(pieces: list[_Piece], piece: _Piece) -> None:
    """Adds a span, merged into the previous one when contiguous at the same rate and price source."""
    if pieces:
        last = pieces[-1]
        if last.end == piece.start and last.hourly_usd == piece.hourly_usd and last.price_source == piece.price_source:
            last.end = piece.end
            return
    pieces.append(piece)


def _reconcile(
    hold: _Hold, pieces: list[_Piece], segment: Segment | None, window: datetime, now: datetime, changes: _Changes
) -> None:
    """Turns a pod's spans of [window, now) into closes and new segments; zero-rate spans get no segment."""
    charged = [piece for piece in pieces if piece.hourly_usd > 0]
    uid = hold.pod.uid
    if segment is not None:
        first = charged[0] if charged else None
        continues = (
            first is not None
            and first.start == window
            and first.hourly_usd == segment.hourly_usd
            and first.price_source == segment.price_source
        )
        if first is not None and continues:
            charged = charged[1:]
            if charged or first.end != now or hold.end is not None:
                changes.closes.append(Close(uid, segment.start, first.end))
        else:
            changes.closes.append(Close(uid, segment.start, window))
    owner = hold.pod.owner
    if owner is None:
        return
    for piece in charged:
        still_open = piece.end == now and hold.end is None
        changes.opens.append(
            Segment(
                pod_uid=uid,
                workload_uid=owner.uid,
                workload_key=owner.key,
                namespace=hold.pod.namespace,
                node=hold.pod.node_name or "",
                start=piece.start,
                end=None if still_open else piece.end,
                hourly_usd=piece.hourly_usd,
                price_source=piece.price_source,
            )
        )
