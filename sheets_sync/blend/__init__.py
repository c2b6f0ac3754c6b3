"""Blending: the results of all sources of a report become one :class:`Dataset`.

:func:`blend` performs, in order:

1. verification of every source's tables (known table, ids namespaced with the source name,
   ``source`` column equal to that name; see :mod:`sheets_sync.blend.union`) and removal of
   primary-key duplicates inside a source, keeping the last version and reporting the ids;
2. the union of each canonical table across sources, refusing ids that collide;
3. channel harmonisation between spend, leads and deals (:mod:`sheets_sync.blend.channels`);
4. identity keys: ``person_key`` on leads and ``company_key`` on accounts
   (:mod:`sheets_sync.identity`), and the duplicate report (:mod:`sheets_sync.blend.duplicates`).

Every source's issues are kept, followed by the issues blending found.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from connectors.base import SourceResult
from sheets_sync.blend.channels import harmonise_channels, unmatched_channel_issues
from sheets_sync.blend.duplicates import duplicate_report
from sheets_sync.blend.union import (
    check_source_names,
    check_table_name,
    prepare_source_table,
    union_table,
)
from sheets_sync.dataset import Dataset
from sheets_sync.identity import company_keys, person_keys
from sheets_sync.issues import DataIssue
from sheets_sync.model import STRING, TABLE_NAMES

__all__ = ["blend"]


def blend(
    results: Sequence[tuple[str, SourceResult]],
    *,
    channel_aliases: Mapping[str, str] | None = None,
    release_inputs: bool = False,
) -> Dataset:
    """Blend ``(source name, SourceResult)`` pairs into one :class:`Dataset`.

    ``channel_aliases`` maps channel names (matched case-insensitively, after trimming) to the
    name reports should use, e.g. ``{"Google Ads": "Paid Search"}``. Raises
    :class:`~sheets_sync.errors.SchemaError` naming the source when a source breaks the id
    namespacing contract, and :class:`~sheets_sync.errors.ConfigError` for a blank alias.

    Tables are unioned one at a time. With ``release_inputs`` each source's table is taken out
    of its result once unioned, so a large refresh holds at most one table twice instead of the
    whole company (the results are left without tables).
    """
    sources = check_source_names(results)
    issues: list[DataIssue] = []
    row_counts: dict[str, dict[str, int]] = {}
    orders: dict[str, dict[str, int]] = {}
    for source, result in results:
        issues.extend(result.issues)
        row_counts[source] = result.row_counts()
        orders[source] = {table: i for i, table in enumerate(result.tables)}
        for table in result.tables:
            check_table_name(source, table)
    # Per source, table issues come in the source's own table order, as when read one by one.
    found_by_source: dict[str, list[tuple[int, list[DataIssue]]]] = {s: [] for s in sources}
    tables: dict[str, pd.DataFrame] = {}
    for name in TABLE_NAMES:
        parts: list[tuple[str, pd.DataFrame]] = []
        for source, result in results:
            if name not in result.tables:
                continue
            frame = result.tables.pop(name) if release_inputs else result.tables[name]
            kept, found = prepare_source_table(source, name, frame)
            del frame
            found_by_source[source].append((orders[source][name], found))
            parts.append((source, kept))
        tables[name] = union_table(name, parts)
        del parts
    for source in sources:
        for _, found in sorted(found_by_source[source], key=lambda pair: pair[0]):
            issues.extend(found)
    harmonise_channels(tables, channel_aliases)
    issues.extend(unmatched_channel_issues(tables))
    tables["leads"]["person_key"] = person_keys(tables["leads"]).astype(STRING)
    tables["accounts"]["company_key"] = company_keys(tables["accounts"], tables["leads"]).astype(
        STRING
    )
    duplicates, found = duplicate_report(tables)
    issues.extend(found)
    return Dataset(
        tables=tables,
        issues=issues,
        duplicates=duplicates,
        sources=sources,
        row_counts=row_counts,
    )
