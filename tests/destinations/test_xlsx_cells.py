"""Values, types, formats and styles of the cells the .xlsx destination writes."""

from __future__ import annotations

import re
import zipfile
from datetime import datetime

import openpyxl
import pandas as pd
import pytest

from sheets_sync.destinations.xlsx import XlsxDestination
from sheets_sync.destinations.xlsx_styles import currency_format
from sheets_sync.document import Tab, TabKind, Table, Theme, Workbook
from sheets_sync.errors import DestinationError
from sheets_sync.layout import layout_tab
from tests.destinations.xlsx_samples import THEME, data_tab, report_tab, sample_workbook


@pytest.fixture
def written(tmp_path):
    path = tmp_path / "report.xlsx"
    result = XlsxDestination(path).write(sample_workbook())
    return path, result, openpyxl.load_workbook(path)


def _deals_cells(book):
    placement = layout_tab(report_tab()).placements["deals"]
    ws = book["Pipeline"]
    return ws, placement


def _cell(ws, placement, row, col):
    return ws.cell(placement.first_data_row + row + 1, placement.left_col + col + 1)


def test_result_names_location_tabs_and_cells(written):
    path, result, _ = written
    assert result.location == str(path.resolve())
    assert result.tabs_written == ["Pipeline", "Raw data"]
    assert result.cells_written > 50
    assert result.bytes_sent == path.stat().st_size


def test_values_keep_their_types(written):
    ws, p = _deals_cells(written[2])
    assert _cell(ws, p, 4, 0).value == "Bob"
    assert _cell(ws, p, 0, 1).value == pytest.approx(1200.5)
    assert _cell(ws, p, 1, 1).value is None  # None -> empty cell
    assert _cell(ws, p, 2, 5).value is None  # NaN -> empty cell
    assert _cell(ws, p, 2, 3).value is None  # NaT -> empty cell
    assert _cell(ws, p, 0, 2).value is True and _cell(ws, p, 1, 2).value is False
    assert _cell(ws, p, 3, 4).value == 4 and _cell(ws, p, 3, 4).data_type == "n"


def test_formula_looking_text_stays_text(written):
    path, _, book = written
    ws, p = _deals_cells(book)
    expected = ['=IMPORTXML("http://x","//a")', "+1 555", "-5", "@sum"]
    for row, text in enumerate(expected):
        cell = _cell(ws, p, row, 0)
        assert cell.value == text
        assert cell.data_type == "s"
    with zipfile.ZipFile(path) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
        for name in sheets:
            xml = archive.read(name).decode()
            assert not re.search(r"<f[ >]", xml), f"{name} holds a formula"
        assert "IMPORTXML" in "".join(archive.read(n).decode() for n in sheets)


def test_timestamps_are_shown_in_the_workbook_time_zone(written):
    ws, p = _deals_cells(written[2])
    # 23:30 UTC on 1 January is 00:30 the next day in Paris (UTC+1); June is UTC+2.
    assert _cell(ws, p, 0, 3).value == datetime(2024, 1, 2, 0, 30)
    assert _cell(ws, p, 1, 3).value == datetime(2024, 6, 1, 14, 0)
    assert _cell(ws, p, 0, 3).number_format == "yyyy-mm-dd hh:mm"


def test_number_formats_follow_column_formats(written):
    book = written[2]
    ws, p = _deals_cells(book)
    assert _cell(ws, p, 0, 1).number_format == '"€"#,##0.00'
    assert _cell(ws, p, 0, 4).number_format == "#,##0"
    assert _cell(ws, p, 0, 5).number_format == "0.0%"
    assert _cell(ws, p, 0, 6).number_format == "#,##0.00"
    raw = book["Raw data"]
    assert raw["C2"].value == datetime(2024, 1, 1)
    assert raw["C2"].number_format == "yyyy-mm-dd"


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("USD", '"$"#,##0.00'),
        ("EUR", '"€"#,##0.00'),
        ("GBP", '"£"#,##0.00'),
        ("JPY", '"¥"#,##0'),
        ("chf", '#,##0.00 "CHF"'),
        (None, "#,##0.00"),
    ],
)
def test_currency_formats_use_the_right_symbol(code, expected):
    assert currency_format(code) == expected


def test_frozen_rows_and_autofilter(written):
    book = written[2]
    assert book["Pipeline"].freeze_panes == "A3"  # title + subtitle band
    assert book["Raw data"].freeze_panes == "A2"
    assert book["Raw data"].auto_filter.ref == "A1:C4"


def test_title_band_and_header_use_the_theme(written):
    ws = written[2]["Pipeline"]
    title = ws["A1"]
    assert title.value == "Pipeline report"
    assert title.fill.start_color.rgb == "FF112233"
    assert title.font.color.rgb == "FFFFFFFF" and title.font.b
    assert title.font.name == "Calibri"
    assert any(str(r).startswith("A1:") for r in ws.merged_cells.ranges)
    placement = layout_tab(report_tab()).placements["deals"]
    header = ws.cell(placement.header_row + 1, 1)
    assert header.value == "owner"
    assert header.fill.start_color.rgb == "FF112233"
    assert header.font.color.rgb == "FFFFFFFF"


def test_theme_font_is_applied_to_written_cells(written):
    ws, p = _deals_cells(written[2])
    for col in range(7):
        cell = _cell(ws, p, 0, col)
        assert (cell.font.name, cell.font.sz) == ("Calibri", 11)


def test_scorecard_values_are_bigger_than_body_text(written):
    ws = written[2]["Pipeline"]
    placement = layout_tab(report_tab()).placements["kpis"]
    value = ws.cell(placement.first_data_row + 1, 2)
    assert value.value == pytest.approx(52000.0)
    assert value.font.sz > THEME.font_size and value.font.b


def test_delta_columns_get_good_and_bad_colours(written):
    ws = written[2]["Pipeline"]
    rules = {
        str(cf.sqref): [(r.operator, r.dxf.font.color.rgb) for r in cf.rules]
        for cf in ws.conditional_formatting
    }
    deals = layout_tab(report_tab()).placements["deals"]
    change = f"G{deals.first_data_row + 1}:G{deals.last_row + 1}"
    good, bad = "FF1E8E3E", "FFD93025"
    assert sorted(rules[change]) == [("greaterThan", good), ("lessThan", bad)]
    kpis = layout_tab(report_tab()).placements["kpis"]
    down_is_good = f"C{kpis.first_data_row + 1}:C{kpis.last_row + 1}"
    assert sorted(rules[down_is_good]) == [("greaterThan", bad), ("lessThan", good)]


def test_table_title_and_truncation_note_are_visible(written):
    ws = written[2]["Pipeline"]
    placement = layout_tab(report_tab()).placements["deals"]
    assert ws.cell(placement.title_row + 1, 1).value == "Deals by owner"
    note = ws.cell(placement.last_row + 2, 1).value
    assert "Amounts in EUR" in note and "Showing 5 of 40 rows" in note


def test_column_widths_fit_content_with_a_cap(tmp_path):
    frame = pd.DataFrame({"short": ["ab"], "long": ["x" * 300]})
    tab = Tab("Data", kind=TabKind.DATA, tables=[Table("t", frame)])
    path = tmp_path / "w.xlsx"
    XlsxDestination(path).write(Workbook("w", [tab]))
    ws = openpyxl.load_workbook(path)["Data"]
    assert ws.column_dimensions["B"].width == 60
    assert 8 <= ws.column_dimensions["A"].width < 20


def test_data_tab_is_capped_at_the_row_limit_with_a_note(tmp_path):
    path = tmp_path / "cap.xlsx"
    result = XlsxDestination(path, row_limit=10).write(Workbook("w", [data_tab(rows=25)]))
    ws = openpyxl.load_workbook(path)["Raw data"]
    assert ws.max_row == 10
    assert ws["A9"].value == "sf:7"  # header + 8 data rows + note
    assert ws["A10"].value == "Showing 8 of 25 rows (Excel's limit is 1,048,576 rows)"
    assert result.cells_written == 3 + 8 * 3 + 1


def test_missing_logo_is_a_warning_and_a_readable_logo_is_embedded(tmp_path):
    from PIL import Image as PILImage

    missing = XlsxDestination(tmp_path / "a.xlsx").write(
        sample_workbook(Theme(logo=str(tmp_path / "nope.png")))
    )
    assert any("nope.png" in w and "not found" in w for w in missing.warnings)
    logo = tmp_path / "logo.png"
    PILImage.new("RGB", (80, 40), "blue").save(logo)
    result = XlsxDestination(tmp_path / "b.xlsx").write(sample_workbook(Theme(logo=str(logo))))
    assert result.warnings == []
    ws = openpyxl.load_workbook(tmp_path / "b.xlsx")["Pipeline"]
    assert len(ws._images) == 1
    assert ws._images[0].anchor._from.row == 0  # in the title band


def test_bad_theme_colour_is_a_clear_error(tmp_path):
    with pytest.raises(DestinationError, match=r"primary_color 'blue'.*#RRGGBB"):
        XlsxDestination(tmp_path / "x.xlsx").write(sample_workbook(Theme(primary_color="blue")))
    assert not (tmp_path / "x.xlsx").exists()
