"""The store's contract suite runs every test against SQLite (a file) and a real PostgreSQL; the tests of the
`Store` Protocol alone (the `store` fixture) also run against the in-memory fake the unit tests use
(tests/fakes/store.py), so that fake cannot drift from the real store."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine

from monitor.adapters.store.engine import create_store_engine
from monitor.adapters.store.migrate import upgrade_to_head
from monitor.adapters.store.repository import SqlStore
from monitor.core.ports import Store
from tests.fakes.store import MemoryStore


def _empty_database(request: pytest.FixtureRequest, tmp_path: Path, kind: str) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'trainspend.db'}"
    return str(request.getfixturevalue("postgres_url"))


@contextmanager
def _migrated_engine(url: str) -> Iterator[Engine]:
    upgrade_to_head(url)
    engine = create_store_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of each supported kind."""
    return _empty_database(request, tmp_path, request.param)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on a database migrated to head."""
    with _migrated_engine(db_url) as engine:
        yield engine


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A `Store` of each kind: the in-memory fake, and the SQL store on each supported database."""
    if request.param == "memory":
        yield MemoryStore()
        return
    with _migrated_engine(_empty_database(request, tmp_path, request.param)) as engine:
        yield SqlStore(engine)
