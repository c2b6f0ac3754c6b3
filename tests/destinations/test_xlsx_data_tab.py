"""Raw-data tabs: the fast row writer keeps values exact and text inert."""

from __future__ import annotations

import zipfile
from datetime import date, datetime

import numpy as np
import openpyxl
import pandas as pd
import pytest

from sheets_sync.destinations.xlsx import XlsxDestination
from sheets_sync.document import ColumnFormat, Fmt, Tab, TabKind, Table, Workbook


def _write(tmp_path, frame, formats=None, timezone="UTC"):
    tab = Tab("Raw data", kind=TabKind.DATA, tables=[Table("raw", frame, formats=formats or {})])
    path = tmp_path / "raw.xlsx"
    result = XlsxDestination(path).write(Workbook("w", [tab], timezone=timezone))
    return path, result, openpyxl.load_workbook(path)["Raw data"]


def test_text_is_escaped_spaced_and_cleaned(tmp_path):
    texts = ["a < b & c > d", "  padded  ", "tab\x00and\x07bell", "x" * 40_000, "=1+1", "#N/A"]
    path, _, ws = _write(tmp_path, pd.DataFrame({"t": texts}))
    values = [ws.cell(r, 1).value for r in range(2, 8)]
    assert values[:3] == ["a < b & c > d", "  padded  ", "tabandbell"]
    assert len(values[3]) == 32_767  # Excel's cell limit
    assert values[4:] == ["=1+1", "#N/A"]
    assert all(ws.cell(r, 1).data_type == "s" for r in range(2, 8))
    with zipfile.ZipFile(path) as archive:
        assert "<f>" not in archive.read("xl/worksheets/sheet1.xml").decode()


def test_numbers_bools_dates_and_gaps_keep_their_types(tmp_path):
    frame = pd.DataFrame(
        {
            "int": pd.array([1, None, 3], dtype="Int64"),
            "float": [0.1, np.inf, -2.5],
            "flag": [True, False, None],
            "when": pd.to_datetime(["2024-03-31T00:30Z", None, "2024-10-27T01:30Z"], utc=True),
            "day": [date(2024, 1, 5), None, date(2024, 2, 29)],
            "mixed": ["a", 2, 3.5],
        }
    )
    formats = {"when": ColumnFormat(Fmt.DATETIME), "day": ColumnFormat(Fmt.DATE)}
    _, result, ws = _write(tmp_path, frame, formats, timezone="Europe/Berlin")
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    assert rows[0] == [1, 0.1, True, datetime(2024, 3, 31, 1, 30), datetime(2024, 1, 5), "a"]
    assert rows[1] == [None, None, False, None, None, 2]  # inf cannot be stored: empty
    assert rows[2] == [3, -2.5, None, datetime(2024, 10, 27, 2, 30), datetime(2024, 2, 29), 3.5]
    assert ws["B2"].number_format == "#,##0.00"
    assert ws["D2"].number_format == "yyyy-mm-dd hh:mm"
    assert result.cells_written == 6 + 13  # header + the non-empty values


def test_progress_reports_rows_and_tabs(tmp_path):
    calls = []
    frame = pd.DataFrame({"a": range(5)})
    tab = Tab("Raw data", kind=TabKind.DATA, tables=[Table("raw", frame)])
    XlsxDestination(tmp_path / "p.xlsx").write(
        Workbook("w", [tab]), progress=lambda what, done, total: calls.append((what, done, total))
    )
    assert ("xlsx: Raw data", 5, 5) in calls
    assert calls[0] == ("xlsx: tabs", 0, 1) and calls[-1] == ("xlsx: saving", 1, 1)


@pytest.mark.slow
def test_two_hundred_thousand_rows(tmp_path):
    n = 200_000
    frame = pd.DataFrame(
        {
            "id": [f"id{i}" for i in range(n)],
            "amount": np.arange(n) * 1.5,
            "won": np.arange(n) % 2 == 0,
        }
    )
    tab = Tab("Raw data", kind=TabKind.DATA, tables=[Table("raw", frame)])
    path = tmp_path / "big.xlsx"
    result = XlsxDestination(path).write(Workbook("w", [tab]))
    assert result.cells_written == 3 + 3 * n
    with zipfile.ZipFile(path) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert f'<dimension ref="A1:C{n + 1}"/>' in xml
    last = xml[xml.rindex("<row ") :]
    assert last.startswith(f'<row r="{n + 1}">') and f"id{n - 1}<" in last
    assert f"<v>{(n - 1) * 1.5!r}</v>" in last
