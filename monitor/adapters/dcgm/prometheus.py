"""Per-pod utilization through the Prometheus HTTP API: one instant query of the metric averaged over a window.

API: `GET /api/v1/query?query=…` → `{"status": "success", "data": {"resultType": "vector", "result": [{"metric":
{labels}, "value": [<unix time>, "<value>"]}]}}` (prometheus/docs content/docs/prometheus/latest/querying/api.md).
`avg_over_time` keeps each series' labels (it drops the metric name only), so the pod mapping of `readings` applies
as it does to a direct scrape.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from monitor.adapters.dcgm.http import get_text
from monitor.adapters.dcgm.readings import PodKey, per_pod
from monitor.core.errors import UtilizationError


def query_for(metric: str, window_seconds: int) -> str:
    return f"avg_over_time({metric}[{window_seconds}s])"


class PrometheusUtilization:
    def __init__(self, client: httpx.Client, base_url: str, metric: str, window_seconds: int) -> None:
        self._client = client
        self._url = base_url.rstrip("/") + "/api/v1/query"
        self._metric = metric
        self._query = query_for(metric, window_seconds)
        self.partial_errors = 0  # one endpoint: it answers or the fetch fails

    def close(self) -> None:
        self._client.close()

    def fetch(self) -> dict[PodKey, float]:
        status, text = get_text(self._client, self._url, {"query": self._query}, error_bodies=True)
        try:
            body: Any = json.loads(text)
        except (ValueError, RecursionError) as error:
            raise UtilizationError(f"Prometheus sent malformed JSON (HTTP {status}): {error}") from error
        if not isinstance(body, dict) or body.get("status") != "success":
            error_text = str(body.get("error", ""))[:200] if isinstance(body, dict) else ""
            raise UtilizationError(
                f"Prometheus query {self._query!r} failed (HTTP {status}): {error_text or 'no success status'}"
            )
        data = body.get("data")
        if not isinstance(data, dict) or data.get("resultType") != "vector" or not isinstance(data.get("result"), list):
            raise UtilizationError(f"Prometheus query {self._query!r} did not answer an instant vector")
        samples: list[tuple[dict[str, str], float]] = []
        for item in data["result"]:
            labels, value = _sample(item)
            if labels is not None:
                samples.append((labels, value))
        return per_pod(samples, self._metric)


def _sample(item: object) -> tuple[dict[str, str] | None, float]:
    """One vector element; a malformed one is skipped (None), never fatal to the others."""
    if not isinstance(item, dict) or not isinstance(item.get("metric"), dict):
        return None, 0.0
    value = item.get("value")
    if not isinstance(value, list) or len(value) != 2:
        return None, 0.0
    try:
        number = float(value[1])
    except (TypeError, ValueError):
        return None, 0.0
    return {str(k): str(v) for k, v in item["metric"].items()}, number
