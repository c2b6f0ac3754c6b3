"""The per-report record cache that makes an incremental read yield the same tables as a full one.

A source keeps the raw vendor records of each stream (one row per primary key, JSON scalars) in a
:class:`RecordStore`. A full read replaces a stream's records; an incremental read merges the
changed records in and removes the deleted ones; either way the canonical tables are then built
from the whole cached set, sorted by key so both paths give identical frames.

Reads are staged: :class:`StagedChanges` collects every stream's fetched records and nothing is
written until :meth:`StagedChanges.commit`, which a source calls only after every stream was read
and parsed. A malformed page therefore leaves the cache untouched (and no cursor is proposed).
Merges are idempotent, so re-reading changes after a failed destination write is harmless.

Stores (same interface):

- :class:`DiskRecordStore` - one file per stream under the report's ``cache_dir`` (local runs);
  a pickled frame and its state, replaced atomically. Pickle is only ever read from the
  service's own cache folder, never from user input.
- :class:`SqlRecordStore` - rows in a database table through a DB-API connection factory
  (``sqlite3`` here; PostgreSQL / Cloud SQL on App Engine, where there is no local disk).
- :class:`MemoryRecordStore` - for tests and one-off runs.

``CacheState.fingerprint`` identifies the field list the records were fetched with: when the
mapping asks for a new field, the fingerprint changes and the stream is read in full again.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pandas as pd


@dataclass(frozen=True)
class CacheState:
    """What a cached stream holds: the field-list fingerprint and the latest cursor merged."""

    fingerprint: str
    high_water: str | None = None


def fingerprint(fields: Iterable[str]) -> str:
    """A short stable hash of a field list (order-insensitive)."""
    text = "\n".join(sorted(set(fields)))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class RecordStore(Protocol):
    """Where cached raw records live, per stream name."""

    def state(self, stream: str) -> CacheState | None:
        """The state of ``stream``'s cached records, ``None`` if nothing is cached."""
        ...

    def load(self, stream: str) -> pd.DataFrame:
        """All cached records of ``stream`` (empty frame if none)."""
        ...

    def replace(self, stream: str, key: str, records: pd.DataFrame, state: CacheState) -> None:
        """Replace ``stream``'s records (keyed by ``key``) and state (after a full read)."""
        ...

    def apply(
        self,
        stream: str,
        key: str,
        upserts: pd.DataFrame,
        deletes: Sequence[str],
        state: CacheState,
    ) -> pd.DataFrame | None:
        """Merge changed records by ``key`` and remove ``deletes`` (incremental read).

        Stores that hold the merged set in memory anyway return it; others return ``None`` and
        the caller loads it.
        """
        ...


def merge_records(
    cached: pd.DataFrame, upserts: pd.DataFrame, deletes: Sequence[str], key: str
) -> pd.DataFrame:
    """``cached`` with ``upserts`` replacing rows of the same ``key`` and ``deletes`` removed."""
    parts = []
    if not cached.empty:
        keep = cached
        if not upserts.empty:
            keep = keep[~keep[key].isin(upserts[key])]
        parts.append(keep)
    if not upserts.empty:
        parts.append(upserts.drop_duplicates(subset=[key], keep="last"))
    if not parts:
        return pd.DataFrame(columns=list(upserts.columns) or [key])
    merged = pd.concat(parts, ignore_index=True, sort=False) if len(parts) > 1 else parts[0]
    if deletes:
        merged = merged[~merged[key].isin(list(deletes))]
    return sort_records(merged, key)


def sort_records(records: pd.DataFrame, key: str) -> pd.DataFrame:
    """Records ordered by ``key``: full and incremental reads then produce identical frames."""
    if records.empty or key not in records.columns:
        return records.reset_index(drop=True)
    return records.sort_values(key, kind="stable").reset_index(drop=True)


class MemoryRecordStore:
    """Records kept in a dict (tests, one-off runs)."""

    def __init__(self) -> None:
        self.data: dict[str, tuple[pd.DataFrame, CacheState]] = {}

    def state(self, stream: str) -> CacheState | None:
        """The cached state of ``stream``."""
        entry = self.data.get(stream)
        return entry[1] if entry else None

    def load(self, stream: str) -> pd.DataFrame:
        """The cached records of ``stream``."""
        entry = self.data.get(stream)
        return entry[0].copy() if entry else pd.DataFrame()

    def replace(self, stream: str, key: str, records: pd.DataFrame, state: CacheState) -> None:
        """Replace ``stream``'s records."""
        self.data[stream] = (records.copy(), state)

    def apply(self, stream, key, upserts, deletes, state) -> pd.DataFrame:  # type: ignore[no-untyped-def]
        """Merge changes into ``stream``; return the merged set."""
        merged = merge_records(self.load(stream), upserts, deletes, key)
        self.data[stream] = (merged, state)
        return merged.copy()


class DiskRecordStore:
    """One pickle per stream under ``folder`` holding its records and state, replaced atomically.

    A small ``<stream>.state.json`` copy of the state, written after the pickle, lets planning
    read states without loading records; if it is ever stale it names an older state, which
    only makes the next read of that stream a full one.
    """

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    def _path(self, stream: str) -> Path:
        safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in stream)
        return self.folder / f"{safe}.records.pkl"

    def _state_path(self, stream: str) -> Path:
        return self._path(stream).with_name(
            self._path(stream).name.replace(".records.pkl", ".state.json")
        )

    def _read(self, stream: str) -> tuple[pd.DataFrame, CacheState] | None:
        path = self._path(stream)
        if not path.exists():
            return None
        with path.open("rb") as handle:
            payload = pickle.load(handle)
        return payload["records"], CacheState(**payload["state"])

    def state(self, stream: str) -> CacheState | None:
        """The cached state of ``stream`` (from the small state file when there is one)."""
        if not self._path(stream).exists():
            return None
        side = self._state_path(stream)
        if side.exists():
            return CacheState(**json.loads(side.read_text(encoding="utf-8")))
        entry = self._read(stream)
        return entry[1] if entry else None

    def load(self, stream: str) -> pd.DataFrame:
        """The cached records of ``stream``."""
        entry = self._read(stream)
        return entry[0] if entry else pd.DataFrame()

    def replace(self, stream: str, key: str, records: pd.DataFrame, state: CacheState) -> None:
        """Write ``stream``'s file to a temp name, then rename it over the old one."""
        self.folder.mkdir(parents=True, exist_ok=True)
        payload = {"records": records, "state": state.__dict__}
        fd, tmp = tempfile.mkstemp(prefix=".records-", dir=self.folder)
        try:
            with os.fdopen(fd, "wb") as handle:
                pickle.dump(payload, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self._path(stream))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        side_tmp = self._state_path(stream).with_suffix(".tmp")
        side_tmp.write_text(json.dumps(state.__dict__), encoding="utf-8")
        os.replace(side_tmp, self._state_path(stream))

    def apply(self, stream, key, upserts, deletes, state) -> pd.DataFrame:  # type: ignore[no-untyped-def]
        """Merge changes into ``stream``'s file (rewritten atomically); return the merged set."""
        merged = merge_records(self.load(stream), upserts, deletes, key)
        self.replace(stream, key, merged, state)
        return merged


def _json_rows(records: pd.DataFrame) -> list[dict[str, Any]]:
    clean = records.astype(object).where(records.notna(), None)
    return clean.to_dict("records")  # type: ignore[return-value]


class SqlRecordStore:
    """Records as JSON rows in a database table, one namespace per report source.

    ``connect`` returns a DB-API connection (``sqlite3.connect(path)`` locally; a PostgreSQL
    driver on App Engine with ``paramstyle="format"``). Each replace/apply runs in one transaction,
    so a failure leaves the previous records. Incremental applies only touch the changed rows.
    """

    def __init__(
        self, connect: Callable[[], Any], namespace: str, paramstyle: str = "qmark"
    ) -> None:
        self.connect = connect
        self.namespace = namespace
        self.mark = "?" if paramstyle == "qmark" else "%s"
        self._ready = False

    def _sql(self, text: str) -> str:
        return text.replace("?", self.mark)

    def _ensure(self, conn: Any) -> None:
        if self._ready:
            return
        cur = conn.cursor()
        cur.execute(
            "CREATE TABLE IF NOT EXISTS connector_records (namespace TEXT NOT NULL, "
            "stream TEXT NOT NULL, record_key TEXT NOT NULL, body TEXT NOT NULL, "
            "PRIMARY KEY (namespace, stream, record_key))"
        )
        cur.execute(
            "CREATE TABLE IF NOT EXISTS connector_record_state (namespace TEXT NOT NULL, "
            "stream TEXT NOT NULL, fingerprint TEXT NOT NULL, high_water TEXT, "
            "PRIMARY KEY (namespace, stream))"
        )
        conn.commit()
        self._ready = True

    def _run(self, work: Callable[[Any], Any]) -> Any:
        conn = self.connect()
        try:
            self._ensure(conn)
            result = work(conn.cursor())
            conn.commit()
            return result
        except BaseException:
            conn.rollback()
            raise
        finally:
            conn.close()

    def state(self, stream: str) -> CacheState | None:
        """The cached state of ``stream``."""

        def work(cur: Any) -> CacheState | None:
            cur.execute(
                self._sql(
                    "SELECT fingerprint, high_water FROM connector_record_state "
                    "WHERE namespace = ? AND stream = ?"
                ),
                (self.namespace, stream),
            )
            row = cur.fetchone()
            return CacheState(row[0], row[1]) if row else None

        result: CacheState | None = self._run(work)
        return result

    def load(self, stream: str) -> pd.DataFrame:
        """The cached records of ``stream``."""

        def work(cur: Any) -> list[dict[str, Any]]:
            cur.execute(
                self._sql(
                    "SELECT body FROM connector_records WHERE namespace = ? AND stream = ? "
                    "ORDER BY record_key"
                ),
                (self.namespace, stream),
            )
            return [json.loads(row[0]) for row in cur.fetchall()]

        return pd.DataFrame.from_records(self._run(work))

    def _write_state(self, cur: Any, stream: str, state: CacheState) -> None:
        cur.execute(
            self._sql(
                "INSERT INTO connector_record_state (namespace, stream, fingerprint, high_water) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (namespace, stream) DO UPDATE SET "
                "fingerprint = excluded.fingerprint, high_water = excluded.high_water"
            ),
            (self.namespace, stream, state.fingerprint, state.high_water),
        )

    def _upsert(self, cur: Any, stream: str, key: str, records: pd.DataFrame) -> None:
        rows = [
            (self.namespace, stream, str(row[key]), json.dumps(row, default=str))
            for row in _json_rows(records)
        ]
        cur.executemany(
            self._sql(
                "INSERT INTO connector_records (namespace, stream, record_key, body) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (namespace, stream, record_key) "
                "DO UPDATE SET body = excluded.body"
            ),
            rows,
        )

    def replace(self, stream: str, key: str, records: pd.DataFrame, state: CacheState) -> None:
        """Replace ``stream``'s rows and state in one transaction."""

        def work(cur: Any) -> None:
            cur.execute(
                self._sql("DELETE FROM connector_records WHERE namespace = ? AND stream = ?"),
                (self.namespace, stream),
            )
            if not records.empty:
                self._upsert(cur, stream, key, records)
            self._write_state(cur, stream, state)

        self._run(work)

    def apply(self, stream, key, upserts, deletes, state) -> None:  # type: ignore[no-untyped-def]
        """Upsert changed rows and delete removed ones in one transaction."""

        def work(cur: Any) -> None:
            if not upserts.empty:
                self._upsert(cur, stream, key, upserts)
            cur.executemany(
                self._sql(
                    "DELETE FROM connector_records WHERE namespace = ? AND stream = ? "
                    "AND record_key = ?"
                ),
                [(self.namespace, stream, str(k)) for k in deletes],
            )
            self._write_state(cur, stream, state)

        self._run(work)


@dataclass
class _Staged:
    key: str
    full: bool
    records: pd.DataFrame
    deletes: list[str]
    state: CacheState


@dataclass
class StagedChanges:
    """Fetched records of every stream of one read, written to ``store`` only on commit."""

    store: RecordStore
    staged: dict[str, _Staged] = field(default_factory=dict)

    def stage_full(self, stream: str, key: str, records: pd.DataFrame, state: CacheState) -> None:
        """Stage a full read of ``stream`` (replaces what is cached)."""
        self.staged[stream] = _Staged(key, True, records, [], state)

    def stage_changes(
        self,
        stream: str,
        key: str,
        upserts: pd.DataFrame,
        deletes: Sequence[str],
        state: CacheState,
    ) -> None:
        """Stage an incremental read of ``stream`` (merged into what is cached)."""
        self.staged[stream] = _Staged(key, False, upserts, list(deletes), state)

    def commit(self) -> dict[str, pd.DataFrame]:
        """Write every staged stream and return each stream's full, key-sorted record set."""
        result: dict[str, pd.DataFrame] = {}
        for stream, item in self.staged.items():
            if item.full:
                records = sort_records(item.records, item.key)
                self.store.replace(stream, item.key, records, item.state)
            elif item.records.empty and not item.deletes and self.store.state(stream) == item.state:
                records = sort_records(self.store.load(stream), item.key)  # nothing to write
            else:
                merged = self.store.apply(stream, item.key, item.records, item.deletes, item.state)
                if merged is None:
                    merged = self.store.load(stream)
                records = sort_records(merged, item.key)
            result[stream] = records
        return result


def store_for(context_cache_dir: str | None, state_store: Any) -> RecordStore:
    """The store a read uses: the engine's ``state_store`` if it is one, else disk, else memory."""
    if state_store is not None and all(
        hasattr(state_store, name) for name in ("state", "load", "replace", "apply")
    ):
        return state_store  # type: ignore[no-any-return]
    if context_cache_dir:
        return DiskRecordStore(context_cache_dir)
    return MemoryRecordStore()
