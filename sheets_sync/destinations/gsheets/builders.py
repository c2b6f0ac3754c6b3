"""batchUpdate requests that write one managed tab, and the spreadsheet-wide ones.

A :class:`TabTarget` ties a rendered :class:`~.grid.TabGrid` to the sheet it lands on (existing,
or created in the same batch with a stable id). Its requests, applied in order inside one atomic
batchUpdate, resize the grid (never dropping columns a user added; new rows and columns are
inserted before the last existing one, so a user's filters, pivot sources and formulas that reach
the end of the tab keep reaching it), write typed values with a field mask that also clears
leftover cells of the managed columns, format number columns once, replace the tab's
conditional-format rules, create or update its charts in place and rewrite the registry entry.
Values come either inline (``updateCells``) or from a staging sheet (``copyPaste``), see
:mod:`.staging`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sheets_sync.destinations.gsheets.cells import hex_color, number_format
from sheets_sync.destinations.gsheets.charts import add_chart, chart_id, update_chart
from sheets_sync.destinations.gsheets.grid import TabGrid
from sheets_sync.destinations.gsheets.registry import (
    STAGING_PREFIX,
    ManagedInfo,
    SheetInfo,
    staging_metadata,
    tab_metadata,
    update_tab_metadata,
)
from sheets_sync.document import Theme

VALUE_FIELDS = "userEnteredValue,userEnteredFormat"
Request = dict[str, Any]


@dataclass
class TabTarget:
    """Where one rendered tab is written and what the registry will say about it."""

    grid: TabGrid
    sheet_id: int
    metadata_id: int
    index: int
    existing: SheetInfo | None = None
    title: str = ""
    staging_id: int | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        """The report name of the tab."""
        return self.grid.tab.name

    def size(self) -> tuple[int, int, int]:
        """``(rows, columns, managed columns to clear)`` of the sheet after the write.

        Columns beyond the registry's managed width were added by a user; when there are any,
        the grid only grows so their cells survive.
        """
        rows, cols = self.grid.n_rows, self.grid.n_cols
        if self.existing is None:
            return rows, cols, cols
        managed = self.existing.managed
        previous = managed.cols if managed is not None and managed.cols else self.existing.cols
        if self.existing.cols > previous:
            rows = max(rows, self.existing.rows)
            cols = max(cols, self.existing.cols)
        return rows, cols, min(max(self.grid.n_cols, previous), cols)

    def has_user_columns(self) -> bool:
        """Whether a user added columns to the right of the managed table."""
        if self.existing is None:
            return False
        managed = self.existing.managed
        previous = managed.cols if managed is not None and managed.cols else self.existing.cols
        return self.existing.cols > previous


def theme_request(theme: Theme) -> Request:
    """``updateSpreadsheetProperties`` setting the spreadsheet theme's font and colours."""
    pairs = {
        "TEXT": "#000000",
        "BACKGROUND": "#FFFFFF",
        "ACCENT1": theme.primary_color,
        "ACCENT2": theme.accent_color,
        "ACCENT3": theme.good_color,
        "ACCENT4": theme.bad_color,
        "ACCENT5": theme.accent_color,
        "ACCENT6": theme.primary_color,
        "LINK": theme.accent_color,
    }
    colors = [{"colorType": k, "color": {"rgbColor": hex_color(v)}} for k, v in pairs.items()]
    return {
        "updateSpreadsheetProperties": {
            "properties": {
                "spreadsheetTheme": {"primaryFontFamily": theme.font, "themeColors": colors}
            },
            "fields": "spreadsheetTheme",
        }
    }


def add_sheet(
    sheet_id: int, title: str, index: int, rows: int, cols: int, frozen: int, hidden: bool = False
) -> Request:
    """``addSheet`` with a chosen id, so later requests of the same batch can address it."""
    props: dict[str, Any] = {
        "sheetId": sheet_id,
        "title": title,
        "index": index,
        "gridProperties": {"rowCount": rows, "columnCount": cols, "frozenRowCount": frozen},
    }
    if hidden:
        props["hidden"] = True
    return {"addSheet": {"properties": props}}


def delete_sheet(sheet_id: int) -> Request:
    """``deleteSheet``."""
    return {"deleteSheet": {"sheetId": sheet_id}}


def _grid_range(sheet_id: int, r0: int | None, r1: int | None, c0: int, c1: int) -> dict[str, int]:
    rng = {"sheetId": sheet_id, "startColumnIndex": c0, "endColumnIndex": c1}
    if r0 is not None:
        rng["startRowIndex"] = r0
    if r1 is not None:
        rng["endRowIndex"] = r1
    return rng


def staging_sheet_requests(target: TabTarget, position: int) -> list[Request]:
    """Create the hidden staging sheet of ``target`` (sized like its grid) and tag it."""
    assert target.staging_id is not None
    title = f"{STAGING_PREFIX} {position} {target.staging_id}"
    return [
        add_sheet(target.staging_id, title, 0, target.grid.n_rows, target.grid.n_cols, 0, True),
        staging_metadata(target.staging_id, target.name),
    ]


def chunk_request(sheet_id: int, first_row: int, rows: list[dict[str, Any]]) -> Request:
    """``updateCells`` writing ``rows`` from ``first_row`` of a staging sheet."""
    return {
        "updateCells": {
            "start": {"sheetId": sheet_id, "rowIndex": first_row, "columnIndex": 0},
            "rows": rows,
            "fields": VALUE_FIELDS,
        }
    }


def tab_requests(target: TabTarget, theme: Theme, existing_rules: int) -> list[Request]:
    """Every request that brings the live sheet of ``target`` up to date, in order."""
    grid, sid = target.grid, target.sheet_id
    rows, cols, clear_cols = target.size()
    frozen = grid.layout.frozen_rows
    requests: list[Request] = []
    if target.existing is None:
        requests.append(add_sheet(sid, target.title, target.index, rows, cols, frozen))
    else:
        requests.extend(_grow_inside(target, rows, cols))
        requests.append(
            {
                "updateSheetProperties": {
                    "properties": {
                        "sheetId": sid,
                        "title": target.title,
                        "gridProperties": {
                            "rowCount": rows,
                            "columnCount": cols,
                            "frozenRowCount": frozen,
                        },
                    },
                    "fields": "title,gridProperties.rowCount,gridProperties.columnCount,"
                    "gridProperties.frozenRowCount",
                }
            }
        )
    whole = _grid_range(sid, 0, None, 0, clear_cols)
    if target.staging_id is None:
        # Rows not covered by ``rows`` are cleared by the field mask: no leftovers survive.
        requests.append(
            {"updateCells": {"range": whole, "rows": grid.rows, "fields": VALUE_FIELDS}}
        )
    else:
        requests.append({"updateCells": {"range": whole, "fields": VALUE_FIELDS}})
        requests.append(
            {
                "copyPaste": {
                    "source": _grid_range(target.staging_id, 0, grid.n_rows, 0, grid.n_cols),
                    "destination": _grid_range(sid, 0, grid.n_rows, 0, grid.n_cols),
                    "pasteType": "PASTE_NORMAL",
                    "pasteOrientation": "NORMAL",
                }
            }
        )
    requests.extend(_number_formats(target))
    rules = _conditional_rules(target, theme)
    for index in reversed(range(existing_rules)):
        requests.append({"deleteConditionalFormatRule": {"sheetId": sid, "index": index}})
    for index, rule in enumerate(rules):
        requests.append({"addConditionalFormatRule": {"rule": rule, "index": index}})
    chart_ids = _chart_requests(target, requests)
    info = ManagedInfo(target.name, clear_cols, len(rules), chart_ids)
    if target.existing is not None and target.existing.metadata_id is not None:
        requests.append(update_tab_metadata(target.existing.metadata_id, info))
    else:
        requests.append(tab_metadata(sid, target.metadata_id, info))
    return requests


def _grow_inside(target: TabTarget, rows: int, cols: int) -> list[Request]:
    """``insertDimension`` requests that add the new rows/columns before the last existing one.

    Sheets widens a range (a user's filter, filter view or pivot source, a ``SUM(A2:A100)``)
    when rows are inserted strictly inside it, but not when the grid merely grows past its end.
    Inserting before the last row or column makes every range that reached the end of the tab
    keep reaching it. Skipped when the user added columns, whose last-row cells would move.
    """
    existing = target.existing
    if existing is None or target.has_user_columns():
        return []
    requests: list[Request] = []
    for dimension, old, new in (("ROWS", existing.rows, rows), ("COLUMNS", existing.cols, cols)):
        if old >= 2 and new > old:
            span = {
                "sheetId": target.sheet_id,
                "dimension": dimension,
                "startIndex": old - 1,
                "endIndex": new - 1,
            }
            requests.append({"insertDimension": {"range": span, "inheritFromBefore": True}})
    return requests


def _number_formats(target: TabTarget) -> list[Request]:
    layout, requests = target.grid.layout, []
    for table in layout.tab.tables:
        place = layout.placements[table.id]
        if not place.n_rows:
            continue
        for column in table.frame.columns:
            fmt = number_format(table.format_of(str(column)))
            if fmt is None:
                continue
            col = place.column_index(table, column)
            rng = _grid_range(
                target.sheet_id, place.first_data_row, place.last_row + 1, col, col + 1
            )
            requests.append(
                {
                    "repeatCell": {
                        "range": rng,
                        "cell": {"userEnteredFormat": {"numberFormat": fmt}},
                        "fields": "userEnteredFormat.numberFormat",
                    }
                }
            )
    return requests


def _conditional_rules(target: TabTarget, theme: Theme) -> list[dict[str, Any]]:
    """Green for good changes and red for bad ones on every delta column."""
    layout, rules = target.grid.layout, []
    for table in layout.tab.tables:
        place = layout.placements[table.id]
        if not place.n_rows:
            continue
        for column, up_is_good in table.delta_columns.items():
            if column not in table.frame.columns:
                continue
            col = place.column_index(table, column)
            rng = _grid_range(
                target.sheet_id, place.first_data_row, place.last_row + 1, col, col + 1
            )
            good, bad = (
                ("NUMBER_GREATER", "NUMBER_LESS")
                if up_is_good
                else ("NUMBER_LESS", "NUMBER_GREATER")
            )
            for condition, color in ((good, theme.good_color), (bad, theme.bad_color)):
                rules.append(
                    {
                        "ranges": [rng],
                        "booleanRule": {
                            "condition": {
                                "type": condition,
                                "values": [{"userEnteredValue": "0"}],
                            },
                            "format": {"textFormat": {"foregroundColor": hex_color(color)}},
                        },
                    }
                )
    return rules


def _chart_requests(target: TabTarget, requests: list[Request]) -> list[int]:
    layout, existing = target.grid.layout, target.existing
    present = existing.chart_ids if existing is not None else set()
    ours = []
    for chart in layout.tab.charts:
        cid = chart_id(target.name, chart)
        ours.append(cid)
        if cid in present:
            requests.append(update_chart(chart, layout, target.sheet_id, target.name))
        else:
            requests.append(add_chart(chart, layout, target.sheet_id, target.name))
    previous = existing.managed.charts if existing is not None and existing.managed else []
    for cid in previous:
        if cid not in ours and cid in present:
            requests.append({"deleteEmbeddedObject": {"objectId": cid}})
    return ours
