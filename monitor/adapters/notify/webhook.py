"""Generic JSON webhook signed with HMAC-SHA256.

Signature = hex(HMAC-SHA256(secret, f"{timestamp}.{body}")), sent as `X-Trainspend-Signature: sha256=<hex>` with the
Unix `timestamp` in `X-Trainspend-Timestamp` (the scheme Stripe and Slack use, so a receiver can reject replays by
checking the timestamp's age). The timestamp is read from the wall clock when the request is built, not when the
dispatch run began: a run that waits on slow endpoints must not sign with a time already minutes old.

Each request carries the outbox message's dedup key as `Idempotency-Key` (draft-ietf-httpapi-idempotency-key-header)
and as `idempotency_key` in the body: the same for every retry of one message, so a receiver can drop the re-send that
follows a crash between its 2xx and our recording it."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import datetime

import httpx
from pydantic import SecretStr

from monitor.adapters.notify.channel import post_json
from monitor.core.clock import SystemClock
from monitor.core.ports import Clock

TIMESTAMP_HEADER = "X-Trainspend-Timestamp"
SIGNATURE_HEADER = "X-Trainspend-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=<hex of HMAC-SHA256(secret, timestamp + "." + body)>`."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """Constant-time check of a received signature (for receivers and tests)."""
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


def _header_safe(key: str) -> str:
    """The key itself when it is printable ASCII (HTTP header values are), else its SHA-256 (stable too)."""
    if key.isascii() and key.isprintable():
        return key
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


class WebhookChannel:
    name = "webhook"

    def __init__(
        self, url: SecretStr, secret: SecretStr | None, client: httpx.Client, wall_clock: Clock | None = None
    ) -> None:
        self._url = url
        self._secret = secret
        self._client = client
        self._wall_clock = wall_clock or SystemClock()

    def send(self, event: Mapping[str, object], now: datetime) -> None:
        body = json.dumps({"type": "trainspend.notification", **event}, sort_keys=True, separators=(",", ":")).encode()
        timestamp = str(int(self._wall_clock.now().timestamp()))  # `now` is when the dispatch run began
        headers = {TIMESTAMP_HEADER: timestamp}
        if event.get("idempotency_key"):
            headers[IDEMPOTENCY_HEADER] = _header_safe(str(event["idempotency_key"]))
        secrets = [self._url.get_secret_value()]
        if self._secret is not None:
            key = self._secret.get_secret_value()
            headers[SIGNATURE_HEADER] = sign(key, timestamp, body)
            secrets.append(key)
        post_json(self._client, self.name, self._url.get_secret_value(), body, headers, tuple(secrets))
