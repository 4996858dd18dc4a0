"""Revision 0003 backfills the last delivered action per (channel, subject) from the outbox, so a trigger sent by an
earlier version is still resolved after the upgrade, and a subject whose trigger never went out is not."""

from __future__ import annotations

from datetime import timedelta

from alembic import command
from sqlalchemy import MetaData, Table, insert

from monitor.adapters.store.engine import create_store_engine, write_transaction
from monitor.adapters.store.migrate import alembic_config, upgrade_to_head
from monitor.adapters.store.outbox import SqlOutbox
from tests.contract.store.builders import T0


def test_upgrade_backfills_delivered_actions_from_sent_messages(db_url: str) -> None:
    engine = create_store_engine(db_url)
    try:
        with write_transaction(engine) as conn:
            command.upgrade(alembic_config(conn), "0002")
            outbox = Table("outbox", MetaData(), autoload_with=conn)

            def row(dedup: str, channel: str, subject: str, action: str, sent: bool) -> dict[str, object]:
                return {
                    "dedup": dedup,
                    "channel": channel,
                    "payload": {"subject": subject, "action": action},
                    "created_at": T0,
                    "attempts": 0,
                    "next_attempt_at": T0,
                    "sent_at": T0 + timedelta(seconds=1) if sent else None,
                    "last_error": "",
                }

            conn.execute(
                insert(outbox),
                [
                    row("a:1", "pagerduty", "budget:prod:a", "trigger", True),  # open incident
                    row("b:1", "pagerduty", "budget:prod:b", "trigger", True),
                    row("b:2", "pagerduty", "budget:prod:b", "resolve", True),  # closed
                    row("c:1", "pagerduty", "budget:prod:c", "trigger", False),  # never went out
                    row("a:1s", "slack", "budget:prod:a", "trigger", True),
                ],
            )
        upgrade_to_head(db_url)
        box = SqlOutbox(engine)
        assert box.last_delivered("pagerduty", "budget:prod:a") == "trigger"
        assert box.last_delivered("pagerduty", "budget:prod:b") == "resolve"
        assert box.last_delivered("pagerduty", "budget:prod:c") is None
        assert box.last_delivered("slack", "budget:prod:a") == "trigger"
        assert box.last_delivered("slack", "budget:prod:b") is None
    finally:
        engine.dispose()
