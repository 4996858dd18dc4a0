"""cost segments instead of per-tick accrual samples

One row per pod per rate (written when a pod binds, its rate changes or it finishes) replaces one row per pod per
tick. Existing samples become closed segments: a pod's consecutive samples (each starting where the previous ended)
at the same hourly rate, node and price source merge into one segment whose USD is the sum of theirs, so every
workload's total and hourly rollup stay exactly what they were. The pods' watermarks are the ends of those segments;
the latest of them becomes `accrued_until`, and the samples' retention horizon becomes the segments' one.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from monitor.adapters.store.prorate import split_by_utc_hour
from monitor.adapters.store.types import UtcDateTime

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH_ROWS = 1000


def _segments_table() -> sa.TableClause:
    return sa.table(
        "cost_segments",
        sa.column("pod_uid", sa.String()),
        sa.column("start", UtcDateTime()),
        sa.column("end", UtcDateTime()),
        sa.column("workload_uid", sa.String()),
        sa.column("workload_key", sa.String()),
        sa.column("namespace", sa.String()),
        sa.column("node", sa.String()),
        sa.column("hourly_usd", sa.Float()),
        sa.column("usd", sa.Float()),
        sa.column("price_source", sa.String()),
    )


def _samples_table() -> sa.TableClause:
    return sa.table(
        "accrual_samples",
        sa.column("pod_uid", sa.String()),
        sa.column("start", UtcDateTime()),
        sa.column("end", UtcDateTime()),
        sa.column("workload_uid", sa.String()),
        sa.column("workload_key", sa.String()),
        sa.column("namespace", sa.String()),
        sa.column("node", sa.String()),
        sa.column("hourly_usd", sa.Float()),
        sa.column("usd", sa.Float()),
        sa.column("price_source", sa.String()),
    )


def merge_samples(samples: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Samples ordered by (pod_uid, start) → segments: contiguous samples of one pod at the same hourly rate, node,
    price source and workload merge (USD summed)."""
    current: dict[str, Any] | None = None
    for sample in samples:
        if (
            current is not None
            and current["pod_uid"] == sample["pod_uid"]
            and current["end"] == sample["start"]
            and all(current[k] == sample[k] for k in ("hourly_usd", "node", "price_source", "workload_uid"))
        ):
            current["end"] = sample["end"]
            current["usd"] += sample["usd"]
            continue
        if current is not None:
            yield current
        current = dict(sample)
    if current is not None:
        yield current


def upgrade() -> None:
    op.create_table(
        "cost_segments",
        sa.Column("pod_uid", sa.String(length=64), nullable=False),
        sa.Column("start", UtcDateTime(), nullable=False),
        sa.Column("end", UtcDateTime(), nullable=True),
        sa.Column("workload_uid", sa.String(length=64), nullable=False),
        sa.Column("workload_key", sa.String(length=512), nullable=False),
        sa.Column("namespace", sa.String(length=253), nullable=False),
        sa.Column("node", sa.String(length=253), nullable=False),
        sa.Column("hourly_usd", sa.Float(), nullable=False),
        sa.Column("usd", sa.Float(), server_default="0", nullable=False),
        sa.Column("price_source", sa.String(length=128), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("pod_uid", "start", name=op.f("pk_cost_segments")),
    )
    op.create_index("ix_cost_segments_end", "cost_segments", ["end"])
    op.create_index("ix_cost_segments_workload_uid_start", "cost_segments", ["workload_uid", "start"])
    conn = op.get_bind()
    samples, segments = _samples_table(), _segments_table()
    columns = [samples.c[name] for name in segments.c.keys()]  # noqa: SIM118 - a column collection
    rows = (
        dict(row._mapping) for row in conn.execute(sa.select(*columns).order_by(samples.c.pod_uid, samples.c.start))
    )
    batch: list[dict[str, Any]] = []
    for segment in merge_samples(rows):
        batch.append(segment)
        if len(batch) >= _BATCH_ROWS:
            conn.execute(segments.insert(), batch)
            batch = []
    if batch:
        conn.execute(segments.insert(), batch)
    meta = sa.table("store_meta", sa.column("key", sa.String()), sa.column("value", sa.Text()))
    watermarks = sa.table("pod_watermarks", sa.column("accrued_until", UtcDateTime()))
    until = conn.execute(sa.select(sa.func.max(watermarks.c.accrued_until))).scalar()
    if until is not None:
        conn.execute(meta.insert().values(key="accrued_until", value=until.isoformat()))
    conn.execute(meta.update().where(meta.c.key == "samples_pruned_before").values(key="segments_pruned_before"))
    conn.execute(meta.delete().where(meta.c.key == "write_token"))  # any in-memory copy of the old tables is void
    op.drop_index("ix_pod_watermarks_accrued_until", table_name="pod_watermarks")
    op.drop_table("pod_watermarks")
    op.drop_index("ix_accrual_samples_workload_uid_start", table_name="accrual_samples")
    op.drop_index("ix_accrual_samples_end", table_name="accrual_samples")
    op.drop_table("accrual_samples")


def _add_spend(conn: sa.Connection, sample: dict[str, Any], start: datetime, end: datetime) -> None:
    totals = sa.table(
        "workload_totals",
        sa.column("workload_uid", sa.String()),
        sa.column("workload_key", sa.String()),
        sa.column("namespace", sa.String()),
        sa.column("usd", sa.Float()),
        sa.column("updated_at", UtcDateTime()),
    )
    added = (
        totals.update().where(totals.c.workload_uid == sample["workload_uid"]).values(usd=totals.c.usd + sample["usd"])
    )
    if not conn.execute(added).rowcount:
        conn.execute(
            totals.insert().values(
                workload_uid=sample["workload_uid"],
                workload_key=sample["workload_key"],
                namespace=sample["namespace"],
                usd=sample["usd"],
                updated_at=end,
            )
        )
    hourly = sa.table(
        "workload_hourly_spend",
        sa.column("workload_uid", sa.String()),
        sa.column("hour", UtcDateTime()),
        sa.column("usd", sa.Float()),
    )
    for hour, usd in split_by_utc_hour(start, end, float(sample["usd"])):
        where = sa.and_(hourly.c.workload_uid == sample["workload_uid"], hourly.c.hour == hour)
        if not conn.execute(hourly.update().where(where).values(usd=hourly.c.usd + usd)).rowcount:
            conn.execute(hourly.insert().values(workload_uid=sample["workload_uid"], hour=hour, usd=usd))


def downgrade() -> None:
    """Closed segments become one sample each (same totals); open segments become samples up to accrued_until."""
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
    conn = op.get_bind()
    segments, samples = _segments_table(), _samples_table()
    closed = [dict(r._mapping) for r in conn.execute(sa.select(segments).where(segments.c.end.is_not(None)))]
    until_text = conn.execute(sa.text("SELECT value FROM store_meta WHERE key = 'accrued_until'")).scalar()
    if until_text:
        # Open segments were never summed into the totals: they become samples up to accrued_until, added there.
        until = datetime.fromisoformat(str(until_text)).astimezone(UTC)
        for row in conn.execute(sa.select(segments).where(segments.c.end.is_(None))):
            sample = dict(row._mapping)
            start = sample["start"].astimezone(UTC)
            if until <= start:
                continue
            sample["end"] = until
            sample["usd"] = sample["hourly_usd"] * (until - start).total_seconds() / 3600.0
            closed.append(sample)
            _add_spend(conn, sample, start, until)
    if closed:
        conn.execute(samples.insert(), closed)
        ends: dict[str, dict[str, Any]] = {}
        for kept in closed:
            if kept["pod_uid"] not in ends or kept["end"] > ends[kept["pod_uid"]]["accrued_until"]:
                ends[kept["pod_uid"]] = {
                    "pod_uid": kept["pod_uid"],
                    "workload_uid": kept["workload_uid"],
                    "accrued_until": kept["end"],
                }
        watermarks = sa.table(
            "pod_watermarks",
            sa.column("pod_uid", sa.String()),
            sa.column("workload_uid", sa.String()),
            sa.column("accrued_until", UtcDateTime()),
        )
        conn.execute(watermarks.insert(), list(ends.values()))
    meta = sa.table("store_meta", sa.column("key", sa.String()), sa.column("value", sa.Text()))
    conn.execute(meta.update().where(meta.c.key == "segments_pruned_before").values(key="samples_pruned_before"))
    conn.execute(meta.delete().where(meta.c.key.in_(["write_token", "accrued_until"])))
    op.drop_index("ix_cost_segments_workload_uid_start", table_name="cost_segments")
    op.drop_index("ix_cost_segments_end", table_name="cost_segments")
    op.drop_table("cost_segments")
