"""`trainspend check-config`: validates the configuration and prints the effective values, secrets masked.

`load_settings` is the one way the commands build `Settings`: any configuration error becomes a few lines naming the
setting (and its environment variable) and the fix, with exit status 2, never a traceback.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Annotated, Any

import typer
import yaml
from pydantic import ValidationError
from pydantic_settings import SettingsError

from monitor.config.redaction import mask_credentials

if TYPE_CHECKING:
    from monitor.config.settings import Settings

CONFIG_EXIT_CODE = 2


def format_validation_error(exc: ValidationError) -> str:
    """One line per problem: the setting (as its environment variable too), the value, and what is wrong."""
    lines = []
    for error in exc.errors():
        path = ".".join(str(p) for p in error["loc"])
        env = "TRAINSPEND_" + "__".join(str(p).upper() for p in error["loc"] if not isinstance(p, int))
        value = error.get("input")
        shown = "<missing>" if error["type"] == "missing" else repr(value)[:80]
        message = str(error["msg"]).removeprefix("Value error, ")  # pydantic's prefix for a validator's ValueError
        lines.append(f"  {path} (env {env}) = {shown}: {message}")
    return "invalid configuration:\n" + "\n".join(lines)


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


def register(app: typer.Typer) -> None:
    @app.command("check-config")
    def check_config(
        as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of YAML")] = False,
    ) -> None:
        """Validate the configuration (environment, TRAINSPEND_CONFIG_FILE, secrets) and print the effective values."""
        settings = load_settings()
        for line in describe_sources():
            typer.echo(line, err=True)
        effective = settings.model_dump(mode="json")  # SecretStr dumps as '**********'
        effective["store"]["url"] = mask_credentials(effective["store"]["url"])  # a PostgreSQL URL holds its password
        if as_json:
            typer.echo(json.dumps(effective, indent=2, sort_keys=True))
        else:
            typer.echo(yaml.safe_dump(effective, sort_keys=False).rstrip())
        typer.echo("configuration OK", err=True)
