"""The schema, as SQLAlchemy Core tables. Alembic migrations (monitor/adapters/store/migrations) create it; a
contract test
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

from monitor.adapters.store.types import UtcDateTime, json_type

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

# One pod at one hourly rate over [start, end) (monitor.core.domain.accrual.Segment); `end` NULL while open. A row is
# written when a pod binds, when its rate changes and when it finishes — not per tick. (pod_uid, start) is the
# idempotency key: replaying a tick inserts nothing. `usd` is set when the segment closes (0 while open).
cost_segments = Table(
    "cost_segments",
    metadata,
    Column("pod_uid", String(64), primary_key=True),
    Column("start", UtcDateTime(), primary_key=True),
    Column("end", UtcDateTime(), nullable=True),
    Column("workload_uid", String(64), nullable=False),
    Column("workload_key", String(512), nullable=False),
    Column("namespace", String(253), nullable=False),
    Column("node", String(253), nullable=False),
    Column("hourly_usd", Float(), nullable=False),
    Column("usd", Float(), nullable=False, server_default="0"),
    Column("price_source", String(128), nullable=False, server_default=""),
    Index("ix_cost_segments_end", "end"),
    Index("ix_cost_segments_workload_uid_start", "workload_uid", "start"),
)

# All-time USD per workload of its closed segments (open ones are added when read). Kept when segments are pruned.
workload_totals = Table(
    "workload_totals",
    metadata,
    Column("workload_uid", String(64), primary_key=True),
    Column("workload_key", String(512), nullable=False),
    Column("namespace", String(253), nullable=False),
    Column("usd", Float(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

# USD per workload per UTC clock hour of its closed segments (split at the hour). Kept when segments are pruned, so
# period budgets stay right after retention.
workload_hourly_spend = Table(
    "workload_hourly_spend",
    metadata,
    Column("workload_uid", String(64), primary_key=True),
    Column("hour", UtcDateTime(), primary_key=True),
    Column("usd", Float(), nullable=False),
    Index("ix_workload_hourly_spend_hour", "hour"),
)

# The last snapshot of every workload seen; `data` is WorkloadStatus as JSON.
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

# A Job's projection at the saved snapshots where it moved past a deadband, or an hour after the last point
# (monitor/core/domain/projection_points.py): what the page's "projection over time" chart draws. (uid, at) is the
# key: a replayed save adds nothing. Pruned with the segments (store.retention_days).
job_projections = Table(
    "job_projections",
    metadata,
    Column("uid", String(64), primary_key=True),
    Column("at", UtcDateTime(), primary_key=True),
    Column("cost_usd", Float(), nullable=False),
    Column("p10_usd", Float(), nullable=False),
    Column("p50_usd", Float(), nullable=False),
    Column("p90_usd", Float(), nullable=False),
    Column("expected_completion", UtcDateTime(), nullable=True),
    Column("progress", Float(), nullable=True),
    Index("ix_job_projections_at", "at"),
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

# Small facts about the store itself: the retention horizon below which segments were pruned, the time open
# segments are accrued up to, the write token.
store_meta = Table(
    "store_meta",
    metadata,
    Column("key", String(128), primary_key=True),
    Column("value", Text(), nullable=False),
)

# The last good answer of each live pricing API per node identity (issue 12): after a restart during an API outage the
# daemon prices from it, flagged stale, instead of falling to the embedded catalog.
last_good_prices = Table(
    "last_good_prices",
    metadata,
    Column("source", String(64), primary_key=True),
    Column("key", String(512), primary_key=True),
    Column("price", json_type(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)
