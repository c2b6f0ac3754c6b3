"""The query engine: metrics x dimensions x filters x date range x granularity x comparison.

:func:`run_query` resolves the query's range in its time zone, evaluates every metric's shapes
(:mod:`sheets_sync.metrics.evaluate`) for the range and, with a comparison, for the comparison
range, and assembles one frame: dimension columns, ``period`` (naive local start of each bucket)
when a granularity is set, one float column per metric and ``<id>__previous`` / ``__delta`` /
``__delta_pct`` with a comparison. Data problems met on the way (currencies without a rate) are
listed in ``result.attrs["issues"]``. :func:`stage_funnel` lives in
:mod:`sheets_sync.metrics.funnel` and is re-exported here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import numpy as np
import pandas as pd

from sheets_sync.dataset import Dataset
from sheets_sync.errors import MetricError
from sheets_sync.metrics.catalogue import Catalogue, MetricDef, load_catalogue
from sheets_sync.metrics.evaluate import ALL, Context, Window, evaluate
from sheets_sync.metrics.funnel import stage_funnel
from sheets_sync.metrics.periods import buckets, previous_range, resolve_range
from sheets_sync.metrics.query import COMPARISONS, GRANULARITIES, Query
from sheets_sync.metrics.shapes import is_additive
from sheets_sync.metrics.tables import suggest
from sheets_sync.model import TABLES, Kind

__all__ = ["run_query", "stage_funnel"]


def run_query(
    dataset: Dataset,
    query: Query,
    catalogue: Catalogue | None = None,
    now: datetime | pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Evaluate ``query`` on ``dataset``; see the module docstring for the result's shape."""
    catalogue = catalogue or _default_catalogue()
    metrics = [catalogue.get(m) for m in query.metrics]
    if not metrics:
        raise MetricError("a query needs at least one metric")
    _check(query, metrics)
    start, end = resolve_range(query.date_range, query.timezone, now)
    if query.date_range.preset == "all_time":
        start = min(end, _earliest(dataset, start))
    current, issues = _evaluate(dataset, query, metrics, start, end)
    if query.comparison:
        prev_start, prev_end = previous_range(start, end, query.comparison, query.timezone)
        previous, _ = _evaluate(dataset, query, metrics, prev_start, prev_end)
        current = _compare(current, previous, query, metrics, start, end, prev_start, prev_end)
    result = _finish(current, query)
    result.attrs["issues"] = issues
    return result


_CATALOGUE: list[Catalogue] = []


def _default_catalogue() -> Catalogue:
    if not _CATALOGUE:
        _CATALOGUE.append(load_catalogue())
    return _CATALOGUE[0]


def _check(query: Query, metrics: Sequence[MetricDef]) -> None:
    if query.granularity is not None and query.granularity not in GRANULARITIES:
        raise MetricError(
            f"unknown granularity {query.granularity!r}{suggest(query.granularity, GRANULARITIES)}"
            f"; use one of: {', '.join(GRANULARITIES)}"
        )
    if query.comparison is not None and query.comparison not in COMPARISONS:
        raise MetricError(
            f"unknown comparison {query.comparison!r}{suggest(query.comparison, COMPARISONS)}"
            f"; use one of: {', '.join(COMPARISONS)}"
        )
    if "period" in query.dimensions:
        raise MetricError("'period' is not a dimension; set the query's granularity instead")
    if len(set(query.dimensions)) != len(query.dimensions):
        raise MetricError(f"dimensions are repeated: {', '.join(query.dimensions)}")
    for metric in metrics:
        if metric.formula is None:
            raise MetricError(f"metric {metric.id!r} has no formula")


def _earliest(dataset: Dataset, fallback: pd.Timestamp) -> pd.Timestamp:
    """The earliest timestamp in the dataset (all_time starts there), cached per dataset."""
    key = "metrics.earliest"
    if key not in dataset.cache:
        found = []
        for name, tspec in TABLES.items():
            frame = dataset.table(name)
            for col in tspec.columns:
                if col.kind is Kind.DATETIME and col.name in frame.columns and len(frame):
                    low = frame[col.name].min()
                    if pd.notna(low):
                        found.append(low)
        dataset.cache[key] = min(found) if found else None
    earliest = dataset.cache[key]
    return fallback if earliest is None else max(fallback, pd.Timestamp(earliest).floor("D"))


def _evaluate(
    dataset: Dataset,
    query: Query,
    metrics: Sequence[MetricDef],
    start: pd.Timestamp,
    end: pd.Timestamp,
) -> tuple[pd.DataFrame, list]:
    """One frame indexed by the group keys with one column per metric, plus issues."""
    window = Window(start, end)
    if query.granularity:
        spans = buckets(start, end, query.granularity, query.timezone)
        window.labels = [label for label, _, _ in spans]
        window.bounds = [(lo, hi) for _, lo, hi in spans]
    ctx = Context(
        dataset,
        tuple(query.dimensions),
        dict(query.filters),
        window,
        query.currency,
        dict(query.currency_rates),
    )
    if query.granularity and not window.labels:
        # An empty range has no periods at all: the result is empty.
        empty = pd.DataFrame({m.id: pd.Series(dtype=float) for m in metrics})
        empty.index = pd.MultiIndex.from_arrays([[]] * len(ctx.keys), names=ctx.keys)
        return empty, ctx.issues
    series = {}
    for metric in metrics:
        try:
            assert metric.formula is not None
            series[metric.id] = evaluate(ctx, metric.formula)
        except MetricError as err:
            raise MetricError(f"metric {metric.id}: {err}") from None
    index = _full_index(list(series.values()), ctx)
    frame = pd.DataFrame(index=index)
    for metric in metrics:
        fill = 0.0 if is_additive(metric.formula) else np.nan  # type: ignore[arg-type]
        frame[metric.id] = series[metric.id].reindex(index, fill_value=fill).astype(float)
    return frame, ctx.issues


def _full_index(series: list[pd.Series], ctx: Context) -> pd.MultiIndex:
    """Every dimension combination seen by any metric, crossed with every period bucket."""
    keys = ctx.keys
    if keys == [ALL]:
        return pd.MultiIndex.from_arrays([[0]], names=keys)
    seen = series[0].index
    for other in series[1:]:
        seen = seen.union(other.index)
    if not ctx.window.periods:
        return seen
    periods = ctx.window.labels
    dims = list(ctx.dimensions)
    if not dims:
        return pd.MultiIndex.from_arrays([periods], names=["period"])
    if len(seen) == 0:
        return seen
    combos = seen.droplevel("period").unique()
    if not isinstance(combos, pd.MultiIndex):
        combos = pd.MultiIndex.from_arrays([combos], names=dims)
    count = len(periods)
    # Every combination crossed with every period, built from codes rather than tuples.
    return pd.MultiIndex(
        levels=[*combos.levels, pd.DatetimeIndex(periods)],
        codes=[
            *(np.repeat(c, count) for c in combos.codes),
            np.tile(np.arange(count), len(combos)),
        ],
        names=keys,
        verify_integrity=False,
    )


def _compare(
    current: pd.DataFrame,
    previous: pd.DataFrame,
    query: Query,
    metrics: Sequence[MetricDef],
    start: pd.Timestamp,
    end: pd.Timestamp,
    prev_start: pd.Timestamp,
    prev_end: pd.Timestamp,
) -> pd.DataFrame:
    """Add ``__previous``, ``__delta`` and ``__delta_pct``; periods align by position."""
    keys = list(current.index.names)
    before = previous.reset_index()
    if query.granularity:
        now_labels = [b[0] for b in buckets(start, end, query.granularity, query.timezone)]
        old_labels = [
            b[0] for b in buckets(prev_start, prev_end, query.granularity, query.timezone)
        ]
        moved = dict(zip(old_labels, now_labels))
        before["period"] = before["period"].map(moved)
        before = before[before["period"].notna()]
    ids = [m.id for m in metrics]
    renamed = before[keys + ids].rename(columns={i: f"{i}__previous" for i in ids})
    out = current.reset_index().merge(renamed, on=keys, how="left")
    for metric in metrics:
        prior = out[f"{metric.id}__previous"].astype(float)
        if is_additive(metric.formula):  # type: ignore[arg-type]
            # A group absent from the previous range had nothing: 0 for counts and sums.
            prior = prior.fillna(0.0)
        delta = out[metric.id] - prior
        out[f"{metric.id}__previous"] = prior
        out[f"{metric.id}__delta"] = delta
        out[f"{metric.id}__delta_pct"] = delta / prior.abs().where(prior != 0)
    ordered = keys + [f"{i}{suffix}" for i in ids for suffix in ("", *_SUFFIXES)]
    return out[ordered].set_index(keys)


_SUFFIXES = ("__previous", "__delta", "__delta_pct")


def _finish(frame: pd.DataFrame, query: Query) -> pd.DataFrame:
    result = frame.reset_index()
    if ALL in result.columns:
        result = result.drop(columns=[ALL])
    if "period" in result.columns and not pd.api.types.is_datetime64_dtype(result["period"]):
        result["period"] = pd.to_datetime(result["period"])
    keys = [k for k in (*query.dimensions, "period") if k in result.columns]
    if query.sort:
        column = query.sort.removeprefix("-")
        if column not in result.columns:
            raise MetricError(
                f"cannot sort by {column!r}: not a metric or dimension of the query"
                f"{suggest(column, result.columns)}"
            )
        result = result.sort_values(
            column, ascending=not query.sort.startswith("-"), kind="stable", na_position="last"
        )
    elif keys:
        result = result.sort_values(keys, kind="stable", na_position="last")
    if query.limit is not None:
        result = result.head(query.limit)
    return result.reset_index(drop=True)
