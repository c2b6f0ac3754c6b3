"""`sheets-sync demo` end to end: every tab of a template filled, charts present, values true.

The workbook is opened with openpyxl and compared, cell by cell, with the rendered tabs; the
scorecard values are then recomputed directly with the metric engine on the same blended data.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from sheets_sync.cli import demo_config, main
from sheets_sync.destinations.base import Destination, WriteResult
from sheets_sync.destinations.xlsx import XlsxDestination
from sheets_sync.document import BlockKind, ChartKind, TabKind, Workbook
from sheets_sync.layout import layout_tab
from sheets_sync.metrics.engine import run_query
from sheets_sync.metrics.query import Query
from sheets_sync.refresh import blend_reads, read_sources, refresh, report_settings
from sheets_sync.state import MemoryCursorStore
from sheets_sync.templates import list_templates

AS_OF = date(2026, 6, 30)
NOW = datetime(2026, 6, 30, 18, 0, tzinfo=UTC)


class Capturing(Destination):
    """Writes through to a real destination and keeps the rendered workbook for checks."""

    type = "capture"

    def __init__(self, inner: Destination) -> None:
        self.inner = inner
        self.workbook: Workbook | None = None

    def write(self, workbook, progress=lambda *a: None) -> WriteResult:
        self.workbook = workbook
        return self.inner.write(workbook, progress)

    def location(self) -> str:
        return self.inner.location()


def _cell_equal(expected, actual, timezone: str) -> bool:
    if expected is None or expected == "" or (isinstance(expected, float) and math.isnan(expected)):
        return actual is None  # blanks are written as empty cells
    if expected is pd.NA or expected is pd.NaT:
        return actual is None
    if isinstance(expected, pd.Timestamp | datetime):
        stamp = pd.Timestamp(expected)
        if stamp.tzinfo is not None:
            stamp = stamp.tz_convert(timezone).tz_localize(None)
        return actual is not None and abs(pd.Timestamp(actual) - stamp) < pd.Timedelta(seconds=1)
    if isinstance(expected, bool):
        return actual is expected
    if isinstance(expected, int | float):
        return isinstance(actual, int | float) and math.isclose(
            float(actual), float(expected), rel_tol=1e-9, abs_tol=1e-9
        )
    return str(actual) == str(expected)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    config = demo_config("executive_overview", folder / "exec.xlsx", 1500, 42, AS_OF)
    capture = Capturing(XlsxDestination(folder / "exec.xlsx"))
    result = refresh(config, destination=capture, cursors=MemoryCursorStore(), now=NOW)
    assert capture.workbook is not None
    return config, capture.workbook, result, folder / "exec.xlsx"


def test_every_tab_is_written_and_filled(built) -> None:
    _, workbook, result, path = built
    book = openpyxl.load_workbook(path)
    assert [t.name for t in workbook.tabs] == result.tabs
    for tab in workbook.tabs:
        assert tab.name in book.sheetnames, tab.name
        ws = book[tab.name]
        assert ws.max_row > 1, f"{tab.name} is empty"
        for table in tab.tables:
            assert len(table.frame.columns) > 0
    data_tabs = [t for t in workbook.tabs if t.kind is TabKind.DATA]
    assert data_tabs and all(len(t.tables[0].frame) > 0 for t in data_tabs)
    assert any(t.kind is TabKind.DEFINITIONS for t in workbook.tabs)
    assert workbook.tabs[-1].kind is TabKind.STATUS


def test_cells_match_the_rendered_tables(built) -> None:
    _, workbook, _, path = built
    book = openpyxl.load_workbook(path)
    checked = 0
    for tab in workbook.tabs:
        ws = book[tab.name]
        layout = layout_tab(tab)
        for table in tab.tables:
            place = layout.placements[table.id]
            headers = [
                ws.cell(place.header_row + 1, place.left_col + 1 + j).value
                for j in range(len(table.frame.columns))
            ]
            assert headers == [str(c) for c in table.frame.columns], (tab.name, table.id)
            for i, row in enumerate(table.frame.head(25).itertuples(index=False)):
                for j, expected in enumerate(row):
                    actual = ws.cell(place.first_data_row + i + 1, place.left_col + j + 1).value
                    assert _cell_equal(expected, actual, workbook.timezone), (
                        tab.name,
                        table.id,
                        i,
                        table.frame.columns[j],
                        expected,
                        actual,
                    )
                    checked += 1
    assert checked > 200


def test_native_charts_are_present(built) -> None:
    _, workbook, _, path = built
    book = openpyxl.load_workbook(path)
    for tab in workbook.tabs:
        native = [c for c in tab.charts if c.kind is not ChartKind.SCORECARD]
        assert len(book[tab.name]._charts) == len(native), tab.name
    assert sum(len(t.charts) for t in workbook.tabs) >= 3


def test_scorecards_equal_the_engine_on_the_same_data(built) -> None:
    config, workbook, _, _ = built
    settings = report_settings(config)
    dataset = blend_reads(read_sources(config, MemoryCursorStore(), NOW), config)
    template = next(t for t in list_templates() if t.id == "executive_overview")
    comparison = template.comparison
    cards = [
        table for tab in workbook.tabs for table in tab.tables if table.kind is BlockKind.SCORECARDS
    ]
    assert cards
    first = cards[0]
    metric_ids = ["won_revenue", "win_rate", "new_customers"]
    expected = run_query(
        dataset,
        Query(
            metrics=tuple(metric_ids),
            date_range=settings.date_range or template.date_range.to_date_range(),
            comparison=comparison,
            timezone=settings.timezone,
            currency=settings.currency,
            currency_rates=settings.currency_rates,
        ),
        now=NOW,
    )
    labels = {
        "won_revenue": "Won revenue",
        "win_rate": "Win rate",
        "new_customers": "New customers",
    }
    for metric, label in labels.items():
        shown = first.frame[label].iloc[0]
        assert math.isclose(float(shown), float(expected[metric].iloc[0]), rel_tol=1e-9), metric
        previous = first.frame[f"{label} previous"].iloc[0]
        assert math.isclose(
            float(previous), float(expected[f"{metric}__previous"].iloc[0]), rel_tol=1e-9
        ), metric
    assert float(expected["won_revenue"].iloc[0]) > 0


def test_demo_command_writes_every_template(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "demo"
    result = runner.invoke(
        main, ["demo", "--output-dir", str(out), "--size", "600", "--as-of", "2026-06-30", "-q"]
    )
    assert result.exit_code == 0, result.output
    written = sorted(p.stem for p in out.glob("*.xlsx"))
    assert written == sorted(t.id for t in list_templates())
    assert len(written) >= 8
    for path in out.glob("*.xlsx"):
        book = openpyxl.load_workbook(path, read_only=True)
        assert "Sync status" in book.sheetnames
        assert "Definitions" in book.sheetnames
