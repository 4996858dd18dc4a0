"""A local Kubernetes API server on 127.0.0.1 for the integration tests and `trainspend demo`.

It speaks the subset of the API that the official client uses for list/watch caches, leases and events: list with
resourceVersion, label/field selectors and limit/continue; watch as chunked JSON lines (ADDED, MODIFIED, DELETED,
BOOKMARK, and ERROR with a 410 Status once the version has been compacted); get, create, replace (with optimistic
concurrency), merge/strategic-merge patch (strategic merge is treated as a JSON merge patch, enough for maps such as
labels, annotations and status), delete; and the discovery documents. Test knobs: `compact()`, `drop_watches()`,
`set_down()`.
"""

from __future__ import annotations

import copy
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from http.server import ThreadingHTTPServer
from types import TracebackType
from typing import Any

from monitor.demo.objectstore import KubeStatusError, Obj, ObjectStore
from monitor.demo.resources import DEFAULT_CRD_GROUPS, ResourceType, served_types


def _utc_now() -> datetime:
    return datetime.now(UTC)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], api: LocalApiServer) -> None:
        from monitor.demo.http_handler import ApiRequestHandler  # the handler module needs this class's type

        self.api = api
        super().__init__(address, ApiRequestHandler)


class LocalApiServer:
    """Start with `start()` (or a `with` block); `url` is then e.g. "http://127.0.0.1:43121"."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        crd_groups: Iterable[str] | None = None,
        clock: Callable[[], datetime] = _utc_now,
        event_window: int = 200_000,
        bookmark_interval_seconds: float = 1.0,
    ) -> None:
        groups = DEFAULT_CRD_GROUPS if crd_groups is None else frozenset(crd_groups)
        self.store = ObjectStore(served_types(groups), clock, event_window)
        self.bookmark_interval_seconds = bookmark_interval_seconds
        self.requests: Counter[str] = Counter()  # "list pods", "watch jobs.batch", ... (for tests and benchmarks)
        self._address = (host, port)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._down = False
        self._watch_generation = 0
        self._stopping = False

    # --- lifecycle ---------------------------------------------------------------------------------------------
    def start(self) -> LocalApiServer:
        self._server = _Server(self._address, self)
        self._thread = threading.Thread(target=self._server.serve_forever, name="local-apiserver", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        with self.store.cond:
            self._stopping = True
            self.store.cond.notify_all()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> LocalApiServer:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("LocalApiServer.url: the server is not started; call start() first")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    # --- test knobs ----------------------------------------------------------------------------------------------
    def compact(self) -> None:
        """Expires every retained event: a watch from an older resourceVersion gets 410 Gone."""
        self.store.compact()

    def drop_watches(self) -> None:
        """Cuts every open watch connection mid-stream (no terminating chunk), as a proxy or LB restart would."""
        with self.store.cond:
            self._watch_generation += 1
            self.store.cond.notify_all()

    def set_down(self, down: bool) -> None:
        """While down every request gets 503 and open watches are cut."""
        with self.store.cond:
            self._down = down
            if down:
                self._watch_generation += 1
            self.store.cond.notify_all()

    @property
    def down(self) -> bool:
        return self._down

    @property
    def stopping(self) -> bool:
        return self._stopping

    @property
    def watch_generation(self) -> int:
        return self._watch_generation

    @property
    def resource_version(self) -> int:
        return self.store.resource_version

    # --- direct object access (tests and the demo simulator) ---------------------------------------------------
    def _locate(self, obj: Mapping[str, Any]) -> tuple[ResourceType, str, str]:
        rt = self.store.type_of(str(obj.get("apiVersion", "")), str(obj.get("kind", "")))
        meta = obj.get("metadata") or {}
        return rt, str(meta.get("namespace") or ("default" if rt.namespaced else "")), str(meta.get("name", ""))

    def create(self, obj: Mapping[str, Any]) -> Obj:
        rt, namespace, _ = self._locate(obj)
        return copy.deepcopy(self.store.create(rt, namespace, obj))

    def replace(self, obj: Mapping[str, Any]) -> Obj:
        rt, namespace, name = self._locate(obj)
        return copy.deepcopy(self.store.replace(rt, namespace, name, obj, status_only=False))

    def apply(self, obj: Mapping[str, Any]) -> Obj:
        """Creates the object, or replaces it when it exists (ignoring resourceVersion)."""
        rt, namespace, name = self._locate(obj)
        try:
            self.store.get(rt, namespace, name)
        except KubeStatusError:
            return self.create(obj)
        body = copy.deepcopy(dict(obj))
        body.get("metadata", {}).pop("resourceVersion", None)
        return copy.deepcopy(self.store.replace(rt, namespace, name, body, status_only=False))

    def patch(self, api_version: str, kind: str, name: str, patch: Mapping[str, Any], namespace: str = "") -> Obj:
        rt = self.store.type_of(api_version, kind)
        return copy.deepcopy(self.store.patch(rt, namespace or "default", name, patch, status_only=False))

    def delete(self, api_version: str, kind: str, name: str, namespace: str = "") -> Obj:
        rt = self.store.type_of(api_version, kind)
        return copy.deepcopy(self.store.delete(rt, namespace or "default", name))

    def get(self, api_version: str, kind: str, name: str, namespace: str = "") -> Obj:
        rt = self.store.type_of(api_version, kind)
        return copy.deepcopy(self.store.get(rt, namespace or "default", name))

    def objects(self, api_version: str, kind: str, namespace: str | None = None) -> list[Obj]:
        rt = self.store.type_of(api_version, kind)
        items, _ = self.store.list_objects(rt, namespace, None)
        return copy.deepcopy(items)
