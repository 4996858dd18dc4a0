"""The naive baseline of the scale benchmark: a ClusterSource that relists everything on every snapshot.

It is what a daemon without a watch cache does: each tick, list every Node, Pod, Job and training CRD with the
official client (deserialised into its models, as `CoreV1Api.list_*` returns them), convert them to plain objects
and build the snapshot from scratch.
"""

from __future__ import annotations

from kubernetes import client

from monitor.adapters.kube.cache import ClusterCache
from monitor.adapters.kube.client import list_call
from monitor.adapters.kube.kinds import BUILTIN, CRDS
from monitor.core.domain.model import ClusterSnapshot
from monitor.core.ports import Clock


class RelistSource:
    def __init__(self, api: client.ApiClient, cluster: str, clock: Clock) -> None:
        self._api = api
        self._cluster = cluster
        self._clock = clock

    def snapshot(self) -> ClusterSnapshot:
        cache = ClusterCache(self._cluster, self._clock.now, deleted_pod_tombstone_seconds=0.0)
        for kind in (*BUILTIN, *CRDS):
            try:
                listed = list_call(self._api, kind, None)()
            except client.exceptions.ApiException as exc:
                if exc.status == 404:  # a CRD this cluster does not serve: the daemon's discovery skips it too
                    continue
                raise
            cache.expect(kind, None)
            body = listed if isinstance(listed, dict) else self._api.sanitize_for_serialization(listed)
            cache.replace_all(kind, None, body.get("items") or [])
        return cache.snapshot()
