"""What the report builder needs besides a template and data: settings and the run summary."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sheets_sync.document import Theme
from sheets_sync.issues import DataIssue
from sheets_sync.metrics.query import DateRange

DEFAULT_RAW_DATA_MAX_ROWS = 50_000


@dataclass(frozen=True)
class ReportSettings:
    """How to render a template for one report.

    ``date_range``, ``comparison`` and ``granularity`` left as ``None`` take the template's
    defaults; ``comparison="none"`` turns comparisons off. ``currency`` is the ISO 4217 code money
    is shown in, ``currency_rates`` the value of one unit of each other currency in it.
    ``raw_data_max_rows`` caps every raw-data tab (0 leaves them empty).
    """

    title: str | None = None
    timezone: str = "UTC"
    date_range: DateRange | None = None
    comparison: str | None = None
    granularity: str | None = None
    currency: str = "USD"
    currency_rates: Mapping[str, float] = field(default_factory=dict)
    theme: Theme = field(default_factory=Theme)
    raw_data_max_rows: int = DEFAULT_RAW_DATA_MAX_ROWS
    custom_metric_files: Sequence[Path] = ()


@dataclass
class RunSummary:
    """What one refresh did, for the sync-status tab.

    ``row_counts`` maps each source to its rows per canonical table; ``status`` is ``ok``,
    ``warning`` or ``failed``; ``date_range`` is the range the report covers (``None`` when the
    template's default was used) or a ready-made description of it.
    """

    started_at: datetime
    finished_at: datetime
    template_id: str
    status: str = "ok"
    row_counts: dict[str, dict[str, int]] = field(default_factory=dict)
    issues: list[DataIssue] = field(default_factory=list)
    requests: int = 0
    date_range: DateRange | str | None = None
    timezone: str = "UTC"
    message: str = ""
