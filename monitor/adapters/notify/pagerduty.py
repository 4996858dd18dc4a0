"""PagerDuty Events API v2: `trigger` while a problem is open, `resolve` when it is over, with one stable
`dedup_key` per subject (budget or Job) so that the resolve closes the incident the trigger opened.
Reference: https://developer.pagerduty.com/docs/events-api-v2/trigger-events/"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime

import httpx
from pydantic import SecretStr

from monitor.adapters.notify.channel import post_json

# PagerDuty severities are critical | error | warning | info.
SEVERITIES = {"critical": "critical", "warning": "warning", "info": "info"}


def dedup_key(event: Mapping[str, object]) -> str:
    """Stable per subject across trigger, escalation (warning → breach) and resolve."""
    return f"trainspend:{event['subject']}"


def pagerduty_event(event: Mapping[str, object], routing_key: str) -> dict[str, object]:
    body: dict[str, object] = {
        "routing_key": routing_key,
        "event_action": event["action"],
        "dedup_key": dedup_key(event),
    }
    if event["action"] == "trigger":
        body["payload"] = {
            "summary": str(event["title"])[:1024],
            "source": f"trainspend/{event['cluster']}",
            "severity": SEVERITIES.get(str(event["severity"]), "warning"),
            "component": str(event.get("budget") or event.get("workload") or ""),
            "group": str(event["cluster"]),
            "class": f"{event['kind']}-{event['state']}",
            "custom_details": {
                k: event[k] for k in ("spend_usd", "projected_usd", "limit_usd", "previous", "state") if k in event
            },
        }
        if event.get("link"):
            body["links"] = [{"href": event["link"], "text": "Dashboard"}]
    return body


class PagerDutyChannel:
    name = "pagerduty"

    def __init__(self, routing_key: SecretStr, url: str, client: httpx.Client) -> None:
        self._key = routing_key
        self._url = url
        self._client = client

    def send(self, event: Mapping[str, object], now: datetime) -> None:
        key = self._key.get_secret_value()
        body = json.dumps(pagerduty_event(event, key)).encode()
        post_json(self._client, self.name, self._url, body, {}, (key,))
