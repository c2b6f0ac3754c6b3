"""Checking and unioning the canonical tables of several sources.

Each source namespaces its ids with its own name (``sfdc:006...``), so the union of two sources
can only collide if a source breaks that contract. :func:`union_tables` verifies it and refuses
to blend rather than let two records silently share an id. Primary-key duplicates inside one
source are resolved by keeping the last version and reported as a warning naming the ids.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from connectors.base import SourceResult
from sheets_sync.errors import SchemaError
from sheets_sync.issues import DataIssue, Severity
from sheets_sync.model import TABLE_NAMES, TABLES, Kind, arrow_strings, concat_tables, per_category

_MAX_IDS_SHOWN = 10
_MAX_ROWS_KEPT = 50


def check_source_names(results: Sequence[tuple[str, SourceResult]]) -> list[str]:
    """Return the source names in order; raise :class:`SchemaError` on blank or repeated names."""
    names: list[str] = []
    for name, _ in results:
        if not name or not str(name).strip():
            raise SchemaError("a source has a blank name; give every source a short unique name")
        if name in names:
            raise SchemaError(
                f"source name {name!r} is used twice; give every source a unique name"
            )
        names.append(name)
    return names


def check_table_name(source: str, table: str) -> None:
    """Raise :class:`SchemaError` naming the source when ``table`` is not a canonical table."""
    if table not in TABLES:
        raise SchemaError(
            f"source {source!r} returned unknown table {table!r}; "
            f"canonical tables are: {', '.join(TABLE_NAMES)}"
        )


def prepare_source_table(
    source: str, table: str, frame: pd.DataFrame
) -> tuple[pd.DataFrame, list[DataIssue]]:
    """Verify one source's table and drop its duplicate primary keys (keeping the last).

    Raises :class:`SchemaError` naming the source when the table is unknown, lacks its primary
    key, holds ids not prefixed with ``"<source>:"`` or rows whose ``source`` column is another
    name. Foreign ids (owner_id, account_id...) without the prefix are reported as warnings,
    because they can never match a record and break joins.
    """
    check_table_name(source, table)
    tspec = TABLES[table]
    key = tspec.primary_key
    if key not in frame.columns:
        raise SchemaError(
            f"source {source!r} returned table {table!r} without its primary key {key!r}"
        )
    _check_prefix(source, table, key, frame[key])
    _check_source_column(source, table, frame)
    issues = [
        issue
        for col in tspec.columns
        if col.kind is Kind.ID and col.name != key and col.name in frame.columns
        for issue in _foreign_prefix_issue(source, table, col.name, frame[col.name])
    ]
    deduped, dup_issue = _drop_duplicate_keys(source, table, key, frame)
    if dup_issue is not None:
        issues.append(dup_issue)
    return deduped, issues


def _unprefixed(source: str, ids: pd.Series) -> np.ndarray:
    """True where ``ids`` holds a value that does not start with ``"<source>:"``; missing ids
    are never flagged. Tested by Arrow on the column's own buffers, without a Python string
    per id (a reference column is tested once per distinct id)."""
    if isinstance(ids.dtype, pd.CategoricalDtype):
        return per_category(ids, lambda labels: _unprefixed(source, labels), False)
    prefixed = pc.starts_with(arrow_strings(ids), pattern=f"{source}:")
    return np.asarray(pc.invert(prefixed).fill_null(False).to_numpy(zero_copy_only=False))


def _check_prefix(source: str, table: str, key: str, ids: pd.Series) -> None:
    bad = _unprefixed(source, ids)
    if bad.any():
        example = ids[bad].iloc[0]
        raise SchemaError(
            f"source {source!r} returned {int(bad.sum())} {table}.{key} value(s) not prefixed "
            f"with '{source}:' (e.g. {example!r}); build ids with sheets_sync.model.namespaced"
        )


def _check_source_column(source: str, table: str, frame: pd.DataFrame) -> None:
    if "source" not in frame.columns:
        raise SchemaError(f"source {source!r} returned table {table!r} without a source column")
    names = frame["source"]
    others = [str(v) for v in pd.unique(names.dropna()) if str(v) != source]
    if others or names.isna().any():
        example = others[0] if others else None
        raise SchemaError(
            f"source {source!r} returned {table} rows whose source column is {example!r}; "
            f"it must be {source!r}"
        )


def _foreign_prefix_issue(source: str, table: str, column: str, ids: pd.Series) -> list[DataIssue]:
    bad = _unprefixed(source, ids)
    if not bad.any():
        return []
    rows = tuple(int(i) for i in np.flatnonzero(bad)[:_MAX_ROWS_KEPT])
    return [
        DataIssue(
            Severity.WARNING,
            f"{int(bad.sum())} id(s) not prefixed with '{source}:' cannot match any record",
            source,
            table,
            column,
            rows,
            int(bad.sum()),
        )
    ]


def _drop_duplicate_keys(
    source: str, table: str, key: str, frame: pd.DataFrame
) -> tuple[pd.DataFrame, DataIssue | None]:
    """Keep the last row of every primary key; report the dropped rows by id and position."""
    dropped = frame[key].duplicated(keep="last").to_numpy(dtype=bool)
    if not dropped.any():
        return frame, None
    ids = sorted({str(v) for v in frame[key][dropped]})
    shown = ", ".join(ids[:_MAX_IDS_SHOWN])
    more = f" and {len(ids) - _MAX_IDS_SHOWN} more" if len(ids) > _MAX_IDS_SHOWN else ""
    issue = DataIssue(
        Severity.WARNING,
        f"{len(ids)} {key} value(s) appear more than once; kept the last version of {shown}{more}",
        source,
        table,
        key,
        tuple(int(i) for i in np.flatnonzero(dropped)[:_MAX_ROWS_KEPT]),
        int(dropped.sum()),
    )
    return frame.loc[~dropped].reset_index(drop=True), issue


def union_table(table: str, parts: list[tuple[str, pd.DataFrame]]) -> pd.DataFrame:
    """Concatenate one table's verified frames; raise :class:`SchemaError` on id collisions."""
    frame = concat_tables((f for _, f in parts), table)
    if not _prefixes_overlap([source for source, _ in parts]):
        return frame
    key = TABLES[table].primary_key
    clash = frame[key].duplicated(keep=False).to_numpy(dtype=bool)
    if clash.any():
        ids = frame.loc[clash, key]
        owners = sorted({str(s) for s in frame.loc[clash, "source"]})
        raise SchemaError(
            f"sources {', '.join(owners)} returned the same {table}.{key} "
            f"(e.g. {ids.iloc[0]!r}); give each source a distinct name so their ids are "
            "namespaced apart"
        )
    return frame


def _prefixes_overlap(sources: list[str]) -> bool:
    """Whether ids of two of ``sources`` can be equal although each carries its own prefix.

    Verified ids start with ``"<source>:"`` and are unique within their source, so two sources
    can only share an id when one prefix starts with the other (``"a:"`` and ``"a:b:"``);
    otherwise the costly uniqueness check over the whole union is skipped.
    """
    prefixes = sorted(f"{s}:" for s in sources)
    return any(b.startswith(a) for a, b in pairwise(prefixes))
