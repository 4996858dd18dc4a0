"""INSERT … ON CONFLICT for the two supported dialects (same API in SQLAlchemy's sqlite and postgresql modules)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite

T = TypeVar("T")

# Rows per multi-VALUES statement: well under SQLite's 32766 bound parameters with a dozen columns.
CHUNK_ROWS = 500


def insert_for(conn: Connection, table: Table) -> sqlite.Insert | postgresql.Insert:
    """An INSERT that supports `on_conflict_do_nothing` / `on_conflict_do_update` on this connection's dialect."""
    name = conn.dialect.name
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise ValueError(f"store dialect {name!r} is not supported: use sqlite or postgresql")


def chunks(items: Sequence[T], size: int = CHUNK_ROWS) -> Iterator[Sequence[T]]:
    for offset in range(0, len(items), size):
        yield items[offset : offset + size]
