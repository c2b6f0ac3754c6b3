"""The emulated Salesforce org: describes and records, mutated by tests.

Describes of Account, Contact, Lead and Opportunity are loaded from the recorded real ones in
``../shared/fixtures/salesforce/cumulusci/json`` when a fixtures folder is given (read in place,
never copied); every other object, or all of them without fixtures, gets a minimal generated
describe with the standard fields the connector reads. Fields the recorded describe lacks but the
generator has are *not* added: the connector must cope with orgs that lack a field.

Every insert/update/delete bumps ``SystemModstamp`` from a fake clock one second at a time, and
deletions keep the record with ``IsDeleted = true`` (what ``queryAll`` returns).
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

FIXTURE_OBJECTS = ("Account", "Contact", "Lead", "Opportunity")
_STAMPED = [("CreatedDate", "datetime"), ("SystemModstamp", "datetime")]
_DELETABLE = [("Id", "id"), ("IsDeleted", "boolean")]

GENERATED: dict[str, list[tuple[str, str]]] = {
    "Opportunity": [
        *_DELETABLE,
        ("AccountId", "reference"),
        ("Name", "string"),
        ("StageName", "picklist"),
        ("Amount", "currency"),
        ("Probability", "percent"),
        ("CloseDate", "date"),
        ("Type", "picklist"),
        ("LeadSource", "picklist"),
        ("IsClosed", "boolean"),
        ("IsWon", "boolean"),
        ("CampaignId", "reference"),
        ("OwnerId", "reference"),
        ("ContactId", "reference"),
        *_STAMPED,
    ],
    "OpportunityHistory": [
        *_DELETABLE,
        ("OpportunityId", "reference"),
        ("StageName", "picklist"),
        ("Amount", "currency"),
        ("CloseDate", "date"),
        *_STAMPED,
    ],
    "Lead": [
        *_DELETABLE,
        ("Name", "string"),
        ("Email", "email"),
        ("Company", "string"),
        ("Status", "picklist"),
        ("LeadSource", "picklist"),
        ("IsConverted", "boolean"),
        ("ConvertedDate", "date"),
        ("ConvertedOpportunityId", "reference"),
        ("ConvertedAccountId", "reference"),
        ("ConvertedContactId", "reference"),
        ("OwnerId", "reference"),
        ("Country", "string"),
        ("Address", "address"),
        *_STAMPED,
    ],
    "Contact": [
        *_DELETABLE,
        ("AccountId", "reference"),
        ("Name", "string"),
        ("Email", "email"),
        ("LeadSource", "picklist"),
        ("MailingCountry", "string"),
        ("OwnerId", "reference"),
        *_STAMPED,
    ],
    "Account": [
        *_DELETABLE,
        ("Name", "string"),
        ("Website", "url"),
        ("Industry", "picklist"),
        ("BillingCountry", "string"),
        ("BillingState", "string"),
        ("BillingAddress", "address"),
        ("NumberOfEmployees", "int"),
        ("AnnualRevenue", "currency"),
        ("OwnerId", "reference"),
        *_STAMPED,
    ],
    "User": [
        ("Id", "id"),
        ("Name", "string"),
        ("Email", "email"),
        ("IsActive", "boolean"),
        ("UserRoleId", "reference"),
        ("ManagerId", "reference"),
        ("Division", "string"),
        *_STAMPED,
    ],
    "UserRole": [("Id", "id"), ("Name", "string"), ("ParentRoleId", "reference"), *_STAMPED],
    "Task": [
        *_DELETABLE,
        ("Subject", "string"),
        ("TaskSubtype", "picklist"),
        ("ActivityDate", "date"),
        ("WhoId", "reference"),
        ("WhatId", "reference"),
        ("AccountId", "reference"),
        ("OwnerId", "reference"),
        ("IsClosed", "boolean"),
        *_STAMPED,
    ],
    "Event": [
        *_DELETABLE,
        ("Subject", "string"),
        ("StartDateTime", "datetime"),
        ("EndDateTime", "datetime"),
        ("ActivityDateTime", "datetime"),
        ("WhoId", "reference"),
        ("WhatId", "reference"),
        ("AccountId", "reference"),
        ("OwnerId", "reference"),
        *_STAMPED,
    ],
    "Case": [
        *_DELETABLE,
        ("AccountId", "reference"),
        ("OwnerId", "reference"),
        ("Priority", "picklist"),
        ("Status", "picklist"),
        ("Origin", "picklist"),
        ("ClosedDate", "datetime"),
        *_STAMPED,
    ],
    "Campaign": [
        *_DELETABLE,
        ("Name", "string"),
        ("Type", "picklist"),
        ("StartDate", "date"),
        ("ActualCost", "currency"),
        *_STAMPED,
    ],
    "OpportunityStage": [
        ("Id", "id"),
        ("MasterLabel", "string"),
        ("ApiName", "string"),
        ("SortOrder", "int"),
        ("IsClosed", "boolean"),
        ("IsWon", "boolean"),
        ("IsActive", "boolean"),
        *_STAMPED,
    ],
}

PREFIX = {
    "Account": "001",
    "Contact": "003",
    "User": "005",
    "Opportunity": "006",
    "OpportunityHistory": "008",
    "Lead": "00Q",
    "UserRole": "00E",
    "Task": "00T",
    "Event": "00U",
    "Case": "500",
    "Campaign": "701",
    "OpportunityStage": "01J",
}


def sf_time(moment: datetime) -> str:
    """A timestamp as Salesforce writes it: ``2024-01-01T00:00:00.000+0000``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + "000+0000"


def generated_describe(obj: str) -> dict[str, Any]:
    """A minimal describe of ``obj`` with the generator's standard fields."""
    return {
        "name": obj,
        "queryable": True,
        "keyPrefix": PREFIX.get(obj),
        "fields": [
            {"name": name, "type": kind, "custom": name.endswith("__c")}
            for name, kind in GENERATED[obj]
        ],
    }


class Org:
    """Describes and records of one emulated org; thread-safe."""

    def __init__(self, fixtures: Path | None = None, start: datetime | None = None) -> None:
        self.lock = threading.RLock()
        self.clock = start or datetime(2024, 1, 1, tzinfo=UTC)
        self.describes: dict[str, dict[str, Any]] = {o: generated_describe(o) for o in GENERATED}
        if fixtures is not None:
            folder = fixtures / "salesforce" / "cumulusci" / "json"
            for obj in FIXTURE_OBJECTS:
                path = folder / f"GET_sobjects_{obj}_describe.json"
                if path.exists():
                    self.describes[obj] = json.loads(path.read_text(encoding="utf-8"))
        self.records: dict[str, dict[str, dict[str, Any]]] = {o: {} for o in self.describes}
        self.hidden: set[str] = set()  # objects the user may not read (403 on describe)
        self._counter = 0

    def field_names(self, obj: str) -> set[str]:
        """Names in ``obj``'s describe."""
        return {f["name"] for f in self.describes[obj]["fields"]}

    def add_field(self, obj: str, name: str, kind: str = "string") -> None:
        """Add a (custom) field to ``obj``'s describe."""
        with self.lock:
            self.describes[obj]["fields"].append({"name": name, "type": kind, "custom": True})

    def _tick(self) -> str:
        self.clock += timedelta(seconds=1)
        return sf_time(self.clock)

    def insert(self, obj: str, **fields: Any) -> str:
        """Create a record; returns its 18-character id."""
        with self.lock:
            self._counter += 1
            record_id = f"{PREFIX.get(obj, 'a00')}{self._counter:012d}AAA"
            stamp = self._tick()
            known = self.field_names(obj)
            record = {"Id": record_id, "CreatedDate": stamp, "SystemModstamp": stamp}
            if "IsDeleted" in known:
                record["IsDeleted"] = False
            record.update(fields)
            self.records[obj][record_id] = record
            return record_id

    def update(self, obj: str, record_id: str, **fields: Any) -> None:
        """Change fields of a record and bump its SystemModstamp."""
        with self.lock:
            record = self.records[obj][record_id]
            record.update(fields)
            record["SystemModstamp"] = self._tick()

    def delete(self, obj: str, record_id: str) -> None:
        """Move a record to the recycle bin (``IsDeleted = true``, visible to queryAll)."""
        with self.lock:
            record = self.records[obj][record_id]
            record["IsDeleted"] = True
            record["SystemModstamp"] = self._tick()

    def live(self, obj: str) -> list[dict[str, Any]]:
        """Records not deleted."""
        return [r for r in self.records[obj].values() if not r.get("IsDeleted")]
