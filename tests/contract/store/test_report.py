"""`trainspend report` against the real store (SQLite and PostgreSQL): spend in [since, until) per namespace, team,
Kueue queue or job, as CSV, JSON and FOCUS; every expectation is hourly price × the hours inside the period."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine
from typer.testing import CliRunner

from monitor.adapters.store.repository import SqlStore
from monitor.cli.main import build_app
from monitor.core.domain.report import FOCUS_COLUMNS, GroupBy, report_rows
from tests.contract.store.builders import T0, closes, job, opens, segment

H = timedelta(hours=1)


def _fill(engine: Engine) -> None:
    """w1 (ml/llama, team research, queue team-a): $36/h 22:00-01:00; w2 (ml/bert, no team, no queue): $12/h
    23:00-00:00; w3 has cost but no Job snapshot."""
    store = SqlStore(engine)
    a = segment("pod-a", T0, None)
    b = segment("pod-b", T0 + H, None, hourly_usd=12.0, workload="w2")
    c = segment("pod-c", T0, None, hourly_usd=6.0, workload="w3")
    store.commit_ledger(opens(T0, a, c))
    store.commit_ledger(opens(T0 + H, b))
    store.commit_ledger(closes(T0 + 2 * H, (b, T0 + 2 * H), (c, T0 + H)))
    store.commit_ledger(closes(T0 + 3 * H, (a, T0 + 3 * H)))
    llama = job("w1").model_copy(update={"queue": "team-a"})
    bert = job("w2", name="bert").model_copy(update={"team": ""})
    store.save_jobs(T0 + 3 * H, [llama, bert])


def _report(engine: Engine, *args: str) -> str:
    url = engine.url.render_as_string(hide_password=False)
    since, until = (T0 + H).isoformat(), (T0 + 3 * H).isoformat()  # 23:00 to 01:00
    result = CliRunner().invoke(build_app(), ["report", "--url", url, "--since", since, "--until", until, *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_json_by_team_counts_only_the_period(engine: Engine) -> None:
    _fill(engine)
    body = json.loads(_report(engine, "--group-by", "team", "--format", "json"))
    rows = {r["group"]: r["usd"] for r in body["rows"]}
    assert rows == pytest.approx({"research": 72.0, "(none)": 12.0})  # w3 spent only before 23:00
    assert body["total_usd"] == pytest.approx(84.0)
    assert body["currency"] == "USD"


def test_csv_by_queue_and_by_job(engine: Engine) -> None:
    _fill(engine)
    by_queue = list(csv.DictReader(io.StringIO(_report(engine, "--group-by", "queue"))))
    assert [(r["queue"], float(r["usd"])) for r in by_queue] == [("team-a", 72.0), ("(none)", 12.0)]
    by_job = list(csv.DictReader(io.StringIO(_report(engine, "--group-by", "job"))))
    assert {r["job"] for r in by_job} == {"ml/llama", "ml/bert"}


def test_focus_uses_the_specs_column_names(engine: Engine) -> None:
    _fill(engine)
    rows = list(csv.DictReader(io.StringIO(_report(engine, "--format", "focus"))))
    assert tuple(rows[0]) == FOCUS_COLUMNS
    (ml,) = rows
    assert float(ml["BilledCost"]) == pytest.approx(84.0)
    assert ml["BillingCurrency"] == "USD"
    assert ml["ChargeCategory"] == "Usage"
    assert ml["SubAccountName"] == "ml"
    assert ml["ChargePeriodStart"] == (T0 + H).isoformat()
    assert json.loads(ml["Tags"]) == {"trainspend/namespace": "ml"}


def test_a_backwards_period_and_a_bad_time_exit_2_naming_the_flag(engine: Engine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    back = CliRunner().invoke(build_app(), ["report", "--url", url, "--since", "2026-02-01", "--until", "2026-01-01"])
    assert back.exit_code == 2
    assert "--until" in back.output
    bad = CliRunner().invoke(build_app(), ["report", "--url", url, "--since", "yesterday"])
    assert bad.exit_code == 2
    assert "--since yesterday" in bad.output


@given(st.dictionaries(st.sampled_from(["w1", "w2", "w3", "w4"]), st.floats(0, 1e6, allow_nan=False)),
       st.sampled_from(list(GroupBy)))  # fmt: skip
def test_rows_add_up_to_the_spend(spend: dict[str, float], group_by: GroupBy) -> None:
    jobs = [job("w1"), job("w2", name="bert").model_copy(update={"team": "", "queue": "q"})]
    rows = report_rows(spend, jobs, group_by)
    assert sum(r.usd for r in rows) == pytest.approx(sum(spend.values()))
    assert len({r.group for r in rows}) == len(rows)


def test_api_report_matches_the_cli_over_http(engine: Engine) -> None:
    from monitor.core.state import LatestResult
    from monitor.http.api import ApiDeps, HttpApi

    _fill(engine)
    store = SqlStore(engine)
    deps = ApiDeps(
        latest=LatestResult(),
        metrics=lambda: b"",
        readiness=lambda: (True, {}),
        history=store.jobs,
        spend_since=store.workload_spend_since,
    )
    api = HttpApi(deps, "127.0.0.1", 0)
    api.start()
    host, port = api.address
    period = {"since": (T0 + H).isoformat(), "until": (T0 + 3 * H).isoformat()}
    try:
        as_json = httpx.get(f"http://{host}:{port}/api/v1/report", params={**period, "group_by": "team"}, timeout=5)
        focus = httpx.get(f"http://{host}:{port}/api/v1/report", params={**period, "format": "focus"}, timeout=5)
        bad = httpx.get(f"http://{host}:{port}/api/v1/report", params={**period, "group_by": "teams"}, timeout=5)
        typo = httpx.get(f"http://{host}:{port}/api/v1/report", params={**period, "sinse": "x"}, timeout=5)
    finally:
        api.stop()
    assert as_json.status_code == 200
    assert as_json.json() == json.loads(_report(engine, "--group-by", "team", "--format", "json"))
    assert focus.headers["content-type"].startswith("text/csv")
    assert focus.text == _report(engine, "--format", "focus")
    assert bad.status_code == 400
    assert "teams" in bad.json()["error"]
    assert typo.status_code == 400
    assert "sinse" in typo.json()["error"]
