"""The database record store on PostgreSQL (the App Engine deployment's Cloud SQL).

Uses the server CI runs (``SHEETS_SYNC_TEST_PG``, default postgres@127.0.0.1:5432/test) in a
schema of its own that is dropped afterwards; skips only when the server is unreachable.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import pandas as pd
import pytest

from connectors.common.cache import CacheState, SqlRecordStore, StagedChanges

PG = urlsplit(os.environ.get("SHEETS_SYNC_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test"))


def _connect(schema: str | None = None):
    psycopg = pytest.importorskip("psycopg")
    options = f"-csearch_path={schema}" if schema else ""
    return psycopg.connect(
        host=PG.hostname,
        port=PG.port or 5432,
        user=PG.username,
        dbname=PG.path.lstrip("/") or "test",
        options=options,
        connect_timeout=3,
    )


@pytest.fixture
def schema() -> Iterator[str]:
    try:
        socket.create_connection((PG.hostname or "127.0.0.1", PG.port or 5432), timeout=3).close()
    except OSError as err:
        pytest.skip(f"PostgreSQL is unreachable: {err}")
    name = f"records_{uuid.uuid4().hex[:10]}"
    with _connect() as conn:
        conn.execute(f'CREATE SCHEMA "{name}"')
    yield name
    with _connect() as conn:
        conn.execute(f'DROP SCHEMA "{name}" CASCADE')


def test_postgres_store_merges_changes_in_one_transaction(schema):
    store = SqlRecordStore(lambda: _connect(schema), "report-7/sfdc", paramstyle="format")
    rows = pd.DataFrame(
        {"Id": ["b", "a", "c"], "Name": ["B", "50% off 'quoted'", "C"], "Amount": [1.5, None, 3.0]}
    )
    staged = StagedChanges(store)
    staged.stage_full("deals", "Id", rows, CacheState("fp", "2024-01-01T00:00:00.000Z"))
    staged.commit()
    changes = StagedChanges(store)
    changes.stage_changes(
        "deals",
        "Id",
        pd.DataFrame({"Id": ["a", "d"], "Name": ["A2", "D"], "Amount": [9.0, 4.0]}),
        ["c"],
        CacheState("fp", "2024-02-01T00:00:00.000Z"),
    )
    merged = changes.commit()["deals"]
    assert list(merged["Id"]) == ["a", "b", "d"]
    assert list(merged["Name"]) == ["A2", "B", "D"]
    assert store.state("deals") == CacheState("fp", "2024-02-01T00:00:00.000Z")
    other = SqlRecordStore(lambda: _connect(schema), "report-8/sfdc", paramstyle="format")
    assert other.state("deals") is None and other.load("deals").empty


def test_postgres_store_rolls_back_a_failed_write(schema):
    store = SqlRecordStore(lambda: _connect(schema), "r/sfdc", paramstyle="format")
    good = pd.DataFrame({"Id": ["a"], "Name": ["A"]})
    store.replace("deals", "Id", good, CacheState("fp", "1"))
    bad = pd.DataFrame({"Name": ["no key column"]})
    with pytest.raises(KeyError):
        store.replace("deals", "Id", bad, CacheState("fp", "2"))
    assert list(store.load("deals")["Name"]) == ["A"] and store.state("deals") == CacheState(
        "fp", "1"
    )
