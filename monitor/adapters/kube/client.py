"""Building the official client's `ApiClient` from settings, and the list calls per watched kind."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kubernetes import client, config

from monitor.adapters.kube.kinds import WatchedKind
from monitor.config.settings import KubeSettings
from monitor.core.errors import KubeConfigError

ListCall = Callable[..., Any]
# The official client's connection type, named here so that the composition root can accept one (tests hand in a
# client for the local API server) without importing the vendor package itself.
ApiClient = client.ApiClient


def build_api_client(settings: KubeSettings) -> ApiClient:
    """`api_url` (demo/tests, no auth) wins; else the given kubeconfig; else in-cluster; else the default
    kubeconfig. The client is private to us: the library's global default configuration is never touched.
    Raises KubeConfigError (the library's ConfigException chained) when none of them is usable."""
    configuration = client.Configuration()
    if settings.api_url:
        configuration.host = settings.api_url.rstrip("/")
    else:
        try:
            _load_config(settings, configuration)
        except config.ConfigException as exc:
            raise KubeConfigError(str(exc)) from exc
    # One long-lived watch connection per resource kind plus gets, Events and Lease renewals share this pool; the
    # library default of 10 makes urllib3 discard connections under load.
    configuration.connection_pool_maxsize = 32
    return client.ApiClient(configuration)


def _load_config(settings: KubeSettings, configuration: client.Configuration) -> None:
    """Fills `configuration` from the named kubeconfig, else in-cluster, else the default kubeconfig."""
    if settings.kubeconfig:
        config.load_kube_config(  # type: ignore[no-untyped-call]
            config_file=settings.kubeconfig, context=settings.context, client_configuration=configuration
        )
        return
    try:
        config.load_incluster_config(client_configuration=configuration)  # type: ignore[no-untyped-call]
    except config.ConfigException:
        config.load_kube_config(context=settings.context, client_configuration=configuration)  # type: ignore[no-untyped-call]


def list_call(api: client.ApiClient, kind: WatchedKind, namespace: str | None) -> ListCall:
    """The client method that lists (and, with watch=True, watches) `kind`, bound to a namespace or to all."""
    if kind.group == "" and kind.plural == "nodes":
        return client.CoreV1Api(api).list_node
    if kind.group == "" and kind.plural == "pods":
        core = client.CoreV1Api(api)
        if namespace is None:
            return core.list_pod_for_all_namespaces
        return lambda **kw: core.list_namespaced_pod(namespace, **kw)
    if kind.group == "batch" and kind.plural == "jobs":
        batch = client.BatchV1Api(api)
        if namespace is None:
            return batch.list_job_for_all_namespaces
        return lambda **kw: batch.list_namespaced_job(namespace, **kw)
    custom = client.CustomObjectsApi(api)
    if namespace is None:
        return lambda **kw: custom.list_cluster_custom_object(kind.group, kind.version, kind.plural, **kw)
    return lambda **kw: custom.list_namespaced_custom_object(kind.group, kind.version, namespace, kind.plural, **kw)
