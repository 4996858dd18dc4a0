"""One thread per watched kind (and namespace): list, then watch from the list's resourceVersion.

410 Gone → relist at once; a normal end of the server-side timeout → watch again from the last version seen
(bookmarks keep it fresh); any other failure → exponential backoff with jitter, capped by settings, then watch
again from the last version (the server answers 410 if that is too old). A tick never causes a list.
"""

from __future__ import annotations

import json
import logging
import random
import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

from kubernetes import client

from monitor.adapters.kube.cache import ClusterCache
from monitor.adapters.kube.client import ListCall, list_call
from monitor.adapters.kube.kinds import WatchedKind
from monitor.config.settings import KubeSettings
from monitor.core.backoff import backoff_seconds
from monitor.core.errors import KubeError

log = logging.getLogger(__name__)

_PAGE_SIZE = 500  # list in pages so a 20k-pod relist never needs one giant response
_BACKOFF_BASE_SECONDS = 0.25


class GoneError(KubeError):
    """The watch's resourceVersion is older than the server keeps (HTTP 410): relist."""


class WatchStats:
    """Thread-safe counters per kind key, read by the self-metrics."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._restarts: Counter[str] = Counter()
        self._errors: Counter[str] = Counter()

    def restart(self, key: str) -> None:
        with self._lock:
            self._restarts[key] += 1

    def error(self, key: str) -> None:
        with self._lock:
            self._errors[key] += 1

    def restarts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._restarts)

    def errors(self) -> dict[str, int]:
        with self._lock:
            return dict(self._errors)


def _lines(resp: Any) -> Iterator[bytes]:
    buffer = b""
    for chunk in resp.stream(amt=None, decode_content=False):
        buffer += chunk
        *complete, buffer = buffer.split(b"\n")
        yield from (line for line in complete if line.strip())


class ResourceWatcher:
    def __init__(
        self,
        api: client.ApiClient,
        kind: WatchedKind,
        namespace: str | None,
        cache: ClusterCache,
        settings: KubeSettings,
        stats: WatchStats,
    ) -> None:
        self.kind = kind
        self.namespace = namespace
        self._call: ListCall = list_call(api, kind, namespace)
        self._cache = cache
        self._settings = settings
        self._stats = stats
        self._stop = threading.Event()
        self._resp: Any = None
        self._rng = random.Random()
        self._thread = threading.Thread(target=self._run, name=f"watch-{kind.key}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        resp = self._resp
        if resp is not None:
            try:  # unblocks the read in the watch thread at once
                resp.shutdown()
            except Exception:  # the connection may already be gone; stopping must not fail
                log.debug("closing the watch of %s failed", self.kind.key, exc_info=True)

    def join(self, timeout_seconds: float) -> None:
        self._thread.join(timeout=timeout_seconds)

    # --- the loop ------------------------------------------------------------------------------------------------
    def _run(self) -> None:
        rv: str | None = None
        attempt = 0
        while not self._stop.is_set():
            try:
                if rv is None:
                    rv = self._list()
                elif attempt:  # resuming after a failure: what comes first may have happened while we were away
                    self._cache.catch_up(self.kind, self.namespace)
                rv = self._watch(rv)
                attempt = 0
            except GoneError:
                log.info("watch of %s expired (410 Gone): relisting", self.kind.key)
                self._stats.restart(self.kind.key)
                rv = None
            except Exception as error:  # any failure means: back off and resume
                if self._stop.is_set():
                    break
                if isinstance(error, client.ApiException) and error.status == 410:
                    self._stats.restart(self.kind.key)
                    rv = None
                    continue
                self._stats.error(self.kind.key)
                self._stats.restart(self.kind.key)
                delay = backoff_seconds(
                    attempt,
                    base_seconds=_BACKOFF_BASE_SECONDS,
                    max_seconds=self._settings.backoff_max_seconds,
                    jitter="equal",
                    rng=self._rng,
                )
                attempt += 1
                log.warning("watch of %s failed (%s); retrying in %.2fs", self.kind.key, error, delay)
                self._stop.wait(delay)

    def _list(self) -> str:
        """Lists every page and hands the objects to the cache as they arrive: it converts each as it goes, so only
        one page of raw objects is alive at a time (a 20k-pod relist held all of them, ~50 MB, before converting).
        A page that fails raises before the cache changes anything: the list stays all or nothing."""
        last: dict[str, Any] = {}

        def items() -> Iterator[dict[str, Any]]:
            token: str | None = None
            while True:
                kwargs: dict[str, Any] = {"limit": _PAGE_SIZE, "_preload_content": False}
                if token:
                    kwargs["_continue"] = token
                resp = self._call(_request_timeout=self._settings.request_timeout_seconds, **kwargs)
                page = json.loads(resp.data)
                del resp
                last.clear()
                last.update(page.get("metadata") or {})
                token = last.get("continue")
                yield from page.pop("items", None) or []
                if not token:
                    return

        self._cache.replace_all(self.kind, self.namespace, items())
        return str(last.get("resourceVersion", ""))

    def _watch(self, rv: str) -> str:
        """Streams events until the server ends the watch; returns the last resourceVersion seen."""
        timeout = self._settings.watch_timeout_seconds
        resp = self._call(
            watch=True,
            resource_version=rv,
            allow_watch_bookmarks=True,
            timeout_seconds=timeout,
            _preload_content=False,
            # A read timeout a little longer than the server-side timeout notices a server that went silent.
            _request_timeout=(self._settings.request_timeout_seconds, timeout + self._settings.request_timeout_seconds),
        )
        self._resp = resp
        try:
            for line in _lines(resp):
                if self._stop.is_set():
                    break
                event = json.loads(line)
                kind, obj = event.get("type"), event.get("object") or {}
                if kind == "ERROR":
                    if obj.get("code") == 410:
                        raise GoneError(obj.get("message", ""))
                    raise client.ApiException(status=obj.get("code"), reason=obj.get("message"))
                rv = str((obj.get("metadata") or {}).get("resourceVersion") or rv)
                if kind in ("ADDED", "MODIFIED", "DELETED"):
                    self._cache.apply(self.kind, self.namespace, kind, obj)
                else:  # a BOOKMARK: the cache is current up to now (a relist uses it for pods deleted meanwhile)
                    self._cache.heard(self.kind, self.namespace)
        finally:
            self._resp = None
            resp.release_conn()
        return rv
