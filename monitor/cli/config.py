"""`trainspend check-config`: validates the configuration and prints the effective values, secrets masked.

`load_settings` is the one way the commands build `Settings`: any configuration error becomes a few lines naming the
setting (and its environment variable) and the fix, with exit status 2, never a traceback.
"""

from __future__ import annotations

import difflib
import json
import os
from typing import TYPE_CHECKING, Annotated, Any

import typer
import yaml
from pydantic import ValidationError
from pydantic_settings import SettingsError

from monitor.config.fields import FieldPath, locate
from monitor.config.redaction import mask_credentials

if TYPE_CHECKING:
    from monitor.config.settings import Settings

CONFIG_EXIT_CODE = 2


def format_validation_error(exc: ValidationError) -> str:
    """One line per problem: the setting (with its environment variable where one exists), the value, what is wrong.

    Values are shown only where they cannot be secrets: a secret field's value is replaced by its length, an unknown
    key's value is never shown (a misspelt `slack_webhok_url` holds a secret the model cannot know is one), and any
    other value has URL passwords and credential query parameters masked by parsing."""
    from monitor.config.settings import Settings

    lines = []
    for error in exc.errors():
        where = locate(Settings, error["loc"])
        path = ".".join(str(p) for p in error["loc"])
        if error["type"] == "extra_forbidden":
            lines.append(f"  {path}: {unknown_key_message(where, error['loc'])}")
            continue
        message = str(error["msg"]).removeprefix("Value error, ")  # pydantic's prefix for a validator's ValueError
        if error["type"] == "missing":
            shown = "<missing>"
        elif where.secret:
            shown = f"<secret, not shown ({_size(error.get('input'))})>"
        elif where.section and isinstance(error.get("input"), dict | list):
            shown = _outline(error.get("input"))  # a whole section: its keys only, it may hold secret fields
        else:
            shown = mask_credentials(repr(error.get("input"))[:80])
        env = f" (env {where.env})" if where.env else ""
        lines.append(f"  {path}{env} = {shown}: {message}")
    return "invalid configuration:\n" + "\n".join(lines)


def _outline(value: object) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{str(k)[:40]}: ..." for k in list(value)[:10]) + "}"
    return f"<a list of {len(value)} items>" if isinstance(value, list) else "..."


def _size(value: object) -> str:
    return f"{len(value)} characters" if isinstance(value, str) else type(value).__name__


def unknown_key_message(where: FieldPath, loc: tuple[int | str, ...]) -> str:
    """'unknown setting', where it came from, and the closest real names at that level."""
    key = str(loc[-1])
    suggestions = difflib.get_close_matches(key.lower(), where.siblings, n=3, cutoff=0.6)
    origin = _origin(loc)
    hint = f"; did you mean {' or '.join(repr(s) for s in suggestions)}?" if suggestions else ""
    known = "" if suggestions else f"; known here: {', '.join(where.siblings)}"
    return f"unknown setting{origin} (its value is not shown){hint}{known}"


def _origin(loc: tuple[int | str, ...]) -> str:
    """Which source holds the unknown key: an environment variable of that name exists, else the YAML file."""
    from monitor.config.sources import CONFIG_FILE_ENV, DELIMITER, PREFIX

    if any(isinstance(p, int) for p in loc):
        return ""  # inside a list: the list came from one JSON variable or the file, either way not by this name
    env = PREFIX + DELIMITER.join(str(p).upper() for p in loc)
    if env in {name.upper() for name in os.environ}:
        return f" (from the environment variable {env})"
    if os.environ.get(CONFIG_FILE_ENV):
        return f" (in {CONFIG_FILE_ENV}={os.environ[CONFIG_FILE_ENV]!r})"
    return ""


def load_settings(**overrides: Any) -> Settings:
    """`Settings(**overrides)`, or one clear message on stderr and exit 2 when the configuration is unusable."""
    from monitor.config.settings import Settings
    from monitor.config.sources import SettingsSourceError

    try:
        return Settings(**overrides)
    except ValidationError as exc:
        message = format_validation_error(exc)
    except SettingsSourceError as exc:
        message = f"invalid configuration: {exc}"
    except SettingsError as exc:
        # pydantic-settings' message names the field and the source; the usual cause is a list or section given
        # in the environment as something other than JSON.
        message = (
            f"invalid configuration: {exc}: lists and sections set in the environment must be JSON, e.g. "
            'TRAINSPEND_BUDGETS=\'[{"name": "nlp", "limit_usd": 1000}]\''
        )
    typer.echo(message, err=True)
    raise typer.Exit(CONFIG_EXIT_CODE)


def describe_sources() -> list[str]:
    """Which configuration file and secrets directory this process reads (from the environment), for humans."""
    from monitor.config.sources import CONFIG_FILE_ENV, SECRETS_DIR_ENV

    config_file = os.environ.get(CONFIG_FILE_ENV)
    secrets_dir = os.environ.get(SECRETS_DIR_ENV)
    return [
        f"config file: {config_file} ({CONFIG_FILE_ENV})"
        if config_file
        else f"config file: none ({CONFIG_FILE_ENV} unset)",
        f"secrets dir: {secrets_dir} ({SECRETS_DIR_ENV})"
        if secrets_dir
        else f"secrets dir: none ({SECRETS_DIR_ENV} unset)",
        "environment: TRAINSPEND_* variables (highest priority)",
    ]


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return mask_credentials(value)
    if isinstance(value, dict):
        return {key: _masked(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_masked(item) for item in value]
    return value


def register(app: typer.Typer) -> None:
    @app.command("check-config")
    def check_config(
        as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of YAML")] = False,
    ) -> None:
        """Validate the configuration (environment, TRAINSPEND_CONFIG_FILE, secrets) and print the effective values."""
        settings = load_settings()
        for line in describe_sources():
            typer.echo(line, err=True)
        # SecretStr dumps as '**********'; any other string may still be a URL with credentials in it (store.url
        # holds the PostgreSQL password, an endpoint override may carry userinfo or a `key=`): masked by parsing.
        effective = _masked(settings.model_dump(mode="json"))
        if as_json:
            typer.echo(json.dumps(effective, indent=2, sort_keys=True))
        else:
            typer.echo(yaml.safe_dump(effective, sort_keys=False).rstrip())
        typer.echo("configuration OK", err=True)
