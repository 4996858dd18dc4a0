"""CloudWatch `PutMetricData` of accrued and projected spend, from the tick's result.

Budgets publish `AccruedSpendUSD` (period-to-date) and `ProjectedSpendUSD` (to period end) with dimensions
Cluster+Budget; with per-Job dimensions enabled, each Job also publishes its cost so far and projected p50 total with
Cluster+Namespace+Job. Batches hold at most 1000 datums, the PutMetricData limit
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from monitor.adapters.cloudwatch.retry import with_backoff
from monitor.core.domain.result import TickResult
from monitor.core.errors import ConfigError
from monitor.core.ports import MetricSink

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_cloudwatch.type_defs import MetricDatumTypeDef

ACCRUED = "AccruedSpendUSD"
PROJECTED = "ProjectedSpendUSD"
MAX_DATUMS_PER_CALL = 1000

Datapoint = tuple[str, dict[str, str], float]


def datapoints(result: TickResult, per_job_dimensions: bool = False) -> list[Datapoint]:
    """(metric name, dimensions, USD) for every budget, and for every Job when per-Job dimensions are on."""
    out: list[Datapoint] = []
    for b in result.budgets:
        dims = {"Cluster": result.cluster, "Budget": b.name}
        out += [(ACCRUED, dims, b.spend_usd), (PROJECTED, dims, b.projected_spend_usd)]
    if per_job_dimensions:
        for j in result.jobs:
            dims = {"Cluster": result.cluster, "Namespace": j.ref.namespace, "Job": j.ref.name}
            out.append((ACCRUED, dims, j.cost_usd))
            if j.projected_cost_usd is not None:
                out.append((PROJECTED, dims, j.projected_cost_usd.p50))
    return out


class CloudWatchSink:
    """`monitor.core.ports.MetricSink` over a boto3 CloudWatch client."""

    def __init__(
        self, client: CloudWatchClient, namespace: str = "Trainspend", sleep: Callable[[float], None] | None = None
    ) -> None:
        if not namespace or namespace.startswith("AWS/"):
            raise ConfigError(
                f"cloudwatch.namespace={namespace!r}: empty, or AWS/ (reserved for AWS services); "
                "use a custom name, e.g. 'Trainspend'"
            )
        self.client = client
        self.namespace = namespace
        self._sleep = sleep

    def put(self, datapoints: Sequence[Datapoint], at: datetime) -> None:
        datums: list[MetricDatumTypeDef] = [
            {
                "MetricName": name,
                "Dimensions": [{"Name": k, "Value": v} for k, v in sorted(dims.items())],
                "Timestamp": at,
                "Value": float(value),
                "Unit": "None",  # CloudWatch has no currency unit; the metric name carries USD
            }
            for name, dims, value in datapoints
        ]
        for start in range(0, len(datums), MAX_DATUMS_PER_CALL):
            batch = datums[start : start + MAX_DATUMS_PER_CALL]

            def call(batch: list[MetricDatumTypeDef] = batch) -> object:
                return self.client.put_metric_data(Namespace=self.namespace, MetricData=batch)

            if self._sleep is None:
                with_backoff(call)
            else:
                with_backoff(call, sleep=self._sleep)


class CloudWatchPublisher:
    """Publishes a TickResult's spend. Followers publish nothing: only the leader's numbers count."""

    def __init__(self, sink: MetricSink, per_job_dimensions: bool = False) -> None:
        self.sink = sink
        self.per_job_dimensions = per_job_dimensions

    def publish(self, result: TickResult) -> int:
        """Returns how many datums were sent."""
        if not result.is_leader:
            return 0
        points = datapoints(result, self.per_job_dimensions)
        if points:
            self.sink.put(points, result.at)
        return len(points)
