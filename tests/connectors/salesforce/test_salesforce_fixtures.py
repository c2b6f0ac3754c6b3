"""Recorded Salesforce responses (../shared/fixtures) served by the emulator, read by the client."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from connectors.common.errors import MalformedResponseError, UnknownFieldError
from connectors.common.http import ApiSession
from connectors.salesforce.client import SalesforceClient
from connectors.salesforce.settings import parse_settings
from tests.emulators.salesforce import server as emu_server
from tests.emulators.salesforce.seed import seed


@pytest.fixture
def client(emulator) -> SalesforceClient:
    settings = parse_settings(
        "sfdc",
        {
            "login_url": emulator.base_url,
            "client_id": emu_server.CLIENT_ID,
            "client_secret": emu_server.CLIENT_SECRET,
            "refresh_token": emu_server.REFRESH_TOKEN,
            "page_size": 3,
        },
    )
    session = ApiSession("Salesforce")
    session.verify = str(emulator.cert)
    return SalesforceClient(settings, session)


def _recorded(shared_fixtures: Path, *parts: str) -> bytes:
    return shared_fixtures.joinpath("salesforce", *parts).read_bytes()


def test_recorded_composite_answer_with_a_refused_object(client, emulator, shared_fixtures):
    body = _recorded(
        shared_fixtures, "cumulusci", "json", "TestCountSObjects.test_count_sobjects__errors.json"
    )
    emulator.fail_next("/composite", 200, body)
    pages = client.first_pages(
        {"refAccount": ("SELECT Id FROM Account", False), "refXYZZY": ("SELECT Id FROM X", False)}
    )
    account = pages["refAccount"]
    assert isinstance(account, dict) and account["totalSize"] == 17 and account["done"]
    refused = pages["refXYZZY"]
    assert isinstance(refused, UnknownFieldError) and "INVALID_TYPE" in str(refused)


def test_recorded_composite_without_our_reference_is_malformed(client, emulator, shared_fixtures):
    body = _recorded(
        shared_fixtures, "cumulusci", "json", "TestCompositeParallelSalesforce.test_errors.json"
    )
    emulator.fail_next("/composite", 200, body)
    with pytest.raises(MalformedResponseError, match="without the subrequest"):
        client.describe_all(["Account"])


def test_recorded_invalid_field_error_on_a_later_page(client, emulator, shared_fixtures):
    seed(emulator.org, 10)
    error = _recorded(shared_fixtures, "restforce", "query_error_response.json")
    emulator.fail_next("/query/01g", 400, error)
    pages = client.query_pages("SELECT Id FROM Opportunity", "Opportunity", False)
    assert len(next(pages)["records"]) == 3
    with pytest.raises(UnknownFieldError, match="INVALID_FIELD: error_message"):
        next(pages)


def test_emulator_pages_have_the_recorded_shape(client, emulator, shared_fixtures):
    seed(emulator.org, 10)
    recorded = json.loads(
        _recorded(shared_fixtures, "restforce", "query_paginated_first_page_response.json")
    )
    last = json.loads(
        _recorded(shared_fixtures, "restforce", "query_paginated_last_page_response.json")
    )
    pages = list(client.query_pages("SELECT Id, Name FROM Opportunity", "Opportunity", False))
    assert len(pages) == 4  # 10 records at 3 per page
    assert set(pages[0]) == set(recorded) and set(pages[-1]) == set(last)
    assert set(pages[0]["records"][0]) == {"attributes", "Id", "Name"}
    assert set(pages[0]["records"][0]["attributes"]) == set(recorded["records"][0]["attributes"])
    assert pages[0]["nextRecordsUrl"].startswith("/services/data/v")
