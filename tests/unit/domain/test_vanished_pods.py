"""Pods that vanished without a tombstone (deleted while the daemon was down): `plan` closes their open segment at
the last confirmed time L, or, when the workload's status says it finished at F > L, at F bounded by a later bind on
the node, never past now, and never when a retry of the workload bound after L or the node is gone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from monitor.core.domain.accrual import Ledger, Segment, plan
from monitor.core.domain.model import PodInfo, WorkloadRef

L = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
NOW = L + timedelta(hours=2)
OWNER = WorkloadRef(kind="Job", api_version="batch/v1", namespace="ml", name="ft", uid="w-1")


def _ledger() -> Ledger:
    segment = Segment("p-1", "w-1", "ml/Job/ft", "ml", "n-a", L - timedelta(hours=1), None, 32.0)
    return Ledger(open={"p-1": segment}, covered={}, accrued_until=L)


def _pod(uid: str, node: str, bound: datetime, owner: WorkloadRef | None = None) -> PodInfo:
    return PodInfo(
        uid=uid, name=uid, namespace="ml", node_name=node, phase="Running", bound=bound, started=bound, owner=owner
    )


def _end(pods: list[PodInfo], ends: dict[str, datetime], nodes: tuple[str, ...] = ("n-a",)) -> datetime:
    changes = plan(pods, {}, nodes, lambda *_: {}, _ledger(), NOW, workload_ends=ends)
    (close,) = [c for c in changes.closes if c.pod_uid == "p-1"]
    return close.end


@given(
    finished_minutes=st.one_of(st.none(), st.integers(-120, 240)),
    other_bind_minutes=st.one_of(st.none(), st.integers(-60, 180)),
    retried=st.booleans(),
    node_present=st.booleans(),
)
def test_the_end_lies_between_what_is_known_and_what_the_status_allows(
    finished_minutes: int | None, other_bind_minutes: int | None, retried: bool, node_present: bool
) -> None:
    ends = {} if finished_minutes is None else {"w-1": L + timedelta(minutes=finished_minutes)}
    pods = []
    if other_bind_minutes is not None:
        pods.append(_pod("p-other", "n-a", L + timedelta(minutes=other_bind_minutes)))
    if retried:
        pods.append(_pod("p-retry", "n-b", L + timedelta(minutes=5), OWNER))
    end = _end(pods, ends, ("n-a", "n-b") if node_present else ("n-b",))
    assert L <= end <= NOW
    if finished_minutes is None or retried or not node_present or finished_minutes <= 0:
        assert end == L
    else:
        expected = min(L + timedelta(minutes=finished_minutes), NOW)
        if other_bind_minutes is not None and other_bind_minutes > 0:
            expected = min(expected, L + timedelta(minutes=other_bind_minutes))
        assert end == max(expected, L)


def test_a_completed_workload_bounds_its_deleted_pod() -> None:
    assert _end([], {"w-1": L + timedelta(minutes=45)}) == L + timedelta(minutes=45)
    assert _end([], {}) == L
