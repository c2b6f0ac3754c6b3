"""The HubSpot objects the connector reads, declared as data, and their derived columns.

Each :class:`HubSpotStream` names the CRM object type, the scope it needs, the properties read
besides the mapping (for derivations) and the associations attached to each record as
``assoc_<type>`` columns (first, primary, associated id). Stream mappings map canonical columns
to HubSpot property names; ``custom_fields`` in YAML extend or override them.

Derivations turn HubSpot metadata into canonical values: deal status from the stage's
``isClosed`` / ``probability`` metadata (pipelines API), stage and pipeline labels and order,
lead stage from ``lifecyclestage``, owner names and teams.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from connectors.base import Stream
from connectors.common.streams import Derivation


@dataclass(frozen=True)
class HubSpotStream:
    """One HubSpot object read as one stream."""

    stream: Stream
    object_type: str
    scope: str
    properties: tuple[str, ...] = ()
    associations: tuple[str, ...] = ()


def _s(name: str, table: str, cursor: str | None, mapping: dict[str, str]) -> Stream:
    return Stream(name, table, "id", cursor, mapping)


MODIFIED = "hs_lastmodifieddate"
ENGAGEMENT_ASSOCIATIONS = ("deals", "companies", "contacts")


def _engagement(object_type: str, occurred_at: str, properties: tuple[str, ...]) -> HubSpotStream:
    """An engagement object (calls, emails, meetings): one ``activities`` stream each, mapped
    alike but for the property that holds when it happened."""
    mapping = {
        "activity_id": "id",
        "occurred_at": occurred_at,
        "owner_id": "hubspot_owner_id",
        "deal_id": "assoc_deals",
        "account_id": "assoc_companies",
        "lead_id": "assoc_contacts",
    }
    return HubSpotStream(
        _s(object_type, "activities", MODIFIED, mapping),
        object_type,
        "crm.objects.contacts.read",
        properties,
        ENGAGEMENT_ASSOCIATIONS,
    )


STREAMS: tuple[HubSpotStream, ...] = (
    HubSpotStream(
        _s(
            "deals",
            "deals",
            MODIFIED,
            {
                "deal_id": "id",
                "name": "dealname",
                "amount": "amount",
                "currency": "deal_currency_code",
                "created_at": "createdate",
                "close_date": "closedate",
                "lead_source": "hs_analytics_source",
                "deal_type": "dealtype",
                "owner_id": "hubspot_owner_id",
                "account_id": "assoc_companies",
                "contact_id": "assoc_contacts",
                "updated_at": MODIFIED,
            },
        ),
        "deals",
        "crm.objects.deals.read",
        ("pipeline", "dealstage", "hs_deal_stage_probability"),
        ("companies", "contacts"),
    ),
    HubSpotStream(
        _s(
            "contacts",
            "leads",
            "lastmodifieddate",
            {
                "lead_id": "id",
                "email": "email",
                "company": "company",
                "channel": "hs_analytics_source",
                "created_at": "createdate",
                "mql_at": "hs_lifecyclestage_marketingqualifiedlead_date",
                "sql_at": "hs_lifecyclestage_salesqualifiedlead_date",
                "converted_at": "hs_lifecyclestage_customer_date",
                "account_id": "assoc_companies",
                "owner_id": "hubspot_owner_id",
                "country": "country",
            },
        ),
        "contacts",
        "crm.objects.contacts.read",
        ("firstname", "lastname", "lifecyclestage"),
        ("companies",),
    ),
    HubSpotStream(
        _s(
            "companies",
            "accounts",
            MODIFIED,
            {
                "account_id": "id",
                "name": "name",
                "domain": "domain",
                "industry": "industry",
                "country": "country",
                "region": "state",
                "employees": "numberofemployees",
                "annual_revenue": "annualrevenue",
                "owner_id": "hubspot_owner_id",
                "created_at": "createdate",
                "customer_since": "hs_lifecyclestage_customer_date",
            },
        ),
        "companies",
        "crm.objects.companies.read",
    ),
    HubSpotStream(
        _s("owners", "owners", None, {"owner_id": "id", "email": "email"}),
        "owners",
        "crm.objects.owners.read",
        ("firstName", "lastName", "archived", "team", "userId"),
    ),
    _engagement("calls", "hs_timestamp", ("hs_call_status",)),
    _engagement("emails", "hs_timestamp", ("hs_email_status",)),
    _engagement("meetings", "hs_meeting_start_time", ("hs_meeting_outcome", "hs_timestamp")),
    HubSpotStream(
        _s(
            "tickets",
            "tickets",
            MODIFIED,
            {
                "ticket_id": "id",
                "owner_id": "hubspot_owner_id",
                "opened_at": "createdate",
                "first_response_at": "first_agent_reply_date",
                "resolved_at": "closed_date",
                "priority": "hs_ticket_priority",
                "channel": "source_type",
                "account_id": "assoc_companies",
            },
        ),
        "tickets",
        "tickets",
        ("hs_pipeline", "hs_pipeline_stage"),
        ("companies",),
    ),
)

BY_NAME: dict[str, HubSpotStream] = {s.stream.name: s for s in STREAMS}

LIFECYCLE_STAGES = {
    "subscriber": "lead",
    "lead": "lead",
    "marketingqualifiedlead": "mql",
    "salesqualifiedlead": "sql",
    "opportunity": "opportunity",
    "customer": "customer",
    "evangelist": "customer",
    "other": "lead",
}


@dataclass(frozen=True)
class StageInfo:
    """One pipeline stage as the pipelines API describes it."""

    pipeline: str
    label: str
    order: int
    probability: float | None
    closed: bool


def stage_table(pipelines: list[dict[str, Any]]) -> dict[str, StageInfo]:
    """Stage id -> :class:`StageInfo` from a pipelines API answer (archived ones included)."""
    table: dict[str, StageInfo] = {}
    for pipeline in pipelines:
        stages = sorted(pipeline.get("stages") or [], key=lambda s: s.get("displayOrder", 0))
        for position, stage in enumerate(stages, start=1):
            meta = stage.get("metadata") or {}
            try:
                probability: float | None = float(meta["probability"])
            except (KeyError, TypeError, ValueError):
                probability = None
            closed = str(meta.get("isClosed", "")).lower() == "true" or (
                str(meta.get("ticketState", "")).upper() == "CLOSED"
            )
            table[str(stage["id"])] = StageInfo(
                str(pipeline.get("label") or pipeline.get("id")),
                str(stage.get("label") or stage["id"]),
                position,
                probability,
                closed,
            )
    return table


def pipeline_labels(pipelines: list[dict[str, Any]]) -> dict[str, str]:
    """Pipeline id -> label."""
    return {str(p["id"]): str(p.get("label") or p["id"]) for p in pipelines}


def deal_status(info: StageInfo | None) -> str:
    """open / won / lost: closed stages with probability 1 are won, other closed ones lost."""
    if info is None or not info.closed:
        return "open"
    return "won" if (info.probability or 0.0) >= 1.0 else "lost"


def _col(raw: pd.DataFrame, name: str) -> pd.Series:
    if name in raw.columns:
        return raw[name].reset_index(drop=True)
    return pd.Series([None] * len(raw), dtype=object)


def _joined(first: pd.Series, last: pd.Series) -> pd.Series:
    names = [
        " ".join(str(p) for p in (f, la) if isinstance(p, str) and p.strip()) or None
        for f, la in zip(first, last, strict=False)
    ]
    return pd.Series(names, dtype=object)


def _const(value: Any) -> Derivation:
    return lambda r: pd.Series([value] * len(r), dtype=object)


def _outcome(column: str, done: tuple[str, ...], blank_done: bool = False) -> Derivation:
    def derive(raw: pd.DataFrame) -> pd.Series:
        values = _col(raw, column)
        return pd.Series(
            [
                blank_done if v is None or v == "" else str(v).upper() in done
                for v in values.where(values.notna(), None)
            ],
            dtype=object,
        )

    return derive


def derivations(
    name: str,
    stages: Mapping[str, StageInfo],
    pipelines: Mapping[str, str],
    ticket_stages: Mapping[str, StageInfo],
    lifecycle: Mapping[str, str],
) -> dict[str, Derivation]:
    """The derived columns of stream ``name`` given the pipeline metadata."""
    if name == "deals":

        def info(raw: pd.DataFrame) -> list[StageInfo | None]:
            return [stages.get(str(s)) for s in _col(raw, "dealstage")]

        def probability(raw: pd.DataFrame) -> pd.Series:
            own = pd.to_numeric(_col(raw, "hs_deal_stage_probability"), errors="coerce")
            meta = pd.Series([i.probability if i else None for i in info(raw)], dtype=float)
            return own.fillna(meta)

        return {
            "pipeline": lambda r: _col(r, "pipeline").map(lambda p: pipelines.get(str(p), p)),
            "stage": lambda r: pd.Series(
                [i.label if i else s for i, s in zip(info(r), _col(r, "dealstage"), strict=False)],
                dtype=object,
            ),
            "stage_order": lambda r: pd.Series([i.order if i else None for i in info(r)]),
            "status": lambda r: pd.Series([deal_status(i) for i in info(r)], dtype=object),
            "probability": probability,
        }
    if name == "contacts":
        table = {**LIFECYCLE_STAGES, **lifecycle}
        return {
            "name": lambda r: _joined(_col(r, "firstname"), _col(r, "lastname")),
            "status": lambda r: _col(r, "lifecyclestage").map(
                lambda v: table.get(str(v).lower(), "lead") if isinstance(v, str) else None
            ),
        }
    if name == "owners":
        return {
            "name": lambda r: _joined(_col(r, "firstName"), _col(r, "lastName")).fillna(
                _col(r, "email")
            ),
            "team": lambda r: _col(r, "team"),
            "active": lambda r: ~_col(r, "archived").fillna(False).astype(bool),
        }
    if name == "calls":
        return {"type": _const("call"), "completed": _outcome("hs_call_status", ("COMPLETED",))}
    if name == "emails":
        return {"type": _const("email"), "completed": _outcome("hs_email_status", ("SENT",), True)}
    if name == "meetings":
        return {
            "type": _const("meeting"),
            "occurred_at": lambda r: _col(r, "hs_meeting_start_time").fillna(
                _col(r, "hs_timestamp")
            ),
            "completed": _outcome("hs_meeting_outcome", ("COMPLETED",)),
        }
    if name == "tickets":

        def ticket_status(raw: pd.DataFrame) -> pd.Series:
            found = [ticket_stages.get(str(s)) for s in _col(raw, "hs_pipeline_stage")]
            return pd.Series(
                [i.label if i else s for i, s in zip(found, _col(raw, "hs_pipeline_stage"))],
                dtype=object,
            )

        return {"status": ticket_status}
    return {}


def date_entered_property(stage_id: str) -> str:
    """The deal property holding when a deal entered ``stage_id``."""
    return f"hs_date_entered_{stage_id}"


def stage_history(
    deals: pd.DataFrame, stages: Mapping[str, StageInfo], source: str
) -> pd.DataFrame:
    """``deal_stage_history`` rows from the ``hs_date_entered_<stage>`` properties of deals.

    One row per deal and stage it entered; ids are ``<deal>-<stage>`` so re-reads are stable.
    """
    columns = ["history_id", "source", "deal_id", "stage", "stage_order", "entered_at"]
    props = {date_entered_property(sid): sid for sid in stages}
    present = [p for p in props if p in deals.columns]
    if deals.empty or not present:
        return pd.DataFrame(columns=columns)
    melted = deals[["id", *present]].melt(id_vars="id", var_name="prop", value_name="entered_at")
    melted = melted[melted["entered_at"].notna() & (melted["entered_at"] != "")]
    stage_id = melted["prop"].map(props)
    deal_id = source + ":" + melted["id"].astype(str)
    frame = pd.DataFrame(
        {
            "history_id": deal_id + "-" + stage_id,
            "source": source,
            "deal_id": deal_id,
            "stage": stage_id.map({k: v.label for k, v in stages.items()}),
            "stage_order": stage_id.map({k: v.order for k, v in stages.items()}),
            "entered_at": melted["entered_at"],
        },
        columns=columns,
    )
    return frame.sort_values("history_id").reset_index(drop=True)
