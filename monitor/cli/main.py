"""The `trainspend` console script: one Typer app, one module per command group."""

from __future__ import annotations

import typer

from monitor.cli import alarms, catalogs, config, daemon, db, estimate, plan, prices, serve_plan


def build_app() -> typer.Typer:
    app = typer.Typer(
        name="trainspend",
        help="Cost monitoring, projection and alerting for GPU training on Kubernetes, and a training-cost estimator.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
    )
    for module in (estimate, plan, prices, serve_plan, catalogs, daemon, config, db, alarms):
        module.register(app)
    return app


def main() -> None:
    build_app()()


if __name__ == "__main__":
    main()
