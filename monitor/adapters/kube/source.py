"""`KubeClusterSource`: the watch-fed `ClusterSource`. Starts one watcher per kind (per namespace when namespaces
are configured), discovers training CRDs at start-up and re-checks them every `crd_recheck_seconds`."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from kubernetes import client

from monitor.adapters.kube.cache import ClusterCache
from monitor.adapters.kube.client import build_api_client
from monitor.adapters.kube.discovery import served_crds
from monitor.adapters.kube.kinds import BUILTIN, WatchedKind
from monitor.adapters.kube.watcher import ResourceWatcher, WatchStats
from monitor.config.settings import KubeSettings
from monitor.core.domain.model import ClusterSnapshot

log = logging.getLogger(__name__)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class KubeClusterSource:
    def __init__(
        self,
        settings: KubeSettings,
        cluster: str,
        clock: Callable[[], datetime] = _utc_now,
        api: client.ApiClient | None = None,
    ) -> None:
        self._settings = settings
        self._api = api or build_api_client(settings)
        self.cache = ClusterCache(cluster, clock, settings.deleted_pod_tombstone_seconds)
        self.stats = WatchStats()
        self._watchers: dict[WatchedKind, list[ResourceWatcher]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._recheck = threading.Thread(target=self._recheck_loop, name="crd-recheck", daemon=True)

    # --- lifecycle ---------------------------------------------------------------------------------------------
    def start(self) -> None:
        self._reconcile(self._discover() or ())
        self._recheck.start()

    def stop(self, timeout_seconds: float = 5.0) -> None:
        self._stop.set()
        with self._lock:
            watchers = [w for group in self._watchers.values() for w in group]
        for watcher in watchers:
            watcher.stop()
        for watcher in watchers:
            watcher.join(timeout_seconds)

    def wait_synced(self, timeout_seconds: float) -> bool:
        """Blocks until every initial list has arrived (or the timeout passes); returns whether it has."""
        return _poll(lambda: self.cache.synced, timeout_seconds)

    # --- ClusterSource -------------------------------------------------------------------------------------------
    def snapshot(self) -> ClusterSnapshot:
        return self.cache.snapshot()

    @property
    def watch_restarts(self) -> dict[str, int]:
        return self.stats.restarts()

    @property
    def api_errors(self) -> dict[str, int]:
        return self.stats.errors()

    @property
    def watched(self) -> tuple[WatchedKind, ...]:
        with self._lock:
            return tuple(self._watchers)

    def watched_version(self, key: str) -> Callable[[], str | None]:
        """A reader of the version of `key` (e.g. "localqueues.kueue.x-k8s.io") watched now; None when not served."""

        def version() -> str | None:
            return next((k.version for k in self.watched if k.key == key), None)

        return version

    # --- CRDs ----------------------------------------------------------------------------------------------------
    def _discover(self) -> tuple[WatchedKind, ...] | None:
        try:
            return served_crds(self._api, self._settings.request_timeout_seconds)
        except Exception as error:  # discovery failing must not stop the built-in watches
            self.stats.error("discovery")
            log.warning("CRD discovery failed (%s); keeping the CRDs already watched", error)
            return None

    def _reconcile(self, crds: tuple[WatchedKind, ...]) -> None:
        wanted = (*BUILTIN, *crds)
        namespaces: list[str | None] = list(self._settings.namespaces) or [None]
        with self._lock:
            for kind in [k for k in self._watchers if k not in wanted]:
                log.info("CRD %s is no longer served: stopping its watch", kind.key)
                for watcher in self._watchers.pop(kind):
                    watcher.stop()
                self.cache.forget(kind)
            for kind in wanted:
                if kind in self._watchers or self._stop.is_set():
                    continue
                scopes: list[str | None] = [None] if kind.cluster_scoped else namespaces
                for ns in scopes:
                    self.cache.expect(kind, ns)
                group = [ResourceWatcher(self._api, kind, ns, self.cache, self._settings, self.stats) for ns in scopes]
                self._watchers[kind] = group
                for watcher in group:
                    watcher.start()

    def _recheck_loop(self) -> None:
        while not self._stop.wait(self._settings.crd_recheck_seconds):
            found = self._discover()
            if found is not None:
                self._reconcile(found)


def _poll(condition: Callable[[], bool], timeout_seconds: float) -> bool:
    done = threading.Event()
    deadline = _utc_now().timestamp() + timeout_seconds
    while not condition():
        if _utc_now().timestamp() >= deadline:
            return False
        done.wait(0.02)
    return True
