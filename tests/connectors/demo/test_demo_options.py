"""Demo source options: defaults, validation errors that name the option, no work on init."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from connectors.base import ReadContext
from connectors.demo import DemoSource, universe
from connectors.registry import build_source
from sheets_sync.errors import ConfigError


def test_defaults_and_registry():
    source = build_source("demo", "demo", {})
    assert isinstance(source, DemoSource)
    assert source.settings.size == 2000
    assert source.settings.seed == 42
    assert source.settings.flavor == "all"
    assert source.settings.as_of is None


def test_as_of_defaults_to_the_sync_day_in_utc():
    source = DemoSource("demo", {})
    context = ReadContext(started_at=datetime(2025, 3, 1, 23, 30, tzinfo=UTC))
    assert source.as_of(context) == date(2025, 3, 1)
    assert DemoSource("demo", {"as_of": "2024-02-29"}).as_of(context) == date(2024, 2, 29)


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"size": 10}, "size"),
        ({"size": "many"}, "size"),
        ({"size": 2.5}, "size"),
        ({"size": True}, "size"),
        ({"seed": -1}, "seed"),
        ({"seed": "abc"}, "seed"),
        ({"flavor": "pipedrive"}, "flavor"),
        ({"as_of": "last tuesday"}, "as_of"),
        ({"as_of": "1800-01-01"}, "as_of"),
        ({"sizes": 100}, "sizes"),
    ],
)
def test_bad_options_raise_config_error_naming_the_option(options, named):
    with pytest.raises(ConfigError) as err:
        DemoSource("mydemo", options)
    message = str(err.value)
    assert named in message
    assert "mydemo" in message
    assert "\n" not in message


def test_init_does_no_generation(monkeypatch):
    def refuse(*args):
        raise AssertionError("generated at construction")

    monkeypatch.setattr(universe, "generate_universe", refuse)
    source = DemoSource("demo", {"size": 123_456, "seed": 3})
    assert source.company is None


def test_streams_follow_the_flavor():
    all_streams = {s.name for s in DemoSource("d", {}).streams()}
    assert "salesforce.deals" in all_streams
    assert "hubspot.tickets" in all_streams
    assert "spend.spend" in all_streams
    spend_only = DemoSource("d", {"flavor": "spend"}).streams()
    assert [(s.name, s.table, s.primary_key) for s in spend_only] == [
        ("spend.spend", "spend", "spend_id")
    ]
