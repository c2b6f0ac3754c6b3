"""Dynamics 365 reads through msal + requests against the TLS Dataverse emulator: paging by
nextLink, formatted option sets, change tracking, key reconciliation, custom columns,
certificate auth, recorded pages and the report end to end."""

from __future__ import annotations

import datetime as dt
import hashlib

import pandas as pd
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from connectors.base import ReadContext
from connectors.common.cache import MemoryRecordStore
from connectors.common.errors import UnknownFieldError
from sheets_sync.blend import blend
from sheets_sync.report import ReportSettings, build_workbook
from sheets_sync.templates import load_template
from tests.emulators.dynamics.org import Org, load_fixture_contacts
from tests.emulators.dynamics.server import DataverseEmulator
from tests.emulators.salesforce.tls import self_signed


def test_full_pull_follows_next_links_and_maps_option_sets(emulator, make_source, org):
    result = make_source().read(ReadContext())
    pages = [u for u in emulator.urls if u.startswith("/api/data/v9.2/opportunities")]
    # 60 rows at 25 per page: three calls, the 2nd and 3rd being the paging cookies given.
    assert len(pages) == 3
    assert 'pagenumber="2"' in pages[1] and 'pagenumber="3"' in pages[2]
    assert all("odata.maxpagesize=25" in p for p in emulator.prefer if p)
    assert any("FormattedValue" in p and "track-changes" in p for p in emulator.prefer)
    deals = result.tables["deals"].set_index("deal_id")
    assert len(deals) == 60 and deals.index.str.startswith("d365:").all()
    raw = org.tables["opportunities"]
    for row_id, row in raw.items():
        got = deals.loc[f"d365:{row_id}"]
        assert got["status"] == {0: "open", 1: "won", 2: "lost"}[row["statecode"]]
        assert got["stage"] == ("Qualify", "Develop", "Propose", "Close")[row["salesstage"]]
        assert got["probability"] == row["closeprobability"] / 100
    assert set(deals["currency"].astype(str)) == {"USD", "EUR"}
    assert deals["lead_source"].notna().all()
    owners = result.tables["owners"]
    assert "Inside Sales" in set(owners["name"])
    assert set(owners["team"].astype(str)) >= {"North", "South"}
    assert owners["active"].sum() == len(owners) - 1  # one disabled user
    activities = result.tables["activities"]
    assert len(activities) == 48  # the 12 letters are not canonical activity types
    assert set(activities["type"].astype(str)) == {"call", "email", "meeting", "task"}
    assert activities["deal_id"].notna().sum() > 0 and activities["lead_id"].notna().sum() > 0
    leads = result.tables["leads"]
    assert {"lead", "opportunity"} <= set(leads["status"].dropna().astype(str))
    tickets = result.tables["tickets"]
    assert tickets["resolved_at"].notna().sum() == sum(
        1 for r in org.tables["incidents"].values() if r["statecode"] == 1
    )
    assert result.requests == len(emulator.requests)


def test_incremental_with_change_tracking_equals_a_full_pull(emulator, make_source, org):
    source = make_source()
    store = MemoryRecordStore()
    first = source.read(ReadContext(state_store=store))
    opportunities = sorted(org.tables["opportunities"])
    org.update("opportunities", opportunities[0], {"statecode": 1, "statuscode": 3})
    org.delete("opportunities", opportunities[1])
    org.create("opportunities", {"name": "Brand new", "statecode": 0, "salesstage": 0})
    org.delete("activitypointers", sorted(org.tables["activitypointers"])[0])
    org.update("accounts", sorted(org.tables["accounts"])[0], {"name": "Renamed"})
    before = len(emulator.urls)
    second = source.read(ReadContext(state_store=store, cursors=first.cursors))
    calls = emulator.urls[before:]
    full = make_source().read(ReadContext(state_store=MemoryRecordStore()))
    for table, frame in full.tables.items():
        pd.testing.assert_frame_equal(second.tables[table], frame)
    assert f"d365:{opportunities[1]}" not in set(second.tables["deals"]["deal_id"])
    # tracked tables: one delta-link call each; activitypointers: modifiedon + a key pass
    opportunity_calls = [c for c in calls if c.startswith("/api/data/v9.2/opportunities")]
    assert len(opportunity_calls) == 1 and "$deltatoken=" in opportunity_calls[0]
    activity_calls = [c for c in calls if c.startswith("/api/data/v9.2/activitypointers")]
    assert any("modifiedon ge" in c for c in activity_calls)
    assert second.stats["streams"]["opportunities"]["deleted"] == 1
    assert second.stats["streams"]["activities"]["deleted"] == 1
    assert second.requests < first.requests


def test_delta_links_survive_in_a_disk_cache_and_cursors_stay_before_the_start(
    tmp_path, emulator, make_source, org
):
    started = dt.datetime(2024, 6, 1, tzinfo=dt.UTC)
    source = make_source(entities=["opportunities"])
    first = source.read(ReadContext(cache_dir=str(tmp_path / "cache"), started_at=started))
    assert all(pd.Timestamp(c) <= started for c in first.cursors.values())
    org.delete("opportunities", sorted(org.tables["opportunities"])[0])
    fresh = make_source(entities=["opportunities"])  # a new process: only the disk remains
    second = fresh.read(ReadContext(cache_dir=str(tmp_path / "cache"), cursors=first.cursors))
    assert "$deltatoken=" in [u for u in emulator.urls if "opportunities" in u][-1]
    assert len(second.tables["deals"]) == 59


def test_incremental_with_key_reconciliation_equals_a_full_pull(emulator, make_source, org):
    source = make_source(deletions="reconcile")
    store = MemoryRecordStore()
    first = source.read(ReadContext(state_store=store))
    org.delete("leads", sorted(org.tables["leads"])[3])
    org.update("incidents", sorted(org.tables["incidents"])[0], {"statecode": 1})
    second = source.read(ReadContext(state_store=store, cursors=first.cursors))
    full = make_source(deletions="reconcile").read(ReadContext())
    for table, frame in full.tables.items():
        pd.testing.assert_frame_equal(second.tables[table], frame)
    assert not any("$deltatoken" in u for u in emulator.urls)
    assert second.stats["streams"]["leads"]["deleted"] == 1


def test_expired_delta_link_falls_back_to_modifiedon_and_reconciliation(emulator, make_source, org):
    source = make_source(entities=["opportunities"])
    store = MemoryRecordStore()
    first = source.read(ReadContext(state_store=store))
    org.delete("opportunities", sorted(org.tables["opportunities"])[0])
    expired = {"error": {"code": "0x80044352", "message": "The delta token has expired"}}
    emulator.fail_next("$deltatoken=", 400, body=expired)
    second = source.read(ReadContext(state_store=store, cursors=first.cursors))
    assert len(second.tables["deals"]) == 59
    assert second.stats["delta_links"] == []  # no fresh link from the fallback path


def test_custom_columns_are_mapped_and_unknown_ones_named(emulator, make_source, org):
    org.add_column("opportunities", "new_region")
    for n, row in enumerate(org.tables["opportunities"].values()):
        row["new_region"] = ("EMEA", "APAC")[n % 2]
    source = make_source(
        entities=["opportunities"], custom_fields={"opportunities": {"region": "new_region"}}
    )
    deals = source.read(ReadContext()).tables["deals"]
    assert set(deals["region"]) == {"EMEA", "APAC"}
    bad = make_source(entities=["accounts"], custom_fields={"accounts": {"tier": "new_tier"}})
    with pytest.raises(UnknownFieldError, match="new_tier"):
        bad.read(ReadContext())


def test_empty_org_gives_typed_empty_tables(tmp_path, make_source):
    empty = DataverseEmulator(tmp_path / "empty", Org()).start()
    try:
        source = make_source(
            org_url=empty.base_url, authority_host=empty.base_url, ca_bundle=str(empty.cert)
        )
        result = source.read(ReadContext())
    finally:
        empty.stop()
    assert all(len(frame) == 0 for frame in result.tables.values())
    assert str(result.tables["deals"]["created_at"].dtype) == "datetime64[ns, UTC]"


def _certificate(tmp_path) -> tuple[str, str, x509.Certificate]:
    key, cert = self_signed("sheets-sync app")
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    thumbprint = hashlib.sha1(cert.public_bytes(serialization.Encoding.DER)).hexdigest()
    return pem, thumbprint, cert


def test_certificate_credentials_sign_a_client_assertion(tmp_path, emulator, make_source):
    pem, thumbprint, cert = _certificate(tmp_path)
    emulator.client_certificate = cert
    source = make_source(
        client_secret=None,
        certificate_key=pem,
        certificate_thumbprint=thumbprint,
        entities=["accounts"],
    )
    assert len(source.read(ReadContext()).tables["accounts"]) == 20


def test_recorded_paging_example_matches_the_emulator(shared_fixtures, tmp_path, make_source):
    org = Org()
    recorded = load_fixture_contacts(org, shared_fixtures)
    if not recorded:
        pytest.skip("no recorded Dynamics 365 pages in ../shared/fixtures")
    emulator = DataverseEmulator(tmp_path / "fx", org).start()
    try:
        source = make_source(
            org_url=emulator.base_url,
            authority_host=emulator.base_url,
            ca_bundle=str(emulator.cert),
            entities=["contacts"],
            page_size=2,
        )
        result = source.read(ReadContext())
        first_page = emulator.urls.index(
            next(u for u in emulator.urls if u.startswith("/api/data/v9.2/contacts"))
        )
        followed = emulator.urls[first_page + 1]
    finally:
        emulator.stop()
    names = set(result.tables["leads"]["name"])
    assert {r["fullname"] for page in recorded for r in page["value"]} <= names
    # the recorded nextLink carries the same paging-cookie shape the emulator hands out
    assert "$skiptoken=%3Ccookie%20pagenumber=%222%22" in recorded[0]["@odata.nextLink"]
    assert '$skiptoken=<cookie pagenumber="2"' in followed
    assert set(recorded[0]) == {"@odata.context", "value", "@odata.nextLink"}


def test_canonical_tables_feed_the_sales_pipeline_template(make_source):
    result = make_source().read(ReadContext())
    dataset = blend([("d365", result)])
    now = pd.Timestamp("2024-12-31", tz="UTC")
    workbook = build_workbook(load_template("sales_pipeline"), dataset, ReportSettings(), now)
    by_stage = workbook.tab("Pipeline").table("by_stage").frame
    open_column = next(c for c in by_stage.columns if "open deals" in str(c).lower())
    assert by_stage[open_column].sum() == (result.tables["deals"]["status"] == "open").sum()
    assert len(workbook.tab("Deals data").tables[0].frame) == 60
