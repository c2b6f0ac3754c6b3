"""The Salesforce objects the connector reads, declared as data, and their derived columns.

Each :class:`~connectors.base.Stream` maps canonical columns to Salesforce field API names;
``custom_fields`` in the source's YAML extend or override these mappings (``Region__c``...).
Columns that need more than one field, or another object, are *derivations* computed from the
raw records (``deal status`` from ``IsClosed``/``IsWon``, ``team`` from the user's role...).

Lookups (``UserRole``, ``OpportunityStage``) are small metadata objects read in full every time;
they have no canonical table of their own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from connectors.base import Stream
from connectors.common.streams import Derivation

CURSOR = "SystemModstamp"

STREAMS: tuple[tuple[str, Stream], ...] = (
    (
        "Opportunity",
        Stream(
            "opportunities",
            "deals",
            "Id",
            CURSOR,
            {
                "deal_id": "Id",
                "name": "Name",
                "stage": "StageName",
                "amount": "Amount",
                "currency": "CurrencyIsoCode",
                "created_at": "CreatedDate",
                "close_date": "CloseDate",
                "lead_source": "LeadSource",
                "deal_type": "Type",
                "owner_id": "OwnerId",
                "account_id": "AccountId",
                "contact_id": "ContactId",
                "updated_at": "SystemModstamp",
            },
        ),
    ),
    (
        "OpportunityHistory",
        Stream(
            "opportunity_history",
            "deal_stage_history",
            "Id",
            CURSOR,
            {
                "history_id": "Id",
                "deal_id": "OpportunityId",
                "stage": "StageName",
                "entered_at": "CreatedDate",
                "amount": "Amount",
            },
        ),
    ),
    (
        "Lead",
        Stream(
            "leads",
            "leads",
            "Id",
            CURSOR,
            {
                "lead_id": "Id",
                "name": "Name",
                "email": "Email",
                "company": "Company",
                "channel": "LeadSource",
                "created_at": "CreatedDate",
                "converted_at": "ConvertedDate",
                "converted_deal_id": "ConvertedOpportunityId",
                "account_id": "ConvertedAccountId",
                "owner_id": "OwnerId",
                "country": "Country",
            },
        ),
    ),
    (
        "Contact",
        Stream(
            "contacts",
            "leads",
            "Id",
            CURSOR,
            {
                "lead_id": "Id",
                "name": "Name",
                "email": "Email",
                "channel": "LeadSource",
                "created_at": "CreatedDate",
                "account_id": "AccountId",
                "owner_id": "OwnerId",
                "country": "MailingCountry",
            },
        ),
    ),
    (
        "Account",
        Stream(
            "accounts",
            "accounts",
            "Id",
            CURSOR,
            {
                "account_id": "Id",
                "name": "Name",
                "domain": "Website",
                "industry": "Industry",
                "country": "BillingCountry",
                "region": "BillingState",
                "employees": "NumberOfEmployees",
                "annual_revenue": "AnnualRevenue",
                "currency": "CurrencyIsoCode",
                "owner_id": "OwnerId",
                "created_at": "CreatedDate",
            },
        ),
    ),
    (
        "User",
        Stream(
            "users",
            "owners",
            "Id",
            CURSOR,
            {
                "owner_id": "Id",
                "name": "Name",
                "email": "Email",
                "active": "IsActive",
                "region": "Division",
            },
        ),
    ),
    (
        "Task",
        Stream(
            "tasks",
            "activities",
            "Id",
            CURSOR,
            {
                "activity_id": "Id",
                "owner_id": "OwnerId",
                "lead_id": "WhoId",
                "completed": "IsClosed",
            },
        ),
    ),
    (
        "Event",
        Stream(
            "events",
            "activities",
            "Id",
            CURSOR,
            {
                "activity_id": "Id",
                "occurred_at": "StartDateTime",
                "owner_id": "OwnerId",
                "lead_id": "WhoId",
            },
        ),
    ),
    (
        "Case",
        Stream(
            "cases",
            "tickets",
            "Id",
            CURSOR,
            {
                "ticket_id": "Id",
                "account_id": "AccountId",
                "owner_id": "OwnerId",
                "opened_at": "CreatedDate",
                "resolved_at": "ClosedDate",
                "priority": "Priority",
                "status": "Status",
                "channel": "Origin",
            },
        ),
    ),
    (
        "Campaign",
        Stream(
            "campaigns",
            "spend",
            "Id",
            CURSOR,
            {
                "spend_id": "Id",
                "date": "StartDate",
                "channel": "Type",
                "campaign": "Name",
                "cost": "ActualCost",
            },
        ),
    ),
)

OBJECT_OF: dict[str, str] = {stream.name: obj for obj, stream in STREAMS}

EXTRA_FIELDS: dict[str, tuple[str, ...]] = {
    "opportunities": ("IsClosed", "IsWon", "Probability", "CampaignId"),
    "leads": ("Status", "IsConverted", "ConvertedContactId"),
    "users": ("UserRoleId", "ManagerId"),
    "tasks": ("TaskSubtype", "ActivityDate", "CreatedDate", "WhatId", "AccountId"),
    "events": ("ActivityDateTime", "EndDateTime", "WhatId", "AccountId"),
}
"""Fields read besides the mapping, for derivations (dropped when the org lacks them)."""

LOOKUPS: dict[str, tuple[str, ...]] = {
    "UserRole": ("Id", "Name"),
    "OpportunityStage": ("MasterLabel", "ApiName", "SortOrder", "IsClosed", "IsWon"),
}


def _col(raw: pd.DataFrame, name: str) -> pd.Series:
    if name in raw.columns:
        return raw[name].reset_index(drop=True)
    return pd.Series([None] * len(raw), dtype=object)


def _truthy(values: pd.Series) -> pd.Series:
    return values.map(lambda v: v is True or str(v).lower() == "true").astype(bool)


def _names(records: pd.DataFrame | None, key: str = "Id", label: str = "Name") -> dict[Any, Any]:
    if records is None or records.empty or key not in records or label not in records:
        return {}
    return dict(zip(records[key], records[label], strict=False))


def deal_status(raw: pd.DataFrame) -> pd.Series:
    """open / won / lost from the Opportunity's ``IsClosed`` and ``IsWon`` flags."""
    closed, won = _truthy(_col(raw, "IsClosed")), _truthy(_col(raw, "IsWon"))
    return pd.Series(
        ["won" if w else "lost" if c else "open" for c, w in zip(closed, won, strict=False)],
        dtype=object,
    )


def _by_id_prefix(raw: pd.DataFrame, column: str, prefix: str) -> pd.Series:
    """Ids in ``column`` whose key prefix names the wanted object (006 deal, 001 account)."""
    values = _col(raw, column)
    return values.where(values.astype("string").str.startswith(prefix).fillna(False), None)


DEFAULT_LEAD_STAGES = {
    "open - not contacted": "lead",
    "working - contacted": "mql",
    "closed - converted": "opportunity",
    "closed - not converted": "unqualified",
    "mql": "mql",
    "sql": "sql",
    "qualified": "sql",
    "unqualified": "unqualified",
}


def lead_stage(raw: pd.DataFrame, overrides: Mapping[str, str]) -> pd.Series:
    """Lifecycle stage: converted leads are opportunities; else the Status picklist, mapped."""
    table = {**DEFAULT_LEAD_STAGES, **{k.lower(): v for k, v in overrides.items()}}
    converted = _truthy(_col(raw, "IsConverted"))
    status = _col(raw, "Status").astype("string").str.strip().str.lower()
    return pd.Series(
        [
            "opportunity" if conv else table.get(str(s), "lead") if pd.notna(s) else "lead"
            for conv, s in zip(converted, status, strict=False)
        ],
        dtype=object,
    )


def derivations(
    stream: Stream,
    records: Mapping[str, pd.DataFrame],
    lookups: Mapping[str, pd.DataFrame],
    lead_overrides: Mapping[str, str],
    now: pd.Timestamp,
) -> dict[str, Derivation]:
    """The derived columns of ``stream`` given every stream's records and the lookups."""
    if stream.name == "opportunities":
        stages = lookups.get("OpportunityStage")
        order = _names(stages, "ApiName", "SortOrder") or _names(stages, "MasterLabel", "SortOrder")
        campaigns = _names(records.get("campaigns"))
        return {
            "status": deal_status,
            "probability": lambda r: pd.to_numeric(_col(r, "Probability"), errors="coerce") / 100,
            "stage_order": lambda r: _col(r, "StageName").map(order),
            "campaign": lambda r: _col(r, "CampaignId").map(campaigns),
        }
    if stream.name == "opportunity_history":
        stages = lookups.get("OpportunityStage")
        order = _names(stages, "ApiName", "SortOrder") or _names(stages, "MasterLabel", "SortOrder")
        return {"stage_order": lambda r: _col(r, "StageName").map(order)}
    if stream.name == "leads":
        return {"status": lambda r: lead_stage(r, lead_overrides)}
    if stream.name == "users":
        roles = _names(lookups.get("UserRole"))
        people = _names(records.get("users"))
        return {
            "team": lambda r: _col(r, "UserRoleId").map(roles),
            "manager": lambda r: _col(r, "ManagerId").map(people),
        }
    if stream.name == "tasks":
        kinds = {"call": "call", "email": "email", "listemail": "email"}
        return {
            "type": lambda r: (
                _col(r, "TaskSubtype")
                .astype("string")
                .str.lower()
                .map(kinds)
                .fillna("task")
                .astype(object)
            ),
            "occurred_at": lambda r: _col(r, "ActivityDate").fillna(_col(r, "CreatedDate")),
            "deal_id": lambda r: _by_id_prefix(r, "WhatId", "006"),
            "account_id": lambda r: _col(r, "AccountId").fillna(_by_id_prefix(r, "WhatId", "001")),
        }
    if stream.name == "events":
        return {
            "type": lambda r: pd.Series(["meeting"] * len(r), dtype=object),
            "occurred_at": lambda r: _col(r, "StartDateTime").fillna(_col(r, "ActivityDateTime")),
            "completed": lambda r: (
                pd.to_datetime(_col(r, "EndDateTime"), utc=True, errors="coerce", format="ISO8601")
                <= now
            ),
            "deal_id": lambda r: _by_id_prefix(r, "WhatId", "006"),
            "account_id": lambda r: _col(r, "AccountId").fillna(_by_id_prefix(r, "WhatId", "001")),
        }
    return {}


def stage_changes_only(history: pd.DataFrame) -> pd.DataFrame:
    """Drop OpportunityHistory rows that repeat the previous stage of the same deal.

    Salesforce writes a history row for amount and close-date edits too; the canonical table
    holds one row per stage a deal *entered*.
    """
    if history.empty:
        return history
    ordered = history.sort_values(["deal_id", "entered_at", "history_id"], kind="stable")
    previous = ordered.groupby("deal_id", sort=False)["stage"].shift()
    keep = previous.isna() | (previous.astype("string") != ordered["stage"].astype("string"))
    return ordered[keep.to_numpy()].sort_values("history_id").reset_index(drop=True)


def without_converted_contacts(leads: pd.DataFrame, lead_records: pd.DataFrame, source: str):
    """Leads table minus contacts created by converting a lead (already counted as that lead)."""
    if lead_records.empty or "ConvertedContactId" not in lead_records:
        return leads
    converted = {f"{source}:{v}" for v in lead_records["ConvertedContactId"].dropna()}
    return leads[~leads["lead_id"].isin(converted)].reset_index(drop=True)
