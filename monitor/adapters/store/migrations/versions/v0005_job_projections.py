"""each Job's projection at every snapshot written (the page's projection over time)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from monitor.adapters.store.types import UtcDateTime

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "job_projections",
        sa.Column("uid", sa.String(64), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("cost_usd", sa.Float(), nullable=False),
        sa.Column("p10_usd", sa.Float(), nullable=False),
        sa.Column("p50_usd", sa.Float(), nullable=False),
        sa.Column("p90_usd", sa.Float(), nullable=False),
        sa.Column("expected_completion", UtcDateTime(), nullable=True),
        sa.Column("progress", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("uid", "at", name=op.f("pk_job_projections")),
    )
    op.create_index(op.f("ix_job_projections_at"), "job_projections", ["at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_job_projections_at"), table_name="job_projections")
    op.drop_table("job_projections")
