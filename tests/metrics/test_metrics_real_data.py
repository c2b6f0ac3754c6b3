"""Acceptance: KPIs of the real Maven CRM export, read through FileSource and blended, against
the same KPIs computed independently from the raw CSV files with plain pandas."""

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

MAPPING = Path(__file__).resolve().parents[2] / "examples" / "mappings" / "maven_crm.yaml"
YEAR_2017 = DateRange("custom", date(2017, 1, 1), date(2017, 12, 31))


@functools.cache
def _dataset(folder: Path) -> Dataset:
    source = FileSource("maven", {"mapping": str(MAPPING), "data_dir": str(folder)})
    return blend([("maven", source.read(ReadContext()))])


@pytest.fixture
def maven(shared_data: Path) -> tuple[Dataset, pd.DataFrame]:
    folder = shared_data / "maven-crm"
    raw = pd.read_csv(folder / "sales_pipeline.csv", parse_dates=["engage_date", "close_date"])
    teams = pd.read_csv(folder / "sales_teams.csv")
    return _dataset(folder), raw.merge(teams, on="sales_agent", how="left")


def test_win_rate_and_revenue_by_manager(maven):
    dataset, raw = maven
    result = run_query(
        dataset, Query(("win_rate", "won_revenue", "won_deals"), ("manager",), date_range=YEAR_2017)
    ).set_index("manager")
    closed = raw[raw["close_date"].dt.year == 2017]
    won = closed[closed["deal_stage"] == "Won"]
    expected_rate = won.groupby("manager").size() / closed.groupby("manager").size()
    expected_revenue = won.groupby("manager")["close_value"].sum()
    assert set(result.index) == set(expected_rate.index)
    for manager in expected_rate.index:
        assert result.loc[manager, "win_rate"] == pytest.approx(expected_rate[manager], rel=1e-12)
        assert result.loc[manager, "won_revenue"] == pytest.approx(expected_revenue[manager])


def test_won_revenue_by_region_and_quarter(maven):
    dataset, raw = maven
    result = run_query(
        dataset,
        Query(("won_revenue",), ("region",), date_range=YEAR_2017, granularity="quarter"),
    )
    won = raw[(raw["deal_stage"] == "Won") & (raw["close_date"].dt.year == 2017)]
    expected = won.groupby(["regional_office", won["close_date"].dt.to_period("Q").dt.start_time])[
        "close_value"
    ].sum()
    got = result.set_index(["region", "period"])["won_revenue"]
    assert len(got) == len(expected) == 12  # 3 offices x 4 quarters
    for key, value in expected.items():
        assert got[key] == pytest.approx(value)


def test_sales_cycle_of_won_deals(maven):
    dataset, raw = maven
    result = run_query(dataset, Query(("sales_cycle_days",), date_range=YEAR_2017))
    won = raw[(raw["deal_stage"] == "Won") & (raw["close_date"].dt.year == 2017)]
    expected = (won["close_date"] - won["engage_date"]).dt.days.mean()
    assert result["sales_cycle_days"].iloc[0] == pytest.approx(expected, rel=1e-12)
