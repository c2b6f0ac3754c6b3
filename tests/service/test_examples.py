"""The example configs in examples/ load and refresh (real-data ones skip without ../shared)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import pytest

from sheets_sync.config import load_config
from sheets_sync.destinations.xlsx import XlsxDestination
from sheets_sync.refresh import refresh
from sheets_sync.state import MemoryCursorStore

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NOW = datetime(2026, 6, 30, tzinfo=UTC)


@pytest.mark.parametrize("name", ["demo.yaml", "maven_crm.yaml", "olist_funnel.yaml"])
def test_example_config_refreshes(name: str, tmp_path: Path, request) -> None:
    config = load_config(EXAMPLES / name)
    if any(s.type == "file" for s in config.sources):
        request.getfixturevalue("shared_data")  # skips when ../shared is absent
    if config.sources[0].type == "demo":
        config.sources[0].options["size"] = 400
    target = tmp_path / "report.xlsx"
    result = refresh(
        config, destination=XlsxDestination(target), cursors=MemoryCursorStore(), now=NOW
    )
    book = openpyxl.load_workbook(target, read_only=True)
    assert book.sheetnames == result.tabs
    assert sum(sum(t.values()) for t in result.row_counts.values()) > 300
