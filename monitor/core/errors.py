"""The daemon's own errors: one root, one subclass per adapter, so callers (the CLI edge above all) recognise a
failure by its class rather than by a vendor library's class name.

Modelled on kopf's `kopf/_cogs/clients/errors.py` (nolar/kopf): the vendor client can change, so its exceptions are
not spread through the code; each adapter raises its own subclass here with the vendor's exception chained as the
cause (`raise KubeConfigError(...) from exc`), so tracebacks and logs still show what the library said.

Errors a user fixes by changing a setting are `ConfigError`s; they are also `ValueError`s, because the settings
validators and the builders have always raised ValueError naming the setting and the fix, and callers catch that.
Nothing here imports an adapter or does I/O: every layer may import this module.
"""

from __future__ import annotations


class TrainspendError(Exception):
    """The root of every error the daemon raises on purpose. Anything else reaching the CLI edge is a bug."""


class ConfigError(TrainspendError, ValueError):
    """A setting that cannot work. The message names the setting, the value and the fix."""


class KubeError(TrainspendError):
    """The Kubernetes adapter (monitor.adapters.kube) failed."""


class KubeConfigError(KubeError, ConfigError):
    """No usable Kubernetes API configuration: no kubeconfig where one was named or expected, no in-cluster account.
    The cause is the client library's `ConfigException`."""


class PricingError(TrainspendError):
    """A pricing adapter (monitor.adapters.pricing) failed."""


class StoreError(TrainspendError):
    """The store (monitor.adapters.store) cannot be used as it is, e.g. its schema is not the one this code expects."""


class StoreUnavailableError(StoreError):
    """The database cannot be reached or used (connection refused, authentication, permissions); the cause is the
    database driver's error."""


class CloudWatchError(TrainspendError):
    """The CloudWatch adapter (monitor.adapters.cloudwatch) failed; the cause is botocore's error."""


class CloudWatchCredentialsError(CloudWatchError):
    """No AWS credentials were found for CloudWatch."""


class NotifyError(TrainspendError):
    """A notification channel (monitor.adapters.notify) failed."""


class UtilizationError(TrainspendError):
    """The GPU utilization adapter (monitor.adapters.dcgm) could not read dcgm-exporter or Prometheus."""
