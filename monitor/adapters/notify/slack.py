"""Slack incoming webhook: a readable message in Block Kit (header, the numbers as fields, a link)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime

import httpx
from pydantic import SecretStr

from monitor.adapters.notify.channel import post_json

EMOJI = {"critical": ":rotating_light:", "warning": ":warning:", "info": ":white_check_mark:"}


def _usd(value: object) -> str:
    return f"${float(str(value)):,.2f}"


def slack_message(event: Mapping[str, object]) -> dict[str, object]:
    """The webhook body for one event: `text` is the notification fallback, `blocks` the readable message."""
    title = str(event["title"])
    subject = (
        f"*Budget* {event['budget']}"
        if event["kind"] == "budget"
        else (f"*Job* {event['namespace']}/{event['workload']} ({event['workload_kind']})")
    )
    limit_label = "Budget limit" if event["kind"] == "budget" else "Job budget"
    blocks: list[dict[str, object]] = [
        {"type": "header", "text": {"type": "plain_text", "text": title[:150]}},
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": subject},
                {"type": "mrkdwn", "text": f"*State* {event['previous']} → {event['state']}"},
                {"type": "mrkdwn", "text": f"*Spend so far* {_usd(event['spend_usd'])}"},
                {"type": "mrkdwn", "text": f"*Projected* {_usd(event['projected_usd'])}"},
                {"type": "mrkdwn", "text": f"*{limit_label}* {_usd(event['limit_usd'])}"},
                {"type": "mrkdwn", "text": f"*Cluster* {event['cluster']}"},
            ],
        },
    ]
    if event.get("link"):
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"<{event['link']}|Open dashboard>"}})
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"trainspend · {event.get('at', '')}"}]})
    return {"text": f"{EMOJI.get(str(event['severity']), '')} {title}".strip(), "blocks": blocks}


class SlackChannel:
    name = "slack"

    def __init__(self, webhook_url: SecretStr, client: httpx.Client) -> None:
        self._url = webhook_url
        self._client = client

    def send(self, event: Mapping[str, object], now: datetime) -> None:
        body = json.dumps(slack_message(event)).encode()
        url = self._url.get_secret_value()
        post_json(self._client, self.name, url, body, {}, (url,))
