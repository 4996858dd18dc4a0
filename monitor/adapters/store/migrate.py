"""Alembic, run programmatically. Migrations are the only way the schema is created or changed."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import URL

from monitor.adapters.store.engine import create_store_engine, write_transaction
from monitor.core.errors import StoreError

# Any fixed 64-bit number: replicas that start together take turns upgrading instead of racing on CREATE TABLE.
_PG_ADVISORY_LOCK_KEY = 0x7472_6169_6E73_7064  # "trainspd"


def migrations_dir() -> Path:
    return Path(__file__).resolve().with_name("migrations")


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config pointing at the migrations shipped inside this package (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise StoreError(f"no migrations found in {migrations_dir()}")
    return head


def upgrade_engine(engine: Engine) -> str:
    """Upgrades the database behind `engine` to head in one transaction; a no-op when already there.
    Returns the revision the database is at afterwards."""
    with write_transaction(engine) as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_ADVISORY_LOCK_KEY})
        command.upgrade(alembic_config(conn), "head")
        revision = MigrationContext.configure(conn).get_current_revision()
    return revision or ""


def upgrade_to_head(url: str | URL) -> str:
    """Upgrades the database at `url` to head. Returns the revision it is at afterwards."""
    engine = create_store_engine(url)
    try:
        return upgrade_engine(engine)
    finally:
        engine.dispose()


def current_revision(url: str | URL) -> str | None:
    """The revision the database at `url` is at; None for an empty database."""
    engine = create_store_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def ensure_schema(engine: Engine, *, auto_upgrade: bool) -> str:
    """At daemon start: upgrade to head when `auto_upgrade` (store.auto_upgrade), else insist the database is at head
    already. Returns the revision. A database newer than this code (a rollback of the daemon) is refused too."""
    if auto_upgrade:
        return upgrade_engine(engine)
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    head = head_revision()
    if current != head:
        raise StoreError(
            f"database schema is at revision {current or 'none (empty)'}, this trainspend expects {head}: "
            "run `trainspend db upgrade`, or set store.auto_upgrade=true"
        )
    return head
