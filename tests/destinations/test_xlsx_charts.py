"""Native charts: one per chart spec, of the right type, reading the table's cells."""

from __future__ import annotations

import re
import zipfile
from xml.etree import ElementTree

import openpyxl
import pytest

from sheets_sync.destinations.xlsx import XlsxDestination
from sheets_sync.document import Chart, ChartKind, Workbook
from sheets_sync.errors import DestinationError
from sheets_sync.layout import layout_tab
from tests.destinations.xlsx_samples import report_tab, sample_workbook


@pytest.fixture
def chart_xml(tmp_path):
    path = tmp_path / "charts.xlsx"
    XlsxDestination(path).write(sample_workbook())
    with zipfile.ZipFile(path) as archive:
        names = sorted(n for n in archive.namelist() if re.match(r"xl/charts/chart\d+\.xml", n))
        xml = [archive.read(n).decode() for n in names]
    return path, xml


C = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"


def _titled(xmls, title):
    """The plot area of the one chart titled ``title``."""
    roots = [ElementTree.fromstring(x) for x in xmls]
    matches = [r for r in roots if any(t.text == title for t in r.iter(f"{A}t"))]
    assert len(matches) == 1, f"expected one chart titled {title!r}"
    return matches[0].find(f"{C}chart/{C}plotArea")


def _val(plot, path):
    return [e.get("val") for e in plot.iter(f"{C}{path}")]


def _refs(plot):
    return [f.text for f in plot.iter(f"{C}f")]


def test_every_native_chart_is_written_and_scorecards_are_cells(chart_xml):
    path, xmls = chart_xml
    assert len(xmls) == 5  # the scorecard spec is drawn with cells, not a chart
    ws = openpyxl.load_workbook(path)["Pipeline"]
    layout = layout_tab(report_tab())
    where = layout.charts["c_score"]
    assert ws.cell(where.row + 1, where.col + 1).value == "Headline"
    assert ws.cell(where.row + 3, where.col + 2).value == pytest.approx(52000.0)


def test_chart_types(chart_xml):
    _, xmls = chart_xml
    assert _val(_titled(xmls, "Amount"), "barDir") == ["col"]
    bars = _titled(xmls, "Bars")
    assert _val(bars, "barDir") == ["bar"] and _val(bars, "grouping") == ["stacked"]
    assert _titled(xmls, "Count").find(f"{C}lineChart") is not None
    assert _titled(xmls, "Share").find(f"{C}pieChart") is not None
    combo = _titled(xmls, "Combo")
    assert combo.find(f"{C}barChart") is not None and combo.find(f"{C}lineChart") is not None
    assert len(combo.findall(f"{C}valAx")) == 2  # the lines sit on a secondary axis


def test_chart_references_point_at_the_table_cells(chart_xml):
    _, xmls = chart_xml
    deals = layout_tab(report_tab()).placements["deals"]
    header, first, last = deals.header_row + 1, deals.first_data_row + 1, deals.last_row + 1
    amount = _refs(_titled(xmls, "Amount"))
    # series title (the header cell), categories, values
    assert amount == [
        f"'Pipeline'!B{header}",
        f"'Pipeline'!$A${first}:$A${last}",
        f"'Pipeline'!$B${first}:$B${last}",
    ]
    combo = _titled(xmls, "Combo")
    assert _refs(combo.find(f"{C}barChart"))[0] == f"'Pipeline'!B{header}"
    assert _refs(combo.find(f"{C}lineChart"))[0] == f"'Pipeline'!F{header}"  # rate


def test_charts_are_anchored_at_the_layout_placement(chart_xml):
    path, _ = chart_xml
    ws = openpyxl.load_workbook(path)["Pipeline"]
    layout = layout_tab(report_tab())
    anchors = sorted((c.anchor._from.row, c.anchor._from.col) for c in ws._charts)
    expected = sorted((p.row, p.col) for cid, p in layout.charts.items() if cid != "c_score")
    assert anchors == expected


def test_chart_on_a_missing_column_is_a_clear_error(tmp_path):
    tab = report_tab()
    tab.charts = [Chart("bad", ChartKind.LINE, "Bad", "deals", "owner", ["nope"])]
    with pytest.raises(DestinationError, match=r"chart 'bad'.*\['nope'\]"):
        XlsxDestination(tmp_path / "x.xlsx").write(Workbook("w", [tab]))
    tab.charts = [Chart("bad", ChartKind.LINE, "Bad", "ghost", "owner", ["amount"])]
    with pytest.raises(DestinationError, match="table 'ghost'"):
        XlsxDestination(tmp_path / "x.xlsx").write(Workbook("w", [tab]))
    assert list(tmp_path.iterdir()) == []
