"""One bounded GET for the dcgm adapters, its failures mapped to `UtilizationError`."""

from __future__ import annotations

import httpx

from monitor.core.errors import UtilizationError

# A dcgm-exporter page is ~50 KB per 8-GPU node; a Prometheus answer for 20,000 GPUs ~10 MB. Anything far above is
# not a utilization answer, and is refused before it is read into memory.
MAX_BODY_BYTES = 64 * 1024 * 1024


def get_text(
    client: httpx.Client, url: str, params: dict[str, str] | None = None, error_bodies: bool = False
) -> tuple[int, str]:
    """(HTTP status, body). A status of 400 or more is an error, unless `error_bodies` (the Prometheus API explains
    a refused query in a JSON body): then the caller reads it."""
    try:
        with client.stream("GET", url, params=params) as response:
            if response.status_code >= 400 and not (error_bodies and response.status_code in (400, 422, 503)):
                raise UtilizationError(f"{_where(url)} answered HTTP {response.status_code}")
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > MAX_BODY_BYTES:
                    raise UtilizationError(f"{_where(url)} sent more than {MAX_BODY_BYTES} bytes")
                chunks.append(chunk)
            return response.status_code, b"".join(chunks).decode("utf-8", errors="replace")
    except httpx.TimeoutException as error:
        raise UtilizationError(f"timeout calling {_where(url)}") from error
    except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError) as error:
        raise UtilizationError(f"cannot reach {_where(url)}: {type(error).__name__}") from error


def _where(url: str) -> str:
    """Scheme, host and path, never userinfo or the query (a URL may carry credentials)."""
    parsed = httpx.URL(url)
    return f"{parsed.scheme}://{parsed.host}{f':{parsed.port}' if parsed.port else ''}{parsed.path}"
