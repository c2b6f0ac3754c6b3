"""Small hand-made canonical frames for blend and quality tests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from connectors.base import SourceResult
from sheets_sync.model import TABLES, conform


def canonical(table: str, source: str, rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Return ``rows`` conformed to ``table``, with ``source`` filled and ids as given.

    Every canonical column the rows leave out is passed as blank so that ``conform`` types it.
    """
    frame = pd.DataFrame([{"source": source, **row} for row in rows])
    for column in TABLES[table].names:
        if column not in frame.columns:
            frame[column] = None
    typed, _ = conform(table, frame, source)
    return typed


def result(source: str, **tables: Sequence[Mapping[str, Any]]) -> SourceResult:
    """Return a SourceResult of ``source`` holding the given tables' rows."""
    return SourceResult({name: canonical(name, source, rows) for name, rows in tables.items()})
