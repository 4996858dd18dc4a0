"""`log_format: json`: one JSON object per line with time, level, logger, message and every `extra=` field."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
from datetime import datetime

from hypothesis import given
from hypothesis import strategies as st

from monitor.cli.logs import JsonFormatter
from monitor.config.settings import Settings

_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def _logged(extra: dict[str, object], message: str = "notification sent %s", *args: object) -> dict[str, object]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.Logger("trainspend.test")  # not registered: no other handler sees it
    logger.addHandler(handler)
    logger.warning(message, *args, extra=extra)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    parsed: dict[str, object] = json.loads(lines[0])
    return parsed


def test_a_record_carries_its_extra_fields_beside_the_message() -> None:
    entry = _logged({"channel": "slack", "dedup": "budget:team-a:2026-11:warning", "attempts": 3}, "sent %s", "ok")
    assert entry["message"] == "sent ok"
    assert (entry["level"], entry["logger"]) == ("WARNING", "trainspend.test")
    assert datetime.fromisoformat(str(entry["time"])).utcoffset() is not None
    assert (entry["channel"], entry["dedup"], entry["attempts"]) == ("slack", "budget:team-a:2026-11:warning", 3)


def test_values_json_cannot_hold_are_written_as_text_and_shadowing_extras_are_renamed() -> None:
    entry = _logged({"at": datetime(2026, 12, 4), "level_hint": {1, 2}, "logger": "mine"})
    assert entry["at"] == "2026-12-04 00:00:00"
    assert entry["level_hint"] == "{1, 2}"
    assert entry["logger"] == "trainspend.test"
    assert entry["extra_logger"] == "mine"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
extra_keys = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12).filter(
    lambda k: k not in _RESERVED and not k.startswith("_") and k not in {"time", "level", "logger"}
)


@given(st.dictionaries(extra_keys, json_values, max_size=5))
def test_every_json_extra_round_trips_unchanged(extra: dict[str, object]) -> None:
    entry = _logged(extra)
    assert {key: entry[key] for key in extra} == extra


def test_configured_by_the_settings_the_process_writes_json_lines_on_stderr() -> None:
    assert Settings(log_format="json").log_format == "json"
    code = (
        "import logging; from monitor.cli.logs import configure_logging; configure_logging('INFO', 'json'); "
        "logging.getLogger('trainspend.notify').info('sent', extra={'channel': 'webhook'})"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    entry = json.loads(result.stderr.strip())
    assert (entry["message"], entry["channel"], entry["logger"]) == ("sent", "webhook", "trainspend.notify")
