"""The `trainspend` console script: one Typer app, one module per command group."""

from __future__ import annotations

import sys
from importlib.metadata import PackageNotFoundError, version
from typing import Annotated

import typer
import typer.main

try:  # Typer ≥ 0.20 ships its own copy of click; its exceptions live there
    from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError
except ImportError:  # pragma: no cover - older Typer on the click package
    from click.exceptions import ClickException, NoArgsIsHelpError, UsageError  # type: ignore[assignment]

from monitor.cli import alarms, config, daemon, db, report
from monitor.cli.planning import catalogs, estimate, plan, prices, serve_plan


def build_app() -> typer.Typer:
    app = typer.Typer(
        name="trainspend",
        help="Cost monitoring, projection and alerting for GPU training on Kubernetes, and a training-cost estimator.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=True,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    app.callback()(_root)
    for module in (estimate, plan, prices, serve_plan, catalogs, report, daemon, config, db, alarms):
        module.register(app)
    return app


def _print_version(asked: bool) -> None:
    if asked:
        try:
            typer.echo(f"trainspend {version('trainspend')}")
        except PackageNotFoundError:  # run from a source tree that was never installed
            typer.echo("trainspend (not installed: no version metadata)")
        raise typer.Exit(0)


def _root(
    show_version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="print the version and exit"),
    ] = False,
) -> None:
    """Cost monitoring, projection and alerting for GPU training on Kubernetes, and a training-cost estimator."""


def main() -> None:
    """The console script. Usage errors (a bad value, an unknown command or option) are one line on stderr and exit 2,
    like the errors the commands raise themselves (`monitor.cli.inputs.fail`): Typer would draw them in a box of
    several lines, which a pipe or a log then holds in pieces."""
    command = typer.main.get_command(build_app())
    try:
        code = command.main(prog_name="trainspend", standalone_mode=False)
    except NoArgsIsHelpError as error:  # the help is printed already
        sys.exit(error.exit_code)
    except ClickException as error:
        where = error.ctx.command_path if isinstance(error, UsageError) and error.ctx else "trainspend"
        message = " ".join(error.format_message().split())
        typer.echo(f"error: {message} (see `{where} -h`)", err=True)
        sys.exit(error.exit_code)
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
