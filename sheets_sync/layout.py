"""Where each block of a tab lands on the grid, decided once for every destination.

Report tabs have a title band (row 0: title, row 1: subtitle), then their tables stacked
vertically with one blank row between them; each table has an optional title row, a header row
and its data rows. Charts sit to the right of the widest table, stacked, each
``CHART_ROWS`` rows tall. Data tabs have no title band: the header is row 0 and is frozen, so user
formulas like ``='Raw data'!B2:B`` keep pointing at the same cells refresh after refresh.

All coordinates are 0-based (row, column).
"""

from __future__ import annotations

from dataclasses import dataclass

from sheets_sync.document import Tab, TabKind, Table

CHART_ROWS = 18
CHART_COLS = 6
CHART_WIDTH_PX = 600
CHART_HEIGHT_PX = 340


@dataclass(frozen=True)
class Placement:
    """Where one table lands: its optional title row, header row and data rows."""

    table_id: str
    title_row: int | None
    header_row: int
    first_data_row: int
    n_rows: int
    left_col: int
    n_cols: int

    @property
    def last_row(self) -> int:
        """The last row the table occupies (the header row when it has no data)."""
        return self.first_data_row + self.n_rows - 1 if self.n_rows else self.header_row

    def column_index(self, table: Table, column: str) -> int:
        """The absolute grid column of ``column`` of ``table``."""
        return self.left_col + list(table.frame.columns).index(column)


@dataclass(frozen=True)
class ChartPlacement:
    """Where a chart's top-left corner is anchored."""

    chart_id: str
    row: int
    col: int
    width_px: int = CHART_WIDTH_PX
    height_px: int = CHART_HEIGHT_PX


@dataclass(frozen=True)
class TabLayout:
    """The grid a tab needs and where everything on it goes."""

    tab: Tab
    title_row: int | None
    subtitle_row: int | None
    placements: dict[str, Placement]
    charts: dict[str, ChartPlacement]
    frozen_rows: int
    n_rows: int
    n_cols: int


def layout_tab(tab: Tab) -> TabLayout:
    """Position every table and chart of ``tab`` on the grid."""
    if tab.kind is TabKind.DATA:
        return _layout_data_tab(tab)
    row = 0
    title_row = subtitle_row = None
    if tab.title:
        title_row, row = row, row + 1
    if tab.subtitle:
        subtitle_row, row = row, row + 1
    if title_row is not None or subtitle_row is not None:
        row += 1
    placements: dict[str, Placement] = {}
    width = 1
    for table in tab.tables:
        table_title_row = None
        if table.title:
            table_title_row, row = row, row + 1
        header = row
        n_rows = len(table.frame)
        n_cols = max(len(table.frame.columns), 1)
        placements[table.id] = Placement(
            table.id, table_title_row, header, header + 1, n_rows, 0, n_cols
        )
        width = max(width, n_cols)
        row = header + 1 + n_rows + (1 if table.note else 0) + 1
    charts: dict[str, ChartPlacement] = {}
    chart_col = width + 1
    chart_row = title_row + 2 if title_row is not None else 0
    for chart in tab.charts:
        charts[chart.id] = ChartPlacement(chart.id, chart_row, chart_col)
        chart_row += CHART_ROWS
    n_rows = max(row, chart_row, 1)
    n_cols = chart_col + CHART_COLS if tab.charts else width
    frozen = subtitle_row + 1 if subtitle_row is not None else (1 if title_row is not None else 0)
    return TabLayout(tab, title_row, subtitle_row, placements, charts, frozen, n_rows, n_cols)


def _layout_data_tab(tab: Tab) -> TabLayout:
    placements: dict[str, Placement] = {}
    width = 1
    n_rows = 1
    if tab.tables:
        table = tab.tables[0]
        n_cols = max(len(table.frame.columns), 1)
        placements[table.id] = Placement(table.id, None, 0, 1, len(table.frame), 0, n_cols)
        width = n_cols
        n_rows = 1 + len(table.frame) + (1 if table.note else 0)
    return TabLayout(tab, None, None, placements, {}, 1, n_rows, width)
