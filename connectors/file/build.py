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

from connectors.file.coerce import TYPE_KINDS, Typed, type_values
from connectors.file.mapping import ColumnRule, FileSpec, TableMapping
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
    """Build the rows one file contributes; return them with their file labels and rows."""
    tspec = spec(table)
    options = ctx.mapping.file_options(raw.file_id)
    columns: dict[str, pd.Series] = {}
    exclude = np.zeros(len(raw.frame), dtype=bool)
    currencies = pd.Series([None] * len(raw.frame), index=raw.frame.index, dtype=object)
    for name, rule in {**tmap.columns, **tmap.custom}.items():
        typed, excluded = _column(table, name, rule, raw, options, ctx)
        exclude |= excluded
        if name in tspec.names and tspec.column(name).kind is Kind.MONEY:
            currencies = currencies.where(currencies.notna(), typed.currencies)
        columns[name] = typed.values
    frame = pd.DataFrame(columns, index=raw.frame.index)
    if "currency" in tspec.names and currencies.notna().any():
        _merge_currency(frame, currencies, raw, ctx)
    keep = ~exclude
    return (
        frame[keep].reset_index(drop=True),
        np.array([raw.label] * int(keep.sum()), dtype=object),
        raw.rows[keep],
    )


def _column(
    table: str, name: str, rule: ColumnRule, raw: RawFile, options: FileSpec, ctx: RuleContext
) -> tuple[Typed, np.ndarray]:
    """Evaluate and type one output column, reporting unreadable and blank values.

    Returns the typed column (ids namespaced) and the rows to exclude: blank or unreadable
    values of a column whose ``blank`` policy is ``exclude``.
    """
    tspec = spec(table)
    kind, percent = _kind(table, name, rule)
    values = evaluate(rule, raw, name, ctx)
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
            typed.examples.extend(sorted({str(v) for v in series[bad]})[:3])
            invalid |= bad
            series = series.where(~bad)
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
    blank = rule.blank or ("exclude" if name in tspec.required else "ok")
    excluded = np.zeros(len(series), dtype=bool)
    if blank == "exclude" and missing.any():
        ctx.report(
            Severity.WARNING,
            f"{raw.label}: {int(missing.sum())} row(s) excluded because {name} "
            f"({_source_name(rule)}) is blank or invalid",
            name,
            raw.rows[missing],
        )
        excluded = missing
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
    return Typed(series, invalid, typed.examples, typed.currencies), excluded


def _merge_currency(frame: pd.DataFrame, found: pd.Series, raw: RawFile, ctx: RuleContext) -> None:
    """Fill ``currency`` from codes written in money cells; the cell's own code wins a conflict."""
    if "currency" not in frame.columns:
        frame["currency"] = found
        return
    mapped = frame["currency"].astype(object).where(frame["currency"].notna(), None)
    conflict = (mapped.notna() & found.notna() & (mapped != found)).to_numpy()
    if conflict.any():
        pairs = sorted({f"{m} -> {f}" for m, f in zip(mapped[conflict], found[conflict])})
        ctx.report(
            Severity.WARNING,
            f"{raw.label}: {int(conflict.sum())} money value(s) carry a currency other than the "
            f"mapped one ({', '.join(pairs[:3])}); the currency written in the cell is used",
            "currency",
            raw.rows[conflict],
        )
    frame["currency"] = found.where(found.notna(), mapped)


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
