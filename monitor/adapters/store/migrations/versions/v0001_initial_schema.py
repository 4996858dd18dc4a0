"""initial schema: accrual samples, watermarks, totals, hourly rollup, job snapshots, outbox, notification state

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from monitor.adapters.store.types import UtcDateTime, json_type

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id_type() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "accrual_samples",
        sa.Column("pod_uid", sa.String(length=64), nullable=False),
        sa.Column("start", UtcDateTime(), nullable=False),
        sa.Column("end", UtcDateTime(), nullable=False),
        sa.Column("workload_uid", sa.String(length=64), nullable=False),
        sa.Column("workload_key", sa.String(length=512), nullable=False),
        sa.Column("namespace", sa.String(length=253), nullable=False),
        sa.Column("node", sa.String(length=253), nullable=False),
        sa.Column("hourly_usd", sa.Float(), nullable=False),
        sa.Column("usd", sa.Float(), nullable=False),
        sa.Column("price_source", sa.String(length=128), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("pod_uid", "start", name=op.f("pk_accrual_samples")),
    )
    op.create_index("ix_accrual_samples_end", "accrual_samples", ["end"])
    op.create_index("ix_accrual_samples_workload_uid_start", "accrual_samples", ["workload_uid", "start"])

    op.create_table(
        "pod_watermarks",
        sa.Column("pod_uid", sa.String(length=64), nullable=False),
        sa.Column("workload_uid", sa.String(length=64), nullable=False),
        sa.Column("accrued_until", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("pod_uid", name=op.f("pk_pod_watermarks")),
    )
    op.create_index("ix_pod_watermarks_accrued_until", "pod_watermarks", ["accrued_until"])

    op.create_table(
        "workload_totals",
        sa.Column("workload_uid", sa.String(length=64), nullable=False),
        sa.Column("workload_key", sa.String(length=512), nullable=False),
        sa.Column("namespace", sa.String(length=253), nullable=False),
        sa.Column("usd", sa.Float(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("workload_uid", name=op.f("pk_workload_totals")),
    )

    op.create_table(
        "workload_hourly_spend",
        sa.Column("workload_uid", sa.String(length=64), nullable=False),
        sa.Column("hour", UtcDateTime(), nullable=False),
        sa.Column("usd", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("workload_uid", "hour", name=op.f("pk_workload_hourly_spend")),
    )
    op.create_index("ix_workload_hourly_spend_hour", "workload_hourly_spend", ["hour"])

    op.create_table(
        "job_snapshots",
        sa.Column("uid", sa.String(length=64), nullable=False),
        sa.Column("namespace", sa.String(length=253), nullable=False),
        sa.Column("name", sa.String(length=253), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("data", json_type(), nullable=False),
        sa.PrimaryKeyConstraint("uid", name=op.f("pk_job_snapshots")),
    )
    op.create_index("ix_job_snapshots_namespace_name", "job_snapshots", ["namespace", "name"])
    op.create_index("ix_job_snapshots_state", "job_snapshots", ["state"])
    op.create_index("ix_job_snapshots_updated_at", "job_snapshots", ["updated_at"])

    op.create_table(
        "outbox",
        sa.Column("id", _id_type(), autoincrement=True, nullable=False),
        sa.Column("dedup", sa.String(length=512), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("payload", json_type(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", UtcDateTime(), nullable=False),
        sa.Column("sent_at", UtcDateTime(), nullable=True),
        sa.Column("dropped_reason", sa.Text(), nullable=True),
        sa.Column("last_error", sa.Text(), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("dedup", name=op.f("uq_outbox_dedup")),
    )
    op.create_index("ix_outbox_next_attempt_at", "outbox", ["next_attempt_at"])

    op.create_table(
        "notification_state",
        sa.Column("key", sa.String(length=512), nullable=False),
        sa.Column("state", sa.String(length=64), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_notification_state")),
    )

    op.create_table(
        "store_meta",
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_store_meta")),
    )


def downgrade() -> None:
    for table in (
        "store_meta",
        "notification_state",
        "outbox",
        "job_snapshots",
        "workload_hourly_spend",
        "workload_totals",
        "pod_watermarks",
        "accrual_samples",
    ):
        op.drop_table(table)
