"""The service's tables as typed SQLAlchemy 2 declarative models.

Ownership is explicit: every row a user can reach carries ``user_id`` so that each query can
filter by the signed-in user. Secrets live only in ``*_encrypted`` columns holding Fernet tokens
(see :mod:`sheets_sync.secrets`); nothing else stores a credential.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from sheets_sync.db.types import UTCDateTime, utcnow

# Deterministic constraint names so that Alembic migrations can refer to them on every backend.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

RUN_STATUSES = ("queued", "running", "succeeded", "failed")
ACTIVE_RUN_STATUSES = ("queued", "running")
SCHEDULE_FREQUENCIES = ("hourly", "daily", "weekly")


def new_id() -> str:
    """A random, unguessable 32-character hex id (ids appear in URLs, so never sequential)."""
    return uuid.uuid4().hex


class Base(DeclarativeBase):
    """Declarative base with the naming convention above."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
    }


class User(Base):
    """Somebody who signed in with Google (or the local development sign-in)."""

    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    subject: Mapped[str] = mapped_column(String(255), unique=True)
    email: Mapped[str] = mapped_column(String(320))
    google_token_encrypted: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class Connection(Base):
    """A user's connection to one data source (demo, file, CRM); secrets are encrypted."""

    __tablename__ = "connections"
    __table_args__ = (UniqueConstraint("user_id", "name"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(32))
    label: Mapped[str] = mapped_column(String(200))
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)
    secrets_encrypted: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Report(Base):
    """A spreadsheet bound to a template, the connections it reads and its settings."""

    __tablename__ = "reports"
    __table_args__ = (UniqueConstraint("user_id", "spreadsheet_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    spreadsheet_id: Mapped[str] = mapped_column(String(128))
    template_id: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    links: Mapped[list[ReportConnection]] = relationship(
        order_by="ReportConnection.position",
        cascade="all, delete-orphan",
        lazy="selectin",
    )

    @property
    def connection_ids(self) -> list[str]:
        """The bound connections' ids, in the order the report reads them."""
        return [link.connection_id for link in self.links]


class ReportConnection(Base):
    """Which connections a report reads, in order."""

    __tablename__ = "report_connections"

    report_id: Mapped[str] = mapped_column(
        ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True
    )
    # CASCADE so that deleting a user (which cascades to reports and connections in one
    # statement) succeeds; the service refuses to delete a connection a report still reads.
    connection_id: Mapped[str] = mapped_column(
        ForeignKey("connections.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(Integer)

    connection: Mapped[Connection] = relationship(lazy="joined")


class Schedule(Base):
    """When a report refreshes by itself, in the user's time zone (dispatch is separate work)."""

    __tablename__ = "schedules"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    report_id: Mapped[str] = mapped_column(
        ForeignKey("reports.id", ondelete="CASCADE"), unique=True
    )
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    frequency: Mapped[str] = mapped_column(String(16))
    time_of_day: Mapped[str | None] = mapped_column(String(5), default=None)
    weekday: Mapped[int | None] = mapped_column(Integer, default=None)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    paused_reason: Mapped[str | None] = mapped_column(Text, default=None)
    next_run_at: Mapped[datetime | None] = mapped_column(default=None, index=True)
    last_run_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Run(Base):
    """One refresh of a report: status, timings, row counts, requests made and any error.

    A partial unique index allows at most one queued or running run per report, so two
    simultaneous "refresh now" clicks cannot both start, whatever process serves them.
    """

    __tablename__ = "runs"
    __table_args__ = (
        Index(
            "uq_runs_active_report",
            "report_id",
            unique=True,
            sqlite_where=text("status IN ('queued', 'running')"),
            postgresql_where=text("status IN ('queued', 'running')"),
        ),
        Index("ix_runs_report_created", "report_id", "created_at"),
        Index("ix_runs_status", "status"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    report_id: Mapped[str] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    trigger: Mapped[str] = mapped_column(String(16), default="manual")
    status: Mapped[str] = mapped_column(String(16), default="queued")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    progress_step: Mapped[str | None] = mapped_column(String(200), default=None)
    progress_done: Mapped[int] = mapped_column(Integer, default=0)
    progress_total: Mapped[int | None] = mapped_column(Integer, default=None)
    row_counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    source_requests: Mapped[int] = mapped_column(Integer, default=0)
    write_requests: Mapped[int] = mapped_column(Integer, default=0)
    location: Mapped[str | None] = mapped_column(Text, default=None)
    warnings: Mapped[int] = mapped_column(Integer, default=0)
    error_code: Mapped[str | None] = mapped_column(String(64), default=None)
    error_message: Mapped[str | None] = mapped_column(Text, default=None)
    # Scheduled refreshes (see sheets_sync.scheduling): the slot a run serves, its attempt
    # number, the deterministic queue task that delivers it, when it was handed to the queue,
    # the earliest time a retry may start, and until when its worker holds it.
    attempts: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))
    scheduled_for: Mapped[datetime | None] = mapped_column(default=None)
    task_name: Mapped[str | None] = mapped_column(String(200), default=None)
    enqueued_at: Mapped[datetime | None] = mapped_column(default=None)
    not_before: Mapped[datetime | None] = mapped_column(default=None)
    lease_expires_at: Mapped[datetime | None] = mapped_column(default=None)


class SyncCursor(Base):
    """A committed incremental-sync cursor of one stream of one source of one report."""

    __tablename__ = "sync_cursors"
    __table_args__ = (UniqueConstraint("report_id", "source", "stream"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    report_id: Mapped[str] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(64))
    stream: Mapped[str] = mapped_column(String(128))
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class OAuthState(Base):
    """A pending OAuth authorisation: single use, expiring, bound to a user and a browser.

    Only hashes of the ``state`` value and of the browser nonce are stored, and the PKCE code
    verifier only encrypted, so a database dump cannot complete somebody's authorisation.
    """

    __tablename__ = "oauth_states"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 hex of the state
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(32))
    nonce_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    verifier_encrypted: Mapped[str | None] = mapped_column(Text, default=None)
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class ConnectorRecord(Base):
    """One cached raw record of an incremental source (see ``connectors.common.cache``).

    ``namespace`` is ``<report id>/<source name>``; the connectors read and write these rows
    through ``SqlRecordStore``, the ORM only declares them so migrations and models agree.
    """

    __tablename__ = "connector_records"

    namespace: Mapped[str] = mapped_column(Text, primary_key=True)
    stream: Mapped[str] = mapped_column(Text, primary_key=True)
    record_key: Mapped[str] = mapped_column(Text, primary_key=True)
    body: Mapped[str] = mapped_column(Text)


class ConnectorRecordState(Base):
    """What a cached stream holds: its field-list fingerprint and latest merged cursor."""

    __tablename__ = "connector_record_state"

    namespace: Mapped[str] = mapped_column(Text, primary_key=True)
    stream: Mapped[str] = mapped_column(Text, primary_key=True)
    fingerprint: Mapped[str] = mapped_column(Text)
    high_water: Mapped[str | None] = mapped_column(Text, default=None)
