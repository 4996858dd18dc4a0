from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from monitor.store.engine import create_store_engine
from monitor.store.migrate import current_revision, head_revision, upgrade_to_head
from monitor.store.tables import metadata


def test_empty_database_upgrades_to_head_and_a_second_upgrade_is_a_no_op(db_url: str) -> None:
    assert current_revision(db_url) is None
    assert upgrade_to_head(db_url) == head_revision()
    engine = create_store_engine(db_url)
    try:
        tables_before = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert upgrade_to_head(db_url) == head_revision()
    assert current_revision(db_url) == head_revision()
    assert set(metadata.tables) <= tables_before
    assert "alembic_version" in tables_before


def test_migrated_schema_matches_the_table_definitions(db_url: str) -> None:
    upgrade_to_head(db_url)
    engine = create_store_engine(db_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
    finally:
        engine.dispose()
    assert diff == []
