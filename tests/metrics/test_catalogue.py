"""The built-in catalogue: required ids, families, lookups and the documentation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sheets_sync.document import Fmt
from sheets_sync.errors import MetricError
from sheets_sync.metrics.catalogue import FAMILIES, load_catalogue

DOCS = Path(__file__).resolve().parents[2] / "docs" / "metrics.md"

TEMPLATE_IDS = [
    "new_leads",
    "mqls",
    "sqls",
    "lead_conversion_rate",
    "lead_to_opportunity_rate",
    "mql_to_sql_rate",
    "new_customers",
    "converted_leads",
    "cost_per_lead",
    "spend",
    "activities",
    "activities_per_rep",
    "calls",
    "emails",
    "meetings",
    "avg_first_response_hours",
    "active_customers",
    "churned_customers",
    "churn_rate",
    "retention_rate",
    "gross_revenue_retention",
    "mrr",
    "avg_customer_lifetime_days",
    "cac",
    "cost_per_opportunity",
    "revenue_per_rep",
    "sales_cycle_days",
    "win_rate",
    "new_deals",
    "won_deals",
    "lost_deals",
    "won_revenue",
    "avg_deal_size",
    "open_deals",
    "open_pipeline",
    "weighted_pipeline",
    "ltv",
    "ltv_cac_ratio",
    "tickets_opened",
    "tickets_resolved",
    "open_tickets",
    "avg_resolution_hours",
    "csat",
]


def test_catalogue_has_every_id_templates_use_and_at_least_40():
    catalogue = load_catalogue()
    assert set(TEMPLATE_IDS) <= set(catalogue.ids())
    assert len(catalogue) >= 40


def test_every_metric_is_complete():
    for metric in load_catalogue().all():
        assert metric.family in FAMILIES, metric.id
        assert isinstance(metric.fmt, Fmt)
        assert metric.label and metric.definition.endswith("."), metric.id
        assert metric.formula is not None


def test_every_family_has_metrics():
    assert load_catalogue().families() == list(FAMILIES)


def test_unknown_metric_names_it_and_suggests():
    with pytest.raises(MetricError, match=r"unknown metric 'win_rat'.*did you mean 'win_rate'"):
        load_catalogue().get("win_rat")


def test_docs_describe_every_builtin_metric():
    text = DOCS.read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([a-z0-9_]+)` \|", text, flags=re.MULTILINE))
    missing = [m.id for m in load_catalogue().all() if m.id not in documented]
    assert not missing, f"docs/metrics.md lacks a table row for: {', '.join(missing)}"
    for metric in load_catalogue().all():
        assert metric.definition in text, f"definition of {metric.id} differs from docs"


def test_docs_yaml_example_loads(tmp_path):
    text = DOCS.read_text(encoding="utf-8")
    example = re.search(r"```yaml\n(.*?)```", text, flags=re.DOTALL)
    assert example is not None
    path = tmp_path / "example.yaml"
    path.write_text(example.group(1), encoding="utf-8")
    catalogue = load_catalogue([path])
    assert {"enterprise_win_rate", "partner_revenue", "demos_per_100_leads"} <= set(catalogue.ids())
    assert catalogue.get("partner_revenue").fmt is Fmt.CURRENCY
