"""`trainspend check-config`: validates the configuration and prints the effective values, secrets masked."""

from __future__ import annotations

import json
from typing import Annotated

import typer
import yaml
from pydantic import ValidationError


def format_validation_error(exc: ValidationError) -> str:
    """One line per problem: the setting (as its environment variable too), the value, and what is wrong."""
    lines = []
    for error in exc.errors():
        path = ".".join(str(p) for p in error["loc"])
        env = "TRAINSPEND_" + "__".join(str(p).upper() for p in error["loc"] if not isinstance(p, int))
        value = error.get("input")
        shown = "<missing>" if error["type"] == "missing" else repr(value)[:80]
        lines.append(f"  {path} (env {env}) = {shown}: {error['msg']}")
    return "invalid configuration:\n" + "\n".join(lines)


def register(app: typer.Typer) -> None:
    @app.command("check-config")
    def check_config(
        as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of YAML")] = False,
    ) -> None:
        """Validate the configuration (environment, TRAINSPEND_CONFIG_FILE, secrets) and print the effective values."""
        from monitor.settings import Settings

        try:
            settings = Settings()
        except ValidationError as exc:
            typer.echo(format_validation_error(exc), err=True)
            raise typer.Exit(2) from exc
        except (OSError, yaml.YAMLError) as exc:
            typer.echo(f"error: cannot read the configuration file: {exc}", err=True)
            raise typer.Exit(2) from exc
        effective = settings.model_dump(mode="json")  # SecretStr dumps as '**********'
        if as_json:
            typer.echo(json.dumps(effective, indent=2, sort_keys=True))
        else:
            typer.echo(yaml.safe_dump(effective, sort_keys=False).rstrip())
        typer.echo("configuration OK", err=True)
