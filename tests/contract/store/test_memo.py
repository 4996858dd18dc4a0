"""The store keeps watermarks and totals in memory; another writer on the same database must never make them stale."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine

from monitor.store.engine import create_store_engine
from monitor.store.repository import SqlStore
from tests.contract.store.builders import T0, chain, sample


def test_a_second_writer_is_seen_by_the_first_on_its_next_read(db_url: str, engine: Engine) -> None:
    mine = SqlStore(engine)
    first = chain("pod-a", T0, 2)
    mine.commit_tick(T0, first, [])
    assert mine.watermarks() == {"pod-a": first[-1].end}
    other_engine = create_store_engine(db_url)
    try:
        later = sample("pod-a", first[-1].end, 1.0)
        assert SqlStore(other_engine).commit_tick(T0, [later], []) == 1
    finally:
        other_engine.dispose()
    assert mine.watermarks() == {"pod-a": later.end}
    assert mine.workload_costs() == pytest.approx({"w1": sum(r.usd for r in [*first, later])})
    # The first writer, continuing from its own stale view, counts nothing twice.
    assert mine.commit_tick(T0, [sample("pod-a", first[-1].end, 2.0)], []) == 0
    assert mine.workload_costs() == pytest.approx({"w1": sum(r.usd for r in [*first, later])})


def test_a_stale_in_memory_view_inside_commit_is_reloaded_before_admitting_rows(db_url: str, engine: Engine) -> None:
    mine = SqlStore(engine)
    mine.commit_tick(T0, chain("pod-a", T0, 1), [])
    mine.watermarks()  # the in-memory view is now current
    other_engine = create_store_engine(db_url)
    try:
        SqlStore(other_engine).commit_tick(T0, [sample("pod-a", T0 + timedelta(seconds=30), 1.0)], [])
    finally:
        other_engine.dispose()
    # Starts inside what the other writer accrued: refused, because commit_tick checks the database's token.
    inside = sample("pod-a", T0 + timedelta(seconds=60), 1.0)
    assert mine.commit_tick(T0, [inside], []) == 0
    assert mine.watermarks()["pod-a"] == T0 + timedelta(seconds=90)


def test_totals_in_memory_equal_the_database_after_many_ticks(db_url: str, engine: Engine) -> None:
    store = SqlStore(engine)
    rows = chain("pod-a", T0, 30, hourly_usd=3.7) + chain("pod-b", T0, 30, hourly_usd=11.3, workload="w2")
    for i in range(30):
        store.commit_tick(T0, [rows[i], rows[30 + i]], [])
    fresh_engine = create_store_engine(db_url)
    try:
        fresh = SqlStore(fresh_engine)
        assert store.workload_costs() == fresh.workload_costs()  # exactly: the same float additions
        assert store.watermarks() == fresh.watermarks()
    finally:
        fresh_engine.dispose()


def test_pruning_drops_the_in_memory_watermarks_too(engine: Engine) -> None:
    store = SqlStore(engine)
    rows = chain("pod-a", T0, 2)
    store.commit_tick(T0, rows, [])
    assert store.watermarks() == {"pod-a": rows[-1].end}
    store.prune(rows[-1].end)
    assert store.watermarks() == {}
    assert store.workload_costs() == pytest.approx({"w1": sum(r.usd for r in rows)})


def test_a_row_the_watermark_admits_but_the_key_refuses_is_reported_as_not_inserted(engine: Engine) -> None:
    """A zero-length sample at the watermark is admitted by the watermark check yet already stored: the bulk insert
    must notice the conflict and count only the rows really inserted (and add only their cost)."""
    store = SqlStore(engine)
    first = chain("pod-a", T0, 1)
    empty = sample("pod-a", first[-1].end, 0.0)
    assert store.commit_tick(T0, [*first, empty], []) == 2
    following = sample("pod-b", T0, 1.0, workload="w2")
    assert store.commit_tick(T0, [empty, following], []) == 1
    assert store.workload_costs() == pytest.approx({"w1": first[0].usd, "w2": following.usd})


def test_timestamps_written_in_bulk_compare_correctly_in_sql(engine: Engine) -> None:
    store = SqlStore(engine)
    rows = chain("pod-a", T0, 4, minutes=15)
    store.commit_tick(T0, rows, [])
    assert store.workload_spend_since(T0 + timedelta(minutes=30)) == pytest.approx({"w1": rows[2].usd + rows[3].usd})
