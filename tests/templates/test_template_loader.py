"""Bundled templates load, validate and cover what the product promises."""

from __future__ import annotations

from pathlib import Path

import pytest

from sheets_sync.errors import TemplateError
from sheets_sync.metrics.catalogue import load_catalogue
from sheets_sync.quality import QUALITY_CHECKS
from sheets_sync.templates import (
    TEMPLATE_DIR,
    bundled_ids,
    list_templates,
    load_template,
    tab_name_problem,
)
from sheets_sync.templates.schema import (
    ChartBlock,
    DefinitionsTab,
    QualityBlock,
    RawDataTab,
    ReportTab,
    ScorecardsBlock,
    TableBlock,
    TimeseriesBlock,
)

EXPECTED = {
    "executive_overview",
    "sales_pipeline",
    "sales_performance",
    "lead_funnel",
    "marketing_acquisition",
    "customer_retention",
    "support",
    "data_quality",
}


def _blocks(template):
    return [b for t in template.tabs if isinstance(t, ReportTab) for b in t.blocks]


def test_template_dir_is_the_repository_folder():
    assert Path(__file__).resolve().parents[2] / "sheet_templates" == TEMPLATE_DIR
    assert TEMPLATE_DIR.is_dir()


def test_every_bundled_template_loads_and_the_catalogue_is_complete():
    templates = list_templates()
    assert {t.id for t in templates} >= EXPECTED
    assert [t.id for t in templates] == bundled_ids()
    assert {t.audience for t in templates} == {"executive", "manager", "analyst"}


@pytest.mark.parametrize("template_id", bundled_ids())
def test_bundled_template_has_every_kind_of_content(template_id):
    template = load_template(template_id)
    blocks = _blocks(template)
    assert template.path and template.path.endswith(f"{template_id}.yaml")
    scorecards = [b for b in blocks if isinstance(b, ScorecardsBlock)]
    assert scorecards and all(b.comparison != "none" for b in scorecards)
    assert template.comparison in ("previous_period", "previous_year")
    assert any(isinstance(b, TableBlock) for b in blocks)
    assert any(isinstance(b, TimeseriesBlock) for b in blocks)
    assert any(isinstance(b, ChartBlock) for b in blocks)
    assert any(isinstance(t, RawDataTab) for t in template.tabs)
    assert isinstance(template.tabs[-1], DefinitionsTab)
    assert all(tab_name_problem(name) is None for name in template.tab_names())


def test_executive_overview_compares_with_previous_period_and_last_year():
    template = load_template("executive_overview")
    cards = [b for b in _blocks(template) if isinstance(b, ScorecardsBlock)]
    headline = {"won_revenue", "open_pipeline", "win_rate", "new_customers", "cac", "churn_rate"}
    assert headline <= set(cards[0].metrics)
    assert {"default", "previous_year"} <= {c.comparison for c in cards}


def test_data_quality_template_shows_the_summary_and_every_check():
    checks = {
        b.check for b in _blocks(load_template("data_quality")) if isinstance(b, QualityBlock)
    }
    assert checks == {"summary", *QUALITY_CHECKS}


def test_templates_use_only_catalogue_metrics():
    catalogue = load_catalogue()
    for template in list_templates():
        assert all(m in catalogue for m in template.metric_ids()), template.id


def test_load_by_path_accepts_a_users_own_file(tmp_path):
    own = tmp_path / "executive_overview.yaml"
    own.write_text((TEMPLATE_DIR / "executive_overview.yaml").read_text())
    template = load_template(own)
    assert template.id == "executive_overview"
    assert template.path == str(own)


def test_unknown_template_id_suggests_the_closest():
    with pytest.raises(TemplateError, match=r"unknown template 'sales_pipline' \(did you mean "):
        load_template("sales_pipline")


def test_missing_template_file_names_the_path(tmp_path):
    missing = tmp_path / "nope.yaml"
    with pytest.raises(TemplateError, match=r"nope\.yaml does not exist"):
        load_template(missing)
