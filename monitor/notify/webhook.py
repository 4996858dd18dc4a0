"""Generic JSON webhook signed with HMAC-SHA256.

Signature = hex(HMAC-SHA256(secret, f"{timestamp}.{body}")), sent as `X-Trainspend-Signature: sha256=<hex>` with the
Unix `timestamp` in `X-Trainspend-Timestamp` (the scheme Stripe and Slack use, so a receiver can reject replays by
checking the timestamp's age)."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import datetime

import httpx
from pydantic import SecretStr

from monitor.notify.channel import post_json

TIMESTAMP_HEADER = "X-Trainspend-Timestamp"
SIGNATURE_HEADER = "X-Trainspend-Signature"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=<hex of HMAC-SHA256(secret, timestamp + "." + body)>`."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """Constant-time check of a received signature (for receivers and tests)."""
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


class WebhookChannel:
    name = "webhook"

    def __init__(self, url: SecretStr, secret: SecretStr | None, client: httpx.Client) -> None:
        self._url = url
        self._secret = secret
        self._client = client

    def send(self, event: Mapping[str, object], now: datetime) -> None:
        body = json.dumps({"type": "trainspend.notification", **event}, sort_keys=True, separators=(",", ":")).encode()
        timestamp = str(int(now.timestamp()))
        headers = {TIMESTAMP_HEADER: timestamp}
        secrets = [self._url.get_secret_value()]
        if self._secret is not None:
            key = self._secret.get_secret_value()
            headers[SIGNATURE_HEADER] = sign(key, timestamp, body)
            secrets.append(key)
        post_json(self._client, self.name, self._url.get_secret_value(), body, headers, tuple(secrets))
