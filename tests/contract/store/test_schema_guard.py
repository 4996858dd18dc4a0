"""The daemon's start-up check: upgrade when told to, otherwise refuse a database that is not at head."""

from __future__ import annotations

import pytest

from monitor.adapters.store.engine import create_store_engine, normalise_url
from monitor.adapters.store.migrate import ensure_schema, head_revision
from monitor.core.errors import StoreError


def test_without_auto_upgrade_an_empty_database_is_refused_with_the_fix(db_url: str) -> None:
    engine = create_store_engine(db_url)
    try:
        with pytest.raises(StoreError, match="trainspend db upgrade"):
            ensure_schema(engine, auto_upgrade=False)
        assert ensure_schema(engine, auto_upgrade=True) == head_revision()
        assert ensure_schema(engine, auto_upgrade=False) == head_revision()
    finally:
        engine.dispose()


def test_plain_postgresql_urls_use_psycopg_and_other_databases_are_refused() -> None:
    assert normalise_url("postgresql://u@db/trainspend").drivername == "postgresql+psycopg"
    assert normalise_url("postgres://u@db/trainspend").drivername == "postgresql+psycopg"
    with pytest.raises(ValueError, match=r"store\.url"):
        normalise_url("mysql+pymysql://u@db/x")
    with pytest.raises(ValueError, match=r"store\.url"):
        normalise_url("not a url")
