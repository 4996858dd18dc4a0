"""Desired CloudWatch alarms: one per budget and threshold, plus the optional account billing alarm.

Alarm `trainspend-<cluster>-<budget>-<pct>` fires when the budget's ProjectedSpendUSD ≥ threshold × limit (Maximum
over 5 minutes, one period), with the configured SNS topics as ALARM and OK actions. The billing alarm watches
`AWS/Billing EstimatedCharges` (Currency=USD), which exists only in us-east-1 and updates about every 6 hours
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/monitor_estimated_charges_with_cloudwatch.html).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from monitor.adapters.cloudwatch.publisher import PROJECTED
from monitor.core.errors import ConfigError

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch.type_defs import MetricAlarmTypeDef

ALARM_PERIOD_SECONDS = 300
BILLING_PERIOD_SECONDS = 21600  # EstimatedCharges is published about every 6 hours
BILLING_REGION = "us-east-1"
NAME_PART = re.compile(r"^[A-Za-z0-9_.-]+$")


@dataclass(frozen=True)
class BudgetThresholds:
    name: str
    limit_usd: float
    thresholds: tuple[float, ...]


@dataclass(frozen=True)
class AlarmSpec:
    """Everything `PutMetricAlarm` is told. `tags` are set on create and on update (CloudWatch ignores Tags when
    PutMetricAlarm updates an existing alarm), and are not compared: describe_alarms does not return them."""

    name: str
    namespace: str
    metric_name: str
    dimensions: tuple[tuple[str, str], ...]
    threshold: float
    comparison: str = "GreaterThanOrEqualToThreshold"
    statistic: str = "Maximum"
    period_seconds: int = ALARM_PERIOD_SECONDS
    evaluation_periods: int = 1
    actions: tuple[str, ...] = ()
    description: str = ""
    treat_missing_data: str = "missing"
    billing: bool = False
    tags: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    def put_kwargs(self) -> dict[str, Any]:
        return {
            "AlarmName": self.name,
            "AlarmDescription": self.description,
            "Namespace": self.namespace,
            "MetricName": self.metric_name,
            "Dimensions": [{"Name": k, "Value": v} for k, v in self.dimensions],
            "Statistic": self.statistic,
            "Period": self.period_seconds,
            "EvaluationPeriods": self.evaluation_periods,
            "Threshold": self.threshold,
            "ComparisonOperator": self.comparison,
            "TreatMissingData": self.treat_missing_data,
            "ActionsEnabled": True,
            "AlarmActions": list(self.actions),
            "OKActions": list(self.actions),
        }

    def matches(self, alarm: MetricAlarmTypeDef) -> bool:
        """True when the existing alarm already says what this spec says (then no update is sent)."""
        existing = (
            alarm.get("Namespace"),
            alarm.get("MetricName"),
            tuple(sorted((d["Name"], d["Value"]) for d in alarm.get("Dimensions", []))),
            float(alarm.get("Threshold", -1.0)),
            alarm.get("ComparisonOperator"),
            alarm.get("Statistic"),
            alarm.get("Period"),
            alarm.get("EvaluationPeriods"),
            tuple(sorted(alarm.get("AlarmActions", []))),
            tuple(sorted(alarm.get("OKActions", []))),
            alarm.get("AlarmDescription", ""),
            alarm.get("TreatMissingData", "missing"),
        )
        wanted = (
            self.namespace,
            self.metric_name,
            tuple(sorted(self.dimensions)),
            float(self.threshold),
            self.comparison,
            self.statistic,
            self.period_seconds,
            self.evaluation_periods,
            tuple(sorted(self.actions)),
            tuple(sorted(self.actions)),
            self.description,
            self.treat_missing_data,
        )
        return existing == wanted


def prefix(cluster: str) -> str:
    return f"trainspend-{cluster}-"


def percent(threshold: float) -> str:
    """0.8 → "80", 1.0 → "100", 0.825 → "82.5"."""
    return f"{round(threshold * 100.0, 2):g}"


def alarm_name(cluster: str, budget: str, threshold: float) -> str:
    return f"{prefix(cluster)}{budget}-{percent(threshold)}"


def billing_alarm_name(cluster: str) -> str:
    return f"{prefix(cluster)}account-estimated-charges"


def desired_alarms(
    cluster: str,
    budgets: Sequence[BudgetThresholds],
    *,
    namespace: str = "Trainspend",
    actions: Sequence[str] = (),
) -> list[AlarmSpec]:
    """One alarm per budget × threshold: ProjectedSpendUSD{Cluster, Budget} ≥ threshold × limit_usd."""
    for part, value in (("cluster", cluster), *(("budgets[].name", b.name) for b in budgets)):
        if not NAME_PART.match(value):
            raise ConfigError(f"{part}={value!r} cannot be part of an alarm name: use letters, digits, '.', '_', '-'")
    specs: dict[str, AlarmSpec] = {}
    tags = (("trainspend:cluster", cluster), ("managed-by", "trainspend"))
    for b in budgets:
        for t in b.thresholds:
            if t <= 0:
                raise ConfigError(
                    f"budgets[{b.name}].thresholds={t!r}: a threshold is a positive fraction of the limit, e.g. 0.8"
                )
            name = alarm_name(cluster, b.name, t)
            specs[name] = AlarmSpec(
                name=name,
                namespace=namespace,
                metric_name=PROJECTED,
                dimensions=(("Budget", b.name), ("Cluster", cluster)),
                threshold=round(t * b.limit_usd, 2),
                actions=tuple(actions),
                description=(
                    f"trainspend: budget {b.name} on cluster {cluster} projected to reach {percent(t)}% "
                    f"of ${b.limit_usd:,.2f} this period"
                ),
                tags=(*tags, ("trainspend:budget", b.name)),
            )
    return sorted(specs.values(), key=lambda s: s.name)


def billing_alarm(cluster: str, threshold_usd: float, actions: Sequence[str] = ()) -> AlarmSpec:
    """The account-level EstimatedCharges alarm (us-east-1 only)."""
    if threshold_usd <= 0:
        raise ConfigError(
            f"cloudwatch.billing_alarm_usd={threshold_usd!r}: the threshold must be positive, in USD, e.g. 5000"
        )
    return AlarmSpec(
        name=billing_alarm_name(cluster),
        namespace="AWS/Billing",
        metric_name="EstimatedCharges",
        dimensions=(("Currency", "USD"),),
        threshold=float(threshold_usd),
        period_seconds=BILLING_PERIOD_SECONDS,
        actions=tuple(actions),
        description=f"trainspend: AWS account estimated charges reached ${threshold_usd:,.2f}",
        billing=True,
        tags=(("managed-by", "trainspend"),),
    )
