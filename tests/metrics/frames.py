"""Small hand-made canonical datasets for the metric tests."""

from __future__ import annotations

from typing import Any

import pandas as pd

from sheets_sync.dataset import Dataset
from sheets_sync.model import conform


def dataset(**tables: list[dict[str, Any]]) -> Dataset:
    """A :class:`Dataset` whose tables are conformed from lists of row dicts."""
    frames = {}
    for name, rows in tables.items():
        frame, _ = conform(name, pd.DataFrame(rows), "t")
        frames[name] = frame
    return Dataset(frames)


def deal(i: int, status: str, created: str, close: str | None = None, **extra: Any) -> dict:
    """One deal row with sensible defaults."""
    row = {
        "deal_id": f"t:d{i}",
        "source": "t",
        "status": status,
        "created_at": created,
        "close_date": close,
        "amount": 100.0,
        "currency": "EUR",
    }
    row.update(extra)
    return row
