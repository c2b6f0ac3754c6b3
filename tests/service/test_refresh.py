"""The refresh function: all or nothing, clear errors, cursors committed only after a write."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

import pandas as pd
import pytest
from click.testing import CliRunner

from connectors import registry
from connectors.base import ReadContext, Source, SourceResult, Stream
from sheets_sync.cli import main
from sheets_sync.config import parse_config
from sheets_sync.destinations.base import Destination, WriteResult
from sheets_sync.errors import DestinationError, SheetsSyncError, SourceError, TemplateError
from sheets_sync.model import conform
from sheets_sync.refresh import refresh
from sheets_sync.state import MemoryCursorStore

NOW = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)


class CursorSource(Source):
    """A tiny source that proposes a cursor, to see when the engine commits it."""

    type: ClassVar[str] = "cursor-test"

    def streams(self) -> list[Stream]:
        return [Stream("deals", "deals", "deal_id", "updated_at")]

    def read(self, context: ReadContext) -> SourceResult:
        frame = pd.DataFrame(
            {
                "deal_id": [f"{self.name}:1", f"{self.name}:2"],
                "source": self.name,
                "status": ["won", "open"],
                "amount": [100.0, 50.0],
                "created_at": ["2026-06-01", "2026-06-02"],
                "close_date": ["2026-06-10", None],
            }
        )
        deals, issues = conform("deals", frame, self.name)
        seen = context.cursors.get("deals", "none")
        return SourceResult({"deals": deals}, issues, cursors={"deals": f"after-{seen}"})


class FailingDestination(Destination):
    type = "failing"

    def write(self, workbook, progress=lambda *a: None) -> WriteResult:
        raise DestinationError("the spreadsheet refused the write")

    def location(self) -> str:
        return "nowhere"


@pytest.fixture
def cursor_source(monkeypatch):
    monkeypatch.setitem(registry._CONNECTORS, "cursor-test", f"{__name__}:CursorSource")


def _config(tmp_path: Path, **report) -> dict:
    return {
        "report": {"template": "sales_pipeline", **report},
        "sources": [{"type": "demo", "name": "demo", "options": {"size": 300, "seed": 3}}],
        "destination": {"type": "xlsx", "path": "report.xlsx"},
        "state_dir": "state",
    }


def test_refresh_writes_and_bad_template_leaves_workbook_untouched(tmp_path: Path) -> None:
    config = parse_config(_config(tmp_path), base_dir=tmp_path)
    result = refresh(config, cursors=MemoryCursorStore(), now=NOW)
    path = tmp_path / "report.xlsx"
    assert result.location == str(path.resolve())
    before = path.read_bytes()

    bad = parse_config(_config(tmp_path, template="no_such_template"), base_dir=tmp_path)
    with pytest.raises(TemplateError, match="no_such_template"):
        refresh(bad, cursors=MemoryCursorStore(), now=NOW)
    assert path.read_bytes() == before


def test_broken_file_source_names_the_source_and_keeps_workbook(tmp_path: Path) -> None:
    config = parse_config(_config(tmp_path), base_dir=tmp_path)
    refresh(config, cursors=MemoryCursorStore(), now=NOW)
    path = tmp_path / "report.xlsx"
    before = path.read_bytes()
    data = _config(tmp_path)
    data["sources"] = [
        {
            "type": "file",
            "name": "export",
            "options": {
                "mapping": {
                    "version": 1,
                    "files": {"deals": {"path": "missing.csv"}},
                    "tables": {
                        "deals": {
                            "from": "deals",
                            "columns": {
                                "deal_id": "Id",
                                "status": "Stage",
                                "created_at": "Created",
                            },
                        }
                    },
                }
            },
        }
    ]
    with pytest.raises(SheetsSyncError, match=r"export.*missing\.csv"):
        refresh(parse_config(data, base_dir=tmp_path), cursors=MemoryCursorStore(), now=NOW)
    assert path.read_bytes() == before


def test_cursors_commit_only_after_a_successful_write(tmp_path: Path, cursor_source) -> None:
    data = _config(tmp_path)
    data["sources"] = [{"type": "cursor-test", "name": "crm"}]
    config = parse_config(data, base_dir=tmp_path)
    store = MemoryCursorStore()

    with pytest.raises(DestinationError):
        refresh(config, destination=FailingDestination(), cursors=store, now=NOW)
    assert store.load("crm") == {}

    refresh(config, cursors=store, now=NOW)
    assert store.load("crm") == {"deals": "after-none"}
    refresh(config, cursors=store, now=NOW)
    assert store.load("crm") == {"deals": "after-after-none"}
    refresh(config, cursors=store, now=NOW, full_refresh=True)
    assert store.load("crm") == {"deals": "after-none"}


def test_unexpected_source_failure_is_a_source_error(tmp_path: Path, monkeypatch) -> None:
    def explode(self, context):
        raise RuntimeError("socket closed")

    monkeypatch.setattr(CursorSource, "read", explode)
    monkeypatch.setitem(registry._CONNECTORS, "cursor-test", f"{__name__}:CursorSource")
    data = _config(tmp_path)
    data["sources"] = [{"type": "cursor-test", "name": "crm"}]
    with pytest.raises(SourceError, match="source 'crm' failed: RuntimeError: socket closed"):
        refresh(parse_config(data, base_dir=tmp_path), cursors=MemoryCursorStore(), now=NOW)


def test_cli_errors_are_one_line_with_exit_code_1(tmp_path: Path) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text(
        "report: {timezone: Nowhere/Land}\nsources: [{type: demo, name: demo}]\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["refresh", str(config), "-q"])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: bad.yaml: report.timezone: unknown time zone")

    result = CliRunner().invoke(main, ["templates", "show", "nope"])
    assert result.exit_code == 1 and result.output.startswith("error: ")

    result = CliRunner().invoke(main, ["metrics", "show", "win_rat"])
    assert result.exit_code == 1 and "win_rate" in result.output


def test_cli_refresh_and_json_listings(tmp_path: Path) -> None:
    config = tmp_path / "ok.yaml"
    config.write_text(
        "report: {template: lead_funnel}\n"
        "sources: [{type: demo, name: demo, options: {size: 300}}]\n"
        "destination: {type: xlsx, path: out/lead.xlsx}\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["refresh", str(config), "--json", "--now", "2026-06-30"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "lead.xlsx").exists()
    assert '"template": "lead_funnel"' in result.output

    listed = CliRunner().invoke(main, ["metrics", "list", "--json"])
    assert listed.exit_code == 0 and '"win_rate"' in listed.output
    templates = CliRunner().invoke(main, ["templates", "list", "--json"])
    assert templates.exit_code == 0 and '"executive_overview"' in templates.output
    validated = CliRunner().invoke(main, ["validate", str(config)])
    assert validated.exit_code == 0 and validated.output.startswith("ok: template lead_funnel")
    checked = CliRunner().invoke(main, ["check", str(config)])
    assert checked.exit_code == 0 and checked.output.startswith("demo: ok: ")
