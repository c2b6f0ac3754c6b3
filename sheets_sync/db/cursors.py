"""Sync cursors kept in the service database (a :class:`sheets_sync.state.CursorStore`)."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from sheets_sync.db.models import SyncCursor
from sheets_sync.db.types import utcnow


class DbCursorStore:
    """The committed cursors of one report, one row per (source, stream).

    Each call opens its own short transaction: the refresh engine commits cursors only after
    the destination write succeeded, and that commit must not wait for, or be undone by, the
    session that tracks the run's progress.
    """

    def __init__(self, factory: sessionmaker[Session], report_id: str) -> None:
        self._factory = factory
        self.report_id = report_id

    def load(self, source: str) -> dict[str, str]:
        """The committed cursors of ``source`` (stream name -> cursor value)."""
        with self._factory() as session:
            rows = session.scalars(
                select(SyncCursor).where(
                    SyncCursor.report_id == self.report_id, SyncCursor.source == source
                )
            )
            return {row.stream: row.value for row in rows}

    def commit(self, cursors: Mapping[str, Mapping[str, str]]) -> None:
        """Merge ``cursors`` into the stored ones, all in one transaction."""
        with self._factory() as session, session.begin():
            existing = {
                (row.source, row.stream): row
                for row in session.scalars(
                    select(SyncCursor)
                    .where(SyncCursor.report_id == self.report_id)
                    .with_for_update()
                )
            }
            now = utcnow()
            for source, streams in cursors.items():
                for stream, value in streams.items():
                    row = existing.get((source, stream))
                    if row is None:
                        session.add(
                            SyncCursor(
                                report_id=self.report_id,
                                source=source,
                                stream=stream,
                                value=str(value),
                                updated_at=now,
                            )
                        )
                    else:
                        row.value = str(value)
                        row.updated_at = now
