"""Per-pod utilization by scraping dcgm-exporter's `/metrics` endpoints directly (no Prometheus needed).

The page is the Prometheus text format (NVIDIA/dcgm-exporter internal/pkg/rendermetrics/render_metrics.go), read by
`exposition.samples_of`. The endpoints are a fixed list (`dcgm.endpoints`) or asked for at every read (`dcgm.service`:
the Service's ready pods, monitor.adapters.kube.endpoints, wired by the runtime), so that a node that joins is read
from its first reading and one that left is not asked. An endpoint that fails is skipped and counted; only when all
fail, or discovery fails, is the whole reading a failure.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import httpx

from monitor.adapters.dcgm.exposition import samples_of
from monitor.adapters.dcgm.http import get_text
from monitor.adapters.dcgm.readings import PodKey, per_pod
from monitor.core.errors import UtilizationError

log = logging.getLogger(__name__)


def parse_exposition(text: str, metric: str) -> list[tuple[dict[str, str], float]]:
    """The samples of `metric` in one dcgm-exporter page."""
    return samples_of(text, metric)


class DcgmScrape:
    def __init__(
        self, client: httpx.Client, endpoints: Sequence[str] | Callable[[], Sequence[str]], metric: str
    ) -> None:
        """`endpoints`: the URLs, or a callable that returns them at each read (it raises UtilizationError)."""
        self._client = client
        fixed = () if callable(endpoints) else tuple(endpoints)
        self._endpoints: Callable[[], Sequence[str]] = endpoints if callable(endpoints) else (lambda: fixed)
        self._metric = metric
        self.partial_errors = 0  # endpoints that failed while others answered, cumulative

    def close(self) -> None:
        self._client.close()

    def fetch(self) -> dict[PodKey, float]:
        samples: list[tuple[dict[str, str], float]] = []
        failures: list[str] = []
        endpoints = self._endpoints()
        for url in endpoints:
            try:
                samples.extend(parse_exposition(get_text(self._client, url)[1], self._metric))
            except UtilizationError as error:
                failures.append(str(error))
                log.warning("dcgm-exporter endpoint skipped: %s", error)
        if failures and len(failures) == len(endpoints):
            raise UtilizationError(f"every dcgm-exporter endpoint failed; first: {failures[0]}")
        self.partial_errors += len(failures)
        return per_pod(samples, self._metric)
