"""Turn the data blocks of a template tab into document tables.

Each builder runs its query (``run_query``, ``stage_funnel``, the quality checks), renames the
columns to human headers, attaches display formats and marks change columns with whether an
increase is good. It also returns, per chart key (metric id, dimension, ``period``...), the
header that key became, so charts can point at the right columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sheets_sync.dataset import Dataset
from sheets_sync.document import BlockKind, ColumnFormat, Fmt, Table, infer_format
from sheets_sync.issues import DataIssue
from sheets_sync.metrics.engine import run_query, stage_funnel
from sheets_sync.metrics.tables import metric_table
from sheets_sync.quality import QUALITY_CHECKS, quality_summary, run_check
from sheets_sync.report.context import BuildContext
from sheets_sync.report.headers import (
    GRANULARITY_HEADERS,
    VALUE_PARTS,
    metric_format,
    plain_values,
    readable,
    value_header,
)
from sheets_sync.templates.schema import (
    QUALITY_SUMMARY,
    DataBlock,
    FunnelBlock,
    QualityBlock,
    ScorecardsBlock,
    TableBlock,
    TimeseriesBlock,
)

SCORECARD_LABEL_KEY = "range"
SCORECARD_LABEL = "Period"
NO_DATA_NOTE = "No data for this date range."
NO_ROWS_NOTE = "No rows for this date range and these filters."


@dataclass
class BuiltBlock:
    """A rendered block, the header each of its chart keys became, and what the engine had to
    leave out while computing it (one sentence per data issue)."""

    table: Table
    headers: dict[str, str] = field(default_factory=dict)
    issues: list[str] = field(default_factory=list)


def build_block(block: DataBlock, ctx: BuildContext) -> BuiltBlock:
    """Render one data block of a report tab."""
    if isinstance(block, ScorecardsBlock):
        return _scorecards(block, ctx)
    if isinstance(block, TableBlock):
        return _breakdown(block, ctx)
    if isinstance(block, TimeseriesBlock):
        return _timeseries(block, ctx)
    if isinstance(block, FunnelBlock):
        return _funnel(block, ctx)
    return _quality(block, ctx)


def _scorecards(block: ScorecardsBlock, ctx: BuildContext) -> BuiltBlock:
    comparison = ctx.comparison_for(block.comparison)
    query = ctx.query(block.metrics, filters=block.filters, comparison=comparison)
    frame = run_query(ctx.dataset, query, ctx.catalogue, ctx.now)
    issues = _issues(frame)
    if frame.empty:
        # One blank row keeps the KPI strip in place when there is nothing to count.
        frame = pd.DataFrame([{c: np.nan for c in frame.columns}])
    # Scorecards are one row, one column group per KPI, so every column keeps its metric's
    # format and up-is-good flag; the leading label names the period the values cover.
    frame.insert(0, SCORECARD_LABEL_KEY, ctx.range_text())
    built = _metric_table(
        block.id, frame, [SCORECARD_LABEL_KEY], block.metrics, comparison is not None, ctx
    )
    built.table.kind = BlockKind.SCORECARDS
    empty = _no_values(frame, block.metrics)
    return _finish(built, block.title, block.note, empty, issues=issues)


def _breakdown(block: TableBlock, ctx: BuildContext) -> BuiltBlock:
    comparison = ctx.comparison_for(block.comparison)
    query = ctx.query(
        block.metrics,
        dimensions=block.dimensions,
        filters=block.filters,
        comparison=comparison,
        sort=block.sort,
        limit=block.limit,
    )
    frame = run_query(ctx.dataset, query, ctx.catalogue, ctx.now)
    issues = _issues(frame)
    if block.sort is None and "stage" in block.dimensions:
        frame = _in_stage_order(frame, list(block.dimensions), ctx)
    built = _metric_table(
        block.id, frame, list(block.dimensions), block.metrics, comparison is not None, ctx
    )
    return _finish(built, block.title, block.note, frame.empty, NO_ROWS_NOTE, issues)


def _in_stage_order(frame: pd.DataFrame, dimensions: list[str], ctx: BuildContext) -> pd.DataFrame:
    """Rows ordered as the pipeline runs (by the deals' ``stage_order``), not alphabetically,
    within the dimensions listed before ``stage``; stages without an order go last."""
    if frame.empty:
        return frame
    order = stage_orders(ctx.dataset)
    if order.empty:
        return frame
    before = dimensions[: dimensions.index("stage")]
    ranked = frame.assign(_stage_rank=frame["stage"].astype(object).map(order))
    ranked = ranked.sort_values([*before, "_stage_rank"], kind="stable", na_position="last")
    return ranked.drop(columns="_stage_rank").reset_index(drop=True)


def stage_orders(dataset: Dataset) -> pd.Series:
    """The lowest ``stage_order`` of each stage over all deals (stages without one left out),
    computed from the engine's cached stage codes once per dataset."""
    deals = metric_table(dataset, "deals")
    held = dataset.cache.get("report.stage_orders")
    if held is not None and held[0] is deals:
        return held[1]
    stage = deals.codes("stage")
    orders = pd.to_numeric(deals.column("stage_order"), errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan
    )
    ok = (stage.codes >= 0) & ~np.isnan(orders)
    lowest = np.full(len(stage.labels), np.inf)
    np.minimum.at(lowest, stage.codes[ok], orders[ok])
    seen = np.zeros(len(stage.labels), dtype=bool)
    seen[stage.codes[ok]] = True
    labels = np.asarray(stage.labels, dtype=object)[seen]
    result = pd.Series(lowest[seen], index=pd.Index(labels, dtype=object), dtype=np.float64)
    dataset.cache["report.stage_orders"] = (deals, result)
    return result


def _timeseries(block: TimeseriesBlock, ctx: BuildContext) -> BuiltBlock:
    comparison = ctx.comparison_for(block.comparison)
    granularity = block.granularity or ctx.granularity
    query = ctx.query(
        block.metrics, filters=block.filters, granularity=granularity, comparison=comparison
    )
    frame = run_query(ctx.dataset, query, ctx.catalogue, ctx.now)
    issues = _issues(frame)
    if "period" in frame.columns:
        frame = frame.sort_values("period", kind="stable")
    built = _metric_table(
        block.id,
        frame,
        ["period"],
        block.metrics,
        comparison is not None,
        ctx,
        period_header=GRANULARITY_HEADERS[granularity],
    )
    empty = _no_values(frame, block.metrics)
    return _finish(built, block.title, block.note, empty, issues=issues)


def _metric_table(
    table_id: str,
    frame: pd.DataFrame,
    dimensions: Sequence[str],
    metrics: Sequence[str],
    compared: bool,
    ctx: BuildContext,
    period_header: str = "Period",
) -> BuiltBlock:
    """Rename ``run_query`` output: dimension columns, then each metric's value columns."""
    frame = plain_values(frame.reset_index(drop=True))
    columns: dict[str, pd.Series] = {}
    headers: dict[str, str] = {}
    formats: dict[str, ColumnFormat] = {}
    deltas: dict[str, bool] = {}

    def add(key: str, header: str, fmt: ColumnFormat) -> str:
        header = _unique(header, columns)
        values = frame[key] if key in frame.columns else pd.Series(np.nan, index=frame.index)
        columns[header], headers[key], formats[header] = values, header, fmt
        return header

    for dim in dimensions:
        if dim == "period":
            add(dim, period_header, ColumnFormat(Fmt.DATE))
        elif dim == SCORECARD_LABEL_KEY:
            add(dim, SCORECARD_LABEL, ColumnFormat(Fmt.TEXT))
        else:
            add(dim, readable(dim), ColumnFormat(Fmt.TEXT))
    parts = VALUE_PARTS if compared else VALUE_PARTS[:1]
    for metric in metrics:
        mdef = ctx.catalogue.get(metric)
        own = metric_format(mdef.fmt, ctx.settings.currency)
        for suffix, word in parts:
            is_pct = suffix == "__delta_pct"
            fmt = ColumnFormat(Fmt.PERCENT) if is_pct else own
            header = add(metric + suffix, value_header(mdef.label, word, len(metrics) == 1), fmt)
            if suffix in ("__delta", "__delta_pct"):
                deltas[header] = mdef.up_is_good
    table = Table(
        id=table_id,
        frame=pd.DataFrame(columns, index=frame.index),
        formats=formats,
        delta_columns=deltas,
    )
    return BuiltBlock(table, headers)


def _funnel(block: FunnelBlock, ctx: BuildContext) -> BuiltBlock:
    frame = stage_funnel(ctx.dataset, ctx.query((), filters=block.filters), ctx.now)
    if not frame.empty:
        frame = frame.sort_values(["pipeline", "stage_order"], kind="stable")
    frame = plain_values(frame.reset_index(drop=True))
    keys = {
        "pipeline": ("Pipeline", ColumnFormat(Fmt.TEXT)),
        "stage": ("Stage", ColumnFormat(Fmt.TEXT)),
        "deals_entered": ("Deals entered", ColumnFormat(Fmt.INTEGER)),
        "conversion_to_next": ("Conversion to next stage", ColumnFormat(Fmt.PERCENT)),
        "avg_days_in_stage": ("Avg days in stage", ColumnFormat(Fmt.DAYS)),
    }
    out = pd.DataFrame(
        {header: frame[key] if key in frame.columns else None for key, (header, _) in keys.items()}
    )
    table = Table(block.id, out, formats={h: f for h, f in keys.values()})
    built = BuiltBlock(table, {key: header for key, (header, _) in keys.items()})
    return _finish(built, block.title, block.note, out.empty)


def _quality(block: QualityBlock, ctx: BuildContext) -> BuiltBlock:
    if block.check == QUALITY_SUMMARY:
        summary = quality_summary(ctx.dataset, ctx.now)
        labels = {cid: check.label for cid, check in QUALITY_CHECKS.items()}
        out = pd.DataFrame(
            {
                "Check": summary["check"].map(lambda c: labels.get(c, c)).astype(object),
                "Description": summary["description"],
                "Severity": summary["severity"],
                "Rows affected": summary["count"].astype("int64"),
            }
        )
        formats = {c: ColumnFormat(Fmt.TEXT) for c in out.columns}
        formats["Rows affected"] = ColumnFormat(Fmt.INTEGER)
        table = Table(block.id, out, formats=formats)
        built = BuiltBlock(table, {"check": "Check", "count": "Rows affected"})
        title = block.title or "Data quality summary"
        return _finish(built, title, block.note, False)
    check = QUALITY_CHECKS[block.check]
    rows = run_check(block.check, ctx.dataset, ctx.now)
    total = len(rows)
    rows = plain_values(rows.head(block.limit)).rename(columns=readable)
    table = Table(block.id, rows, formats={c: infer_format(rows[c]) for c in rows.columns})
    if total > len(rows):
        table.truncated_from = total
    counted = f"{total} row(s)" + (f", first {len(rows)} shown" if total > len(rows) else "")
    note = block.note or f"{check.description}. {counted}."
    built = BuiltBlock(table, {})
    return _finish(built, block.title or check.label, note, False)


def _finish(
    built: BuiltBlock,
    title: str | None,
    note: str | None,
    empty: bool,
    empty_note: str = NO_DATA_NOTE,
    issues: Sequence[str] = (),
) -> BuiltBlock:
    built.table.title = title
    notes = [n for n in (note, empty_note if empty else None) if n]
    built.table.note = " ".join(notes) or None
    built.issues = list(issues)
    return built


def _issues(frame: pd.DataFrame) -> list[str]:
    """What the engine had to leave out (e.g. amounts without an exchange rate), as text."""
    found = frame.attrs.get("issues") or []
    return [i.describe() if isinstance(i, DataIssue) else str(i) for i in found]


def _no_values(frame: pd.DataFrame, metrics: Sequence[str]) -> bool:
    """True when no metric has a non-zero value (an empty range, or no source data)."""
    present = [m for m in metrics if m in frame.columns]
    if frame.empty or not present:
        return True
    values = frame[present].apply(pd.to_numeric, errors="coerce")
    return bool(values.fillna(0).eq(0).all().all())


def _unique(header: str, taken: dict[str, pd.Series]) -> str:
    candidate, n = header, 2
    while candidate in taken:
        candidate, n = f"{header} ({n})", n + 1
    return candidate
