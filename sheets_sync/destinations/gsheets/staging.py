"""Plan a refresh whose payload is too large for one request.

The largest tabs are staged: they are written first into hidden staging sheets, then copied into
their live sheets by the final batchUpdate, which also writes everything else. Live tabs change
only in that final, atomic call. A failure at any earlier request leaves the report as it was, and
the next refresh's first call deletes the staging sheets left behind.

Staging sheets are not live, so their bulk rows need not be atomic. They go through
``values.batchUpdate`` with ``valueInputOption=RAW``: plain JSON arrays, about a third of the bytes
of ``CellData``. RAW stores strings as-is, so text that looks like a formula stays text. Rows that
carry formats (title band, headers, notes) or our own formulas are written with ``updateCells`` in
the batchUpdate that creates the staging sheets. Rows are packed across tabs into as few requests
as ``limit`` allows.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sheets_sync.destinations.gsheets.builders import Request, TabTarget, chunk_request
from sheets_sync.errors import DestinationError

CHUNK_OVERHEAD = 200
"""JSON bytes of one ``updateCells`` or ``ValueRange`` envelope around its rows."""
BATCH_OVERHEAD = 1_000
"""Bytes kept free in every request for the envelope and ids."""
_VALUE_KEYS = ("numberValue", "stringValue", "boolValue")


@dataclass
class StagingPlan:
    """Requests that fill the staging sheets: styled rows, then value chunks."""

    styled: list[Request] = field(default_factory=list)
    value_batches: list[list[dict[str, Any]]] = field(default_factory=list)


def choose_staged(targets: Sequence[TabTarget], fixed_bytes: int, limit: int) -> list[TabTarget]:
    """The tabs to stage so that the final batch stays under ``limit`` (largest first)."""
    total = fixed_bytes + sum(t.grid.value_bytes + CHUNK_OVERHEAD for t in targets)
    staged: list[TabTarget] = []
    for target in sorted(targets, key=lambda t: -t.grid.value_bytes):
        if total <= limit - BATCH_OVERHEAD:
            break
        staged.append(target)
        total -= target.grid.value_bytes
    return staged


def plain_row(row: dict[str, Any]) -> list[Any] | None:
    """A row as RAW values, or ``None`` when a cell carries a format or a formula."""
    values: list[Any] = []
    for cell in row.get("values", []):
        if set(cell) - {"userEnteredValue"}:
            return None
        value = cell.get("userEnteredValue")
        if value is None:
            values.append(None)
            continue
        key = next((k for k in _VALUE_KEYS if k in value), None)
        if key is None:
            return None
        values.append(value[key])
    return values


def a1_start(title: str, row: int) -> str:
    """``'title'!A<row+1>``."""
    return "'" + title.replace("'", "''") + f"'!A{row + 1}"


def plan_staging(staged: Sequence[TabTarget], titles: dict[int, str], limit: int) -> StagingPlan:
    """Split the rows of every staged tab into styled rows and packed RAW value chunks."""
    budget = limit - BATCH_OVERHEAD
    plan = StagingPlan()
    batch: list[dict[str, Any]] = []
    used = 0

    def flush_range(target: TabTarget, start: int, rows: list[list[Any]]) -> None:
        assert target.staging_id is not None
        batch.append({"range": a1_start(titles[target.staging_id], start), "values": rows})

    for target in staged:
        assert target.staging_id is not None
        pending: list[list[Any]] = []
        start = 0
        for index, row in enumerate(target.grid.rows):
            values = plain_row(row) if row else []
            if values is None:
                plan.styled.append(chunk_request(target.staging_id, index, [row]))
            if not values:
                if pending:
                    flush_range(target, start, pending)
                    pending = []
                continue
            size = len(json.dumps(values, separators=(",", ":"), ensure_ascii=False)) + 1
            if size + CHUNK_OVERHEAD > budget:
                raise DestinationError(
                    f"row {index + 1} of tab {target.name!r} is {size:,} bytes, more than one "
                    "Google Sheets request may carry; shorten its longest text columns"
                )
            if used + size + (0 if pending else CHUNK_OVERHEAD) > budget:
                if pending:
                    flush_range(target, start, pending)
                    pending = []
                plan.value_batches.append(batch)
                batch, used = [], 0
            if not pending:
                start = index
                used += CHUNK_OVERHEAD
            pending.append(values)
            used += size
        if pending:
            flush_range(target, start, pending)
    if batch:
        plan.value_batches.append(batch)
    return plan
