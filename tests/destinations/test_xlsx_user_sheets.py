"""The user's own sheets survive refreshes, and their formulas keep pointing at the same cells."""

from __future__ import annotations

import io

import openpyxl
import pandas as pd
import pytest
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment
from openpyxl.drawing.image import Image
from PIL import Image as PILImage

from sheets_sync.destinations.xlsx import XlsxDestination
from sheets_sync.document import Tab, Table, Workbook
from sheets_sync.errors import DestinationError
from sheets_sync.layout import layout_tab
from tests.destinations.xlsx_samples import report_tab, sample_workbook


def _add_user_sheet(path, index=0):
    book = openpyxl.load_workbook(path)
    ws = book.create_sheet("My notes", index)
    ws["A1"] = "='Pipeline'!B5"
    ws["A2"] = "=SUM('Raw data'!B2:B4)"
    ws["B1"] = 42
    ws["B2"] = "kept"
    ws["B2"].comment = Comment("reviewed", "ana")
    ws.merge_cells("C1:D2")
    ws.column_dimensions["B"].width = 33
    chart = BarChart()
    chart.add_data(Reference(ws, min_col=2, min_row=1, max_row=1))
    ws.add_chart(chart, "F2")
    png = io.BytesIO()
    PILImage.new("RGB", (10, 10), "red").save(png, "PNG")
    ws.add_image(Image(png), "F20")
    book.save(path)


def _refreshed_workbook():
    workbook = sample_workbook()
    deals = workbook.tabs[0].table("deals")
    deals.frame = deals.frame.assign(amount=deals.frame["amount"] * 2)
    return workbook


def test_user_sheet_and_its_formulas_survive_two_refreshes(tmp_path):
    path = tmp_path / "report.xlsx"
    XlsxDestination(path).write(sample_workbook())
    _add_user_sheet(path)
    for _ in range(2):
        XlsxDestination(path).write(_refreshed_workbook())
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["My notes", "Pipeline", "Raw data"]
    mine = book["My notes"]
    assert mine["A1"].value == "='Pipeline'!B5"
    assert mine["A2"].value == "=SUM('Raw data'!B2:B4)"
    assert (mine["B1"].value, mine["B2"].value) == (42, "kept")
    assert mine["B2"].comment.text == "reviewed"
    assert [str(r) for r in mine.merged_cells.ranges] == ["C1:D2"]
    assert mine.column_dimensions["B"].width == 33
    # openpyxl re-reads charts and (with Pillow) images on the user's sheet and writes them back
    assert len(mine._charts) == 1 and len(mine._images) == 1
    # and the refresh really rewrote the managed tab
    deals = layout_tab(report_tab()).placements["deals"]
    assert book["Pipeline"].cell(deals.first_data_row + 1, 2).value == pytest.approx(2401.0)


def test_cross_sheet_formula_target_keeps_its_meaning(tmp_path):
    """B5 of Pipeline holds the same field (the first KPI's value) after every refresh."""
    path = tmp_path / "report.xlsx"
    XlsxDestination(path).write(sample_workbook())
    _add_user_sheet(path)
    kpis = layout_tab(report_tab()).placements["kpis"]
    assert (kpis.first_data_row + 1, 2) == (5, 2)  # B5
    workbook = _refreshed_workbook()
    workbook.tabs[0].table("kpis").frame.loc[0, "value"] = 99.0
    XlsxDestination(path).write(workbook)
    assert openpyxl.load_workbook(path)["Pipeline"]["B5"].value == 99.0


def test_existing_user_workbook_gets_the_report_added(tmp_path):
    path = tmp_path / "mine.xlsx"
    book = openpyxl.Workbook()
    book.active.title = "Budget"
    book.active["A1"] = "=1+1"
    book.save(path)
    XlsxDestination(path).write(sample_workbook())
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Pipeline", "Raw data", "Budget"]
    assert book["Budget"]["A1"].value == "=1+1"


def test_user_sheet_with_a_managed_tab_name_is_never_overwritten(tmp_path):
    path = tmp_path / "mine.xlsx"
    book = openpyxl.Workbook()
    book.active.title = "pipeline"
    book.save(path)
    before = path.read_bytes()
    with pytest.raises(DestinationError, match=r"\['pipeline'\].*did not create"):
        XlsxDestination(path).write(sample_workbook())
    assert path.read_bytes() == before


def test_tab_dropped_from_the_report_is_removed(tmp_path):
    path = tmp_path / "report.xlsx"
    XlsxDestination(path).write(sample_workbook())
    _add_user_sheet(path, index=3)
    frame = pd.DataFrame({"a": [1]})
    XlsxDestination(path).write(Workbook("w", [Tab("Summary", tables=[Table("t", frame)])]))
    assert openpyxl.load_workbook(path).sheetnames == ["Summary", "My notes"]
