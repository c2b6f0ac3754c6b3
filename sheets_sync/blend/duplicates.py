"""The duplicate report: people and companies that appear more than once.

People are grouped by ``leads.person_key`` (normalised e-mail) and companies by
``accounts.company_key`` (normalised domain), see :mod:`sheets_sync.identity`. A group with records
from two or more sources is a cross-source duplicate (the same person in HubSpot and
Salesforce); a group whose records all come from one source is flagged ``cross_source=False``.
Nothing is merged or dropped: metrics count distinct keys, and the report lets users clean up.
"""

from __future__ import annotations

import pandas as pd

from sheets_sync.issues import DataIssue, Severity

DUPLICATE_COLUMNS = (
    "entity",
    "key",
    "count",
    "sources",
    "record_ids",
    "names",
    "cross_source",
)
"""Columns of :attr:`sheets_sync.dataset.Dataset.duplicates`, one row per duplicate group."""

# entity -> (table, id column, key column, what the key is made of, plural noun)
ENTITIES: dict[str, tuple[str, str, str, str, str]] = {
    "person": ("leads", "lead_id", "person_key", "normalised e-mail", "people"),
    "company": ("accounts", "account_id", "company_key", "normalised domain", "companies"),
}


def empty_duplicates() -> pd.DataFrame:
    """An empty duplicate report with its columns."""
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in DUPLICATE_COLUMNS})
    frame["count"] = frame["count"].astype("int64")
    frame["cross_source"] = frame["cross_source"].astype(bool)
    return frame


def find_duplicates(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Return one row per person or company key shared by two or more records.

    Columns: ``entity`` (person/company), ``key``, ``count`` (records), ``sources`` (sorted,
    comma-separated), ``record_ids`` (comma-separated, sorted by source then id), ``names``
    (distinct names joined with `` | `` since company names contain commas) and
    ``cross_source``. Rows are sorted cross-source first, then by entity, count and key.
    """
    parts = [_groups(entity, tables) for entity in ENTITIES]
    parts = [p for p in parts if not p.empty]
    if not parts:
        return empty_duplicates()
    report = pd.concat(parts, ignore_index=True)
    report = report.sort_values(
        ["cross_source", "entity", "count", "key"], ascending=[False, False, False, True]
    )
    return report.reset_index(drop=True)


def _members(entity: str, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Rows (key, source, id, name) of the records whose key is shared with another record."""
    table, id_col, key_col, _, _ = ENTITIES[entity]
    frame = tables.get(table)
    if frame is None or key_col not in frame.columns or frame.empty:
        return pd.DataFrame(columns=["key", "source", "id", "name"])
    names = frame["name"] if "name" in frame.columns else pd.Series(None, index=frame.index)
    members = pd.DataFrame(
        {
            "key": frame[key_col],
            "source": frame["source"].astype(str),
            "id": frame[id_col].astype(str),
            "name": names,
        }
    ).dropna(subset=["key"])
    members = members[members["key"].duplicated(keep=False)]
    return members.sort_values(["key", "source", "id"])


def _groups(entity: str, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    members = _members(entity, tables)
    if members.empty:
        return empty_duplicates()
    by_key = members.groupby("key", sort=True)
    sources = members.drop_duplicates(["key", "source"]).groupby("key")["source"]
    names = members.dropna(subset=["name"]).astype({"name": str}).drop_duplicates(["key", "name"])
    groups = pd.DataFrame(
        {
            "count": by_key.size(),
            "sources": sources.agg(", ".join),
            "record_ids": by_key["id"].agg(", ".join),
            "names": names.groupby("key")["name"].agg(" | ".join),
            "cross_source": sources.size() > 1,
        }
    )
    groups["names"] = groups["names"].fillna("")
    groups = groups.rename_axis("key").reset_index()
    groups.insert(0, "entity", entity)
    return groups[list(DUPLICATE_COLUMNS)]


def duplicate_issues(tables: dict[str, pd.DataFrame]) -> list[DataIssue]:
    """Summarise duplicates: info per pair of sources sharing records, warning per source.

    A cross-source pair is expected when two systems hold the same customers (information for
    the user); duplicates inside one source usually need cleaning there (a warning).
    """
    issues: list[DataIssue] = []
    for entity, (table, _, key_col, made_of, plural) in ENTITIES.items():
        members = _members(entity, tables)
        if members.empty:
            continue
        column = "email" if entity == "person" else "domain"
        keyed = members[["key", "source"]].drop_duplicates()
        pairs = keyed.merge(keyed, on="key", suffixes=("_a", "_b"))
        pairs = pairs[pairs["source_a"] < pairs["source_b"]]
        for (a, b), n in pairs.groupby(["source_a", "source_b"]).size().items():
            issues.append(
                DataIssue(
                    Severity.INFO,
                    f"{n} {plural} appear in both {a} and {b} (same {made_of}); metrics that "
                    f"count distinct {plural} count each once",
                    table=table,
                    column=column,
                    count=int(n),
                )
            )
        within = members.groupby(["source", "key"]).size()
        within = within[within > 1].groupby(level="source").size()
        for source, n in within.items():
            issues.append(
                DataIssue(
                    Severity.WARNING,
                    f"{n} {made_of} value(s) are shared by several records of this source; "
                    f"see the duplicate report ({key_col})",
                    source=str(source),
                    table=table,
                    column=column,
                    count=int(n),
                )
            )
    return issues
