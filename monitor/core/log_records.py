"""Which fields of a log record a call site attached with `extra=`: the JSON log format writes them and the
redaction filter masks them, so both ask here."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from functools import cache
from typing import Any


@cache
def _standard_attributes() -> frozenset[str]:
    """The attributes every LogRecord has (plus the two formatters add); read from a record on first use."""
    return frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def extra_fields(record: logging.LogRecord) -> Iterator[tuple[str, Any]]:
    """(name, value) of each field the record carries beyond the standard ones, private (`_`) names left out."""
    standard = _standard_attributes()
    for key, value in list(vars(record).items()):
        if key not in standard and not key.startswith("_"):
            yield key, value
