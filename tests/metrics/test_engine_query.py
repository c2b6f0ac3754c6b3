"""Query features: dimensions through joins, filters, granularity, comparisons, time zones,
currencies, empty ranges, zero denominators and error messages."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd
import pytest

from sheets_sync.errors import MetricError
from sheets_sync.metrics.engine import run_query
from sheets_sync.metrics.query import DateRange, Query
from tests.metrics.frames import MARCH, RATES, dataset, deal, mini_crm

EUR = {"currency": "EUR", "currency_rates": RATES}


def q(*metrics: str, **kw) -> Query:
    return Query(tuple(metrics), **{"date_range": MARCH, **EUR, **kw})


@pytest.fixture(scope="module")
def crm():
    return mini_crm()


def by(frame: pd.DataFrame, key: str, metric: str) -> dict:
    return {(None if pd.isna(k) else k): v for k, v in zip(frame[key], frame[metric], strict=True)}


def test_owner_team_and_manager_come_from_the_owners_table(crm):
    result = run_query(crm, q("won_revenue", "won_deals", dimensions=("owner",)))
    assert by(result, "owner", "won_revenue") == {"Ann": 1000.0, "Bob": 200.0, None: 100.0}
    team = run_query(crm, q("won_deals", dimensions=("team",)))
    assert by(team, "team", "won_deals") == {"Team A": 1.0, "Team B": 1.0, None: 1.0}
    manager = run_query(crm, q("won_deals", dimensions=("manager",)))
    assert by(manager, "manager", "won_deals") == {"Maya": 2.0, None: 1.0}


def test_region_prefers_the_owners_region_then_the_accounts(crm):
    # d1: Ann (EMEA); d2: Bob has no region, account a3 is APAC; d7: no owner, no account.
    result = run_query(crm, q("won_deals", dimensions=("region",)))
    assert by(result, "region", "won_deals") == {"EMEA": 1.0, "APAC": 1.0, None: 1.0}


def test_segment_of_deals_joins_the_account(crm):
    result = run_query(crm, q("won_revenue", dimensions=("segment",)))
    assert by(result, "segment", "won_revenue") == {"SMB": 1000.0, "Enterprise": 200.0, None: 100.0}


def test_channel_lines_up_spend_and_deals_for_cac(crm):
    result = run_query(crm, q("cac", "spend", "new_customers", dimensions=("channel",)))
    assert by(result, "channel", "spend") == {"Web": 600.0, "Events": 100.0, None: 0.0}
    cac = by(result, "channel", "cac")
    assert cac["Web"] == 600.0  # d1 is the only new customer from Web
    assert np.isnan(cac["Events"])  # spend but no new customers: missing, not inf
    assert cac[None] == 0.0  # d7 (no channel) is a new customer with no spend behind it


def test_custom_field_is_a_dimension():
    ds = dataset(
        deals=[
            deal(1, "won", "2024-03-01", "2024-03-02", partner="Acme"),
            deal(2, "won", "2024-03-01", "2024-03-03", partner="Acme"),
            deal(3, "won", "2024-03-01", "2024-03-04", partner=None),
        ]
    )
    result = run_query(ds, q("won_deals", dimensions=("partner",)))
    assert by(result, "partner", "won_deals") == {"Acme": 2.0, None: 1.0}


def test_filters_accept_a_value_or_a_list(crm):
    one = run_query(crm, q("won_deals", filters={"owner": "Ann"}))
    assert one["won_deals"].iloc[0] == 1
    two = run_query(crm, q("won_deals", "lost_deals", filters={"owner": ["Ann", "Bob"]}))
    assert (two["won_deals"].iloc[0], two["lost_deals"].iloc[0]) == (2, 1)
    missing = run_query(crm, q("won_deals", filters={"owner": None}))
    assert missing["won_deals"].iloc[0] == 1  # d7 has no owner


def test_dimension_that_does_not_apply_is_a_clear_error(crm):
    with pytest.raises(MetricError, match=r"metric won_deals: dimension 'priority' does not apply"):
        run_query(crm, q("won_deals", dimensions=("priority",)))
    with pytest.raises(
        MetricError, match=r"metric cac: dimension 'owner' does not apply to .*spend"
    ):
        run_query(crm, q("cac", dimensions=("owner",)))


def test_unknown_dimension_suggests_close_matches(crm):
    with pytest.raises(MetricError, match=r"unknown dimension 'ownr'.*did you mean 'owner'"):
        run_query(crm, q("won_deals", dimensions=("ownr",)))
    with pytest.raises(MetricError, match=r"unknown dimension 'regoin'.*'region'"):
        run_query(crm, q("won_deals", filters={"regoin": "EMEA"}))


def test_unknown_metric_in_a_query_suggests(crm):
    with pytest.raises(MetricError, match=r"unknown metric 'won_revnue'.*'won_revenue'"):
        run_query(crm, q("won_revnue"))


def test_unknown_granularity_and_comparison(crm):
    with pytest.raises(MetricError, match=r"granularity 'weekly'.*'week'"):
        run_query(crm, q("won_deals", granularity="weekly"))
    with pytest.raises(MetricError, match="comparison 'previous'"):
        run_query(crm, q("won_deals", comparison="previous"))


def test_empty_range_gives_zero_counts_and_missing_ratios(crm):
    empty = DateRange("custom", date(2010, 1, 1), date(2010, 1, 31))
    result = run_query(crm, q("won_deals", "won_revenue", "win_rate", "csat", date_range=empty))
    assert len(result) == 1
    assert result["won_deals"].iloc[0] == 0 and result["won_revenue"].iloc[0] == 0
    assert np.isnan(result["win_rate"].iloc[0]) and np.isnan(result["csat"].iloc[0])


def test_zero_denominators_give_missing_never_inf():
    ds = dataset(deals=[deal(1, "open", "2024-03-01", "2024-03-02")])
    result = run_query(
        ds, q("win_rate", "avg_deal_size", "cac", "churn_rate", "ltv", "revenue_per_rep")
    )
    values = result.iloc[0].to_numpy(dtype=float)
    assert np.isnan(values).all()


def test_timezone_moves_a_late_deal_into_the_next_month(crm):
    spring = DateRange("custom", date(2024, 3, 1), date(2024, 4, 30))
    utc = run_query(
        crm, q("won_deals", date_range=spring, granularity="month", filters={"owner": None})
    )
    assert by(utc, "period", "won_deals") == {
        pd.Timestamp("2024-03-01"): 1.0,
        pd.Timestamp("2024-04-01"): 0.0,
    }
    paris = run_query(
        crm,
        q(
            "won_deals",
            date_range=spring,
            granularity="month",
            filters={"owner": None},
            timezone="Europe/Paris",
        ),
    )
    assert by(paris, "period", "won_deals") == {
        pd.Timestamp("2024-03-01"): 0.0,
        pd.Timestamp("2024-04-01"): 1.0,
    }


def test_range_boundary_in_the_report_zone():
    ds = dataset(
        deals=[
            deal(1, "won", "2024-03-01", "2024-03-31T21:59:59Z"),  # 23:59:59 in Paris
            deal(2, "won", "2024-03-01", "2024-03-31T22:00:00Z"),  # 00:00 on 1 April in Paris
            deal(3, "won", "2024-03-01", "2024-02-29T23:00:00Z"),  # 00:00 on 1 March in Paris
        ]
    )
    result = run_query(ds, q("won_deals", timezone="Europe/Paris"))
    assert result["won_deals"].iloc[0] == 2


def test_weekly_buckets_start_on_monday(crm):
    result = run_query(crm, q("activities", granularity="week"))
    periods = list(result["period"])
    assert periods[0] == pd.Timestamp("2024-02-26")  # the week holding 1 March
    assert all(p.dayofweek == 0 for p in periods)
    assert by(result, "period", "activities")[pd.Timestamp("2024-02-26")] == 3  # 1-3 March
    assert by(result, "period", "activities")[pd.Timestamp("2024-03-04")] == 1


def test_every_period_is_listed_even_when_empty(crm):
    result = run_query(crm, q("tickets_opened", granularity="day"))
    assert len(result) == 31 and result["tickets_opened"].sum() == 3


def test_snapshot_metrics_are_taken_at_each_period_end(crm):
    result = run_query(
        crm,
        q(
            "open_deals",
            granularity="month",
            date_range=DateRange("custom", date(2024, 2, 1), date(2024, 3, 31)),
        ),
    )
    # 1 March: d1, d3, d5, d7 open (d2, d4, d6 not created yet); 1 April: d4, d5, d6.
    assert list(result["open_deals"]) == [4.0, 3.0]


def test_previous_period_comparison_with_deltas(crm):
    result = run_query(crm, q("won_revenue", "win_rate", comparison="previous_period"))
    row = result.iloc[0]
    assert row["won_revenue"] == 1300.0 and row["won_revenue__previous"] == 0.0
    assert row["won_revenue__delta"] == 1300.0 and np.isnan(row["won_revenue__delta_pct"])
    assert np.isnan(row["win_rate__previous"]) and np.isnan(row["win_rate__delta"])


def test_previous_year_aligns_periods_by_position():
    deals = [
        deal(1, "won", "2023-01-01", "2023-03-10", amount=50.0),
        deal(2, "won", "2023-01-01", "2023-04-10", amount=100.0),
        deal(3, "won", "2024-01-01", "2024-03-10", amount=75.0),
        deal(4, "won", "2024-01-01", "2024-04-10", amount=400.0),
    ]
    spring = DateRange("custom", date(2024, 3, 1), date(2024, 4, 30))
    result = run_query(
        dataset(deals=deals),
        q("won_revenue", date_range=spring, granularity="month", comparison="previous_year"),
    )
    assert list(result["period"]) == [pd.Timestamp("2024-03-01"), pd.Timestamp("2024-04-01")]
    assert list(result["won_revenue__previous"]) == [50.0, 100.0]
    assert list(result["won_revenue__delta"]) == [25.0, 300.0]
    assert list(result["won_revenue__delta_pct"]) == [0.5, 3.0]


def test_comparison_by_dimension_fills_absent_groups_with_zero():
    deals = [
        deal(1, "won", "2024-01-01", "2024-02-10", lead_source="Web", amount=200.0),
        deal(2, "won", "2024-01-01", "2024-03-10", lead_source="Events", amount=300.0),
    ]
    result = run_query(
        dataset(deals=deals),
        q("won_revenue", dimensions=("channel",), comparison="previous_period"),
    )
    assert by(result, "channel", "won_revenue__previous") == {"Events": 0.0}
    assert by(result, "channel", "won_revenue__delta") == {"Events": 300.0}


def test_mixed_currencies_without_report_currency_warn():
    deals = [
        deal(1, "won", "2024-01-01", "2024-03-10", amount=10.0, currency="EUR"),
        deal(2, "won", "2024-01-01", "2024-03-11", amount=20.0, currency="USD"),
    ]
    result = run_query(dataset(deals=deals), Query(("won_revenue",), date_range=MARCH))
    assert result["won_revenue"].iloc[0] == 30.0
    assert "2 currencies" in result.attrs["issues"][0].message


def test_currency_conversion_and_missing_rates():
    deals = [
        deal(1, "won", "2024-01-01", "2024-03-10", amount=10.0, currency="EUR"),
        deal(2, "won", "2024-01-01", "2024-03-11", amount=20.0, currency="usd"),
        deal(3, "won", "2024-01-01", "2024-03-12", amount=40.0, currency="JPY"),
        deal(4, "won", "2024-01-01", "2024-03-13", amount=80.0, currency=None),
    ]
    ds = dataset(deals=deals)
    result = run_query(
        ds,
        Query(
            ("won_revenue", "avg_deal_size", "won_deals"),
            date_range=MARCH,
            currency="EUR",
            currency_rates={"USD": 0.5},
        ),
    )
    # EUR 10 + USD 20 x 0.5 + no currency (taken as EUR) 80; JPY has no rate and is left out.
    assert result["won_revenue"].iloc[0] == 100.0
    assert result["avg_deal_size"].iloc[0] == 100.0 / 3
    assert result["won_deals"].iloc[0] == 4
    (issue,) = result.attrs["issues"]
    assert issue.count == 1 and "JPY" in issue.message and "currency_rates" in issue.message
    usd = run_query(
        ds,
        Query(
            ("won_revenue",),
            date_range=MARCH,
            currency="USD",
            currency_rates={"EUR": 2.0, "JPY": 0.01},
        ),
    )
    assert usd["won_revenue"].iloc[0] == 10 * 2 + 20 + 40 * 0.01 + 80


def test_sort_and_limit(crm):
    result = run_query(crm, q("won_revenue", dimensions=("owner",), sort="-won_revenue", limit=2))
    assert list(result["owner"]) == ["Ann", "Bob"]
    with pytest.raises(MetricError, match=r"cannot sort by 'revenue'.*'won_revenue'"):
        run_query(crm, q("won_revenue", sort="revenue"))


def test_all_time_starts_at_the_earliest_data(crm):
    result = run_query(
        crm,
        q("won_deals", date_range=DateRange("all_time"), granularity="year"),
        now=pd.Timestamp("2024-06-01T00:00Z"),
    )
    assert list(result["period"]) == [
        pd.Timestamp("2022-01-01"),
        pd.Timestamp("2023-01-01"),
        pd.Timestamp("2024-01-01"),
    ]
    assert result["won_deals"].sum() == 4


def test_prepared_tables_are_cached_per_dataset(crm):
    run_query(crm, q("won_deals", dimensions=("region",)))
    prepared = crm.cache["metrics.tables"]["deals"]
    run_query(crm, replace(q("won_revenue", dimensions=("region",))))
    assert crm.cache["metrics.tables"]["deals"] is prepared
    assert "dim:region" in prepared._codes


@pytest.mark.parametrize("rate", [0, -1.5, "0.9", None])
def test_bad_currency_rate_is_a_clear_error(crm, rate):
    with pytest.raises(MetricError, match=r"currency_rates\.USD: expected a positive number"):
        run_query(crm, q("won_revenue", currency_rates={"USD": rate}))


def test_snapshots_by_period_equal_one_query_per_period():
    rng = np.random.default_rng(5)
    created = pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(rng.random(300) * 120, "D")
    closed = created + pd.to_timedelta(rng.random(300) * 60, "D")
    deals = [
        deal(
            i,
            str(rng.choice(["open", "won", "lost"])),
            str(c),
            str(d) if i % 7 else None,
            amount=float(rng.integers(1, 1000)),
            probability=0.5,
            owner_id=str(rng.choice(["t:o1", "t:o2"])) if i % 5 else None,
        )
        for i, (c, d) in enumerate(zip(created, closed, strict=True))
    ]
    owners = [{"owner_id": f"t:o{i}", "source": "t", "name": f"Rep {i}"} for i in (1, 2)]
    ds = dataset(deals=deals, owners=owners)
    spring = DateRange("custom", date(2024, 2, 1), date(2024, 4, 30))
    metrics = ("open_deals", "open_pipeline", "weighted_pipeline")
    weekly = run_query(
        ds, q(*metrics, date_range=spring, granularity="week", dimensions=("owner",))
    )
    starts = sorted(weekly["period"].unique())
    for i, week in enumerate(starts):
        first = max(week.date(), date(2024, 2, 1))
        last = (
            (starts[i + 1] - pd.Timedelta(days=1)).date()
            if i + 1 < len(starts)
            else date(2024, 4, 30)
        )
        alone = run_query(
            ds, q(*metrics, date_range=DateRange("custom", first, last), dimensions=("owner",))
        ).set_index("owner")
        rows = weekly[weekly["period"] == week].set_index("owner")
        for metric in metrics:
            expected = alone[metric].reindex(rows.index, fill_value=0.0)
            assert np.allclose(rows[metric], expected, rtol=1e-12), (week, metric)
