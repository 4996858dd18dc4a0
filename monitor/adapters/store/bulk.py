"""Bulk execution of the per-tick INSERT … ON CONFLICT statements (12k samples and 12k watermarks a tick at scale).

SQLAlchemy processes every parameter of every row in Python (the UTC check and SQLite's datetime-to-text conversion
run 40k times a tick), which cost more than SQLite's own work. On SQLite the statement is therefore compiled once
with named parameters and handed to the driver's `executemany`, each column's own bind processor (the same function
SQLAlchemy would call) applied once per distinct value: a tick's rows share a handful of timestamps. PostgreSQL goes
through SQLAlchemy unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, DateTime, Table
from sqlalchemy.dialects import sqlite
from sqlalchemy.sql.dml import Insert
from sqlalchemy.types import TypeDecorator, TypeEngine

# The same dialect, with `:name` placeholders (sqlite3 accepts them), so rows can stay dictionaries.
_NAMED_SQLITE = sqlite.dialect(paramstyle="named")


def execute_many(conn: Connection, stmt: Insert, table: Table, rows: Sequence[dict[str, Any]]) -> int:
    """Runs `stmt` (no RETURNING) once per row; returns the driver's count of rows inserted or updated. On SQLite the
    row dictionaries are converted in place (they are the caller's throw-away parameters)."""
    if not rows:
        return 0
    if conn.dialect.name != "sqlite":
        return int(conn.execute(stmt, list(rows)).rowcount)
    sql = str(stmt.compile(dialect=_NAMED_SQLITE, column_keys=list(rows[0])))
    dialect = conn.dialect
    processors: list[tuple[str, Callable[[Any], Any]]] = []
    for name in rows[0]:
        column_type = table.c[name].type
        process = column_type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            # Timestamps repeat across a tick's rows: convert each distinct one once.
            processors.append((name, _memoised(process) if _is_timestamp(column_type) else process))
    for row in rows:
        for name, convert in processors:
            row[name] = convert(row[name])
    return int(conn.exec_driver_sql(sql, list(rows)).rowcount)


def _memoised(process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    done: dict[Any, Any] = {}

    def convert(value: Any) -> Any:
        if value in done:
            return done[value]
        result = done[value] = process(value)
        return result

    return convert


def _is_timestamp(column_type: TypeEngine[Any]) -> bool:
    if isinstance(column_type, TypeDecorator):
        return isinstance(column_type.impl_instance, DateTime)
    return isinstance(column_type, DateTime)
