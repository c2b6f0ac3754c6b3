"""Committed cursors survive restarts and are replaced atomically."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sheets_sync.state import FileCursorStore, MemoryCursorStore


def test_file_store_commits_and_merges(tmp_path: Path) -> None:
    store = FileCursorStore(tmp_path / "state")
    assert store.load("sfdc") == {}
    store.commit({"sfdc": {"Opportunity": "2026-01-01T00:00:00Z"}})
    store.commit({"sfdc": {"Lead": "2026-01-02T00:00:00Z"}, "hubspot": {"deals": "5"}})
    again = FileCursorStore(tmp_path / "state")
    assert again.load("sfdc") == {
        "Opportunity": "2026-01-01T00:00:00Z",
        "Lead": "2026-01-02T00:00:00Z",
    }
    assert again.load("hubspot") == {"deals": "5"}
    assert [p.name for p in (tmp_path / "state").iterdir()] == ["cursors.json"]


def test_failed_commit_keeps_previous_cursors(tmp_path: Path, monkeypatch) -> None:
    store = FileCursorStore(tmp_path)
    store.commit({"sfdc": {"Opportunity": "old"}})

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(json, "dump", boom)
    with pytest.raises(OSError):
        store.commit({"sfdc": {"Opportunity": "new"}})
    monkeypatch.undo()
    assert store.load("sfdc") == {"Opportunity": "old"}
    assert [p.name for p in tmp_path.iterdir()] == ["cursors.json"]


def test_memory_store() -> None:
    store = MemoryCursorStore()
    store.commit({"a": {"s": "1"}})
    loaded = store.load("a")
    loaded["s"] = "changed"
    assert store.load("a") == {"s": "1"}
