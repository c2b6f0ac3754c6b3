"""Custom metrics from YAML: same shapes as the built-ins, clear errors naming file and key."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from sheets_sync.document import Fmt
from sheets_sync.errors import MetricError
from sheets_sync.metrics.catalogue import load_catalogue
from sheets_sync.metrics.engine import run_query
from sheets_sync.metrics.query import Query
from tests.metrics.frames import MARCH, dataset, deal

DEALS = [
    deal(1, "won", "2024-02-01", "2024-03-02", amount=100.0, tier="gold", partner="yes"),
    deal(2, "lost", "2024-02-01", "2024-03-03", amount=200.0, tier="gold", partner="no"),
    deal(3, "won", "2024-02-01", "2024-03-04", amount=300.0, tier="silver", partner="no"),
    deal(4, "lost", "2024-02-01", "2024-03-05", amount=400.0, tier="gold", partner="yes"),
    deal(5, "won", "2024-02-01", "2024-03-06", amount=500.0, tier="gold", partner="yes"),
    deal(6, "won", "2024-02-01", "2024-01-06", amount=600.0, tier="gold", partner="yes"),
]

YAML = """
metrics:
  gold_win_rate:
    label: Gold win rate
    family: effectiveness
    format: percent
    definition: Won / closed deals of gold-tier accounts.
    ratio:
      numerator: {count: deals, date: close_date, where: {status: won, tier: gold}}
      denominator: {count: deals, date: close_date, where: {status: [won, lost], tier: gold}}
  partner_revenue:
    label: Partner revenue
    format: currency
    sum: deals
    column: amount
    date: close_date
    where: {status: won, partner: "yes"}
  new_deals_closed:
    format: integer
    count: deals
    date: close_date
  big_deals_per_100:
    format: number
    ratio:
      numerator: {count: deals, date: close_date, where: {amount: {gte: 300}}}
      denominator: new_deals_closed
      per: 100
  revenue_share_of_partners:
    format: percent
    ratio: {numerator: partner_revenue, denominator: won_revenue}
"""


@pytest.fixture
def custom_file(tmp_path: Path) -> Path:
    path = tmp_path / "metrics.yaml"
    path.write_text(YAML, encoding="utf-8")
    return path


def test_custom_metrics_join_the_catalogue(custom_file):
    catalogue = load_catalogue([custom_file])
    metric = catalogue.get("gold_win_rate")
    assert metric.custom and metric.fmt is Fmt.PERCENT and metric.family == "effectiveness"
    assert metric.base_table == "deals" and metric.date_field == "close_date"
    assert catalogue.get("partner_revenue").fmt is Fmt.CURRENCY


def test_custom_metrics_evaluate_like_builtins(custom_file):
    catalogue = load_catalogue([custom_file])
    result = run_query(
        dataset(deals=DEALS),
        Query(
            ("gold_win_rate", "partner_revenue", "revenue_share_of_partners", "win_rate"),
            date_range=MARCH,
        ),
        catalogue,
    )
    row = result.iloc[0]
    assert row["gold_win_rate"] == 2 / 4  # gold closed in March: d1, d5 won; d2, d4 lost
    assert row["partner_revenue"] == 100 + 500  # d3 is no partner deal, d6 closed in January
    assert math.isclose(row["revenue_share_of_partners"], 600 / 900)
    assert row["win_rate"] == 3 / 5


def test_reference_to_an_unknown_metric_names_the_key(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(YAML.replace("denominator: new_deals_closed", "denominator: later_one"))
    with pytest.raises(MetricError, match=r"bad.yaml: metrics.big_deals_per_100.ratio.denominator"):
        load_catalogue([path])


def test_per_scaling(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text(
        """
metrics:
  closed:
    count: deals
    date: close_date
  big_per_100:
    ratio:
      numerator: {count: deals, date: close_date, where: {amount: {gte: 300}}}
      denominator: closed
    per: 100
"""
    )
    result = run_query(
        dataset(deals=DEALS), Query(("big_per_100",), date_range=MARCH), load_catalogue([path])
    )
    assert result["big_per_100"].iloc[0] == 3 / 5 * 100  # d3, d4, d5 of d1..d5


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("x:\n    count: deal\n    date: created_at", r"metrics.x.count: unknown table 'deal'"),
        ("x:\n    count: deals\n    date: amount", r"metrics.x.date: name the datetime column"),
        ("x:\n    sum: deals\n    date: close_date", r"metrics.x.column: sum needs the column"),
        (
            "x:\n    count: deals\n    date: close_date\n    colour: red",
            r"metrics.x.colour: unknown key",
        ),
        ("x:\n    count: deals\n    date: close_date\n    format: money", r"metrics.x.format"),
        ("x:\n    label: only a label", r"metrics.x: give exactly one of count"),
        (
            "win_rate:\n    count: deals\n    date: close_date",
            r"metrics.win_rate: id already defined",
        ),
        (
            "x:\n    count: deals\n    date: close_date\n    where: {amount: {above: 3}}",
            r"metrics.x.where.amount: expected one operator",
        ),
    ],
)
def test_errors_name_file_and_key(tmp_path, body, message):
    path = tmp_path / "custom.yaml"
    path.write_text("metrics:\n  " + body + "\n", encoding="utf-8")
    with pytest.raises(MetricError, match=rf"custom.yaml: {message}"):
        load_catalogue([path])


def test_not_yaml_or_no_metrics_mapping(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("metrics: [unclosed", encoding="utf-8")
    with pytest.raises(MetricError, match=r"broken\.yaml: not valid YAML"):
        load_catalogue([path])
    path.write_text("other: 1", encoding="utf-8")
    with pytest.raises(MetricError, match=r"broken\.yaml: expected a top-level 'metrics:'"):
        load_catalogue([path])


def test_where_on_a_missing_custom_column_is_a_query_error(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text(
        "metrics:\n  x:\n    count: deals\n    date: close_date\n    where: {tierr: gold}\n"
    )
    with pytest.raises(MetricError, match=r"metric x: table deals has no column 'tierr'.*'tier'"):
        run_query(dataset(deals=DEALS), Query(("x",), date_range=MARCH), load_catalogue([path]))


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("{amount: {lt: 300}}", 2),  # d1, d2
        ("{amount: {gt: 300}}", 2),  # d4, d5
        ("{amount: {lte: 300}}", 3),
        ("{tier: {not_in: [gold]}}", 1),  # d3
        ("{tier: {in: [gold, silver]}}", 5),
        ("{partner: {set: true}}", 5),
        ("{partner: {missing: true}}", 0),
        ("{partner: null}", 0),
        ("{status: [won, null]}", 3),
    ],
)
def test_where_operators(tmp_path, where, expected):
    path = tmp_path / "ops.yaml"
    path.write_text(f"metrics:\n  x:\n    count: deals\n    date: close_date\n    where: {where}\n")
    result = run_query(
        dataset(deals=DEALS), Query(("x",), date_range=MARCH), load_catalogue([path])
    )
    assert result["x"].iloc[0] == expected
