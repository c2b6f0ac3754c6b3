"""Cross-source and in-source duplicate groups of people and companies."""

from __future__ import annotations

import pandas as pd

from sheets_sync.blend import blend
from sheets_sync.issues import Severity
from tests.blend.frames import result

C = "2026-02-01"


def _dataset():
    sfdc = result(
        "sfdc",
        leads=[
            {
                "lead_id": "sfdc:L1",
                "name": "Jane Doe",
                "email": "Jane.Doe@acme.com",
                "created_at": C,
            },
            {"lead_id": "sfdc:L2", "name": "Bob", "email": "bob@beta.io", "created_at": C},
            {"lead_id": "sfdc:L3", "name": "No mail", "created_at": C},
        ],
        accounts=[
            {"account_id": "sfdc:A1", "name": "Acme, Inc.", "domain": "https://www.acme.com/"},
            {"account_id": "sfdc:A2", "name": "Solo"},
        ],
    )
    hub = result(
        "hubspot",
        leads=[
            {
                "lead_id": "hubspot:1",
                "name": "Jane D.",
                "email": "jane.doe+hs@ACME.com",
                "created_at": C,
            },
            {"lead_id": "hubspot:2", "name": "Bob B", "email": "BOB@beta.io", "created_at": C},
            {"lead_id": "hubspot:3", "name": "Bobby", "email": "bob+2@beta.io", "created_at": C},
            {"lead_id": "hubspot:4", "name": "Other", "created_at": C},
            {"lead_id": "hubspot:5", "name": "Pat", "email": "pat@gmail.com", "created_at": C},
            {"lead_id": "hubspot:6", "name": "Pat", "email": "p.a.t@gmail.com", "created_at": C},
        ],
        accounts=[{"account_id": "hubspot:9", "name": "ACME", "domain": "acme.com"}],
    )
    return blend([("sfdc", sfdc), ("hubspot", hub)])


def test_person_and_company_keys_are_added_as_columns() -> None:
    dataset = _dataset()
    leads = dataset.table("leads").set_index("lead_id")
    assert leads.loc["hubspot:1", "person_key"] == "jane.doe@acme.com"
    assert pd.isna(leads.loc["sfdc:L3", "person_key"])
    accounts = dataset.table("accounts").set_index("account_id")
    assert accounts["company_key"].fillna("-").to_dict() == {
        "sfdc:A1": "acme.com",
        "sfdc:A2": "-",
        "hubspot:9": "acme.com",
    }


def test_duplicate_groups_across_and_within_sources() -> None:
    report = _dataset().duplicates.set_index(["entity", "key"])
    assert len(report) == 4  # missing keys never form a group
    jane = report.loc[("person", "jane.doe@acme.com")]
    assert jane["count"] == 2 and bool(jane["cross_source"])
    assert jane["sources"] == "hubspot, sfdc"
    assert jane["record_ids"] == "hubspot:1, sfdc:L1"
    assert jane["names"] == "Jane D. | Jane Doe"
    bob = report.loc[("person", "bob@beta.io")]
    assert bob["count"] == 3 and bool(bob["cross_source"])
    pat = report.loc[("person", "pat@gmail.com")]
    assert not bool(pat["cross_source"]) and pat["names"] == "Pat"
    acme = report.loc[("company", "acme.com")]
    assert acme["count"] == 2 and acme["names"] == "ACME | Acme, Inc."


def test_cross_source_groups_come_first() -> None:
    report = _dataset().duplicates
    assert report["cross_source"].tolist() == [True, True, True, False]


def test_duplicate_issues_per_pair_and_per_source() -> None:
    issues = _dataset().issues
    infos = {i.table: i for i in issues if i.severity is Severity.INFO and "in both" in i.message}
    assert (infos["leads"].count, infos["accounts"].count) == (2, 1)
    assert infos["leads"].message.startswith("2 people appear in both hubspot and sfdc")
    assert infos["accounts"].message.startswith("1 company appears in both hubspot and sfdc")
    [within] = [i for i in issues if i.severity is Severity.WARNING and i.table == "leads"]
    # bob (twice in hubspot) and pat (twice in hubspot) are in-source duplicates.
    assert within.source == "hubspot" and within.count == 2


def test_no_duplicates_gives_an_empty_report_with_columns() -> None:
    one = result("sfdc", leads=[{"lead_id": "sfdc:1", "email": "a@b.com", "created_at": C}])
    report = blend([("sfdc", one)]).duplicates
    assert report.empty
    assert list(report.columns) == [
        "entity",
        "key",
        "count",
        "sources",
        "record_ids",
        "names",
        "cross_source",
    ]
