"""Masking credentials found by parsing, not by matching a configured string: URL userinfo
(`postgresql://user:PASSWORD@host`) and the values of query parameters that carry credentials (`?key=...`), whatever
the host's case or wherever the URL is echoed (a log line, an error body). Pure text in, text out."""

from __future__ import annotations

import re

MASK = "***"
# Query parameter names that carry a credential: GCP API keys (`key`), OAuth/SAS tokens, signatures, passwords.
CREDENTIAL_PARAMETERS = (
    "key",
    "api_key",
    "apikey",
    "access_token",
    "token",
    "sig",
    "signature",
    "password",
    "secret",
    "client_secret",
)
_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^:/?#@\s]*):(?P<password>[^@/?#\s]*)@")
_PARAMETER = re.compile(
    r"(?P<name>[?&;](?:" + "|".join(CREDENTIAL_PARAMETERS) + r"))=(?P<value>[^&#\s\"']*)", re.IGNORECASE
)


def mask_credentials(text: str) -> str:
    """`text` with URL passwords and credential query values replaced by `***`."""
    text = _USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:{MASK}@", text)
    return _PARAMETER.sub(lambda m: f"{m['name']}={MASK}", text)
