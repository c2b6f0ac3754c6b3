"""Build one canonical table from its mapped file(s).

For each file the table reads, every column rule is evaluated and typed; rows whose required
value is blank or unreadable are excluded and reported with file row numbers, later duplicates of
the primary key are excluded and reported, ids are namespaced, and the parts are unioned and
passed through :func:`sheets_sync.model.conform`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from connectors.file.coerce import TYPE_KINDS, type_values
from connectors.file.mapping import ColumnRule, TableMapping
from connectors.file.reading import RawFile
from connectors.file.rules import RuleContext, blank_mask, evaluate
from sheets_sync.issues import Severity
from sheets_sync.model import Kind, conform, namespaced, spec


@dataclass
class BuiltTable:
    """A conformed canonical table plus, per row, the file label and file row it came from."""

    frame: pd.DataFrame
    files: pd.Series
    rows: pd.Series


def build_table(table: str, tmap: TableMapping, ctx: RuleContext) -> BuiltTable:
    """Build canonical ``table`` from ``tmap``; issues go to ``ctx.issues``."""
    parts = [_build_part(table, tmap, ctx.load(file_id), ctx) for file_id in tmap.from_]
    frame = pd.concat([p[0] for p in parts], ignore_index=True) if parts else pd.DataFrame()
    labels = pd.Series(np.concatenate([p[1] for p in parts]), dtype=object)
    rows = pd.Series(np.concatenate([p[2] for p in parts]).astype(int))
    keep = _drop_duplicate_keys(table, frame, labels, rows, ctx)
    frame, labels, rows = (
        frame[keep].reset_index(drop=True),
        labels[keep].reset_index(drop=True),
        rows[keep].reset_index(drop=True),
    )
    frame.insert(1, "source", ctx.source)
    conformed, issues = conform(table, frame, ctx.source)
    # conform reports canonical columns the mapping leaves out as info; keep those
    ctx.issues.extend(issues)
    return BuiltTable(conformed, labels, rows)


def _kind(table: str, name: str, rule: ColumnRule) -> tuple[Kind, bool]:
    """The kind a column is typed as, and whether it reads percentages."""
    if rule.type is not None:
        return TYPE_KINDS[rule.type], rule.type == "percent"
    try:
        return spec(table).column(name).kind, False
    except KeyError:
        return Kind.TEXT, False  # custom fields are text unless a type is given


def _build_part(
    table: str, tmap: TableMapping, raw: RawFile, ctx: RuleContext
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    tspec = spec(table)
    options = ctx.mapping.file_options(raw.file_id)
    columns: dict[str, pd.Series] = {}
    exclude = np.zeros(len(raw.frame), dtype=bool)
    currencies = None
    rules = {**tmap.columns, **tmap.custom}
    for name, rule in rules.items():
        values = evaluate(rule, raw, name, ctx)
        kind, percent = _kind(table, name, rule)
        typed = type_values(
            values,
            kind,
            options,
            ctx.mapping.timezone,
            percent,
            rule.format,
            rule.dayfirst,
            rule.multiply,
        )
        series, invalid = typed.values, typed.invalid
        allowed = tspec.column(name).allowed if name in tspec.names else ()
        if allowed:
            bad = series.notna().to_numpy() & ~series.astype("string").isin(allowed).to_numpy()
            if bad.any():
                shown = sorted({str(v) for v in series[bad]})[:3]
                typed.examples.extend(shown)
                invalid |= bad
                series = series.where(~bad)
        required = name in tspec.required
        blank = rule.blank or ("exclude" if required else "ok")
        if invalid.any():
            what = f"could not be read as {rule.type or kind}" + (
                f" (allowed: {', '.join(allowed)})" if allowed else ""
            )
            ctx.report(
                Severity.WARNING,
                f"{raw.label}: {int(invalid.sum())} value(s) of {_source_name(rule)} {what}, "
                f"e.g. {', '.join(repr(e) for e in typed.examples[:3])}; left blank",
                name,
                raw.rows[invalid],
            )
        missing = series.isna().to_numpy()
        if blank == "exclude" and missing.any():
            ctx.report(
                Severity.WARNING,
                f"{raw.label}: {int(missing.sum())} row(s) excluded because {name} "
                f"({_source_name(rule)}) is blank or invalid",
                name,
                raw.rows[missing],
            )
            exclude |= missing
        elif blank == "warn" and (missing & ~invalid).any():
            only_blank = missing & ~invalid
            ctx.report(
                Severity.WARNING,
                f"{raw.label}: {int(only_blank.sum())} row(s) with blank {_source_name(rule)}",
                name,
                raw.rows[only_blank],
            )
        if kind is Kind.ID:
            series = namespaced(ctx.source, series)
        if kind is Kind.MONEY and name in tspec.names:
            currencies = (
                typed.currencies if currencies is None else currencies.fillna(typed.currencies)
            )
        columns[name] = series
    frame = pd.DataFrame(columns, index=raw.frame.index)
    if currencies is not None and "currency" in tspec.names:
        found = currencies.where(currencies.notna(), None)
        if "currency" not in frame.columns:
            frame["currency"] = found
        else:
            frame["currency"] = (
                frame["currency"].astype(object).where(frame["currency"].notna(), found)
            )
    keep = ~exclude
    return (
        frame[keep].reset_index(drop=True),
        np.array([raw.label] * int(keep.sum()), dtype=object),
        raw.rows[keep],
    )


def _source_name(rule: ColumnRule) -> str:
    """How a user recognises the input of a rule in a message."""
    if rule.lookup is not None:
        return f"{rule.lookup}.{rule.column} (lookup on {rule.on})"
    if rule.derive is not None:
        return rule.derive
    if (
        rule.column is not None
        and rule.coalesce is None
        and "constant" not in rule.model_fields_set
    ):
        return repr(rule.column)
    return "the mapped value"


def _drop_duplicate_keys(
    table: str, frame: pd.DataFrame, labels: pd.Series, rows: pd.Series, ctx: RuleContext
) -> np.ndarray:
    """Keep the first row of each primary key; report the others with their file rows."""
    key = spec(table).primary_key
    if key not in frame.columns or frame.empty:
        return np.ones(len(frame), dtype=bool)
    dup = frame[key].duplicated(keep="first").to_numpy() & ~blank_mask(frame[key].astype(object))
    if dup.any():
        for label in pd.unique(labels[dup]):
            mine = dup & (labels == label).to_numpy()
            ctx.report(
                Severity.WARNING,
                f"{label}: {int(mine.sum())} row(s) repeat an earlier {key} and were excluded "
                "(the first row of each id is kept)",
                key,
                rows[mine].to_numpy(),
            )
    return ~dup
