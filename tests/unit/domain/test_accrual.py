import itertools
from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.domain.accrual import accrual_interval, accrue, interval_usd
from monitor.domain.attribution import attribute
from monitor.ports import AccrualRow
from tests.unit.domain.factories import P4D_USD_PER_HOUR, T0, job_ref, pod, priced_node


class FakeStore:
    """Keeps rows by (pod_uid, start) and advances watermarks only from inserted rows, as the Store contract says."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, datetime], AccrualRow] = {}
        self.marks: dict[str, datetime] = {}

    def commit(self, rows: list[AccrualRow]) -> None:
        for row in rows:
            key = (row.pod_uid, row.start)
            if key in self.rows:
                continue
            self.rows[key] = row
            self.marks[row.pod_uid] = max(self.marks.get(row.pod_uid, row.end), row.end)

    def total(self) -> float:
        return sum(row.usd for row in self.rows.values())


NODE = priced_node("p4d-a", P4D_USD_PER_HOUR, gpus=8)


def test_one_tick_accrues_from_pod_start_with_owner():
    trainer = pod("trainer-0", "p4d-a", {"nvidia.com/gpu": "8"}, owner=job_ref())
    costs = attribute([NODE], [trainer]).pods
    (row,) = accrue([trainer], costs, {}, T0 + timedelta(minutes=90))
    assert (row.start, row.end) == (T0, T0 + timedelta(minutes=90))
    assert row.usd == pytest.approx(P4D_USD_PER_HOUR * 1.5)
    assert row.workload_key == "ml/PyTorchJob/llama-ft"
    assert row.workload_uid == "uid-llama-ft"
    assert row.price_source == "catalog"
    assert row.node == "p4d-a"


def test_bare_pod_is_its_own_workload():
    bare = pod("debug", "p4d-a", {"nvidia.com/gpu": "1"})
    (row,) = accrue([bare], attribute([NODE], [bare]).pods, {}, T0 + timedelta(hours=1))
    assert (row.workload_uid, row.workload_key) == ("uid-debug", "ml/Pod/debug")


def test_watermark_resumes_and_finished_pod_stops_at_its_finish_once():
    finished_at = T0 + timedelta(hours=2, seconds=17)
    done = pod("trainer-0", "p4d-a", {"nvidia.com/gpu": "8"}, phase="Succeeded", finished=finished_at)
    costs = attribute([NODE], [done], since=T0 + timedelta(hours=2)).pods
    (row,) = accrue([done], costs, {"uid-trainer-0": T0 + timedelta(hours=2)}, T0 + timedelta(hours=3))
    assert (row.start, row.end) == (T0 + timedelta(hours=2), finished_at)
    assert row.usd == pytest.approx(P4D_USD_PER_HOUR * 17 / 3600)
    assert accrue([done], costs, {"uid-trainer-0": finished_at}, T0 + timedelta(hours=4)) == []


def test_no_row_for_zero_length_unstarted_or_unpriced_pods():
    waiting = pod("waiting", "p4d-a", {"nvidia.com/gpu": "8"}, phase="Pending", started=None)
    cpu = pod("cpu", "p4d-a", {"cpu": "1"})
    running = pod("run", "p4d-a", {"nvidia.com/gpu": "1"})
    costs = attribute([NODE], [waiting, cpu, running]).pods
    assert accrue([waiting, cpu, running], costs, {"uid-run": T0}, T0) == []
    assert accrual_interval(running, T0 + timedelta(hours=1), T0) is None  # watermark ahead of the clock


def test_interval_usd_counts_microseconds_exactly():
    assert interval_usd(36.0, T0, T0 + timedelta(microseconds=100)) == pytest.approx(1e-6)


_TICK = st.tuples(
    st.integers(min_value=-600, max_value=6 * 3600),  # seconds after T0 (negative: before the pod started); any order
    st.integers(min_value=0, max_value=3),  # staleness: compute from a watermark snapshot this many commits old
    st.booleans(),  # committed, or lost (crash before commit)
)


@settings(max_examples=150, deadline=None)
@given(
    ticks=st.lists(_TICK, max_size=25),
    gpus=st.integers(min_value=1, max_value=8),
    finish_after_seconds=st.one_of(st.none(), st.integers(min_value=1, max_value=5 * 3600)),
)
def test_any_sequence_of_ticks_accrues_the_same_as_one(ticks, gpus, finish_after_seconds):
    finished = None if finish_after_seconds is None else T0 + timedelta(seconds=finish_after_seconds)
    phase = "Running" if finished is None else "Succeeded"
    trainer = pod("t", "p4d-a", {"nvidia.com/gpu": str(gpus)}, phase=phase, finished=finished, owner=job_ref())
    costs = attribute([NODE], [trainer], since=T0 - timedelta(days=1)).pods
    end = T0 + timedelta(hours=6, seconds=1)

    store = FakeStore()
    snapshots: list[dict[str, datetime]] = [{}]
    for offset, staleness, committed in [*ticks, (6 * 3600 + 1, 0, True)]:
        marks = snapshots[max(0, len(snapshots) - 1 - staleness)]
        rows = accrue([trainer], costs, marks, T0 + timedelta(seconds=offset))
        if committed:
            store.commit(rows)
            snapshots.append(dict(store.marks))

    single = FakeStore()
    single.commit(accrue([trainer], costs, {}, end))
    expected = P4D_USD_PER_HOUR / 8 * gpus * ((min(end, finished or end) - T0).total_seconds() / 3600)
    assert round(store.total(), 2) == round(expected, 2) == round(single.total(), 2)
    intervals = sorted((row.start, row.end) for row in store.rows.values())
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(intervals))
