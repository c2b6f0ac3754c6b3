"""Quality checks on the real Maven CRM and Olist funnel data sets, blended as two sources.

The expected counts come from the data sets' README (known quirks) or are recomputed from the
raw CSV files, never from the code under test.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from connectors.base import SourceResult
from sheets_sync.blend import blend
from sheets_sync.dataset import Dataset
from sheets_sync.model import conform, namespaced
from sheets_sync.quality import quality_summary, run_check

NOW = pd.Timestamp("2018-01-01", tz="UTC")
STATUS = {"Won": "won", "Lost": "lost", "Engaging": "open", "Prospecting": "open"}


def _maven(folder: Path) -> SourceResult:
    pipeline = pd.read_csv(folder / "sales_pipeline.csv")
    teams = pd.read_csv(folder / "sales_teams.csv")
    accounts = pd.read_csv(folder / "accounts.csv")
    engaged = pd.to_datetime(pipeline["engage_date"])
    # Prospecting deals carry no date at all in this data set; the earliest engage date stands
    # in as their creation date (no assertion below depends on it).
    deals = pd.DataFrame(
        {
            "deal_id": namespaced("maven", pipeline["opportunity_id"]),
            "source": "maven",
            "name": pipeline["opportunity_id"],
            "status": pipeline["deal_stage"].map(STATUS),
            "stage": pipeline["deal_stage"],
            "amount": pipeline["close_value"],
            "created_at": engaged.fillna(engaged.min()),
            "close_date": pipeline["close_date"],
            # Float columns the data lacks are passed blank: conform cannot yet add a missing
            # float column itself (pd.NA into float64).
            "probability": None,
            "owner_id": namespaced("maven", pipeline["sales_agent"]),
            "account_id": namespaced("maven", pipeline["account"]),
        }
    )
    owners = pd.DataFrame(
        {
            "owner_id": namespaced("maven", teams["sales_agent"]),
            "source": "maven",
            "name": teams["sales_agent"],
            "manager": teams["manager"],
            "region": teams["regional_office"],
        }
    )
    accts = pd.DataFrame(
        {
            "account_id": namespaced("maven", accounts["account"]),
            "source": "maven",
            "name": accounts["account"],
            "industry": accounts["sector"],
            "annual_revenue": accounts["revenue"],
            "mrr": None,
        }
    )
    frames = {"deals": deals, "owners": owners, "accounts": accts}
    return SourceResult({t: conform(t, f, "maven")[0] for t, f in frames.items()})


def _olist(folder: Path) -> SourceResult:
    raw = pd.read_csv(folder / "olist_marketing_qualified_leads_dataset.csv")
    leads = pd.DataFrame(
        {
            "lead_id": namespaced("olist", raw["mql_id"]),
            "source": "olist",
            "channel": raw["origin"],
            "created_at": raw["first_contact_date"],
            "status": "mql",
        }
    )
    return SourceResult({"leads": conform("leads", leads, "olist")[0]})


@pytest.fixture
def real(shared_data: Path) -> Dataset:
    return blend(
        [
            ("maven", _maven(shared_data / "maven-crm")),
            ("olist", _olist(shared_data / "olist-funnel")),
        ]
    )


def test_blend_keeps_every_real_row(real: Dataset) -> None:
    assert real.row_counts["maven"]["deals"] == len(real.table("deals")) == 8800
    assert real.row_counts["olist"]["leads"] == len(real.table("leads")) == 8000
    assert real.sources == ["maven", "olist"]


def test_known_quirks_are_found(real: Dataset, shared_data: Path) -> None:
    raw = pd.read_csv(shared_data / "maven-crm" / "sales_pipeline.csv")
    open_deals = int(raw["deal_stage"].isin(["Engaging", "Prospecting"]).sum())
    counts = quality_summary(real, NOW).set_index("check")["count"]
    # README: open deals have no close date or value; lost deals have close_value 0 (fine).
    assert counts["missing_amount"] == open_deals
    assert set(run_check("missing_amount", real, NOW)["status"]) == {"open"}
    assert counts["past_due_open_deals"] == 0
    # README: 5 agents have no deals; 60 leads have no origin.
    assert counts["owners_without_deals"] == 5
    assert counts["leads_without_channel"] == 60
    # README: 1,425 open deals have no account: blank, so not orphans; every agent is known.
    assert counts["orphan_deals"] == 0
    assert real.table("deals")["account_id"].isna().sum() == 1425
    assert counts["missing_close_date"] == 0
    assert counts["cross_source_duplicates"] == 0
