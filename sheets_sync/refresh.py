"""The one function that performs a refresh.

The CLI, the web service's "refresh now", the scheduler and the tests all call :func:`refresh`:
read every source, blend, build the template's tabs, write them to the destination all or
nothing, then commit the sources' cursors. Any failure raises a
:class:`~sheets_sync.errors.SheetsSyncError` before the destination is touched or from the
destination itself, and in both cases the previous report and cursors stay as they were.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from connectors.base import ProgressFn, ReadContext, Source, SourceResult, no_progress
from connectors.registry import build_source
from sheets_sync.blend import blend
from sheets_sync.config import RefreshConfig
from sheets_sync.dataset import Dataset
from sheets_sync.destinations.base import Destination, WriteResult
from sheets_sync.document import Theme
from sheets_sync.errors import ConfigError, SheetsSyncError, SourceError
from sheets_sync.issues import DataIssue
from sheets_sync.memory import release_free_memory
from sheets_sync.report import ReportSettings, RunSummary, build_workbook, status_tab
from sheets_sync.state import CursorStore, FileCursorStore
from sheets_sync.templates import Template, default_vocabulary, load_template

RecordStoreFactory = Callable[[str], Any]
"""Returns the record-cache store of one source (by its configured name) for this report."""


@dataclass
class RefreshResult:
    """What a successful refresh did."""

    location: str
    template_id: str
    started_at: datetime
    finished_at: datetime
    row_counts: dict[str, dict[str, int]]
    issues: list[DataIssue]
    source_requests: int
    write: WriteResult
    tabs: list[str] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        """Wall-clock duration of the refresh."""
        return (self.finished_at - self.started_at).total_seconds()


def report_settings(config: RefreshConfig) -> ReportSettings:
    """Turn the ``report:`` section of a config into builder settings.

    Unset date range, comparison and granularity fall back to the template's defaults;
    ``comparison: none`` turns comparisons off; an unset title takes the template's name.
    """
    rc = config.report
    base = Theme()
    overrides = {k: v for k, v in rc.theme.model_dump().items() if v is not None}
    if "logo" in overrides:
        overrides["logo"] = str(config.resolve(overrides["logo"]))
    theme = Theme(**{**base.__dict__, **({"title": rc.title} if rc.title else {}), **overrides})
    return ReportSettings(
        title=rc.title,
        timezone=rc.timezone,
        date_range=rc.range(),
        comparison=rc.comparison,
        granularity=rc.granularity,
        currency=rc.currency,
        currency_rates=dict(rc.currency_rates),
        theme=theme,
        raw_data_max_rows=rc.raw_data_max_rows,
        custom_metric_files=custom_metric_files(config),
    )


def custom_metric_files(config: RefreshConfig) -> list[Path]:
    """The config's custom metric files, resolved against its folder."""
    return [config.resolve(p) for p in config.report.custom_metrics]


def build_destination(config: RefreshConfig) -> Destination:
    """Instantiate the configured destination (no I/O happens here)."""
    dest = config.destination
    if dest.type == "xlsx":
        from sheets_sync.destinations.xlsx import XlsxDestination

        if not dest.path:
            raise ConfigError("destination.path: required for an xlsx destination")
        return XlsxDestination(config.resolve(dest.path))
    from sheets_sync.destinations.gsheets import GoogleSheetsDestination

    return GoogleSheetsDestination.from_options(dest.options)


def load_report_template(config: RefreshConfig) -> Template:
    """Load the config's template, accepting a bundled id or a path relative to the config."""
    ref = config.report.template
    vocabulary = default_vocabulary(custom_metric_files(config))
    if ref.endswith((".yaml", ".yml")):
        return load_template(config.resolve(ref), vocabulary)
    return load_template(ref, vocabulary)


@dataclass
class SourceRead:
    """One configured source and what reading it produced."""

    name: str
    source: Source
    result: SourceResult

    def parts(self, release_input: bool = False) -> list[tuple[str, SourceResult]]:
        """The ``(name, result)`` pairs to blend (several for multi-system sources); with
        ``release_input`` the result's tables may be handed over to them."""
        return self.source.parts(self.result, release_input)


def build_sources(config: RefreshConfig) -> list[Source]:
    """Instantiate every configured source, in config order (no I/O happens here)."""
    return [build_source(sc.type, sc.name, sc.options, config.base_dir) for sc in config.sources]


def read_sources(
    config: RefreshConfig,
    cursors: CursorStore,
    started_at: datetime,
    *,
    full_refresh: bool = False,
    progress: ProgressFn = no_progress,
    record_store: RecordStoreFactory | None = None,
) -> list[SourceRead]:
    """Read every configured source; a failure names the source that failed.

    Incremental sources keep their record cache under ``<state_dir>/cache/<source>``, or in the
    store ``record_store(source name)`` returns when given (the service's database, where
    there is no local disk).
    """
    reads: list[SourceRead] = []
    state_dir = config.resolve(config.state_dir)
    for sc, source in zip(config.sources, build_sources(config), strict=True):
        context = ReadContext(
            started_at=started_at,
            cursors={} if full_refresh else cursors.load(sc.name),
            full_refresh=full_refresh,
            progress=progress,
            cache_dir=str(Path(state_dir) / "cache" / sc.name),
            state_store=record_store(sc.name) if record_store else None,
        )
        progress(f"reading {sc.name}", 0, None)
        try:
            result = source.read(context)
        except SheetsSyncError as err:
            raise type(err)(f"source {sc.name!r}: {err}") from err
        except Exception as err:
            raise SourceError(f"source {sc.name!r} failed: {type(err).__name__}: {err}") from err
        reads.append(SourceRead(sc.name, source, result))
    return reads


def blend_reads(reads: list[SourceRead], config: RefreshConfig) -> Dataset:
    """Blend what the sources read, as the config's blend section says; the reads' tables are
    handed over to the dataset (the reads are left without them)."""
    parts = [part for read in reads for part in read.parts(release_input=True)]
    return blend(parts, channel_aliases=config.blend.channel_aliases or None, release_inputs=True)


def refresh(
    config: RefreshConfig,
    *,
    destination: Destination | None = None,
    cursors: CursorStore | None = None,
    full_refresh: bool = False,
    now: datetime | None = None,
    progress: ProgressFn = no_progress,
    record_store: RecordStoreFactory | None = None,
) -> RefreshResult:
    """Run one refresh of ``config`` end to end and return what it did.

    ``now`` fixes the clock (date ranges, staleness checks); ``destination`` and ``cursors``
    override the configured ones (the service passes its own), and so does ``record_store``
    for the sources' record caches (see :func:`read_sources`).
    """
    started_at = now or datetime.now(UTC)
    clock = time.monotonic()
    template = load_report_template(config)
    settings = report_settings(config)
    target = destination or build_destination(config)
    store = cursors or FileCursorStore(config.resolve(config.state_dir))

    reads = read_sources(
        config,
        store,
        started_at,
        full_refresh=full_refresh,
        progress=progress,
        record_store=record_store,
    )
    requests = sum(read.result.requests for read in reads)
    read_cursors = {read.name: read.result.cursors for read in reads if read.result.cursors}
    progress("blending", 0, None)
    dataset = blend_reads(reads, config)
    # The dataset holds the blended copy: let the sources and their own tables go (and, for demo
    # sources, the generated company) before the report's working memory is needed.
    del reads
    release_free_memory()
    progress("computing tabs", 0, None)
    workbook = build_workbook(template, dataset, settings, started_at)
    summary = RunSummary(
        started_at=started_at,
        finished_at=started_at + _elapsed(clock),
        template_id=template.id,
        status="ok",
        row_counts=dataset.row_counts,
        issues=list(dataset.issues),
        requests=requests,
        date_range=next((t.subtitle for t in workbook.tabs if t.subtitle), settings.date_range),
        timezone=settings.timezone,
    )
    workbook.tabs.append(status_tab(summary))
    progress("writing", 0, None)
    written = target.write(workbook, progress)
    store.commit(read_cursors)
    return RefreshResult(
        location=written.location,
        template_id=template.id,
        started_at=started_at,
        finished_at=started_at + _elapsed(clock),
        row_counts=dataset.row_counts,
        issues=list(dataset.issues),
        source_requests=requests,
        write=written,
        tabs=[t.name for t in workbook.tabs],
    )


def _elapsed(clock: float) -> timedelta:
    return timedelta(seconds=time.monotonic() - clock)
