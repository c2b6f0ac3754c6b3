"""Native .xlsx charts for the :class:`~sheets_sync.document.Chart` specs of a report tab.

Each chart reads its data from the cells its table occupies (as placed by
:func:`sheets_sync.layout.layout_tab`), so the chart follows the numbers when a user opens the
file. Scorecard charts have no native Excel equivalent; :mod:`sheets_sync.destinations.xlsx_tabs`
draws them as a big-number cell block instead.
"""

from __future__ import annotations

from openpyxl.chart import BarChart, LineChart, PieChart, Reference
from openpyxl.chart._chart import ChartBase
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from sheets_sync.destinations.xlsx_styles import StyleKit
from sheets_sync.document import Chart, ChartKind, Table
from sheets_sync.errors import DestinationError
from sheets_sync.layout import ChartPlacement, Placement

PX_PER_CM = 96 / 2.54
SECONDARY_AXIS_ID = 200


def check_chart(chart: Chart, table: Table, tab_name: str) -> None:
    """Raise a clear error when ``chart`` names columns its table does not have."""
    missing = [c for c in [chart.x, *chart.series] if c not in table.frame.columns]
    if missing:
        raise DestinationError(
            f"chart {chart.id!r} on tab {tab_name!r} uses column(s) {missing} that table "
            f"{table.id!r} does not have; fix the chart's x/series in the template"
        )
    if not chart.series:
        raise DestinationError(
            f"chart {chart.id!r} on tab {tab_name!r} has no series; list at least one column"
        )


def build_chart(
    ws: WriteOnlyWorksheet,
    chart: Chart,
    table: Table,
    placement: Placement,
    where: ChartPlacement,
    kit: StyleKit,
) -> ChartBase:
    """A native chart of ``chart``'s series, anchored at ``where`` (0-based grid cell)."""
    first = placement.first_data_row + 1  # openpyxl references are 1-based
    last = max(placement.last_row + 1, first)
    header = placement.header_row + 1

    def series_ref(column: str) -> Reference:
        col = placement.column_index(table, column) + 1
        return Reference(ws, min_col=col, min_row=header, max_row=last)

    x_col = placement.column_index(table, chart.x) + 1
    categories = Reference(ws, min_col=x_col, min_row=first, max_row=last)
    result = _draw(chart, series_ref, categories, kit)
    result.title = chart.title
    result.width = where.width_px / PX_PER_CM
    result.height = where.height_px / PX_PER_CM
    result.anchor = f"{get_column_letter(where.col + 1)}{where.row + 1}"
    return result


def _draw(chart: Chart, series_ref, categories: Reference, kit: StyleKit) -> ChartBase:
    if chart.kind is ChartKind.PIE:
        pie = PieChart()
        pie.add_data(series_ref(chart.series[0]), titles_from_data=True)
        pie.set_categories(categories)
        return pie
    if chart.kind is ChartKind.COMBO:
        return _combo(chart, series_ref, categories, kit)
    if chart.kind is ChartKind.LINE:
        main: ChartBase = LineChart()
    else:  # column, bar and (as a fallback) scorecard specs drawn natively
        main = BarChart()
        main.type = "bar" if chart.kind is ChartKind.BAR else "col"
    for column in chart.series:
        main.add_data(series_ref(column), titles_from_data=True)
    main.set_categories(categories)
    if chart.stacked:
        main.grouping = "stacked"
        if isinstance(main, BarChart):
            main.overlap = 100
    _show_axes(main)
    _colour(main, kit)
    return main


def _combo(chart: Chart, series_ref, categories: Reference, kit: StyleKit) -> ChartBase:
    """First series as columns on the primary axis, the rest as lines on a secondary axis."""
    bars = BarChart()
    bars.type = "col"
    bars.add_data(series_ref(chart.series[0]), titles_from_data=True)
    bars.set_categories(categories)
    _show_axes(bars)
    _colour(bars, kit)
    if len(chart.series) > 1:
        lines = LineChart()
        for column in chart.series[1:]:
            lines.add_data(series_ref(column), titles_from_data=True)
        lines.set_categories(categories)
        lines.y_axis.axId = SECONDARY_AXIS_ID
        lines.y_axis.crosses = "max"  # draw the secondary axis on the right
        lines.y_axis.delete = False
        for series in lines.series:
            series.graphicalProperties.line.solidFill = kit.accent[2:]
        bars += lines
    return bars


def _show_axes(chart: ChartBase) -> None:
    # openpyxl 3.1 leaves axes "deleted" unless told otherwise, which hides their labels in Excel.
    chart.x_axis.delete = False
    chart.y_axis.delete = False


def _colour(chart: ChartBase, kit: StyleKit) -> None:
    palette = [kit.primary[2:], kit.accent[2:]]
    for series, colour in zip(chart.series, palette):
        if isinstance(chart, LineChart):
            series.graphicalProperties.line.solidFill = colour
        else:
            series.graphicalProperties.solidFill = colour
