"""Data-quality checks on a blended dataset: the records that make KPIs wrong or incomplete.

Each check in :data:`QUALITY_CHECKS` is a pure, vectorised function of a
:class:`~sheets_sync.dataset.Dataset` and the report's ``now``; it returns the offending rows with
readable columns: ``id``, ``source``, ``name``, the fields the rule looks at, and ``problem``
(one sentence per row). :func:`run_check` runs one check by id and :func:`quality_summary` counts
the offending rows of every check. Both keep each check's result in ``dataset.cache`` for the
same ``now`` (a report's summary and its per-check blocks share one evaluation). The exact rules
are documented in ``docs/blending.md``.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from sheets_sync.dataset import Dataset
from sheets_sync.errors import MetricError
from sheets_sync.issues import Severity
from sheets_sync.metrics.tables import metric_table
from sheets_sync.model import isin_strings

STALE_AFTER_DAYS = 90
"""An open deal is stale when neither updated nor (without ``updated_at``) created for this long."""

CheckFunction = Callable[[Dataset, pd.Timestamp], pd.DataFrame]


@dataclass(frozen=True)
class QualityCheck:
    """One data-quality rule: how it is shown and the function that finds offending rows."""

    id: str
    label: str
    description: str
    severity: Severity
    function: CheckFunction


def _utc(now: datetime | pd.Timestamp) -> pd.Timestamp:
    """Return ``now`` as a UTC timestamp; a naive value is taken to be UTC already."""
    stamp = pd.Timestamp(now)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def _rows(
    frame: pd.DataFrame,
    id_column: str,
    fields: Sequence[str],
    problem: pd.Series | str,
    extra: Mapping[str, pd.Series | str] | None = None,
) -> pd.DataFrame:
    """Shape offending rows as ``id, source, name, *fields, *extra, problem``."""
    out = pd.DataFrame(
        {
            "id": frame[id_column].astype(object),
            "source": frame["source"].astype(object),
            "name": frame["name"] if "name" in frame.columns else None,
        },
        index=frame.index,
    )
    for field in fields:
        out[field] = frame[field]
    # Positional assignment: computed columns follow the row order of ``frame``.
    for column, values in (extra or {}).items():
        out[column] = values.array if isinstance(values, pd.Series) else values
    out["problem"] = problem.array if isinstance(problem, pd.Series) else problem
    return out.reset_index(drop=True)


def _text(values: pd.Series) -> pd.Series:
    """Return ``values`` as Python strings, for building ``problem`` sentences row-wise."""
    return values.astype(str)


def _sentence(template: str, values: pd.Series) -> pd.Series:
    """Return ``template.format(value)`` for each row, formatting each distinct value once.

    Problem sentences repeat a handful of values (statuses, day counts) over up to a million
    rows; formatting per distinct value keeps that cost independent of the row count.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    texts = np.array([*(template.format(u) for u in uniques), ""], dtype=object)
    return pd.Series(texts[codes], index=values.index, dtype=object)


def _sentences(template: str, *columns: pd.Series) -> pd.Series:
    """Return ``template.format(*values)`` for each row, formatting each distinct combination
    of values once (like :func:`_sentence`); a row with a missing value gets a missing
    sentence, as string concatenation would give."""
    index = columns[0].index
    combined = np.zeros(len(index), dtype=np.int64)
    for values in columns:
        codes, found = pd.factorize(values, use_na_sentinel=False)
        # Re-factorising keeps the combined code small however many columns are combined.
        combined = pd.factorize(combined * len(found) + codes)[0]
    first = np.empty(int(combined.max()) + 1 if len(combined) else 0, dtype=np.int64)
    first[combined[::-1]] = np.arange(len(combined))[::-1]  # first row of each combination
    texts = np.array(
        [template.format(*(values.iat[row] for values in columns)) for row in first.tolist()],
        dtype=object,
    )
    out = pd.Series(texts[combined], index=index, dtype=object)
    blank = np.zeros(len(index), dtype=bool)
    for values in columns:
        blank |= values.isna().to_numpy(dtype=bool)
    return out.where(~blank, np.nan)


def _pick(frame: pd.DataFrame, mask: np.ndarray, columns: Sequence[str]) -> pd.DataFrame:
    """The rows of ``frame`` where ``mask`` holds, with only ``columns`` (and the original
    index): copying the few columns a check shows is far cheaper than copying whole rows."""
    rows = np.flatnonzero(mask)
    present = [c for c in dict.fromkeys(columns) if c in frame.columns]
    return pd.DataFrame(
        {c: frame[c].take(rows) for c in present}, index=frame.index.take(rows), columns=present
    )


def _status_is(dataset: Dataset, statuses: Sequence[str]) -> np.ndarray:
    return dataset.table("deals")["status"].isin(statuses).to_numpy(dtype=bool)


def _deals_where(dataset: Dataset, mask: np.ndarray, fields: Sequence[str]) -> pd.DataFrame:
    return _pick(dataset.table("deals"), mask, ["deal_id", "source", "name", *fields])


def _cross_source_duplicates(dataset: Dataset, now: pd.Timestamp) -> pd.DataFrame:
    columns = ["id", "source", "name", "entity", "count", "record_ids", "problem"]
    report = dataset.duplicates
    if report.empty or "cross_source" not in report.columns:
        return pd.DataFrame(columns=columns)
    groups = report[report["cross_source"].astype(bool)]
    out = pd.DataFrame(
        {
            "id": groups["key"],
            "source": groups["sources"],
            "name": groups["names"],
            "entity": groups["entity"],
            "count": groups["count"],
            "record_ids": groups["record_ids"],
        }
    )
    out["problem"] = _sentences(
        "same {} in {} records of {}", out["entity"], _text(out["count"]), out["source"]
    )
    return out.reset_index(drop=True)[columns]


def _missing_owner(dataset: Dataset, now: pd.Timestamp) -> pd.DataFrame:
    parts = []
    for table, id_column, record in (
        ("deals", "deal_id", "deal"),
        ("accounts", "account_id", "account"),
    ):
        frame = dataset.table(table)
        blank = frame["owner_id"].isna().to_numpy(dtype=bool)
        missing = _pick(frame, blank, [id_column, "source", "name"])
        parts.append(_rows(missing, id_column, [], f"{record} has no owner", {"record": record}))
    return pd.concat(parts, ignore_index=True)


def _missing_amount(dataset: Dataset, now: pd.Timestamp) -> pd.DataFrame:
    amount = dataset.table("deals")["amount"]
    blank_or_zero = (amount.isna() | (amount == 0)).to_numpy(dtype=bool)
    fields = ["status", "stage", "amount", "currency"]
    bad = _deals_where(dataset, _status_is(dataset, ("open", "won")) & blank_or_zero, fields)
    blank = bad["amount"].isna().to_numpy(dtype=bool)
    problem = _sentence("{} deal has no amount", bad["status"]).where(
        blank, _sentence("{} deal has amount 0", bad["status"])
    )
    return _rows(bad, "deal_id", fields, problem)


def _missing_close_date(dataset: Dataset, now: pd.Timestamp) -> pd.DataFrame:
    undated = dataset.table("deals")["close_date"].isna().to_numpy(dtype=bool)
    fields = ["status", "stage", "created_at", "close_date"]
    bad = _deals_where(dataset, _status_is(dataset, ("won", "lost")) & undated, fields)
    problem = _sentence("{} deal has no close date", bad["status"])
    return _rows(bad, "deal_id", fields, problem)


def _orphan_deals(dataset: Dataset, now: pd.Timestamp) -> pd.DataFrame:
    deals = metric_table(dataset, "deals")
    # The engine's cached id joins (row of the referenced account / owner, -1 when none).
    account_row = deals.rows_in(metric_table(dataset, "accounts"), "account_id")
    owner_row = deals.rows_in(metric_table(dataset, "owners"), "owner_id")
    no_account = deals.column("account_id").notna().to_numpy(dtype=bool) & (account_row < 0)
    no_owner = deals.column("owner_id").notna().to_numpy(dtype=bool) & (owner_row < 0)
    bad = no_account | no_owner
    problem = np.select(
        [no_account[bad] & no_owner[bad], no_account[bad]],
        ["account and owner not found", "account not found"],
        "owner not found",
    )
    fields = ["status", "account_id", "owner_id"]
    return _rows(_deals_where(dataset, bad, fields), "deal_id", fields, pd.Series(problem))


def _stale_open_deals(dataset: Dataset, now: pd.Timestamp) -> pd.DataFrame:
    deals = dataset.table("deals")
    last = deals["updated_at"].fillna(deals["created_at"])
    stale = (last < now - pd.Timedelta(days=STALE_AFTER_DAYS)).to_numpy(dtype=bool)
    stale &= _status_is(dataset, ("open",))
    bad, last = _deals_where(dataset, stale, ["stage", "amount", "owner_id"]), last[stale]
    days = (now - last).dt.days
    problem = _sentence("open deal unchanged for {} days", days)
    extra = {"last_change": last, "days_unchanged": days}
    return _rows(bad, "deal_id", ["stage", "amount", "owner_id"], problem, extra)


def _past_due_open_deals(dataset: Dataset, now: pd.Timestamp) -> pd.DataFrame:
    deals = dataset.table("deals")
    due = (deals["close_date"] < now).to_numpy(dtype=bool) & _status_is(dataset, ("open",))
    fields = ["stage", "amount", "close_date", "owner_id"]
    bad = _deals_where(dataset, due, fields)
    days = (now - bad["close_date"]).dt.days
    problem = _sentence("expected close date passed {} days ago", days)
    extra = {"days_past_due": days}
    return _rows(bad, "deal_id", fields, problem, extra)


def _owners_without_deals(dataset: Dataset, now: pd.Timestamp) -> pd.DataFrame:
    owners = dataset.table("owners")
    inactive = owners["active"].eq(False).fillna(False).to_numpy(dtype=bool)
    idle = ~isin_strings(owners["owner_id"], dataset.table("deals")["owner_id"])
    bad = owners[idle & ~inactive]
    return _rows(bad, "owner_id", ["email", "team", "active"], "owner has no deals")


def _leads_without_channel(dataset: Dataset, now: pd.Timestamp) -> pd.DataFrame:
    leads = dataset.table("leads")
    fields = ["email", "status", "created_at"]
    bad = _pick(
        leads, leads["channel"].isna().to_numpy(dtype=bool), ["lead_id", "source", "name", *fields]
    )
    return _rows(bad, "lead_id", fields, "lead has no channel")


def _check(
    check_id: str, label: str, description: str, severity: Severity, function: CheckFunction
) -> tuple[str, QualityCheck]:
    return check_id, QualityCheck(check_id, label, description, severity, function)


QUALITY_CHECKS: Mapping[str, QualityCheck] = dict(
    (
        _check(
            "cross_source_duplicates",
            "Cross-source duplicates",
            "People (same normalised e-mail) or companies (same normalised domain) found in two "
            "or more sources",
            Severity.WARNING,
            _cross_source_duplicates,
        ),
        _check(
            "missing_owner",
            "Missing owner",
            "Deals (any status) and accounts with no owner",
            Severity.WARNING,
            _missing_owner,
        ),
        _check(
            "missing_amount",
            "Missing amount",
            "Open and won deals whose amount is blank or 0; lost deals with 0 are fine",
            Severity.WARNING,
            _missing_amount,
        ),
        _check(
            "missing_close_date",
            "Missing close date",
            "Won and lost deals without a close date",
            Severity.WARNING,
            _missing_close_date,
        ),
        _check(
            "orphan_deals",
            "Orphan deals",
            "Deals whose account_id or owner_id is set but matches no account or owner",
            Severity.WARNING,
            _orphan_deals,
        ),
        _check(
            "stale_open_deals",
            "Stale open deals",
            f"Open deals last updated (or, never updated, created) more than "
            f"{STALE_AFTER_DAYS} days before now",
            Severity.INFO,
            _stale_open_deals,
        ),
        _check(
            "past_due_open_deals",
            "Past-due open deals",
            "Open deals whose expected close date is before now",
            Severity.WARNING,
            _past_due_open_deals,
        ),
        _check(
            "owners_without_deals",
            "Owners without deals",
            "Owners who own no deal of any status (inactive owners excluded)",
            Severity.INFO,
            _owners_without_deals,
        ),
        _check(
            "leads_without_channel",
            "Leads without channel",
            "Leads with a blank channel, so cost per lead and channel breakdowns miss them",
            Severity.INFO,
            _leads_without_channel,
        ),
    )
)
"""Every data-quality check, by id, in the order reports list them."""


def get_check(check_id: str) -> QualityCheck:
    """Return the check ``check_id``; raise :class:`MetricError` naming the valid ids."""
    try:
        return QUALITY_CHECKS[check_id]
    except KeyError:
        close = difflib.get_close_matches(str(check_id), list(QUALITY_CHECKS), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise MetricError(
            f"unknown quality check {check_id!r}{hint}; valid checks are: "
            f"{', '.join(QUALITY_CHECKS)}"
        ) from None


def run_check(check_id: str, dataset: Dataset, now: datetime | pd.Timestamp) -> pd.DataFrame:
    """Return the rows of ``dataset`` that fail check ``check_id`` as of ``now``.

    Results are kept in ``dataset.cache`` per check and ``now`` (a report's summary and its
    per-check blocks ask for the same checks); each call gets its own copy.
    """
    return _cached(get_check(check_id), dataset, _utc(now)).copy()


def quality_summary(dataset: Dataset, now: datetime | pd.Timestamp) -> pd.DataFrame:
    """Return one row per check: ``check`` (id), ``description``, ``severity``, ``count``."""
    stamp = _utc(now)
    rows = [
        {
            "check": check.id,
            "description": check.description,
            "severity": str(check.severity),
            "count": len(_cached(check, dataset, stamp)),
        }
        for check in QUALITY_CHECKS.values()
    ]
    return pd.DataFrame(rows, columns=["check", "description", "severity", "count"])


def _cached(check: QualityCheck, dataset: Dataset, now: pd.Timestamp) -> pd.DataFrame:
    """``check`` run on ``dataset`` as of ``now``, computed once until a table is replaced."""
    # The frames themselves are kept and compared by identity: a replaced table (same dataset,
    # new data) or another ``now`` starts afresh.
    frames = [*dataset.tables.values(), dataset.duplicates]
    held = dataset.cache.get("quality.checks")
    if (
        held is None
        or held[0] != now
        or len(held[1]) != len(frames)
        or any(a is not b for a, b in zip(held[1], frames, strict=True))
    ):
        held = dataset.cache["quality.checks"] = (now, frames, {})
    results: dict[str, pd.DataFrame] = held[2]
    if check.id not in results:
        results[check.id] = check.function(dataset, now)
    return results[check.id]
