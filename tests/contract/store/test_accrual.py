"""Store contract: the cost ledger (segments) is idempotent, survives restarts and pruning, corrects late-learned ends
and never counts twice. Every expectation is hourly price x wall time."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine

from monitor.adapters.store.engine import create_store_engine
from monitor.adapters.store.repository import SqlStore
from monitor.core.domain.accrual import Close, LedgerChanges
from monitor.core.ports import Store
from tests.contract.store.builders import T0, closes, job, opens, segment

H = timedelta(hours=1)


def test_an_open_segment_accrues_up_to_the_last_tick_and_a_replayed_tick_changes_nothing(store: Store) -> None:
    a, b = segment("pod-a", T0, None), segment("pod-b", T0, None, hourly_usd=12.0, workload="w2")
    assert store.commit_ledger(opens(T0, a, b)) == 2
    assert store.workload_costs() == {"w1": 0.0, "w2": 0.0}
    assert store.commit_ledger(LedgerChanges(at=T0 + 2 * H)) == 0  # a steady tick writes no segment
    assert store.workload_costs() == pytest.approx({"w1": 72.0, "w2": 24.0})
    assert store.commit_ledger(opens(T0 + 2 * H, a, b)) == 0  # replayed: same keys
    assert store.commit_ledger(LedgerChanges(at=T0 + H)) == 0  # an older tick never moves accrued_until back
    assert store.workload_costs() == pytest.approx({"w1": 72.0, "w2": 24.0})
    ledger = store.ledger()
    assert set(ledger.open) == {"pod-a", "pod-b"}
    assert ledger.accrued_until == T0 + 2 * H


def test_closing_counts_the_segment_once_and_a_second_close_is_skipped(store: Store) -> None:
    a = segment("pod-a", T0, None)
    store.commit_ledger(opens(T0, a))
    assert store.commit_ledger(closes(T0 + 3 * H, (a, T0 + 90 * timedelta(minutes=1)))) == 1
    assert store.commit_ledger(closes(T0 + 3 * H, (a, T0 + 90 * timedelta(minutes=1)))) == 0
    assert store.workload_costs() == pytest.approx({"w1": 36.0 * 1.5})
    assert store.ledger().covered == {"pod-a": T0 + timedelta(minutes=90)}
    assert store.ledger().open == {}


def test_a_finish_learned_after_the_ticks_went_past_it_charges_only_up_to_the_finish(store: Store) -> None:
    """An outage: the ledger was confirmed to 04:00, the pod's containers finished at 01:30."""
    a = segment("pod-a", T0, None)
    store.commit_ledger(opens(T0, a))
    store.commit_ledger(LedgerChanges(at=T0 + 4 * H))
    assert store.workload_costs() == pytest.approx({"w1": 144.0})
    store.commit_ledger(closes(T0 + 4 * H + H, (a, T0 + timedelta(hours=1, minutes=30))))
    assert store.workload_costs() == pytest.approx({"w1": 54.0})
    assert store.workload_spend_since(T0 + H) == pytest.approx({"w1": 18.0})


def test_an_end_before_the_open_segment_removes_it_and_cuts_the_closed_ones(store: Store) -> None:
    """The price changed at 02:00 (a new segment) but the pod, it turns out, was deleted at 01:00."""
    first = segment("pod-a", T0, None)
    store.commit_ledger(opens(T0, first))
    second = segment("pod-a", T0 + 2 * H, None, hourly_usd=48.0)
    store.commit_ledger(LedgerChanges(at=T0 + 2 * H, closes=(Close("pod-a", T0, T0 + 2 * H),), opens=(second,)))
    store.commit_ledger(LedgerChanges(at=T0 + 3 * H))
    assert store.workload_costs() == pytest.approx({"w1": 72.0 + 48.0})
    assert store.commit_ledger(closes(T0 + 4 * H, (second, T0 + H))) == 1
    assert store.workload_costs() == pytest.approx({"w1": 36.0})
    assert store.workload_spend_since(T0) == pytest.approx({"w1": 36.0})
    assert store.ledger().covered == {"pod-a": T0 + H}


def test_concurrent_writers_count_each_segment_once(db_url: str, engine: Engine) -> None:
    segments = [segment(f"pod-{i}", T0, 60.0, workload=f"w{i % 2}") for i in range(40)]
    engines = [create_store_engine(db_url) for _ in range(2)]
    barrier = threading.Barrier(len(engines))
    applied: list[int] = []
    errors: list[BaseException] = []

    def write(e: Engine) -> None:
        try:
            barrier.wait()
            applied.append(SqlStore(e).commit_ledger(opens(T0 + H, *segments)))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(e,)) for e in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for e in engines:
        e.dispose()
    assert errors == []
    assert sum(applied) == len(segments)
    assert SqlStore(engine).workload_costs() == pytest.approx({"w0": 20 * 36.0, "w1": 20 * 36.0})


def test_a_new_engine_on_the_same_database_sees_the_ledger_totals_and_jobs(db_url: str, engine: Engine) -> None:
    store = SqlStore(engine)
    store.commit_ledger(opens(T0, segment("pod-a", T0, 30.0), segment("pod-b", T0, None)))
    store.commit_ledger(LedgerChanges(at=T0 + H))
    store.save_jobs(T0 + H, [job(cost_usd=54.0)])
    engine.dispose()
    restarted = create_store_engine(db_url)
    try:
        again = SqlStore(restarted)
        ledger = again.ledger()
        assert ledger.covered == {"pod-a": T0 + timedelta(minutes=30)}
        assert list(ledger.open) == ["pod-b"]
        assert ledger.accrued_until == T0 + H
        assert again.workload_costs() == pytest.approx({"w1": 18.0 + 36.0})
        assert again.jobs() == [job(cost_usd=54.0)]
    finally:
        restarted.dispose()


def test_spend_since_pro_rates_segments_that_straddle_the_boundary(store: Store) -> None:
    store.commit_ledger(opens(T0 + 4 * H, segment("pod-a", T0, 240.0), segment("pod-b", T0, None, workload="w2")))
    since = T0 + timedelta(minutes=90)
    assert store.workload_spend_since(since) == pytest.approx({"w1": 36.0 * 2.5, "w2": 36.0 * 2.5})
    assert store.workload_spend_since(T0 + timedelta(hours=5)) == {}


def test_pruning_keeps_totals_and_month_to_date_spend(store: Store) -> None:
    # 31 Mar 22:00 .. 1 Apr 10:00, $36/h, as hourly segments (a price that changed every hour).
    segments = [segment("pod-a", T0 + i * H, 60.0, hourly_usd=36.0 + (i % 2)) for i in range(12)]
    store.commit_ledger(opens(T0 + 12 * H, *segments))
    total = sum(s.usd(T0 + 12 * H) for s in segments)
    month_start = datetime(2026, 4, 1, tzinfo=UTC)
    before = store.workload_spend_since(month_start)
    assert before == pytest.approx({"w1": sum(s.usd(T0 + 12 * H) for s in segments[2:])})
    assert store.prune(T0 + timedelta(hours=6, minutes=30)) == 6  # the 6 segments ending by 04:00
    assert store.workload_costs() == pytest.approx({"w1": total})
    assert store.workload_spend_since(month_start) == pytest.approx(before)
    assert store.workload_spend_since(T0) == pytest.approx({"w1": total})
    assert store.workload_spend_since(T0 + 9 * H) == pytest.approx({"w1": 37.0 + 36.0 + 37.0})
    assert store.ledger().horizon == T0 + timedelta(hours=6, minutes=30)


def test_open_segments_survive_pruning_and_their_spend_before_the_horizon_still_counts(store: Store) -> None:
    store.commit_ledger(opens(T0, segment("pod-a", T0, None)))
    store.commit_ledger(LedgerChanges(at=T0 + 10 * H))
    store.prune(T0 + 5 * H)
    assert list(store.ledger().open) == ["pod-a"]
    assert store.workload_spend_since(T0 + H) == pytest.approx({"w1": 36.0 * 9})
    assert store.workload_costs() == pytest.approx({"w1": 360.0})


def test_job_snapshots_round_trip_and_an_older_tick_never_overwrites_a_newer_one(store: Store) -> None:
    store.save_jobs(T0 + timedelta(minutes=1), [job(cost_usd=5.0), job(uid="w2", name="bert")])
    store.save_jobs(T0 + timedelta(minutes=2), [job(cost_usd=6.0, state="Succeeded")])
    store.save_jobs(T0 + timedelta(minutes=1, seconds=30), [job(cost_usd=5.5)])
    assert store.jobs() == [job(uid="w2", name="bert"), job(cost_usd=6.0, state="Succeeded")]


def test_datetimes_in_any_zone_come_back_as_the_same_instant_in_utc(store: Store) -> None:
    ist = timezone(timedelta(hours=5, minutes=30))
    start = datetime(2026, 4, 1, 3, 45, 10, 123456, tzinfo=ist)
    closed = segment("pod-a", start, 1.0)
    store.commit_ledger(opens(start + H, closed))
    until = store.ledger().covered["pod-a"]
    assert until == closed.end
    assert until.utcoffset() == timedelta(0)


def test_naive_datetimes_are_refused_with_the_field_name(engine: Engine) -> None:
    store = SqlStore(engine)
    with pytest.raises(ValueError, match=r"opens\[0\]\.start"):
        store.commit_ledger(opens(T0, segment("pod-a", datetime(2026, 4, 1), 1.0)))
    with pytest.raises(ValueError, match="since"):
        store.workload_spend_since(datetime(2026, 4, 1))
    assert store.ledger().open == {}
    assert store.ledger().covered == {}


def test_a_failing_commit_writes_nothing(engine: Engine) -> None:
    store = SqlStore(engine)
    good = segment("pod-a", T0, 1.0)
    backwards = segment("pod-b", T0, -1.0)
    with pytest.raises(ValueError, match=r"opens\[1\].*before start"):
        store.commit_ledger(opens(T0, good, backwards))
    assert store.workload_costs() == {}


def test_below_the_horizon_spend_comes_from_the_hourly_rollup_pro_rata_within_the_hour(store: Store) -> None:
    # Two workloads at different prices, 30-minute segments from 22:00 to 04:00.
    halves = timedelta(minutes=30)
    segments = [segment("pod-a", T0 + i * halves, 30.0) for i in range(12)]
    segments += [segment("pod-b", T0 + i * halves, 30.0, hourly_usd=12.0, workload="w2") for i in range(12)]
    store.commit_ledger(opens(T0 + 6 * H, *segments))
    since = T0 + timedelta(hours=1, minutes=15)  # 23:15, inside a segment and inside an hour
    before = store.workload_spend_since(since)
    expected: dict[str, float] = {}
    for s in segments:
        assert s.end is not None
        expected[s.workload_uid] = expected.get(s.workload_uid, 0.0) + s.hourly_usd * max(
            0.0, (s.end - max(s.start, since)).total_seconds() / 3600
        )
    assert before == pytest.approx(expected)
    store.prune(T0 + timedelta(hours=3, minutes=10))  # horizon 01:10, not on an hour
    assert store.workload_spend_since(since) == pytest.approx(before)


def test_an_in_memory_database_works_for_tests_and_demos() -> None:
    from monitor.adapters.store.migrate import ensure_schema

    engine = create_store_engine("sqlite://")
    try:
        ensure_schema(engine, auto_upgrade=True)
        store = SqlStore(engine)
        store.ping()
        assert store.commit_ledger(opens(T0 + H, segment("pod-a", T0, 1.0))) == 1
        assert store.workload_costs() == pytest.approx({"w1": 0.6})
    finally:
        engine.dispose()
