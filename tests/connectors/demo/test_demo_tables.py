"""The demo company's canonical tables: typed, namespaced, consistent, deliberately a bit dirty."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sheets_sync.model import TABLE_NAMES, TABLES, column_dtype

from .conftest import AS_OF, SIZE, read_demo

LABELS = {"demo-salesforce", "demo-hubspot", "demo-spend"}
NOW = pd.Timestamp(AS_OF, tz="UTC") + pd.Timedelta(days=1)


def test_every_table_is_canonical(demo_all):
    assert set(demo_all.tables) == set(TABLE_NAMES)
    for name, frame in demo_all.tables.items():
        spec = TABLES[name]
        assert list(frame.columns[: len(spec.columns)]) == spec.names, name
        for col in spec.columns:
            assert str(frame[col.name].dtype) == column_dtype(name, col), (name, col.name)
            if col.required:
                assert frame[col.name].notna().all(), (name, col.name)
        assert len(frame) > 0, name
    assert not [i for i in demo_all.issues if i.severity != "info"]


def test_ids_are_unique_and_namespaced_by_their_part(demo_all):
    for name, frame in demo_all.tables.items():
        key = TABLES[name].primary_key
        assert frame[key].is_unique, name
        prefix = frame[key].str.split(":", n=1).str[0]
        assert (prefix == frame["source"].astype(str)).all(), name
        assert set(frame["source"].astype(str)) <= LABELS
    crm_tables = [t for t in TABLE_NAMES if t != "spend"]
    for name in crm_tables:
        assert set(demo_all.tables[name]["source"].astype(str)) == {
            "demo-salesforce",
            "demo-hubspot",
        }, name
    sf_deal = demo_all.tables["deals"].query("source == 'demo-salesforce'")["deal_id"].iloc[0]
    assert sf_deal.startswith("demo-salesforce:006") and len(sf_deal.split(":")[1]) == 18


def test_row_counts_follow_size(demo_all):
    counts = demo_all.row_counts()
    assert counts["deals"] == SIZE
    assert counts["leads"] == 2 * SIZE
    assert counts["activities"] == 2 * SIZE
    assert 3 * SIZE <= counts["deal_stage_history"] <= 4.6 * SIZE
    assert counts["tickets"] == round(0.2 * SIZE)


def _ids(frame: pd.DataFrame, column: str) -> set:
    return set(frame[column].dropna())


def test_references_resolve_except_deliberate_orphans(demo_all):
    t = demo_all.tables
    owners, accounts, deals, leads = (
        _ids(t["owners"], "owner_id"),
        _ids(t["accounts"], "account_id"),
        _ids(t["deals"], "deal_id"),
        _ids(t["leads"], "lead_id"),
    )
    orphans = ~t["deals"]["account_id"].isin(accounts) & t["deals"]["account_id"].notna()
    assert 1 <= orphans.sum() <= 0.01 * SIZE  # deals whose account was deleted
    assert _ids(t["deals"], "owner_id") <= owners
    assert _ids(t["deals"], "contact_id") <= leads
    assert _ids(t["deal_stage_history"], "deal_id") == deals
    assert _ids(t["leads"], "converted_deal_id") <= deals
    assert _ids(t["leads"], "account_id") <= accounts
    assert _ids(t["leads"], "owner_id") <= owners
    assert _ids(t["accounts"], "owner_id") <= owners
    orphan_accounts = _ids(t["deals"].loc[orphans], "account_id")
    assert _ids(t["activities"], "account_id") <= accounts | orphan_accounts
    assert _ids(t["activities"], "deal_id") <= deals
    assert _ids(t["activities"], "lead_id") <= leads
    assert _ids(t["activities"], "owner_id") <= owners
    assert _ids(t["tickets"], "account_id") <= accounts
    assert _ids(t["tickets"], "owner_id") <= owners
    # References never cross CRMs.
    merged = t["deals"].merge(t["owners"], on="owner_id", suffixes=("", "_owner"))
    assert (merged["source"].astype(str) == merged["source_owner"].astype(str)).all()


def test_lead_lifecycle_dates_are_in_order(demo_all):
    leads = demo_all.tables["leads"]
    created, mql, sql, converted = (
        leads["created_at"],
        leads["mql_at"],
        leads["sql_at"],
        leads["converted_at"],
    )
    assert (mql.dropna() >= created[mql.notna()]).all()
    assert (sql.dropna() >= mql[sql.notna()]).all()
    assert (converted.dropna() >= sql[converted.notna()]).all()
    assert sql[mql.isna()].isna().all()
    status = leads["status"].astype(str)
    assert converted[status.isin(["opportunity", "customer"])].notna().all()
    assert converted[status.isin(["lead", "mql", "sql", "unqualified"])].isna().all()
    assert leads.loc[status == "customer", "converted_deal_id"].notna().all()
    assert (created < NOW).all()
    assert set(status) == {"lead", "mql", "sql", "opportunity", "customer", "unqualified"}


def test_converted_leads_point_at_their_deal(demo_all):
    leads, deals = demo_all.tables["leads"], demo_all.tables["deals"]
    linked = leads.dropna(subset=["converted_deal_id"]).merge(
        deals, left_on="converted_deal_id", right_on="deal_id", suffixes=("", "_deal")
    )
    assert len(linked) > 0
    assert (linked["contact_id"] == linked["lead_id"]).all()
    assert (linked["converted_at"] == linked["created_at_deal"]).all()
    won = linked["status_deal"].astype(str) == "won"
    assert (linked.loc[won, "status"].astype(str) == "customer").all()


def test_status_stage_and_probability_agree(demo_all):
    deals = demo_all.tables["deals"]
    status, stage = deals["status"].astype(str), deals["stage"].astype(str)
    assert set(status) == {"open", "won", "lost"}
    assert (stage[status == "won"] == "Closed Won").all()
    assert (stage[status == "lost"] == "Closed Lost").all()
    assert not stage[status == "open"].isin(["Closed Won", "Closed Lost"]).any()
    assert (deals.loc[status == "won", "probability"] == 1.0).all()
    assert (deals.loc[status == "lost", "probability"] == 0.0).all()
    open_p = deals.loc[status == "open", "probability"]
    assert ((open_p > 0) & (open_p < 1)).all()
    # Later stages carry higher probabilities within each pipeline.
    open_deals = deals[status == "open"]
    by_stage = open_deals.groupby(["source", "stage_order"], observed=True)["probability"].first()
    for _, probs in by_stage.groupby(level=0, observed=True):
        assert probs.is_monotonic_increasing
    sf_stages = set(stage[deals["source"] == "demo-salesforce"])
    assert {"Prospecting", "Negotiation", "Closed Won"} <= sf_stages
    hs_ids = set(deals.loc[deals["source"] == "demo-hubspot", "stage_id"].astype(str))
    assert {"appointmentscheduled", "closedwon", "closedlost"} <= hs_ids


def test_stage_history_walks_stages_in_order(demo_all):
    deals = demo_all.tables["deals"].set_index("deal_id")
    history = demo_all.tables["deal_stage_history"].sort_values(["deal_id", "stage_order"])
    grouped = history.groupby("deal_id")
    assert grouped["entered_at"].apply(lambda s: s.is_monotonic_increasing).all()
    rows = grouped.size()
    top = grouped["stage_order"].max()
    first = grouped["stage_order"].min()
    assert (first == 1).all()
    status = deals["status"].astype(str).reindex(rows.index)
    won = status == "won"
    open_stage_count = np.where(deals["source"].reindex(rows.index) == "demo-salesforce", 6, 5)
    # Won deals pass every open stage, then Closed Won.
    assert (rows[won] == open_stage_count[won.to_numpy()] + 1).all()
    # Open deals' history ends at their current stage.
    is_open = status == "open"
    assert (top[is_open] == deals["stage_order"].reindex(rows.index)[is_open]).all()
    last = history.drop_duplicates("deal_id", keep="last").set_index("deal_id")
    closed = status != "open"
    assert (
        last.loc[closed[closed].index, "stage"].astype(str)
        == deals.loc[closed[closed].index, "stage"].astype(str)
    ).all()
    created = deals["created_at"].reindex(rows.index)
    assert (grouped["entered_at"].min() >= created).all()


def test_currencies_and_amounts(demo_all):
    deals, accounts = demo_all.tables["deals"], demo_all.tables["accounts"]
    region = deals.merge(accounts[["account_id", "region"]], on="account_id", how="left")
    emea = region.loc[region["region"] == "EMEA", "currency"].astype(str).value_counts()
    assert {"EUR", "GBP", "USD"} <= set(emea.index)
    elsewhere = region.loc[region["region"].isin(["NA", "APAC", "LATAM"]), "currency"]
    assert set(elsewhere.astype(str)) == {"USD"}
    medians = deals.groupby("source", observed=True)["amount"].median()
    assert medians["demo-salesforce"] > 2 * medians["demo-hubspot"]
    assert set(deals["deal_type"].astype(str)) == {"new", "renewal", "expansion"}


def test_customers_churn_and_mrr(demo_all):
    accounts = demo_all.tables["accounts"]
    customers = accounts[accounts["customer_since"].notna()]
    assert len(customers) > 0
    assert (customers["mrr"] > 0).all()
    assert accounts.loc[accounts["customer_since"].isna(), "mrr"].isna().all()
    churned = customers[customers["churned_at"].notna()]
    assert len(churned) > 0
    assert (churned["churned_at"] > churned["customer_since"]).all()
    assert accounts.loc[accounts["customer_since"].isna(), "churned_at"].isna().all()
    segments = accounts.groupby("source", observed=True)["segment"].agg(
        lambda s: s.astype(str).value_counts().idxmax()
    )
    assert segments["demo-hubspot"] == "SMB"
    assert segments["demo-salesforce"] in {"Mid-Market", "Enterprise"}


def test_tickets_and_activities(demo_all):
    tickets = demo_all.tables["tickets"]
    answered = tickets.dropna(subset=["first_response_at"])
    assert (answered["first_response_at"] >= answered["opened_at"]).all()
    resolved = tickets.dropna(subset=["resolved_at"])
    assert (resolved["resolved_at"] >= resolved["first_response_at"]).all()
    assert set(tickets["priority"].astype(str)) == {"Low", "Medium", "High", "Urgent"}
    csat = tickets["satisfaction"].dropna()
    assert len(csat) > 0 and csat.between(1, 5).all()
    activities = demo_all.tables["activities"]
    assert set(activities["type"].astype(str)) == {"call", "email", "meeting", "task"}
    future = activities["occurred_at"] >= NOW
    assert not activities.loc[future, "completed"].any()
    per_rep = activities.groupby("owner_id").size()
    assert per_rep.gt(1).sum() > 10


def test_hubspot_contacts_overlap_salesforce_leads(demo_all):
    leads = demo_all.tables["leads"]
    norm = leads["email"].str.strip().str.lower()
    sf = set(norm[leads["source"] == "demo-salesforce"])
    hs_rows = leads["source"] == "demo-hubspot"
    shared = norm[hs_rows].isin(sf)
    share = shared.mean()
    assert 0.06 <= share <= 0.12
    # The same addresses are typed differently in the two CRMs.
    raw_sf = set(leads.loc[leads["source"] == "demo-salesforce", "email"])
    assert (~leads.loc[hs_rows, "email"][shared.to_numpy()].isin(raw_sf)).any()
    # Within one CRM, addresses are unique.
    for _, group in leads.groupby("source", observed=True):
        assert group["email"].str.strip().str.lower().is_unique


def test_some_companies_exist_in_both_crms(demo_all):
    accounts = demo_all.tables["accounts"]
    domain = accounts["domain"].str.lower().str.removeprefix("www.")
    sf = set(domain[accounts["source"] == "demo-salesforce"])
    hs = accounts["source"] == "demo-hubspot"
    assert domain[hs].isin(sf).sum() >= 3
    assert (accounts.loc[hs, "domain"] != domain[hs]).any()  # www. or upper-case spellings


def test_deliberate_data_quality_findings(demo_all):
    t = demo_all.tables
    deals, status = t["deals"], t["deals"]["status"].astype(str)
    open_deals = deals[status == "open"]
    assert deals["owner_id"].isna().sum() >= 1
    assert deals["amount"].isna().sum() >= 1
    assert (open_deals["close_date"] < NOW).sum() >= 1
    stale = open_deals["updated_at"] < NOW - pd.Timedelta(days=90)
    assert 1 <= stale.sum() <= 0.15 * len(open_deals)
    idle = set(t["owners"]["owner_id"]) - set(deals["owner_id"].dropna())
    assert len(idle) == 2
    assert 1 <= t["leads"]["channel"].isna().sum() <= 0.05 * len(t["leads"])
    # Everything else is clean: amounts where given are positive.
    assert (deals["amount"].dropna() > 0).all()


def test_seasonality_growth_and_quarter_end_closes(demo_all):
    deals = demo_all.tables["deals"]
    created = deals["created_at"]
    first_year = (created < created.min() + pd.Timedelta(days=365)).sum()
    last_year = (created >= NOW - pd.Timedelta(days=365)).sum()
    assert last_year > 1.3 * first_year
    won = deals[deals["status"] == "won"]
    close = won["close_date"]
    quarter_end_month = close.dt.month.isin([3, 6, 9, 12])
    assert quarter_end_month.mean() > 0.45  # a third would be no spike at all
    for period in (90, 365):
        assert (created >= NOW - pd.Timedelta(days=period)).sum() > 0


def test_spend_matches_lead_channels(demo_all):
    spend, leads = demo_all.tables["spend"], demo_all.tables["leads"]
    assert set(spend["channel"].astype(str)) == set(leads["channel"].dropna().astype(str))
    assert (spend["cost"] > 0).all()
    assert set(spend["campaign"].astype(str)) <= set(leads["campaign"].dropna().astype(str)) | {
        c for c in spend["campaign"].astype(str) if c[-4:].isdigit()
    }
    daily = spend.groupby("date")["cost"].sum()
    assert daily.index.min() >= NOW - pd.Timedelta(days=3 * 366)
    assert daily.index.max() < NOW
    per_channel = spend.groupby("channel", observed=True)["cost"].sum()
    assert per_channel["Events"] > per_channel["Email"]


@pytest.mark.parametrize("flavor", ["salesforce", "hubspot", "spend"])
def test_flavors_split_the_same_company(demo_all, flavor):
    part = read_demo(name="crm", flavor=flavor)
    label = f"demo-{flavor}"
    for name, frame in part.tables.items():
        assert set(frame["source"].astype(str)) <= {"crm"}, name
        whole = demo_all.tables[name]
        expected = whole[whole["source"] == label]
        assert len(frame) == len(expected), (flavor, name)
        key = TABLES[name].primary_key
        same = frame[key].str.removeprefix("crm:").to_numpy()
        assert (same == expected[key].str.removeprefix(f"{label}:").to_numpy()).all()
    if flavor == "spend":
        assert len(part.tables["deals"]) == 0 and len(part.tables["spend"]) > 0
    else:
        assert len(part.tables["spend"]) == 0 and len(part.tables["deals"]) > 0


def test_parts_blend_and_every_quality_check_finds_something(demo_all):
    from datetime import UTC, datetime

    from connectors.demo import DemoSource
    from sheets_sync.blend import blend
    from sheets_sync.quality import quality_summary

    source = DemoSource("demo", {"size": 800})
    parts = source.parts(demo_all)
    assert [label for label, _ in parts] == ["demo-salesforce", "demo-hubspot", "demo-spend"]
    for label, part in parts:
        for frame in part.tables.values():
            assert set(frame["source"].astype(str)) <= {label}
            assert list(frame["source"].cat.categories) in ([label], [])
    assert sum(len(p.tables["deals"]) for _, p in parts) == SIZE
    dataset = blend(parts)
    cross = dataset.duplicates[dataset.duplicates["cross_source"]]
    assert set(cross["entity"]) == {"person", "company"}
    summary = quality_summary(dataset, datetime(2025, 7, 1, tzinfo=UTC)).set_index("check")
    assert (summary["count"] > 0).all(), summary[summary["count"] == 0].index.tolist()
    single = DemoSource("crm", {"flavor": "hubspot"})
    result = read_demo(name="crm", flavor="hubspot")
    assert single.parts(result) == [("crm", result)]


def test_channels_convert_and_cost_differently():
    result = read_demo(size=3000)
    leads = result.tables["leads"]
    converted = leads["status"].astype(str).isin(["opportunity", "customer"])
    rate = converted.groupby(leads["channel"], observed=True).mean()
    assert rate["Referral"] > rate["Paid Social"]
    assert rate["Partner"] > rate["Paid Social"]
    mix = leads.groupby("source", observed=True)["channel"].value_counts(normalize=True)
    assert mix["demo-hubspot"]["Organic Search"] > mix["demo-salesforce"]["Organic Search"]
    assert mix["demo-salesforce"]["Events"] > mix["demo-hubspot"]["Events"]
    spend = result.tables["spend"].groupby("channel", observed=True)["cost"].sum()
    cost_per_lead = spend / leads["channel"].value_counts()
    assert cost_per_lead["Events"] > cost_per_lead["Email"]


def test_urgent_tickets_are_answered_first(demo_all):
    tickets = demo_all.tables["tickets"]
    hours = (tickets["first_response_at"] - tickets["opened_at"]).dt.total_seconds() / 3600
    median = hours.groupby(tickets["priority"], observed=True).median()
    assert median["Urgent"] < median["High"] < median["Medium"] < median["Low"]


def test_sales_cycles_grow_with_segment(demo_all):
    deals, accounts = demo_all.tables["deals"], demo_all.tables["accounts"]
    won = deals[(deals["status"] == "won") & (deals["deal_type"] == "new")]
    won = won.merge(accounts[["account_id", "segment"]], on="account_id")
    days = (won["close_date"] - won["created_at"]).dt.days
    median = days.groupby(won["segment"], observed=True).median()
    assert median["SMB"] < median["Mid-Market"] < median["Enterprise"]


def test_references_hold_each_id_they_use_once(demo_all):
    for name, frame in demo_all.tables.items():
        for column in frame.columns:
            if not TABLES[name].is_reference(column):
                continue
            values = frame[column]
            categories = values.cat.categories
            assert categories.is_unique, (name, column)
            # Only the ids the column uses, however many rows point at each.
            used = np.unique(values.cat.codes.to_numpy())
            assert set(used[used >= 0]) == set(range(len(categories))), (name, column)
            assert len(categories) <= values.notna().sum(), (name, column)


def test_deleted_records_are_referenced_by_ids_no_row_has(demo_all):
    deals, accounts = demo_all.tables["deals"], demo_all.tables["accounts"]
    referenced = deals["account_id"].dropna().astype(str)
    missing = ~referenced.isin(set(accounts["account_id"]))
    assert missing.any()  # the demo deletes some accounts its deals still point at
    prefixes = referenced[missing].str.split(":", n=1).str[0]
    assert set(prefixes) <= {"demo-salesforce", "demo-hubspot"}
