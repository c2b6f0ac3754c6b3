"""Reference checks on a structurally valid template.

:func:`check_template` returns every problem as a ``(key path, message)`` pair: unknown metric
ids, dimensions, filters, sort keys and quality checks (with the closest valid name), charts that
point at a missing block or column, invalid or repeated tab names and repeated block ids.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from sheets_sync.metrics.query import DIMENSIONS
from sheets_sync.metrics.tables import ROUTES
from sheets_sync.model import TABLE_NAMES, TABLES
from sheets_sync.templates.names import STATUS_TAB_NAME, tab_name_problem
from sheets_sync.templates.schema import (
    FUNNEL_COLUMNS,
    NO_COMPARISON,
    QUALITY_SUMMARY,
    ChartBlock,
    DataBlock,
    FunnelBlock,
    QualityBlock,
    RawDataTab,
    ReportTab,
    ScorecardsBlock,
    TableBlock,
    Template,
    TimeseriesBlock,
)

Path = tuple[str | int, ...]
Problem = tuple[Path, str]
COMPARISON_SUFFIXES = ("__previous", "__delta", "__delta_pct")
# Columns a raw-data tab may add by looking up a name from another table.
LOOKUP_COLUMNS = {"owner_name": "owner_id", "account_name": "account_id"}


@dataclass(frozen=True)
class Vocabulary:
    """The names a template may refer to: metric ids (with their base table) and check ids."""

    metrics: Mapping[str, str]
    quality_checks: tuple[str, ...]


def default_vocabulary(custom_metric_files: Iterable[object] = ()) -> Vocabulary:
    """The built-in (and custom) metric catalogue and the data-quality checks."""
    from sheets_sync.metrics.catalogue import load_catalogue
    from sheets_sync.quality import QUALITY_CHECKS

    catalogue = load_catalogue(tuple(custom_metric_files))  # type: ignore[arg-type]
    return Vocabulary(
        {m.id: m.base_table for m in catalogue.all()},
        tuple(QUALITY_CHECKS),
    )


def suggest(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``choices``, or an empty string."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def block_keys(block: DataBlock) -> tuple[list[str], list[str]]:
    """The column keys a chart may use from ``block``: (category keys, value keys)."""
    if isinstance(block, ScorecardsBlock):
        return [], _with_comparison(block.metrics, block.comparison)
    if isinstance(block, TableBlock):
        return list(block.dimensions), _with_comparison(block.metrics, block.comparison)
    if isinstance(block, TimeseriesBlock):
        return ["period"], _with_comparison(block.metrics, block.comparison)
    if isinstance(block, FunnelBlock):
        return ["stage"], list(FUNNEL_COLUMNS)
    if block.check == QUALITY_SUMMARY:
        return ["check"], ["count"]
    return [], []


def _with_comparison(metrics: list[str], comparison: str) -> list[str]:
    if comparison == NO_COMPARISON:
        return list(metrics)
    return [key for m in metrics for key in (m, *(m + s for s in COMPARISON_SUFFIXES))]


def check_template(template: Template, vocab: Vocabulary) -> list[Problem]:
    """Every reference problem in ``template``, in document order."""
    problems: list[Problem] = []
    problems += _check_tab_names(template)
    seen_blocks: dict[str, Path] = {}
    for t, tab in enumerate(template.tabs):
        where: Path = ("tabs", t)
        if isinstance(tab, ReportTab):
            problems += _check_report_tab(tab, where, template, vocab, seen_blocks)
        elif isinstance(tab, RawDataTab):
            problems += _check_raw_tab(tab, where)
    return problems


def _check_tab_names(template: Template) -> Iterator[Problem]:
    seen: dict[str, int] = {}
    for t, tab in enumerate(template.tabs):
        problem = tab_name_problem(tab.name)
        if problem is None and tab.name.lower() == STATUS_TAB_NAME.lower():
            problem = f"tab name {tab.name!r} is reserved for the sync-status tab"
        if problem is None and tab.name.lower() in seen:
            problem = f"tab name {tab.name!r} is already used by tabs[{seen[tab.name.lower()]}]"
        if problem:
            yield ("tabs", t, "name"), problem
        seen.setdefault(tab.name.lower(), t)


def _check_report_tab(
    tab: ReportTab,
    where: Path,
    template: Template,
    vocab: Vocabulary,
    seen_blocks: dict[str, Path],
) -> Iterator[Problem]:
    data_blocks = {b.id: b for b in tab.blocks if not isinstance(b, ChartBlock)}
    for b, block in enumerate(tab.blocks):
        at = (*where, "blocks", b)
        if block.id in seen_blocks:
            first = render_path(seen_blocks[block.id])
            yield (*at, "id"), f"block id {block.id!r} is already used by {first}"
        seen_blocks.setdefault(block.id, at)
        if isinstance(block, ChartBlock):
            yield from _check_chart(block, at, data_blocks)
        elif isinstance(block, QualityBlock):
            if block.check != QUALITY_SUMMARY and block.check not in vocab.quality_checks:
                hint = suggest(block.check, (QUALITY_SUMMARY, *vocab.quality_checks))
                yield (*at, "check"), f"unknown quality check {block.check!r}{hint}"
        elif isinstance(block, FunnelBlock):
            allowed = _dimension_names(["deals"], template.custom_fields)
            yield from _check_names(block.filters, (*at, "filters"), "filter", allowed)
        else:
            yield from _check_metric_block(block, at, template, vocab)


def _check_metric_block(
    block: ScorecardsBlock | TableBlock | TimeseriesBlock,
    at: Path,
    template: Template,
    vocab: Vocabulary,
) -> Iterator[Problem]:
    tables: list[str] = []
    for m, metric in enumerate(block.metrics):
        if metric not in vocab.metrics:
            hint = suggest(metric, vocab.metrics)
            yield (*at, "metrics", m), f"unknown metric {metric!r}{hint}"
        else:
            tables.append(vocab.metrics[metric])
    allowed = _dimension_names(tables, template.custom_fields)
    yield from _check_names(block.filters, (*at, "filters"), "filter", allowed)
    if isinstance(block, TableBlock):
        for d, dim in enumerate(block.dimensions):
            if dim == "period":
                yield (*at, "dimensions", d), "use a timeseries block to break down by period"
            elif dim not in allowed:
                hint = suggest(dim, allowed)
                yield (*at, "dimensions", d), f"unknown dimension {dim!r}{hint}"
        if block.sort is not None:
            key = block.sort.removeprefix("-")
            choices = [*block.metrics, *block.dimensions]
            if key not in choices:
                hint = suggest(key, choices)
                yield (
                    (*at, "sort"),
                    f"sort key {key!r} is not a metric or dimension of this block{hint}",
                )


def _check_names(names: Iterable[str], at: Path, what: str, allowed: set[str]) -> Iterator[Problem]:
    for name in names:
        if name not in allowed:
            yield (*at, name), f"unknown {what} {name!r}{suggest(name, allowed)}"


def _dimension_names(tables: Iterable[str], custom_fields: Iterable[str]) -> set[str]:
    """Dimensions every one of ``tables`` can be grouped or filtered by.

    A table offers the dimensions the engine can route to it, its own columns and the template's
    declared custom fields; a block mixing tables offers only what they share.
    """
    offered: set[str] | None = None
    for table in tables:
        names = set(ROUTES.get(table, dict.fromkeys(DIMENSIONS)))
        names |= set(TABLES[table].names) if table in TABLES else set()
        offered = names if offered is None else offered & names
    return (set(DIMENSIONS) if offered is None else offered) | set(custom_fields)


def _check_chart(
    chart: ChartBlock, at: Path, data_blocks: Mapping[str, DataBlock]
) -> Iterator[Problem]:
    target = data_blocks.get(chart.block)
    if target is None:
        hint = suggest(chart.block, data_blocks)
        yield (*at, "block"), f"chart refers to {chart.block!r}, not a data block of this tab{hint}"
        return
    categories, values = block_keys(target)
    if not values:
        yield (*at, "block"), f"block {chart.block!r} lists rows and cannot be charted"
        return
    if chart.kind == "scorecard":
        if not isinstance(target, ScorecardsBlock):
            yield (*at, "kind"), "a scorecard chart must refer to a scorecards block"
        if len(chart.series) != 1:
            yield (*at, "series"), "a scorecard chart shows exactly one metric"
    elif isinstance(target, ScorecardsBlock):
        yield (*at, "kind"), "a scorecards block can only feed a scorecard chart"
    elif chart.x is None:
        yield (*at, "x"), f"x is required; choose one of: {', '.join(categories)}"
    elif chart.x not in categories:
        hint = suggest(chart.x, categories)
        yield (*at, "x"), f"x {chart.x!r} is not a category column of {chart.block!r}{hint}"
    if chart.kind == "pie" and len(chart.series) != 1:
        yield (*at, "series"), "a pie chart shows exactly one series"
    for s, key in enumerate(chart.series):
        if key not in values:
            hint = suggest(key, values)
            yield (
                (*at, "series", s),
                f"series {key!r} is not a value column of {chart.block!r}{hint}",
            )


def _check_raw_tab(tab: RawDataTab, where: Path) -> Iterator[Problem]:
    if tab.table not in TABLES:
        yield (*where, "table"), f"unknown table {tab.table!r}{suggest(tab.table, TABLE_NAMES)}"
        return
    spec = TABLES[tab.table]
    lookups = {k for k, v in LOOKUP_COLUMNS.items() if v in spec.names}
    allowed = [*spec.names, *sorted(lookups)]
    for c, column in enumerate(tab.columns or ()):
        if column not in allowed:
            hint = suggest(column, allowed)
            yield (
                (*where, "columns", c),
                f"{tab.table} has no column {column!r}{hint}; list custom fields under "
                "custom_columns",
            )
    if tab.sort is not None:
        key = tab.sort.removeprefix("-")
        if key not in spec.names:
            yield (*where, "sort"), f"{tab.table} has no column {key!r}{suggest(key, spec.names)}"


def render_path(path: Iterable[str | int]) -> str:
    """``('tabs', 2, 'blocks', 0)`` as ``tabs[2].blocks[0]``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out
