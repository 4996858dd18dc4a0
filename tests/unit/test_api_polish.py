"""The read API's contract details: errors that name the parameter and the fix, unknown parameters refused, JSON 405
for anything but GET, and list responses that say which cluster and which tick they reflect."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from http import HTTPStatus

import httpx
import pytest

from monitor.core.domain.model import WorkloadRef
from monitor.core.domain.result import TickResult, WorkloadStatus
from monitor.core.state import LatestResult
from monitor.http.api import ApiDeps, HttpApi, RouteError, route
from monitor.http.estimate_api import estimate_from_query

AT = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def _job(name: str, budget_state: str = "") -> WorkloadStatus:
    return WorkloadStatus(
        ref=WorkloadRef(kind="Job", api_version="batch/v1", namespace="ml", name=name, uid=name),
        cost_usd=10.0,
        hourly_cost_usd=1.0,
        budget_usd=100.0 if budget_state else None,
        budget_state=budget_state,
        price_source="catalog",
        price_as_of="2026-07-20",
    )


def _deps(latest: LatestResult | None = None) -> ApiDeps:
    return ApiDeps(
        latest=latest or LatestResult(),
        metrics=lambda: b"",
        readiness=lambda: (True, {}),
        history=list,
        estimate=estimate_from_query,
    )


def _published() -> LatestResult:
    latest = LatestResult()
    latest.publish(TickResult(cluster="prod-eu", at=AT, jobs=(_job("a", "warning"), _job("b"))))
    return latest


def _get(deps: ApiDeps, path: str, **query: str) -> dict[str, object]:
    status, ctype, body = route(deps, path, query)
    assert status == HTTPStatus.OK
    assert ctype == "application/json"
    result: dict[str, object] = json.loads(body)
    return result


def _error(deps: ApiDeps, path: str, **query: str) -> str:
    with pytest.raises(RouteError) as info:
        route(deps, path, query)
    assert info.value.status == HTTPStatus.BAD_REQUEST
    return info.value.message


def test_lists_carry_cluster_and_the_ticks_time() -> None:
    deps = _deps(_published())
    for path in ("/api/v1/jobs", "/api/v1/budgets"):
        body = _get(deps, path)
        assert (body["cluster"], body["as_of"]) == ("prod-eu", AT.isoformat())


def test_lists_before_the_first_tick_say_so_with_nulls() -> None:
    body = _get(_deps(), "/api/v1/budgets")
    assert (body["cluster"], body["as_of"], body["items"]) == (None, None, [])


def test_job_items_carry_budget_state_and_price_flags() -> None:
    items = _get(_deps(_published()), "/api/v1/jobs")["items"]
    assert isinstance(items, list)
    by_name = {item["name"]: item for item in items}
    assert by_name["a"]["budget_state"] == "warning"
    assert by_name["b"]["budget_state"] is None  # no budget-usd annotation
    assert set(by_name["a"]["price"]) == {"source", "as_of", "estimated", "stale"}
    assert by_name["a"]["price"]["source"] == "catalog"


def test_unknown_query_parameters_are_refused_by_name() -> None:
    deps = _deps(_published())
    message = _error(deps, "/api/v1/jobs", namepsace="ml")
    assert "namepsace" in message
    assert "namespace" in message
    assert "limit" in _error(deps, "/api/v1/budgets", limit="3")
    with pytest.raises(RouteError) as info:
        route(deps, "/api/v1/estimate", {"model": "llama-3-8b", "tokens": "2e9", "gpu_count": "8"})
    assert info.value.status == HTTPStatus.BAD_REQUEST
    assert "gpu_count" in info.value.message
    assert "gpus" in info.value.message


def test_the_namespace_filter_still_works() -> None:
    assert len(_get(_deps(_published()), "/api/v1/jobs", namespace="ml")["items"]) == 2  # type: ignore[arg-type]
    assert _get(_deps(_published()), "/api/v1/jobs", namespace="other")["items"] == []


@pytest.mark.parametrize(
    ("query", "fragments"),
    [
        ({"gpus": "0"}, ["gpus='0'", "positive integer"]),
        ({"gpus": "eight"}, ["gpus='eight'", "positive integer"]),
        ({"method": "lorra"}, ["method='lorra'", "full, lora, qlora"]),
        ({"model": "llama-9"}, ["model='llama-9'", "llama-3-8b"]),
        ({"tokens": "abc"}, ["tokens='abc'", "2e9"]),
        ({"tokens": ""}, ["tokens: required", "tokens=2e9"]),
        ({"precision": "fp64"}, ["precision='fp64'", "bf16, fp32-amp"]),
        ({"seq_len": "0"}, ["seq_len='0'", "positive integer"]),
        ({"lora_rank": "-1", "method": "lora"}, ["lora_rank='-1'"]),
        ({"gpu": "X100"}, ["gpu='X100'", "closest"]),
    ],
)
def test_estimate_errors_name_parameter_value_and_fix(query: dict[str, str], fragments: list[str]) -> None:
    message = _error(_deps(), "/api/v1/estimate", **{"model": "llama-3-8b", "tokens": "2e9", **query})
    for fragment in fragments:
        assert fragment in message
    assert "pydantic" not in message
    assert "http" not in message


def test_estimate_accepts_a_valid_query() -> None:
    body = _get(_deps(), "/api/v1/estimate", model="llama-3-8b", tokens="2e9", gpus="8", method="LoRA")
    assert body["params"]["trainable"] > 0  # type: ignore[index]


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    api = HttpApi(_deps(_published()), "127.0.0.1", 0)
    api.start()
    host, port = api.address
    yield f"http://{host}:{port}"
    api.stop()


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
def test_other_methods_get_a_json_405_with_allow_get(server: str, method: str) -> None:
    response = httpx.request(method, f"{server}/api/v1/jobs", timeout=5)
    assert response.status_code == 405
    assert response.headers["allow"] == "GET"
    assert response.headers["content-type"] == "application/json"
    assert method in response.json()["error"]


def test_head_gets_405_without_a_body(server: str) -> None:
    response = httpx.head(f"{server}/api/v1/jobs", timeout=5)
    assert response.status_code == 405
    assert response.headers["allow"] == "GET"
    assert response.content == b""


def test_get_over_http_returns_the_list_and_a_400_names_the_parameter(server: str) -> None:
    ok = httpx.get(f"{server}/api/v1/jobs", timeout=5)
    assert ok.status_code == 200
    assert ok.json()["cluster"] == "prod-eu"
    bad = httpx.get(
        f"{server}/api/v1/estimate", params={"model": "llama-3-8b", "tokens": "2e9", "gpus": "0"}, timeout=5
    )
    assert bad.status_code == 400
    assert "gpus='0'" in bad.json()["error"]


def test_estimate_takes_every_layout_option_the_cli_takes() -> None:
    from estimator.layout_options import layout_options
    from monitor.http.estimate_api import ESTIMATE_PARAMETERS

    assert {o.name for o in layout_options()} <= set(ESTIMATE_PARAMETERS)
    # Megatron Bridge's Llama-3.1-405B layout: TP 8 × PP 8 × CP 2, 8 chunks per stage, on 1,024 H100s
    query = {"model": "llama-3.1-405b", "tokens": "1e12", "gpus": "1024", "seq_len": "8192", "precision": "fp8"}
    layout = {"tensor_parallel": "8", "pipeline_parallel": "8", "context_parallel": "2", "virtual_stages": "8"}
    kernels = {"layer_kernels": "fused", "attention_kernel": "cudnn", "zero_stage": "1"}
    body = _get(_deps(), "/api/v1/estimate", **query, **layout, **kernels)
    names = {a["name"]: a["value"] for a in body["assumptions"]}  # type: ignore[union-attr]
    assert "v = 8" in names["pipeline bubble"]
    assert "c = 2" in names["context parallel"]
    assert names["layer kernels"] == "fused"
    assert names["attention kernel"].startswith("cudnn")
    eager = _get(_deps(), "/api/v1/estimate", **query, **layout, **{**kernels, "layer_kernels": "eager"})
    # fused layers move fewer bytes than eager ones: the option reaches the time model
    assert body["time"]["step_seconds"] < eager["time"]["step_seconds"]  # type: ignore[index]


@pytest.mark.parametrize(
    ("query", "fragments"),
    [
        ({"context_parallel": "0"}, ["context_parallel='0'", "positive integer"]),
        ({"attention_kernel": "fa4"}, ["attention_kernel='fa4'", "fa2, fa3, cudnn"]),
        ({"zero_stage": "5"}, ["zero_stage='5'", "0-3"]),
        ({"virtual_stages": "2"}, ["virtual_stages=2", "pipeline parallel > 1"]),
        ({"tensor_parallel": "3", "gpus": "8"}, ["gpus=8", "multiple of tensor x pipeline x context"]),
    ],
)
def test_bad_layout_options_name_parameter_value_and_fix(query: dict[str, str], fragments: list[str]) -> None:
    message = _error(_deps(), "/api/v1/estimate", **{"model": "llama-3-8b", "tokens": "2e9", **query})
    for fragment in fragments:
        assert fragment in message
