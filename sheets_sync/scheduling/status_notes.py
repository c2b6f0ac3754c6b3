"""Failed refreshes shown in the report's sync-status tab on the next successful refresh.

A failed refresh cannot write the report (the destination is written all or nothing, and only
after every source was read), so the user learns about it from the sidebar, and then from the
status tab of the next refresh that succeeds: :func:`with_recent_failures` wraps the destination
so that the status tab gains a table of the failures since the last success.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from connectors.base import ProgressFn, no_progress
from sheets_sync.db.models import Run
from sheets_sync.destinations.base import Destination, WriteResult
from sheets_sync.document import ColumnFormat, Fmt, TabKind, Table, Workbook

MAX_LISTED = 10
_COLUMNS = ("Failed at", "Trigger", "Attempts", "Error", "What to do")


def with_recent_failures(
    factory: sessionmaker[Session], report_id: str, run_id: str, target: Destination
) -> Destination:
    """``target``, listing in the status tab the report's failures since its last success."""
    with factory() as session:
        rows = recent_failures(session, report_id, run_id)
    return FailureNotes(target, rows) if rows else target


def recent_failures(session: Session, report_id: str, run_id: str) -> list[dict[str, object]]:
    """Rows for the failures since the last success, newest first, including earlier
    failed attempts of the run ``run_id`` itself."""
    last_success = session.scalar(
        select(Run.finished_at)
        .where(Run.report_id == report_id, Run.status == "succeeded")
        .order_by(Run.finished_at.desc())
        .limit(1)
    )
    query = select(Run).where(Run.report_id == report_id, Run.status == "failed")
    if last_success is not None:
        query = query.where(Run.created_at > last_success)
    failed = session.scalars(query.order_by(Run.created_at.desc()).limit(MAX_LISTED)).all()
    rows = [_row(run.finished_at or run.created_at, run) for run in failed]
    current = session.get(Run, run_id)
    if current is not None and current.attempts > 1 and current.error_message:
        rows.insert(0, _row(current.created_at, current, earlier_attempt=True))
    return rows


def _row(when: datetime, run: Run, earlier_attempt: bool = False) -> dict[str, object]:
    code = run.error_code or "refresh_failed"
    return {
        "Failed at": pd.Timestamp(when),
        "Trigger": run.trigger,
        "Attempts": int(run.attempts - 1 if earlier_attempt else run.attempts),
        "Error": run.error_message or "",
        "What to do": (
            "Nothing: this refresh was retried and succeeded."
            if earlier_attempt
            else "Reconnect the account named in the error, then resume the schedule."
            if code == "access_revoked"
            else "Fix what the error names, then refresh."
        ),
    }


class FailureNotes(Destination):
    """A destination that adds a failures table to the status tab, then writes to ``inner``."""

    type = "failure-notes"

    def __init__(self, inner: Destination, rows: list[dict[str, object]]) -> None:
        self.inner = inner
        self.rows = rows

    def location(self) -> str:
        """The wrapped destination's location."""
        return self.inner.location()

    def write(self, workbook: Workbook, progress: ProgressFn = no_progress) -> WriteResult:
        """Add the table to the status tab (if the template has one), then write."""
        for tab in workbook.tabs:
            if tab.kind == TabKind.STATUS:
                tab.tables.append(self.table())
        return self.inner.write(workbook, progress)

    def table(self) -> Table:
        """The failures as a status-tab table."""
        frame = pd.DataFrame(self.rows, columns=list(_COLUMNS)).astype({"Attempts": "int64"})
        formats = {c: ColumnFormat(Fmt.TEXT) for c in _COLUMNS}
        formats |= {
            "Failed at": ColumnFormat(Fmt.DATETIME),
            "Attempts": ColumnFormat(Fmt.INTEGER),
        }
        return Table(
            "failed_refreshes",
            frame,
            title="Failed refreshes since the last success",
            formats=formats,
        )
