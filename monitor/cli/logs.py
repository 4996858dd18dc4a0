"""How the daemon's log lines look: text for a terminal, or one JSON object per line (`log_format: json`) for a log
pipeline, carrying every `extra={...}` field a call site attached (e.g. the notifier's `channel` and `dedup`)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any, Literal

from monitor.core.log_records import extra_fields

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    """One line per record: time (UTC, ISO 8601), level, logger, message, then the record's extra fields (values JSON
    cannot hold are written as their str()); an extra that would shadow one of the four keys is written as
    `extra_<name>`. A traceback goes under `exception`."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in extra_fields(record):
            entry[f"extra_{key}" if key in entry else key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        # ASCII only: U+2028, U+0085 and friends escaped too, so no reader can split one record over two lines.
        return json.dumps(entry, default=str)


def configure_logging(level: str, fmt: Literal["text", "json"] = "text") -> None:
    """The root logger's one stderr handler, in the chosen format (a no-op when logging is already configured)."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    logging.basicConfig(level=level, handlers=[handler])
