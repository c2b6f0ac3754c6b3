"""The sync-status tab lists the refresh, the rows read per source and every data issue."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pandas as pd

from sheets_sync.document import Fmt, TabKind
from sheets_sync.issues import DataIssue, Severity
from sheets_sync.metrics.query import DateRange
from sheets_sync.report import RunSummary, status_tab
from sheets_sync.templates import STATUS_TAB_NAME, tab_name_problem

STARTED = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)


def _run(**changes) -> RunSummary:
    values = dict(
        started_at=STARTED,
        finished_at=STARTED + timedelta(seconds=12.34),
        template_id="sales_pipeline",
        status="ok",
        row_counts={"sfdc": {"deals": 120, "owners": 8}, "ads": {"spend": 40}},
        issues=[
            DataIssue(Severity.INFO, "column not provided", "sfdc", "deals", "product"),
            DataIssue(
                Severity.WARNING,
                "2 value(s) could not be read as datetime",
                "sfdc",
                "deals",
                "close_date",
                tuple(range(25)),
                25,
            ),
        ],
        requests=17,
        date_range=DateRange("last_90_days"),
        timezone="Europe/Paris",
    )
    values.update(changes)
    return RunSummary(**values)


def test_status_tab_summary_row():
    tab = status_tab(_run())
    assert tab.kind is TabKind.STATUS
    assert tab.name == STATUS_TAB_NAME and tab_name_problem(tab.name) is None
    refresh = tab.table("refresh")
    row = refresh.frame.iloc[0]
    assert row["Last refresh"] == pd.Timestamp(STARTED + timedelta(seconds=12.34))
    assert row["Last refresh"].tzinfo is not None
    assert (row["Status"], row["Template"], row["Date range"]) == (
        "ok",
        "sales_pipeline",
        "Last 90 days",
    )
    assert row["Duration (s)"] == 12.3
    assert (row["Requests"], row["Issues"], row["Time zone"]) == (17, 2, "Europe/Paris")
    assert refresh.format_of("Last refresh").fmt is Fmt.DATETIME
    assert refresh.format_of("Requests").fmt is Fmt.INTEGER


def test_rows_per_source_and_table():
    sources = status_tab(_run()).table("sources").frame
    assert sources.values.tolist() == [
        ["sfdc", "deals", 120],
        ["sfdc", "owners", 8],
        ["ads", "spend", 40],
    ]


def test_issues_are_listed_worst_first_with_their_rows():
    issues = status_tab(_run()).table("issues").frame
    assert issues["Severity"].tolist() == ["warning", "info"]
    first = issues.iloc[0]
    assert first["Location"] == "sfdc/deals.close_date"
    assert first["Rows"].endswith("19 and 5 more")
    assert first["Count"] == 25
    assert issues.iloc[1]["Count"] == 0


def test_empty_run_and_custom_range():
    run = _run(
        row_counts={},
        issues=[],
        date_range=DateRange("custom", date(2026, 1, 1), date(2026, 3, 31)),
        status="failed",
        message="source 'sfdc': token expired; reconnect Salesforce",
    )
    tab = status_tab(run)
    assert tab.subtitle == "source 'sfdc': token expired; reconnect Salesforce"
    assert tab.table("refresh").frame.iloc[0]["Date range"] == "2026-01-01 to 2026-03-31"
    assert tab.table("sources").frame.empty
    assert tab.table("sources").note == "No source was read."
    assert tab.table("issues").note == "No data issues found."
    assert status_tab(_run(date_range=None)).table("refresh").frame.iloc[0]["Date range"] == (
        "Template default"
    )
