"""Alembic environment. Run through `monitor.adapters.store.migrate` (or `trainspend db upgrade`), which hands over
an open
connection in `config.attributes["connection"]`; the plain `alembic` command works too, with `sqlalchemy.url` set."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from monitor.adapters.store.engine import create_store_engine
from monitor.adapters.store.tables import metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things: later migrations use batch mode (copy-and-move).
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database: set sqlalchemy.url, or run `trainspend db upgrade --url URL`")
    engine = create_store_engine(url)
    try:
        with engine.connect() as conn:
            _run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("offline (--sql) migrations are not supported: run `trainspend db upgrade --url URL`")
run_migrations_online()
