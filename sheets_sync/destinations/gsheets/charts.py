"""Native Sheets chart specs for the report's :class:`~sheets_sync.document.Chart` blocks.

Charts get a stable ``chartId`` derived from the tab and chart id, so a refresh updates the chart
it created (``updateChartSpec``: new ranges, same position the user may have moved it to) instead
of stacking new copies.
"""

from __future__ import annotations

from typing import Any

from sheets_sync.destinations.gsheets.registry import stable_id
from sheets_sync.document import Chart, ChartKind
from sheets_sync.layout import ChartPlacement, TabLayout

_BASIC_TYPES = {
    ChartKind.LINE: "LINE",
    ChartKind.COLUMN: "COLUMN",
    ChartKind.BAR: "BAR",
    ChartKind.COMBO: "COMBO",
}


def chart_id(tab_name: str, chart: Chart) -> int:
    """The stable chart id of ``chart`` on tab ``tab_name``."""
    return stable_id("chart", tab_name, chart.id)


def _column_range(sheet_id: int, first_row: int, end_row: int, col: int) -> dict[str, Any]:
    return {
        "sourceRange": {
            "sources": [
                {
                    "sheetId": sheet_id,
                    "startRowIndex": first_row,
                    "endRowIndex": end_row,
                    "startColumnIndex": col,
                    "endColumnIndex": col + 1,
                }
            ]
        }
    }


def chart_spec(chart: Chart, layout: TabLayout, sheet_id: int) -> dict[str, Any]:
    """The ``ChartSpec`` drawing ``chart`` from its table's current rows."""
    table = layout.tab.table(chart.table_id)
    place = layout.placements[chart.table_id]
    start, end = place.header_row, place.last_row + 1
    x_col = place.column_index(table, chart.x)
    series_cols = [place.column_index(table, name) for name in chart.series]
    spec: dict[str, Any] = {"title": chart.title}
    if chart.kind is ChartKind.PIE:
        spec["pieChart"] = {
            "legendPosition": "RIGHT_LEGEND",
            "domain": _column_range(sheet_id, start, end, x_col),
            "series": _column_range(sheet_id, start, end, series_cols[0]),
        }
        return spec
    if chart.kind is ChartKind.SCORECARD:
        scorecard: dict[str, Any] = {
            "keyValueData": _column_range(sheet_id, start + 1, end, series_cols[0]),
            "aggregateType": "SUM",
        }
        if len(series_cols) > 1:
            scorecard["baselineValueData"] = _column_range(sheet_id, start + 1, end, series_cols[1])
            scorecard["baselineValueFormat"] = {"comparisonType": "PERCENTAGE_DIFFERENCE"}
        spec["scorecardChart"] = scorecard
        return spec
    chart_type = _BASIC_TYPES[chart.kind]
    value_axis = "BOTTOM_AXIS" if chart.kind is ChartKind.BAR else "LEFT_AXIS"
    series = []
    for index, col in enumerate(series_cols):
        item: dict[str, Any] = {
            "series": _column_range(sheet_id, start, end, col),
            "targetAxis": value_axis,
        }
        if chart.kind is ChartKind.COMBO:
            item["type"] = "COLUMN" if index == 0 else "LINE"
        series.append(item)
    basic: dict[str, Any] = {
        "chartType": chart_type,
        "legendPosition": "BOTTOM_LEGEND",
        "headerCount": 1,
        "domains": [{"domain": _column_range(sheet_id, start, end, x_col)}],
        "series": series,
    }
    if chart.stacked:
        basic["stackedType"] = "STACKED"
    spec["basicChart"] = basic
    return spec


def add_chart(chart: Chart, layout: TabLayout, sheet_id: int, tab_name: str) -> dict[str, Any]:
    """``addChart`` with a stable id, anchored where the layout puts it."""
    place: ChartPlacement = layout.charts[chart.id]
    return {
        "addChart": {
            "chart": {
                "chartId": chart_id(tab_name, chart),
                "spec": chart_spec(chart, layout, sheet_id),
                "position": {
                    "overlayPosition": {
                        "anchorCell": {
                            "sheetId": sheet_id,
                            "rowIndex": place.row,
                            "columnIndex": place.col,
                        },
                        "widthPixels": place.width_px,
                        "heightPixels": place.height_px,
                    }
                },
            }
        }
    }


def update_chart(chart: Chart, layout: TabLayout, sheet_id: int, tab_name: str) -> dict[str, Any]:
    """``updateChartSpec`` for a chart created by an earlier refresh."""
    return {
        "updateChartSpec": {
            "chartId": chart_id(tab_name, chart),
            "spec": chart_spec(chart, layout, sheet_id),
        }
    }
