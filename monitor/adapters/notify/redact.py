"""Keeping secrets (webhook URLs, routing keys) out of logs and exceptions."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from monitor.config.redaction import MASK, mask_credentials
from monitor.core.log_records import extra_fields

# httpx logs every request URL at INFO; a Slack or webhook URL *is* the credential.
LOGGERS_THAT_PRINT_URLS = ("httpx",)


def mask(text: str, secrets: Iterable[str]) -> str:
    """`text` with every occurrence of each non-empty secret replaced by `***` (longest first, so a secret that
    contains another is masked whole, case-insensitively: an endpoint may echo the URL with its host capitalised), and
    whatever `mask_credentials` finds by parsing (URL passwords, `key=` query values)."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = re.sub(re.escape(secret), MASK, text, flags=re.IGNORECASE)
    return mask_credentials(text)


class RedactingFilter(logging.Filter):
    """Rewrites a record's message, and each text field a call site attached with `extra=` (which `log_format: json`
    writes out), with the secrets masked."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets: set[str] = {s for s in secrets if s}

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask(message, self.secrets)
        if masked != message:
            record.msg, record.args = masked, None
        for key, value in extra_fields(record):
            if isinstance(value, str):
                setattr(record, key, mask(value, self.secrets))
        return True


def install_redaction(secrets: Iterable[str], logger_names: Iterable[str] = LOGGERS_THAT_PRINT_URLS) -> None:
    """Adds the secrets to a RedactingFilter on each named logger (one filter per logger, reused on later calls)."""
    wanted = [s for s in secrets if s]
    for name in logger_names:
        logger = logging.getLogger(name)
        existing = next((f for f in logger.filters if isinstance(f, RedactingFilter)), None)
        if existing is None:
            logger.addFilter(RedactingFilter(wanted))
        else:
            existing.secrets.update(wanted)
