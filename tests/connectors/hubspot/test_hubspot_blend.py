"""A HubSpot portal and a Salesforce org blended in one report (e.g. after an acquisition):
both sources read through their real clients from loopback emulators, duplicates reported."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from connectors.base import ReadContext
from sheets_sync.blend import blend
from sheets_sync.report import ReportSettings, build_workbook
from sheets_sync.templates import load_template
from tests.emulators.hubspot.server import HubSpotEmulator


def test_hubspot_and_salesforce_blend_with_cross_source_duplicates(
    tmp_path: Path, emulator: HubSpotEmulator, make_source, portal
):
    from connectors.salesforce import SalesforceSource
    from tests.emulators.salesforce import server as sf_server
    from tests.emulators.salesforce.seed import seed as seed_salesforce

    sf = sf_server.SalesforceEmulator(tmp_path / "tls").start()
    try:
        seed_salesforce(sf.org, 30)
        salesforce = SalesforceSource(
            "sfdc",
            {
                "login_url": sf.base_url,
                "client_id": sf_server.CLIENT_ID,
                "client_secret": sf_server.CLIENT_SECRET,
                "refresh_token": sf_server.REFRESH_TOKEN,
                "ca_bundle": str(sf.cert),
                "retry_base_delay": 0.01,
            },
        )
        sf_result = salesforce.read(ReadContext())
    finally:
        sf.stop()
    # the same company and person exist in both CRMs, written a little differently
    email = str(sf_result.tables["leads"]["email"].dropna().iloc[-1])
    domain = str(sf_result.tables["accounts"]["domain"].dropna().iloc[0])
    portal.create("companies", {"name": "Acme (HubSpot)", "domain": f"https://www.{domain}/"})
    portal.create("contacts", {"firstname": "Same", "lastname": "Person", "email": email.upper()})
    hs_result = make_source().read(ReadContext())
    dataset = blend([("sfdc", sf_result), ("hubspot", hs_result)])
    deals = dataset.table("deals")
    assert set(deals["source"].astype(str)) == {"sfdc", "hubspot"}
    assert len(deals) == len(sf_result.tables["deals"]) + len(hs_result.tables["deals"])
    cross = dataset.duplicates[dataset.duplicates["cross_source"]]
    keys = set(cross["key"].astype(str))
    assert email.lower() in keys
    assert any(domain.removeprefix("www.") in k for k in keys)
    now = pd.Timestamp("2024-12-31", tz="UTC")
    workbook = build_workbook(load_template("sales_pipeline"), dataset, ReportSettings(), now)
    raw = workbook.tab("Deals data").tables[0].frame
    assert len(raw) == len(deals)
