"""Store contract: one workload's spend per UTC hour (the Job page's cost curve) is the hourly rollup of closed
segments plus open segments up to the last tick; it adds up to the workload's cost, before and after pruning."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine

from monitor.adapters.store.repository import SqlStore
from tests.contract.store.builders import T0, closes, opens, segment

H = timedelta(hours=1)
M = timedelta(minutes=1)


def test_hours_of_closed_and_open_segments_add_up_to_the_cost(engine: Engine) -> None:
    store = SqlStore(engine)
    closed = segment("pod-a", T0 + 30 * M, None)  # $36/h from 22:30, closed at 23:30
    running = segment("pod-b", T0 + H, None, hourly_usd=12.0)  # $12/h from 23:00, still running at 01:15
    other = segment("pod-c", T0, None, hourly_usd=99.0, workload="w2")
    store.commit_ledger(opens(T0 + H, closed, running, other))
    store.commit_ledger(closes(T0 + 2 * H, (closed, T0 + 90 * M)))
    store.commit_ledger(opens(T0 + 3 * H + 15 * M))  # a steady tick: accrued to 01:15
    hours = store.workload_hourly_usd("w1")
    expected = [
        (T0, 18.0),  # 22:00: half an hour of pod-a
        (T0 + H, 18.0 + 12.0),  # 23:00: the other half hour of pod-a, an hour of pod-b
        (T0 + 2 * H, 12.0),  # 00:00 (the next day, month): pod-b
        (T0 + 3 * H, 3.0),  # 01:00 to the last tick at 01:15
    ]
    assert [h for h, _ in hours] == [h for h, _ in expected]
    assert [usd for _, usd in hours] == pytest.approx([usd for _, usd in expected])
    assert sum(usd for _, usd in hours) == pytest.approx(store.workload_costs()["w1"])
    assert store.workload_hourly_usd("nobody") == []


def test_pruned_segments_keep_their_hours(engine: Engine) -> None:
    store = SqlStore(engine)
    a = segment("pod-a", T0, None)
    store.commit_ledger(opens(T0, a))
    store.commit_ledger(closes(T0 + 2 * H, (a, T0 + 2 * H)))
    before = store.workload_hourly_usd("w1")
    assert store.prune(T0 + 3 * H) == 1
    assert store.workload_hourly_usd("w1") == before
    assert [usd for _, usd in before] == pytest.approx([36.0, 36.0])
