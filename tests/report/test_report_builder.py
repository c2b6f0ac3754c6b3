"""The builder turns a template and a small hand-made dataset into the expected workbook."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from sheets_sync.document import BlockKind, Fmt, TabKind
from sheets_sync.metrics.catalogue import load_catalogue
from sheets_sync.metrics.engine import run_query
from sheets_sync.metrics.query import DateRange, Query
from sheets_sync.report import ReportSettings, build_workbook
from sheets_sync.templates import parse_template, tab_name_problem

from .sample_data import NOW, empty_dataset, sample_dataset

TEMPLATE = """\
id: builder_test
name: Builder test
description: Every block kind on a few rows.
audience: manager
cadence: monthly
date_range: {preset: custom, start: 2026-09-01, end: 2026-11-30}
granularity: month
comparison: previous_period
tabs:
  - name: Sales
    title: Sales results
    blocks:
      - id: kpis
        type: scorecards
        metrics: [won_revenue, won_deals, win_rate, sales_cycle_days, cac]
      - id: by_owner
        type: table
        title: By owner
        metrics: [won_revenue, lost_deals]
        dimensions: [owner]
        comparison: previous_period
        sort: -won_revenue
      - id: single
        type: table
        metrics: [won_revenue]
        dimensions: [region]
        comparison: previous_year
      - id: monthly
        type: timeseries
        metrics: [won_revenue, new_leads]
      - id: funnel
        type: funnel
      - id: revenue_card
        type: chart
        kind: scorecard
        block: kpis
        series: [won_revenue]
      - id: owner_chart
        type: chart
        kind: column
        block: by_owner
        x: owner
        series: [won_revenue, won_revenue__previous, lost_deals]
      - id: monthly_chart
        type: chart
        kind: line
        title: Monthly
        block: monthly
        x: period
        series: [won_revenue]
      - id: funnel_chart
        type: chart
        kind: bar
        block: funnel
        x: stage
        series: [conversion_to_next]
  - name: Quality
    blocks:
      - id: dq
        type: quality
      - id: owners_without_deals
        type: quality
        check: owners_without_deals
      - id: dq_chart
        type: chart
        kind: bar
        block: dq
        x: check
        series: [count]
  - name: Deals data
    kind: raw_data
    table: deals
    columns: [deal_id, name, amount, created_at, probability, owner_name, account_name]
    custom_columns: [Tier__c]
    max_rows: 4
  - kind: definitions
"""


@pytest.fixture(scope="module")
def template():
    return parse_template(TEMPLATE, "builder_test.yaml")


@pytest.fixture(scope="module")
def workbook(template):
    settings = ReportSettings(
        title="Acme sales", timezone="Europe/Paris", currency="EUR", currency_rates={"USD": 0.5}
    )
    return build_workbook(template, sample_dataset(), settings, NOW)


def test_tabs_kinds_and_titles(workbook):
    assert [t.name for t in workbook.tabs] == ["Sales", "Quality", "Deals data", "Definitions"]
    kinds = [t.kind for t in workbook.tabs]
    assert kinds == [TabKind.REPORT, TabKind.REPORT, TabKind.DATA, TabKind.DEFINITIONS]
    assert workbook.title == "Acme sales"
    assert workbook.template_id == "builder_test"
    assert workbook.timezone == "Europe/Paris"
    sales = workbook.tab("Sales")
    assert sales.title == "Sales results"
    assert workbook.tab("Quality").title == "Acme sales"
    assert sales.subtitle == "1 Sep 2026 - 30 Nov 2026 vs previous period"
    assert [t.id for t in sales.tables] == ["kpis", "by_owner", "single", "monthly", "funnel"]


def test_scorecards_are_one_row_with_formats_and_good_directions(workbook):
    kpis = workbook.tab("Sales").table("kpis")
    assert kpis.kind is BlockKind.SCORECARDS
    assert len(kpis.frame) == 1
    assert kpis.frame["Period"].iloc[0] == "1 Sep 2026 - 30 Nov 2026"
    assert list(kpis.frame.columns[1:5]) == [
        "Won revenue",
        "Won revenue previous",
        "Won revenue change",
        "Won revenue change %",
    ]
    assert kpis.format_of("Won revenue").fmt is Fmt.CURRENCY
    assert kpis.format_of("Won revenue").currency == "EUR"
    assert kpis.format_of("Won revenue change %").fmt is Fmt.PERCENT
    assert kpis.format_of("Won deals").fmt is Fmt.INTEGER
    assert kpis.format_of("Sales cycle").fmt is Fmt.DAYS
    assert kpis.delta_columns["Won revenue change"] is True
    assert kpis.delta_columns["Sales cycle change %"] is False
    assert kpis.delta_columns["Customer acquisition cost change"] is False
    assert "Won revenue previous" not in kpis.delta_columns


def test_scorecard_values_equal_a_direct_query(workbook):
    kpis = workbook.tab("Sales").table("kpis")
    query = Query(
        ("won_revenue", "win_rate"),
        date_range=DateRange("custom", date(2026, 9, 1), date(2026, 11, 30)),
        comparison="previous_period",
        timezone="Europe/Paris",
        currency="EUR",
        currency_rates={"USD": 0.5},
    )
    direct = run_query(sample_dataset(), query, now=NOW)
    # Sample amounts are in USD: the report shows them converted at the configured rate.
    assert kpis.frame["Won revenue"].iloc[0] == direct["won_revenue"].iloc[0] == 3150.0
    assert kpis.frame["Win rate previous"].iloc[0] == direct["win_rate__previous"].iloc[0]


def test_breakdown_headers_sort_and_comparison(workbook):
    by_owner = workbook.tab("Sales").table("by_owner")
    assert by_owner.title == "By owner"
    assert list(by_owner.frame.columns[:3]) == ["Owner", "Won revenue", "Won revenue previous"]
    assert by_owner.frame["Owner"].tolist()[0] == "Alan Turing"
    assert by_owner.frame["Won revenue"].is_monotonic_decreasing
    assert by_owner.delta_columns["Lost deals change"] is False
    single = workbook.tab("Sales").table("single")
    # A single metric keeps the short headers.
    assert list(single.frame.columns) == ["Region", "Won revenue", "Previous", "Change", "Change %"]
    assert single.delta_columns == {"Change": True, "Change %": True}


def test_timeseries_has_a_dated_period_column(workbook):
    monthly = workbook.tab("Sales").table("monthly")
    assert list(monthly.frame.columns) == ["Month", "Won revenue", "New leads"]
    assert monthly.format_of("Month").fmt is Fmt.DATE
    assert monthly.frame["Month"].tolist() == [
        pd.Timestamp("2026-09-01"),
        pd.Timestamp("2026-10-01"),
        pd.Timestamp("2026-11-01"),
    ]
    assert monthly.frame["Won revenue"].sum() == 3150.0


def test_funnel_table(workbook):
    funnel = workbook.tab("Sales").table("funnel")
    assert list(funnel.frame["Stage"]) == ["Proposal", "Won"]
    assert funnel.format_of("Conversion to next stage").fmt is Fmt.PERCENT
    assert funnel.format_of("Avg days in stage").fmt is Fmt.DAYS


def test_every_chart_points_at_columns_of_its_table(workbook):
    for tab in workbook.tabs:
        for chart in tab.charts:
            table = tab.table(chart.table_id)
            assert chart.x in table.frame.columns
            assert chart.series and set(chart.series) <= set(table.frame.columns)
    sales = {c.id: c for c in workbook.tab("Sales").charts}
    card = sales["revenue_card"]
    assert (card.table_id, card.x) == ("kpis", "Period")
    assert card.series == ["Won revenue", "Won revenue previous"]
    assert sales["owner_chart"].series == ["Won revenue", "Won revenue previous", "Lost deals"]
    assert sales["monthly_chart"].title == "Monthly"
    assert sales["monthly_chart"].x == "Month"
    dq_chart = workbook.tab("Quality").charts[0]
    assert (dq_chart.x, dq_chart.series) == ("Check", ["Rows affected"])


def test_quality_blocks(workbook):
    summary = workbook.tab("Quality").table("dq")
    assert summary.title == "Data quality summary"
    assert "Missing owner" in summary.frame["Check"].tolist()
    assert summary.format_of("Rows affected").fmt is Fmt.INTEGER
    owners = workbook.tab("Quality").table("owners_without_deals")
    assert owners.title == "Owners without deals"
    assert "Grace Hopper" in owners.frame.to_string()
    assert owners.note and owners.note.endswith("1 row(s).")


def test_raw_data_is_typed_readable_and_truncated(workbook):
    raw = workbook.tab("Deals data").tables[0]
    assert list(raw.frame.columns) == [
        "Deal ID",
        "Name",
        "Amount",
        "Created at",
        "Probability",
        "Owner",
        "Account",
        "Tier__c",
    ]
    assert len(raw.frame) == 4
    assert raw.truncated_from == 6
    assert isinstance(raw.frame["Created at"].dtype, pd.DatetimeTZDtype)
    assert raw.frame["Created at"].is_monotonic_decreasing
    assert raw.format_of("Amount").fmt is Fmt.CURRENCY
    assert raw.format_of("Amount").currency == "USD"
    assert raw.format_of("Probability").fmt is Fmt.PERCENT
    assert raw.frame["Owner"].iloc[0] == "Ada Lovelace"
    # CRM text stays text: the destination writes it as a string, never a formula.
    assert "=IMPORTXML(1)" in raw.frame["Account"].tolist()
    assert raw.note == "Not provided by any source: Tier__c."


def test_settings_row_cap_applies_to_raw_data(template):
    settings = ReportSettings(raw_data_max_rows=2)
    raw = build_workbook(template, sample_dataset(), settings, NOW).tab("Deals data").tables[0]
    assert (len(raw.frame), raw.truncated_from) == (2, 6)


def test_definitions_cover_every_metric_used(workbook, template):
    tab = workbook.tab("Definitions")
    metrics = tab.table("metric_definitions").frame
    assert metrics["ID"].tolist() == template.metric_ids()
    catalogue = load_catalogue()
    row = metrics.set_index("ID").loc["cac"]
    assert row["Definition"] == catalogue.get("cac").definition
    assert row["Direction"] == "Lower is better"
    assert row["Format"] == "Currency (EUR)"
    assert row["Used on"] == "Sales"
    checks = tab.table("quality_check_definitions").frame
    assert "owners_without_deals" in checks["ID"].tolist()


def test_no_comparison_setting_drops_change_columns(template):
    settings = ReportSettings(comparison="none")
    workbook = build_workbook(template, sample_dataset(), settings, NOW)
    kpis = workbook.tab("Sales").table("kpis")
    assert not any("previous" in c for c in kpis.frame.columns)
    assert kpis.delta_columns == {}
    assert workbook.tab("Sales").subtitle == "1 Sep 2026 - 30 Nov 2026"
    card = {c.id: c for c in workbook.tab("Sales").charts}["revenue_card"]
    assert card.series == ["Won revenue"]
    # A block with its own comparison keeps it.
    assert "Previous" in workbook.tab("Sales").table("single").frame.columns


def test_settings_date_range_overrides_the_template(template):
    settings = ReportSettings(date_range=DateRange("last_month"), comparison="previous_year")
    workbook = build_workbook(template, sample_dataset(), settings, NOW)
    assert workbook.tab("Sales").subtitle == "1 Oct 2026 - 31 Oct 2026 vs same period last year"
    assert workbook.tab("Sales").table("kpis").frame["Won revenue"].iloc[0] == 1000.0


def test_empty_dataset_builds_with_blank_values_and_notes(template):
    workbook = build_workbook(template, empty_dataset(), ReportSettings(), NOW)
    sales = workbook.tab("Sales")
    kpis = sales.table("kpis")
    assert len(kpis.frame) == 1
    assert kpis.note == "No data for this date range."
    assert sales.table("by_owner").frame.empty
    assert sales.table("by_owner").note == "No rows for this date range and these filters."
    raw = workbook.tab("Deals data").tables[0]
    assert raw.frame.empty and raw.note and raw.note.startswith("No deals rows")
    for tab in workbook.tabs:
        for chart in tab.charts:
            assert set(chart.series) <= set(tab.table(chart.table_id).frame.columns)


def test_tab_names_are_valid_and_unique(template):
    workbook = build_workbook(template, sample_dataset(), ReportSettings(), NOW)
    names = [t.name for t in workbook.tabs]
    assert all(tab_name_problem(n) is None for n in names)
    assert len({n.lower() for n in names}) == len(names)


def test_amounts_without_an_exchange_rate_are_noted(template):
    settings = ReportSettings(currency="EUR")
    sales = build_workbook(template, sample_dataset(), settings, NOW).tab("Sales")
    kpis = sales.table("kpis")
    assert kpis.note and "USD" in kpis.note and "add USD to currency_rates" in kpis.note
    # Said once per tab, not under every table the missing rate affects.
    assert not any(t.note and "currency_rates" in t.note for t in sales.tables[1:])


def test_workbook_writes_to_xlsx_with_typed_cells(workbook, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    xlsx = pytest.importorskip("sheets_sync.destinations.xlsx")
    path = tmp_path / "report.xlsx"
    xlsx.XlsxDestination(path).write(workbook)
    sheet = openpyxl.load_workbook(path)["Sales"]
    # The scorecards are the first table with this header.
    header = next(c for row in sheet.iter_rows() for c in row if c.value == "Won revenue previous")
    value = sheet.cell(row=header.row + 1, column=header.column - 1)
    assert value.value == 3150.0
    assert "€" in value.number_format or "EUR" in value.number_format


def test_stage_breakdowns_follow_the_pipeline_order():
    text = TEMPLATE.split("tabs:")[0] + (
        "tabs:\n  - name: Stages\n    blocks:\n"
        "      - {id: stages, type: table, metrics: [new_deals], dimensions: [stage]}\n"
        "      - {id: sorted, type: table, metrics: [new_deals], dimensions: [stage],\n"
        "         sort: stage}\n"
    )
    template = parse_template(text, "builder_test.yaml")
    tab = build_workbook(template, sample_dataset(), ReportSettings(), NOW).tab("Stages")
    # Proposal (order 2), Won (4), Lost (5) rather than alphabetically; an explicit sort wins.
    assert tab.table("stages").frame["Stage"].tolist() == ["Proposal", "Won", "Lost"]
    assert tab.table("sorted").frame["Stage"].tolist() == ["Lost", "Proposal", "Won"]
