"""Making channel names comparable between spend, leads and deals.

Cost per lead and CAC join ``spend.channel`` to ``leads.channel`` and ``deals.lead_source`` by
value, so ``"Google Ads"`` in an ads export and ``"paid_search"`` in a CRM must become one
name. :func:`harmonise_channels` trims every value, applies the user's alias mapping
(case-insensitive) and folds spellings that differ only by case into one. Channels that appear in
spend but in no lead, or in leads but in no spend, are reported because those rows cannot be
attributed.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from sheets_sync.errors import ConfigError
from sheets_sync.issues import DataIssue, Severity

CHANNEL_COLUMNS: tuple[tuple[str, str], ...] = (
    ("spend", "channel"),
    ("leads", "channel"),
    ("deals", "lead_source"),
)
"""The (table, column) pairs that hold a marketing channel and are joined to each other."""

_MAX_NAMES_SHOWN = 10


def alias_lookup(aliases: Mapping[str, str] | None) -> dict[str, str]:
    """Return the aliases keyed by trimmed, lower-cased name; reject blank names or targets."""
    lookup: dict[str, str] = {}
    for name, target in (aliases or {}).items():
        if not str(name).strip() or not str(target).strip():
            raise ConfigError(
                f"channel alias {name!r} -> {target!r} is blank; give both a name and a target"
            )
        lookup[str(name).strip().lower()] = str(target).strip()
    return lookup


def harmonise_channels(
    tables: dict[str, pd.DataFrame], aliases: Mapping[str, str] | None = None
) -> None:
    """Rewrite the channel columns of ``tables`` in place with one spelling per channel.

    Each value is trimmed; a value whose lower-case form is an alias key becomes the alias
    target. Remaining values that differ only by case take the spelling used by most rows across
    all channel columns (ties: the alphabetically first), so ``"Email"`` and ``"email"`` join.
    """
    lookup = alias_lookup(aliases)
    present = [(t, c) for t, c in CHANNEL_COLUMNS if t in tables and c in tables[t].columns]
    counts: dict[str, int] = {}
    for table, column in present:
        for value, n in _as_category(tables[table][column]).value_counts().items():
            trimmed = str(value).strip()
            spelled = lookup.get(trimmed.lower(), trimmed)
            counts[spelled] = counts.get(spelled, 0) + int(n)
    preferred = _preferred_spelling(counts)
    for table, column in present:
        tables[table][column] = _rename(tables[table][column], lookup, preferred)


def _preferred_spelling(counts: Mapping[str, int]) -> dict[str, str]:
    """Map lower-cased channel -> the spelling with most rows (ties: alphabetically first)."""
    best: dict[str, tuple[int, str]] = {}
    for spelled, n in counts.items():
        folded = spelled.lower()
        current = best.get(folded)
        if current is None or (-n, spelled) < (-current[0], current[1]):
            best[folded] = (n, spelled)
    return {folded: spelled for folded, (_, spelled) in best.items()}


def _rename(values: pd.Series, lookup: Mapping[str, str], preferred: Mapping[str, str]):
    """Map a channel column through aliases and preferred spellings, working on categories."""
    cats = _as_category(values)
    trimmed = [str(c).strip() for c in cats.cat.categories]
    names = [lookup.get(t.lower(), t) for t in trimmed]
    names = [preferred.get(n.lower(), n) for n in names]
    codes = cats.cat.codes.to_numpy()
    table = np.array([*names, None], dtype=object)  # code -1 (missing) picks the trailing None
    mapped = pd.Series(table[codes], index=values.index, dtype=object)
    blank = mapped.isin([""])
    return mapped.where(~blank, None).astype("category")


def _as_category(values: pd.Series) -> pd.Series:
    """Return ``values`` as a categorical Series (cheap when it already is one)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values
    return values.astype("string").astype("category")


def unmatched_channel_issues(tables: Mapping[str, pd.DataFrame]) -> list[DataIssue]:
    """Report channels with spend but no lead, and channels with leads but no spend (info).

    Nothing is reported when there is no spend at all: then no cost is being attributed.
    """
    spend = _channels(tables, "spend", "channel")
    if not spend:
        return []
    leads = _channels(tables, "leads", "channel")
    issues = []
    no_leads = sorted(spend - leads)
    if no_leads:
        issues.append(
            DataIssue(
                Severity.INFO,
                f"{len(no_leads)} channel(s) have spend but no leads, so their cost is not "
                f"attributed to any lead: {_names(no_leads)}; map them with channel_aliases",
                table="spend",
                column="channel",
                count=len(no_leads),
            )
        )
    no_spend = sorted(leads - spend)
    if no_spend:
        issues.append(
            DataIssue(
                Severity.INFO,
                f"{len(no_spend)} lead channel(s) have no spend, so their cost per lead is "
                f"unknown: {_names(no_spend)}",
                table="leads",
                column="channel",
                count=len(no_spend),
            )
        )
    return issues


def _channels(tables: Mapping[str, pd.DataFrame], table: str, column: str) -> set[str]:
    frame = tables.get(table)
    if frame is None or column not in frame.columns:
        return set()
    return {str(v) for v in frame[column].dropna().unique()}


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:_MAX_NAMES_SHOWN])
    return shown + (
        f" and {len(names) - _MAX_NAMES_SHOWN} more" if len(names) > _MAX_NAMES_SHOWN else ""
    )
