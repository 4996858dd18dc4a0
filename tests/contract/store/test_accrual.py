"""Store contract: accrual is idempotent, survives restarts and pruning, and never counts twice."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine

from monitor.ports import AccrualRow
from monitor.store.engine import create_store_engine
from monitor.store.repository import SqlStore
from tests.contract.store.builders import T0, chain, job, sample


def _total(rows: list[AccrualRow]) -> float:
    return sum((row.usd for row in rows), 0.0)


def test_replayed_tick_counts_nothing_twice(engine: Engine) -> None:
    store = SqlStore(engine)
    rows = chain("pod-a", T0, 4) + chain("pod-b", T0, 4, workload="w2")
    assert store.commit_tick(T0 + timedelta(minutes=2), rows, []) == len(rows)
    assert store.commit_tick(T0 + timedelta(minutes=2), rows, []) == 0
    costs = store.workload_costs()
    assert costs["w1"] == pytest.approx(_total(rows[:4]))
    assert costs["w2"] == pytest.approx(_total(rows[4:]))
    assert store.watermarks() == {"pod-a": rows[3].end, "pod-b": rows[7].end}


def test_overlapping_tick_from_a_stale_watermark_is_skipped_and_loses_nothing(engine: Engine) -> None:
    store = SqlStore(engine)
    first = chain("pod-a", T0, 2)  # accrued to T0+1min
    store.commit_tick(T0 + timedelta(minutes=1), first, [])
    # A replica that read the watermark before `first` committed accrues [T0, T0+3min) in one row: same key.
    stale = sample("pod-a", T0, 3)
    # ... or from a start inside the already accrued span: below the watermark.
    inside = sample("pod-a", T0 + timedelta(seconds=30), 2.5)
    assert store.commit_tick(T0 + timedelta(minutes=3), [stale, inside], []) == 0
    assert store.watermarks()["pod-a"] == first[-1].end
    # The next tick accrues from the watermark, so the span the skipped rows covered is not lost.
    following = sample("pod-a", first[-1].end, 2)
    assert store.commit_tick(T0 + timedelta(minutes=3), [following], []) == 1
    assert store.workload_costs()["w1"] == pytest.approx(36.0 * 3 / 60)


def test_concurrent_writers_count_each_interval_once(db_url: str, engine: Engine) -> None:
    rows = chain("pod-a", T0, 50) + chain("pod-b", T0, 50, workload="w2")
    engines = [create_store_engine(db_url) for _ in range(2)]
    barrier = threading.Barrier(len(engines))
    inserted: list[int] = []
    errors: list[BaseException] = []

    def write(e: Engine) -> None:
        try:
            barrier.wait()
            inserted.append(SqlStore(e).commit_tick(T0, rows, []))
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
    assert sum(inserted) == len(rows)
    assert SqlStore(engine).workload_costs() == pytest.approx({"w1": _total(rows[:50]), "w2": _total(rows[50:])})


def test_a_new_engine_on_the_same_database_sees_watermarks_totals_and_jobs(db_url: str, engine: Engine) -> None:
    rows = chain("pod-a", T0, 3)
    SqlStore(engine).commit_tick(T0, rows, [job(cost_usd=_total(rows))])
    engine.dispose()
    restarted = create_store_engine(db_url)
    try:
        store = SqlStore(restarted)
        assert store.watermarks() == {"pod-a": rows[-1].end}
        assert store.workload_costs() == pytest.approx({"w1": _total(rows)})
        assert store.jobs() == [job(cost_usd=_total(rows))]
    finally:
        restarted.dispose()


def test_spend_since_pro_rates_a_sample_that_straddles_the_boundary(engine: Engine) -> None:
    store = SqlStore(engine)
    rows = chain("pod-a", T0, 4, minutes=60)  # 22:00 .. 02:00, $36/h
    store.commit_tick(T0, rows, [])
    since = T0 + timedelta(minutes=90)
    assert store.workload_spend_since(since) == pytest.approx({"w1": 36.0 * 2.5})
    assert store.workload_spend_since(T0 + timedelta(hours=5)) == {}


def test_pruning_keeps_totals_and_month_to_date_spend(engine: Engine) -> None:
    store = SqlStore(engine)
    rows = chain("pod-a", T0, 12, minutes=60)  # 31 Mar 22:00 .. 1 Apr 10:00, $36/h
    store.commit_tick(T0 + timedelta(hours=12), rows, [])
    month_start = datetime(2026, 4, 1, tzinfo=UTC)
    before = store.workload_spend_since(month_start)
    assert before == pytest.approx({"w1": 36.0 * 10})

    deleted = store.prune(T0 + timedelta(hours=6, minutes=30))  # deletes the 6 samples ending by 04:00
    assert deleted == 6
    assert store.workload_costs() == pytest.approx({"w1": _total(rows)})
    assert store.workload_spend_since(month_start) == pytest.approx(before)
    assert store.workload_spend_since(T0) == pytest.approx({"w1": _total(rows)})
    # Above the horizon samples still answer exactly.
    assert store.workload_spend_since(T0 + timedelta(hours=9)) == pytest.approx({"w1": 36.0 * 3})


def test_replay_of_pruned_samples_is_not_counted_again(engine: Engine) -> None:
    store = SqlStore(engine)
    rows = chain("pod-a", T0, 4, minutes=60)
    store.commit_tick(T0, rows, [])
    store.prune(rows[-1].end)  # the pod finished long ago: samples and watermark go
    assert store.watermarks() == {}
    assert store.commit_tick(T0 + timedelta(days=1), rows, []) == 0
    # A row reaching back across the horizon counts only its part after the horizon.
    late = sample("pod-a", rows[-1].start, 120)  # [01:00, 03:00), horizon 02:00
    assert store.commit_tick(T0 + timedelta(days=1), [late], []) == 1
    assert store.workload_costs() == pytest.approx({"w1": _total(rows) + 36.0})


def test_job_snapshots_round_trip_and_an_older_tick_never_overwrites_a_newer_one(engine: Engine) -> None:
    store = SqlStore(engine)
    store.commit_tick(T0 + timedelta(minutes=1), [], [job(cost_usd=5.0), job(uid="w2", name="bert")])
    store.commit_tick(T0 + timedelta(minutes=2), [], [job(cost_usd=6.0, state="Succeeded")])
    store.commit_tick(T0 + timedelta(minutes=1, seconds=30), [], [job(cost_usd=5.5)])
    assert store.jobs() == [job(uid="w2", name="bert"), job(cost_usd=6.0, state="Succeeded")]


def test_datetimes_in_any_zone_come_back_as_the_same_instant_in_utc(engine: Engine) -> None:
    store = SqlStore(engine)
    ist = timezone(timedelta(hours=5, minutes=30))
    start = datetime(2026, 4, 1, 3, 45, 10, 123456, tzinfo=ist)
    row = sample("pod-a", start, 1)
    store.commit_tick(start, [row], [])
    until = store.watermarks()["pod-a"]
    assert until == row.end
    assert until.utcoffset() == timedelta(0)
    assert until.tzinfo is not None


def test_naive_datetimes_are_refused_with_the_field_name(engine: Engine) -> None:
    store = SqlStore(engine)
    with pytest.raises(ValueError, match=r"rows\[0\]\.start"):
        store.commit_tick(T0, [sample("pod-a", datetime(2026, 4, 1), 1)], [])
    with pytest.raises(ValueError, match="since"):
        store.workload_spend_since(datetime(2026, 4, 1))
    assert store.watermarks() == {}


def test_a_failing_tick_writes_nothing(engine: Engine) -> None:
    store = SqlStore(engine)
    good = sample("pod-a", T0, 1)
    backwards = good.model_copy(update={"pod_uid": "pod-b", "end": T0 - timedelta(minutes=1)})
    with pytest.raises(ValueError, match=r"rows\[1\].*before start"):
        store.commit_tick(T0, [good, backwards], [job()])
    assert store.workload_costs() == {}
    assert store.jobs() == []


def test_below_the_horizon_spend_comes_from_the_hourly_rollup_pro_rata_within_the_hour(engine: Engine) -> None:
    store = SqlStore(engine)
    # Two workloads at different prices, 30-minute samples from 22:00 to 04:00.
    rows = chain("pod-a", T0, 12, minutes=30) + chain("pod-b", T0, 12, minutes=30, hourly_usd=12.0, workload="w2")
    store.commit_tick(T0 + timedelta(hours=6), rows, [])
    since = T0 + timedelta(hours=1, minutes=15)  # 23:15, inside a sample and inside an hour
    before = store.workload_spend_since(since)
    assert before == pytest.approx({"w1": 36.0 * 4.75, "w2": 12.0 * 4.75})
    store.prune(T0 + timedelta(hours=3, minutes=10))  # horizon 01:10, not on an hour
    assert store.workload_spend_since(since) == pytest.approx(before)


def test_an_in_memory_database_works_for_tests_and_demos() -> None:
    from monitor.store.migrate import ensure_schema

    engine = create_store_engine("sqlite://")
    try:
        ensure_schema(engine, auto_upgrade=True)
        store = SqlStore(engine)
        store.ping()
        assert store.commit_tick(T0, [sample("pod-a", T0, 1)], []) == 1
        assert store.workload_costs() == pytest.approx({"w1": 0.6})
    finally:
        engine.dispose()
