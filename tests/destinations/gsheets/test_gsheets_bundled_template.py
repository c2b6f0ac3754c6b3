"""End to end: a bundled template rendered on demo data, written twice into the emulator."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from datetime import UTC, datetime

import pandas as pd
import pytest

from sheets_sync.destinations.gsheets import GoogleSheetsDestination
from tests.destinations.gsheets.helpers import snapshot
from tests.emulators.sheets import SheetsEmulator

NOW = pd.Timestamp("2026-11-28 12:00", tz="UTC")


@pytest.fixture(scope="module")
def demo_dataset() -> object:
    demo = pytest.importorskip("connectors.demo")
    blend = pytest.importorskip("sheets_sync.blend").blend
    from connectors.base import ReadContext

    context = ReadContext(started_at=datetime(2026, 11, 28, tzinfo=UTC))
    parts = [("sfdc", "salesforce"), ("hubspot", "hubspot"), ("ads", "spend")]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        results = [
            (name, demo.DemoSource(name, {"size": 200, "as_of": "2026-11-28", "flavor": flavor}))
            for name, flavor in parts
        ]
        return blend([(name, source.read(context)) for name, source in results])


@pytest.mark.parametrize("template_id", ["sales_pipeline", "executive_overview"])
def test_bundled_template_is_written_atomically_and_idempotently(
    emulator: SheetsEmulator,
    make_destination: Callable[..., GoogleSheetsDestination],
    demo_dataset: object,
    template_id: str,
) -> None:
    report = pytest.importorskip("sheets_sync.report")
    templates = pytest.importorskip("sheets_sync.templates")
    workbook = report.build_workbook(
        templates.load_template(template_id), demo_dataset, report.ReportSettings(), NOW
    )
    dest = make_destination()
    first = dest.write(workbook)
    sid = str(dest.spreadsheet_id)
    assert first.requests == 2
    book = emulator.book(sid)
    assert [s.title for s in book.sheets] == [t.name for t in workbook.tabs]
    charts = sum(len(t.charts) for t in workbook.tabs)
    assert sum(len(s.charts) for s in book.sheets) == charts
    before = snapshot(emulator, sid)
    second = dest.write(workbook)
    assert second.requests == 2 and snapshot(emulator, sid) == before
    assert all(r.status == 200 for r in emulator.api_requests())
