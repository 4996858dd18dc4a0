"""What `trainspend run` and `trainspend demo` say when the daemon cannot start: one line naming the setting or flag
and the fix, and an exit status (2: the configuration is wrong, 1: the environment refused at run time).

Only the CLI edge translates exceptions; the builders below it raise what they raise. Failures are recognised by
class: the daemon's own (monitor.core.errors) first, then the OS's and SQLAlchemy's.
"""

from __future__ import annotations

import errno
import socket
from dataclasses import dataclass

from monitor.core.errors import ConfigError, KubeConfigError, StoreError, StoreUnavailableError

CONFIG_EXIT_CODE = 2
RUNTIME_EXIT_CODE = 1


@dataclass(frozen=True)
class StartupFailure:
    message: str
    exit_code: int


def explain_startup_error(
    exc: BaseException, *, listen: str, listen_flag: str, store_url: str, kubeconfig: str | None = None
) -> StartupFailure | None:
    """A clear message for the failures a user can fix, or None for a bug (which keeps its traceback).

    `listen_flag` is how the user sets the address in this command (`--listen` or `listen`); `kubeconfig` is
    kube.kubeconfig when set."""
    if isinstance(exc, KubeConfigError):
        if kubeconfig:
            fix = f"kube.kubeconfig={kubeconfig!r} (TRAINSPEND_KUBE__KUBECONFIG): point it at a readable kubeconfig"
        else:
            fix = (
                "set kube.kubeconfig (TRAINSPEND_KUBE__KUBECONFIG) or KUBECONFIG to a kubeconfig file, "
                "or run inside a cluster with a service account"
            )
        return StartupFailure(f"error: no Kubernetes API configuration ({exc}): {fix}", CONFIG_EXIT_CODE)
    if isinstance(exc, OSError) and not isinstance(exc, socket.gaierror) and exc.errno == errno.EADDRINUSE:
        port = listen.rpartition(":")[2]
        return StartupFailure(
            f"error: {listen_flag} {listen}: port {port} is already in use: stop what listens there or choose another "
            f"port, e.g. {listen_flag} 127.0.0.1:0 (any free port)",
            RUNTIME_EXIT_CODE,
        )
    if isinstance(exc, socket.gaierror) or (
        isinstance(exc, OSError) and exc.errno in (errno.EADDRNOTAVAIL, errno.EACCES)
    ):
        reason = exc.strerror or str(exc)
        hint = (
            "ports below 1024 need privileges; use e.g. 8080"
            if exc.errno == errno.EACCES
            else ("use an address of this machine, e.g. 127.0.0.1:8080 or 0.0.0.0:8080")
        )
        return StartupFailure(
            f"error: {listen_flag} {listen}: cannot listen there ({reason}): {hint}", CONFIG_EXIT_CODE
        )
    if isinstance(exc, StoreUnavailableError):
        return StartupFailure(
            f"error: store.url {display_url_of(store_url)}: {exc}: check "
            "TRAINSPEND_STORE__URL and that the database is reachable; `trainspend db upgrade` creates the schema",
            RUNTIME_EXIT_CODE,
        )
    if isinstance(exc, StoreError):
        return StartupFailure(f"error: store.url {display_url_of(store_url)}: {exc}", RUNTIME_EXIT_CODE)
    if isinstance(exc, ConfigError):
        # The builders raise ConfigError naming the setting and the fix (store.url, listen, cloudwatch.namespace, ...);
        # any other ValueError is a bug and keeps its traceback.
        return StartupFailure(f"error: {exc}", CONFIG_EXIT_CODE)
    return None


def display_url_of(store_url: str) -> str:
    """store.url with its password masked (imported late: the store pulls in SQLAlchemy's engine machinery)."""
    from monitor.adapters.store.engine import display_url

    return display_url(store_url)
