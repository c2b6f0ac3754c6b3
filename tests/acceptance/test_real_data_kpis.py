"""KPI acceptance on the real data sets: FileSource -> blend -> run_query, each figure checked
against an independent computation from the raw CSV with plain pandas."""

from __future__ import annotations

import functools
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from connectors.base import ReadContext
from connectors.file import FileSource
from sheets_sync.blend import blend
from sheets_sync.dataset import Dataset
from sheets_sync.metrics.engine import run_query
from sheets_sync.metrics.query import DateRange, Query

MAPPINGS = Path(__file__).resolve().parents[2] / "examples" / "mappings"
ALL_TIME = DateRange("all_time")


@functools.cache
def _dataset(name: str, mapping: str, folder: Path) -> Dataset:
    source = FileSource(name, {"mapping": str(MAPPINGS / mapping), "data_dir": str(folder)})
    return blend([(name, source.read(ReadContext()))])


def _query(dataset: Dataset, metrics, dimensions=(), date_range=ALL_TIME, now="2018-01-01"):
    query = Query(tuple(metrics), tuple(dimensions), date_range=date_range)
    return run_query(dataset, query, now=pd.Timestamp(now, tz="UTC"))


@pytest.fixture
def maven(shared_data: Path) -> tuple[Dataset, pd.DataFrame]:
    folder = shared_data / "maven-crm"
    raw = pd.read_csv(folder / "sales_pipeline.csv", parse_dates=["engage_date", "close_date"])
    raw = raw.merge(pd.read_csv(folder / "sales_teams.csv"), on="sales_agent", how="left")
    return _dataset("maven", "maven_crm.yaml", folder), raw


def _maven_expected(raw: pd.DataFrame) -> pd.Series:
    won = raw[raw["deal_stage"] == "Won"]
    closed = raw["deal_stage"].isin(["Won", "Lost"]).sum()
    return pd.Series(
        {
            "win_rate": len(won) / closed,
            "won_revenue": won["close_value"].sum(),
            "avg_deal_size": won["close_value"].mean(),
            "sales_cycle_days": (won["close_date"] - won["engage_date"]).dt.days.mean(),
        }
    )


def test_maven_headline_kpis(maven, shared_data):
    dataset, raw = maven
    expected = _maven_expected(raw)
    result = _query(dataset, [*expected.index, "open_pipeline", "open_deals"]).iloc[0]
    for metric, value in expected.items():
        assert result[metric] == pytest.approx(value), metric
    open_deals = raw[raw["deal_stage"].isin(["Engaging", "Prospecting"])]
    prices = pd.read_csv(shared_data / "maven-crm" / "products.csv").set_index("product")
    # open deals are valued at list price; 'GTXPro' matches no product and counts as blank
    assert result["open_pipeline"] == pytest.approx(
        open_deals["product"].map(prices["sales_price"]).sum()
    )
    assert result["open_deals"] == len(open_deals) == 2089


@pytest.mark.parametrize(
    ("dimension", "column"),
    [
        ("owner", "sales_agent"),
        ("manager", "manager"),
        ("region", "regional_office"),
        ("product", "product"),
    ],
)
def test_maven_breakdowns(maven, dimension, column):
    dataset, raw = maven
    result = _query(dataset, ["win_rate", "won_revenue", "avg_deal_size"], [dimension])
    result = result.set_index(dimension)
    expected = raw.groupby(column).apply(_maven_expected, include_groups=False)
    assert set(result.index) == set(expected.index)
    for metric in ("win_rate", "won_revenue", "avg_deal_size"):
        assert result[metric].sort_index().to_numpy() == pytest.approx(
            expected[metric].sort_index().to_numpy()
        ), metric


def test_olist_lead_to_customer_conversion_by_channel(shared_data):
    folder = shared_data / "olist-funnel"
    dataset = _dataset("olist", "olist_funnel.yaml", folder)
    mqls = pd.read_csv(folder / "olist_marketing_qualified_leads_dataset.csv")
    closed = pd.read_csv(folder / "olist_closed_deals_dataset.csv")
    mqls["converted"] = mqls["mql_id"].isin(closed["mql_id"])
    expected = mqls.groupby("origin")["converted"].agg(["mean", "size"])
    result = _query(dataset, ["lead_conversion_rate", "new_leads"], ["channel"], now="2019-01-01")
    result = result.dropna(subset=["channel"]).set_index("channel").sort_index()
    assert list(result.index) == list(expected.index)
    assert result["lead_conversion_rate"].to_numpy() == pytest.approx(expected["mean"].to_numpy())
    assert result["new_leads"].to_numpy() == pytest.approx(expected["size"].to_numpy())
    overall = _query(dataset, ["lead_conversion_rate", "new_leads"], now="2019-01-01").iloc[0]
    assert overall["lead_conversion_rate"] == pytest.approx(842 / 8000)


def test_telco_churn_rate_by_contract(shared_data):
    folder = shared_data / "telco-churn"
    dataset = _dataset("telco", "telco_churn.yaml", folder)
    raw = pd.read_csv(folder / "Telco-Customer-Churn.csv")
    # the churn flag means "left within the last month": the month ending at as_of (2018-01-31);
    # customers at the start of that month are those with a tenure of at least one month
    at_start = raw[raw["tenure"] >= 1]
    expected = at_start.groupby("Contract")["Churn"].apply(lambda s: s.eq("Yes").mean())
    month = DateRange("custom", date(2018, 1, 1), date(2018, 1, 31))
    result = _query(dataset, ["churn_rate", "churned_customers"], ["segment"], month, "2018-02-15")
    result = result.set_index("segment").sort_index()
    assert list(result.index) == list(expected.index)
    assert result["churn_rate"].to_numpy() == pytest.approx(expected.to_numpy())
    assert result["churned_customers"].sum() == raw["Churn"].eq("Yes").sum() == 1869
