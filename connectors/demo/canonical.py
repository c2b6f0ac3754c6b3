"""Canonical tables from the demo universe, for the parts (CRMs, spend sheet) a source shows.

Ids become vendor-shaped and namespaced by the label of the part that holds the row (``demo`` for
a single-flavor source, ``demo-salesforce`` / ``demo-hubspot`` / ``demo-spend`` for flavor
``all``). Ids are built as Arrow text without a Python string per id, and references are
resolved by position into the referenced table's id array, then dictionary-encoded one column at
a time (:func:`sheets_sync.model.as_reference`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from connectors.demo.ids import source_ids
from connectors.demo.vocab import SYSTEMS
from sheets_sync.model import as_reference, string_array

CRM_TABLES = (
    "owners",
    "accounts",
    "deals",
    "deal_stage_history",
    "leads",
    "activities",
    "tickets",
)


class _Projection:
    """Selected rows and namespaced primary keys of every CRM table for some parts."""

    def __init__(self, universe: Mapping[str, pd.DataFrame], labels: Mapping[str, str]) -> None:
        self.universe = universe
        self.crm = {SYSTEMS.index(s): label for s, label in labels.items() if s in SYSTEMS}
        self.ids: dict[str, pa.Array] = {}
        self.rows: dict[str, np.ndarray] = {}
        for table in CRM_TABLES:
            frame = universe[table]
            codes = frame["system"].cat.codes.to_numpy()
            parts = []
            for code, label in self.crm.items():
                rows = np.flatnonzero(codes == code)
                events = None
                if table == "activities" and SYSTEMS[code] == "salesforce":
                    events = frame["type"].cat.codes.to_numpy()[rows] == 2  # meetings
                keys = frame["key"].to_numpy()[rows]
                parts.append((rows, source_ids(label, SYSTEMS[code], table, keys, events)))
            self.ids[table] = _scatter(len(frame), parts)
            self.rows[table] = np.flatnonzero(np.isin(codes, list(self.crm)))

    def refs(self, target: str, keys: np.ndarray, systems: np.ndarray) -> pa.Array:
        """Namespaced ids of rows ``keys`` of ``target``; -1 gives null, keys past the end give
        ids of rows that no longer exist (deleted records)."""
        known = self.ids[target]
        present = np.flatnonzero((keys >= 0) & (keys < len(known)))
        parts = [(present, known.take(pa.array(keys[present])))]
        gone = np.flatnonzero(keys >= len(known))
        for code, label in self.crm.items():
            rows = gone[systems[gone] == code]
            parts.append((rows, source_ids(label, SYSTEMS[code], target, keys[rows])))
        return _scatter(len(keys), parts)

    def source_column(self, codes: np.ndarray) -> pd.Categorical:
        """The ``source`` column: each row's part label."""
        present = sorted(self.crm)
        remap = np.full(len(SYSTEMS), -1)
        remap[present] = np.arange(len(present))
        return pd.Categorical.from_codes(remap[codes], [self.crm[c] for c in present])


def _scatter(length: int, parts: list[tuple[np.ndarray, pa.Array]]) -> pa.Array:
    """An array of ``length`` nulls with each part's values put at its row positions."""
    position = np.full(length, -1, dtype=np.int64)
    offset = 0
    for rows, _ in parts:
        position[rows] = np.arange(offset, offset + len(rows))
        offset += len(rows)
    values = pa.concat_arrays([pa.array([], type=pa.large_string())] + [v for _, v in parts])
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
    universe: Mapping[str, pd.DataFrame], labels: Mapping[str, str]
) -> Iterator[tuple[str, pd.DataFrame]]:
    """:func:`canonical_tables` one table at a time, so a caller can process and release each
    frame before the next is built (a large company holds millions of rows per table)."""
    proj = _Projection(universe, labels)
    for table in CRM_TABLES:
        yield table, _crm_table(proj, table)
    yield "spend", _spend(universe["spend"], labels.get("spend"))


def _select(proj: _Projection, table: str) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    frame = proj.universe[table]
    rows = proj.rows[table]
    if len(rows) != len(frame):
        frame = frame.take(rows)
    return frame, rows, frame["system"].cat.codes.to_numpy()


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
    frame, rows, systems = _select(proj, table)
    id_column, layout = _LAYOUTS[table]
    columns: dict[str, object] = {
        id_column: string_array(proj.ids[table].take(pa.array(rows))),
        "source": proj.source_column(systems),
    }
    for part in layout:
        if isinstance(part, _Ref):
            keys = frame[part.field].to_numpy()
            # Encoded right away, so only one column of repeated ids exists at a time.
            refs = pd.Series(string_array(proj.refs(part.target, keys, systems)))
            columns[part.column] = as_reference(refs)
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
