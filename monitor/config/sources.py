"""A settings source for a directory of secret files (a mounted Kubernetes Secret), nested settings included.

pydantic-settings' own secrets source matches top-level fields only; here each file is named like the environment
variable it replaces (`TRAINSPEND_NOTIFY__SLACK_WEBHOOK_URL`, any case), so `kubectl create secret generic … \
--from-literal=TRAINSPEND_NOTIFY__PAGERDUTY_ROUTING_KEY=…` mounted at the secrets dir just works.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from monitor.core.errors import ConfigError

PREFIX = "TRAINSPEND_"
DELIMITER = "__"
CONFIG_FILE_ENV = "TRAINSPEND_CONFIG_FILE"
SECRETS_DIR_ENV = "TRAINSPEND_SECRETS_DIR"


class SettingsSourceError(ConfigError):
    """A configuration source named in the environment cannot be read; the message names the variable and the fix."""


def require_config_file(path: Path) -> Path:
    """The YAML file of `TRAINSPEND_CONFIG_FILE`, which must exist: a mistyped path would otherwise mean defaults."""
    if not path.is_file():
        raise SettingsSourceError(
            f"{CONFIG_FILE_ENV}={str(path)!r}: no such file; fix the path or unset {CONFIG_FILE_ENV}"
        )
    # Parsed here once more so that a syntax error or a top-level list is reported with the variable and path,
    # not as a YAML traceback or a TypeError from deep inside pydantic-settings.
    try:
        with path.open(encoding="utf-8") as stream:  # a stream, so YAML errors name the file
            document = yaml.safe_load(stream)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise SettingsSourceError(f"{CONFIG_FILE_ENV}={str(path)!r}: cannot read it as YAML: {error}") from error
    if document is not None and not isinstance(document, dict):
        raise SettingsSourceError(
            f"{CONFIG_FILE_ENV}={str(path)!r}: the file must hold a mapping of settings (e.g. 'cluster: prod'), "
            f"not a {type(document).__name__}"
        )
    return path


class SecretsDirSource(PydanticBaseSettingsSource):
    def __init__(self, settings_cls: type[BaseSettings], secrets_dir: Path) -> None:
        super().__init__(settings_cls)
        self._dir = secrets_dir

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # values are assembled in __call__, nested paths included

    def __call__(self) -> dict[str, Any]:
        if not self._dir.is_dir():
            raise SettingsSourceError(
                f"{SECRETS_DIR_ENV}={str(self._dir)!r}: not a directory; "
                f"mount the Secret there or unset {SECRETS_DIR_ENV}"
            )
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
