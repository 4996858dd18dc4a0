"""SQLite specifics: WAL journal and a busy timeout on the file database, so readers never block the writer."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from monitor.adapters.store.engine import SQLITE_BUSY_TIMEOUT_SECONDS, create_store_engine


def test_file_database_uses_wal_and_a_busy_timeout(tmp_path: Path) -> None:
    engine = create_store_engine(f"sqlite:///{tmp_path / 'ts.db'}")
    try:
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
            assert conn.execute(text("PRAGMA busy_timeout")).scalar_one() == int(SQLITE_BUSY_TIMEOUT_SECONDS * 1000)
    finally:
        engine.dispose()
