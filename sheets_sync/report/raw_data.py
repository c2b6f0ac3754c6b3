"""Raw-data tabs: one canonical table, blended across sources, newest rows first.

Values stay typed (tz-aware datetimes are kept; the destination converts them to the report's
time zone); categories become plain text; ``owner_name`` / ``account_name`` are looked up from
the owners and accounts tables. Rows beyond the cap are cut and ``truncated_from`` records the
full count; the rows to show are picked first (a partial sort), so lookups and conversions cost
the cap, not the table's size.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sheets_sync.dataset import Dataset
from sheets_sync.document import ColumnFormat, Fmt, Tab, TabKind, Table
from sheets_sync.metrics.tables import metric_table
from sheets_sync.model import TABLES, Kind
from sheets_sync.report.context import BuildContext
from sheets_sync.report.headers import plain_values, readable
from sheets_sync.report.top_rows import top_rows
from sheets_sync.templates.schema import RawDataTab
from sheets_sync.templates.validate import LOOKUP_COLUMNS

_LOOKUP_HEADERS = {"owner_name": "Owner", "account_name": "Account"}
_LOOKUP_TABLES = {"owner_name": "owners", "account_name": "accounts"}
_FORMATS = {
    Kind.DATETIME: Fmt.DATETIME,
    Kind.NUMBER: Fmt.NUMBER,
    Kind.INTEGER: Fmt.INTEGER,
    Kind.BOOL: Fmt.BOOL,
}


def raw_data_tab(spec: RawDataTab, ctx: BuildContext) -> Tab:
    """The DATA tab of ``spec``: chosen columns, readable headers, capped at the row limit."""
    source = ctx.dataset.table(spec.table)
    limit = min(x for x in (spec.max_rows, ctx.settings.raw_data_max_rows) if x is not None)
    total = len(source)
    # Pick the rows to show first: lookups and formatting then cost the cap, not the table.
    head = source.iloc[_shown_positions(source, spec, limit)].reset_index(drop=True)
    columns = list(spec.columns or TABLES[spec.table].names)
    frame = pd.DataFrame(index=head.index)
    for column in columns:
        if column in LOOKUP_COLUMNS:
            frame[column] = _lookup(ctx.dataset, head, column)
        else:
            frame[column] = head[column]
    for column in spec.custom_columns:
        frame[column] = head[column] if column in head.columns else None
    codes = head["currency"].dropna().unique() if "currency" in head else []
    # Raw amounts stay in their own currency: label them only when all shown rows share one.
    currency = str(codes[0]) if len(codes) == 1 else None
    shown = plain_values(frame)
    # Custom fields keep the name the user gave them; canonical columns get readable headers.
    headers = {c: c if c in spec.custom_columns else _header(c) for c in shown.columns}
    formats = {headers[c]: _format(spec.table, c, shown, currency) for c in shown.columns}
    shown.columns = [headers[c] for c in shown.columns]
    missing = [c for c in spec.custom_columns if c not in source.columns]
    notes = []
    if total == 0:
        notes.append(f"No {spec.table} rows from any source.")
    if missing:
        notes.append(f"Not provided by any source: {', '.join(missing)}.")
    table = Table(
        id=f"raw_{spec.table}",
        frame=shown,
        formats=formats,
        note=" ".join(notes) or None,
        truncated_from=total if total > len(shown) else None,
    )
    return Tab(spec.name, TabKind.DATA, title=spec.title, tables=[table])


def _lookup(dataset: Dataset, source: pd.DataFrame, column: str) -> pd.Series:
    """The name of each row's owner / account, looked up by id across sources (the first
    row with that id wins; missing when no row has it)."""
    other = metric_table(dataset, _LOOKUP_TABLES[column])
    id_column = LOOKUP_COLUMNS[column]
    # The ids are hashed once per dataset and shared with the metric engine's joins.
    rows = other.key_index(id_column).find(source[id_column])
    # Taken from the column's own array (-1 gives a missing name): no Python string per row.
    names = other.column("name").array.take(rows, allow_fill=True)
    return pd.Series(names, index=source.index)


def _shown_positions(source: pd.DataFrame, spec: RawDataTab, limit: int) -> np.ndarray:
    """Row positions of the first ``limit`` rows in display order: by ``spec.sort`` (``-`` for
    descending), else by the table's first date, newest first, so a capped tab keeps the most
    recent rows. Ties keep table order and missing keys go last, as a stable sort would."""
    if spec.sort:
        key, ascending = spec.sort.removeprefix("-"), not spec.sort.startswith("-")
    else:
        dates = [c.name for c in TABLES[spec.table].columns if c.kind is Kind.DATETIME]
        if not dates:
            return np.arange(min(limit, len(source)))
        key, ascending = dates[0], False
    values = source[key]
    ranks = top_rows(values, ascending, limit)
    if ranks is not None:
        return ranks
    order = values.reset_index(drop=True).sort_values(
        ascending=ascending, na_position="last", kind="stable"
    )
    return order.index.to_numpy()[:limit]


def _header(column: str) -> str:
    return _LOOKUP_HEADERS.get(column) or readable(column)


def _format(table: str, column: str, frame: pd.DataFrame, currency: str | None) -> ColumnFormat:
    spec = TABLES[table]
    if column not in spec.names:
        return ColumnFormat(Fmt.TEXT) if column in _LOOKUP_HEADERS else _guess(frame[column])
    kind = spec.column(column).kind
    if column == "probability":
        return ColumnFormat(Fmt.PERCENT)
    if kind is Kind.MONEY:
        return ColumnFormat(Fmt.CURRENCY, currency) if currency else ColumnFormat(Fmt.NUMBER)
    return ColumnFormat(_FORMATS.get(kind, Fmt.TEXT))


def _guess(values: pd.Series) -> ColumnFormat:
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values):
        return ColumnFormat(Fmt.NUMBER)
    return ColumnFormat(Fmt.TEXT)
