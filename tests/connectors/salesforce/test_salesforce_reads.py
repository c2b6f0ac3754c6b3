"""Salesforce reads through simple-salesforce against the emulator: paging, bulk, incremental."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from connectors.base import ReadContext
from connectors.common.errors import MalformedResponseError, RequestRejectedError
from sheets_sync.model import TABLES
from tests.emulators.salesforce.seed import seed


def _sorted(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    key = TABLES[table].primary_key
    return frame.sort_values(key).reset_index(drop=True)


def _assert_same_tables(left, right) -> None:
    assert set(left.tables) == set(right.tables)
    for name in left.tables:
        pd.testing.assert_frame_equal(
            _sorted(left.tables[name], name), _sorted(right.tables[name], name), check_like=True
        )


def test_multi_page_full_pull_maps_every_object(emulator, make_source, tmp_path: Path):
    ids = seed(emulator.org, 45)
    result = make_source().read(ReadContext(cache_dir=str(tmp_path / "cache")))
    more_pages = sum(1 for _, p in emulator.requests if "/query/01g" in p)
    assert more_pages >= 4  # 45 opportunities at 10 per page: 1 query + 4 nextRecordsUrl pages
    deals = result.tables["deals"]
    assert len(deals) == 45 and deals["deal_id"].str.startswith("sfdc:006").all()
    assert set(deals["source"].astype(str)) == {"sfdc"}
    opp = emulator.org.records["Opportunity"][ids["Opportunity"][0]]
    row = deals.set_index("deal_id").loc[f"sfdc:{opp['Id']}"]
    expected = "won" if opp["IsWon"] else "lost" if opp["IsClosed"] else "open"
    assert row["status"] == expected and row["amount"] == opp["Amount"]
    assert row["campaign"].startswith("Campaign ") and row["probability"] == 0.5
    owners = result.tables["owners"].set_index("name")
    assert owners.loc["Rep 1", "team"] == "West Sales" and owners.loc["Rep 1", "manager"] == "Rep 0"
    history = result.tables["deal_stage_history"]
    # three history rows per deal, two with the same stage: only stage changes are kept
    assert history.groupby("deal_id").size().max() <= 2
    activities = result.tables["activities"]
    assert set(activities["type"].astype(str)) == {"call", "meeting"}
    assert result.cursors["opportunities"].startswith("2024-01-01T")
    assert result.requests == emulator.api_calls() + emulator.api_calls("/oauth2/token")
    assert result.stats["api_usage"]["used"] == emulator.used


def test_converted_leads_are_not_counted_twice_as_contacts(emulator, make_source):
    seed(emulator.org, 20)
    result = make_source().read(ReadContext())
    leads = result.tables["leads"]
    converted = [r["ConvertedContactId"] for r in emulator.org.live("Lead") if r["IsConverted"]]
    assert converted and not leads["lead_id"].isin([f"sfdc:{c}" for c in converted]).any()
    assert len(leads) == len(emulator.org.live("Lead")) + len(emulator.org.live("Contact")) - len(
        converted
    )


def test_incremental_with_updates_and_deletions_equals_full(emulator, make_source, tmp_path):
    ids = seed(emulator.org, 30)
    source = make_source()
    first = source.read(ReadContext(cache_dir=str(tmp_path / "a")))
    org = emulator.org
    opps = ids["Opportunity"]
    org.update("Opportunity", opps[0], StageName="Closed Won", IsClosed=True, IsWon=True)
    org.update("Opportunity", opps[1], Amount=99.5)
    org.delete("Opportunity", opps[2])
    org.delete("Lead", ids["Lead"][1])
    new_id = org.insert(
        "Opportunity",
        Name="Fresh",
        StageName="Prospecting",
        IsClosed=False,
        IsWon=False,
        Amount=5.0,
    )
    org.update("Account", ids["Account"][0], Name="Renamed Inc")
    before = len(emulator.subrequests)
    second = source.read(ReadContext(cache_dir=str(tmp_path / "a"), cursors=first.cursors))
    incremental_queries = [p for p in emulator.subrequests[before:] if "/queryAll?" in p]
    # every object but User (which has no IsDeleted) is read with queryAll to see deletions
    assert len(incremental_queries) == 9
    assert all("SystemModstamp%20%3E%3D%202024-" in q for q in incremental_queries)
    # token + one composite of describes + three composites of first pages (5 queries each)
    assert second.requests == 5
    stats = second.stats["streams"]
    assert stats["opportunities"]["mode"] == "incremental"
    assert stats["opportunities"]["fetched"] <= 4 and stats["opportunities"]["deleted"] == 1
    full = make_source().read(ReadContext(cache_dir=str(tmp_path / "b")))
    _assert_same_tables(second, full)
    deals = second.tables["deals"].set_index("deal_id")
    assert f"sfdc:{opps[2]}" not in deals.index and f"sfdc:{new_id}" in deals.index
    assert deals.loc[f"sfdc:{opps[0]}", "status"] == "won"
    assert second.cursors["opportunities"] > first.cursors["opportunities"]


def test_bulk_api_above_threshold_gives_the_same_tables(emulator, make_source, tmp_path):
    seed(emulator.org, 40)
    emulator.bulk_polls_until_complete = 2
    bulk = make_source(bulk_threshold=25).read(ReadContext(cache_dir=str(tmp_path / "bulk")))
    assert bulk.stats["bulk_jobs"] == 1
    assert any("/jobs/query" in p for _, p in emulator.requests)
    rest = make_source().read(ReadContext(cache_dir=str(tmp_path / "rest")))
    _assert_same_tables(bulk, rest)


def test_empty_objects_give_empty_typed_tables(emulator, make_source):
    result = make_source().read(ReadContext())
    assert result.row_counts() == {name: 0 for name in result.tables}
    assert str(result.tables["deals"]["created_at"].dtype) == "datetime64[ns, UTC]"
    assert result.cursors == {}


def test_truncated_page_fails_clearly_and_leaves_cache_and_cursors(emulator, make_source, tmp_path):
    ids = seed(emulator.org, 30)
    cache = tmp_path / "cache"
    source = make_source()
    first = source.read(ReadContext(cache_dir=str(cache)))
    snapshot = {p.name: p.read_bytes() for p in cache.iterdir()}
    for record_id in ids["Opportunity"][:25]:
        emulator.org.update("Opportunity", record_id, Amount=1.0)
    emulator.truncate_next("/queryAll/01g")  # the second page of the changed opportunities
    with pytest.raises(MalformedResponseError, match="not valid JSON"):
        source.read(ReadContext(cache_dir=str(cache), cursors=first.cursors))
    assert {p.name: p.read_bytes() for p in cache.iterdir()} == snapshot
    emulator.malformed_next("/queryAll/01g")
    with pytest.raises(MalformedResponseError, match="lacks records"):
        source.read(ReadContext(cache_dir=str(cache), cursors=first.cursors))
    assert {p.name: p.read_bytes() for p in cache.iterdir()} == snapshot


def test_malformed_first_read_writes_nothing(emulator, make_source, tmp_path):
    seed(emulator.org, 5)
    emulator.malformed_next("/composite")
    with pytest.raises(MalformedResponseError, match="incomplete composite response"):
        make_source().read(ReadContext(cache_dir=str(tmp_path / "cache")))
    assert not (tmp_path / "cache").exists() or not list((tmp_path / "cache").iterdir())


def test_lost_cache_forces_a_full_read(emulator, make_source, tmp_path):
    seed(emulator.org, 12)
    first = make_source().read(ReadContext(cache_dir=str(tmp_path / "a")))
    again = make_source().read(
        ReadContext(cache_dir=str(tmp_path / "empty"), cursors=first.cursors)
    )
    assert again.stats["streams"]["opportunities"]["mode"] == "full"
    assert len(again.tables["deals"]) == 12


def test_incremental_above_the_threshold_uses_a_bulk_query_all_job(emulator, make_source, tmp_path):
    ids = seed(emulator.org, 40)
    source = make_source(bulk_threshold=25)
    first = source.read(ReadContext(cache_dir=str(tmp_path / "a")))
    jobs_before = emulator.api_calls("/jobs/query")
    for record_id in ids["Opportunity"][:30]:
        emulator.org.update("Opportunity", record_id, Amount=7.0)
    emulator.org.delete("Opportunity", ids["Opportunity"][35])
    second = source.read(ReadContext(cache_dir=str(tmp_path / "a"), cursors=first.cursors))
    assert second.stats["bulk_jobs"] == 1 and emulator.api_calls("/jobs/query") > jobs_before
    assert second.stats["streams"]["opportunities"]["deleted"] == 1
    full = make_source().read(ReadContext(cache_dir=str(tmp_path / "b")))
    _assert_same_tables(second, full)


def test_truncated_bulk_results_fail_clearly_and_write_nothing(emulator, make_source, tmp_path):
    seed(emulator.org, 30)
    broken = b"Id,SystemModstamp,Name\n006000000000001AAA,2024-01-01T00:00:01.000+0000\n"
    emulator.fail_next(
        "/results", 200, broken, {"Sforce-Locator": "null", "Sforce-NumberOfRecords": "1"}
    )
    with pytest.raises(MalformedResponseError, match=r"Bulk API 2\.0 results for Opportunity"):
        make_source(bulk_threshold=25).read(ReadContext(cache_dir=str(tmp_path / "cache")))
    assert not (tmp_path / "cache").exists()


def test_a_bulk_job_that_never_finishes_is_aborted_within_the_bound(emulator, make_source):
    seed(emulator.org, 30)
    emulator.bulk_polls_until_complete = 10**9
    source = make_source(bulk_threshold=25, bulk_timeout_seconds=0.3)
    with pytest.raises(RequestRejectedError, match=r"did not finish within 0\.3 s and was aborted"):
        source.read(ReadContext())
    assert [j["state"] for j in emulator._jobs.values()] == ["Aborted"]


def test_a_failed_bulk_job_names_the_reason(emulator, make_source):
    seed(emulator.org, 30)
    failed = {"id": "750x", "state": "Failed", "errorMessage": "INVALID_FIELD: nope"}
    emulator.fail_next("/jobs/query/750", 200, failed)
    with pytest.raises(RequestRejectedError, match="ended Failed: INVALID_FIELD: nope"):
        make_source(bulk_threshold=25).read(ReadContext())


def test_a_repeated_bulk_locator_is_refused(emulator, make_source):
    seed(emulator.org, 30)
    page = b"Id\n006000000000001AAA\n"
    headers = {"Sforce-Locator": "L1", "Sforce-NumberOfRecords": "1"}
    emulator.fail_next("/results", 200, page, headers, times=2)
    with pytest.raises(MalformedResponseError, match="'L1' twice"):
        make_source(bulk_threshold=25).read(ReadContext())
