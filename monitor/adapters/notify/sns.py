"""Amazon SNS publish of the event as JSON, with severity and action as message attributes for filter policies."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from monitor.adapters.notify.channel import DeliveryError

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient

RETRYABLE_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "InternalError",
        "InternalFailure",
        "ServiceUnavailable",
        "KMSThrottling",
    }
)
SUBJECT_MAX_CHARS = 99  # SNS: ASCII, fewer than 100 characters, no line breaks


def subject(title: str) -> str:
    ascii_only = title.encode("ascii", "replace").decode().replace("\n", " ")
    return ascii_only[:SUBJECT_MAX_CHARS]


class SnsChannel:
    name = "sns"

    def __init__(self, client: SNSClient, topic_arn: str) -> None:
        self._client = client
        self._topic_arn = topic_arn

    def send(self, event: Mapping[str, object], now: datetime) -> None:
        from botocore.exceptions import BotoCoreError, ClientError  # only with an SNS client (notify/factory.py)

        try:
            self._client.publish(
                TopicArn=self._topic_arn,
                Subject=subject(str(event["title"])),
                Message=json.dumps(dict(event), sort_keys=True),
                MessageAttributes={
                    "severity": {"DataType": "String", "StringValue": str(event["severity"])},
                    "action": {"DataType": "String", "StringValue": str(event["action"])},
                },
            )
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            raise DeliveryError(f"sns: {code}", retryable=code in RETRYABLE_CODES) from None
        except BotoCoreError as exc:
            raise DeliveryError(f"sns: {type(exc).__name__}", retryable=True) from None
