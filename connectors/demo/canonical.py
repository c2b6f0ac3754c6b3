"""Canonical tables from the demo universe, for the parts (CRMs, spend sheet) a source shows.

Ids become vendor-shaped and namespaced by the label of the part that holds the row (``demo`` for
a single-flavor source, ``demo-salesforce`` / ``demo-hubspot`` / ``demo-spend`` for flavor
``all``). Ids are built as Arrow text without a Python string per id, and references are
held as codes into the referenced table's ids (:func:`sheets_sync.model.reference_from_dictionary`):
no id is repeated for every row that points at it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from connectors.demo.ids import source_ids
from connectors.demo.vocab import SYSTEMS
from sheets_sync.model import reference_from_dictionary, string_array

CRM_TABLES = (
    "owners",
    "accounts",
    "deals",
    "deal_stage_history",
    "leads",
    "activities",
    "tickets",
)


# Tables other tables point at: their ids are kept while a projection lives.
REFERENCED = ("owners", "accounts", "deals", "leads")


class _Projection:
    """Selected rows of every CRM table for some parts, their namespaced ids and references.

    A table's ids are built for its selected rows only, when first needed, and kept only for
    :data:`REFERENCED` tables. References are codes into the referenced table's ids: no id is
    repeated per referencing row.
    """

    def __init__(
        self,
        universe: Mapping[str, pd.DataFrame],
        labels: Mapping[str, str],
        sizes: Mapping[str, int] | None = None,
    ) -> None:
        self.universe = universe
        self.crm = {SYSTEMS.index(s): label for s, label in labels.items() if s in SYSTEMS}
        self.rows: dict[str, np.ndarray] = {}
        # Rows per table as generated (keys at or past them are deleted records), also once a
        # table is consumed or has lost other parts' rows.
        self.sizes: dict[str, int] = {}
        self.keys: dict[str, np.ndarray] = {}  # keys of the selected rows of referenced tables
        for table in CRM_TABLES:
            frame = universe[table]
            codes = frame["system"].cat.codes.to_numpy()
            self.rows[table] = np.flatnonzero(np.isin(codes, list(self.crm)))
            self.sizes[table] = len(frame) if sizes is None else sizes[table]
            if table in REFERENCED:
                self.keys[table] = frame["key"].to_numpy()[self.rows[table]]
        self._ids: dict[str, pa.Array] = {}

    def ids(self, table: str) -> pa.Array:
        """Namespaced ids of the selected rows of ``table``, in table order."""
        if table in self._ids:
            return self._ids[table]
        frame, rows = self.universe[table], self.rows[table]
        codes = frame["system"].cat.codes.to_numpy()[rows]
        keys = frame["key"].to_numpy()[rows]
        parts = []
        for code, label in self.crm.items():
            mine = np.flatnonzero(codes == code)
            events = None
            if table == "activities" and SYSTEMS[code] == "salesforce":
                events = frame["type"].cat.codes.to_numpy()[rows[mine]] == 2  # meetings
            parts.append((mine, source_ids(label, SYSTEMS[code], table, keys[mine], events)))
        ids = _scatter(len(rows), parts)
        if table in REFERENCED:
            self._ids[table] = ids
        return ids

    def refs(self, target: str, keys: np.ndarray, systems: np.ndarray) -> pd.Series:
        """A reference column to rows ``keys`` of ``target``: -1, and rows of parts not shown,
        give a missing id; keys past the end give ids of rows that no longer exist (deleted
        records). Its categories are the ids it uses, in ``target``'s order."""
        known, rows = self.ids(target), self.rows[target]
        size = self.sizes[target]
        position = np.full(size, -1, dtype=np.int64)  # a target key's place among ``known``
        position[self.keys[target]] = np.arange(len(rows))
        codes = np.full(len(keys), -1, dtype=np.int64)
        present = np.flatnonzero((keys >= 0) & (keys < size))
        codes[present] = position[keys[present]]
        id_parts = [known]  # then the ids of deleted records, numbered after the known ones
        count = len(known)
        gone = np.flatnonzero(keys >= size)
        for code, label in self.crm.items():
            mine = gone[systems[gone] == code]
            lost, which = np.unique(keys[mine], return_inverse=True)
            codes[mine] = count + which
            id_parts.append(source_ids(label, SYSTEMS[code], target, lost))
            count += len(lost)
        used = np.unique(codes[codes >= 0])
        remap = np.full(count, -1, dtype=np.int32)
        remap[used] = np.arange(len(used), dtype=np.int32)
        codes = np.where(codes >= 0, remap[codes], -1).astype(np.int32)
        dictionary = pa.concat_arrays(id_parts).take(pa.array(used))
        indices = pa.array(codes, mask=codes < 0)
        return reference_from_dictionary(pa.DictionaryArray.from_arrays(indices, dictionary))

    def source_column(self, codes: np.ndarray) -> pd.Categorical:
        """The ``source`` column: each row's part label."""
        present = sorted(self.crm)
        remap = np.full(len(SYSTEMS), -1)
        remap[present] = np.arange(len(present))
        return pd.Categorical.from_codes(remap[codes], [self.crm[c] for c in present])


def _scatter(length: int, parts: list[tuple[np.ndarray, pa.Array]]) -> pa.Array:
    """An array of ``length`` nulls with each part's values put at its row positions."""
    filled = [(rows, values) for rows, values in parts if len(rows)]
    if len(filled) == 1 and len(filled[0][0]) == length:
        return filled[0][1]  # one part holds every row, in order (positions are ascending)
    position = np.full(length, -1, dtype=np.int64)
    offset = 0
    for rows, _ in filled:
        position[rows] = np.arange(offset, offset + len(rows))
        offset += len(rows)
    values = pa.concat_arrays([pa.array([], type=pa.large_string())] + [v for _, v in filled])
    return values.take(pa.array(position, mask=position < 0))


def canonical_tables(
    universe: Mapping[str, pd.DataFrame], labels: Mapping[str, str]
) -> dict[str, pd.DataFrame]:
    """Canonical-shaped (not yet conformed) frames of the parts named in ``labels``.

    ``labels`` maps part names (``salesforce``, ``hubspot``, ``spend``) to the source label their
    rows carry; parts not named contribute no rows.
    """
    return dict(iter_canonical_tables(universe, labels))


def iter_canonical_tables(
    universe: Mapping[str, pd.DataFrame],
    labels: Mapping[str, str],
    consume: bool = False,
    sizes: Mapping[str, int] | None = None,
) -> Iterator[tuple[str, pd.DataFrame]]:
    """:func:`canonical_tables` one table at a time, so a caller can process and release each
    frame before the next is built (a large company holds millions of rows per table).

    With ``consume``, ``universe`` (then a mutable mapping nobody else reads) loses each frame
    once its canonical table is built: the company shrinks as its canonical tables grow.
    ``sizes`` gives each table's generated row count when rows of other parts were dropped
    (:meth:`connectors.demo.universe.Company.let_go`).
    """
    proj = _Projection(universe, labels, sizes)
    for table in CRM_TABLES:
        frame = _crm_table(proj, table)
        if consume:
            del universe[table]  # type: ignore[attr-defined]
        yield table, frame
        del frame
    spend = _spend(universe["spend"], labels.get("spend"))
    if consume:
        del universe["spend"]  # type: ignore[attr-defined]
    yield "spend", spend


def _select(proj: _Projection, table: str) -> tuple[pd.DataFrame, np.ndarray]:
    """The selected rows of ``table`` and their CRM codes."""
    frame = proj.universe[table]
    rows = proj.rows[table]
    if len(rows) != len(frame):
        frame = frame.take(rows)
    return frame, frame["system"].cat.codes.to_numpy()


def _columns(frame: pd.DataFrame, names: tuple[str, ...]) -> dict[str, object]:
    """Copy ``names`` from ``frame``; categories other parts use are dropped."""
    out: dict[str, object] = {}
    for name in names:
        column = frame[name]
        if isinstance(column.dtype, pd.CategoricalDtype):
            column = column.cat.remove_unused_categories()
        # Extension arrays (categories, tz-aware datetimes) keep their dtype; no index alignment.
        extension = isinstance(column.dtype, pd.api.extensions.ExtensionDtype)
        out[name] = column.array if extension else column.to_numpy()
    return out


def _frame(columns: dict[str, object]) -> pd.DataFrame:
    """A frame over ``columns`` without the consolidating copy: conform builds the final frame."""
    return pd.DataFrame(columns, copy=False)


@dataclass(frozen=True)
class _Ref:
    """Column ``column`` holds the namespaced ids of ``target`` rows named by ``field``."""

    column: str
    target: str
    field: str


_OWNER = _Ref("owner_id", "owners", "owner")
_ACCOUNT = _Ref("account_id", "accounts", "account")

# Per CRM table: its id column, then (after ``source``) copied columns and references, in the
# canonical column order.
_LAYOUTS: dict[str, tuple[str, tuple[tuple[str, ...] | _Ref, ...]]] = {
    "owners": ("owner_id", (("name", "email", "team", "manager", "region", "active", "title"),)),
    "accounts": (
        "account_id",
        (
            ("name", "domain", "industry", "segment", "region", "country", "employees"),
            ("annual_revenue",),
            _OWNER,
            ("created_at", "customer_since", "churned_at", "mrr", "currency"),
        ),
    ),
    "deals": (
        "deal_id",
        (
            ("name", "pipeline", "stage", "stage_order", "status", "amount", "currency"),
            ("created_at", "close_date", "probability", "lead_source", "campaign", "product"),
            ("deal_type",),
            _OWNER,
            _ACCOUNT,
            _Ref("contact_id", "leads", "contact"),
            ("updated_at", "stage_id"),
        ),
    ),
    "deal_stage_history": (
        "history_id",
        (_Ref("deal_id", "deals", "deal"), ("stage", "stage_order", "entered_at", "amount")),
    ),
    "leads": (
        "lead_id",
        (
            ("name", "email", "company", "status", "channel", "campaign", "created_at"),
            ("mql_at", "sql_at", "converted_at"),
            _Ref("converted_deal_id", "deals", "converted_deal"),
            _ACCOUNT,
            _OWNER,
            ("country", "region", "first_response_at", "crm_status"),
        ),
    ),
    "activities": (
        "activity_id",
        (
            ("type", "occurred_at"),
            _OWNER,
            _Ref("deal_id", "deals", "deal"),
            _ACCOUNT,
            _Ref("lead_id", "leads", "lead"),
            ("completed", "crm_type"),
        ),
    ),
    "tickets": (
        "ticket_id",
        (
            _ACCOUNT,
            _OWNER,
            ("opened_at", "first_response_at", "resolved_at", "priority", "status", "channel"),
            ("satisfaction",),
        ),
    ),
}


def _crm_table(proj: _Projection, table: str) -> pd.DataFrame:
    """The canonical-shaped frame of CRM ``table`` laid out as :data:`_LAYOUTS` says."""
    frame, systems = _select(proj, table)
    id_column, layout = _LAYOUTS[table]
    columns: dict[str, object] = {
        id_column: string_array(proj.ids(table)),
        "source": proj.source_column(systems),
    }
    for part in layout:
        if isinstance(part, _Ref):
            columns[part.column] = proj.refs(part.target, frame[part.field].to_numpy(), systems)
        else:
            columns.update(_columns(frame, part))
    return _frame(columns)


def _spend(frame: pd.DataFrame, label: str | None) -> pd.DataFrame:
    if label is None:
        frame = frame.iloc[:0]
    return _frame(
        {
            "spend_id": string_array(
                source_ids(label or "", "spend", "spend", frame["key"].to_numpy())
            ),
            "source": pd.Categorical([label] * len(frame)) if label else pd.Categorical([]),
            **_columns(frame, ("date", "channel", "campaign", "cost", "currency")),
        }
    )
