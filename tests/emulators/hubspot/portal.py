"""The data behind the HubSpot emulator: one portal's CRM objects, associations, owners, pipelines.

Records are kept as HubSpot stores them: string ids, every property a string (or None), ISO 8601
timestamps. ``seed`` generates a deterministic portal of any size; ``load_fixture_records`` adds
the recorded records of ``../shared/fixtures/hubspot`` (read in place) when present. Mutations
(``update``, ``archive``, ``create``) stamp the last-modified property from a clock that only
moves forward, as HubSpot's does.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

MODIFIED = {"contacts": "lastmodifieddate"}
OBJECT_TYPES = ("deals", "contacts", "companies", "tickets", "calls", "emails", "meetings")

DEAL_STAGES = (
    # id, label, probability, isClosed
    ("appointmentscheduled", "Appointment Scheduled", "0.2", "false"),
    ("qualifiedtobuy", "Qualified To Buy", "0.4", "false"),
    ("presentationscheduled", "Presentation Scheduled", "0.6", "false"),
    ("decisionmakerboughtin", "Decision Maker Bought-In", "0.8", "false"),
    ("contractsent", "Contract Sent", "0.9", "false"),
    ("closedwon", "Closed Won", "1.0", "true"),
    ("closedlost", "Closed Lost", "0.0", "true"),
)
TICKET_STAGES = (
    ("1", "New", "OPEN"),
    ("2", "Waiting on contact", "OPEN"),
    ("4", "Closed", "CLOSED"),
)
LIFECYCLE = ("subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "customer")
SOURCES = ("ORGANIC_SEARCH", "PAID_SEARCH", "EMAIL_MARKETING", "SOCIAL_MEDIA", "REFERRALS")


def iso(moment: datetime) -> str:
    """HubSpot's timestamp format: ``2023-02-24T03:01:01.711Z``."""
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


@lru_cache(maxsize=200_000)
def to_ms(value: Any) -> int | None:
    """Milliseconds since the epoch of an ISO string or a number (search filter values)."""
    if value in (None, ""):
        return None
    text = str(value)
    if text.lstrip("-").isdigit():
        return int(text)
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


@dataclass
class Portal:
    """One HubSpot account's CRM data."""

    objects: dict[str, dict[str, dict[str, Any]]] = field(
        default_factory=lambda: {t: {} for t in OBJECT_TYPES}
    )
    links: dict[tuple[str, str], dict[str, list[str]]] = field(default_factory=dict)
    owners: dict[str, dict[str, Any]] = field(default_factory=dict)
    clock: datetime = datetime(2025, 1, 1, tzinfo=UTC)
    next_id: int = 1000
    version: int = 0

    def tick(self) -> str:
        """Advance the portal clock by one second and return it as HubSpot text."""
        self.clock += timedelta(seconds=1)
        return iso(self.clock)

    def modified_property(self, object_type: str) -> str:
        """The last-modified property of ``object_type``."""
        return MODIFIED.get(object_type, "hs_lastmodifieddate")

    def create(
        self,
        object_type: str,
        properties: dict[str, Any],
        at: str | None = None,
        record_id: str | None = None,
    ) -> str:
        """Add a record; returns its id."""
        if record_id is None:
            self.next_id += 1
            record_id = str(self.next_id)
        when = at or self.tick()
        self.version += 1
        props = {"createdate": when, **properties, "hs_object_id": record_id}
        props[self.modified_property(object_type)] = properties.get(
            self.modified_property(object_type), when
        )
        self.objects[object_type][record_id] = {
            "id": record_id,
            "properties": props,
            "createdAt": props["createdate"],
            "archived": False,
        }
        return record_id

    def update(self, object_type: str, record_id: str, properties: dict[str, Any]) -> None:
        """Change properties; stamps the last-modified property."""
        record = self.objects[object_type][record_id]
        self.version += 1
        record["properties"].update(properties)
        record["properties"][self.modified_property(object_type)] = self.tick()

    def archive(self, object_type: str, record_id: str) -> None:
        """Move a record to the recycle bin (``archived=true`` lists show it)."""
        record = self.objects[object_type][record_id]
        self.version += 1
        record["archived"] = True
        record["archivedAt"] = self.tick()

    def associate(self, from_type: str, from_id: str, to_type: str, to_id: str) -> None:
        """Associate two records (both directions, primary first)."""
        self.links.setdefault((from_type, to_type), {}).setdefault(from_id, []).append(to_id)
        self.links.setdefault((to_type, from_type), {}).setdefault(to_id, []).append(from_id)

    def linked(self, from_type: str, from_id: str, to_type: str) -> list[str]:
        """Ids associated with ``from_id`` of type ``to_type``."""
        return self.links.get((from_type, to_type), {}).get(from_id, [])

    def pipelines(self, object_type: str) -> list[dict[str, Any]]:
        """The pipelines API answer for deals or tickets."""
        if object_type == "deals":
            stages = [
                {
                    "id": sid,
                    "label": label,
                    "displayOrder": n,
                    "metadata": {"isClosed": closed, "probability": prob},
                    "archived": False,
                }
                for n, (sid, label, prob, closed) in enumerate(DEAL_STAGES)
            ]
            return [
                {"id": "default", "label": "Sales Pipeline", "displayOrder": 0, "stages": stages}
            ]
        stages = [
            {"id": sid, "label": label, "displayOrder": n, "metadata": {"ticketState": state}}
            for n, (sid, label, state) in enumerate(TICKET_STAGES)
        ]
        return [{"id": "0", "label": "Support Pipeline", "displayOrder": 0, "stages": stages}]


def seed(
    portal: Portal,
    deals: int = 250,
    contacts: int | None = None,
    companies: int | None = None,
    owners: int = 6,
    activities: int | None = None,
    tickets: int | None = None,
    random_seed: int = 7,
) -> Portal:
    """Fill ``portal`` with a deterministic sales org; related counts scale with ``deals``."""
    rng = random.Random(random_seed)
    contacts = deals if contacts is None else contacts
    companies = max(1, deals // 3) if companies is None else companies
    activities = deals if activities is None else activities
    tickets = max(1, deals // 10) if tickets is None else tickets
    start = datetime(2024, 1, 1, tzinfo=UTC)
    for n in range(owners):
        oid = str(100 + n)
        portal.owners[oid] = {
            "id": oid,
            "email": f"rep{n}@example.com",
            "firstName": f"Rep{n}",
            "lastName": "Seller",
            "userId": 9000 + n,
            "createdAt": iso(start),
            "updatedAt": iso(start),
            "archived": False,
            "teams": [{"id": str(n % 2 + 1), "name": ("East", "West")[n % 2], "primary": True}],
        }
    owner_ids = list(portal.owners)

    def when(i: int, total: int) -> str:
        return iso(start + timedelta(minutes=int(i * 500_000 / max(total, 1))))

    company_ids = [
        portal.create(
            "companies",
            {
                "name": f"Company {i}",
                "domain": f"company{i}.example",
                "industry": rng.choice(("SOFTWARE", "RETAIL", "HEALTHCARE")),
                "country": rng.choice(("United States", "France", "Germany")),
                "numberofemployees": str(rng.randint(5, 5000)),
                "hubspot_owner_id": rng.choice(owner_ids),
            },
            at=when(i, companies),
        )
        for i in range(companies)
    ]
    contact_ids = []
    for i in range(contacts):
        cid = portal.create(
            "contacts",
            {
                "firstname": f"Ann{i}",
                "lastname": "Buyer",
                "email": f"ann{i}@company{i % companies}.example",
                "lifecyclestage": rng.choice(LIFECYCLE),
                "hs_analytics_source": rng.choice(SOURCES),
                "hubspot_owner_id": rng.choice(owner_ids),
            },
            at=when(i, contacts),
        )
        portal.associate("contacts", cid, "companies", company_ids[i % companies])
        contact_ids.append(cid)
    deal_ids = []
    for i in range(deals):
        stage = DEAL_STAGES[rng.randrange(len(DEAL_STAGES))]
        created = when(i, deals)
        props = {
            "dealname": f"Deal {i}",
            "amount": str(rng.randint(1, 500) * 100),
            "deal_currency_code": "USD",
            "pipeline": "default",
            "dealstage": stage[0],
            "closedate": created,
            "hubspot_owner_id": rng.choice(owner_ids),
            "hs_analytics_source": rng.choice(SOURCES),
        }
        order = [s[0] for s in DEAL_STAGES]
        for sid in order[: order.index(stage[0]) + 1]:
            if sid != "closedlost" or stage[0] == "closedlost":
                props[f"hs_date_entered_{sid}"] = created
        did = portal.create("deals", props, at=created)
        portal.associate("deals", did, "companies", company_ids[i % companies])
        if contact_ids:
            portal.associate("deals", did, "contacts", contact_ids[i % len(contact_ids)])
        deal_ids.append(did)
    kinds = ("calls", "emails", "meetings")
    for i in range(activities):
        kind = kinds[i % 3]
        stamp = when(i, activities)
        props = {"hs_timestamp": stamp, "hubspot_owner_id": rng.choice(owner_ids)}
        if kind == "calls":
            props["hs_call_status"] = "COMPLETED"
        elif kind == "emails":
            props["hs_email_status"] = "SENT"
        else:
            props.update({"hs_meeting_start_time": stamp, "hs_meeting_outcome": "SCHEDULED"})
        aid = portal.create(kind, props, at=stamp)
        if deal_ids:
            portal.associate(kind, aid, "deals", deal_ids[i % len(deal_ids)])
        portal.associate(kind, aid, "companies", company_ids[i % companies])
    for i in range(tickets):
        tid = portal.create(
            "tickets",
            {
                "subject": f"Ticket {i}",
                "hs_pipeline": "0",
                "hs_pipeline_stage": rng.choice(("1", "2", "4")),
                "hs_ticket_priority": rng.choice(("LOW", "MEDIUM", "HIGH")),
                "hubspot_owner_id": rng.choice(owner_ids),
            },
            at=when(i, tickets),
        )
        portal.associate("tickets", tid, "companies", company_ids[i % companies])
    return portal


FIXTURE_FILES = {
    "deals": "mock_deals_data.json",
    "contacts": "mock_contacts_data.json",
    "companies": "mock_companies_data.json",
    "tickets": "mock_tickets_data.json",
}


def load_fixture_records(portal: Portal, fixtures: Path) -> list[tuple[str, str]]:
    """Add the recorded dlt HubSpot records (read in place); returns (type, id) pairs added."""
    added: list[tuple[str, str]] = []
    folder = fixtures / "hubspot" / "dlt"
    for object_type, name in FIXTURE_FILES.items():
        path = folder / name
        if not path.exists():
            continue
        for record in json.loads(path.read_text())["results"]:
            props = {k: v for k, v in record["properties"].items()}
            portal.objects[object_type][str(record["id"])] = {
                "id": str(record["id"]),
                "properties": props,
                "createdAt": record.get("createdAt"),
                "archived": bool(record.get("archived")),
            }
            added.append((object_type, str(record["id"])))
    return added
