"""The rendered report: what the engine hands a destination to write.

A :class:`Workbook` is a list of :class:`Tab` objects. A tab holds :class:`Table` blocks (typed
values in a DataFrame, one :class:`ColumnFormat` per column) and :class:`Chart` specs that point at
those tables by id. Nothing here is a formula: every cell is a number, a date, a boolean or text,
and destinations must write text as text even when it starts with ``=``, ``+``, ``-`` or ``@``.

Where each block lands on the grid is decided once, by :mod:`sheets_sync.layout`, so the local
workbook and Google Sheets put the same values at the same cells.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

import pandas as pd


class Fmt(StrEnum):
    """How a column's values are displayed."""

    TEXT = "text"
    INTEGER = "integer"
    NUMBER = "number"
    CURRENCY = "currency"
    PERCENT = "percent"  # values are fractions: 0.25 shows as 25.0%
    DATE = "date"
    DATETIME = "datetime"
    DAYS = "days"  # a duration in days, shown with one decimal
    BOOL = "bool"


@dataclass(frozen=True)
class ColumnFormat:
    """Display format of one column; ``currency`` is an ISO 4217 code for ``Fmt.CURRENCY``."""

    fmt: Fmt = Fmt.TEXT
    currency: str | None = None


class TabKind(StrEnum):
    """What a tab is for; destinations style them differently."""

    REPORT = "report"  # title band, scorecards, breakdown tables, charts
    DATA = "data"  # one raw-data table starting at A1, header frozen
    DEFINITIONS = "definitions"
    STATUS = "status"


class BlockKind(StrEnum):
    """What a table block shows."""

    SCORECARDS = "scorecards"  # one row per KPI: value, previous, change, change %
    TABLE = "table"  # a breakdown or time series
    DATA = "data"  # raw rows


class ChartKind(StrEnum):
    """Native chart types both destinations can draw."""

    LINE = "line"
    COLUMN = "column"
    BAR = "bar"
    PIE = "pie"
    COMBO = "combo"  # first series as columns, the rest as lines
    SCORECARD = "scorecard"


def infer_format(values: pd.Series) -> ColumnFormat:
    """A display format that fits a column's dtype: booleans, timestamps (tz-aware ones with
    their time, naive ones as dates), integers, other numbers, else text."""
    dtype = values.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return ColumnFormat(Fmt.BOOL)
    if isinstance(dtype, pd.DatetimeTZDtype):
        return ColumnFormat(Fmt.DATETIME)
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return ColumnFormat(Fmt.DATE)
    if pd.api.types.is_integer_dtype(dtype):
        return ColumnFormat(Fmt.INTEGER)
    if pd.api.types.is_float_dtype(dtype):
        return ColumnFormat(Fmt.NUMBER)
    return ColumnFormat(Fmt.TEXT)


@dataclass
class Table:
    """A rectangular block: a header row (the frame's column names) and typed rows.

    ``delta_columns`` maps a column to whether an increase is good, so destinations can colour
    good and bad changes. ``truncated_from`` is set when rows were cut to fit a destination budget.
    """

    id: str
    frame: pd.DataFrame
    title: str | None = None
    kind: BlockKind = BlockKind.TABLE
    formats: dict[str, ColumnFormat] = field(default_factory=dict)
    delta_columns: dict[str, bool] = field(default_factory=dict)
    note: str | None = None
    truncated_from: int | None = None

    def format_of(self, column: str) -> ColumnFormat:
        """The declared format of ``column``, or one inferred from its dtype when undeclared."""
        declared = self.formats.get(column)
        return declared if declared is not None else infer_format(self.frame[column])


@dataclass
class Chart:
    """A native chart drawn from a table of the same tab.

    ``x`` is the category / date column; ``series`` the value columns, in order.
    """

    id: str
    kind: ChartKind
    title: str
    table_id: str
    x: str
    series: list[str]
    stacked: bool = False


@dataclass
class Tab:
    """One sheet of the report."""

    name: str
    kind: TabKind = TabKind.REPORT
    title: str | None = None
    subtitle: str | None = None
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)

    def table(self, table_id: str) -> Table:
        """Return the table with ``table_id``; raise ``KeyError`` if the tab has none."""
        for table in self.tables:
            if table.id == table_id:
                return table
        raise KeyError(f"tab {self.name!r} has no table {table_id!r}")


@dataclass(frozen=True)
class Theme:
    """Branding applied to every tab: colours are ``#RRGGBB``; ``logo`` a file path or URL."""

    title: str = "sheets-sync report"
    logo: str | None = None
    primary_color: str = "#1F3A5F"
    accent_color: str = "#3C8DBC"
    header_text_color: str = "#FFFFFF"
    good_color: str = "#1E8E3E"
    bad_color: str = "#D93025"
    font: str = "Arial"
    font_size: int = 10


@dataclass
class Workbook:
    """A whole rendered report: every managed tab, in order, plus metadata."""

    title: str
    tabs: list[Tab]
    theme: Theme = field(default_factory=Theme)
    generated_at: datetime | None = None
    timezone: str = "UTC"
    template_id: str = ""

    def tab(self, name: str) -> Tab:
        """Return the tab called ``name``; raise ``KeyError`` if there is none."""
        for tab in self.tabs:
            if tab.name == name:
                return tab
        raise KeyError(f"workbook has no tab {name!r}")
