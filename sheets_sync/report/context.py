"""Everything one report build shares: template, data, settings, catalogue and clock."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from sheets_sync.dataset import Dataset
from sheets_sync.metrics.catalogue import Catalogue, load_catalogue
from sheets_sync.metrics.periods import resolve_range
from sheets_sync.metrics.query import DateRange, Query
from sheets_sync.report.headers import COMPARISON_WORDS
from sheets_sync.report.settings import ReportSettings
from sheets_sync.templates.schema import NO_COMPARISON, REPORT_COMPARISON, Template


@dataclass(frozen=True)
class BuildContext:
    """The resolved settings of one build: date range, comparison and granularity are final."""

    template: Template
    dataset: Dataset
    settings: ReportSettings
    catalogue: Catalogue
    now: pd.Timestamp
    date_range: DateRange
    comparison: str
    granularity: str

    @classmethod
    def create(
        cls,
        template: Template,
        dataset: Dataset,
        settings: ReportSettings,
        now: datetime | pd.Timestamp,
        catalogue: Catalogue | None = None,
    ) -> BuildContext:
        """Resolve ``settings`` against the template's defaults."""
        stamp = pd.Timestamp(now)
        stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
        return cls(
            template=template,
            dataset=dataset,
            settings=settings,
            catalogue=catalogue or load_catalogue(tuple(settings.custom_metric_files)),
            now=stamp,
            date_range=settings.date_range or template.date_range.to_date_range(),
            comparison=settings.comparison or template.comparison,
            granularity=settings.granularity or template.granularity,
        )

    def comparison_for(self, block_comparison: str) -> str | None:
        """The comparison a block runs with (``None`` for none)."""
        value = self.comparison if block_comparison == REPORT_COMPARISON else block_comparison
        return None if value == NO_COMPARISON else value

    def query(
        self,
        metrics: Sequence[str],
        *,
        dimensions: Sequence[str] = (),
        filters: Mapping[str, Any] | None = None,
        granularity: str | None = None,
        comparison: str | None = None,
        sort: str | None = None,
        limit: int | None = None,
    ) -> Query:
        """A query over the report's date range, time zone and currency."""
        return Query(
            metrics=tuple(metrics),
            dimensions=tuple(dimensions),
            filters=dict(filters or {}),
            date_range=self.date_range,
            granularity=granularity,
            comparison=comparison,
            timezone=self.settings.timezone,
            currency=self.settings.currency,
            currency_rates=dict(self.settings.currency_rates),
            sort=sort,
            limit=limit,
        )

    def range_text(self) -> str:
        """The report's date range in its time zone, e.g. ``1 Sep 2026 - 30 Nov 2026``."""
        start, end = resolve_range(self.date_range, self.settings.timezone, self.now)
        last_day = (end - pd.Timedelta(1)).tz_convert(self.settings.timezone)
        if self.date_range.preset == "all_time":
            return f"All time to {_day(last_day)}"
        return f"{_day(start.tz_convert(self.settings.timezone))} - {_day(last_day)}"

    def subtitle(self) -> str:
        """The range plus what it is compared with: ``1 Sep 2026 - 30 Nov 2026 vs previous
        period``."""
        text = self.range_text()
        if self.comparison in COMPARISON_WORDS:
            text += f" vs {COMPARISON_WORDS[self.comparison]}"
        return text


def _day(stamp: pd.Timestamp) -> str:
    return f"{stamp.day} {stamp.strftime('%b %Y')}"
