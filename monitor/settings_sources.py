"""A settings source for a directory of secret files (a mounted Kubernetes Secret), nested settings included.

pydantic-settings' own secrets source matches top-level fields only; here each file is named like the environment
variable it replaces (`TRAINSPEND_NOTIFY__SLACK_WEBHOOK_URL`, any case), so `kubectl create secret generic … \
--from-literal=TRAINSPEND_NOTIFY__PAGERDUTY_ROUTING_KEY=…` mounted at the secrets dir just works.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

PREFIX = "TRAINSPEND_"
DELIMITER = "__"


class SecretsDirSource(PydanticBaseSettingsSource):
    def __init__(self, settings_cls: type[BaseSettings], secrets_dir: Path) -> None:
        super().__init__(settings_cls)
        self._dir = secrets_dir

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # values are assembled in __call__, nested paths included

    def __call__(self) -> dict[str, Any]:
        if not self._dir.is_dir():
            raise ValueError(f"secrets_dir={str(self._dir)!r}: not a directory; mount the Secret there or unset it")
        values: dict[str, Any] = {}
        for path in sorted(self._dir.iterdir()):
            name = path.name.upper()
            if not name.startswith(PREFIX) or not path.is_file():
                continue  # Kubernetes adds ..data symlinks and timestamps; only our keys count
            keys = [part.lower() for part in name.removeprefix(PREFIX).split(DELIMITER)]
            target = values
            for key in keys[:-1]:
                target = target.setdefault(key, {})
            target[keys[-1]] = path.read_text().strip()
        return values
