"""Render one managed tab onto a streaming (write-only) openpyxl worksheet.

Report tabs are small: their cells are collected into a sparse grid first (tables, title band,
scorecard blocks), then streamed row by row as openpyxl cells. Data tabs can hold hundreds of
thousands of rows, so they are converted in chunks and serialised by
:class:`~sheets_sync.destinations.xlsx_rows.RowFile` without ever holding the whole grid.
Positions always come from :func:`sheets_sync.layout.layout_tab`, so a user formula like
``='Pipeline'!B5`` keeps pointing at the same cell refresh after refresh.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any

from openpyxl.cell.cell import Cell
from openpyxl.drawing.image import Image
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from connectors.base import ProgressFn
from sheets_sync.destinations.xlsx_book import StreamSheet
from sheets_sync.destinations.xlsx_charts import build_chart, check_chart
from sheets_sync.destinations.xlsx_rows import RowFile
from sheets_sync.destinations.xlsx_styles import StyleKit, number_format
from sheets_sync.destinations.xlsx_values import column_values, display_width
from sheets_sync.document import BlockKind, ChartKind, ColumnFormat, Fmt, Tab, TabKind, Table
from sheets_sync.errors import DestinationError
from sheets_sync.layout import CHART_ROWS, ChartPlacement, Placement, TabLayout

EXCEL_MAX_ROWS = 1_048_576
MAX_COLUMN_WIDTH = 60
MIN_COLUMN_WIDTH = 8
WIDTH_SAMPLE_ROWS = 1_000
DATA_CHUNK_ROWS = 20_000
LOGO_HEIGHT_PX = 36
TITLE_ROW_HEIGHT_PT = 30
BIG_DIGITS = 1.6  # scorecard numbers are 6pt bigger: their columns need about this much more room


@dataclass
class RenderContext:
    """What every tab renderer needs: styles, the workbook's time zone, where to report."""

    kit: StyleKit
    timezone: str
    progress: ProgressFn
    warnings: list[str] = field(default_factory=list)
    max_rows: int = EXCEL_MAX_ROWS


class Stamp:
    """Prepared style arrays for one worksheet, shared by the cells that look alike.

    Building a Font or fill per cell is what makes naive openpyxl writing slow; a style array is
    a few integers registered once with the workbook and shared by every cell that looks alike.
    """

    def __init__(self, ws: WriteOnlyWorksheet) -> None:
        self.ws = ws

    def style(
        self,
        font: Font | None = None,
        fill: PatternFill | None = None,
        fmt: str | None = None,
        alignment: Alignment | None = None,
    ) -> StyleArray:
        """Register a look with the workbook and return its style array."""
        template = Cell(self.ws)
        if font is not None:
            template.font = font
        if fill is not None:
            template.fill = fill
        if fmt is not None:
            template.number_format = fmt
        if alignment is not None:
            template.alignment = alignment
        return template._style

    def style_id(self, style: StyleArray) -> int:
        """The workbook-wide index of ``style`` (what an ``s=`` attribute refers to)."""
        return Cell(self.ws, style_array=style).style_id

    def cell(self, value: Any, style: StyleArray) -> Cell:
        """A styled cell; text is always stored as text, even ``=IMPORTXML(...)``."""
        # Cells share the prepared array: nothing restyles a cell after it is made.
        cell = Cell(self.ws, value=value, style_array=style)
        if isinstance(value, str):
            cell.data_type = "s"  # never a formula or an error code: CRM text stays text
        return cell


@dataclass
class _Column:
    name: str
    fmt: ColumnFormat
    style: StyleArray


Grid = dict[int, dict[int, Cell]]


def render_report_tab(ws: WriteOnlyWorksheet, layout: TabLayout, ctx: RenderContext) -> int:
    """Write a report/definitions/status tab; return the number of cells written."""
    tab = layout.tab
    if layout.n_rows > ctx.max_rows:
        raise DestinationError(
            f"tab {tab.name!r} needs {layout.n_rows:,} rows but Excel allows {ctx.max_rows:,}; "
            "lower the number of rows the template puts on it"
        )
    stamp = Stamp(ws)
    grid: Grid = defaultdict(dict)
    widths: dict[int, int] = defaultdict(int)
    _title_band(ws, grid, layout, stamp, ctx.kit)
    for table in tab.tables:
        placement = layout.placements[table.id]
        _place_table(ws, grid, widths, table, placement, stamp, ctx)
    _place_charts(ws, grid, widths, layout, stamp, ctx)
    _add_logo(ws, layout, ctx)
    _set_widths(ws, widths)
    if layout.frozen_rows:
        ws.freeze_panes = f"A{layout.frozen_rows + 1}"
    last_row = max(grid, default=-1)
    for row in range(last_row + 1):
        cells = grid.get(row, {})
        ws.append([cells.get(col) for col in range(max(cells, default=-1) + 1)])
    return sum(c.value is not None for cells in grid.values() for c in cells.values())


def render_data_tab(ws: StreamSheet, layout: TabLayout, ctx: RenderContext) -> int:
    """Stream a raw-data tab: frozen header at row 1, autofilter, chunked rows, capped at Excel's
    row limit with a visible note. Return the number of cells written."""
    tab = layout.tab
    kit = ctx.kit
    ws.freeze_panes = "A2"
    if not tab.tables:
        return 0
    if len(tab.tables) > 1:
        ctx.warnings.append(
            f"data tab {tab.name!r} has {len(tab.tables)} tables; only the first, "
            f"{tab.tables[0].id!r}, was written"
        )
    table = tab.tables[0]
    placement = layout.placements[table.id]
    stamp = Stamp(ws)
    columns = _columns(table, stamp, kit)
    total = len(table.frame)
    n_rows = min(total, ctx.max_rows - 2)  # keep one row for the header and one for the note
    widths: dict[int, int] = defaultdict(int)
    _measure(widths, table, placement, columns, ctx.timezone)
    _set_widths(ws, widths)
    last_col = get_column_letter(placement.left_col + len(columns))
    ws.auto_filter.ref = f"A1:{last_col}{n_rows + 1}"
    _delta_rules(ws, table, placement, n_rows, kit)

    rows = ws.rows_file = RowFile()
    header = stamp.style(kit.header_font, kit.header_fill, None, kit.header_alignment)
    cells = rows.add([str(c.name) for c in columns], [stamp.style_id(header)] * len(columns))
    style_ids = [stamp.style_id(c.style) for c in columns]
    for start in range(0, n_rows, DATA_CHUNK_ROWS):
        chunk = table.frame.iloc[start : min(n_rows, start + DATA_CHUNK_ROWS)]
        values = [column_values(chunk[c.name], c.fmt.fmt, ctx.timezone) for c in columns]
        for row in zip(*values):
            cells += rows.add(row, style_ids)
        ctx.progress(f"xlsx: {tab.name}", start + len(chunk), n_rows)
    note = _note_text(table, n_rows, total, capped=n_rows < total)
    if note:
        cells += rows.add([note], [stamp.style_id(stamp.style(kit.note_font))])
    return cells


def _columns(table: Table, stamp: Stamp, kit: StyleKit, scorecard: bool = False) -> list[_Column]:
    """One style per column; on a scorecard block the first column (the KPI or period) is a bold
    label and every value column uses the big scorecard font."""
    columns = []
    for position, name in enumerate(table.frame.columns):
        fmt = table.format_of(name)
        if not scorecard:
            font = kit.body_font
        elif position == 0:
            font = kit.scorecard_label_font
        else:
            font = kit.scorecard_value_font
        style = stamp.style(font, None, number_format(fmt), Alignment(vertical="center"))
        columns.append(_Column(name, fmt, style))
    return columns


def _title_band(
    ws: WriteOnlyWorksheet, grid: Grid, layout: TabLayout, stamp: Stamp, kit: StyleKit
) -> None:
    band_cols = max(layout.n_cols, 1)
    rows = [
        (layout.title_row, layout.tab.title, kit.title_font, TITLE_ROW_HEIGHT_PT),
        (layout.subtitle_row, layout.tab.subtitle, kit.subtitle_font, None),
    ]
    for row, text, font, height in rows:
        if row is None:
            continue
        style = stamp.style(font, kit.band_fill, None, kit.band_alignment)
        empty = stamp.style(None, kit.band_fill)
        grid[row][0] = stamp.cell(text, style)
        for col in range(1, band_cols):
            grid[row][col] = stamp.cell(None, empty)
        if band_cols > 1:
            ws.merged_cells.add(f"A{row + 1}:{get_column_letter(band_cols)}{row + 1}")
        if height:
            ws.row_dimensions[row + 1].height = height


def _place_table(
    ws: WriteOnlyWorksheet,
    grid: Grid,
    widths: dict[int, int],
    table: Table,
    placement: Placement,
    stamp: Stamp,
    ctx: RenderContext,
) -> None:
    kit = ctx.kit
    scorecard = table.kind is BlockKind.SCORECARDS
    columns = _columns(table, stamp, kit, scorecard)
    left = placement.left_col
    if placement.title_row is not None and table.title:
        grid[placement.title_row][left] = stamp.cell(table.title, stamp.style(kit.table_title_font))
    header_style = stamp.style(kit.header_font, kit.header_fill, None, kit.header_alignment)
    for offset, column in enumerate(columns):
        grid[placement.header_row][left + offset] = stamp.cell(str(column.name), header_style)
    for offset, column in enumerate(columns):
        values = column_values(table.frame[column.name], column.fmt.fmt, ctx.timezone)
        for index, value in enumerate(values):
            if value is not None:
                grid[placement.first_data_row + index][left + offset] = stamp.cell(
                    value, column.style
                )
    if scorecard:
        height = (kit.theme.font_size + 6) * 1.6
        for index in range(placement.n_rows):
            ws.row_dimensions[placement.first_data_row + index + 1].height = height
    _measure(widths, table, placement, columns, ctx.timezone, BIG_DIGITS if scorecard else 1.0)
    _delta_rules(ws, table, placement, placement.n_rows, kit)
    note = _note_text(table, placement.n_rows, table.truncated_from or placement.n_rows)
    if note:
        grid[placement.last_row + 1][left] = stamp.cell(note, stamp.style(kit.note_font))


def _note_text(table: Table, shown: int, total: int, capped: bool = False) -> str | None:
    """The table's note plus, when rows were cut, a visible "Showing N of M rows"."""
    parts = [table.note] if table.note else []
    if table.truncated_from is not None and table.truncated_from > shown:
        total = max(total, table.truncated_from)
    if total > shown:
        reason = " (Excel's limit is 1,048,576 rows)" if capped else ""
        parts.append(f"Showing {shown:,} of {total:,} rows{reason}")
    return " · ".join(parts) if parts else None


def _delta_rules(
    ws: WriteOnlyWorksheet, table: Table, placement: Placement, n_rows: int, kit: StyleKit
) -> None:
    """Colour good and bad changes with conditional formatting, so edits keep the colours."""
    if n_rows <= 0:
        return
    for column, up_is_good in table.delta_columns.items():
        if column not in table.frame.columns:
            continue
        letter = get_column_letter(placement.column_index(table, column) + 1)
        cells = (
            f"{letter}{placement.first_data_row + 1}:{letter}{placement.first_data_row + n_rows}"
        )
        rising, falling = (kit.good, kit.bad) if up_is_good else (kit.bad, kit.good)
        for operator, colour in (("greaterThan", rising), ("lessThan", falling)):
            rule = CellIsRule(operator=operator, formula=["0"], font=Font(color=colour, bold=True))
            ws.conditional_formatting.add(cells, rule)


def _place_charts(
    ws: WriteOnlyWorksheet,
    grid: Grid,
    widths: dict[int, int],
    layout: TabLayout,
    stamp: Stamp,
    ctx: RenderContext,
) -> None:
    tab = layout.tab
    for chart in tab.charts:
        try:
            table = tab.table(chart.table_id)
        except KeyError:
            raise DestinationError(
                f"chart {chart.id!r} on tab {tab.name!r} refers to table {chart.table_id!r}, "
                "which the tab does not have; fix the chart's table in the template"
            ) from None
        check_chart(chart, table, tab.name)
        where = layout.charts[chart.id]
        if chart.kind is ChartKind.SCORECARD:
            _scorecard_block(
                grid, widths, chart.title, chart.x, chart.series, table, where, stamp, ctx
            )
            continue
        ws.add_chart(build_chart(ws, chart, table, layout.placements[table.id], where, ctx.kit))


def _scorecard_block(
    grid: Grid,
    widths: dict[int, int],
    title: str,
    x: str,
    series: list[str],
    table: Table,
    where: ChartPlacement,
    stamp: Stamp,
    ctx: RenderContext,
) -> None:
    """Excel has no scorecard chart: draw big numbers in the chart's cells instead."""
    kit = ctx.kit
    row, col = where.row, where.col
    grid[row][col] = stamp.cell(title, stamp.style(kit.table_title_font))
    label_style = stamp.style(kit.scorecard_label_font)
    caption_style = stamp.style(kit.note_font)
    for offset, name in enumerate(series):
        grid[row + 1][col + 1 + offset] = stamp.cell(str(name), caption_style)
    labels = column_values(table.frame[x], Fmt.TEXT, ctx.timezone)[: CHART_ROWS - 2]
    widths[col] = max(widths[col], *(display_width(v, ColumnFormat()) for v in labels), 8)
    for index, label in enumerate(labels):
        if label is not None:
            grid[row + 2 + index][col] = stamp.cell(label, label_style)
    for offset, name in enumerate(series):
        fmt = table.format_of(name)
        style = stamp.style(kit.scorecard_value_font, None, number_format(fmt))
        values = column_values(table.frame[name], fmt.fmt, ctx.timezone)[: CHART_ROWS - 2]
        for index, value in enumerate(values):
            if value is not None:
                grid[row + 2 + index][col + 1 + offset] = stamp.cell(value, style)
        measured = int(max((display_width(v, fmt) for v in values), default=0) * BIG_DIGITS)
        widths[col + 1 + offset] = max(widths[col + 1 + offset], measured, len(str(name)))


def _measure(
    widths: dict[int, int],
    table: Table,
    placement: Placement,
    columns: list[_Column],
    timezone: str,
    scale: float = 1.0,
) -> None:
    sample = table.frame.head(WIDTH_SAMPLE_ROWS)
    for offset, column in enumerate(columns):
        values = column_values(sample[column.name], column.fmt.fmt, timezone)
        longest = int(max((display_width(v, column.fmt) for v in values), default=0) * scale)
        col = placement.left_col + offset
        widths[col] = max(widths[col], longest, len(str(column.name)) + 2)


def _set_widths(ws: WriteOnlyWorksheet, widths: dict[int, int]) -> None:
    for col, width in widths.items():
        fitted = min(max(width + 2, MIN_COLUMN_WIDTH), MAX_COLUMN_WIDTH)
        ws.column_dimensions[get_column_letter(col + 1)].width = fitted


def _add_logo(ws: WriteOnlyWorksheet, layout: TabLayout, ctx: RenderContext) -> None:
    """Anchor the theme's logo at the right end of the title band; warn, never fail."""
    logo = ctx.kit.theme.logo
    if not logo or layout.title_row is None:
        return
    if "://" in logo:
        ctx.warnings.append(
            f"logo {logo!r} is a URL; the .xlsx destination embeds only local image files"
        )
        return
    path = Path(logo).expanduser()
    try:
        image = Image(BytesIO(path.read_bytes()))
    except FileNotFoundError:
        ctx.warnings.append(f"logo file {str(path)!r} was not found; the title band has no logo")
        return
    except (OSError, ValueError) as err:  # PIL raises UnidentifiedImageError(OSError)
        ctx.warnings.append(
            f"logo file {str(path)!r} could not be read as an image ({type(err).__name__}); "
            "use a PNG or JPEG file"
        )
        return
    scale = LOGO_HEIGHT_PX / max(image.height, 1)
    image.height = LOGO_HEIGHT_PX
    image.width = max(int(image.width * scale), 1)
    image.anchor = f"{get_column_letter(max(layout.n_cols, 1))}{layout.title_row + 1}"
    ws.add_image(image)


def tab_renderer(tab: Tab) -> Callable[[WriteOnlyWorksheet, TabLayout, RenderContext], int]:
    """The renderer for ``tab``'s kind."""
    return render_data_tab if tab.kind is TabKind.DATA else render_report_tab
