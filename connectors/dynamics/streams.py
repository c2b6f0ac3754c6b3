"""The Dataverse tables the connector reads, declared as data, and their derived columns.

Raw records keep Dataverse's column names; each annotation the API adds becomes its own column:
``<field>@label`` holds the formatted value (option set label, lookup's primary name) and
``<field>@entity`` a lookup's target table (``_regardingobjectid_value@entity`` is
``opportunity``, ``account``...). Mappings may name either (``industry: industrycode@label``).

Status comes from ``statecode`` values, which Dataverse fixes per table (opportunity 0 open,
1 won, 2 lost; lead 0 open, 1 qualified, 2 disqualified; case 1 resolved), while stage, channel
and priority names come from the formatted labels, so renamed or translated labels still map.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from connectors.base import Stream
from connectors.common.streams import Derivation

LABEL = "@label"
ENTITY = "@entity"
FORMATTED = "@OData.Community.Display.V1.FormattedValue"
LOGICAL = "@Microsoft.Dynamics.CRM.lookuplogicalname"
CURSOR = "modifiedon"


@dataclass(frozen=True)
class DataverseStream:
    """One Dataverse table read as one stream."""

    stream: Stream
    entity_set: str
    privilege: str
    extra: tuple[str, ...] = ()
    tracks_changes: bool = True


def _s(name: str, table: str, key: str, mapping: dict[str, str]) -> Stream:
    return Stream(name, table, key, CURSOR, mapping)


STREAMS: tuple[DataverseStream, ...] = (
    DataverseStream(
        _s(
            "opportunities",
            "deals",
            "opportunityid",
            {
                "deal_id": "opportunityid",
                "name": "name",
                "amount": "estimatedvalue",
                "created_at": "createdon",
                "owner_id": "_ownerid_value",
                "account_id": "_parentaccountid_value",
                "contact_id": "_parentcontactid_value",
                "campaign": "_campaignid_value@label",
                "updated_at": CURSOR,
            },
        ),
        "opportunities",
        "prvReadOpportunity",
        (
            "statecode",
            "statecode@label",
            "salesstage",
            "salesstage@label",
            "stepname",
            "closeprobability",
            "actualvalue",
            "actualclosedate",
            "estimatedclosedate",
            "_transactioncurrencyid_value",
            "_originatingleadid_value",
        ),
    ),
    DataverseStream(
        _s(
            "leads",
            "leads",
            "leadid",
            {
                "lead_id": "leadid",
                "name": "fullname",
                "email": "emailaddress1",
                "company": "companyname",
                "channel": "leadsourcecode@label",
                "campaign": "_campaignid_value@label",
                "created_at": "createdon",
                "converted_deal_id": "_qualifyingopportunityid_value",
                "account_id": "_parentaccountid_value",
                "owner_id": "_ownerid_value",
                "country": "address1_country",
            },
        ),
        "leads",
        "prvReadLead",
        ("statecode", "statuscode@label"),
    ),
    DataverseStream(
        _s(
            "contacts",
            "leads",
            "contactid",
            {
                "lead_id": "contactid",
                "name": "fullname",
                "email": "emailaddress1",
                "created_at": "createdon",
                "owner_id": "_ownerid_value",
                "country": "address1_country",
            },
        ),
        "contacts",
        "prvReadContact",
        ("_parentcustomerid_value", "_parentcustomerid_value@entity"),
    ),
    DataverseStream(
        _s(
            "accounts",
            "accounts",
            "accountid",
            {
                "account_id": "accountid",
                "name": "name",
                "domain": "websiteurl",
                "industry": "industrycode@label",
                "segment": "accountcategorycode@label",
                "country": "address1_country",
                "region": "address1_stateorprovince",
                "employees": "numberofemployees",
                "annual_revenue": "revenue",
                "owner_id": "_ownerid_value",
                "created_at": "createdon",
            },
        ),
        "accounts",
        "prvReadAccount",
        ("_transactioncurrencyid_value",),
    ),
    DataverseStream(
        _s(
            "systemusers",
            "owners",
            "systemuserid",
            {
                "owner_id": "systemuserid",
                "name": "fullname",
                "email": "internalemailaddress",
                "team": "_businessunitid_value@label",
                "manager": "_parentsystemuserid_value@label",
                "region": "address1_stateorprovince",
            },
        ),
        "systemusers",
        "prvReadUser",
        ("isdisabled",),
    ),
    DataverseStream(
        _s("teams", "owners", "teamid", {"owner_id": "teamid", "name": "name", "team": "name"}),
        "teams",
        "prvReadTeam",
    ),
    DataverseStream(
        _s(
            "activities",
            "activities",
            "activityid",
            {"activity_id": "activityid", "owner_id": "_ownerid_value"},
        ),
        "activitypointers",
        "prvReadActivity",
        (
            "activitytypecode",
            "statecode",
            "actualend",
            "scheduledstart",
            "createdon",
            "_regardingobjectid_value",
            "_regardingobjectid_value@entity",
        ),
        tracks_changes=False,
    ),
    DataverseStream(
        _s(
            "incidents",
            "tickets",
            "incidentid",
            {
                "ticket_id": "incidentid",
                "owner_id": "_ownerid_value",
                "opened_at": "createdon",
                "priority": "prioritycode@label",
                "status": "statuscode@label",
                "channel": "caseorigincode@label",
                "satisfaction": "customersatisfactioncode",
            },
        ),
        "incidents",
        "prvReadIncident",
        ("statecode", "_customerid_value", "_customerid_value@entity"),
    ),
)

BY_NAME: dict[str, DataverseStream] = {s.stream.name: s for s in STREAMS}
ACTIVITY_TYPES = {"phonecall": "call", "email": "email", "appointment": "meeting", "task": "task"}


def select_columns(fields: list[str]) -> list[str]:
    """The ``$select`` list for record columns ``fields`` (annotation columns dropped)."""
    return list(dict.fromkeys(f.split("@", 1)[0] for f in fields))


def normalise(row: dict[str, Any]) -> dict[str, Any]:
    """A Web API row with annotations renamed to ``@label`` / ``@entity`` columns."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        if key.endswith(FORMATTED):
            out[key[: -len(FORMATTED)] + LABEL] = value
        elif key.endswith(LOGICAL):
            out[key[: -len(LOGICAL)] + ENTITY] = value
        elif not key.startswith("@odata."):
            out[key] = value
    return out


def _col(raw: pd.DataFrame, name: str) -> pd.Series:
    if name in raw.columns:
        return raw[name].reset_index(drop=True)
    return pd.Series([None] * len(raw), dtype=object)


def _code(raw: pd.DataFrame, name: str) -> pd.Series:
    return pd.to_numeric(_col(raw, name), errors="coerce")


def _when(raw: pd.DataFrame, column: str, entity: str) -> pd.Series:
    """Lookup ids in ``column`` whose target table is ``entity``."""
    targets = _col(raw, f"{column}{ENTITY}")
    return _col(raw, column).where(targets.eq(entity).fillna(False).to_numpy(), None)


def deal_status(raw: pd.DataFrame) -> pd.Series:
    """open / won / lost from the opportunity's ``statecode`` (0, 1, 2)."""
    states = {0: "open", 1: "won", 2: "lost"}
    return _code(raw, "statecode").map(states).astype(object)


def lead_status(raw: pd.DataFrame) -> pd.Series:
    """lead (open), opportunity / sql (qualified, with or without an opportunity), unqualified."""
    state = _code(raw, "statecode")
    qualified_into = _col(raw, "_qualifyingopportunityid_value").notna()
    values = [
        "unqualified" if s == 2 else ("opportunity" if q else "sql") if s == 1 else "lead"
        for s, q in zip(state, qualified_into, strict=False)
    ]
    return pd.Series(values, dtype=object)


def derivations(
    name: str,
    records: Mapping[str, pd.DataFrame],
    currencies: Mapping[str, str],
    pipeline_name: str,
) -> dict[str, Derivation]:
    """The derived columns of stream ``name``; may look at other streams' records."""
    if name == "opportunities":
        leads = records.get("leads")
        sources: dict[Any, Any] = {}
        if leads is not None and not leads.empty and "leadsourcecode@label" in leads:
            sources = dict(zip(leads["leadid"], leads["leadsourcecode@label"], strict=False))
        return {
            "status": deal_status,
            "pipeline": lambda r: pd.Series([pipeline_name] * len(r), dtype=object),
            "stage": lambda r: _col(r, "salesstage@label").fillna(_col(r, "stepname")),
            "stage_order": lambda r: _code(r, "salesstage") + 1,
            "probability": lambda r: _code(r, "closeprobability") / 100,
            "close_date": lambda r: _col(r, "actualclosedate").fillna(
                _col(r, "estimatedclosedate")
            ),
            "currency": lambda r: _col(r, "_transactioncurrencyid_value").map(currencies),
            "lead_source": lambda r: _col(r, "_originatingleadid_value").map(sources),
        }
    if name == "leads":
        return {
            "status": lead_status,
            "converted_at": lambda r: _col(r, CURSOR).where(_code(r, "statecode").eq(1), None),
        }
    if name == "contacts":
        return {"account_id": lambda r: _when(r, "_parentcustomerid_value", "account")}
    if name == "accounts":
        return {"currency": lambda r: _col(r, "_transactioncurrencyid_value").map(currencies)}
    if name == "systemusers":
        return {"active": lambda r: ~_col(r, "isdisabled").fillna(False).astype(bool)}
    if name == "teams":
        return {"active": lambda r: pd.Series([True] * len(r), dtype=object)}
    if name == "activities":
        return {
            "type": lambda r: _col(r, "activitytypecode").map(ACTIVITY_TYPES).astype(object),
            "occurred_at": lambda r: (
                _col(r, "actualend").fillna(_col(r, "scheduledstart")).fillna(_col(r, "createdon"))
            ),
            "completed": lambda r: _code(r, "statecode").eq(1),
            "deal_id": lambda r: _when(r, "_regardingobjectid_value", "opportunity"),
            "account_id": lambda r: _when(r, "_regardingobjectid_value", "account"),
            "lead_id": lambda r: _when(r, "_regardingobjectid_value", "lead").fillna(
                _when(r, "_regardingobjectid_value", "contact")
            ),
        }
    if name == "incidents":
        return {
            "account_id": lambda r: _when(r, "_customerid_value", "account"),
            "resolved_at": lambda r: _col(r, CURSOR).where(_code(r, "statecode").eq(1), None),
        }
    return {}
