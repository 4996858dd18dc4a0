"""`trainspend db upgrade` and `trainspend db current`: the database schema, through Alembic."""

from __future__ import annotations

import typer

_URL_HELP = "SQLAlchemy URL of the store; default: store.url from the configuration (TRAINSPEND_STORE__URL)"


def store_url(url: str | None) -> str:
    """The store a command works on: --url when given, else store.url from the configuration."""
    if url:
        return url
    from monitor.cli.config import load_settings  # only when needed: settings read the environment and files

    return load_settings().store.url


def register(app: typer.Typer) -> None:
    """Adds the `db` command group to the app."""
    db_app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)

    @db_app.command("upgrade")
    def upgrade(url: str | None = typer.Option(None, "--url", help=_URL_HELP)) -> None:
        """Creates or upgrades the schema to the newest revision (a no-op when it is already there)."""
        from monitor.adapters.store.engine import display_url
        from monitor.adapters.store.migrate import current_revision, upgrade_to_head

        target = store_url(url)
        try:
            before = current_revision(target)
            after = upgrade_to_head(target)
        except Exception as exc:  # show the cause without a traceback; exit non-zero
            typer.echo(f"error: cannot upgrade {display_url(target)}: {exc}", err=True)
            raise typer.Exit(1) from exc
        if before == after:
            typer.echo(f"{display_url(target)}: already at revision {after}")
        else:
            typer.echo(f"{display_url(target)}: upgraded from {before or 'empty'} to revision {after}")

    @db_app.command("current")
    def current(url: str | None = typer.Option(None, "--url", help=_URL_HELP)) -> None:
        """Prints the schema revision of the database and whether it is the newest."""
        from monitor.adapters.store.engine import display_url
        from monitor.adapters.store.migrate import current_revision, head_revision

        target = store_url(url)
        try:
            revision = current_revision(target)
        except Exception as exc:
            typer.echo(f"error: cannot read {display_url(target)}: {exc}", err=True)
            raise typer.Exit(1) from exc
        head = head_revision()
        status = "head" if revision == head else f"behind head {head}: run `trainspend db upgrade`"
        typer.echo(f"{display_url(target)}: revision {revision or 'none (empty database)'} ({status})")

    app.add_typer(db_app, name="db")
