"""Every kind of template mistake is reported with the file, the key path and the fix."""

from __future__ import annotations

import re

import pytest

from sheets_sync.errors import TemplateError
from sheets_sync.templates import load_template, safe_tab_name, tab_name_problem

VALID = """\
id: sales_check
name: Sales check
description: A small template used by the tests.
audience: manager
cadence: weekly
date_range: last_30_days
tabs:
  - name: Main
    blocks:
      - id: kpis
        type: scorecards
        metrics: [won_revenue, win_rate]
      - id: by_owner
        type: table
        metrics: [won_revenue, win_rate]
        dimensions: [owner]
        sort: -won_revenue
      - id: trend
        type: timeseries
        metrics: [won_revenue]
      - id: owner_chart
        type: chart
        kind: bar
        block: by_owner
        x: owner
        series: [won_revenue]
  - name: Checks
    blocks:
      - id: summary
        type: quality
  - name: Raw
    kind: raw_data
    table: deals
    columns: [deal_id, amount, owner_name]
  - kind: definitions
"""


def _write(tmp_path, text: str):
    path = tmp_path / "sales_check.yaml"
    path.write_text(text)
    return path


def _error(tmp_path, old: str, new: str) -> str:
    assert old in VALID, old
    with pytest.raises(TemplateError) as info:
        load_template(_write(tmp_path, VALID.replace(old, new, 1)))
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("sales_check.yaml: ")
    return message


def test_the_base_template_is_valid(tmp_path):
    template = load_template(_write(tmp_path, VALID))
    assert template.metric_ids() == ["won_revenue", "win_rate"]
    assert template.tab_names() == ["Main", "Checks", "Raw", "Definitions"]


CASES = [
    (
        "metrics: [won_revenue, win_rate]\n      - id: by_owner",
        "metrics: [won_revenue, win_rat]\n      - id: by_owner",
        "tabs[0].blocks[0].metrics[1]: unknown metric 'win_rat' (did you mean 'win_rate'?) "
        "(line 12)",
    ),
    (
        "dimensions: [owner]",
        "dimensions: [ownr]",
        "tabs[0].blocks[1].dimensions[0]: unknown dimension 'ownr' (did you mean 'owner'?)",
    ),
    (
        "dimensions: [owner]",
        "dimensions: [priority]",
        "tabs[0].blocks[1].dimensions[0]: unknown dimension 'priority'",
    ),
    (
        "dimensions: [owner]",
        "dimensions: [owner]\n        filters: {stge: Won}",
        "tabs[0].blocks[1].filters.stge: unknown filter 'stge' (did you mean 'stage'?)",
    ),
    (
        "sort: -won_revenue",
        "sort: -won_revenu",
        "tabs[0].blocks[1].sort: sort key 'won_revenu' is not a metric or dimension",
    ),
    (
        "type: quality",
        "type: quality\n        check: missing_ownr",
        "tabs[1].blocks[0].check: unknown quality check 'missing_ownr' (did you mean "
        "'missing_owner'?)",
    ),
    (
        "block: by_owner",
        "block: by_ownr",
        "tabs[0].blocks[3].block: chart refers to 'by_ownr', not a data block of this tab "
        "(did you mean 'by_owner'?)",
    ),
    (
        "x: owner",
        "x: team",
        "tabs[0].blocks[3].x: x 'team' is not a category column of 'by_owner'",
    ),
    (
        "series: [won_revenue]",
        "series: [won_revenue__previous]",
        "tabs[0].blocks[3].series[0]: series 'won_revenue__previous' is not a value column",
    ),
    (
        "kind: bar",
        "kind: pie",
        None,  # valid: one series
    ),
    (
        "series: [won_revenue]",
        "series: [won_revenue, win_rate]\n        stacked: true\n        title: Two",
        None,  # valid for a bar chart
    ),
    (
        "kind: bar\n        block: by_owner\n        x: owner\n        series: [won_revenue]",
        "kind: pie\n        block: by_owner\n        x: owner\n        series: [won_revenue, "
        "win_rate]",
        "tabs[0].blocks[3].series: a pie chart shows exactly one series",
    ),
    (
        "kind: bar\n        block: by_owner",
        "kind: scorecard\n        block: by_owner",
        "tabs[0].blocks[3].kind: a scorecard chart must refer to a scorecards block",
    ),
    (
        "x: owner\n        series: [won_revenue]",
        "series: [won_revenue]",
        "tabs[0].blocks[3].x: x is required; choose one of: owner",
    ),
    ("- name: Main", "- name: Main/2026", "tabs[0].name: tab name 'Main/2026' contains /"),
    (
        "- name: Main",
        "- name: A name that is far too long for Excel",
        "tabs[0].name: tab name 'A name that is far too long for Excel' is 37 characters long",
    ),
    ("- name: Checks", "- name: main", "tabs[1].name: tab name 'main' is already used by tabs[0]"),
    ("- name: Checks", "- name: Sync status", "tabs[1].name: tab name 'Sync status' is reserved"),
    ("- id: trend", "- id: kpis", "tabs[0].blocks[2].id: block id 'kpis' is already used by"),
    ("cadence: weekly", "cadence: weekly\nfoo: 1", "foo: unknown key 'foo'"),
    (
        "        sort:",
        "        srot:",
        "tabs[0].blocks[1].srot: unknown key 'srot' (did you mean 'sort'?)",
    ),
    ("audience: manager\n", "", "audience: missing required key 'audience'"),
    ("audience: manager", "audience: boss", "audience: Input should be 'executive', 'manager'"),
    ("cadence: weekly", "cadence: 7", "cadence: Input should be 'hourly'"),
    (
        "type: timeseries",
        "type: timeseries\n        granularity: fortnight",
        "tabs[0].blocks[2].granularity: unknown granularity 'fortnight'; choose one of: day",
    ),
    (
        "type: timeseries",
        "type: time_series",
        "tabs[0].blocks[2]: unknown block type 'time_series'; choose one of: scorecards",
    ),
    ("kind: raw_data", "kind: raw", "tabs[2]: unknown tab kind 'raw'; choose one of: report"),
    ("table: deals", "table: deal", "tabs[2].table: unknown table 'deal' (did you mean 'deals'?)"),
    (
        "columns: [deal_id, amount, owner_name]",
        "columns: [deal_id, amont]",
        "tabs[2].columns[1]: deals has no column 'amont' (did you mean 'amount'?); list custom "
        "fields under custom_columns",
    ),
    (
        "date_range: last_30_days",
        "date_range: {preset: custom, start: 2026-03-01}",
        "date_range: a custom date range needs both start and end",
    ),
    (
        "date_range: last_30_days",
        "date_range: last_31_days",
        "date_range.preset: unknown date range preset 'last_31_days'",
    ),
    ("id: sales_check", "id: other_name", "id: template id 'other_name' must match the file name"),
    ("id: sales_check", "id: Sales Check", "id: String should match pattern"),
]


@pytest.mark.parametrize(("old", "new", "expected"), [c for c in CASES if c[2]])
def test_each_error_names_file_and_key_path(tmp_path, old, new, expected):
    message = _error(tmp_path, old, new)
    assert expected in message


@pytest.mark.parametrize(("old", "new"), [c[:2] for c in CASES if c[2] is None])
def test_valid_variants_load(tmp_path, old, new):
    assert load_template(_write(tmp_path, VALID.replace(old, new, 1))).id == "sales_check"


def test_yaml_syntax_error_shows_line_and_column(tmp_path):
    message = _error(tmp_path, "cadence: weekly", "cadence: [weekly")
    assert re.search(r"sales_check\.yaml: line \d+, column \d+: invalid YAML", message)


def test_error_line_points_at_the_offending_key(tmp_path):
    message = _error(tmp_path, "x: owner", "x: ownr")
    line = VALID.splitlines().index("        x: owner") + 1
    assert message.endswith(f"(did you mean 'owner'?) (line {line})")


def test_several_problems_are_listed_on_one_line(tmp_path):
    text = VALID.replace("win_rate]\n      - id: by_owner", "win_rat]\n      - id: by_owner")
    text = text.replace("x: owner", "x: ownr")
    with pytest.raises(TemplateError) as info:
        load_template(_write(tmp_path, text))
    assert "unknown metric 'win_rat'" in str(info.value)
    assert "; tabs[0].blocks[3].x: x 'ownr'" in str(info.value)


def test_custom_fields_are_accepted_as_dimensions(tmp_path):
    text = VALID.replace("dimensions: [owner]", "dimensions: [owner, Tier__c]")
    with pytest.raises(TemplateError, match="unknown dimension 'Tier__c'"):
        load_template(_write(tmp_path, text))
    declared = text.replace("cadence: weekly", "cadence: weekly\ncustom_fields: [Tier__c]")
    template = load_template(_write(tmp_path, declared))
    assert template.custom_fields == ["Tier__c"]


def test_a_template_that_is_not_a_mapping_is_refused(tmp_path):
    with pytest.raises(TemplateError, match=r"sales_check\.yaml: a template must be a mapping"):
        load_template(_write(tmp_path, "- just\n- a list\n"))


def test_tab_name_rules():
    assert tab_name_problem("Pipeline & stages") is None
    assert "apostrophe" in (tab_name_problem("'quoted") or "")
    assert tab_name_problem("  ") == "tab name is empty"
    taken: set[str] = {"sync status"}
    assert safe_tab_name("Sync status", taken) == "Sync status (2)"
    assert safe_tab_name("Q3: [draft]?", taken) == "Q3 draft"
    long = safe_tab_name("x" * 40, taken)
    assert len(long) == 31
    assert len(safe_tab_name("x" * 40, taken)) == 31
    assert safe_tab_name("x" * 40, taken).endswith("(3)")
