"""What every notification channel is: a name and `send(event, now)`, raising `DeliveryError` when it fails."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Protocol

import httpx

from monitor.adapters.notify.redact import mask
from monitor.core.errors import NotifyError


class DeliveryError(NotifyError):
    """A failed delivery. `retryable` False means retrying cannot help (e.g. HTTP 400): the message is dropped."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class Channel(Protocol):
    name: str

    def send(self, event: Mapping[str, object], now: datetime) -> None:
        """Delivers one notification event (see `monitor.adapters.notify.events`). Raises DeliveryError on failure."""
        ...


def post_json(
    client: httpx.Client, channel: str, url: str, body: bytes, headers: Mapping[str, str], secrets: tuple[str, ...]
) -> httpx.Response:
    """POSTs JSON and classifies failures. The URL is never put in an error: webhook URLs are secrets."""
    try:
        response = client.post(url, content=body, headers={"Content-Type": "application/json", **headers})
    except httpx.TransportError as exc:
        raise DeliveryError(f"{channel}: {type(exc).__name__}: {mask(str(exc), secrets)}", retryable=True) from None
    check_status(channel, response.status_code, mask(response.text[:200], secrets))
    return response


def check_status(channel: str, status: int, detail: str) -> None:
    """2xx is success; 408, 429 and 5xx are worth retrying; any other 4xx is a permanent rejection."""
    if 200 <= status < 300:
        return
    retryable = status in (408, 429) or status >= 500
    raise DeliveryError(f"{channel}: HTTP {status}: {detail}", retryable=retryable)
