"""Scheduled refreshes: a run's attempts, schedule slot, queue task, retry time and lease.

Revision ID: 0003_scheduled_refreshes
Revises: 0002_oauth_states
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import sheets_sync.db.types

revision: str = "0003_scheduled_refreshes"
down_revision: str | None = "0002_oauth_states"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIMESTAMPS = ("scheduled_for", "enqueued_at", "not_before", "lease_expires_at")


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(
            sa.Column("attempts", sa.Integer(), server_default=sa.text("1"), nullable=False)
        )
        for name in _TIMESTAMPS[:1]:
            batch.add_column(
                sa.Column(name, sheets_sync.db.types.UTCDateTime(timezone=True), nullable=True)
            )
        batch.add_column(sa.Column("task_name", sa.String(length=200), nullable=True))
        for name in _TIMESTAMPS[1:]:
            batch.add_column(
                sa.Column(name, sheets_sync.db.types.UTCDateTime(timezone=True), nullable=True)
            )
    op.create_index("ix_runs_status", "runs", ["status"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_runs_status", table_name="runs")
    with op.batch_alter_table("runs") as batch:
        for name in ("lease_expires_at", "not_before", "enqueued_at", "task_name"):
            batch.drop_column(name)
        batch.drop_column("scheduled_for")
        batch.drop_column("attempts")
