"""The schema, as SQLAlchemy Core tables. Alembic migrations (monitor/store/migrations) create it; a contract test
checks that the migrated database and these definitions never drift apart."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from monitor.store.types import UtcDateTime, json_type

# Named constraints, so that Alembic (and SQLite batch mode) can address them in later migrations.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _id_type() -> BigInteger:
    # SQLite only autoincrements an INTEGER PRIMARY KEY; BIGINT elsewhere.
    return BigInteger().with_variant(Integer(), "sqlite")


metadata = MetaData(naming_convention=NAMING_CONVENTION)

# Cost of one pod over [start, end). (pod_uid, start) is the idempotency key: a replayed tick is a no-op.
accrual_samples = Table(
    "accrual_samples",
    metadata,
    Column("pod_uid", String(64), primary_key=True),
    Column("start", UtcDateTime(), primary_key=True),
    Column("end", UtcDateTime(), nullable=False),
    Column("workload_uid", String(64), nullable=False),
    Column("workload_key", String(512), nullable=False),
    Column("namespace", String(253), nullable=False),
    Column("node", String(253), nullable=False),
    Column("hourly_usd", Float(), nullable=False),
    Column("usd", Float(), nullable=False),
    Column("price_source", String(128), nullable=False, server_default=""),
    Index("ix_accrual_samples_end", "end"),
    Index("ix_accrual_samples_workload_uid_start", "workload_uid", "start"),
)

# pod_uid -> end of the last accrued interval; only advanced by rows that were actually inserted.
pod_watermarks = Table(
    "pod_watermarks",
    metadata,
    Column("pod_uid", String(64), primary_key=True),
    Column("workload_uid", String(64), nullable=False),
    Column("accrued_until", UtcDateTime(), nullable=False),
    Index("ix_pod_watermarks_accrued_until", "accrued_until"),
)

# All-time USD per workload. Kept when samples are pruned.
workload_totals = Table(
    "workload_totals",
    metadata,
    Column("workload_uid", String(64), primary_key=True),
    Column("workload_key", String(512), nullable=False),
    Column("namespace", String(253), nullable=False),
    Column("usd", Float(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

# USD per workload per UTC clock hour (samples split at the hour). Kept when samples are pruned, so period budgets stay
# right after retention; one row per hour a workload ran, far fewer than samples (120 per hour at 30 s ticks).
workload_hourly_spend = Table(
    "workload_hourly_spend",
    metadata,
    Column("workload_uid", String(64), primary_key=True),
    Column("hour", UtcDateTime(), primary_key=True),
    Column("usd", Float(), nullable=False),
    Index("ix_workload_hourly_spend_hour", "hour"),
)

# The last snapshot of every workload seen; `data` is JobStatus as JSON.
job_snapshots = Table(
    "job_snapshots",
    metadata,
    Column("uid", String(64), primary_key=True),
    Column("namespace", String(253), nullable=False),
    Column("name", String(253), nullable=False),
    Column("kind", String(64), nullable=False),
    Column("state", String(32), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("data", json_type(), nullable=False),
    Index("ix_job_snapshots_namespace_name", "namespace", "name"),
    Index("ix_job_snapshots_state", "state"),
    Index("ix_job_snapshots_updated_at", "updated_at"),
)

# Notifications to deliver once. `dedup` is unique: enqueueing the same transition twice is a no-op.
outbox = Table(
    "outbox",
    metadata,
    Column("id", _id_type(), primary_key=True, autoincrement=True),
    Column("dedup", String(512), nullable=False, unique=True),
    Column("channel", String(32), nullable=False),
    Column("payload", json_type(), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("attempts", Integer(), nullable=False, server_default="0"),
    Column("next_attempt_at", UtcDateTime(), nullable=False),
    Column("sent_at", UtcDateTime(), nullable=True),
    Column("dropped_reason", Text(), nullable=True),
    Column("last_error", Text(), nullable=False, server_default=""),
    Index("ix_outbox_next_attempt_at", "next_attempt_at"),
)

# key -> last notified state (e.g. "budget:team-a" -> "warning").
notification_state = Table(
    "notification_state",
    metadata,
    Column("key", String(512), primary_key=True),
    Column("state", String(64), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

# Small facts about the store itself, e.g. the retention horizon below which samples were pruned.
store_meta = Table(
    "store_meta",
    metadata,
    Column("key", String(128), primary_key=True),
    Column("value", Text(), nullable=False),
)
