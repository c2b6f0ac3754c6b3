"""Refresh config validation: every problem names the file and the key path."""

from __future__ import annotations

from pathlib import Path

import pytest

from sheets_sync.config import load_config, parse_config
from sheets_sync.errors import ConfigError

GOOD = {
    "report": {"template": "executive_overview", "timezone": "Europe/Paris"},
    "sources": [{"type": "demo", "name": "demo", "options": {"size": 500}}],
    "destination": {"type": "xlsx", "path": "out/report.xlsx"},
}


def test_valid_config_round_trips_defaults(tmp_path: Path) -> None:
    config = parse_config(GOOD, base_dir=tmp_path)
    assert config.report.timezone == "Europe/Paris"
    assert config.report.range() is None  # the template's default applies
    assert config.resolve("out/report.xlsx") == tmp_path / "out/report.xlsx"


def test_custom_range_is_a_date_range() -> None:
    data = {**GOOD, "report": {"date_range": {"start": "2026-01-01", "end": "2026-03-31"}}}
    rng = parse_config(data).report.range()
    assert rng is not None and rng.preset == "custom"
    assert (rng.start.isoformat(), rng.end.isoformat()) == ("2026-01-01", "2026-03-31")


@pytest.mark.parametrize(
    ("patch", "expected"),
    [
        ({"report": {"timezone": "Mars/Olympus"}}, "report.timezone: unknown time zone"),
        ({"report": {"date_range": "last_fortnight"}}, "unknown date range 'last_fortnight'"),
        ({"report": {"comparison": "yesterday"}}, "report.comparison: unknown comparison"),
        ({"report": {"currency": "dollars"}}, "report.currency: 'dollars' is not an ISO 4217"),
        ({"report": {"theme": {"primary_color": "blue"}}}, "theme.primary_color: 'blue'"),
        ({"report": {"tempalte": "x"}}, "report.tempalte: Extra inputs are not permitted"),
        ({"sources": []}, "sources: List should have at least 1 item"),
        ({"sources": [{"type": "demo", "name": "Bad Name"}]}, "sources[0].name: 'Bad Name'"),
        (
            {"sources": [{"type": "demo", "name": "a"}, {"type": "demo", "name": "a"}]},
            "source names must be unique; repeated: a",
        ),
        ({"destination": {"type": "pdf"}}, "destination.type"),
    ],
)
def test_bad_config_names_the_key(patch: dict, expected: str) -> None:
    data = {**GOOD, **patch}
    if "report" in patch:
        data["report"] = {**GOOD["report"], **patch["report"]}
    with pytest.raises(ConfigError) as err:
        parse_config(data, origin="weekly.yaml")
    assert str(err.value).startswith("weekly.yaml: ")
    assert expected in str(err.value)


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("report:\n  template: [unclosed\nsources: []\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"broken.yaml: line \d+, column \d+"):
        load_config(path)


def test_missing_and_empty_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.yaml")
    empty = tmp_path / "empty.yaml"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(ConfigError, match="empty"):
        load_config(empty)
    listed = tmp_path / "list.yaml"
    listed.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="expected a mapping"):
        load_config(listed)
