"""Sanity checks on built tables whose failures real exports do contain (reported, not fixed)."""

from __future__ import annotations

from connectors.file.build import BuiltTable
from sheets_sync.issues import DataIssue, Severity

DATE_ORDER = {
    "deals": ("created_at", "close_date"),
    "leads": ("created_at", "converted_at"),
    "accounts": ("customer_since", "churned_at"),
    "tickets": ("opened_at", "resolved_at"),
}
"""Per table, two date columns where the second should not come before the first."""


def date_order_issues(source: str, table: str, built: BuiltTable) -> list[DataIssue]:
    """Report rows whose end date precedes their start date, per file, with file row numbers."""
    pair = DATE_ORDER.get(table)
    frame = built.frame
    if pair is None or not set(pair) <= set(frame.columns):
        return []
    start, end = pair
    wrong = (frame[end] < frame[start]).fillna(False).to_numpy(dtype=bool)
    issues = []
    for label in sorted(set(built.files[wrong])):
        mine = wrong & (built.files == label).to_numpy()
        rows = tuple(int(r) for r in built.rows[mine].head(50))
        issues.append(
            DataIssue(
                Severity.WARNING,
                f"{label}: {int(mine.sum())} row(s) have {end} before {start}",
                source,
                table,
                end,
                rows,
                int(mine.sum()),
            )
        )
    return issues
