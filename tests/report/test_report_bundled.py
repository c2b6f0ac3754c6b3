"""Every bundled template builds on demo data, and its scorecards equal direct queries."""

from __future__ import annotations

import math
import warnings

import pytest

from sheets_sync.metrics.catalogue import load_catalogue
from sheets_sync.metrics.engine import run_query
from sheets_sync.metrics.query import Query
from sheets_sync.report import ReportSettings, build_workbook
from sheets_sync.templates import list_templates
from sheets_sync.templates.schema import ReportTab, ScorecardsBlock
from sheets_sync.templates.validate import default_vocabulary

from .sample_data import NOW, empty_dataset

TEMPLATES = list_templates(default_vocabulary())
CATALOGUE = load_catalogue()
SETTINGS = ReportSettings(timezone="America/New_York", currency="USD")


@pytest.fixture(scope="module")
def demo_dataset():
    """Three demo sources (two CRMs and a spend sheet) blended, as a refresh would."""
    demo = pytest.importorskip("connectors.demo")
    from connectors.base import ReadContext
    from sheets_sync.blend import blend

    context = ReadContext(started_at=NOW.to_pydatetime())
    parts = [("sfdc", "salesforce"), ("hubspot", "hubspot"), ("ads", "spend")]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        results = [
            (name, demo.DemoSource(name, {"size": 200, "as_of": "2026-11-28", "flavor": flavor}))
            for name, flavor in parts
        ]
        return blend([(name, source.read(context)) for name, source in results])


@pytest.mark.parametrize("template", TEMPLATES, ids=[t.id for t in TEMPLATES])
def test_bundled_template_builds_on_demo_data(template, demo_dataset):
    workbook = build_workbook(template, demo_dataset, SETTINGS, NOW)
    assert [t.name for t in workbook.tabs] == template.tab_names()
    for tab in workbook.tabs:
        assert tab.tables, tab.name
        for chart in tab.charts:
            columns = tab.table(chart.table_id).frame.columns
            assert chart.x in columns and set(chart.series) <= set(columns)
    report_tables = [
        tb
        for tab, spec in zip(workbook.tabs, template.tabs)
        if isinstance(spec, ReportTab)
        for tb in tab.tables
    ]
    # Demo data is rich enough that most blocks have rows.
    assert sum(len(tb.frame) > 0 for tb in report_tables) >= len(report_tables) // 2
    _check_scorecards(template, workbook, demo_dataset)


def _check_scorecards(template, workbook, dataset) -> None:
    """Each scorecard value equals the same query run directly on the engine."""
    labels = {m.id: m.label for m in CATALOGUE.all()}
    for tab, spec in zip(workbook.tabs, template.tabs):
        if not isinstance(spec, ReportTab):
            continue
        for block in spec.blocks:
            if not isinstance(block, ScorecardsBlock):
                continue
            comparison = template.comparison if block.comparison == "default" else block.comparison
            query = Query(
                tuple(block.metrics),
                filters=block.filters,
                date_range=template.date_range.to_date_range(),
                comparison=None if comparison == "none" else comparison,
                timezone=SETTINGS.timezone,
                currency=SETTINGS.currency,
            )
            direct = run_query(dataset, query, now=NOW).iloc[0]
            shown = tab.table(block.id).frame.iloc[0]
            for metric in block.metrics:
                label = labels[metric]
                _same(shown[label], direct[metric])
                if query.comparison:
                    _same(shown[f"{label} previous"], direct[f"{metric}__previous"])


@pytest.mark.parametrize("template", TEMPLATES, ids=[t.id for t in TEMPLATES])
def test_bundled_template_builds_on_empty_data(template):
    workbook = build_workbook(template, empty_dataset(), ReportSettings(), NOW)
    assert len(workbook.tabs) == len(template.tabs)
    raw = [tab for tab in workbook.tabs if tab.kind == "data"]
    assert raw and all(tab.tables[0].frame.empty and tab.tables[0].note for tab in raw)
    cards = [tb for tab in workbook.tabs for tb in tab.tables if tb.kind == "scorecards"]
    assert cards and all(len(tb.frame) == 1 for tb in cards)


def _same(shown, direct) -> None:
    if isinstance(direct, float) and math.isnan(direct):
        assert shown is None or math.isnan(shown)
    else:
        assert shown == pytest.approx(direct)
