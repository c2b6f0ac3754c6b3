"""The shape of a report template, as pydantic models (strict; unknown keys are rejected).

A template is a YAML file: an id, a name, an audience and a cadence, the default date range,
granularity and comparison, and an ordered list of tabs. A ``report`` tab (the default kind) holds
blocks: ``scorecards``, ``table``, ``timeseries``, ``funnel``, ``quality`` and ``chart``. A
``raw_data`` tab holds one blended canonical table; a ``definitions`` tab lists every metric the
template uses. These models check structure only; :mod:`sheets_sync.templates.validate` checks
references (metric ids, dimensions, quality checks, chart targets, tab names).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PrivateAttr,
    Tag,
    model_validator,
)

from sheets_sync.metrics.query import COMPARISONS, DATE_PRESETS, GRANULARITIES, DateRange

Audience = Literal["executive", "manager", "analyst"]
Cadence = Literal["hourly", "daily", "weekly", "monthly", "quarterly"]
ChartKindName = Literal["line", "column", "bar", "pie", "combo", "scorecard"]
NO_COMPARISON = "none"
REPORT_COMPARISON = "default"  # a block that follows the report's comparison
FUNNEL_COLUMNS = ("deals_entered", "conversion_to_next", "avg_days_in_stage")
QUALITY_SUMMARY = "summary"


def _one_of(choices: tuple[str, ...], what: str):
    def check(value: str) -> str:
        if value not in choices:
            raise ValueError(f"unknown {what} {value!r}; choose one of: {', '.join(choices)}")
        return value

    return AfterValidator(check)


Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
Preset = Annotated[str, _one_of(DATE_PRESETS, "date range preset")]
Granularity = Annotated[str, _one_of(GRANULARITIES, "granularity")]
Comparison = Annotated[str, _one_of((*COMPARISONS, NO_COMPARISON), "comparison")]
BlockComparison = Annotated[
    str, _one_of((REPORT_COMPARISON, *COMPARISONS, NO_COMPARISON), "comparison")
]
Scalar = str | int | float | bool
FilterValue = Scalar | list[Scalar]
Filters = dict[str, FilterValue]
MetricList = Annotated[list[str], Field(min_length=1)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def _preset_shorthand(value: Any) -> Any:
    """Accept ``date_range: last_30_days`` as shorthand for ``{preset: last_30_days}``."""
    return {"preset": value} if isinstance(value, str) else value


class DateRangeSpec(_Model):
    """A date range preset, or ``custom`` with inclusive ``start`` and ``end`` dates."""

    preset: Preset = "last_90_days"
    start: date | None = None
    end: date | None = None

    @model_validator(mode="after")
    def _custom_needs_dates(self) -> DateRangeSpec:
        if self.preset == "custom":
            if self.start is None or self.end is None:
                raise ValueError("a custom date range needs both start and end (YYYY-MM-DD)")
            if self.start > self.end:
                raise ValueError(f"start {self.start} is after end {self.end}")
        elif self.start is not None or self.end is not None:
            raise ValueError("start and end are only allowed with preset: custom")
        return self

    def to_date_range(self) -> DateRange:
        """The query-contract form of this range."""
        return DateRange(self.preset, self.start, self.end)


DateRangeField = Annotated[DateRangeSpec, BeforeValidator(_preset_shorthand)]


class _Block(_Model):
    id: Identifier
    title: str | None = None
    note: str | None = None


class ScorecardsBlock(_Block):
    """Headline KPIs, one value each, compared with the report's (or the block's) comparison."""

    type: Literal["scorecards"]
    metrics: MetricList
    comparison: BlockComparison = REPORT_COMPARISON
    filters: Filters = Field(default_factory=dict)


class TableBlock(_Block):
    """Metrics broken down by one or more dimensions."""

    type: Literal["table"]
    metrics: MetricList
    dimensions: Annotated[list[str], Field(min_length=1)]
    filters: Filters = Field(default_factory=dict)
    sort: str | None = None
    limit: Annotated[int, Field(gt=0)] | None = None
    comparison: BlockComparison = NO_COMPARISON


class TimeseriesBlock(_Block):
    """Metrics by period; the granularity defaults to the template's."""

    type: Literal["timeseries"]
    metrics: MetricList
    granularity: Granularity | None = None
    filters: Filters = Field(default_factory=dict)
    comparison: BlockComparison = NO_COMPARISON


class FunnelBlock(_Block):
    """Stage-to-stage conversion of deals (``stage_funnel``)."""

    type: Literal["funnel"]
    filters: Filters = Field(default_factory=dict)


class QualityBlock(_Block):
    """One data-quality check's offending rows, or the summary of every check."""

    type: Literal["quality"]
    check: str = QUALITY_SUMMARY
    limit: Annotated[int, Field(gt=0)] = 200


class ChartBlock(_Block):
    """A native chart of another block of the same tab.

    ``x`` and ``series`` name that block's columns by key: a dimension, ``period``, a metric id
    (or ``<id>__previous`` / ``__delta`` / ``__delta_pct`` when the block compares), a funnel
    column, or ``check`` / ``count`` for the quality summary. A ``scorecard`` chart needs no ``x``.
    """

    type: Literal["chart"]
    kind: ChartKindName
    block: Identifier
    x: str | None = None
    series: MetricList
    stacked: bool = False


Block = Annotated[
    ScorecardsBlock | TableBlock | TimeseriesBlock | FunnelBlock | QualityBlock | ChartBlock,
    Field(discriminator="type"),
]
DataBlock = ScorecardsBlock | TableBlock | TimeseriesBlock | FunnelBlock | QualityBlock


class ReportTab(_Model):
    """A tab of KPI blocks and charts under a title band."""

    kind: Literal["report"] = "report"
    name: str
    title: str | None = None
    blocks: Annotated[list[Block], Field(min_length=1)]


class RawDataTab(_Model):
    """One canonical table blended across sources, ``columns`` in order, newest rows first."""

    kind: Literal["raw_data"]
    name: str
    title: str | None = None
    table: str
    columns: list[str] | None = None
    custom_columns: list[str] = Field(default_factory=list)
    sort: str | None = None
    max_rows: Annotated[int, Field(gt=0)] | None = None


class DefinitionsTab(_Model):
    """The definition of every metric the template uses."""

    kind: Literal["definitions"]
    name: str = "Definitions"
    title: str | None = None


def _tab_kind(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("kind", "report"))
    return str(getattr(value, "kind", "report"))


TemplateTab = Annotated[
    Annotated[ReportTab, Tag("report")]
    | Annotated[RawDataTab, Tag("raw_data")]
    | Annotated[DefinitionsTab, Tag("definitions")],
    Discriminator(_tab_kind),
]
TAB_KINDS = ("report", "raw_data", "definitions")
BLOCK_TYPES = ("scorecards", "table", "timeseries", "funnel", "quality", "chart")


class Template(_Model):
    """A whole report template."""

    id: Identifier
    name: str
    description: str
    audience: Audience
    cadence: Cadence
    date_range: DateRangeField = Field(default_factory=DateRangeSpec)
    granularity: Granularity = "week"
    comparison: Comparison = "previous_period"
    custom_fields: list[str] = Field(default_factory=list)
    tabs: Annotated[list[TemplateTab], Field(min_length=1)]
    _path: str | None = PrivateAttr(default=None)

    @property
    def path(self) -> str | None:
        """The file the template was loaded from (``None`` when built in code)."""
        return self._path

    def metric_ids(self) -> list[str]:
        """Every metric id the template's blocks use, in first-use order, without repeats."""
        seen: dict[str, None] = {}
        for tab in self.tabs:
            if isinstance(tab, ReportTab):
                for block in tab.blocks:
                    for metric in getattr(block, "metrics", ()):
                        if not isinstance(block, ChartBlock):
                            seen.setdefault(metric, None)
        return list(seen)

    def tab_names(self) -> list[str]:
        """The tab names, in order."""
        return [tab.name for tab in self.tabs]
