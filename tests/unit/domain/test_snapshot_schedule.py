from __future__ import annotations

from datetime import timedelta

from monitor.core.domain.model import WorkloadRef
from monitor.core.domain.result import WorkloadStatus
from monitor.core.domain.snapshot_schedule import SnapshotSchedule
from tests.unit.domain.factories import T0


def job(uid: str, cost_usd: float = 1.0, state: str = "Running", hourly: float = 4.0) -> WorkloadStatus:
    ref = WorkloadRef(kind="Job", api_version="batch/v1", namespace="ml", name=uid, uid=uid)
    return WorkloadStatus(ref=ref, state=state, cost_usd=cost_usd, hourly_cost_usd=hourly, observed_at=T0)


def test_new_and_changed_jobs_are_saved_at_once_and_the_rest_at_least_every_interval() -> None:
    schedule = SnapshotSchedule(300)
    jobs = [job(f"j{i}") for i in range(50)]
    assert len(schedule.due(jobs, T0)) == 50  # new
    saved: set[str] = set()
    for tick in range(1, 11):  # cost moves every tick; nothing else changes
        at = T0 + timedelta(seconds=30 * tick)
        due = schedule.due([job(f"j{i}", cost_usd=1.0 + tick) for i in range(50)], at)
        assert len(due) < 50  # spread over the ticks, not all at once
        saved.update(j.ref.uid for j in due)
    assert saved == {f"j{i}" for i in range(50)}  # every job re-saved within the interval
    assert [j.ref.uid for j in schedule.due([job("j3", state="Succeeded")], T0 + timedelta(seconds=330))] == ["j3"]
    assert [j.ref.uid for j in schedule.due([job("j4", hourly=0.0)], T0 + timedelta(seconds=331))] == ["j4"]


def test_a_save_that_failed_is_due_again_at_the_next_tick() -> None:
    """The store was down: revert takes back what `due` counted as saved, a new job and a changed one alike."""
    schedule = SnapshotSchedule(300)
    assert len(schedule.due([job("old")], T0)) == 1
    at = T0 + timedelta(seconds=30)
    assert [j.ref.uid for j in schedule.due([job("old", state="Succeeded"), job("new")], at)] == ["old", "new"]
    schedule.revert()
    later = at + timedelta(seconds=30)
    assert [j.ref.uid for j in schedule.due([job("old", state="Succeeded"), job("new")], later)] == ["old", "new"]
    assert schedule.due([job("old", state="Succeeded"), job("new")], later + timedelta(seconds=30)) == []
