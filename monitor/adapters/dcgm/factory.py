"""Builds the GPU utilization source from `settings.dcgm` (the composition root calls this)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import httpx

from monitor.adapters.dcgm.poller import Fetcher, UtilizationPoller
from monitor.adapters.dcgm.prometheus import PrometheusUtilization
from monitor.adapters.dcgm.scrape import DcgmScrape
from monitor.config.settings import DcgmSettings
from monitor.core.errors import ConfigError


def build_utilization(
    settings: DcgmSettings, discover: Callable[[], Sequence[str]] | None = None
) -> UtilizationPoller | None:
    """None when disabled. With `prometheus_url` the readings come from that Prometheus; else from the pods of
    `service`, which `discover` lists at each read (the runtime passes the kube adapter's ServiceEndpoints.urls),
    or from the fixed `endpoints`."""
    if not settings.enabled:
        return None
    if settings.service and not settings.prometheus_url and discover is None:
        raise ConfigError(f"dcgm.service={settings.service}: the caller must pass `discover`, its endpoint lister")
    client = httpx.Client(timeout=settings.request_timeout_seconds, follow_redirects=False)
    fetcher: Fetcher
    if settings.prometheus_url:
        fetcher = PrometheusUtilization(client, settings.prometheus_url, settings.metric, settings.window_seconds)
    else:
        fetcher = DcgmScrape(client, discover if settings.service and discover else settings.endpoints, settings.metric)
    return UtilizationPoller(fetcher, settings.stale_after_seconds)
