"""Custom field mapping, describe-driven SOQL, the recorded describes, and reports end to end."""

from __future__ import annotations

import json
import warnings
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest

from connectors.base import ReadContext
from connectors.common.errors import UnknownFieldError
from connectors.salesforce.fields import plan_fields, selectable
from connectors.salesforce.soql import literal, select
from connectors.salesforce.streams import OBJECT_OF, STREAMS
from sheets_sync.errors import ConfigError
from tests.emulators.salesforce.seed import seed


def test_custom_fields_are_selected_and_mapped(emulator, make_source):
    ids = seed(emulator.org, 12)
    emulator.org.add_field("Opportunity", "Region__c")
    emulator.org.add_field("Opportunity", "Product_Line__c")
    for i, record_id in enumerate(ids["Opportunity"]):
        emulator.org.update(
            "Opportunity", record_id, Region__c="EMEA" if i % 2 else "APAC", Product_Line__c="Pro"
        )
    source = make_source(
        custom_fields={"opportunities": {"region": "Region__c", "product": "Product_Line__c"}}
    )
    deals = source.read(ReadContext()).tables["deals"]
    assert set(deals["region"]) == {"EMEA", "APAC"}  # a new column kept after the canonical ones
    assert set(deals["product"].astype(str)) == {"Pro"}  # a canonical column now filled


def test_a_custom_field_the_org_lacks_is_a_config_error(emulator, make_source):
    seed(emulator.org, 2)
    source = make_source(custom_fields={"opportunities": {"region": "Regoin__c"}})
    with pytest.raises(ConfigError, match=r"custom_fields\.opportunities\.region.*Regoin__c"):
        source.read(ReadContext())


def test_soql_is_built_from_described_names_with_escaped_values():
    described = {"Id", "Name", "SystemModstamp"}
    text = select(
        "Lead",
        ["Id", "Name"],
        described,
        [
            ("Name", "=", "O'Brien \\ co\n"),
            ("SystemModstamp", ">=", datetime(2024, 5, 1, tzinfo=UTC)),
        ],
    )
    assert text == (
        "SELECT Id, Name FROM Lead WHERE Name = 'O\\'Brien \\\\ co\\n' "
        "AND SystemModstamp >= 2024-05-01T00:00:00.000Z"
    )
    with pytest.raises(UnknownFieldError, match="no field 'Secret__c'"):
        select("Lead", ["Id", "Secret__c"], described)
    with pytest.raises(UnknownFieldError):
        select("Lead", ["Id"], described | {"Id FROM User --"}, [("Id FROM User --", "=", 1)])
    assert (
        literal(None) == "null"
        and literal(True) == "true"
        and literal(date(2024, 1, 2)) == ("2024-01-02")
    )


def test_recorded_describes_parse_into_the_selected_fields(shared_fixtures: Path):
    folder = shared_fixtures / "salesforce" / "cumulusci" / "json"
    streams = {obj: stream for obj, stream in STREAMS}
    for obj in ("Account", "Contact", "Lead", "Opportunity"):
        describe = json.loads((folder / f"GET_sobjects_{obj}_describe.json").read_text())
        fields, absent = plan_fields(streams[obj], describe)
        names = {f["name"] for f in describe["fields"]}
        assert set(fields) <= names and {"Id", "SystemModstamp", "IsDeleted"} <= set(fields)
        assert "CurrencyIsoCode" in absent or "CurrencyIsoCode" not in streams[obj].mapping.values()
        types = {f["name"]: f["type"] for f in describe["fields"]}
        assert not {f for f in fields if types[f] in ("address", "location")}
        soql = select(obj, fields, set(selectable(describe)))
        assert soql.startswith("SELECT Id, SystemModstamp") and soql.endswith(f"FROM {obj}")
    opportunity = json.loads((folder / "GET_sobjects_Opportunity_describe.json").read_text())
    fields, _ = plan_fields(streams["Opportunity"], opportunity)
    assert {"StageName", "Amount", "CloseDate", "IsClosed", "IsWon", "OwnerId"} <= set(fields)
    account = json.loads((folder / "GET_sobjects_Account_describe.json").read_text())
    assert "BillingAddress" in {f["name"] for f in account["fields"]}
    assert "BillingAddress" not in selectable(account)
    assert set(OBJECT_OF.values()) >= {"Opportunity", "Lead", "Account", "Contact"}


def test_canonical_tables_feed_a_bundled_template(emulator, make_source):
    report = pytest.importorskip("sheets_sync.report")
    templates = pytest.importorskip("sheets_sync.templates")
    from sheets_sync.blend import blend
    from sheets_sync.metrics.query import DateRange

    seed(emulator.org, 40)
    now = pd.Timestamp("2024-12-31T12:00:00Z")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        result = make_source().read(ReadContext(started_at=now.to_pydatetime()))
        dataset = blend([("sfdc", result)])
        template = templates.load_template("sales_pipeline")
        settings = report.ReportSettings(
            date_range=DateRange("custom", date(2023, 1, 1), date(2024, 12, 31))
        )
        workbook = report.build_workbook(template, dataset, settings, now)
    assert [t.name for t in workbook.tabs] == template.tab_names()
    frames = [tb.frame for tab in workbook.tabs for tb in tab.tables]
    assert sum(len(f) > 0 for f in frames) >= 3
    names = {str(v) for f in frames for col in f.columns for v in f[col].head(200)}
    assert any(v.startswith("Deal ") for v in names)  # raw deal rows reach the raw-data tab
