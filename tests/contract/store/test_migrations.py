from __future__ import annotations

from datetime import timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, Table, inspect, text

from monitor.adapters.store.engine import create_store_engine
from monitor.adapters.store.migrate import current_revision, head_revision, upgrade_to_head
from monitor.adapters.store.tables import metadata
from tests.contract.store.builders import T0


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


def _database_at_0001_holding_samples(db_url: str) -> None:
    """A database as trainspend ≤ 0.x left it: 30 s samples of two pods (one price change), their watermarks, totals
    and hourly rollup, all written by the 0001 schema's rules (usd = hourly x seconds / 3600)."""
    from alembic import command
    from sqlalchemy import insert

    from monitor.adapters.store.engine import write_transaction
    from monitor.adapters.store.migrate import alembic_config

    engine = create_store_engine(db_url)
    try:
        with write_transaction(engine) as conn:
            command.upgrade(alembic_config(conn), "0001")
            samples = Table("accrual_samples", MetaData(), autoload_with=conn)
            watermarks = Table("pod_watermarks", MetaData(), autoload_with=conn)
            totals = Table("workload_totals", MetaData(), autoload_with=conn)
            rows = []
            for pod, workload, hourly in (("pod-a", "w1", 36.0), ("pod-b", "w2", 12.0)):
                for i in range(240):  # two hours of 30 s ticks
                    start = T0 + timedelta(seconds=30 * i)
                    rate = hourly if i < 120 else hourly * 2  # the node's price doubled after an hour
                    rows.append(
                        {
                            "pod_uid": pod,
                            "start": start,
                            "end": start + timedelta(seconds=30),
                            "workload_uid": workload,
                            "workload_key": f"ml/PyTorchJob/{workload}",
                            "namespace": "ml",
                            "node": "gpu-node-1",
                            "hourly_usd": rate,
                            "usd": rate * 30 / 3600,
                            "price_source": "embedded",
                        }
                    )
            conn.execute(insert(samples), rows)
            end = T0 + timedelta(hours=2)
            conn.execute(
                insert(watermarks),
                [
                    {"pod_uid": p, "workload_uid": w, "accrued_until": end}
                    for p, w in (("pod-a", "w1"), ("pod-b", "w2"))
                ],
            )
            conn.execute(
                insert(totals),
                [
                    {
                        "workload_uid": w,
                        "workload_key": f"ml/PyTorchJob/{w}",
                        "namespace": "ml",
                        "usd": u,
                        "updated_at": end,
                    }
                    for w, u in (("w1", 36.0 * 3), ("w2", 12.0 * 3))
                ],
            )
    finally:
        engine.dispose()


def test_a_database_holding_samples_migrates_to_segments_with_every_dollar_kept(db_url: str) -> None:
    from monitor.adapters.store.repository import SqlStore

    _database_at_0001_holding_samples(db_url)
    assert upgrade_to_head(db_url) == head_revision()
    engine = create_store_engine(db_url)
    try:
        store = SqlStore(engine)
        ledger = store.ledger()
        # 240 samples per pod became 2 segments (one per price), closed where the samples ended.
        assert ledger.open == {}
        assert ledger.covered == {"pod-a": T0 + timedelta(hours=2), "pod-b": T0 + timedelta(hours=2)}
        assert ledger.accrued_until == T0 + timedelta(hours=2)
        assert store.workload_costs() == pytest.approx({"w1": 108.0, "w2": 36.0})
        assert store.workload_spend_since(T0 + timedelta(minutes=90)) == pytest.approx({"w1": 36.0, "w2": 12.0})
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM cost_segments")).scalar() == 4
            assert "accrual_samples" not in inspect(conn).get_table_names()
    finally:
        engine.dispose()


def test_downgrading_turns_segments_back_into_samples_with_the_same_totals(db_url: str) -> None:
    from alembic import command

    from monitor.adapters.store.engine import write_transaction
    from monitor.adapters.store.migrate import alembic_config
    from monitor.adapters.store.repository import SqlStore
    from monitor.core.domain.accrual import LedgerChanges
    from tests.contract.store.builders import segment

    upgrade_to_head(db_url)
    engine = create_store_engine(db_url)
    try:
        store = SqlStore(engine)
        store.commit_ledger(LedgerChanges(at=T0 + timedelta(hours=1), opens=(segment("pod-a", T0, None),)))
        store.commit_ledger(
            LedgerChanges(at=T0 + timedelta(hours=2), opens=(segment("pod-b", T0, 30.0, workload="w2"),))
        )
        with write_transaction(engine) as conn:
            command.downgrade(alembic_config(conn), "0001")
        with engine.connect() as conn:
            samples = dict(conn.execute(text("SELECT pod_uid, usd FROM accrual_samples")).all())
            totals = dict(conn.execute(text("SELECT workload_uid, usd FROM workload_totals")).all())
        assert samples == pytest.approx({"pod-a": 72.0, "pod-b": 18.0})
        assert totals == pytest.approx({"w1": 72.0, "w2": 18.0})
    finally:
        engine.dispose()
