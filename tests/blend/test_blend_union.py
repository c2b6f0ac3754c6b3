"""Union of canonical tables across sources, namespacing checks and in-source duplicates."""

from __future__ import annotations

import pandas as pd
import pytest

from connectors.base import SourceResult
from sheets_sync.blend import blend
from sheets_sync.errors import SchemaError
from sheets_sync.issues import Severity
from sheets_sync.model import TABLE_NAMES
from tests.blend.frames import canonical, result

DEAL = {"status": "open", "created_at": "2026-01-05", "amount": 10.0}


def _deal(deal_id: str, **fields) -> dict:
    return {"deal_id": deal_id, **DEAL, **fields}


def test_union_of_two_sources_keeps_rows_sources_and_counts() -> None:
    sfdc = result("sfdc", deals=[_deal("sfdc:1"), _deal("sfdc:2")], owners=[])
    hub = result("hubspot", deals=[_deal("hubspot:1", amount=5.5)])
    dataset = blend([("sfdc", sfdc), ("hubspot", hub)])

    deals = dataset.table("deals")
    assert deals["deal_id"].tolist() == ["sfdc:1", "sfdc:2", "hubspot:1"]
    assert deals["source"].tolist() == ["sfdc", "sfdc", "hubspot"]
    assert isinstance(deals["source"].dtype, pd.CategoricalDtype)
    assert deals["amount"].sum() == pytest.approx(25.5)
    assert dataset.sources == ["sfdc", "hubspot"]
    assert dataset.row_counts == {"sfdc": {"deals": 2, "owners": 0}, "hubspot": {"deals": 1}}
    assert set(dataset.tables) == set(TABLE_NAMES)
    assert dataset.table("tickets").empty


def test_source_issues_are_collected() -> None:
    from sheets_sync.issues import DataIssue

    sfdc = result("sfdc", deals=[_deal("sfdc:1")])
    sfdc.issues.append(DataIssue(Severity.WARNING, "amount unreadable", "sfdc", "deals", "amount"))
    dataset = blend([("sfdc", sfdc)])
    assert [i.message for i in dataset.issues] == ["amount unreadable"]


def test_ids_not_prefixed_with_source_name_are_refused() -> None:
    bad = result("hubspot", deals=[_deal("hubspot:1"), _deal("42")])
    with pytest.raises(SchemaError, match=r"source 'hubspot'.*not prefixed with 'hubspot:'"):
        blend([("hubspot", bad)])


def test_colliding_ids_of_two_sources_are_refused() -> None:
    # A source named "a" whose ids look like those of a source named "a:b" breaks namespacing.
    first = result("a:b", deals=[_deal("a:b:1")])
    second = result("a", deals=[_deal("a:b:1")])
    with pytest.raises(SchemaError, match=r"sources a, a:b returned the same deals.deal_id"):
        blend([("a:b", first), ("a", second)])


def test_source_column_must_match_source_name() -> None:
    frame = canonical("deals", "other", [_deal("sfdc:1")])
    with pytest.raises(SchemaError, match=r"source column is 'other'; it must be 'sfdc'"):
        blend([("sfdc", SourceResult({"deals": frame}))])


def test_repeated_source_name_and_unknown_table_are_refused() -> None:
    one = result("sfdc", deals=[_deal("sfdc:1")])
    with pytest.raises(SchemaError, match="'sfdc' is used twice"):
        blend([("sfdc", one), ("sfdc", one)])
    odd = SourceResult({"opportunities": canonical("deals", "sfdc", [_deal("sfdc:1")])})
    with pytest.raises(SchemaError, match="unknown table 'opportunities'"):
        blend([("sfdc", odd)])


def test_in_source_duplicate_ids_keep_last_version_and_are_reported() -> None:
    sfdc = result(
        "sfdc",
        deals=[_deal("sfdc:1", amount=1.0), _deal("sfdc:2"), _deal("sfdc:1", amount=3.0)],
    )
    dataset = blend([("sfdc", sfdc)])

    deals = dataset.table("deals")
    assert deals["deal_id"].tolist() == ["sfdc:2", "sfdc:1"]
    assert deals.set_index("deal_id").loc["sfdc:1", "amount"] == 3.0
    [issue] = [i for i in dataset.issues if i.column == "deal_id"]
    assert issue.severity is Severity.WARNING
    assert issue.source == "sfdc" and issue.table == "deals"
    assert "sfdc:1" in issue.message and issue.rows == (0,) and issue.count == 1


def test_foreign_ids_without_prefix_are_warned_about() -> None:
    sfdc = result("sfdc", deals=[_deal("sfdc:1", owner_id="u1"), _deal("sfdc:2")])
    dataset = blend([("sfdc", sfdc)])
    [issue] = [i for i in dataset.issues if i.column == "owner_id"]
    assert issue.severity is Severity.WARNING and issue.rows == (0,)


def test_no_sources_give_an_empty_typed_dataset() -> None:
    dataset = blend([])
    assert dataset.sources == [] and dataset.row_counts == {} and dataset.issues == []
    assert dataset.table("leads").empty and "person_key" in dataset.table("leads").columns
    assert dataset.duplicates.empty and "cross_source" in dataset.duplicates.columns
