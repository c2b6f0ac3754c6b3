"""Paging, cursors, read planning, the record cache stores and the mapping runner."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pandas as pd
import pytest

from connectors.base import ReadContext, Stream
from connectors.common.cache import (
    CacheState,
    DiskRecordStore,
    MemoryRecordStore,
    SqlRecordStore,
    StagedChanges,
    merge_records,
)
from connectors.common.cursors import format_ts, parse_ts, propose_cursor
from connectors.common.errors import MalformedResponseError
from connectors.common.incremental import plan_read
from connectors.common.paging import Paginator
from connectors.common.runner import Fetched, IncrementalReader
from connectors.common.streams import to_canonical, with_custom_fields
from sheets_sync.errors import ConfigError


def test_paginator_follows_tokens_and_refuses_a_repeat():
    pages = {None: ("a", "t1"), "t1": ("b", "t2"), "t2": ("c", None)}
    got = [p[0] for p in Paginator(lambda t: pages[t], lambda p: p[1])]
    assert got == ["a", "b", "c"]
    loop = {None: ("a", "t1"), "t1": ("b", "t1")}
    with pytest.raises(MalformedResponseError, match="'t1' twice"):
        list(Paginator(loop.__getitem__, lambda p: p[1], "API", "deals"))


def test_cursor_is_capped_at_sync_start_and_never_goes_back():
    start = datetime(2024, 5, 1, 12, tzinfo=UTC)
    seen = ["2024-04-01T00:00:00.000+0000", "2024-06-01T00:00:00Z", None]
    assert propose_cursor(seen, start) == "2024-05-01T12:00:00.000Z"
    assert propose_cursor(["2024-04-01T00:00:00Z"], start) == "2024-04-01T00:00:00.000Z"
    assert propose_cursor([], start, "2024-03-01T00:00:00.000Z") == "2024-03-01T00:00:00.000Z"
    assert propose_cursor(["2024-01-01T00:00:00Z"], start, "2024-03-01T00:00:00.000Z") == (
        "2024-03-01T00:00:00.000Z"
    )
    assert format_ts(parse_ts("2024-01-02T03:04:05.678+0000")) == "2024-01-02T03:04:05.678Z"
    with pytest.raises(ConfigError):
        parse_ts("yesterday-ish")


def test_plan_read_rules():
    state = CacheState("fp", "2024-05-01T00:00:00.000Z")
    committed = "2024-04-01T00:00:00.000Z"
    assert plan_read("s", "M", committed, state, "fp").since == committed
    assert plan_read("s", "M", committed, state, "fp", full_refresh=True).full
    assert plan_read("s", None, committed, state, "fp").full
    assert plan_read("s", "M", None, state, "fp").full
    assert plan_read("s", "M", committed, None, "fp").full
    assert "field list" in plan_read("s", "M", committed, state, "other").reason
    late = "2024-06-01T00:00:00.000Z"
    assert "older" in plan_read("s", "M", late, state, "fp").reason


def _records(rows):
    return pd.DataFrame(rows, columns=["Id", "Name", "Mod"])


@pytest.fixture(params=["memory", "disk", "sql"])
def store(request, tmp_path):
    if request.param == "memory":
        return MemoryRecordStore()
    if request.param == "disk":
        return DiskRecordStore(tmp_path / "cache")
    return SqlRecordStore(lambda: sqlite3.connect(tmp_path / "cache.db"), "report1/sfdc")


def test_stores_merge_changes_and_deletions_identically(store):
    full = _records([("b", "B", "1"), ("a", "A", "1"), ("c", "C", "1")])
    store.replace("deals", "Id", full, CacheState("fp", "1"))
    store.apply(
        "deals", "Id", _records([("a", "A2", "2"), ("d", "D", "2")]), ["c"], CacheState("fp", "2")
    )
    merged = store.load("deals").sort_values("Id").reset_index(drop=True)
    assert list(merged["Id"]) == ["a", "b", "d"]
    assert list(merged["Name"]) == ["A2", "B", "D"]
    assert store.state("deals") == CacheState("fp", "2")
    assert store.state("other") is None


def test_staged_changes_write_nothing_until_commit(tmp_path):
    store = DiskRecordStore(tmp_path)
    staged = StagedChanges(store)
    staged.stage_full("deals", "Id", _records([("x", "X", "1")]), CacheState("fp", "1"))
    assert store.state("deals") is None and not list(tmp_path.iterdir())
    out = staged.commit()
    assert list(out["deals"]["Id"]) == ["x"] and store.state("deals") == CacheState("fp", "1")


def test_merge_records_handles_empty_sides():
    empty = pd.DataFrame()
    assert merge_records(empty, _records([("a", "A", "1")]), [], "Id")["Id"].tolist() == ["a"]
    assert merge_records(_records([("a", "A", "1")]), empty, ["a"], "Id").empty


STREAM = Stream(
    "opportunities",
    "deals",
    "Id",
    "Mod",
    {"deal_id": "Id", "name": "Name", "owner_id": "OwnerId", "created_at": "Created"},
)


def test_custom_fields_extend_and_override_the_mapping():
    (stream,) = with_custom_fields([STREAM], {"opportunities": {"tier": "Tier__c"}}, "salesforce")
    assert stream.mapping["tier"] == "Tier__c" and stream.mapping["name"] == "Name"
    with pytest.raises(ConfigError, match="unknown stream 'opps'"):
        with_custom_fields([STREAM], {"opps": {"x": "Y"}}, "salesforce")
    with pytest.raises(ConfigError, match=r"custom_fields\.opportunities"):
        with_custom_fields([STREAM], {"opportunities": {"x": 3}}, "salesforce")


def test_to_canonical_namespaces_ids_and_keeps_custom_columns():
    (stream,) = with_custom_fields([STREAM], {"opportunities": {"tier": "Tier__c"}}, "sf")
    raw = pd.DataFrame(
        {
            "Id": ["006A"],
            "Name": ["=IMPORTXML(x)"],
            "OwnerId": [None],
            "Created": ["2024-01-01T00:00:00.000+0000"],
            "Tier__c": ["Gold"],
        }
    )
    frame, _ = to_canonical(raw, stream, "sfdc", {"status": lambda r: pd.Series(["open"])})
    row = frame.iloc[0]
    assert row["deal_id"] == "sfdc:006A" and pd.isna(row["owner_id"])
    assert row["source"] == "sfdc" and row["status"] == "open" and row["tier"] == "Gold"
    assert row["name"] == "=IMPORTXML(x)"
    assert str(frame["created_at"].dtype) == "datetime64[ns, UTC]"


def test_incremental_reader_writes_nothing_when_a_fetch_fails(tmp_path):
    store = DiskRecordStore(tmp_path)
    other = Stream("accounts", "accounts", "Id", "Mod", {"account_id": "Id"})

    def fetch(stream, fields, plan):
        if stream.name == "accounts":
            raise MalformedResponseError("truncated page")
        return Fetched(
            _records([("a", "A", "2024-01-01T00:00:00Z")]).assign(
                OwnerId=None, Created="2024-01-01"
            )
        )

    reader = IncrementalReader("sfdc", ReadContext(), store)
    with pytest.raises(MalformedResponseError):
        reader.read([STREAM, other], lambda s: ["Id"], fetch)
    assert store.state("opportunities") is None


def test_unchanged_stream_is_not_rewritten_and_state_reads_without_records(tmp_path):
    store = DiskRecordStore(tmp_path)
    state = CacheState("fp", "2024-01-01T00:00:00.000Z")
    first = StagedChanges(store)
    first.stage_full("deals", "Id", _records([("a", "A", "1")]), state)
    first.commit()
    data = tmp_path / "deals.records.pkl"
    data_bytes = data.read_bytes()
    data.write_bytes(b"not a pickle")  # state() must not need the records file's contents
    assert store.state("deals") == state
    data.write_bytes(data_bytes)
    stamp_after_restore = data.stat().st_mtime_ns
    again = StagedChanges(store)
    again.stage_changes("deals", "Id", pd.DataFrame(), [], state)
    out = again.commit()
    assert list(out["deals"]["Id"]) == ["a"]
    assert data.read_bytes() == data_bytes and data.stat().st_mtime_ns == stamp_after_restore
    changed = StagedChanges(store)
    changed.stage_changes("deals", "Id", _records([("b", "B", "2")]), [], CacheState("fp", "2"))
    assert list(changed.commit()["deals"]["Id"]) == ["a", "b"]
    assert store.state("deals") == CacheState("fp", "2")
