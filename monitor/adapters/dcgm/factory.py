"""Builds the GPU utilization source from `settings.dcgm` (the composition root calls this)."""

from __future__ import annotations

import httpx

from monitor.adapters.dcgm.poller import Fetcher, UtilizationPoller
from monitor.adapters.dcgm.prometheus import PrometheusUtilization
from monitor.adapters.dcgm.scrape import DcgmScrape
from monitor.config.settings import DcgmSettings


def build_utilization(settings: DcgmSettings) -> UtilizationPoller | None:
    """None when disabled. With `prometheus_url` the readings come from that Prometheus, else from `endpoints`."""
    if not settings.enabled:
        return None
    client = httpx.Client(timeout=settings.request_timeout_seconds, follow_redirects=False)
    fetcher: Fetcher
    if settings.prometheus_url:
        fetcher = PrometheusUtilization(client, settings.prometheus_url, settings.metric, settings.window_seconds)
    else:
        fetcher = DcgmScrape(client, settings.endpoints, settings.metric)
    return UtilizationPoller(fetcher, settings.stale_after_seconds)
