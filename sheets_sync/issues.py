"""Problems found in data, reported to the user instead of being hidden.

A :class:`DataIssue` names the source, the table, the column and, where it applies, the row
numbers it concerns. Issues travel with the data from connectors through blending to the
sync-status tab of the report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Severity(StrEnum):
    """How serious a data issue is: ``error`` stops a refresh, the others are reported."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True)
class DataIssue:
    """One problem found in the data, located as precisely as known."""

    severity: Severity
    message: str
    source: str = ""
    table: str = ""
    column: str = ""
    rows: tuple[int, ...] = field(default=())
    count: int = 0

    def location(self) -> str:
        """Return ``source/table.column`` with the parts that are known."""
        where = "/".join(p for p in (self.source, self.table) if p)
        if self.column:
            where = f"{where}.{self.column}" if where else self.column
        return where

    def describe(self, max_rows: int = 10) -> str:
        """Return a one-line human description, listing at most ``max_rows`` row numbers."""
        text = f"{self.location()}: {self.message}" if self.location() else self.message
        if self.rows:
            shown = ", ".join(str(r) for r in self.rows[:max_rows])
            more = len(self.rows) - max_rows
            text += f" (rows {shown}{f' and {more} more' if more > 0 else ''})"
        return text
