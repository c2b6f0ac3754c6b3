"""Acceptance: the three real data sets load through FileSource with the example mappings.

Row counts and the documented quirks are checked against counts computed independently from the
raw CSV with plain pandas.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pandas as pd
import pytest

from connectors.base import ReadContext, SourceResult
from connectors.file import FileSource

MAPPINGS = Path(__file__).resolve().parents[3] / "examples" / "mappings"


@functools.cache
def _load(name: str, mapping: str, folder: Path) -> SourceResult:
    """Read a data set once per test session (each read takes about a second)."""
    source = FileSource(name, {"mapping": str(MAPPINGS / mapping), "data_dir": str(folder)})
    return source.read(ReadContext())


def _issues(result: SourceResult, column: str, text: str) -> list:
    return [i for i in result.issues if i.column == column and text in i.message]


@pytest.fixture
def maven(shared_data: Path) -> tuple[SourceResult, Path]:
    folder = shared_data / "maven-crm"
    return _load("maven", "maven_crm.yaml", folder), folder


@pytest.fixture
def olist(shared_data: Path) -> tuple[SourceResult, Path]:
    folder = shared_data / "olist-funnel"
    return _load("olist", "olist_funnel.yaml", folder), folder


@pytest.fixture
def telco(shared_data: Path) -> tuple[SourceResult, Path]:
    folder = shared_data / "telco-churn"
    return _load("telco", "telco_churn.yaml", folder), folder


def test_maven_row_counts_and_status(maven):
    result, folder = maven
    raw = pd.read_csv(folder / "sales_pipeline.csv")
    assert result.row_counts() == {"deals": 8800, "owners": 35, "accounts": 85}
    deals = result.tables["deals"]
    expected = raw["deal_stage"].map({"Won": "won", "Lost": "lost"}).fillna("open")
    assert deals["status"].astype(str).value_counts().to_dict() == expected.value_counts().to_dict()
    won = raw[raw["deal_stage"] == "Won"]["close_value"].sum()
    assert deals.loc[deals["status"] == "won", "amount"].sum() == pytest.approx(won)
    assert (
        deals["owner_id"]
        .str.removeprefix("maven:")
        .isin(pd.read_csv(folder / "sales_teams.csv")["sales_agent"])
        .all()
    )


def test_maven_quirks_are_reported(maven):
    result, folder = maven
    raw = pd.read_csv(folder / "sales_pipeline.csv")
    gtxpro = int((raw["product"] == "GTXPro").sum())
    miss = _issues(result, "product_series", "product 'GTXPro' not found in products.csv")
    assert len(miss) == 1 and miss[0].count == gtxpro == 1480
    no_account = int(raw["account"].isna().sum())
    assert no_account == 1425
    assert raw.loc[raw["account"].isna(), "deal_stage"].isin(["Engaging", "Prospecting"]).all()
    blank = _issues(result, "account_id", "blank 'account'")
    assert blank[0].count == no_account
    prospecting = raw["engage_date"].isna()
    fallback = _issues(result, "created_at", "took the declared fallback")
    assert fallback[0].count == int(prospecting.sum()) == 500
    assert fallback[0].rows[0] == int(prospecting.idxmax()) + 2  # file row: header is row 1
    deals = result.tables["deals"]
    assert (
        deals.loc[prospecting.to_numpy(), "created_at"] == pd.Timestamp("2017-12-31", tz="UTC")
    ).all()


def test_maven_owners_and_accounts(maven):
    result, folder = maven
    owners, accounts = result.tables["owners"], result.tables["accounts"]
    teams = pd.read_csv(folder / "sales_teams.csv")
    assert owners["region"].astype(str).value_counts().to_dict() == (
        teams["regional_office"].value_counts().to_dict()
    )
    raw = pd.read_csv(folder / "accounts.csv")
    assert int((accounts["industry"] == "technology").sum()) == int(
        (raw["sector"] == "technolgy").sum()
    )
    assert accounts["annual_revenue"].sum() == pytest.approx(raw["revenue"].sum() * 1e6)
    assert accounts["employees"].sum() == raw["employees"].sum()


def test_olist_counts_conversion_and_quirks(olist):
    result, folder = olist
    assert result.row_counts() == {"leads": 8000, "deals": 842, "accounts": 842}
    mqls = pd.read_csv(folder / "olist_marketing_qualified_leads_dataset.csv")
    closed = pd.read_csv(folder / "olist_closed_deals_dataset.csv")
    leads = result.tables["leads"]
    converted = mqls["mql_id"].isin(closed["mql_id"])
    assert int((leads["status"] == "customer").sum()) == int(converted.sum()) == 842
    assert int(leads["converted_at"].notna().sum()) == 842
    no_origin = _issues(result, "channel", "blank 'origin'")
    assert no_origin[0].count == int(mqls["origin"].isna().sum()) == 60
    merged = closed.merge(mqls, on="mql_id")
    early = pd.to_datetime(merged["won_date"]) < pd.to_datetime(merged["first_contact_date"])
    order = _issues(result, "close_date", "close_date before created_at")
    assert order[0].count == int(early.sum()) == 1
    deals = result.tables["deals"]
    assert deals["created_at"].notna().all()
    assert deals["business_segment"].notna().sum() == closed["business_segment"].notna().sum()


def test_telco_counts_derived_dates_and_blank_charges(telco):
    result, folder = telco
    raw = pd.read_csv(folder / "Telco-Customer-Churn.csv")
    accounts = result.tables["accounts"]
    assert len(accounts) == 7043
    as_of = pd.Timestamp("2018-01-31", tz="UTC")
    churned = raw["Churn"].eq("Yes").to_numpy()
    assert int(accounts["churned_at"].notna().sum()) == int(churned.sum()) == 1869
    assert (accounts.loc[churned, "churned_at"] == as_of).all()
    assert accounts["customer_since"].iloc[1] == as_of - pd.DateOffset(
        months=int(raw["tenure"].iloc[1])
    )
    assert accounts["mrr"].sum() == pytest.approx(raw["MonthlyCharges"].sum())
    assert (
        accounts["segment"].astype(str).value_counts().to_dict()
        == raw["Contract"].value_counts().to_dict()
    )
    blank = raw["TotalCharges"].str.strip().eq("")
    issue = _issues(result, "total_charges", "blank 'TotalCharges'")
    assert issue[0].count == int(blank.sum()) == 11
    assert set(issue[0].rows) == {int(i) + 2 for i in raw.index[blank]}
    assert (raw.loc[blank, "tenure"] == 0).all()
