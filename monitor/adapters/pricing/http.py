"""One JSON GET for the HTTP pricing APIs (Azure, GCP), with their failures mapped to the pricing errors."""

from __future__ import annotations

from typing import Any

import httpx

from monitor.adapters.pricing.errors import PricingApiError, PricingThrottledError


def get_json(client: httpx.Client, url: str, params: dict[str, str] | None = None) -> dict[str, Any]:
    """GET → the decoded JSON object. 429 → PricingThrottledError (with Retry-After seconds when given); other
    non-2xx, timeouts, connection errors and bodies that are not a JSON object → PricingApiError."""
    try:
        response = client.get(url, params=params)
    except httpx.TimeoutException as error:
        raise PricingApiError(f"timeout calling {_host(url)}") from error
    except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError) as error:
        raise PricingApiError(f"cannot reach {_host(url)}: {type(error).__name__}") from error
    if response.status_code == 429:
        raise PricingThrottledError(f"{_host(url)} throttled (HTTP 429)", _retry_after(response))
    if response.status_code >= 400:
        raise PricingApiError(f"{_host(url)} answered HTTP {response.status_code}")
    try:
        body = response.json()
    except (ValueError, RecursionError) as error:  # RecursionError: a body nested deeper than the parser recurses
        raise PricingApiError(f"{_host(url)} sent malformed JSON: {error}") from error
    if not isinstance(body, dict):
        raise PricingApiError(f"{_host(url)} sent JSON that is not an object")
    return body


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    try:
        return float(value)
    except ValueError:
        return None  # an HTTP-date Retry-After: fall back to exponential backoff


def _host(url: str) -> str:
    return httpx.URL(url).host or url
