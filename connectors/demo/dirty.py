"""The deliberate flaws of the demo data, so that every data-quality check has something to find.

Real CRMs hold deals nobody owns, deals without an amount or close date, deals whose account was
deleted, open deals nobody touched for months and open deals whose close date has passed, and
leads whose source was never recorded. The shares are small and fixed; each flaw is applied with
the universe's random generator, so it is as deterministic as the rest.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from connectors.demo import pipeline as pl
from connectors.demo.timeline import DAY, Window, to_utc

MISSING_OWNER = 0.006
MISSING_AMOUNT = 0.03  # of open deals
MISSING_CLOSE_DATE = 0.01  # of open HubSpot deals
LOST_WITHOUT_CLOSE_DATE = 0.005  # of lost HubSpot deals (imported without one)
ORPHANS = 0.004
STALE = 0.012  # of lost new-business deals, which instead were abandoned open
PAST_DUE = 0.06  # of open deals
NO_CHANNEL = 0.015  # of leads


def spoil_deals(
    rng: np.random.Generator,
    window: Window,
    deals: pd.DataFrame,
    history: pd.DataFrame,
    n_accounts: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Deals and stage history with the flaws applied (new frames; inputs are left alone).

    The new deals share the columns the flaws leave alone with ``deals``: flawed columns are
    replaced, never written into.
    """
    deals = deals.copy(deep=False)
    n = len(deals)
    history = _abandon(rng, window, deals, history)
    is_open = (deals["status"] == "open").to_numpy()

    owner = deals["owner"].to_numpy().copy()
    # Only from reps with several deals, so that no rep is left without any by accident.
    busy = np.bincount(owner, minlength=int(owner.max()) + 1)[owner] >= 3
    owner[_sample(rng, np.flatnonzero(busy), MISSING_OWNER)] = -1
    deals["owner"] = owner
    amount = deals["amount"].to_numpy().copy()
    amount[_sample(rng, np.flatnonzero(is_open), MISSING_AMOUNT)] = np.nan
    deals["amount"] = amount

    close = deals["close_date"].to_numpy("M8[ns]").copy()
    created = deals["created_at"].to_numpy("M8[ns]")
    late = _sample(rng, np.flatnonzero(is_open), PAST_DUE)
    new_close = window.end - rng.integers(3, 45, len(late)) * DAY
    close[late] = np.where(new_close > created[late], new_close, close[late])
    hubspot = (deals["system"] == "hubspot").to_numpy()
    lost = (deals["status"] == "lost").to_numpy()
    nat = np.datetime64("NaT")
    close[_sample(rng, np.flatnonzero(is_open & hubspot), MISSING_CLOSE_DATE)] = nat
    close[_sample(rng, np.flatnonzero(lost & hubspot), LOST_WITHOUT_CLOSE_DATE)] = nat
    deals["close_date"] = to_utc(close)

    account = deals["account"].to_numpy().copy()
    orphans = _sample(rng, np.arange(n), ORPHANS)
    account[orphans] = n_accounts + np.arange(len(orphans))
    deals["account"] = account
    return deals, history


def _abandon(
    rng: np.random.Generator, window: Window, deals: pd.DataFrame, history: pd.DataFrame
) -> pd.DataFrame:
    """Turn some long-lost deals into open ones nobody closed: stale and past their close date.

    Replaces columns of ``deals`` (a private shallow copy) and returns the history without their
    closing rows.
    """
    close = deals["close_date"].to_numpy("M8[ns]")
    lost = (
        (deals["status"] == "lost").to_numpy()
        & (deals["deal_type"] == "new").to_numpy()
        & (close < window.end - 120 * DAY)
    )
    stale = _sample(rng, np.flatnonzero(lost), STALE)
    system = deals["system"].cat.codes.to_numpy(np.int64)[stale]
    # The deal stays at the last open stage it reached; history has its order.
    is_stale = np.zeros(len(deals), dtype=bool)
    is_stale[stale] = True
    reached = _last_open_order(history, is_stale, stale)
    # First, while the flawed deal columns do not exist twice yet: this copy is the largest.
    kept = _without_closing(history, is_stale)
    stage = pl.OPEN_CODE[system, reached - 1]
    codes = deals["stage"].cat.codes.to_numpy().copy()
    codes[stale] = stage
    deals["stage"] = pd.Categorical.from_codes(codes, deals["stage"].cat.categories)
    order = deals["stage_order"].to_numpy(np.int64).copy()
    order[stale] = reached
    deals["stage_order"] = order
    status = deals["status"].cat.codes.to_numpy().copy()
    status[stale] = 0
    deals["status"] = pd.Categorical.from_codes(status, deals["status"].cat.categories)
    probability = deals["probability"].to_numpy().copy()
    probability[stale] = pl.PROBABILITY[stage]
    deals["probability"] = probability
    stage_id = deals["stage_id"].cat.codes.to_numpy().copy()
    stage_id[stale] = pl.stage_ids(system, stage).codes
    deals["stage_id"] = pd.Categorical.from_codes(stage_id, pl.STAGE_ID_LABELS)
    # Nobody touched them since they should have closed.
    updated = deals["updated_at"].to_numpy("M8[ns]").copy()
    updated[stale] = deals["close_date"].to_numpy("M8[ns]")[stale]
    deals["updated_at"] = to_utc(updated)
    return kept


def _without_closing(history: pd.DataFrame, stale: np.ndarray) -> pd.DataFrame:
    """``history`` without the closing rows of the deals flagged in ``stale``, its keys
    renumbered."""
    closing = history["stage"].isin(("Closed Won", "Closed Lost")).to_numpy()
    drop = closing & stale[history["deal"].to_numpy()]
    kept = history.take(np.flatnonzero(~drop))  # a new frame, renumbered in place
    kept.index = pd.RangeIndex(len(kept))
    kept["key"] = np.arange(len(kept), dtype=np.int32)
    return kept


def _last_open_order(history: pd.DataFrame, chosen: np.ndarray, deals: np.ndarray) -> np.ndarray:
    """The highest open stage order each of ``deals`` (flagged in ``chosen``) reached."""
    closing = history["stage"].isin(("Closed Won", "Closed Lost")).to_numpy()
    rows = ~closing & chosen[history["deal"].to_numpy()]
    top = history.loc[rows].groupby("deal")["stage_order"].max()
    return top.reindex(deals, fill_value=1).to_numpy(np.int64)


def spoil_leads(rng: np.random.Generator, leads: pd.DataFrame) -> pd.DataFrame:
    """Leads with some channels (and so campaigns) never recorded (a new frame that shares the
    other columns with ``leads``)."""
    leads = leads.copy(deep=False)
    lost = _sample(rng, np.arange(len(leads)), NO_CHANNEL)
    for column in ("channel", "campaign"):
        codes = leads[column].cat.codes.to_numpy().copy()
        codes[lost] = -1
        leads[column] = pd.Categorical.from_codes(codes, leads[column].cat.categories)
    return leads


def _sample(rng: np.random.Generator, rows: np.ndarray, share: float) -> np.ndarray:
    """A sorted random subset of ``rows`` of about ``share`` of them (at least one if any)."""
    if len(rows) == 0:
        return rows
    k = max(1, round(len(rows) * share))
    return np.sort(rng.choice(rows, k, replace=False))
