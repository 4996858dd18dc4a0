"""Engines for the supported databases: SQLite (file, default; or in-memory for tests) and PostgreSQL (psycopg 3).

SQLite is set up for one daemon plus readers: WAL journal (readers never block the writer), a busy timeout, and
write transactions that start with BEGIN IMMEDIATE, so two writers queue on the busy timeout instead of failing
with "database is locked" when a read lock cannot be upgraded.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import StaticPool

from monitor.core.errors import ConfigError

SUPPORTED_DIALECTS = ("sqlite", "postgresql")
SQLITE_BUSY_TIMEOUT_SECONDS = 30.0
_WRITE_OPTION = "trainspend_write"


def normalise_url(url: str | URL) -> URL:
    """Parses a store URL; plain `postgresql://` / `postgres://` mean psycopg 3 (the driver we ship)."""
    try:
        parsed = make_url(url)
    except Exception as exc:  # sqlalchemy raises ArgumentError; keep the message about our field
        raise ConfigError(
            f"store.url {url!r} is not a database URL: use e.g. sqlite:///trainspend.db "
            "or postgresql+psycopg://user:pass@host/db"
        ) from exc
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in SUPPORTED_DIALECTS:
        raise ConfigError(
            f"store.url {parsed.render_as_string(hide_password=True)!r} uses {parsed.get_backend_name()!r}: "
            "only sqlite:///PATH and postgresql+psycopg://... are supported"
        )
    return parsed


def display_url(url: str | URL) -> str:
    """The URL with its password masked, for logs and command output."""
    return make_url(url).render_as_string(hide_password=True)


def create_store_engine(url: str | URL) -> Engine:
    """A configured engine for `url` (see the module docstring for SQLite specifics)."""
    parsed = normalise_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed)
    return create_engine(parsed, pool_pre_ping=True, future=True)


def _sqlite_engine(url: URL) -> Engine:
    in_memory = url.database in (None, "", ":memory:")
    kwargs: dict[str, Any] = {"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False}}
    if in_memory:
        # Every new connection to :memory: is a new, empty database: share one connection.
        kwargs["poolclass"] = StaticPool
    engine = create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from pysqlite so that BEGIN is ours (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            if not in_memory:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_SECONDS * 1000)}")
            cursor.execute("PRAGMA foreign_keys=ON")
            # 16 MiB page cache (the default is 2 MiB): a tick touches four B-trees per accrual sample.
            cursor.execute("PRAGMA cache_size=-16384")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = bool(conn.get_execution_options().get(_WRITE_OPTION, False))
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """One write transaction: committed on success, rolled back on error (BEGIN IMMEDIATE on SQLite)."""
    with engine.connect() as conn:
        conn = conn.execution_options(**{_WRITE_OPTION: True})
        with conn.begin():
            yield conn
