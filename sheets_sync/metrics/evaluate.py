"""Evaluate metric shapes over a dataset for one range, grouped by dimensions and periods.

Each :class:`~sheets_sync.metrics.shapes.Agg` becomes a handful of numpy operations on the
cached integer views of :mod:`sheets_sync.metrics.tables`: a boolean row mask, one combined
integer group key, and ``np.bincount``. Results are small pandas Series indexed by the group
key values, which the combinators (ratio, complement...) align by index.

Period buckets of date-in-range metrics come from one ``searchsorted`` of the row timestamps on
the bucket boundaries. Snapshots at the end of every period are one pass too (running sums over
the period ends); cohort metrics (active at the start of each period) take one pass per period.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sheets_sync.dataset import Dataset
from sheets_sync.errors import MetricError
from sheets_sync.issues import DataIssue
from sheets_sync.metrics.money import conversion_factors
from sheets_sync.metrics.shapes import (
    Agg,
    Complement,
    InRange,
    Lifecycle,
    Node,
    PerMonth,
    Ratio,
    Value,
    Where,
    is_additive,
)
from sheets_sync.metrics.tables import NAT, Codes, MetricTable, metric_table

ALL = "_all"  # the single group key of a query without dimensions or periods
DAYS_PER_MONTH = 30.4375
_NS_PER = {"days": 86_400e9, "hours": 3_600e9}
_MAX_DENSE_GROUPS = 20_000_000


@dataclass
class Window:
    """The range a query is evaluated over and its period buckets (``labels``, UTC bounds)."""

    start: pd.Timestamp
    end: pd.Timestamp
    labels: list[pd.Timestamp] = field(default_factory=list)
    bounds: list[tuple[pd.Timestamp, pd.Timestamp]] = field(default_factory=list)

    @property
    def periods(self) -> bool:
        return bool(self.labels)


@dataclass
class Context:
    """Everything one evaluation needs: data, grouping, filters, range and currency."""

    dataset: Dataset
    dimensions: tuple[str, ...]
    filters: Mapping[str, Any]
    window: Window
    currency: str | None = None
    rates: Mapping[str, float] = field(default_factory=dict)
    issues: list[DataIssue] = field(default_factory=list)
    _masks: dict[str, np.ndarray] = field(default_factory=dict)
    _money: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)

    @property
    def keys(self) -> list[str]:
        """Names of the group keys of every result Series."""
        keys = list(self.dimensions) + (["period"] if self.window.periods else [])
        return keys or [ALL]

    def table(self, name: str) -> MetricTable:
        return metric_table(self.dataset, name)

    def filter_mask(self, name: str) -> np.ndarray:
        """Rows of table ``name`` that pass the query filters (computed once per table)."""
        if name not in self._masks:
            table = self.table(name)
            mask = np.ones(len(table), dtype=bool)
            for dim, wanted in self.filters.items():
                mask &= matches(table.dimension(dim), wanted)
            self._masks[name] = mask
        return self._masks[name]

    def money(self, table: MetricTable, column: str) -> np.ndarray:
        """``column`` converted to the report currency; rows that cannot be converted are NaN."""
        key = (table.name, column)
        if key not in self._money:
            values = table.column(column).to_numpy(dtype=np.float64, na_value=np.nan)
            factors, issues = conversion_factors(table, values, self.currency, self.rates)
            self._money[key] = values * factors
            self.issues.extend(issues)
        return self._money[key]


def matches(codes: Codes, wanted: Any) -> np.ndarray:
    """Rows whose value is ``wanted`` (or any of a list of values; ``None`` matches missing)."""
    values = list(wanted) if isinstance(wanted, list | tuple | set | frozenset) else [wanted]
    present = [v for v in values if v is not None]
    labels = pd.Index(codes.labels)
    allowed = [int(i) for i in labels.get_indexer(pd.Index(present, dtype=object)) if i >= 0]
    if present:
        # Compare as text too, so a filter value 2024 matches a label "2024" and vice versa.
        text = pd.Index([str(v) for v in present])
        allowed += [int(i) for i in pd.Index(labels.astype(str)).get_indexer(text) if i >= 0]
    if any(v is None for v in values):
        allowed.append(-1)
    return np.isin(codes.codes, np.array(sorted(set(allowed)), dtype=np.int64))


def _where_mask(table: MetricTable, cond: Where) -> np.ndarray:
    """Rows matching ``cond``, cached on the table (callers must not modify the array)."""
    if cond not in table.masks:
        table.masks[cond] = _compute_where(table, cond)
    return table.masks[cond]


def _compute_where(table: MetricTable, cond: Where) -> np.ndarray:
    series = table.column(cond.column)
    if cond.op in ("set", "missing"):
        present = series.notna().to_numpy()
        return present if cond.op == "set" else ~present
    if cond.op in ("gt", "gte", "lt", "lte"):
        numbers = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        bound = float(cond.values[0])
        with np.errstate(invalid="ignore"):
            return {
                "gt": numbers > bound,
                "gte": numbers >= bound,
                "lt": numbers < bound,
                "lte": numbers <= bound,
            }[cond.op]
    codes = table.codes(cond.column)
    hit = matches(codes, list(cond.values) + ([None] if cond.include_missing else []))
    if cond.op == "not_in":
        return ~hit & (codes.codes >= 0)
    return hit


def _active(table: MetricTable, life: Lifecycle, at: pd.Timestamp) -> np.ndarray:
    begins = table.times(life.begins)
    ends = table.times(life.ends)
    instant = at.value
    still_open = ends == NAT if life.still_open is None else _where_mask(table, life.still_open)
    return (begins != NAT) & (begins < instant) & (still_open | (ends >= instant))


def _lifecycle_mask(table: MetricTable, life: Lifecycle, start, end) -> np.ndarray:
    if life.mode == "active_at_end":
        return _active(table, life, end)
    at_start = _active(table, life, start)
    if life.mode == "active_at_start":
        return at_start
    if life.mode == "survived":
        return at_start & _active(table, life, end)
    return at_start & ~_active(table, life, end)


def _values(ctx: Context, table: MetricTable, value: Value) -> np.ndarray:
    if value.since is not None:
        late, early = table.times(value.column), table.times(value.since)
        out = (late - early).astype(np.float64) / _NS_PER[value.unit]
        out[(late == NAT) | (early == NAT)] = np.nan
    elif value.money:
        out = ctx.money(table, value.column)
    else:
        series = pd.to_numeric(table.column(value.column), errors="coerce")
        out = series.to_numpy(dtype=np.float64, na_value=np.nan)
    if value.times is not None:
        factor = pd.to_numeric(table.column(value.times), errors="coerce")
        out = out * factor.to_numpy(dtype=np.float64, na_value=np.nan)
    return out


def _reduce(
    agg: Agg,
    keys: Sequence[Codes],
    names: Sequence[str],
    values: np.ndarray | None,
    distinct: Codes | None,
) -> pd.Series:
    """Aggregate selected rows by their group key codes (a -1 code is a missing label)."""
    sizes = [len(k.labels) + 1 for k in keys]
    if int(np.prod(sizes, dtype=np.float64)) <= _MAX_DENSE_GROUPS:
        slot = np.zeros(len(keys[0].codes) if keys else 0, dtype=np.int64)
        for k, size in zip(keys, sizes, strict=True):
            # Shift codes by one so the missing label gets slot 0 of each key.
            slot = slot * size + (k.codes + 1)
        total = int(np.prod(sizes))
        inverse, groups = slot, None
    else:
        uniq, inverse = np.unique(np.stack([k.codes for k in keys]), axis=1, return_inverse=True)
        total, groups = uniq.shape[1], uniq
    if agg.kind == "count":
        result: np.ndarray = np.bincount(inverse, minlength=total).astype(np.float64)
        seen = result > 0
    elif agg.kind == "distinct":
        assert distinct is not None
        ok = distinct.codes >= 0
        width = max(len(distinct.labels), 1)
        pair = inverse[ok].astype(np.int64) * width + distinct.codes[ok]
        if total * width <= _MAX_DENSE_GROUPS:
            # A presence grid (group x value) is cheaper than sorting when it is small.
            grid = np.zeros(total * width, dtype=bool)
            grid[pair] = True
            result = grid.reshape(total, width).sum(axis=1).astype(np.float64)
        else:
            result = np.bincount(np.unique(pair) // width, minlength=total).astype(np.float64)
        seen = np.bincount(inverse, minlength=total) > 0
    else:
        assert values is not None
        present = ~np.isnan(values)
        sums = np.bincount(inverse, weights=np.where(present, values, 0.0), minlength=total)
        counts = np.bincount(inverse, weights=present, minlength=total)
        seen = np.bincount(inverse, minlength=total) > 0
        if agg.kind == "sum":
            result = sums
        else:
            with np.errstate(invalid="ignore", divide="ignore"):
                result = np.where(counts > 0, sums / np.where(counts > 0, counts, 1), np.nan)
    observed = np.flatnonzero(seen)
    if groups is None:
        columns, rest = [], observed
        for size in reversed(sizes):
            columns.append(rest % size - 1)
            rest = rest // size
        columns.reverse()
    else:
        columns = [groups[i][observed] for i in range(len(keys))]
    # Build the index from the codes we hold: no re-factorising of label arrays.
    index = pd.MultiIndex(
        levels=[pd.Index(k.labels) for k in keys],
        codes=[np.asarray(c, dtype=np.int64) for c in columns],
        names=list(names),
        verify_integrity=False,
    )
    return pd.Series(result[observed], index=index, dtype=np.float64)


def with_missing(labels: np.ndarray) -> np.ndarray:
    """``labels`` as objects followed by ``None``, so that code -1 reads as missing."""
    return np.concatenate([np.asarray(labels, dtype=object), np.array([None], dtype=object)])


def _evaluate_agg(ctx: Context, agg: Agg) -> pd.Series:
    table = ctx.table(agg.table)
    base = ctx.filter_mask(agg.table).copy()
    for cond in agg.where:
        base &= _where_mask(table, cond)
    dims = [table.dimension(d) for d in ctx.dimensions]
    values = _values(ctx, table, agg.value) if agg.value is not None else None
    distinct = None
    if agg.kind == "distinct":
        if agg.column is None:
            raise MetricError(f"a distinct count on {agg.table} needs a column")
        distinct = table.codes(agg.column)
    win = ctx.window
    parts: list[tuple[np.ndarray, Codes | None]] = []
    if isinstance(agg.window, InRange):
        stamps = table.times(agg.window.field)
        rows = np.flatnonzero(base & (stamps >= win.start.value) & (stamps < win.end.value))
        period = None
        if win.periods:
            edges = np.array([lo.value for lo, _ in win.bounds], dtype=np.int64)
            period = Codes(
                np.searchsorted(edges, stamps[rows], side="right").astype(np.int64) - 1,
                np.array(win.labels, dtype=object),
            )
        parts.append((rows, period))
    else:
        if win.periods and agg.window.mode == "active_at_end" and agg.kind != "distinct":
            fast = _snapshots(ctx, table, agg, base, dims, values)
            if fast is not None:
                return fast
        spans = win.bounds if win.periods else [(win.start, win.end)]
        for i, (lo, hi) in enumerate(spans):
            rows = np.flatnonzero(base & _lifecycle_mask(table, agg.window, lo, hi))
            period = None
            if win.periods:
                period = Codes(
                    np.full(len(rows), i, dtype=np.int64), np.array(win.labels, dtype=object)
                )
            parts.append((rows, period))
    pieces = []
    for rows, period in parts:
        keys = [Codes(d.codes[rows], d.labels) for d in dims]
        if period is not None:
            keys.append(period)
        if not keys:
            keys = [Codes(np.zeros(len(rows), dtype=np.int64), np.array([0], dtype=object))]
        pieces.append(
            _reduce(
                agg,
                keys,
                ctx.keys,
                None if values is None else values[rows],
                None if distinct is None else Codes(distinct.codes[rows], distinct.labels),
            )
        )
    return pd.concat(pieces) if len(pieces) > 1 else pieces[0]


def _snapshots(
    ctx: Context,
    table: MetricTable,
    agg: Agg,
    base: np.ndarray,
    dims: Sequence[Codes],
    values: np.ndarray | None,
) -> pd.Series | None:
    """A snapshot metric at the end of every period in one pass, or ``None`` if too many groups.

    Each row is active over a run of consecutive period ends: from the first end after it began
    to the last end on or before it ended (all of them while it is still open). Adding +w at the
    run's first period and -w after its last, then a running sum along the periods, gives every
    snapshot without one pass over the table per period.
    """
    assert isinstance(agg.window, Lifecycle)
    life, win = agg.window, ctx.window
    sizes = [len(d.labels) + 1 for d in dims]
    groups = int(np.prod(sizes, dtype=np.float64)) if dims else 1
    width = len(win.bounds) + 1
    if groups * width > _MAX_DENSE_GROUPS:
        return None
    begins, ends = table.times(life.begins), table.times(life.ends)
    still_open = ends == NAT if life.still_open is None else _where_mask(table, life.still_open)
    rows = np.flatnonzero(base & (begins != NAT))
    instants = np.array([hi.value for _, hi in win.bounds], dtype=np.int64)
    last = np.where(still_open[rows], np.iinfo(np.int64).max, ends[rows])
    first_on = np.searchsorted(instants, begins[rows], side="right")
    first_off = np.searchsorted(instants, last, side="right")
    live = first_on < first_off
    rows, first_on, first_off = rows[live], first_on[live], first_off[live]
    slot = np.zeros(len(rows), dtype=np.int64)
    for d, size in zip(dims, sizes, strict=True):
        slot = slot * size + (d.codes[rows] + 1)  # +1: the missing label takes slot 0

    def running(weights: np.ndarray | None) -> np.ndarray:
        start = np.bincount(slot * width + first_on, weights, minlength=groups * width)
        stop = np.bincount(slot * width + first_off, weights, minlength=groups * width)
        return np.cumsum((start - stop).reshape(groups, width), axis=1)[:, :-1]

    counts = running(None)
    if agg.kind == "count":
        result = counts.astype(np.float64)
    else:
        assert values is not None
        picked = values[rows]
        present = ~np.isnan(picked)
        sums = running(np.where(present, picked, 0.0))
        if agg.kind == "sum":
            result = sums
        else:
            known = running(present.astype(np.float64))
            with np.errstate(invalid="ignore", divide="ignore"):
                result = np.where(known > 0.5, sums / np.where(known > 0.5, known, 1), np.nan)
    group, period = np.nonzero(counts > 0)
    codes, rest = [], group
    for size in reversed(sizes):
        codes.append(rest % size - 1)
        rest = rest // size
    codes.reverse()
    index = pd.MultiIndex(
        levels=[*(pd.Index(d.labels) for d in dims), pd.Index(win.labels)],
        codes=[*codes, period],
        names=ctx.keys,
        verify_integrity=False,
    )
    return pd.Series(result[group, period], index=index, dtype=np.float64)


def _window_days(ctx: Context, index: pd.MultiIndex) -> np.ndarray:
    win = ctx.window
    if not win.periods:
        return np.full(len(index), (win.end - win.start) / pd.Timedelta(days=1))
    days = {lab: (hi - lo) / pd.Timedelta(days=1) for lab, (lo, hi) in zip(win.labels, win.bounds)}
    return np.array([days[p] for p in index.get_level_values("period")], dtype=np.float64)


def evaluate(ctx: Context, node: Node) -> pd.Series:
    """Evaluate ``node``: a float Series indexed by the group keys of ``ctx``."""
    if isinstance(node, Agg):
        return _evaluate_agg(ctx, node)
    if isinstance(node, Ratio):
        num, den = evaluate(ctx, node.num), evaluate(ctx, node.den)
        index = num.index.union(den.index) if len(num) or len(den) else num.index
        num = num.reindex(index, fill_value=0.0 if is_additive(node.num) else np.nan)
        den = den.reindex(index, fill_value=0.0 if is_additive(node.den) else np.nan)
        return num / den.where(den != 0) * node.scale
    if isinstance(node, Complement):
        return 1.0 - evaluate(ctx, node.of)
    if isinstance(node, PerMonth):
        rate = evaluate(ctx, node.of)
        return rate * DAYS_PER_MONTH / _window_days(ctx, rate.index)  # type: ignore[arg-type]
    raise MetricError(f"unsupported metric shape {type(node).__name__}")
