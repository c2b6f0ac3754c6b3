"""Salesforce + HubSpot in one report (an acquisition): both emulators, one blend, duplicates."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pandas as pd
import pytest

from connectors.base import ReadContext
from tests.emulators.salesforce.seed import seed

hubspot_portal = pytest.importorskip("tests.emulators.hubspot.portal")
hubspot_server = pytest.importorskip("tests.emulators.hubspot.server")
hubspot = pytest.importorskip("connectors.hubspot")


@pytest.fixture
def hubspot_emulator() -> Iterator[object]:
    portal = hubspot_portal.seed(hubspot_portal.Portal(), deals=30)
    emu = hubspot_server.HubSpotEmulator(portal).start()
    yield emu
    emu.stop()


def test_salesforce_and_hubspot_blend_with_cross_source_duplicates(
    emulator, make_source, hubspot_emulator
):
    from sheets_sync.blend import blend

    seed(emulator.org, 20)
    # the same person and company exist in both CRMs after the acquisition
    emulator.org.insert("Lead", Name="Ann Zero", Email="ANN0@company0.example", IsConverted=False)
    emulator.org.insert("Account", Name="Company 0", Website="https://company0.example/")
    hs = hubspot.HubSpotSource(
        "hubspot",
        {
            "host": hubspot_emulator.base_url,
            "oauth_host": hubspot_emulator.base_url,
            "access_token": hubspot_server.PRIVATE_TOKEN,
            "retry_base_delay": 0.0,
            "burst_limit": 100000,
            "search_per_second": 10000,
        },
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        sf_result = make_source().read(ReadContext())
        hs_result = hs.read(ReadContext())
        dataset = blend([("sfdc", sf_result), ("hubspot", hs_result)])
    deals = dataset.table("deals")
    assert set(deals["source"].astype(str)) == {"sfdc", "hubspot"}
    assert len(deals) == len(sf_result.tables["deals"]) + len(hs_result.tables["deals"])
    duplicates: pd.DataFrame = dataset.duplicates
    cross = duplicates[duplicates["cross_source"]]
    keys = set(cross["key"].astype(str))
    assert "ann0@company0.example" in keys and "company0.example" in keys
    assert all("sfdc" in str(s) and "hubspot" in str(s) for s in cross["sources"])
