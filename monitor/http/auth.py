"""The optional bearer token of the JSON API and /metrics (RFC 6750 `Authorization: Bearer <token>`).

Open whatever the token: the probes (/healthz, /readyz: the kubelet sends no token) and the page's static assets
(`/`, `/ui/...`: a browser cannot add a header to a navigation; the page then sends the token on its API calls).
The comparison is constant-time (`hmac.compare_digest`), so the answer's timing says nothing about the token.
"""

from __future__ import annotations

import hmac

OPEN_PATHS = frozenset({"/", "/healthz", "/readyz"})
OPEN_PREFIXES = ("/ui/",)
# RFC 6750 §3: the challenge a client needs to know which scheme is expected.
CHALLENGE = 'Bearer realm="trainspend"'
_MAX_HEADER_CHARS = 4096  # an Authorization header longer than this is refused unread


def needs_token(path: str) -> bool:
    return path not in OPEN_PATHS and not path.startswith(OPEN_PREFIXES)


def authorized(expected: bytes | None, path: str, header: str | None) -> bool:
    """Whether a request for `path` with this Authorization header may be answered; always with no token set."""
    if expected is None or not needs_token(path):
        return True
    if header is None or len(header) > _MAX_HEADER_CHARS:
        return False
    scheme, _, credentials = header.strip().partition(" ")
    if scheme.lower() != "bearer":  # the scheme is case-insensitive (RFC 7235 §2.1)
        return False
    return hmac.compare_digest(credentials.strip().encode("utf-8", "surrogateescape"), expected)
