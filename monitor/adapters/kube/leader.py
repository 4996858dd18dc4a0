"""Leader election on a coordination.k8s.io/v1 Lease (the protocol of client-go's leaderelection package):
take the Lease when it is free or expired (renewTime + leaseDurationSeconds < now), renew it every renew period,
and step down when renewals keep failing for the renew deadline (2/3 of the lease duration) or when another
holder wins the optimistic-concurrency race (409 Conflict)."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from kubernetes import client

from monitor.config.settings import LeaderSettings

log = logging.getLogger(__name__)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class LeaseElector:
    """Implements `monitor.core.ports.LeaderElector`. `start()` runs the loop in a thread; `try_acquire_or_renew()` is
    one round (what the loop calls)."""

    def __init__(
        self,
        api: client.ApiClient,
        settings: LeaderSettings,
        clock: Callable[[], datetime] = _utc_now,
        request_timeout_seconds: float = 5.0,
    ) -> None:
        self._coord = client.CoordinationV1Api(api)
        self._settings = settings
        self._clock = clock
        self._timeout = request_timeout_seconds
        self.identity = settings.identity or socket.gethostname()
        self._leader = False
        self._last_renew: datetime | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="lease-elector", daemon=True)
        self.transitions = 0  # times this replica became leader

    def is_leader(self) -> bool:
        return self._leader

    def start(self) -> None:
        self._thread.start()

    def stop(self, release: bool = True) -> None:
        """Stops the loop; with `release`, a leader hands the Lease back so a successor need not wait it out."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=self._settings.renew_period_seconds + self._timeout)
        if release and self._leader:
            self._release()
        self._leader = False

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.try_acquire_or_renew()
            self._stop.wait(self._settings.renew_period_seconds)

    # --- one round -----------------------------------------------------------------------------------------------
    def try_acquire_or_renew(self) -> bool:
        now = self._clock()
        name, namespace = self._settings.lease_name, self._settings.lease_namespace
        try:
            try:
                lease = self._coord.read_namespaced_lease(name, namespace, _request_timeout=self._timeout)
            except client.ApiException as error:
                if error.status != 404:
                    raise
                self._coord.create_namespaced_lease(namespace, self._new_lease(now), _request_timeout=self._timeout)
                return self._won(now)
            spec = lease.spec or client.V1LeaseSpec()
            holder = spec.holder_identity or ""
            if holder and holder != self.identity and not self._expired(spec, now):
                return self._lost(f"held by {holder}")
            if holder != self.identity:
                spec.acquire_time = now
                spec.lease_transitions = (spec.lease_transitions or 0) + 1
            spec.holder_identity = self.identity
            spec.renew_time = now
            spec.lease_duration_seconds = self._settings.lease_duration_seconds
            lease.spec = spec
            # The resourceVersion read above makes this a compare-and-swap: a concurrent writer gets 409.
            self._coord.replace_namespaced_lease(name, namespace, lease, _request_timeout=self._timeout)
            return self._won(now)
        except client.ApiException as error:
            if error.status == 409:
                return self._lost("another replica updated the Lease first")
            return self._failed(now, error)
        except Exception as error:  # network errors: the renew deadline decides
            return self._failed(now, error)

    def _new_lease(self, now: datetime) -> client.V1Lease:
        return client.V1Lease(
            metadata=client.V1ObjectMeta(name=self._settings.lease_name, namespace=self._settings.lease_namespace),
            spec=client.V1LeaseSpec(
                holder_identity=self.identity,
                lease_duration_seconds=self._settings.lease_duration_seconds,
                acquire_time=now,
                renew_time=now,
                lease_transitions=0,
            ),
        )

    @staticmethod
    def _expired(spec: client.V1LeaseSpec, now: datetime) -> bool:
        if spec.renew_time is None:
            return True
        return bool(spec.renew_time + timedelta(seconds=spec.lease_duration_seconds or 0) < now)

    def _won(self, now: datetime) -> bool:
        if not self._leader:
            log.info("%s became leader of Lease %s", self.identity, self._settings.lease_name)
            self.transitions += 1
        self._leader, self._last_renew = True, now
        return True

    def _lost(self, why: str) -> bool:
        if self._leader:
            log.warning("%s lost the Lease: %s", self.identity, why)
        self._leader = False
        return False

    def _failed(self, now: datetime, error: Exception) -> bool:
        deadline = timedelta(seconds=self._settings.lease_duration_seconds * 2 / 3)
        if self._leader and self._last_renew is not None and now - self._last_renew < deadline:
            log.warning("renewing the Lease failed (%s); still within the renew deadline", error)
            return True
        return self._lost(f"renewals failing: {error}")

    def _release(self) -> None:
        try:
            lease = self._coord.read_namespaced_lease(
                self._settings.lease_name, self._settings.lease_namespace, _request_timeout=self._timeout
            )
            if lease.spec is None or lease.spec.holder_identity != self.identity:
                return
            lease.spec.holder_identity = ""
            lease.spec.lease_duration_seconds = 1
            self._coord.replace_namespaced_lease(
                self._settings.lease_name, self._settings.lease_namespace, lease, _request_timeout=self._timeout
            )
        except Exception as error:  # the Lease then simply expires
            log.warning("releasing the Lease failed: %s", error)
