"""Errors of the pricing adapters. A live source raises these; the cache turns them into a stale last-good price."""

from __future__ import annotations

from monitor.core.errors import PricingError


class PricingApiError(PricingError):
    """A pricing API failed (HTTP 5xx, timeout, malformed body). The last good price stays in use, flagged stale."""


class PricingThrottledError(PricingApiError):
    """The API asked us to slow down (AWS ThrottlingException, HTTP 429): back off before the next call."""

    def __init__(self, message: str, retry_after_seconds: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds
