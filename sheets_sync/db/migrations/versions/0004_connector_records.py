"""Connector record caches in the service database (no local disk on App Engine).

Revision ID: 0004_connector_records
Revises: 0003_scheduled_refreshes
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_connector_records"
down_revision: str | None = "0003_scheduled_refreshes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The same tables connectors.common.cache.SqlRecordStore creates when they are missing.
    op.create_table(
        "connector_records",
        sa.Column("namespace", sa.Text(), nullable=False),
        sa.Column("stream", sa.Text(), nullable=False),
        sa.Column("record_key", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("namespace", "stream", "record_key", name="pk_connector_records"),
    )
    op.create_table(
        "connector_record_state",
        sa.Column("namespace", sa.Text(), nullable=False),
        sa.Column("stream", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.Text(), nullable=False),
        sa.Column("high_water", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("namespace", "stream", name="pk_connector_record_state"),
    )


def downgrade() -> None:
    op.drop_table("connector_record_state")
    op.drop_table("connector_records")
