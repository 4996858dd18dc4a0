"""`/api/v1/jobs/{ns}/{name}/history` over real HTTP, fed by the real store: the Job's spend per UTC hour with its
running total, ending at the cost the store accrued, and its projection at every snapshot saved; unknown jobs and paths
are JSON 404s."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import Engine

from monitor.adapters.store.repository import SqlStore
from monitor.core.domain.result import Band, TickResult
from monitor.core.state import LatestResult
from monitor.http.api import ApiDeps, HttpApi
from tests.contract.store.builders import T0, job, opens, segment

H = timedelta(hours=1)


def _serve(store: SqlStore, latest: LatestResult, hourly: bool = True) -> HttpApi:
    deps = ApiDeps(
        latest=latest,
        metrics=lambda: b"",
        readiness=lambda: (True, {}),
        history=store.jobs,
        hourly_spend=store.workload_hourly_usd if hourly else None,
    )
    api = HttpApi(deps, "127.0.0.1", 0)
    api.start()
    return api


def test_history_lists_hours_and_their_running_total(engine: Engine) -> None:
    store = SqlStore(engine)
    store.commit_ledger(opens(T0 + 30 * timedelta(minutes=1), segment("pod-a", T0 + 30 * timedelta(minutes=1), None)))
    store.commit_ledger(opens(T0 + 2 * H))  # accrued to 00:00: 22:30-23:00 $18, 23:00-00:00 $36
    cost = store.workload_costs()["w1"]
    latest = LatestResult()
    latest.publish(TickResult(cluster="c", at=T0 + 2 * H, jobs=(job("w1", cost_usd=cost),)))
    api = _serve(store, latest)
    host, port = api.address
    try:
        response = httpx.get(f"http://{host}:{port}/api/v1/jobs/ml/llama/history", timeout=5)
        missing = httpx.get(f"http://{host}:{port}/api/v1/jobs/ml/nope/history", timeout=5)
        wrong = httpx.get(f"http://{host}:{port}/api/v1/jobs/ml/llama/histogram", timeout=5)
    finally:
        api.stop()
    assert response.status_code == 200
    body = response.json()
    assert (body["namespace"], body["name"], body["uid"]) == ("ml", "llama", "w1")
    assert [h["hour"] for h in body["hours"]] == [T0.isoformat(), (T0 + H).isoformat()]
    assert [h["usd"] for h in body["hours"]] == pytest.approx([18.0, 36.0])
    assert [h["cumulative_usd"] for h in body["hours"]] == pytest.approx([18.0, 54.0])
    assert body["hours"][-1]["cumulative_usd"] == pytest.approx(body["cost_usd"])
    assert missing.status_code == 404
    assert "no job ml/nope" in missing.json()["error"]
    assert wrong.status_code == 404
    assert "[/history]" in wrong.json()["error"]


def test_history_without_a_store_is_a_clear_404(engine: Engine) -> None:
    store = SqlStore(engine)
    latest = LatestResult()
    latest.publish(TickResult(cluster="c", at=T0, jobs=(job("w1"),)))
    api = _serve(store, latest, hourly=False)
    host, port = api.address
    try:
        response = httpx.get(f"http://{host}:{port}/api/v1/jobs/ml/llama/history", timeout=5)
    finally:
        api.stop()
    assert response.status_code == 404
    assert "not enabled" in response.json()["error"]


def test_history_lists_the_projection_of_every_snapshot_saved_oldest_first(engine: Engine) -> None:
    store = SqlStore(engine)
    saves = [
        (
            T0 + 2 * H,
            job("w1", cost_usd=20.0).model_copy(update={"projected_cost_usd": Band(p10=80, p50=100, p90=130)}),
        ),
        (T0, job("w1", cost_usd=5.0).model_copy(update={"projected_cost_usd": Band(p10=60, p50=90, p90=150)})),
        (T0 + H, job("w1", cost_usd=12.0).model_copy(update={"projected_cost_usd": None})),  # nothing to chart
        (T0 + 3 * H, job("w2", name="other")),  # another Job's snapshot stays its own
    ]
    for at, status in saves:
        store.save_jobs(at, [status])
    store.save_jobs(T0, [job("w1", cost_usd=999.0)])  # a replayed save at the same instant adds nothing
    latest = LatestResult()
    latest.publish(TickResult(cluster="c", at=T0 + 3 * H, jobs=(job("w1", cost_usd=30.0),)))
    api = HttpApi(
        ApiDeps(
            latest=latest,
            metrics=lambda: b"",
            readiness=lambda: (True, {}),
            history=store.jobs,
            hourly_spend=store.workload_hourly_usd,
            projection_history=store.projection_history,
        ),
        "127.0.0.1",
        0,
    )
    api.start()
    host, port = api.address
    try:
        body = httpx.get(f"http://{host}:{port}/api/v1/jobs/ml/llama/history", timeout=5).json()
    finally:
        api.stop()
    points = body["projections"]
    assert [p["at"] for p in points] == [T0.isoformat(), (T0 + 2 * H).isoformat()]
    assert [p["cost_usd"] for p in points] == [5.0, 20.0]
    assert [p["projected_cost_usd"] for p in points] == [
        {"p10": 60.0, "p50": 90.0, "p90": 150.0},
        {"p10": 80.0, "p50": 100.0, "p90": 130.0},
    ]
    assert points[0]["expected_completion"] == (T0 + 3 * H).isoformat()
    assert points[0]["progress"] == pytest.approx(0.1)


def test_pruning_drops_the_projection_history_older_than_the_retention(engine: Engine) -> None:
    store = SqlStore(engine)
    for hours in range(4):
        store.save_jobs(T0 + hours * H, [job("w1", cost_usd=float(hours))])
    store.prune(T0 + H)
    assert [p.at for p in store.projection_history("w1")] == [T0 + 2 * H, T0 + 3 * H]
    assert store.projection_history("nobody") == []


def test_only_the_jobs_named_in_points_add_to_the_projection_history(engine: Engine) -> None:
    store = SqlStore(engine)
    store.save_jobs(T0, [job("w1"), job("w2", name="bert")], points={"w2"})
    store.save_jobs(T0 + H, [job("w1"), job("w2", name="bert")], points=frozenset())
    store.save_jobs(T0 + 2 * H, [job("w1"), job("w2", name="bert")])  # None: every job's
    assert [p.at for p in store.projection_history("w1")] == [T0 + 2 * H]
    assert [p.at for p in store.projection_history("w2")] == [T0, T0 + 2 * H]
    assert {s.ref.uid for s in store.jobs()} == {"w1", "w2"}  # the snapshots themselves are saved either way
