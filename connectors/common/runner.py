"""The read loop every incremental connector shares.

:class:`IncrementalReader` runs one read of a source's streams:

1. plan each stream (:func:`~connectors.common.incremental.plan_read`): full, or since the
   committed cursor;
2. call the connector's ``fetch(stream, fields, plan)`` which returns :class:`Fetched` records
   (all live records on a full read; changed records and deleted keys on an incremental one);
3. only when *every* stream was fetched, commit the staged records to the record cache, so a
   failure anywhere leaves the cache and the cursors as they were;
4. build canonical tables from the whole cached record set of each stream
   (:func:`~connectors.common.streams.to_canonical`, with the connector's derivations, which may
   look at other streams' records, e.g. role names for owners);
5. propose one cursor per stream, capped at the sync's start time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from connectors.base import ReadContext, SourceResult, Stream
from connectors.common.cache import CacheState, RecordStore, StagedChanges, fingerprint
from connectors.common.cursors import propose_cursor
from connectors.common.incremental import ReadPlan, plan_read
from connectors.common.streams import Derivation, tables_from_parts, to_canonical
from sheets_sync.issues import DataIssue


@dataclass
class Fetched:
    """What a connector fetched for one stream.

    ``records`` holds raw vendor records (one row per record, vendor field names as columns);
    ``deleted`` the keys of records deleted since the cursor; ``cursor_values`` the cursor-field
    values of every record seen, deleted ones included (defaults to ``records[cursor_field]``).
    """

    records: pd.DataFrame
    deleted: Sequence[str] = ()
    cursor_values: Sequence[Any] | None = None


FetchFn = Callable[[Stream, list[str], ReadPlan], Fetched]
FieldsFn = Callable[[Stream], list[str]]
DeriveFn = Callable[[Stream, Mapping[str, pd.DataFrame]], Mapping[str, Derivation]]


def _no_derivations(stream: Stream, records: Mapping[str, pd.DataFrame]) -> dict:
    return {}


@dataclass
class ReadOutcome:
    """Per-stream bookkeeping reported in ``SourceResult.stats['streams']``."""

    mode: str
    reason: str
    fetched: int
    deleted: int
    cached: int = 0


@dataclass
class IncrementalReader:
    """One read of a source's streams through the record cache (see the module doc)."""

    source: str
    context: ReadContext
    store: RecordStore
    outcomes: dict[str, ReadOutcome] = field(default_factory=dict)

    def plan(self, streams: Sequence[Stream], fields_for: FieldsFn) -> dict[str, ReadPlan]:
        """The :class:`ReadPlan` of every stream, without fetching anything.

        Connectors that batch the first request of every stream (Salesforce Composite) call
        this first and pass the result to :meth:`read`.
        """
        return {
            stream.name: plan_read(
                stream.name,
                stream.cursor_field,
                self.context.cursors.get(stream.name),
                self.store.state(stream.name),
                fingerprint(fields_for(stream)),
                self.context.full_refresh,
            )
            for stream in streams
        }

    def read(
        self,
        streams: Sequence[Stream],
        fields_for: FieldsFn,
        fetch: FetchFn,
        derive_for: DeriveFn = _no_derivations,
        plans: Mapping[str, ReadPlan] | None = None,
    ) -> SourceResult:
        """Plan, fetch, commit and build tables for ``streams``; return a :class:`SourceResult`.

        ``plans`` (from :meth:`plan`) is used as given; by default each stream is planned here.
        """
        plans = plans if plans is not None else self.plan(streams, fields_for)
        staged = StagedChanges(self.store)
        cursors: dict[str, str] = {}
        total = len(streams)
        for done, stream in enumerate(streams):
            self.context.progress(f"{self.source}: {stream.name}", done, total)
            fields = fields_for(stream)
            prints = fingerprint(fields)
            plan = plans[stream.name]
            got = fetch(stream, fields, plan)
            seen = got.cursor_values
            if seen is None and stream.cursor_field and stream.cursor_field in got.records:
                seen = list(got.records[stream.cursor_field])
            cursor = None
            if stream.cursor_field:
                cursor = propose_cursor(seen or [], self.context.started_at, plan.since)
            state = CacheState(prints, cursor)
            if plan.full:
                staged.stage_full(stream.name, stream.primary_key, got.records, state)
            else:
                staged.stage_changes(
                    stream.name, stream.primary_key, got.records, got.deleted, state
                )
            if cursor is not None:
                cursors[stream.name] = cursor
            self.outcomes[stream.name] = ReadOutcome(
                "full" if plan.full else "incremental",
                plan.reason,
                len(got.records),
                len(got.deleted),
            )
        records = staged.commit()
        self.context.progress(f"{self.source}: done", total, total)
        parts: list[tuple[str, pd.DataFrame]] = []
        issues: list[DataIssue] = []
        for stream in streams:
            raw = records[stream.name]
            self.outcomes[stream.name].cached = len(raw)
            frame, found = to_canonical(raw, stream, self.source, derive_for(stream, records))
            parts.append((stream.table, frame))
            issues.extend(found)
        return SourceResult(
            tables=tables_from_parts(parts),
            issues=issues,
            cursors=cursors,
            stats={"streams": {name: vars(o) for name, o in self.outcomes.items()}},
        )
