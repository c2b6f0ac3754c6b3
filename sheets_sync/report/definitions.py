"""The Definitions tab: every metric (and data-quality check) a template uses, explained."""

from __future__ import annotations

import pandas as pd

from sheets_sync.document import ColumnFormat, Fmt, Tab, TabKind, Table
from sheets_sync.quality import QUALITY_CHECKS
from sheets_sync.report.context import BuildContext
from sheets_sync.templates.schema import QUALITY_SUMMARY, QualityBlock, ReportTab

METRICS_TABLE = "metric_definitions"
CHECKS_TABLE = "quality_check_definitions"


def definitions_tab(name: str, title: str | None, ctx: BuildContext) -> Tab:
    """One row per metric the template uses, plus its quality checks when it has any."""
    used_on = _tabs_using_metrics(ctx)
    rows = []
    for metric_id in ctx.template.metric_ids():
        mdef = ctx.catalogue.get(metric_id)
        rows.append(
            {
                "Metric": mdef.label,
                "ID": mdef.id,
                "Family": mdef.family.capitalize(),
                "Format": _format_name(mdef.fmt, ctx.settings.currency),
                "Direction": "Higher is better" if mdef.up_is_good else "Lower is better",
                "Definition": mdef.definition,
                "Used on": ", ".join(used_on.get(metric_id, [])),
            }
        )
    columns = ["Metric", "ID", "Family", "Format", "Direction", "Definition", "Used on"]
    metrics = Table(
        METRICS_TABLE,
        pd.DataFrame(rows, columns=columns),
        title="Metrics",
        formats={c: ColumnFormat(Fmt.TEXT) for c in columns},
        note=f"Money is shown in {ctx.settings.currency}; dates in {ctx.settings.timezone}.",
    )
    tab = Tab(name, TabKind.DEFINITIONS, title=title or "Definitions", tables=[metrics])
    checks = _checks_used(ctx)
    if checks:
        frame = pd.DataFrame(
            [
                {
                    "Check": QUALITY_CHECKS[c].label,
                    "ID": c,
                    "Severity": str(QUALITY_CHECKS[c].severity),
                    "Definition": QUALITY_CHECKS[c].description,
                }
                for c in checks
            ]
        )
        formats = {c: ColumnFormat(Fmt.TEXT) for c in frame.columns}
        tab.tables.append(Table(CHECKS_TABLE, frame, title="Data-quality checks", formats=formats))
    return tab


def _format_name(fmt: Fmt, currency: str) -> str:
    """How a metric is shown, in words: ``Currency (EUR)``, ``Percent``, ``Days``."""
    return f"Currency ({currency})" if fmt is Fmt.CURRENCY else str(fmt).capitalize()


def _tabs_using_metrics(ctx: BuildContext) -> dict[str, list[str]]:
    used: dict[str, list[str]] = {}
    for tab in ctx.template.tabs:
        if isinstance(tab, ReportTab):
            for block in tab.blocks:
                if block.type in ("scorecards", "table", "timeseries"):
                    for metric in block.metrics:  # type: ignore[union-attr]
                        names = used.setdefault(metric, [])
                        if tab.name not in names:
                            names.append(tab.name)
    return used


def _checks_used(ctx: BuildContext) -> list[str]:
    """Every check the template shows: all of them when it shows the summary."""
    wanted: list[str] = []
    for tab in ctx.template.tabs:
        if isinstance(tab, ReportTab):
            for block in tab.blocks:
                if isinstance(block, QualityBlock):
                    ids = list(QUALITY_CHECKS) if block.check == QUALITY_SUMMARY else [block.check]
                    wanted += [c for c in ids if c not in wanted]
    return [c for c in QUALITY_CHECKS if c in wanted]
