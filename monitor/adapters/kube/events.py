"""Kubernetes Events on workloads (e.g. a bad annotation), posted off the tick path, rate limited and aggregated.

`record` only queues (bounded; it never blocks the tick). One worker thread posts the queue at most `rate_per_second`
Events a second with bursts of `burst` (a token bucket, like client-go's EventBroadcaster rate limit and spam filter,
k8s.io/client-go/tools/record/events_cache.go). Like client-go's EventCorrelator, a repeat of the same (object,
reason, message) is aggregated into one Event: its name is derived from them, so after a restart the create answers
409 AlreadyExists and the existing Event is found and patched (count + 1, lastTimestamp) instead of duplicated.
Messages are cut to 1,024 characters (the limit of events.k8s.io/v1 `note`).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import queue
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from monitor.core.domain.bounded import clip
from monitor.core.domain.model import WorkloadRef

log = logging.getLogger(__name__)

_COMPONENT = "trainspend"
MAX_MESSAGE_CHARS = 1024
_Item = tuple[WorkloadRef, str, str, str]


def _utc_now() -> datetime:
    return datetime.now(UTC)


def event_name(ref: WorkloadRef, reason: str, message: str) -> str:
    """`<object name>.<16 hex of sha256(uid, reason, message)>`: stable across restarts, a valid DNS subdomain."""
    digest = hashlib.sha256(f"{ref.uid}\0{reason}\0{message}".encode()).hexdigest()[:16]
    return f"{ref.name[:200]}.{digest}"


class KubeEventRecorder:
    """Implements `monitor.core.ports.EventRecorder`. A failed post is logged and counted, never raised, and may be
    recorded again (only a posted Event marks the problem as reported)."""

    def __init__(
        self,
        api: client.ApiClient,
        clock: Callable[[], datetime] = _utc_now,
        request_timeout_seconds: float = 10.0,
        rate_per_second: float = 5.0,
        burst: int = 25,
        queue_size: int = 10_000,
    ) -> None:
        self._core = client.CoreV1Api(api)
        self._clock = clock
        self._timeout = request_timeout_seconds
        self._rate = rate_per_second
        self._burst = float(burst)
        self._tokens = float(burst)
        self._refilled = time.monotonic()
        self._lock = threading.Lock()
        self._sent: set[tuple[str, str, str]] = set()
        self._queued: set[tuple[str, str, str]] = set()
        self._queue: queue.Queue[_Item | None] = queue.Queue(maxsize=queue_size)
        self._worker: threading.Thread | None = None
        self._deadline: float | None = None  # set by stop(): the worker gives up at this monotonic time
        self.errors = 0
        self.dropped = 0  # queue full: the problem stays in logs and the API, and is recorded again next time

    def record(self, ref: WorkloadRef, reason: str, message: str, type_: str = "Warning") -> None:
        message = clip(message, MAX_MESSAGE_CHARS - 40)
        key = (ref.uid, reason, message)
        with self._lock:
            if key in self._sent or key in self._queued:
                return
            try:
                self._queue.put_nowait((ref, reason, message, type_))
            except queue.Full:
                self.dropped += 1
                return
            self._queued.add(key)
            if self._worker is None:
                self._worker = threading.Thread(target=self._run, name="kube-events", daemon=True)
                self._worker.start()

    def flush(self, timeout_seconds: float = 10.0) -> bool:
        """Waits until every queued Event was posted (or failed); False on timeout."""
        deadline = time.monotonic() + timeout_seconds
        while time.monotonic() < deadline:
            with self._lock:
                if not self._queued:
                    return True
            time.sleep(0.01)
        return False

    def stop(self, timeout_seconds: float = 5.0) -> int:
        """Posts what is queued, still rate limited, for at most `timeout_seconds` (plus one request in flight), then
        stops the worker; returns how many Events were left unposted. Those are not lost for good: their problems
        were not marked reported, so the next process records them again (and aggregates them into the same Event)."""
        with self._lock:
            worker = self._worker
            self._deadline = time.monotonic() + timeout_seconds
        if worker is None:
            return 0
        with contextlib.suppress(queue.Full):  # full: the deadline stops the worker all the same
            self._queue.put_nowait(None)  # after every queued Event: the worker drains the queue first
        worker.join(timeout=timeout_seconds + self._timeout + 1)
        with self._lock:
            left = len(self._queued)
        if left:
            log.warning("%d Event(s) not posted before stopping; they are recorded again after a restart", left)
        return left

    def _expired(self) -> bool:
        return self._deadline is not None and time.monotonic() >= self._deadline

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None or self._expired() or not self._take_token():
                return
            ref, reason, message, type_ = item
            key = (ref.uid, reason, message)
            posted = self._post(ref, reason, message, type_)
            with self._lock:
                self._queued.discard(key)
                if posted:
                    self._sent.add(key)

    def _take_token(self) -> bool:
        """Token bucket: `burst` at once, then `rate_per_second`. False when stop()'s deadline comes first."""
        while True:
            now = time.monotonic()
            self._tokens = min(self._burst, self._tokens + (now - self._refilled) * self._rate)
            self._refilled = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return True
            wait = (1.0 - self._tokens) / self._rate
            if self._deadline is not None and now + wait >= self._deadline:
                return False
            time.sleep(wait)

    def _post(self, ref: WorkloadRef, reason: str, message: str, type_: str) -> bool:
        now = self._clock()
        name = event_name(ref, reason, message)
        event = client.CoreV1Event(
            metadata=client.V1ObjectMeta(name=name, namespace=ref.namespace),
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
            try:
                self._core.create_namespaced_event(ref.namespace, event, _request_timeout=self._timeout)
            except ApiException as error:
                if error.status != 409:
                    raise
                # It exists (a previous process posted it): aggregate, as the EventCorrelator does.
                existing = self._core.read_namespaced_event(name, ref.namespace, _request_timeout=self._timeout)
                patch = {"count": (existing.count or 1) + 1, "lastTimestamp": now.isoformat()}
                self._core.patch_namespaced_event(name, ref.namespace, patch, _request_timeout=self._timeout)
        except Exception as error:  # an Event is advice: failing to post it must not stop accounting
            with self._lock:
                self.errors += 1
            log.warning("could not post Event %s on %s: %s", reason, ref.key, clip(str(error)))
            return False
        return True


def _api_kind(ref: WorkloadRef) -> str:
    """WorkloadRef.kind is the domain kind; Volcano's API kind is plain "Job"."""
    return "Job" if ref.kind == "VolcanoJob" else ref.kind
