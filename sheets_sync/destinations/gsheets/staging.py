"""Plan a refresh whose payload is too large for one request.

The largest tabs are written first into hidden staging sheets, in as few ``updateCells`` chunks as
the payload limit allows (rows are packed across tabs), and copied into their live sheets by the
final batchUpdate together with everything else. Live tabs change only in that final, atomic call,
so a failure at any earlier request leaves the report as it was; the staging sheets it leaves
behind are deleted by the next refresh's first call.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sheets_sync.destinations.gsheets.builders import Request, TabTarget, chunk_request
from sheets_sync.errors import DestinationError

CHUNK_OVERHEAD = 200
"""JSON bytes of one ``updateCells`` envelope around its rows."""
BATCH_OVERHEAD = 1_000
"""Bytes kept free in every request for the envelope and ids."""


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


def pack_chunks(staged: Sequence[TabTarget], limit: int, first_used: int) -> list[list[Request]]:
    """Group the rows of every staged tab into batches of ``updateCells`` under ``limit``.

    ``first_used`` is what the first batch already carries (cleanup and staging sheet creation).
    Empty rows are skipped: a new staging sheet is blank.
    """
    budget = limit - BATCH_OVERHEAD
    batches: list[list[Request]] = [[]]
    used = first_used
    for target in staged:
        assert target.staging_id is not None
        pending: list[dict[str, Any]] = []
        pending_start = 0
        for index, row in enumerate(target.grid.rows):
            size = target.grid.row_bytes[index]
            if size + CHUNK_OVERHEAD > budget:
                raise DestinationError(
                    f"row {index + 1} of tab {target.name!r} is {size:,} bytes, more than one "
                    "Google Sheets request may carry; shorten its longest text columns"
                )
            if not row:
                if pending:
                    batches[-1].append(chunk_request(target.staging_id, pending_start, pending))
                    pending = []
                continue
            if not pending:
                if used + CHUNK_OVERHEAD + size > budget:
                    batches.append([])
                    used = 0
                pending_start = index
                used += CHUNK_OVERHEAD
            elif used + size > budget:
                batches[-1].append(chunk_request(target.staging_id, pending_start, pending))
                batches.append([])
                used = CHUNK_OVERHEAD
                pending, pending_start = [], index
            pending.append(row)
            used += size
        if pending:
            batches[-1].append(chunk_request(target.staging_id, pending_start, pending))
    return batches
