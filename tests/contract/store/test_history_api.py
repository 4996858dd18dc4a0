"""`/api/v1/jobs/{ns}/{name}/history` over real HTTP, fed by the real store: the Job's spend per UTC hour with its
running total, ending at the cost the store accrued; unknown jobs and paths are JSON 404s."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import Engine

from monitor.adapters.store.repository import SqlStore
from monitor.core.domain.result import TickResult
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
