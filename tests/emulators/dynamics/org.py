"""The data behind the Dataverse emulator: tables, option-set labels, lookups, change tracking.

Rows hold Dataverse column values (lookups as ``_<name>_value`` GUIDs). Every change bumps a
global row version; deletions are logged with their version, which is what change-tracking delta
tokens count. ``seed`` builds a deterministic sales org of any size; ``load_fixture_contacts``
adds the contacts recorded in ../shared/fixtures/dynamics365 (read in place).
"""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ENTITIES: dict[str, dict[str, Any]] = {
    # entity set: logical name, primary key, primary name column, privilege, change tracking
    "opportunities": {
        "logical": "opportunity",
        "key": "opportunityid",
        "name": "name",
        "privilege": "prvReadOpportunity",
        "tracked": True,
    },
    "leads": {
        "logical": "lead",
        "key": "leadid",
        "name": "fullname",
        "privilege": "prvReadLead",
        "tracked": True,
    },
    "contacts": {
        "logical": "contact",
        "key": "contactid",
        "name": "fullname",
        "privilege": "prvReadContact",
        "tracked": True,
    },
    "accounts": {
        "logical": "account",
        "key": "accountid",
        "name": "name",
        "privilege": "prvReadAccount",
        "tracked": True,
    },
    "systemusers": {
        "logical": "systemuser",
        "key": "systemuserid",
        "name": "fullname",
        "privilege": "prvReadUser",
        "tracked": True,
    },
    "teams": {
        "logical": "team",
        "key": "teamid",
        "name": "name",
        "privilege": "prvReadTeam",
        "tracked": True,
    },
    "businessunits": {
        "logical": "businessunit",
        "key": "businessunitid",
        "name": "name",
        "privilege": "prvReadBusinessUnit",
        "tracked": True,
    },
    "activitypointers": {
        "logical": "activitypointer",
        "key": "activityid",
        "name": "subject",
        "privilege": "prvReadActivity",
        "tracked": False,
    },
    "incidents": {
        "logical": "incident",
        "key": "incidentid",
        "name": "title",
        "privilege": "prvReadIncident",
        "tracked": True,
    },
    "transactioncurrencies": {
        "logical": "transactioncurrency",
        "key": "transactioncurrencyid",
        "name": "currencyname",
        "privilege": "prvReadTransactionCurrency",
        "tracked": False,
    },
}
COLUMNS: dict[str, tuple[str, ...]] = {
    "opportunities": (
        "name",
        "estimatedvalue",
        "actualvalue",
        "statecode",
        "statuscode",
        "salesstage",
        "stepname",
        "closeprobability",
        "actualclosedate",
        "estimatedclosedate",
        "_ownerid_value",
        "_parentaccountid_value",
        "_parentcontactid_value",
        "_campaignid_value",
        "_transactioncurrencyid_value",
        "_originatingleadid_value",
    ),
    "leads": (
        "fullname",
        "emailaddress1",
        "companyname",
        "leadsourcecode",
        "statecode",
        "statuscode",
        "_campaignid_value",
        "_qualifyingopportunityid_value",
        "_parentaccountid_value",
        "_ownerid_value",
        "address1_country",
    ),
    "contacts": (
        "fullname",
        "emailaddress1",
        "_parentcustomerid_value",
        "_ownerid_value",
        "address1_country",
    ),
    "accounts": (
        "name",
        "websiteurl",
        "industrycode",
        "accountcategorycode",
        "address1_country",
        "address1_stateorprovince",
        "numberofemployees",
        "revenue",
        "_ownerid_value",
        "_transactioncurrencyid_value",
    ),
    "systemusers": (
        "fullname",
        "internalemailaddress",
        "isdisabled",
        "_businessunitid_value",
        "_parentsystemuserid_value",
        "address1_stateorprovince",
    ),
    "teams": ("name", "_businessunitid_value"),
    "businessunits": ("name",),
    "activitypointers": (
        "subject",
        "activitytypecode",
        "statecode",
        "actualend",
        "scheduledstart",
        "_ownerid_value",
        "_regardingobjectid_value",
    ),
    "incidents": (
        "title",
        "statecode",
        "statuscode",
        "prioritycode",
        "caseorigincode",
        "customersatisfactioncode",
        "_ownerid_value",
        "_customerid_value",
    ),
    "transactioncurrencies": ("currencyname", "isocurrencycode"),
}
COMMON = ("createdon", "modifiedon")
LABELS: dict[str, dict[int, str]] = {
    "opportunities.statecode": {0: "Open", 1: "Won", 2: "Lost"},
    "opportunities.statuscode": {
        1: "In Progress",
        2: "On Hold",
        3: "Won",
        4: "Canceled",
        5: "Out-Sold",
    },
    "opportunities.salesstage": {0: "Qualify", 1: "Develop", 2: "Propose", 3: "Close"},
    "leads.statecode": {0: "Open", 1: "Qualified", 2: "Disqualified"},
    "leads.statuscode": {
        1: "New",
        2: "Contacted",
        3: "Qualified",
        4: "Lost",
        6: "No Longer Interested",
    },
    "leads.leadsourcecode": {
        1: "Advertisement",
        2: "Employee Referral",
        3: "External Referral",
        4: "Partner",
        8: "Web",
        10: "Other",
    },
    "accounts.industrycode": {1: "Accounting", 7: "Consulting", 33: "Retail", 28: "Healthcare"},
    "accounts.accountcategorycode": {1: "Preferred Customer", 2: "Standard"},
    "activitypointers.statecode": {0: "Open", 1: "Completed", 2: "Canceled"},
    "incidents.statecode": {0: "Active", 1: "Resolved", 2: "Cancelled"},
    "incidents.statuscode": {1: "In Progress", 2: "On Hold", 5: "Problem Solved", 6: "Cancelled"},
    "incidents.prioritycode": {1: "High", 2: "Normal", 3: "Low"},
    "incidents.caseorigincode": {1: "Phone", 2: "Email", 3: "Web"},
}
LOOKUPS: dict[str, tuple[str, ...]] = {
    # column: entity sets it may point to (polymorphic lookups list several)
    "_ownerid_value": ("systemusers", "teams"),
    "_parentaccountid_value": ("accounts",),
    "_parentcontactid_value": ("contacts",),
    "_campaignid_value": (),
    "_transactioncurrencyid_value": ("transactioncurrencies",),
    "_originatingleadid_value": ("leads",),
    "_qualifyingopportunityid_value": ("opportunities",),
    "_parentcustomerid_value": ("accounts", "contacts"),
    "_businessunitid_value": ("businessunits",),
    "_parentsystemuserid_value": ("systemusers",),
    "_regardingobjectid_value": ("opportunities", "accounts", "contacts", "leads"),
    "_customerid_value": ("accounts", "contacts"),
}
ALL_PRIVILEGES = frozenset(e["privilege"] for e in ENTITIES.values() if e["privilege"])


def iso(moment: datetime) -> str:
    """Dataverse's timestamp format: ``2024-01-01T00:00:00Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def guid(rng: random.Random) -> str:
    """A deterministic GUID."""
    return str(uuid.UUID(int=rng.getrandbits(128)))


@dataclass
class Org:
    """One Dataverse environment's data."""

    tables: dict[str, dict[str, dict[str, Any]]] = field(
        default_factory=lambda: {name: {} for name in ENTITIES}
    )
    versions: dict[tuple[str, str], int] = field(default_factory=dict)
    deleted: list[tuple[int, str, str]] = field(default_factory=list)
    version: int = 1000
    clock: datetime = datetime(2025, 1, 1, tzinfo=UTC)
    extra_columns: dict[str, set[str]] = field(default_factory=dict)
    rng: random.Random = field(default_factory=lambda: random.Random(11))

    def tick(self) -> str:
        """Advance the clock by a second; returns the new time."""
        self.clock += timedelta(seconds=1)
        return iso(self.clock)

    def columns(self, entity_set: str) -> set[str]:
        """Every column the table has (its key, standard and custom columns)."""
        key = ENTITIES[entity_set]["key"]
        return {key, *COLUMNS[entity_set], *COMMON, *self.extra_columns.get(entity_set, set())}

    def add_column(self, entity_set: str, column: str) -> None:
        """Create a custom column (``new_region``)."""
        self.extra_columns.setdefault(entity_set, set()).add(column)

    def create(self, entity_set: str, values: dict[str, Any], at: str | None = None) -> str:
        """Insert a row; returns its id."""
        key = ENTITIES[entity_set]["key"]
        row_id = values.get(key) or guid(self.rng)
        when = at or self.tick()
        self.tables[entity_set][row_id] = {
            "createdon": when,
            "modifiedon": when,
            **values,
            key: row_id,
        }
        self._bump(entity_set, row_id)
        return row_id

    def update(self, entity_set: str, row_id: str, values: dict[str, Any]) -> None:
        """Change columns; stamps ``modifiedon``."""
        self.tables[entity_set][row_id].update(values)
        self.tables[entity_set][row_id]["modifiedon"] = self.tick()
        self._bump(entity_set, row_id)

    def delete(self, entity_set: str, row_id: str) -> None:
        """Delete a row (change tracking reports it as ``$deletedEntity``)."""
        del self.tables[entity_set][row_id]
        self.versions.pop((entity_set, row_id), None)
        self.version += 1
        self.deleted.append((self.version, entity_set, row_id))
        self.tick()

    def _bump(self, entity_set: str, row_id: str) -> None:
        self.version += 1
        self.versions[(entity_set, row_id)] = self.version

    def find(self, row_id: Any, candidates: tuple[str, ...]) -> tuple[str, dict[str, Any]] | None:
        """The table and row a lookup GUID points to."""
        for entity_set in candidates:
            row = self.tables[entity_set].get(row_id)
            if row is not None:
                return entity_set, row
        return None


def seed(org: Org, opportunities: int = 60, random_seed: int = 5, related: float = 1.0) -> Org:
    """A deterministic sales org; related tables hold ``related`` x as many rows."""
    rng = random.Random(random_seed)
    people = max(1, int(opportunities * related))
    org.rng = random.Random(random_seed + 1)
    start = datetime(2024, 1, 1, tzinfo=UTC)

    def when(i: int, total: int) -> str:
        return iso(start + timedelta(minutes=int(i * 500_000 / max(total, 1))))

    usd = org.create(
        "transactioncurrencies", {"currencyname": "US Dollar", "isocurrencycode": "USD"}, iso(start)
    )
    eur = org.create(
        "transactioncurrencies", {"currencyname": "Euro", "isocurrencycode": "EUR"}, iso(start)
    )
    units = [org.create("businessunits", {"name": n}, iso(start)) for n in ("North", "South")]
    users = []
    for n in range(6):
        users.append(
            org.create(
                "systemusers",
                {
                    "fullname": f"Rep {n}",
                    "internalemailaddress": f"rep{n}@contoso.example",
                    "isdisabled": n == 5,
                    "_businessunitid_value": units[n % 2],
                    "_parentsystemuserid_value": users[0] if users else None,
                    "address1_stateorprovince": ("WA", "TX")[n % 2],
                },
                iso(start),
            )
        )
    teams = [
        org.create("teams", {"name": "Inside Sales", "_businessunitid_value": units[0]}, iso(start))
    ]
    owners = users + teams
    n_accounts = max(1, opportunities // 3)
    accounts = [
        org.create(
            "accounts",
            {
                "name": f"Contoso {i}",
                "websiteurl": f"https://contoso{i}.example",
                "industrycode": rng.choice((1, 7, 33, 28)),
                "accountcategorycode": rng.choice((1, 2)),
                "address1_country": rng.choice(("United States", "Canada")),
                "numberofemployees": rng.randint(5, 4000),
                "revenue": float(rng.randint(1, 90) * 100_000),
                "_ownerid_value": rng.choice(owners),
                "_transactioncurrencyid_value": usd,
            },
            when(i, n_accounts),
        )
        for i in range(n_accounts)
    ]
    contacts = [
        org.create(
            "contacts",
            {
                "fullname": f"Pat Buyer {i}",
                "emailaddress1": f"pat{i}@contoso{i % n_accounts}.example",
                "_parentcustomerid_value": accounts[i % n_accounts],
                "_ownerid_value": rng.choice(owners),
                "address1_country": "United States",
            },
            when(i, opportunities),
        )
        for i in range(people)
    ]
    leads = [
        org.create(
            "leads",
            {
                "fullname": f"Lee Prospect {i}",
                "emailaddress1": f"lee{i}@prospect.example",
                "companyname": f"Prospect {i}",
                "leadsourcecode": rng.choice((1, 2, 3, 4, 8, 10)),
                "statecode": 0,
                "statuscode": 1,
                "_ownerid_value": rng.choice(owners),
                "address1_country": "Canada",
            },
            when(i, opportunities),
        )
        for i in range(people)
    ]
    opportunity_ids = []
    for i in range(opportunities):
        state = rng.choice((0, 0, 1, 2))
        stage = 3 if state else rng.randrange(4)
        created = when(i, opportunities)
        oid = org.create(
            "opportunities",
            {
                "name": f"Opportunity {i}",
                "estimatedvalue": float(rng.randint(1, 400) * 250),
                "statecode": state,
                "statuscode": {0: 1, 1: 3, 2: 5}[state],
                "salesstage": stage,
                "stepname": f"{stage + 1}-{LABELS['opportunities.salesstage'][stage]}",
                "closeprobability": {0: 20 + 20 * stage, 1: 100, 2: 0}[state],
                "estimatedclosedate": created,
                "actualclosedate": created if state else None,
                "_ownerid_value": rng.choice(owners),
                "_parentaccountid_value": accounts[i % n_accounts],
                "_parentcontactid_value": contacts[i % people],
                "_transactioncurrencyid_value": usd if i % 5 else eur,
                "_originatingleadid_value": leads[i % people],
            },
            created,
        )
        opportunity_ids.append(oid)
        if state and i < people:
            org.tables["leads"][leads[i]].update(
                {"statecode": 1, "statuscode": 3, "_qualifyingopportunityid_value": oid}
            )
    kinds = ("phonecall", "email", "appointment", "task", "letter")
    regarding = (opportunity_ids, accounts, contacts, leads)
    for i in range(people):
        org.create(
            "activitypointers",
            {
                "subject": f"Touch {i}",
                "activitytypecode": kinds[i % len(kinds)],
                "statecode": rng.choice((0, 1)),
                "scheduledstart": when(i, opportunities),
                "actualend": when(i, opportunities) if i % 2 else None,
                "_ownerid_value": rng.choice(users),
                "_regardingobjectid_value": regarding[i % 4][i % len(regarding[i % 4])],
            },
            when(i, opportunities),
        )
    for i in range(max(1, people // 10)):
        state = rng.choice((0, 1))
        org.create(
            "incidents",
            {
                "title": f"Case {i}",
                "statecode": state,
                "statuscode": 5 if state else 1,
                "prioritycode": rng.choice((1, 2, 3)),
                "caseorigincode": rng.choice((1, 2, 3)),
                "customersatisfactioncode": rng.randint(1, 5),
                "_ownerid_value": rng.choice(users),
                "_customerid_value": accounts[i % n_accounts],
            },
            when(i, opportunities),
        )
    return org


def load_fixture_contacts(org: Org, fixtures: Path) -> list[dict[str, Any]]:
    """Add the contacts of the recorded paging example; returns the recorded pages."""
    pages = []
    for name in ("contacts_page1_maxpagesize2.json", "contacts_page2_maxpagesize2.json"):
        path = fixtures / "dynamics365" / name
        if not path.exists():
            continue
        page = json.loads(path.read_text())
        pages.append(page)
        for row in page["value"]:
            org.create("contacts", {"contactid": row["contactid"], "fullname": row["fullname"]})
    return pages
