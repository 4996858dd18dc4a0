"""Reconciles CloudWatch alarms with the desired set: create what is missing, update what differs, delete orphans.

Only alarms this cluster owns are ever touched: the name starts with `trainspend-<cluster>-` AND the alarm watches a
metric with dimension `Cluster=<cluster>` (so cluster `prod` never deletes cluster `prod-eu`'s alarms, whose names
share the prefix). The billing alarm is looked up by its exact name in us-east-1.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from monitor.adapters.cloudwatch.alarms import AlarmSpec, billing_alarm_name, prefix
from monitor.adapters.cloudwatch.retry import with_backoff
from monitor.core.errors import CloudWatchCredentialsError, CloudWatchError

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_cloudwatch.type_defs import MetricAlarmTypeDef

T = TypeVar("T")
DELETE_BATCH = 100  # DeleteAlarms takes at most 100 names per call


@dataclass(frozen=True)
class AlarmPlan:
    create: tuple[AlarmSpec, ...] = ()
    update: tuple[AlarmSpec, ...] = ()
    delete: tuple[str, ...] = ()
    delete_billing: tuple[str, ...] = ()

    @property
    def in_sync(self) -> bool:
        return not (self.create or self.update or self.delete or self.delete_billing)

    def lines(self) -> list[str]:
        """Human-readable plan, one action per line (for `trainspend alarms sync --dry-run`)."""
        out = [f"create {s.name}: {s.metric_name} >= {s.threshold:g}" for s in self.create]
        out += [f"update {s.name}: {s.metric_name} >= {s.threshold:g}" for s in self.update]
        out += [f"delete {name}" for name in (*self.delete, *self.delete_billing)]
        return out or ["alarms in sync: nothing to do"]


@dataclass
class AlarmReconciler:
    client: CloudWatchClient
    cluster: str
    desired: Sequence[AlarmSpec]
    billing_client: CloudWatchClient | None = None  # us-east-1; None = leave the billing alarm alone
    billing: AlarmSpec | None = None  # None with a billing_client = delete ours if it exists
    sleep: Callable[[float], None] | None = None
    _retry: dict[str, Any] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        if self.sleep is not None:
            self._retry = {"sleep": self.sleep}
        if self.billing is not None and self.billing_client is None:
            raise ValueError("a billing alarm needs a CloudWatch client in us-east-1 (billing_client)")

    def existing(self) -> dict[str, MetricAlarmTypeDef]:
        """This cluster's alarms under the prefix, by name (all pages)."""
        found: dict[str, MetricAlarmTypeDef] = {}
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"AlarmNamePrefix": prefix(self.cluster), "AlarmTypes": ["MetricAlarm"]}
            if token:
                kwargs["NextToken"] = token
            page = self._call(partial(self.client.describe_alarms, **kwargs))
            for alarm in page.get("MetricAlarms", []):
                dims = {(d["Name"], d["Value"]) for d in alarm.get("Dimensions", [])}
                if ("Cluster", self.cluster) in dims:
                    found[alarm["AlarmName"]] = alarm
            token = page.get("NextToken")
            if not token:
                return found

    def plan(self) -> AlarmPlan:
        existing = self.existing()
        wanted = {s.name: s for s in self.desired}
        create = tuple(s for name, s in wanted.items() if name not in existing)
        update = tuple(s for name, s in wanted.items() if name in existing and not s.matches(existing[name]))
        delete = tuple(sorted(name for name in existing if name not in wanted))
        delete_billing: tuple[str, ...] = ()
        if self.billing_client is not None:
            name = billing_alarm_name(self.cluster)
            client = self.billing_client
            page = self._call(lambda: client.describe_alarms(AlarmNames=[name]))
            current = page.get("MetricAlarms", [])
            if self.billing is not None and not current:
                create += (self.billing,)
            elif self.billing is not None and not self.billing.matches(current[0]):
                update += (self.billing,)
            elif self.billing is None and current:
                delete_billing = (name,)
        return AlarmPlan(create=create, update=update, delete=delete, delete_billing=delete_billing)

    def apply(self, plan: AlarmPlan) -> None:
        for spec in plan.create:
            self._put(self._client_for(spec), spec, update=False)
        for spec in plan.update:
            self._put(self._client_for(spec), spec, update=True)
        self._delete(self.client, plan.delete)
        if self.billing_client is not None:
            self._delete(self.billing_client, plan.delete_billing)

    def sync(self) -> AlarmPlan:
        """plan() then apply(); returns what was done. Raises on failure (then alarms are not in sync)."""
        plan = self.plan()
        self.apply(plan)
        return plan

    def _client_for(self, spec: AlarmSpec) -> CloudWatchClient:
        return self.billing_client if spec.billing and self.billing_client is not None else self.client

    def _call(self, call: Callable[[], T]) -> T:
        """One CloudWatch call with throttling backoff; botocore's failures leave as this adapter's errors."""
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError  # not at import (retry.py)

        try:
            return with_backoff(call, **self._retry)
        except NoCredentialsError as exc:
            raise CloudWatchCredentialsError(f"no AWS credentials ({exc})") from exc
        except (BotoCoreError, ClientError) as exc:
            raise CloudWatchError(str(exc)) from exc

    def _delete(self, client: CloudWatchClient, names: Sequence[str]) -> None:
        for start in range(0, len(names), DELETE_BATCH):
            batch = list(names[start : start + DELETE_BATCH])
            self._call(partial(client.delete_alarms, AlarmNames=batch))

    def _put(self, client: CloudWatchClient, spec: AlarmSpec, *, update: bool) -> None:
        tags: list[Any] = [{"Key": k, "Value": v} for k, v in spec.tags]
        kwargs = {**spec.put_kwargs(), "Tags": tags}
        self._call(lambda: client.put_metric_alarm(**kwargs))
        if update and tags:
            # PutMetricAlarm ignores Tags when it updates an existing alarm; TagResource sets them.
            page = self._call(lambda: client.describe_alarms(AlarmNames=[spec.name]))
            for alarm in page.get("MetricAlarms", []):
                arn = alarm.get("AlarmArn", "")
                if arn:
                    self._call(partial(client.tag_resource, ResourceARN=arn, Tags=tags))
