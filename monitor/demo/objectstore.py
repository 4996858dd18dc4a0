"""The in-memory object store behind the local API server: objects per resource type, one global, monotonically
increasing resourceVersion, and a bounded window of change events that watches read from.

Stored objects are never mutated after they are written (every write stores a new dict), so a list or a watch can
serialize them outside the lock without copying the whole store.
"""

from __future__ import annotations

import copy
import json
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from monitor.demo.resources import ResourceType

Obj = dict[str, Any]
ObjKey = tuple[str, str]  # (namespace or "", name)


class KubeStatusError(Exception):
    """An API failure with its HTTP code and Kubernetes reason, rendered as a v1 Status."""

    def __init__(self, code: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message

    def status(self) -> Obj:
        return {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }


@dataclass(frozen=True)
class ChangeEvent:
    rv: int
    resource: str  # ResourceType.key
    type: str  # ADDED | MODIFIED | DELETED
    obj: Obj
    previous: Obj | None
    line: bytes  # the watch event, serialized once at write time


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch: objects merge recursively, null deletes, anything else replaces."""
    if not isinstance(patch, Mapping):
        return copy.deepcopy(patch)
    result: Obj = dict(target) if isinstance(target, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ObjectStore:
    def __init__(
        self, types: tuple[ResourceType, ...], clock: Callable[[], datetime], event_window: int = 200_000
    ) -> None:
        self.types = types
        self._by_path = {(t.group, t.version, t.plural): t for t in types}
        self._by_kind = {(t.api_version, t.kind): t for t in types}
        self._clock = clock
        self._window = event_window
        self.cond = threading.Condition()
        self._objects: dict[str, dict[ObjKey, Obj]] = {t.key: {} for t in types}
        self._events: dict[int, ChangeEvent] = {}
        self._first_rv = 1  # oldest resourceVersion whose event is still retained
        self._rv = 1

    # --- lookup -----------------------------------------------------------------------------------------------
    def type_at(self, group: str, version: str, plural: str) -> ResourceType:
        found = self._by_path.get((group, version, plural))
        if found is None:
            raise KubeStatusError(
                404, "NotFound", f"the server could not find the requested resource {group}/{version}/{plural}"
            )
        return found

    def type_of(self, api_version: str, kind: str) -> ResourceType:
        found = self._by_kind.get((api_version, kind))
        if found is None:
            raise KubeStatusError(404, "NotFound", f"no resource of kind {kind} in {api_version} is served")
        return found

    @property
    def resource_version(self) -> int:
        with self.cond:
            return self._rv

    # --- reads --------------------------------------------------------------------------------------------------
    def get(self, rt: ResourceType, namespace: str, name: str) -> Obj:
        with self.cond:
            found = self._objects[rt.key].get((namespace if rt.namespaced else "", name))
        if found is None:
            raise KubeStatusError(404, "NotFound", f'{rt.plural}.{rt.group or "core"} "{name}" not found')
        return found

    def list_objects(
        self, rt: ResourceType, namespace: str | None, matcher: Callable[[Mapping[str, Any]], bool] | None
    ) -> tuple[list[Obj], int]:
        """Items (sorted by namespace/name) and the resourceVersion they are consistent with."""
        with self.cond:
            rv = self._rv
            store = self._objects[rt.key]
            keys = sorted(store) if namespace is None else sorted(k for k in store if k[0] == namespace)
            items = [store[k] for k in keys]
        if matcher is not None:
            items = [item for item in items if matcher(item)]
        return items, rv

    def changes_after(self, rv: int) -> tuple[list[ChangeEvent], int]:
        """Events newer than `rv` and the current version; 410 Gone when some of them were compacted away."""
        with self.cond:
            if rv < self._first_rv - 1:
                raise KubeStatusError(410, "Expired", f"too old resource version: {rv} ({self._first_rv - 1})")
            events = [self._events[v] for v in range(rv + 1, self._rv + 1) if v in self._events]
            return events, max(rv, self._rv)

    def wait_beyond(self, rv: int, timeout_seconds: float, interrupted: Callable[[], bool]) -> None:
        """Blocks until a version newer than `rv` exists, `interrupted()` is true, or the timeout passes."""
        with self.cond:
            self.cond.wait_for(lambda: self._rv > rv or interrupted(), timeout=max(timeout_seconds, 0.0))

    # --- writes -------------------------------------------------------------------------------------------------
    def _commit(self, rt: ResourceType, key: ObjKey, kind: str, obj: Obj | None, previous: Obj | None) -> Obj:
        """Assigns the next resourceVersion, stores (or removes) the object and records the change. Under lock."""
        self._rv += 1
        shown = dict(obj if obj is not None else previous or {})
        shown["metadata"] = {**shown.get("metadata", {}), "resourceVersion": str(self._rv)}
        if obj is None:
            self._objects[rt.key].pop(key, None)
        else:
            self._objects[rt.key][key] = shown
        line = json.dumps({"type": kind, "object": shown}, separators=(",", ":")).encode() + b"\n"
        self._events[self._rv] = ChangeEvent(self._rv, rt.key, kind, shown, previous, line)
        while len(self._events) > self._window:
            self._events.pop(self._first_rv, None)
            self._first_rv += 1
        self.cond.notify_all()
        return shown

    def create(self, rt: ResourceType, namespace: str, body: Mapping[str, Any]) -> Obj:
        obj: Obj = copy.deepcopy(dict(body))
        meta: Obj = obj.setdefault("metadata", {})
        if not meta.get("name"):
            if not meta.get("generateName"):
                raise KubeStatusError(422, "Invalid", "metadata.name: Required value: name or generateName is required")
            meta["name"] = f"{meta['generateName']}{uuid.uuid4().hex[:5]}"
        ns = (namespace or meta.get("namespace") or "default") if rt.namespaced else ""
        if rt.namespaced:
            meta["namespace"] = ns
        else:
            meta.pop("namespace", None)
        meta["uid"] = meta.get("uid") or str(uuid.uuid4())
        meta["creationTimestamp"] = meta.get("creationTimestamp") or rfc3339(self._clock())
        obj["apiVersion"], obj["kind"] = rt.api_version, rt.kind
        key = (ns, meta["name"])
        with self.cond:
            if key in self._objects[rt.key]:
                raise KubeStatusError(409, "AlreadyExists", f'{rt.plural} "{meta["name"]}" already exists')
            return self._commit(rt, key, "ADDED", obj, None)

    def _update(self, rt: ResourceType, namespace: str, name: str, change: Callable[[Obj], Obj]) -> Obj:
        key = (namespace if rt.namespaced else "", name)
        with self.cond:
            current = self._objects[rt.key].get(key)
            if current is None:
                raise KubeStatusError(404, "NotFound", f'{rt.plural} "{name}" not found')
            updated = change(current)
            meta = updated.setdefault("metadata", {})
            # Identity fields are the server's, whatever the client sent.
            for field in ("uid", "creationTimestamp", "name", "namespace"):
                if field in current["metadata"]:
                    meta[field] = current["metadata"][field]
            updated["apiVersion"], updated["kind"] = rt.api_version, rt.kind
            return self._commit(rt, key, "MODIFIED", updated, current)

    def replace(self, rt: ResourceType, namespace: str, name: str, body: Mapping[str, Any], status_only: bool) -> Obj:
        sent_rv = (body.get("metadata") or {}).get("resourceVersion")

        def change(current: Obj) -> Obj:
            if sent_rv and sent_rv != current["metadata"]["resourceVersion"]:
                raise KubeStatusError(
                    409,
                    "Conflict",
                    f'Operation cannot be fulfilled on {rt.plural} "{name}": the object '
                    "has been modified; please apply your changes to the latest version and try again",
                )
            if status_only:
                return {**current, "status": copy.deepcopy(body.get("status", {}))}
            return copy.deepcopy(dict(body))

        return self._update(rt, namespace, name, change)

    def patch(self, rt: ResourceType, namespace: str, name: str, patch: Mapping[str, Any], status_only: bool) -> Obj:
        if status_only:
            patch = {"status": patch.get("status", {})}
        return self._update(rt, namespace, name, lambda current: merge_patch(current, patch))

    def delete(self, rt: ResourceType, namespace: str, name: str) -> Obj:
        key = (namespace if rt.namespaced else "", name)
        with self.cond:
            current = self._objects[rt.key].get(key)
            if current is None:
                raise KubeStatusError(404, "NotFound", f'{rt.plural} "{name}" not found')
            return self._commit(rt, key, "DELETED", None, current)

    def compact(self) -> None:
        """Forgets every retained event: watches from any older version now get 410 Gone."""
        with self.cond:
            self._events.clear()
            self._first_rv = self._rv + 1
