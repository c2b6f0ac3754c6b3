"""Build a rendered :class:`~sheets_sync.document.Workbook` from a template and a dataset."""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from sheets_sync.dataset import Dataset
from sheets_sync.document import Tab, TabKind, Workbook
from sheets_sync.metrics.catalogue import Catalogue
from sheets_sync.report.blocks import BuiltBlock, build_block
from sheets_sync.report.charts import build_chart
from sheets_sync.report.context import BuildContext
from sheets_sync.report.definitions import definitions_tab
from sheets_sync.report.raw_data import raw_data_tab
from sheets_sync.report.settings import ReportSettings
from sheets_sync.templates.names import STATUS_TAB_NAME, safe_tab_name
from sheets_sync.templates.schema import ChartBlock, DefinitionsTab, RawDataTab, ReportTab, Template


def build_workbook(
    template: Template,
    dataset: Dataset,
    settings: ReportSettings,
    now: datetime | pd.Timestamp,
    catalogue: Catalogue | None = None,
) -> Workbook:
    """Render every tab of ``template`` on ``dataset`` as of ``now``.

    The sync-status tab is not included: it describes the whole refresh, so the caller appends
    :func:`~sheets_sync.report.status.status_tab` once the run is known.
    """
    ctx = BuildContext.create(template, dataset, settings, now, catalogue)
    title = settings.title or template.name
    subtitle = ctx.subtitle()
    # The status tab is appended later; keep its name free.
    taken = {STATUS_TAB_NAME.lower()}
    tabs: list[Tab] = []
    for spec in template.tabs:
        if isinstance(spec, ReportTab):
            tab = _report_tab(spec, ctx, spec.title or title, subtitle)
        elif isinstance(spec, RawDataTab):
            tab = raw_data_tab(spec, ctx)
        else:
            assert isinstance(spec, DefinitionsTab)
            tab = definitions_tab(spec.name, spec.title, ctx)
        tab.name = safe_tab_name(tab.name, taken)
        tabs.append(tab)
    return Workbook(
        title=title,
        tabs=tabs,
        theme=settings.theme,
        generated_at=ctx.now.to_pydatetime(),
        timezone=settings.timezone,
        template_id=template.id,
    )


def _report_tab(spec: ReportTab, ctx: BuildContext, title: str, subtitle: str) -> Tab:
    """A REPORT tab: each data block as a table, then each chart drawn from one of them."""
    tab = Tab(spec.name, TabKind.REPORT, title=title, subtitle=subtitle)
    built: dict[str, BuiltBlock] = {}
    noted: set[str] = set()
    for block in spec.blocks:
        if not isinstance(block, ChartBlock):
            result = built[block.id] = build_block(block, ctx)
            # The same data issue (e.g. a currency without a rate) affects many blocks: say it
            # once per tab, under the first table it touches.
            fresh = [i for i in result.issues if i not in noted]
            noted.update(fresh)
            if fresh:
                parts = [result.table.note, "; ".join(fresh) + "."]
                result.table.note = " ".join(p for p in parts if p)
            tab.tables.append(result.table)
    for block in spec.blocks:
        if isinstance(block, ChartBlock):
            tab.charts.append(build_chart(block, built[block.block]))
    return tab
