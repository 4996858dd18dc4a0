"""SNS publish through real boto3 against the moto server; the message lands on a subscribed SQS queue."""

from __future__ import annotations

import json

import boto3
import pytest

from monitor.adapters.notify.dispatcher import Dispatcher
from monitor.adapters.notify.notifier import Notifier
from monitor.adapters.notify.sns import SnsChannel
from tests.fakes.outbox import InMemoryOutbox
from tests.integration.notify.helpers import AT, budget_tick

pytestmark = pytest.mark.integration


def test_sns_publish_delivers_the_event(moto_url: str) -> None:
    sns = boto3.client("sns", region_name="us-east-1", endpoint_url=moto_url)
    sqs = boto3.client("sqs", region_name="us-east-1", endpoint_url=moto_url)
    topic_arn = sns.create_topic(Name="trainspend-alerts")["TopicArn"]
    queue_url = sqs.create_queue(QueueName="inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)

    outbox = InMemoryOutbox()
    Notifier("prod", ["sns"]).enqueue(budget_tick("breach"), outbox, AT)
    report = Dispatcher(outbox, {"sns": SnsChannel(sns, topic_arn)}).run_once(AT)

    assert report.sent == 1
    (message,) = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    envelope = json.loads(message["Body"])
    assert envelope["Subject"].startswith("Budget research breached")
    event = json.loads(envelope["Message"])
    assert (event["budget"], event["state"], event["action"]) == ("research", "breach", "trigger")
    assert envelope["MessageAttributes"]["severity"]["Value"] == "critical"


def test_sns_unknown_topic_is_a_permanent_failure(moto_url: str) -> None:
    sns = boto3.client("sns", region_name="us-east-1", endpoint_url=moto_url)
    outbox = InMemoryOutbox()
    Notifier("prod", ["sns"]).enqueue(budget_tick("warning"), outbox, AT)
    channel = SnsChannel(sns, "arn:aws:sns:us-east-1:123456789012:missing")
    report = Dispatcher(outbox, {"sns": channel}).run_once(AT)
    assert report.dropped == 1
    (entry,) = outbox.with_status("dropped")
    assert entry.reason.startswith("sns: NotFound")
