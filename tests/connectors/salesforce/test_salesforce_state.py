"""Incremental state through the source: database record store, cursor cap, registry."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pandas as pd

from connectors.base import ReadContext
from connectors.common.cache import SqlRecordStore
from connectors.registry import build_source
from connectors.salesforce import SalesforceSource
from tests.emulators.salesforce.seed import seed


def test_database_store_gives_incremental_equal_to_full(emulator, make_source, tmp_path):
    ids = seed(emulator.org, 20)
    database = tmp_path / "state.db"
    store = SqlRecordStore(lambda: sqlite3.connect(database), "report-1/sfdc")
    source = make_source()
    first = source.read(ReadContext(state_store=store))
    emulator.org.update("Opportunity", ids["Opportunity"][3], Amount=123.0)
    emulator.org.delete("Opportunity", ids["Opportunity"][4])
    second = source.read(ReadContext(state_store=store, cursors=first.cursors))
    assert second.stats["streams"]["opportunities"]["mode"] == "incremental"
    full = make_source().read(ReadContext())
    key = "deal_id"
    pd.testing.assert_frame_equal(
        second.tables["deals"].sort_values(key).reset_index(drop=True),
        full.tables["deals"].sort_values(key).reset_index(drop=True),
        check_like=True,
    )
    with sqlite3.connect(database) as conn:
        rows = conn.execute(
            "SELECT COUNT(*) FROM connector_records WHERE stream = 'opportunities'"
        ).fetchone()
    assert rows == (19,)


def test_cursors_never_pass_the_sync_start(emulator, make_source):
    seed(emulator.org, 10)  # the emulator's clock stamps records from 2024-01-01T00:00:01Z on
    started = datetime(2024, 1, 1, 0, 0, 5, tzinfo=UTC)
    result = make_source().read(ReadContext(started_at=started))
    assert result.cursors["opportunities"] == "2024-01-01T00:00:05.000Z"
    assert max(result.cursors.values()) <= "2024-01-01T00:00:05.000Z"


def test_registry_builds_the_source_without_io():
    source = build_source(
        "salesforce",
        "sfdc",
        {"client_id": "x", "refresh_token": "SECRET-42", "login_url": "https://127.0.0.1:9"},
    )
    assert isinstance(source, SalesforceSource)
    assert {s.name for s in source.streams()} >= {"opportunities", "leads", "users"}
    assert "SECRET-42" not in repr(source.settings)
