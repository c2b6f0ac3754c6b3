"""Canonical tables from the demo universe, for the parts (CRMs, spend sheet) a source shows.

Ids become vendor-shaped and namespaced by the label of the part that holds the row (``demo`` for
a single-flavor source, ``demo-salesforce`` / ``demo-hubspot`` / ``demo-spend`` for flavor
``all``). References are resolved by position into the referenced table's id array, so every
reference shares the string object of the id it points at instead of building its own copy.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np
import pandas as pd

from connectors.demo.ids import source_ids
from connectors.demo.vocab import SYSTEMS

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
        self.ids: dict[str, np.ndarray] = {}
        self.rows: dict[str, np.ndarray] = {}
        for table in CRM_TABLES:
            frame = universe[table]
            codes = frame["system"].cat.codes.to_numpy()
            full = np.full(len(frame), None, dtype=object)
            for code, label in self.crm.items():
                rows = np.flatnonzero(codes == code)
                events = None
                if table == "activities" and SYSTEMS[code] == "salesforce":
                    events = frame["type"].cat.codes.to_numpy()[rows] == 2  # meetings
                keys = frame["key"].to_numpy()[rows]
                full[rows] = source_ids(label, SYSTEMS[code], table, keys, events)
            self.ids[table] = full
            self.rows[table] = np.flatnonzero(np.isin(codes, list(self.crm)))

    def refs(self, target: str, keys: np.ndarray, systems: np.ndarray) -> np.ndarray:
        """Namespaced ids of rows ``keys`` of ``target``; -1 gives None, keys past the end give
        ids of rows that no longer exist (deleted records)."""
        known = self.ids[target]
        out = np.full(len(keys), None, dtype=object)
        present = (keys >= 0) & (keys < len(known))
        out[present] = known[keys[present]]
        gone = np.flatnonzero(keys >= len(known))
        for code, label in self.crm.items():
            rows = gone[systems[gone] == code]
            out[rows] = source_ids(label, SYSTEMS[code], target, keys[rows])
        return out

    def source_column(self, codes: np.ndarray) -> pd.Categorical:
        """The ``source`` column: each row's part label."""
        present = sorted(self.crm)
        remap = np.full(len(SYSTEMS), -1)
        remap[present] = np.arange(len(present))
        return pd.Categorical.from_codes(remap[codes], [self.crm[c] for c in present])


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
        yield table, _BUILDERS[table](proj)
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


def _owners(proj: _Projection) -> pd.DataFrame:
    frame, rows, systems = _select(proj, "owners")
    return _frame(
        {
            "owner_id": proj.ids["owners"][rows],
            "source": proj.source_column(systems),
            **_columns(frame, ("name", "email", "team", "manager", "region", "active", "title")),
        }
    )


def _accounts(proj: _Projection) -> pd.DataFrame:
    frame, rows, systems = _select(proj, "accounts")
    fields = ("name", "domain", "industry", "segment", "region", "country", "employees")
    return _frame(
        {
            "account_id": proj.ids["accounts"][rows],
            "source": proj.source_column(systems),
            **_columns(frame, fields),
            "annual_revenue": frame["annual_revenue"].to_numpy(),
            "owner_id": proj.refs("owners", frame["owner"].to_numpy(), systems),
            **_columns(frame, ("created_at", "customer_since", "churned_at", "mrr", "currency")),
        }
    )


def _deals(proj: _Projection) -> pd.DataFrame:
    frame, rows, systems = _select(proj, "deals")
    fields: tuple[str, ...] = ("name", "pipeline", "stage", "stage_order", "status", "amount")
    fields += ("currency", "created_at", "close_date", "probability", "lead_source", "campaign")
    fields += ("product",)
    return _frame(
        {
            "deal_id": proj.ids["deals"][rows],
            "source": proj.source_column(systems),
            **_columns(frame, (*fields, "deal_type")),
            "owner_id": proj.refs("owners", frame["owner"].to_numpy(), systems),
            "account_id": proj.refs("accounts", frame["account"].to_numpy(), systems),
            "contact_id": proj.refs("leads", frame["contact"].to_numpy(), systems),
            **_columns(frame, ("updated_at", "stage_id")),
        }
    )


def _history(proj: _Projection) -> pd.DataFrame:
    frame, rows, systems = _select(proj, "deal_stage_history")
    return _frame(
        {
            "history_id": proj.ids["deal_stage_history"][rows],
            "source": proj.source_column(systems),
            "deal_id": proj.refs("deals", frame["deal"].to_numpy(), systems),
            **_columns(frame, ("stage", "stage_order", "entered_at", "amount")),
        }
    )


def _leads(proj: _Projection) -> pd.DataFrame:
    frame, rows, systems = _select(proj, "leads")
    fields = ("name", "email", "company", "status", "channel", "campaign", "created_at")
    return _frame(
        {
            "lead_id": proj.ids["leads"][rows],
            "source": proj.source_column(systems),
            **_columns(frame, (*fields, "mql_at", "sql_at", "converted_at")),
            "converted_deal_id": proj.refs("deals", frame["converted_deal"].to_numpy(), systems),
            "account_id": proj.refs("accounts", frame["account"].to_numpy(), systems),
            "owner_id": proj.refs("owners", frame["owner"].to_numpy(), systems),
            **_columns(frame, ("country", "region", "first_response_at", "crm_status")),
        }
    )


def _activities(proj: _Projection) -> pd.DataFrame:
    frame, rows, systems = _select(proj, "activities")
    return _frame(
        {
            "activity_id": proj.ids["activities"][rows],
            "source": proj.source_column(systems),
            **_columns(frame, ("type", "occurred_at")),
            "owner_id": proj.refs("owners", frame["owner"].to_numpy(), systems),
            "deal_id": proj.refs("deals", frame["deal"].to_numpy(), systems),
            "account_id": proj.refs("accounts", frame["account"].to_numpy(), systems),
            "lead_id": proj.refs("leads", frame["lead"].to_numpy(), systems),
            **_columns(frame, ("completed", "crm_type")),
        }
    )


def _tickets(proj: _Projection) -> pd.DataFrame:
    frame, rows, systems = _select(proj, "tickets")
    fields = ("opened_at", "first_response_at", "resolved_at", "priority", "status", "channel")
    return _frame(
        {
            "ticket_id": proj.ids["tickets"][rows],
            "source": proj.source_column(systems),
            "account_id": proj.refs("accounts", frame["account"].to_numpy(), systems),
            "owner_id": proj.refs("owners", frame["owner"].to_numpy(), systems),
            **_columns(frame, (*fields, "satisfaction")),
        }
    )


def _spend(frame: pd.DataFrame, label: str | None) -> pd.DataFrame:
    if label is None:
        frame = frame.iloc[:0]
    return _frame(
        {
            "spend_id": source_ids(label or "", "spend", "spend", frame["key"].to_numpy()),
            "source": pd.Categorical([label] * len(frame)) if label else pd.Categorical([]),
            **_columns(frame, ("date", "channel", "campaign", "cost", "currency")),
        }
    )


_BUILDERS = {
    "owners": _owners,
    "accounts": _accounts,
    "deals": _deals,
    "deal_stage_history": _history,
    "leads": _leads,
    "activities": _activities,
    "tickets": _tickets,
}
