"""HTTP routing of the local API server: Kubernetes REST paths onto the object store, and the chunked watch stream."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from monitor.demo import discovery_docs
from monitor.demo.objectstore import ChangeEvent, KubeStatusError, Obj
from monitor.demo.resources import ResourceType
from monitor.demo.selectors import Matcher, combine, field_matcher, label_matcher

if TYPE_CHECKING:
    from monitor.demo.apiserver import LocalApiServer

_DEFAULT_WATCH_SECONDS = 1800.0  # kube-apiserver picks 30-60 min when the client sets no timeoutSeconds
_MERGE_TYPES = ("application/merge-patch+json", "application/strategic-merge-patch+json")


class _WatchCutError(Exception):
    """The watch connection must end without its terminating chunk (dropped watch, outage, shutdown)."""


@dataclass(frozen=True)
class _Route:
    rt: ResourceType
    namespace: str | None
    name: str | None
    subresource: str | None


def _json(data: Any) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode()


class ApiRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # chunked watch streams need HTTP/1.1

    @property
    def api(self) -> LocalApiServer:
        return self.server.api  # type: ignore[attr-defined,no-any-return]

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests and the demo would drown in access logs."""

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    # --- plumbing -------------------------------------------------------------------------------------------------
    def _send(self, code: int, body: Obj) -> None:
        data = _json(body)
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> Obj:
        length = int(self.headers.get("Content-Length") or 0)
        if length == 0:
            return {}
        try:
            parsed = json.loads(self.rfile.read(length))
        except json.JSONDecodeError as error:
            raise KubeStatusError(400, "BadRequest", f"request body is not JSON: {error}") from error
        if not isinstance(parsed, dict):
            raise KubeStatusError(400, "BadRequest", "request body must be a JSON object")
        return parsed

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        query = {key: values[-1] for key, values in parse_qs(url.query).items()}
        try:
            body = self._body() if method in ("POST", "PUT", "PATCH") else {}
            if self.api.down:
                raise KubeStatusError(503, "ServiceUnavailable", "the API server is down (simulated outage)")
            self._route(method, [p for p in url.path.split("/") if p], query, body)
        except KubeStatusError as error:
            self._send(error.code, error.status())
        except ValueError as error:
            self._send(400, KubeStatusError(400, "BadRequest", str(error)).status())
        except _WatchCutError:
            self.close_connection = True
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _route(self, method: str, parts: list[str], query: dict[str, str], body: Obj) -> None:
        store = self.api.store
        if method == "GET" and parts in (["api"], ["apis"]):
            doc = discovery_docs.api_versions() if parts == ["api"] else discovery_docs.group_list(store.types)
            self._send(200, doc)
            return
        if parts[:1] == ["api"] and len(parts) >= 2:
            group, version, rest = "", parts[1], parts[2:]
        elif parts[:1] == ["apis"] and len(parts) >= 3:
            group, version, rest = parts[1], parts[2], parts[3:]
        else:
            raise KubeStatusError(404, "NotFound", f"the server could not find the requested resource {self.path}")
        if not rest:
            resources = discovery_docs.resource_list(store.types, group, version)
            if resources is None or method != "GET":
                raise KubeStatusError(404, "NotFound", f"the server could not find the requested resource {self.path}")
            self._send(200, resources)
            return
        if rest[0] == "namespaces" and len(rest) >= 3:
            namespace: str | None = rest[1]
            rest = rest[2:]
        else:
            namespace = None
        rt = store.type_at(group, version, rest[0])
        if namespace is not None and not rt.namespaced:
            raise KubeStatusError(404, "NotFound", f"{rt.plural} are cluster-scoped: drop /namespaces/{namespace}")
        route = _Route(rt, namespace, rest[1] if len(rest) > 1 else None, rest[2] if len(rest) > 2 else None)
        self._handle(method, route, query, body)

    def _handle(self, method: str, route: _Route, query: dict[str, str], body: Obj) -> None:
        store, rt, ns, name = self.api.store, route.rt, route.namespace or "", route.name
        status_only = route.subresource == "status"
        if name is None:
            if method == "GET":
                self.api.requests[f"{'watch' if query.get('watch') in ('1', 'true') else 'list'} {rt.key}"] += 1
                if query.get("watch") in ("1", "true"):
                    self._watch(route, query)
                else:
                    self._list(route, query)
                return
            if method == "POST":
                if rt.namespaced and not ns:
                    raise KubeStatusError(
                        400, "BadRequest", f"{rt.plural} are namespaced: POST to /namespaces/NS/{rt.plural}"
                    )
                self._send(201, store.create(rt, ns, body))
                return
            raise KubeStatusError(405, "MethodNotAllowed", f"{method} is not supported on a collection")
        self.api.requests[f"{method.lower()} {rt.key}"] += 1
        if method == "GET":
            self._send(200, store.get(rt, ns, name))
        elif method == "PUT":
            self._send(200, store.replace(rt, ns, name, body, status_only))
        elif method == "PATCH":
            content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip()
            if content_type not in _MERGE_TYPES:
                raise KubeStatusError(
                    415, "UnsupportedMediaType", f"patch type {content_type!r}: use one of {_MERGE_TYPES}"
                )
            self._send(200, store.patch(rt, ns, name, body, status_only))
        elif method == "DELETE":
            self._send(200, store.delete(rt, ns, name))
        else:
            raise KubeStatusError(405, "MethodNotAllowed", f"{method} is not supported")

    @staticmethod
    def _matcher(route: _Route, query: dict[str, str]) -> Matcher | None:
        return combine(label_matcher(query.get("labelSelector")), field_matcher(query.get("fieldSelector")))

    def _list(self, route: _Route, query: dict[str, str]) -> None:
        items, rv = self.api.store.list_objects(route.rt, route.namespace, self._matcher(route, query))
        offset = 0
        token = query.get("continue")
        if token:
            try:
                rv_text, offset_text = token.split(":", 1)
                rv, offset = int(rv_text), int(offset_text)
            except ValueError as error:
                raise KubeStatusError(
                    410, "Expired", f"continue token {token!r} is not valid; restart the list"
                ) from error
        limit = int(query.get("limit") or 0)
        end = offset + limit if limit > 0 else len(items)
        metadata: Obj = {"resourceVersion": str(rv)}
        if end < len(items):
            metadata["continue"] = f"{rv}:{end}"
            metadata["remainingItemCount"] = len(items) - end
        kind = f"{route.rt.kind}List"
        self._send(
            200, {"kind": kind, "apiVersion": route.rt.api_version, "metadata": metadata, "items": items[offset:end]}
        )

    # --- watch ----------------------------------------------------------------------------------------------------
    def _chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _visible(self, route: _Route, matcher: Matcher | None, event: ChangeEvent) -> bytes | None:
        """The event's line as this watch sees it (selectors turn MODIFIED into ADDED/DELETED), or None."""
        if event.resource != route.rt.key:
            return None
        if route.namespace is not None and event.obj.get("metadata", {}).get("namespace") != route.namespace:
            return None
        if matcher is None:
            return event.line
        now_matches = matcher(event.obj)
        if event.type != "MODIFIED" or event.previous is None:
            return event.line if now_matches else None
        before = matcher(event.previous)
        if now_matches and before:
            return event.line
        if now_matches or before:
            kind = "ADDED" if now_matches else "DELETED"
            return _json({"type": kind, "object": event.obj}) + b"\n"
        return None

    def _watch(self, route: _Route, query: dict[str, str]) -> None:
        api, store = self.api, self.api.store
        matcher = self._matcher(route, query)
        bookmarks = query.get("allowWatchBookmarks") in ("1", "true")
        deadline = time.monotonic() + float(query.get("timeoutSeconds") or _DEFAULT_WATCH_SECONDS)
        generation = api.watch_generation
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        start = query.get("resourceVersion")
        if start in (None, "", "0"):
            items, pos = store.list_objects(route.rt, route.namespace, matcher)
            for first in range(0, len(items), 500):
                self._chunk(b"".join(_json({"type": "ADDED", "object": o}) + b"\n" for o in items[first : first + 500]))
        else:
            pos = int(start)
        next_bookmark = time.monotonic() + api.bookmark_interval_seconds

        def interrupted() -> bool:
            return api.stopping or api.watch_generation != generation

        while True:
            now = time.monotonic()
            store.wait_beyond(pos, min(deadline, next_bookmark) - now, interrupted)
            if interrupted():
                raise _WatchCutError
            try:
                events, pos = store.changes_after(pos)
            except KubeStatusError as gone:
                self._chunk(_json({"type": "ERROR", "object": gone.status()}) + b"\n")
                break
            lines = [line for line in (self._visible(route, matcher, e) for e in events) if line is not None]
            now = time.monotonic()
            if bookmarks and (now >= next_bookmark or now >= deadline):
                bookmark = {
                    "kind": route.rt.kind,
                    "apiVersion": route.rt.api_version,
                    "metadata": {"resourceVersion": str(pos)},
                }
                lines.append(_json({"type": "BOOKMARK", "object": bookmark}) + b"\n")
                next_bookmark = now + api.bookmark_interval_seconds
            if lines:
                self._chunk(b"".join(lines))
            if now >= deadline:
                break
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()
