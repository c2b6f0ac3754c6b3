"""The blended dataset every metric query runs on.

:func:`sheets_sync.blend.blend` builds a :class:`Dataset` from the results of all sources of a
report: one canonical frame per table (empty, typed frames for tables no source provides), the
data issues found while reading and blending, and the cross-source duplicate report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from sheets_sync.issues import DataIssue
from sheets_sync.model import TABLE_NAMES, empty_frame


@dataclass
class Dataset:
    """Canonical tables of one report, blended across its sources."""

    tables: dict[str, pd.DataFrame]
    issues: list[DataIssue] = field(default_factory=list)
    duplicates: pd.DataFrame = field(default_factory=pd.DataFrame)
    sources: list[str] = field(default_factory=list)
    row_counts: dict[str, dict[str, int]] = field(default_factory=dict)
    cache: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in TABLE_NAMES:
            if name not in self.tables:
                self.tables[name] = empty_frame(name)

    def table(self, name: str) -> pd.DataFrame:
        """The canonical frame of table ``name`` (possibly empty, always typed)."""
        return self.tables[name]
