"""Deterministic sample data for the emulated org (tests use a few dozen rows, the bench 100k)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from tests.emulators.salesforce.org import Org

STAGES = [
    ("Prospecting", 1, False, False),
    ("Qualification", 2, False, False),
    ("Proposal/Price Quote", 3, False, False),
    ("Closed Won", 4, True, True),
    ("Closed Lost", 5, True, False),
]


def seed(org: Org, opportunities: int, related: float = 0.2, rng_seed: int = 7) -> dict[str, list]:
    """Fill ``org``: stages, roles, users, campaigns, then ``opportunities`` deals with history
    and about ``related`` x as many accounts, contacts, leads, tasks, events and cases.
    Returns the ids created per object."""
    rng = random.Random(rng_seed)
    ids: dict[str, list] = {}
    known = {obj: org.field_names(obj) for obj in org.describes}

    def add(obj: str, **fields) -> str:
        fields = {k: v for k, v in fields.items() if k in known[obj]}
        record_id = org.insert(obj, **fields)
        ids.setdefault(obj, []).append(record_id)
        return record_id

    for name, order, closed, won in STAGES:
        add(
            "OpportunityStage",
            MasterLabel=name,
            ApiName=name,
            SortOrder=order,
            IsClosed=closed,
            IsWon=won,
            IsActive=True,
        )
    roles = [add("UserRole", Name=team) for team in ("East Sales", "West Sales")]
    users = []
    for i in range(4):
        users.append(
            add(
                "User",
                Name=f"Rep {i}",
                Email=f"rep{i}@example.com",
                IsActive=i != 3,
                UserRoleId=roles[i % 2],
                ManagerId=users[0] if users else None,
                Division="EMEA" if i % 2 else "NA",
            )
        )
    campaigns = [
        add(
            "Campaign",
            Name=f"Campaign {i}",
            Type="Webinar",
            StartDate=f"2024-01-0{i + 1}",
            ActualCost=1000.0 * (i + 1),
        )
        for i in range(2)
    ]
    n_related = max(1, int(opportunities * related))
    accounts = [
        add(
            "Account",
            Name=f"Acme {i}",
            Website=f"acme{i}.example",
            Industry="Software",
            BillingCountry="US",
            BillingState="CA",
            NumberOfEmployees=10 + i,
            AnnualRevenue=1e6 + i,
            OwnerId=rng.choice(users),
        )
        for i in range(n_related)
    ]
    contacts = [
        add(
            "Contact",
            Name=f"Person {i}",
            Email=f"p{i}@acme.example",
            AccountId=rng.choice(accounts),
            OwnerId=rng.choice(users),
            LeadSource="Web",
            MailingCountry="US",
        )
        for i in range(n_related)
    ]
    base = datetime(2024, 1, 1, tzinfo=UTC)
    for i in range(opportunities):
        name, _, closed, won = rng.choice(STAGES)
        opp = add(
            "Opportunity",
            Name=f"Deal {i}",
            StageName=name,
            Amount=float(1000 + i),
            Probability=50.0,
            CloseDate=(base + timedelta(days=i % 300)).date().isoformat(),
            Type="New Business",
            LeadSource=rng.choice(["Web", "Partner", "Phone"]),
            IsClosed=closed,
            IsWon=won,
            CampaignId=rng.choice(campaigns),
            OwnerId=rng.choice(users),
            AccountId=rng.choice(accounts),
            ContactId=rng.choice(contacts),
        )
        if i < n_related:
            add(
                "OpportunityHistory",
                OpportunityId=opp,
                StageName="Prospecting",
                Amount=float(1000 + i),
            )
            add(
                "OpportunityHistory",
                OpportunityId=opp,
                StageName="Prospecting",
                Amount=float(2000 + i),
            )
            add("OpportunityHistory", OpportunityId=opp, StageName=name, Amount=float(2000 + i))
    for i in range(n_related):
        converted = i % 4 == 0
        add(
            "Lead",
            Name=f"Lead {i}",
            Email=f"l{i}@example.com",
            Company=f"Co {i}",
            Status="Closed - Converted" if converted else "Working - Contacted",
            LeadSource="Web",
            IsConverted=converted,
            ConvertedDate="2024-02-01" if converted else None,
            ConvertedContactId=contacts[i] if converted else None,
            ConvertedAccountId=rng.choice(accounts) if converted else None,
            OwnerId=rng.choice(users),
            Country="US",
        )
        add(
            "Task",
            Subject="Call",
            TaskSubtype="Call",
            ActivityDate="2024-03-01",
            WhoId=rng.choice(contacts),
            WhatId=ids["Opportunity"][i],
            OwnerId=rng.choice(users),
            IsClosed=True,
        )
        add(
            "Event",
            Subject="Demo",
            StartDateTime="2024-03-02T10:00:00.000+0000",
            EndDateTime="2024-03-02T11:00:00.000+0000",
            WhatId=rng.choice(accounts),
            OwnerId=rng.choice(users),
        )
        add(
            "Case",
            AccountId=rng.choice(accounts),
            OwnerId=rng.choice(users),
            Priority="High",
            Status="Closed" if i % 2 else "New",
            Origin="Email",
            ClosedDate="2024-03-05T00:00:00.000+0000" if i % 2 else None,
        )
    return ids
