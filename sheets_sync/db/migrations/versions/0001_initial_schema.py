"""Initial schema: users, connections, reports, schedules, runs and sync cursors.

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import sheets_sync.db.types

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# At most one queued or running run per report (see sheets_sync.db.models.Run).
ACTIVE = sa.text("status IN ('queued', 'running')")


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("google_token_encrypted", sa.Text(), nullable=True),
        sa.Column("created_at", sheets_sync.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sheets_sync.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("subject", name=op.f("uq_users_subject")),
    )
    op.create_table(
        "connections",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("secrets_encrypted", sa.Text(), nullable=True),
        sa.Column("created_at", sheets_sync.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sheets_sync.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_connections_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connections")),
        sa.UniqueConstraint("user_id", "name", name=op.f("uq_connections_user_id_name")),
    )
    op.create_index(op.f("ix_connections_user_id"), "connections", ["user_id"], unique=False)

    op.create_table(
        "reports",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("spreadsheet_id", sa.String(length=128), nullable=False),
        sa.Column("template_id", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("created_at", sheets_sync.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sheets_sync.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_reports_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports")),
        sa.UniqueConstraint(
            "user_id", "spreadsheet_id", name=op.f("uq_reports_user_id_spreadsheet_id")
        ),
    )
    op.create_index(op.f("ix_reports_user_id"), "reports", ["user_id"], unique=False)

    op.create_table(
        "report_connections",
        sa.Column("report_id", sa.String(length=32), nullable=False),
        sa.Column("connection_id", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_report_connections_connection_id_connections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
            name=op.f("fk_report_connections_report_id_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("report_id", "connection_id", name=op.f("pk_report_connections")),
    )
    op.create_index(
        op.f("ix_report_connections_connection_id"),
        "report_connections",
        ["connection_id"],
        unique=False,
    )

    op.create_table(
        "runs",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("report_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sheets_sync.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", sheets_sync.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sheets_sync.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("progress_step", sa.String(length=200), nullable=True),
        sa.Column("progress_done", sa.Integer(), nullable=False),
        sa.Column("progress_total", sa.Integer(), nullable=True),
        sa.Column("row_counts", sa.JSON(), nullable=False),
        sa.Column("source_requests", sa.Integer(), nullable=False),
        sa.Column("write_requests", sa.Integer(), nullable=False),
        sa.Column("location", sa.Text(), nullable=True),
        sa.Column("warnings", sa.Integer(), nullable=False),
        sa.Column("error_code", sa.String(length=64), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
            name=op.f("fk_runs_report_id_reports"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_runs_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runs")),
    )
    op.create_index("ix_runs_report_created", "runs", ["report_id", "created_at"], unique=False)
    op.create_index(op.f("ix_runs_user_id"), "runs", ["user_id"], unique=False)
    op.create_index(
        "uq_runs_active_report",
        "runs",
        ["report_id"],
        unique=True,
        sqlite_where=ACTIVE,
        postgresql_where=ACTIVE,
    )

    op.create_table(
        "schedules",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("report_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("frequency", sa.String(length=16), nullable=False),
        sa.Column("time_of_day", sa.String(length=5), nullable=True),
        sa.Column("weekday", sa.Integer(), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("paused_reason", sa.Text(), nullable=True),
        sa.Column("next_run_at", sheets_sync.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_run_at", sheets_sync.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", sheets_sync.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
            name=op.f("fk_schedules_report_id_reports"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_schedules_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedules")),
        sa.UniqueConstraint("report_id", name=op.f("uq_schedules_report_id")),
    )
    op.create_index(op.f("ix_schedules_next_run_at"), "schedules", ["next_run_at"], unique=False)
    op.create_index(op.f("ix_schedules_user_id"), "schedules", ["user_id"], unique=False)

    op.create_table(
        "sync_cursors",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("report_id", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("stream", sa.String(length=128), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", sheets_sync.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
            name=op.f("fk_sync_cursors_report_id_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_cursors")),
        sa.UniqueConstraint(
            "report_id", "source", "stream", name=op.f("uq_sync_cursors_report_id_source_stream")
        ),
    )


def downgrade() -> None:
    op.drop_table("sync_cursors")
    op.drop_index(op.f("ix_schedules_user_id"), table_name="schedules")
    op.drop_index(op.f("ix_schedules_next_run_at"), table_name="schedules")

    op.drop_table("schedules")
    op.drop_index(
        "uq_runs_active_report", table_name="runs", sqlite_where=ACTIVE, postgresql_where=ACTIVE
    )
    op.drop_index(op.f("ix_runs_user_id"), table_name="runs")
    op.drop_index("ix_runs_report_created", table_name="runs")

    op.drop_table("runs")
    op.drop_index(op.f("ix_report_connections_connection_id"), table_name="report_connections")

    op.drop_table("report_connections")
    op.drop_index(op.f("ix_reports_user_id"), table_name="reports")

    op.drop_table("reports")
    op.drop_index(op.f("ix_connections_user_id"), table_name="connections")

    op.drop_table("connections")
    op.drop_table("users")
