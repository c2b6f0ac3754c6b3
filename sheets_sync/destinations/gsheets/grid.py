"""Render a laid-out :class:`~sheets_sync.document.Tab` into Sheets ``RowData``.

The rows start at A1 and cover the whole grid :func:`sheets_sync.layout.layout_tab` decided on:
title band, table titles, headers (styled), typed data cells and notes. Number formats are not
repeated in every data cell; :mod:`.builders` applies them once per column with ``repeatCell``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sheets_sync.destinations.gsheets.cells import CellEncoder, hex_color
from sheets_sync.document import Tab, Theme
from sheets_sync.layout import TabLayout, layout_tab

Cell = dict[str, Any]


@dataclass
class TabGrid:
    """The cells of one tab and the JSON size of each row (for payload planning)."""

    tab: Tab
    layout: TabLayout
    rows: list[dict[str, list[Cell]]]
    row_bytes: list[int] = field(default_factory=list)

    @property
    def n_rows(self) -> int:
        """Rows of the grid the tab needs."""
        return max(self.layout.n_rows, len(self.rows), self.layout.frozen_rows + 1)

    @property
    def n_cols(self) -> int:
        """Columns of the grid the tab needs."""
        return max(self.layout.n_cols, 1)

    @property
    def value_bytes(self) -> int:
        """Approximate JSON size of all rows."""
        return sum(self.row_bytes)


def _styled(text: str, fmt: dict[str, Any]) -> Cell:
    return {"userEnteredValue": {"stringValue": text}, "userEnteredFormat": fmt}


def render_tab(tab: Tab, theme: Theme, encoder: CellEncoder) -> TabGrid:
    """Build the typed rows of ``tab``; text stays text whatever it starts with."""
    layout = layout_tab(tab)
    grid: list[list[Cell]] = [[] for _ in range(layout.n_rows)]

    def put(row: int, col: int, cell: Cell) -> None:
        cells = grid[row]
        if len(cells) <= col:
            cells.extend({} for _ in range(col + 1 - len(cells)))
        cells[col] = cell

    title_fmt = {
        "textFormat": {
            "bold": True,
            "fontSize": theme.font_size + 8,
            "fontFamily": theme.font,
            "foregroundColor": hex_color(theme.primary_color),
        }
    }
    if layout.title_row is not None and tab.title:
        put(layout.title_row, 0, _styled(encoder.text(tab.title), title_fmt))
        logo = _logo_formula(theme)
        if logo and layout.n_cols > 3:
            put(layout.title_row, layout.n_cols - 1, {"userEnteredValue": {"formulaValue": logo}})
    if layout.subtitle_row is not None and tab.subtitle:
        subtitle_fmt = {"textFormat": {"italic": True, "fontFamily": theme.font}}
        put(layout.subtitle_row, 0, _styled(encoder.text(tab.subtitle), subtitle_fmt))
    header_fmt = {
        "backgroundColor": hex_color(theme.primary_color),
        "textFormat": {
            "bold": True,
            "fontFamily": theme.font,
            "foregroundColor": hex_color(theme.header_text_color),
        },
    }
    for table in tab.tables:
        place = layout.placements[table.id]
        if place.title_row is not None and table.title:
            put(
                place.title_row,
                place.left_col,
                _styled(
                    encoder.text(table.title),
                    {"textFormat": {"bold": True, "fontFamily": theme.font}},
                ),
            )
        for offset, column in enumerate(table.frame.columns):
            put(
                place.header_row,
                place.left_col + offset,
                _styled(encoder.text(str(column)), header_fmt),
            )
        for r, record in enumerate(table.frame.itertuples(index=False, name=None)):
            cells = grid[place.first_data_row + r]
            cells.extend({} for _ in range(place.left_col - len(cells)))
            for value in record:
                encoded = encoder.value(value)
                cells.append({"userEnteredValue": encoded} if encoded is not None else {})
        if table.note:
            note_row = place.first_data_row + place.n_rows
            note_fmt = {"textFormat": {"italic": True, "fontFamily": theme.font}}
            put(note_row, place.left_col, _styled(encoder.text(table.note), note_fmt))
    rows = [{"values": cells} if cells else {} for cells in grid]
    row_bytes = [
        len(json.dumps(row, separators=(",", ":"), ensure_ascii=False)) + 1 for row in rows
    ]
    return TabGrid(tab, layout, rows, row_bytes)


def _logo_formula(theme: Theme) -> str | None:
    """An ``IMAGE`` formula for a logo URL (our own formula, never CRM data)."""
    if not theme.logo or not theme.logo.startswith(("https://", "http://")):
        return None
    return '=IMAGE("' + theme.logo.replace('"', '""') + '")'
