"""The store keeps the ledger in memory; another writer on the same database must never make it stale."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine

from monitor.adapters.store.engine import create_store_engine
from monitor.adapters.store.repository import SqlStore
from monitor.core.domain.accrual import LedgerChanges
from tests.contract.store.builders import T0, closes, opens, segment

H = timedelta(hours=1)


def test_a_second_writer_is_seen_by_the_first_on_its_next_read(db_url: str, engine: Engine) -> None:
    mine = SqlStore(engine)
    a = segment("pod-a", T0, None)
    mine.commit_ledger(opens(T0, a))
    assert list(mine.ledger().open) == ["pod-a"]
    other_engine = create_store_engine(db_url)
    try:
        assert SqlStore(other_engine).commit_ledger(closes(T0 + H, (a, T0 + H))) == 1
    finally:
        other_engine.dispose()
    assert mine.ledger().open == {}
    assert mine.workload_costs() == pytest.approx({"w1": 36.0})
    # The first writer, continuing from its own stale view, counts nothing twice.
    assert mine.commit_ledger(closes(T0 + 2 * H, (a, T0 + 2 * H))) == 0
    assert mine.workload_costs() == pytest.approx({"w1": 36.0})


def test_a_stale_in_memory_view_inside_commit_is_reloaded_before_applying(db_url: str, engine: Engine) -> None:
    mine = SqlStore(engine)
    a = segment("pod-a", T0, None)
    mine.commit_ledger(opens(T0, a))
    mine.ledger()  # the in-memory view is now current
    other_engine = create_store_engine(db_url)
    try:
        SqlStore(other_engine).commit_ledger(closes(T0 + H, (a, T0 + H)))
    finally:
        other_engine.dispose()
    assert mine.commit_ledger(closes(T0 + 2 * H, (a, T0 + 2 * H))) == 0  # no longer open: the token said so
    assert mine.workload_costs() == pytest.approx({"w1": 36.0})


def test_the_in_memory_ledger_equals_the_database_after_many_ticks(db_url: str, engine: Engine) -> None:
    store = SqlStore(engine)
    for i in range(30):
        start = T0 + i * timedelta(minutes=7)
        previous = [(segment("pod-a", T0 + (i - 1) * timedelta(minutes=7), None, hourly_usd=3.7 + i - 1), start)]
        store.commit_ledger(
            LedgerChanges(
                at=start,
                closes=closes(start, *previous).closes if i else (),
                opens=(segment("pod-a", start, None, hourly_usd=3.7 + i),),
            )
        )
    fresh_engine = create_store_engine(db_url)
    try:
        fresh = SqlStore(fresh_engine)
        assert store.workload_costs() == fresh.workload_costs()  # exactly: the same float additions
        assert store.ledger().covered == fresh.ledger().covered
        assert store.ledger().open == fresh.ledger().open
    finally:
        fresh_engine.dispose()


def test_pruning_reloads_the_in_memory_ledger(engine: Engine) -> None:
    store = SqlStore(engine)
    store.commit_ledger(opens(T0 + H, segment("pod-a", T0, 30.0)))
    assert store.ledger().covered == {"pod-a": T0 + timedelta(minutes=30)}
    store.prune(T0 + H)
    assert store.ledger().covered == {}
    assert store.workload_costs() == pytest.approx({"w1": 18.0})
