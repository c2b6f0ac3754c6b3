"""Turn chart blocks into document charts that point at their table's columns by header."""

from __future__ import annotations

from sheets_sync.document import Chart, ChartKind
from sheets_sync.errors import TemplateError
from sheets_sync.report.blocks import SCORECARD_LABEL_KEY, BuiltBlock
from sheets_sync.templates.schema import ChartBlock


def build_chart(chart: ChartBlock, target: BuiltBlock) -> Chart:
    """The chart of ``chart`` drawn from ``target`` (the block it names, already built)."""
    headers = target.headers
    series = [headers[_known(key, headers, chart)] for key in chart.series]
    if chart.kind == "scorecard":
        # Scorecards are one row: the period label is the category, the KPI the key value
        # and, when the block compares, its previous value the baseline.
        metric = chart.series[0]
        x = headers[SCORECARD_LABEL_KEY]
        previous = headers.get(f"{metric}__previous")
        series = [headers[metric], *([previous] if previous else [])]
    else:
        x = headers[_known(chart.x or "", headers, chart)]
    title = chart.title or target.table.title or chart.id.replace("_", " ").capitalize()
    return Chart(
        id=chart.id,
        kind=ChartKind(chart.kind),
        title=title,
        table_id=target.table.id,
        x=x,
        series=series,
        stacked=chart.stacked,
    )


def _known(key: str, headers: dict[str, str], chart: ChartBlock) -> str:
    if key not in headers:
        # Validation rejects such charts; reaching here means the template bypassed it.
        raise TemplateError(f"chart {chart.id!r}: column {key!r} is not in block {chart.block!r}")
    return key
