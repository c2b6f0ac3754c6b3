"""The straightforward pandas stage funnel the fast one in sheets_sync.metrics.funnel must match.

It groups strings and runs grouped cumulative maxima row by row, so it is slow on large data
but easy to check by eye. Same semantics as the product version:

For every (pipeline, stage) entered in the range, :func:`reference_funnel` reports how many distinct
deals entered it, the share of those that later reached a stage with a higher ``stage_order``
(missing for terminal stages: the pipeline's last, or one no deal ever left), and the mean days
deals spent in it before their next stage change (deals still in the stage are left out of that
mean). Query filters apply to the deals (through the deal's dimensions); the query's metrics,
dimensions and granularity are ignored.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

from sheets_sync.dataset import Dataset
from sheets_sync.metrics.evaluate import matches, with_missing
from sheets_sync.metrics.periods import resolve_range
from sheets_sync.metrics.query import Query
from sheets_sync.metrics.tables import metric_table

COLUMNS = [
    "pipeline",
    "stage",
    "stage_order",
    "deals_entered",
    "conversion_to_next",
    "avg_days_in_stage",
]


def reference_funnel(
    dataset: Dataset, query: Query, now: datetime | pd.Timestamp | None = None
) -> pd.DataFrame:
    """The stage funnel of the deals that entered stages in the query's range."""
    history = dataset.table("deal_stage_history")
    if history.empty:
        return pd.DataFrame({c: pd.Series(dtype=float) for c in COLUMNS}).astype(
            {"pipeline": object, "stage": object}
        )
    start, end = resolve_range(query.date_range, query.timezone, now)
    deals = metric_table(dataset, "deals")
    keep = np.ones(len(deals), dtype=bool)
    for dim, wanted in query.filters.items():
        keep &= matches(deals.dimension(dim), wanted)
    index = pd.Index(deals.frame["deal_id"])
    position = index.get_indexer(history["deal_id"])
    pipelines = deals.codes("pipeline") if deals.has_column("pipeline") else None
    # Deals are keyed by integers (their row in the deals table; history rows whose deal is
    # unknown get keys after those): sorting and grouping integers is far cheaper than strings.
    deal_key = position.astype(np.int64)
    orphans = deal_key < 0
    if orphans.any():
        deal_key[orphans] = len(index) + pd.factorize(history["deal_id"].to_numpy()[orphans])[0]
    entered_at = pd.to_datetime(history["entered_at"], utc=True)
    stamp = entered_at.to_numpy(dtype="datetime64[ns]").view(np.int64)
    order = np.lexsort((stamp, deal_key))
    frame = pd.DataFrame(
        {
            "deal_id": deal_key[order],
            "stage": pd.Categorical(history["stage"].astype(object).to_numpy()[order]),
            "stage_order": pd.to_numeric(history["stage_order"], errors="coerce")
            .astype(float)
            .to_numpy()[order],
            "entered_at": entered_at.array[order],
            "pipeline": pd.Categorical(_labels_at(pipelines, position)[order]),
            "kept": np.where(position >= 0, keep[np.clip(position, 0, None)], False)[order],
        }
    )
    same_deal_next = np.append(
        frame["deal_id"].to_numpy()[1:] == frame["deal_id"].to_numpy()[:-1], False
    )
    next_at = frame["entered_at"].shift(-1)
    frame["next_at"] = next_at.where(same_deal_next)
    # The highest stage reached after each entry: a reversed running max, shifted by one.
    backwards = frame.iloc[::-1]
    running = backwards.groupby("deal_id", sort=False)["stage_order"].cummax()
    frame["max_later"] = running.groupby(backwards["deal_id"], sort=False).shift(1)
    entered = frame["entered_at"]
    in_range = frame["kept"] & (entered >= start) & (entered < end)
    rows = frame[in_range].copy()
    rows["days"] = (rows["next_at"] - rows["entered_at"]) / pd.Timedelta(days=1)
    rows["advanced"] = rows["max_later"] > rows["stage_order"]
    grouped = rows.groupby(["pipeline", "stage"], dropna=False, sort=False, observed=True)
    out = grouped.agg(
        stage_order=("stage_order", "median"),
        deals_entered=("deal_id", "nunique"),
        advanced=("advanced", "sum"),
        avg_days_in_stage=("days", "mean"),
    ).reset_index()
    distinct_advanced = (
        rows[rows["advanced"]]
        .groupby(["pipeline", "stage"], dropna=False, observed=True)["deal_id"]
        .nunique()
    )
    out["advanced"] = pd.MultiIndex.from_frame(out[["pipeline", "stage"]]).map(
        distinct_advanced.to_dict().get
    )
    out["conversion_to_next"] = out["advanced"].astype(float).fillna(0) / out["deals_entered"]
    # Terminal stages (the pipeline's last one, or one no deal ever left, such as Closed Won)
    # have no next stage; both facts come from the whole history, not only this range's.
    last = frame.groupby("pipeline", dropna=False, observed=True)["stage_order"].max()
    final = out["pipeline"].map(last.to_dict()).astype(float)
    left = (
        frame["next_at"]
        .notna()
        .groupby([frame["pipeline"], frame["stage"]], dropna=False, observed=True)
        .any()
    )
    ever_left = pd.MultiIndex.from_frame(out[["pipeline", "stage"]]).map(left.to_dict().get)
    terminal = (out["stage_order"] >= final) | ~pd.Series(ever_left, index=out.index).fillna(False)
    out.loc[terminal, "conversion_to_next"] = np.nan
    out = out.sort_values(["pipeline", "stage_order", "stage"], kind="stable", na_position="last")
    out["deals_entered"] = out["deals_entered"].astype(float)
    for label in ("pipeline", "stage"):
        out[label] = out[label].astype(object).where(out[label].notna(), None)
    return out[COLUMNS].reset_index(drop=True)


def _labels_at(codes, position: np.ndarray) -> np.ndarray:
    if codes is None:
        return np.full(len(position), None, dtype=object)
    labels = with_missing(codes.labels)
    picked = np.where(position >= 0, codes.codes[np.clip(position, 0, None)], -1)
    return labels[picked]
