"""Metric queries: metrics x dimensions x filters x date range x granularity x comparison.

This module states the query contract; the engine that evaluates it lives beside it.

``run_query(dataset, query, catalogue=None, now=None) -> pandas.DataFrame`` returns one row per
combination of the requested dimensions (and ``period`` when ``granularity`` is set), with one
column per metric id. With a ``comparison`` it adds, per metric, ``<id>__previous``,
``<id>__delta`` (absolute) and ``<id>__delta_pct`` (relative, a fraction; missing when the
previous value is 0 or missing).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

DATE_PRESETS = (
    "last_7_days",
    "last_30_days",
    "last_90_days",
    "last_365_days",
    "this_month",
    "last_month",
    "this_quarter",
    "last_quarter",
    "this_year",
    "last_year",
    "year_to_date",
    "all_time",
    "custom",
)
GRANULARITIES = ("day", "week", "month", "quarter", "year")
COMPARISONS = ("previous_period", "previous_year")
DIMENSIONS = (
    "source",
    "channel",
    "campaign",
    "region",
    "country",
    "owner",
    "team",
    "manager",
    "stage",
    "pipeline",
    "product",
    "segment",
    "industry",
    "deal_type",
    "priority",
    "activity_type",
)


@dataclass(frozen=True)
class DateRange:
    """A preset (``last_30_days``...) or ``custom`` with inclusive ``start`` and ``end`` dates."""

    preset: str = "last_90_days"
    start: date | None = None
    end: date | None = None


@dataclass(frozen=True)
class Query:
    """One metric query, as templates and the CLI declare it."""

    metrics: tuple[str, ...]
    dimensions: tuple[str, ...] = ()
    filters: Mapping[str, Any] = field(default_factory=dict)
    date_range: DateRange = field(default_factory=DateRange)
    granularity: str | None = None
    comparison: str | None = None
    timezone: str = "UTC"
    currency: str | None = None
    sort: str | None = None
    limit: int | None = None
    #: Report-currency units per one unit of each foreign currency, e.g. {"USD": 0.92}.
    currency_rates: Mapping[str, float] = field(default_factory=dict)
