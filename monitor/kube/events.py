"""Kubernetes Events on workloads (e.g. a bad annotation), created once per distinct problem per process."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from kubernetes import client

from monitor.domain.model import WorkloadRef

log = logging.getLogger(__name__)

_COMPONENT = "trainspend"


def _utc_now() -> datetime:
    return datetime.now(UTC)


class KubeEventRecorder:
    """Implements `monitor.ports.EventRecorder`. A failed create is logged and counted, never raised, and is retried
    on the next call (only a created Event marks the problem as reported)."""

    def __init__(
        self, api: client.ApiClient, clock: Callable[[], datetime] = _utc_now, request_timeout_seconds: float = 10.0
    ) -> None:
        self._core = client.CoreV1Api(api)
        self._clock = clock
        self._timeout = request_timeout_seconds
        self._lock = threading.Lock()
        self._sent: set[tuple[str, str, str]] = set()
        self.errors = 0

    def record(self, ref: WorkloadRef, reason: str, message: str, type_: str = "Warning") -> None:
        key = (ref.uid, reason, message)
        with self._lock:
            if key in self._sent:
                return
        now = self._clock()
        event = client.CoreV1Event(
            metadata=client.V1ObjectMeta(generate_name=f"{ref.name}.", namespace=ref.namespace),
            involved_object=client.V1ObjectReference(
                api_version=ref.api_version, kind=_api_kind(ref), name=ref.name, namespace=ref.namespace, uid=ref.uid
            ),
            reason=reason,
            message=message,
            type=type_,
            source=client.V1EventSource(component=_COMPONENT),
            reporting_component=_COMPONENT,
            first_timestamp=now,
            last_timestamp=now,
            count=1,
        )
        try:
            self._core.create_namespaced_event(ref.namespace, event, _request_timeout=self._timeout)
        except Exception as error:  # an Event is advice: failing to post it must not stop accounting
            with self._lock:
                self.errors += 1
            log.warning("could not create Event %s on %s: %s", reason, ref.key, error)
            return
        with self._lock:
            self._sent.add(key)


def _api_kind(ref: WorkloadRef) -> str:
    """WorkloadRef.kind is the domain kind; Volcano's API kind is plain "Job"."""
    return "Job" if ref.kind == "VolcanoJob" else ref.kind
