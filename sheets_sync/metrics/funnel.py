"""Stage-to-stage funnel from deal stage history.

For every (pipeline, stage) entered in the range, :func:`stage_funnel` reports how many distinct
deals entered it, the share of those that later reached a stage with a higher ``stage_order``
(missing for terminal stages: the pipeline's last, or one no deal ever left), and the mean days
deals spent in it before their next stage change (deals still in the stage are left out of that
mean). Query filters apply to the deals (through the deal's dimensions); the query's metrics,
dimensions and granularity are ignored.

Everything that does not depend on the query (history sorted by deal and time, each entry's
deal, pipeline and stage as integers, days to the next entry, whether the deal later reached a
higher stage) is computed once per dataset and cached in ``dataset.cache``; a query then only
selects entries and aggregates them by integer group.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from sheets_sync.dataset import Dataset
from sheets_sync.metrics.evaluate import matches, with_missing
from sheets_sync.metrics.periods import resolve_range
from sheets_sync.metrics.query import Query
from sheets_sync.metrics.tables import NAT, MetricTable, metric_table

COLUMNS = [
    "pipeline",
    "stage",
    "stage_order",
    "deals_entered",
    "conversion_to_next",
    "avg_days_in_stage",
]


@dataclass(frozen=True)
class _Steps:
    """Every stage entry of the history, sorted by deal then time, with what does not depend
    on the query: computed once per dataset."""

    deal_key: np.ndarray  # the deal's row in the deals table; unknown deals get keys after those
    deal_row: np.ndarray  # the deal's row in the deals table, -1 when unknown
    stamp: np.ndarray  # entered_at as int64 UTC nanoseconds, NAT when missing
    stage_order: np.ndarray
    group: np.ndarray  # (pipeline code + 1) * width + (stage code + 1)
    width: int
    days: np.ndarray  # days until the deal's next stage entry, NaN when none
    advanced: np.ndarray  # a later entry of the same deal has a higher stage_order
    pipeline_labels: np.ndarray
    stage_labels: np.ndarray
    last_order: np.ndarray  # highest stage_order per pipeline code + 1, whole history
    ever_left: np.ndarray  # per group: some deal moved on from it, whole history


def stage_funnel(
    dataset: Dataset, query: Query, now: datetime | pd.Timestamp | None = None
) -> pd.DataFrame:
    """The stage funnel of the deals that entered stages in the query's range."""
    if len(metric_table(dataset, "deal_stage_history")) == 0:
        return pd.DataFrame({c: pd.Series(dtype=float) for c in COLUMNS}).astype(
            {"pipeline": object, "stage": object}
        )
    start, end = resolve_range(query.date_range, query.timezone, now)
    deals = metric_table(dataset, "deals")
    keep = np.ones(len(deals), dtype=bool)
    for dim, wanted in query.filters.items():
        keep &= matches(deals.dimension(dim), wanted)
    steps = _steps(dataset)
    kept = np.append(keep, False)[steps.deal_row]  # row -1 (unknown deal) picks the False
    rows = np.flatnonzero(kept & (steps.stamp >= start.value) & (steps.stamp < end.value))
    group = steps.group[rows]
    stats = (
        pd.DataFrame({"stage_order": steps.stage_order[rows], "days": steps.days[rows]})
        .groupby(group, sort=True)
        .agg(stage_order=("stage_order", "median"), avg_days_in_stage=("days", "mean"))
    )
    slots = stats.index.to_numpy(dtype=np.int64)
    entered = _distinct_per_group(group, steps.deal_key[rows], slots)
    moved_on = rows[steps.advanced[rows]]
    converted = _distinct_per_group(steps.group[moved_on], steps.deal_key[moved_on], slots)
    out = pd.DataFrame(
        {
            "pipeline_code": slots // steps.width - 1,
            "stage_code": slots % steps.width - 1,
            "stage_order": stats["stage_order"].to_numpy(dtype=np.float64),
            "deals_entered": entered.astype(np.float64),
            "conversion_to_next": converted / np.maximum(entered, 1),
            "avg_days_in_stage": stats["avg_days_in_stage"].to_numpy(dtype=np.float64),
        }
    )
    # Terminal stages (the pipeline's last one, or one no deal ever left, such as Closed Won)
    # have no next stage; both facts come from the whole history, not only this range's.
    final = steps.last_order[out["pipeline_code"].to_numpy() + 1]
    with np.errstate(invalid="ignore"):
        terminal = (out["stage_order"].to_numpy() >= final) | ~steps.ever_left[slots]
    out.loc[terminal, "conversion_to_next"] = np.nan
    return _shape(out, steps.pipeline_labels, steps.stage_labels)


def _steps(dataset: Dataset) -> _Steps:
    """The query-independent :class:`_Steps` of ``dataset``, cached until a table changes."""
    history, deals = metric_table(dataset, "deal_stage_history"), metric_table(dataset, "deals")
    key = (history.source_id, deals.source_id)
    cached = dataset.cache.get(_CACHE_KEY)
    if cached is None or cached[0] != key:
        cached = dataset.cache[_CACHE_KEY] = (key, _prepare(history, deals))
    return cached[1]


_CACHE_KEY = "metrics.funnel.steps"
_NS_PER_DAY = 86_400e9


def _prepare(history: MetricTable, deals: MetricTable) -> _Steps:
    # Millions of entries: every full-length temporary costs, so arrays are reused, narrow
    # integer types are used where they fit, and already-sorted history is not reordered.
    position = history.rows_in(deals, "deal_id")
    # Keys past the deals' rows are added below for unknown deals: at most one per entry.
    wide = len(deals) + len(position) >= np.iinfo(np.int32).max
    deal_key = position.astype(np.int64 if wide else np.int32)
    orphans = position < 0
    if orphans.any():
        ids = history.column("deal_id")[orphans]  # a reference: factorised by its codes
        deal_key[orphans] = len(deals) + pd.factorize(ids)[0]
    stamp = history.times("entered_at")
    stage_order = pd.to_numeric(history.column("stage_order"), errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan
    )
    stage_codes = history.codes("stage").codes
    order = _by_deal_then_time(deal_key, stamp)
    if order is not None:
        deal_key, stamp, position = deal_key[order], stamp[order], position[order]
        stage_order, stage_codes = stage_order[order], stage_codes[order]
    if deals.has_column("pipeline"):
        pipeline = deals.codes("pipeline")
        pipeline_labels = pipeline.labels
        # Row -1 (unknown deal) picks the trailing -1.
        pipe = np.append(pipeline.codes, -1).astype(np.int32)[position]
    else:
        pipeline_labels = np.array([], dtype=object)
        pipe = np.full(len(position), -1, dtype=np.int32)
    stage_labels = history.codes("stage").labels
    width = len(stage_labels) + 1
    group = pipe + 1
    group *= width
    group += (stage_codes + 1).astype(np.int32)
    n = len(deal_key)
    same = deal_key[1:] == deal_key[:-1]  # entry i and i + 1 belong to the same deal
    left = np.zeros(n, dtype=bool)  # the deal moved on to a dated next entry
    left[:-1] = same & (stamp[1:] != NAT)
    known = left.copy()
    known[:-1] &= stamp[:-1] != NAT
    days = np.full(n, np.nan)
    if n > 1:
        # One int64 temporary: the gap to the next entry, in days where the deal moved on.
        gap = np.subtract(stamp[1:], stamp[:-1])
        np.divide(gap, _NS_PER_DAY, out=days[:-1], where=known[:-1])
        del gap
    last_order = np.full(len(pipeline_labels) + 1, np.nan)
    np.fmax.at(last_order, pipe + 1, stage_order)
    ever_left = np.zeros((len(pipeline_labels) + 1) * width, dtype=bool)
    ever_left[group[left]] = True
    return _Steps(
        deal_key=deal_key,
        deal_row=position,
        stamp=stamp,
        stage_order=stage_order,
        group=group,
        width=width,
        days=days,
        advanced=_advances(same, stage_order),
        pipeline_labels=np.asarray(pipeline_labels),
        stage_labels=np.asarray(stage_labels),
        last_order=last_order,
        ever_left=ever_left,
    )


def _advances(same: np.ndarray, stage_order: np.ndarray) -> np.ndarray:
    """For each entry (sorted by deal, then time; ``same[i]``: entries i and i + 1 share a deal)
    whether the deal later reached a higher stage_order. Like a grouped reversed running
    maximum shifted by one, a missing order never counts and the entry right after a missing
    one sees nothing (the running maximum is missing there).

    One reversed running maximum over the whole array: each deal's stage orders are ranked and
    offset above every deal after it, so the maximum never carries from one deal into another.
    """
    n = len(stage_order)
    if n == 0:
        return np.zeros(0, dtype=bool)
    missing = np.isnan(stage_order)
    # Few distinct orders: hash them, sort those, then rank every entry by binary search.
    values = pd.unique(stage_order)  # hashed in place: no copy of the present entries
    values = np.sort(values[~np.isnan(values)])
    span = len(values) + 1
    deals = int(n - np.count_nonzero(same))
    # 32-bit keys halve the memory traffic whenever deals x distinct orders fit in them.
    wide = np.dtype(np.int64 if deals * span >= np.iinfo(np.int32).max else np.int32)
    rank: np.ndarray = np.searchsorted(values, stage_order).astype(wide)
    rank += 1
    rank[missing] = 0  # below every order: never raises the maximum
    starts = np.ones(n, dtype=bool)
    starts[1:] = ~same
    offset: np.ndarray = np.cumsum(starts, dtype=wide)
    np.subtract(deals, offset, out=offset)
    offset *= span
    running = np.maximum.accumulate((rank + offset)[::-1])[::-1]
    running -= offset
    advanced = np.zeros(n, dtype=bool)
    advanced[:-1] = same & ~missing[1:] & ~missing[:-1] & (running[1:] > rank[:-1])
    return advanced


def _by_deal_then_time(deal_key: np.ndarray, stamp: np.ndarray) -> np.ndarray | None:
    """The order that sorts entries by deal, then time, ties kept in table order; ``None``
    when they are in that order already (sources usually list history that way)."""
    if len(deal_key) < 2:
        return None
    earlier, later = deal_key[:-1], deal_key[1:]
    if (later >= earlier).all():
        same = later == earlier
        if not (stamp[1:][same] < stamp[:-1][same]).any():
            return None
    return np.lexsort((stamp, deal_key))


def _distinct_per_group(group: np.ndarray, deal_key: np.ndarray, slots: np.ndarray) -> np.ndarray:
    """Distinct deals per group, for each group in ``slots`` (every group of ``group`` is one
    of them)."""
    if len(slots) == 0 or len(group) == 0:
        return np.zeros(len(slots), dtype=np.int64)
    column = np.full(int(slots.max()) + 1, -1, dtype=np.int64)
    column[slots] = np.arange(len(slots))
    first = int(deal_key.min())
    cell = (deal_key.astype(np.int64) - first) * len(slots) + column[group]
    cells = (int(deal_key.max()) - first + 1) * len(slots)
    if cells <= _MAX_GRID_CELLS:
        # A deal x group presence grid: no sort, no hashing.
        grid = np.zeros(cells, dtype=bool)
        grid[cell] = True
        return np.count_nonzero(grid.reshape(-1, len(slots)), axis=0).astype(np.int64)
    cell.sort()
    distinct = cell[np.append(True, cell[1:] != cell[:-1])]
    return np.bincount(distinct % len(slots), minlength=len(slots))


_MAX_GRID_CELLS = 200_000_000


def _shape(out: pd.DataFrame, pipeline_labels: np.ndarray, stage_labels: np.ndarray):
    """Order rows by pipeline, stage_order, stage (labels sorted as text, missing last) and
    turn codes back into labels (``None`` when missing)."""
    pipes, stages = _ranked(pipeline_labels), _ranked(stage_labels)
    pipe_code = out["pipeline_code"].to_numpy(dtype=np.int64)
    stage_code = out["stage_code"].to_numpy(dtype=np.int64)
    order = np.lexsort((stages[1][stage_code], out["stage_order"].to_numpy(), pipes[1][pipe_code]))
    result = out.iloc[order].reset_index(drop=True)
    result.insert(0, "pipeline", pipes[0][pipe_code[order]])
    result.insert(1, "stage", stages[0][stage_code[order]])
    return result[COLUMNS]


def _ranked(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Labels as objects and each label's sort rank, both followed by the missing entry, so
    that code -1 reads ``None`` and ranks after every label."""
    rank = pd.Categorical(np.asarray(labels, dtype=object)).codes.astype(np.int64)
    return with_missing(labels), np.append(rank, len(labels))
