"""HubSpot reads through hubspot-api-client against the loopback emulator: full, incremental,
custom fields, empty objects, window splitting, stage history and the report end to end."""

from __future__ import annotations

import pandas as pd
import pytest

from connectors.base import ReadContext
from connectors.common.cache import MemoryRecordStore
from sheets_sync.blend import blend
from sheets_sync.report import ReportSettings, build_workbook
from sheets_sync.templates import load_template
from tests.emulators.hubspot.portal import Portal, load_fixture_records, seed
from tests.emulators.hubspot.server import HubSpotEmulator


def test_full_pull_walks_every_list_page_and_maps_canonical_tables(emulator, make_source):
    result = make_source().read(ReadContext())
    deals = result.tables["deals"]
    assert len(deals) == 250
    # 250 deals at 100 per page: exactly three list calls, each following paging.next.after.
    assert emulator.count("GET", "/crm/v3/objects/deals") == 3
    assert deals["deal_id"].str.startswith("hubspot:").all()
    assert set(deals["source"]) == {"hubspot"}
    won = deals[deals["stage"] == "Closed Won"]
    lost = deals[deals["stage"] == "Closed Lost"]
    assert len(won) and (won["status"] == "won").all() and (won["probability"] == 1.0).all()
    assert len(lost) and (lost["status"] == "lost").all()
    assert (
        deals.loc[~deals["stage"].isin(["Closed Won", "Closed Lost"]), "status"] == "open"
    ).all()
    assert deals["account_id"].str.startswith("hubspot:").all()
    assert deals["pipeline"].astype(str).eq("Sales Pipeline").all()
    owners = result.tables["owners"]
    assert set(owners["team"].astype(str)) == {"East", "West"}
    assert owners["active"].all()
    leads = result.tables["leads"]
    assert set(leads["status"].dropna().astype(str)) <= {"lead", "mql", "sql", "customer"}
    assert leads["name"].str.endswith("Buyer").all()
    activities = result.tables["activities"]
    assert set(activities["type"].astype(str)) == {"call", "email", "meeting"}
    assert activities["deal_id"].notna().all()
    assert result.requests == sum(1 for _ in emulator.requests)
    assert set(result.cursors) == {
        "deals",
        "contacts",
        "companies",
        "calls",
        "emails",
        "meetings",
        "tickets",
    }


def test_cursors_never_pass_the_sync_start(emulator, make_source, portal):
    started = pd.Timestamp("2024-06-01", tz="UTC").to_pydatetime()
    result = make_source().read(ReadContext(started_at=started))
    assert all(pd.Timestamp(c) <= started for c in result.cursors.values())


def test_incremental_with_updates_and_deletions_equals_a_full_pull(emulator, make_source, portal):
    source = make_source()
    store = MemoryRecordStore()
    first = source.read(ReadContext(state_store=store))
    deal_ids = sorted(portal.objects["deals"], key=int)
    portal.update("deals", deal_ids[0], {"dealstage": "closedwon", "amount": "777"})
    portal.archive("deals", deal_ids[1])
    contact_id = sorted(portal.objects["contacts"], key=int)[0]
    portal.update("contacts", contact_id, {"lifecyclestage": "customer"})
    new_deal = portal.create("deals", {"dealname": "Fresh", "dealstage": "qualifiedtobuy"})
    portal.associate("deals", new_deal, "companies", sorted(portal.objects["companies"])[0])
    before = len(emulator.requests)
    second = source.read(ReadContext(state_store=store, cursors=first.cursors))
    calls = emulator.requests[before:]
    full = make_source().read(ReadContext(state_store=MemoryRecordStore()))
    for table, frame in full.tables.items():
        pd.testing.assert_frame_equal(second.tables[table], frame, check_like=False)
    deals = second.tables["deals"].set_index("deal_id")
    assert f"hubspot:{deal_ids[1]}" not in deals.index
    assert deals.loc[f"hubspot:{deal_ids[0]}", "status"] == "won"
    assert deals.loc[f"hubspot:{new_deal}", "account_id"].startswith("hubspot:")
    assert second.stats["streams"]["deals"]["mode"] == "incremental"
    # Deal changes cost one search page, one association batch per associated type and one
    # archived-list page: nothing proportional to the 250 unchanged deals.
    deal_calls = [
        c
        for c in calls
        if c[1].startswith(("/crm/v3/objects/deals", "/crm/v4/associations/deals/"))
    ]
    assert sorted(deal_calls) == sorted(
        [
            ("POST", "/crm/v3/objects/deals/search"),
            ("POST", "/crm/v4/associations/deals/companies/batch/read"),
            ("POST", "/crm/v4/associations/deals/contacts/batch/read"),
            ("GET", "/crm/v3/objects/deals"),
        ]
    )


def test_custom_properties_are_mapped_from_yaml(emulator, make_source, portal):
    for n, deal_id in enumerate(sorted(portal.objects["deals"], key=int)):
        portal.objects["deals"][deal_id]["properties"]["deal_region"] = ("EMEA", "AMER")[n % 2]
    source = make_source(
        custom_fields={"deals": {"region": "deal_region", "deal_type": "dealname"}},
        objects=["deals"],
    )
    deals = source.read(ReadContext()).tables["deals"]
    assert set(deals["region"]) == {"EMEA", "AMER"}
    # a canonical column mapped in YAML replaces the default mapping
    assert deals["deal_type"].astype(str).str.startswith("Deal ").all()


def test_empty_objects_give_typed_empty_tables(make_source):
    empty = HubSpotEmulator(Portal()).start()
    try:
        source = make_source(host=empty.base_url)
        result = source.read(ReadContext())
    finally:
        empty.stop()
    assert all(len(frame) == 0 for frame in result.tables.values())
    assert str(result.tables["deals"]["created_at"].dtype) == "datetime64[ns, UTC]"
    assert result.cursors == {}


def test_stage_history_comes_from_date_entered_properties(make_source):
    result = make_source(objects=["deals"]).read(ReadContext())
    history = result.tables["deal_stage_history"]
    deals = result.tables["deals"].set_index("deal_id")
    won = deals[deals["status"] == "won"].index[0]
    stages = history[history["deal_id"] == won].sort_values("stage_order")["stage"].astype(str)
    ordered = list(stages)
    assert ordered[0] == "Appointment Scheduled" and ordered[-1] == "Closed Won"
    assert history["history_id"].is_unique


def test_search_windows_split_so_no_search_passes_the_10000_cap():
    portal = seed(Portal(), deals=10_050, contacts=0, companies=1, activities=0, tickets=0)
    emulator = HubSpotEmulator(portal).start()
    try:
        from connectors.hubspot import HubSpotSource
        from tests.emulators.hubspot.server import PRIVATE_TOKEN

        options = {
            "host": emulator.base_url,
            "access_token": PRIVATE_TOKEN,
            "objects": ["deals"],
            "burst_limit": 100000,
            "search_per_second": 10000,
        }
        store = MemoryRecordStore()
        first = HubSpotSource("hs", options).read(ReadContext(state_store=store))
        for deal_id in list(portal.objects["deals"]):
            portal.update("deals", deal_id, {"amount": "5"})
        second = HubSpotSource("hs", options).read(
            ReadContext(state_store=store, cursors=first.cursors)
        )
    finally:
        emulator.stop()
    assert second.stats["search_window_splits"] >= 1
    assert second.stats["streams"]["deals"]["fetched"] == 10_050
    assert (second.tables["deals"]["amount"] == 5.0).all()


def test_a_window_too_dense_to_split_falls_back_to_the_list(make_source):
    portal = seed(Portal(), deals=30, contacts=0, companies=1, activities=0, tickets=0)
    emulator = HubSpotEmulator(portal, search_cap=10).start()
    try:
        source = make_source(host=emulator.base_url, objects=["deals"], search_result_cap=10)
        store = MemoryRecordStore()
        first = source.read(ReadContext(state_store=store))
        stamp = "2025-06-01T00:00:00.000Z"  # twelve deals changed in the same millisecond
        for deal_id in sorted(portal.objects["deals"], key=int)[:12]:
            portal.objects["deals"][deal_id]["properties"].update(
                {"amount": "9", "hs_lastmodifieddate": stamp}
            )
        portal.version += 1
        before = len(emulator.requests)
        second = source.read(ReadContext(state_store=store, cursors=first.cursors))
        lists = [c for c in emulator.requests[before:] if c == ("GET", "/crm/v3/objects/deals")]
    finally:
        emulator.stop()
    assert (second.tables["deals"]["amount"] == 9.0).sum() == 12
    assert len(lists) == 2  # the live list replacing the search, then the archived list


def test_recorded_hubspot_records_parse(shared_fixtures, make_source, emulator, portal):
    added = load_fixture_records(portal, shared_fixtures)
    if not added:
        pytest.skip("no recorded HubSpot records in ../shared/fixtures")
    result = make_source().read(ReadContext())
    assert "With Atul" in set(result.tables["deals"]["name"])
    assert "hubspot.com" in set(result.tables["accounts"]["domain"])
    assert "emailmaria@hubspot.com" in set(result.tables["leads"]["email"])
    recorded = result.tables["deals"].set_index("deal_id").loc["hubspot:6744192456"]
    assert recorded["stage"] == "Qualified To Buy" and recorded["amount"] == 500.0


def test_canonical_tables_feed_the_sales_pipeline_template(make_source):
    result = make_source().read(ReadContext())
    dataset = blend([("hubspot", result)])
    now = pd.Timestamp("2024-12-31", tz="UTC")
    workbook = build_workbook(load_template("sales_pipeline"), dataset, ReportSettings(), now)
    by_stage = workbook.tab("Pipeline").table("by_stage").frame
    open_column = next(c for c in by_stage.columns if "open deals" in str(c).lower())
    assert by_stage[open_column].sum() == (result.tables["deals"]["status"] == "open").sum()
    raw = workbook.tab("Deals data").tables[0].frame
    assert len(raw) == 250
