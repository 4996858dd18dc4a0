"""CloudWatch publishing and alarm reconciling with real boto3 against the moto server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.stub import Stubber

from monitor.adapters.cloudwatch.alarms import BudgetThresholds, billing_alarm, desired_alarms
from monitor.adapters.cloudwatch.publisher import CloudWatchPublisher, CloudWatchSink
from monitor.adapters.cloudwatch.reconciler import AlarmReconciler
from monitor.adapters.cloudwatch.retry import client_config
from monitor.core.domain.model import WorkloadRef
from monitor.core.domain.result import Band, BudgetStatus, TickResult, WorkloadStatus

pytestmark = pytest.mark.integration
TOPIC = "arn:aws:sns:us-east-1:123456789012:oncall"


def _cw(moto_url: str):
    return boto3.client("cloudwatch", region_name="us-east-1", endpoint_url=moto_url, config=client_config())


def _tick(n_jobs: int = 0) -> TickResult:
    at = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    budget = BudgetStatus(
        name="research",
        period="monthly",
        period_start=at - timedelta(days=3),
        period_end=None,
        limit_usd=1000.0,
        spend_usd=420.0,
        projected_spend_usd=1300.0,
    )
    jobs = tuple(
        WorkloadStatus(
            ref=WorkloadRef(kind="Job", api_version="batch/v1", namespace="ml", name=f"j{i}", uid=f"u{i}"),
            cost_usd=float(i),
            hourly_cost_usd=1.0,
            projected_cost_usd=Band(p10=i, p50=2.0 * i, p90=3.0 * i),
        )
        for i in range(n_jobs)
    )
    return TickResult(cluster="prod", at=at, budgets=(budget,), jobs=jobs)


def _budgets(*names: str) -> list[BudgetThresholds]:
    return [BudgetThresholds(name=n, limit_usd=1000.0, thresholds=(0.8, 1.0)) for n in names]


def test_spend_lands_with_cluster_and_budget_dimensions(moto_url: str) -> None:
    cw = _cw(moto_url)
    tick = _tick()
    assert CloudWatchPublisher(CloudWatchSink(cw, "Trainspend")).publish(tick) == 2
    for metric, expected in (("AccruedSpendUSD", 420.0), ("ProjectedSpendUSD", 1300.0)):
        stats = cw.get_metric_statistics(
            Namespace="Trainspend",
            MetricName=metric,
            Dimensions=[{"Name": "Cluster", "Value": "prod"}, {"Name": "Budget", "Value": "research"}],
            StartTime=tick.at - timedelta(minutes=5),
            EndTime=tick.at + timedelta(minutes=5),
            Period=60,
            Statistics=["Maximum"],
        )
        assert [p["Maximum"] for p in stats["Datapoints"]] == [expected]


def test_per_job_dimensions_are_batched_under_the_api_limit(moto_url: str) -> None:
    cw = _cw(moto_url)
    calls: list[int] = []
    cw.meta.events.register(
        "provide-client-params.cloudwatch.PutMetricData", lambda params, **_: calls.append(len(params["MetricData"]))
    )
    sent = CloudWatchPublisher(CloudWatchSink(cw), per_job_dimensions=True).publish(_tick(n_jobs=600))
    assert sent == 2 + 2 * 600
    assert calls == [1000, 202]
    metrics = cw.list_metrics(
        Namespace="Trainspend", MetricName="AccruedSpendUSD", Dimensions=[{"Name": "Job", "Value": "j7"}]
    )["Metrics"]
    assert {(d["Name"], d["Value"]) for d in metrics[0]["Dimensions"]} == {
        ("Cluster", "prod"),
        ("Namespace", "ml"),
        ("Job", "j7"),
    }


def _names(cw) -> list[str]:
    return sorted(
        a["AlarmName"] for page in cw.get_paginator("describe_alarms").paginate() for a in page["MetricAlarms"]
    )


def test_reconciling_100_times_leaves_exactly_the_desired_alarms(moto_url: str) -> None:
    cw = _cw(moto_url)
    desired = desired_alarms("prod", _budgets("research", "infra"), actions=[TOPIC])
    reconciler = AlarmReconciler(cw, "prod", desired)
    first = reconciler.sync()
    assert len(first.create) == 4
    for _ in range(99):
        assert reconciler.sync().in_sync
    assert _names(cw) == [
        "trainspend-prod-infra-100",
        "trainspend-prod-infra-80",
        "trainspend-prod-research-100",
        "trainspend-prod-research-80",
    ]
    (alarm,) = cw.describe_alarms(AlarmNames=["trainspend-prod-research-80"])["MetricAlarms"]
    assert alarm["Threshold"] == 800.0
    assert alarm["MetricName"] == "ProjectedSpendUSD"
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarm["AlarmActions"] == [TOPIC]
    assert alarm["OKActions"] == [TOPIC]
    tags = cw.list_tags_for_resource(ResourceARN=alarm["AlarmArn"])["Tags"]
    assert {"Key": "trainspend:budget", "Value": "research"} in tags


def test_changes_update_and_removed_budget_is_deleted_but_foreign_alarms_stay(moto_url: str) -> None:
    cw = _cw(moto_url)
    AlarmReconciler(cw, "prod", desired_alarms("prod", _budgets("research", "infra"))).sync()
    foreign = {
        "Namespace": "Trainspend",
        "MetricName": "ProjectedSpendUSD",
        "Statistic": "Maximum",
        "Period": 300,
        "EvaluationPeriods": 1,
        "Threshold": 1.0,
        "ComparisonOperator": "GreaterThanThreshold",
    }
    cw.put_metric_alarm(AlarmName="someone-elses-alarm", **foreign)
    cw.put_metric_alarm(
        AlarmName="trainspend-prod-eu-research-80", Dimensions=[{"Name": "Cluster", "Value": "prod-eu"}], **foreign
    )
    budgets = [BudgetThresholds(name="research", limit_usd=2000.0, thresholds=(0.8, 1.0))]
    reconciler = AlarmReconciler(cw, "prod", desired_alarms("prod", budgets))
    plan = reconciler.plan()
    assert [s.name for s in plan.update] == ["trainspend-prod-research-100", "trainspend-prod-research-80"]
    assert plan.delete == ("trainspend-prod-infra-100", "trainspend-prod-infra-80")
    assert not plan.create
    reconciler.apply(plan)
    assert reconciler.plan().in_sync
    assert _names(cw) == [
        "someone-elses-alarm",
        "trainspend-prod-eu-research-80",
        "trainspend-prod-research-100",
        "trainspend-prod-research-80",
    ]
    (alarm,) = cw.describe_alarms(AlarmNames=["trainspend-prod-research-80"])["MetricAlarms"]
    assert alarm["Threshold"] == 1600.0


def test_pagination_sees_every_alarm(moto_url: str) -> None:
    cw = _cw(moto_url)
    names = [f"b{i:03d}" for i in range(60)]
    AlarmReconciler(cw, "prod", desired_alarms("prod", _budgets(*names))).sync()
    assert len(_names(cw)) == 120
    assert AlarmReconciler(cw, "prod", desired_alarms("prod", _budgets(*names))).plan().in_sync
    AlarmReconciler(cw, "prod", []).sync()
    assert _names(cw) == []


def test_billing_alarm_is_idempotent_and_removable(moto_url: str) -> None:
    cw = _cw(moto_url)
    spec = billing_alarm("prod", 5000.0, actions=[TOPIC])
    reconciler = AlarmReconciler(cw, "prod", [], billing_client=cw, billing=spec)
    assert [s.name for s in reconciler.sync().create] == ["trainspend-prod-account-estimated-charges"]
    for _ in range(5):
        assert reconciler.sync().in_sync
    (alarm,) = cw.describe_alarms(AlarmNames=[spec.name])["MetricAlarms"]
    assert (alarm["Namespace"], alarm["MetricName"], alarm["Threshold"]) == ("AWS/Billing", "EstimatedCharges", 5000.0)
    assert AlarmReconciler(cw, "prod", [], billing_client=cw).sync().delete_billing == (spec.name,)
    assert _names(cw) == []


def test_throttling_is_retried_with_backoff() -> None:
    cw = boto3.client(
        "cloudwatch",
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=client_config(max_attempts=1),
    )
    desired = desired_alarms("prod", [BudgetThresholds(name="research", limit_usd=1000.0, thresholds=(1.0,))])
    slept: list[float] = []
    with Stubber(cw) as stub:
        for _ in range(2):
            stub.add_client_error("describe_alarms", service_error_code="Throttling", http_status_code=400)
        stub.add_response("describe_alarms", {"MetricAlarms": []})
        stub.add_client_error("put_metric_alarm", service_error_code="Throttling", http_status_code=400)
        stub.add_response("put_metric_alarm", {})
        plan = AlarmReconciler(cw, "prod", desired, sleep=slept.append).sync()
        stub.assert_no_pending_responses()
    assert [s.name for s in plan.create] == ["trainspend-prod-research-100"]
    assert len(slept) == 3


def test_other_errors_are_not_retried() -> None:
    cw = boto3.client("cloudwatch", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    slept: list[float] = []
    with Stubber(cw) as stub:
        stub.add_client_error("describe_alarms", service_error_code="AccessDenied", http_status_code=403)
        with pytest.raises(Exception, match="AccessDenied"):
            AlarmReconciler(cw, "prod", [], sleep=slept.append).plan()
    assert slept == []


def test_bad_names_are_rejected_with_the_fix() -> None:
    with pytest.raises(ValueError, match=r"budgets\[\]\.name='team a'"):
        desired_alarms("prod", [BudgetThresholds(name="team a", limit_usd=1.0, thresholds=(1.0,))])
