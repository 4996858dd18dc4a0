"""The `trainspend` console script: one Typer app, one module per command group."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Annotated

import typer

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
    build_app()()


if __name__ == "__main__":
    main()
