"""The sync-status tab: when the report was refreshed, from what, and every data issue found."""

from __future__ import annotations

import pandas as pd

from sheets_sync.document import ColumnFormat, Fmt, Tab, TabKind, Table
from sheets_sync.metrics.query import DateRange
from sheets_sync.report.headers import readable
from sheets_sync.report.settings import RunSummary
from sheets_sync.templates.names import STATUS_TAB_NAME

_TEXT = ColumnFormat(Fmt.TEXT)
_INT = ColumnFormat(Fmt.INTEGER)
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


def status_tab(run: RunSummary) -> Tab:
    """The STATUS tab of ``run``: a one-row summary, rows per source table, then the issues."""
    tab = Tab(
        STATUS_TAB_NAME,
        TabKind.STATUS,
        title="Sync status",
        subtitle=run.message or None,
        tables=[_summary(run), _sources(run), _issues(run)],
    )
    return tab


def _summary(run: RunSummary) -> Table:
    seconds = (run.finished_at - run.started_at).total_seconds()
    frame = pd.DataFrame(
        {
            "Last refresh": [pd.Timestamp(run.finished_at)],
            "Status": [run.status],
            "Template": [run.template_id],
            "Date range": [describe_range(run.date_range)],
            "Time zone": [run.timezone],
            "Duration (s)": [round(seconds, 1)],
            "Requests": [int(run.requests)],
            "Issues": [len(run.issues)],
        }
    )
    formats = {c: _TEXT for c in frame.columns}
    formats |= {
        "Last refresh": ColumnFormat(Fmt.DATETIME),
        "Duration (s)": ColumnFormat(Fmt.NUMBER),
        "Requests": _INT,
        "Issues": _INT,
    }
    return Table("refresh", frame, title="Last refresh", formats=formats)


def _sources(run: RunSummary) -> Table:
    rows = [
        {"Source": source, "Table": table, "Rows": int(count)}
        for source, tables in run.row_counts.items()
        for table, count in tables.items()
    ]
    frame = pd.DataFrame(rows, columns=["Source", "Table", "Rows"]).astype({"Rows": "int64"})
    note = None if rows else "No source was read."
    formats = {"Source": _TEXT, "Table": _TEXT, "Rows": _INT}
    return Table("sources", frame, title="Rows read per source", formats=formats, note=note)


def _issues(run: RunSummary) -> Table:
    ordered = sorted(run.issues, key=lambda i: SEVERITY_ORDER.get(str(i.severity), 3))
    rows = [
        {
            "Severity": str(issue.severity),
            "Location": issue.location(),
            "Message": issue.message,
            "Rows": _row_list(issue.rows),
            "Count": int(issue.count or len(issue.rows)),
        }
        for issue in ordered
    ]
    columns = ["Severity", "Location", "Message", "Rows", "Count"]
    frame = pd.DataFrame(rows, columns=columns).astype({"Count": "int64"})
    formats = {c: _TEXT for c in columns} | {"Count": _INT}
    note = None if rows else "No data issues found."
    return Table("issues", frame, title="Data issues", formats=formats, note=note)


def _row_list(rows: tuple[int, ...], limit: int = 20) -> str:
    shown = ", ".join(str(r) for r in rows[:limit])
    more = len(rows) - limit
    return shown + (f" and {more} more" if more > 0 else "")


def describe_range(value: DateRange | str | None) -> str:
    """A date range as people read it: ``Last 90 days``, ``2026-09-01 to 2026-11-30``."""
    if value is None:
        return "Template default"
    if isinstance(value, str):
        return value
    if value.preset == "custom":
        return f"{value.start} to {value.end}"
    return readable(value.preset)
