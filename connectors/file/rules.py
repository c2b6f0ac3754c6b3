"""Evaluate a mapping's column rules against one raw file, reporting what they could not resolve.

A rule yields one untyped value per row of the file (text, native XLSX values, constants or
looked-up values); :mod:`connectors.file.typing` then types them. Value-mapping misses, lookup
misses, fallbacks used and unreadable derivation inputs become :class:`DataIssue` objects with
file row numbers, so real data quirks stay visible.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from connectors.file.mapping import ColumnRule, Condition, MappingFile
from connectors.file.reading import RawFile
from connectors.file.values import clean_text, parse_integer
from sheets_sync.issues import DataIssue, Severity

MAX_ROWS = 50
"""Row numbers kept per issue (the count always covers them all)."""


def cell(value: object) -> object:
    """Normalise one raw cell: text is cleaned (blank markers become ``None``), natives kept."""
    if isinstance(value, str) or value is None or (isinstance(value, float) and np.isnan(value)):
        return clean_text(value)
    return value


@dataclass
class RuleContext:
    """What evaluating rules needs: the mapping, a file loader and where issues go."""

    mapping: MappingFile
    load: Callable[[str], RawFile]
    source: str
    table: str
    issues: list[DataIssue] = field(default_factory=list)

    def report(self, severity: Severity, message: str, column: str, rows: np.ndarray) -> None:
        """Record an issue about ``rows`` (file row numbers) of output column ``column``."""
        self.issues.append(
            DataIssue(
                severity,
                message,
                self.source,
                self.table,
                column,
                tuple(int(r) for r in rows[:MAX_ROWS]),
                len(rows),
            )
        )


def blank_mask(values: pd.Series) -> np.ndarray:
    """True where a rule produced no value."""
    return values.map(lambda v: v is None or (isinstance(v, float) and np.isnan(v))).to_numpy(bool)


def evaluate(rule: ColumnRule, raw: RawFile, name: str, ctx: RuleContext) -> pd.Series:
    """Return the untyped values ``rule`` gives for each row of ``raw`` (``None`` when blank)."""
    values = _base(rule, raw, name, ctx)
    if rule.values is not None:
        values = _map_values(rule, raw, name, values, ctx)
    if rule.when is not None:
        values = values.where(_condition(rule.when, raw, name, ctx), None)
    if rule.fallback is not None:
        missing = blank_mask(values)
        if missing.any():
            spare = evaluate(rule.fallback, raw, name, ctx)
            used = missing & ~blank_mask(spare)
            values = values.where(~used, spare)
            if used.any():
                ctx.report(
                    Severity.WARNING,
                    f"{raw.label}: {int(used.sum())} row(s) with blank {_describe(rule)} "
                    f"took the declared fallback ({_describe(rule.fallback)})",
                    name,
                    raw.rows[used],
                )
    if rule.has_default:
        values = values.where(~blank_mask(values), rule.default)
    return values


def _describe(rule: ColumnRule) -> str:
    if rule.lookup is not None:
        return f"lookup {rule.lookup}.{rule.column}"
    if rule.derive is not None:
        return f"{rule.derive}" + (f"({rule.column})" if rule.column else "")
    if "constant" in rule.model_fields_set:
        return f"constant {rule.constant!r}"
    if rule.coalesce is not None:
        return "coalesce"
    return repr(rule.column)


def _base(rule: ColumnRule, raw: RawFile, name: str, ctx: RuleContext) -> pd.Series:
    index = raw.frame.index
    if "constant" in rule.model_fields_set:
        return pd.Series([rule.constant] * len(index), index=index, dtype=object)
    if rule.lookup is not None:
        return _lookup(rule, raw, name, ctx)
    if rule.derive is not None:
        return _derive(rule, raw, name, ctx)
    if rule.coalesce is not None:
        result = pd.Series([None] * len(index), index=index, dtype=object)
        for part in rule.coalesce:
            result = result.where(~blank_mask(result), evaluate(part, raw, name, ctx))
        return result
    assert rule.column is not None  # guaranteed by ColumnRule validation
    return raw.require(rule.column, f"{ctx.table}.{name}").map(cell).astype(object)


def _keys(values: pd.Series) -> pd.Series:
    """Lookup keys compare as cleaned text, so ``1001`` (XLSX number) matches ``"1001"``."""
    return values.map(lambda v: None if (c := cell(v)) is None else str(c))


def _lookup(rule: ColumnRule, raw: RawFile, name: str, ctx: RuleContext) -> pd.Series:
    assert rule.lookup is not None and rule.on is not None and rule.column is not None
    other = ctx.load(rule.lookup)
    key_col = rule.key or rule.on
    keys = _keys(other.require(key_col, f"{ctx.table}.{name} lookup key"))
    fetched = other.require(rule.column, f"{ctx.table}.{name} lookup").map(cell)
    dup = keys.notna() & keys.duplicated()
    if dup.any():
        ctx.report(
            Severity.WARNING,
            f"{other.label}: {int(dup.sum())} duplicate {key_col!r} value(s); lookups use the "
            "first row of each",
            name,
            other.rows[dup.to_numpy()],
        )
    table = dict(zip(keys[~dup], fetched[~dup]))
    local = _keys(raw.require(rule.on, f"{ctx.table}.{name} lookup"))
    result = local.map(lambda k: table.get(k) if k is not None else None).astype(object)
    miss = (local.notna() & ~local.isin(table.keys())).to_numpy()
    if miss.any() and rule.misses != "ignore":
        severity = Severity.WARNING if rule.misses == "warn" else Severity.INFO
        for value, count in local[miss].value_counts().items():
            rows = raw.rows[(local == value).to_numpy()]
            ctx.report(
                severity,
                f"{count} row(s) of {raw.label} with {rule.on} {value!r} not found in "
                f"{other.label} (column {key_col!r})",
                name,
                rows,
            )
    return result


def _derive(rule: ColumnRule, raw: RawFile, name: str, ctx: RuleContext) -> pd.Series:
    as_of = pd.Timestamp(ctx.mapping.as_of)
    index = raw.frame.index
    if rule.derive == "as_of":
        return pd.Series([as_of] * len(index), index=index, dtype=object)
    assert rule.column is not None
    counts = raw.require(rule.column, f"{ctx.table}.{name}").map(cell)
    result: list[object] = []
    bad: list[int] = []
    shifted: dict[int, pd.Timestamp] = {}
    for pos, value in enumerate(counts):
        try:
            n = parse_integer(value)
        except ValueError:
            n = None
            bad.append(pos)
        if n is None:
            result.append(None)
        else:
            if n not in shifted:  # few distinct counts: compute each date once
                step = pd.DateOffset(months=n) if rule.derive == "months_before_as_of" else None
                shifted[n] = as_of - step if step is not None else as_of - pd.Timedelta(days=n)
            result.append(shifted[n])
    if bad:
        ctx.report(
            Severity.WARNING,
            f"{raw.label}: {len(bad)} {rule.column!r} value(s) are not whole numbers; "
            f"{rule.derive} left blank",
            name,
            raw.rows[bad],
        )
    return pd.Series(result, index=index, dtype=object)


def _map_values(
    rule: ColumnRule, raw: RawFile, name: str, values: pd.Series, ctx: RuleContext
) -> pd.Series:
    assert rule.values is not None
    table = rule.values
    texts = _keys(values)  # XLSX numbers compare as text: 1.0 matches a "1" key
    hit = texts.isin(table.keys()).to_numpy()
    mapped = texts.map(lambda t: table.get(t) if t is not None else None).astype(object)
    miss = ~hit & texts.notna().to_numpy()
    if rule.keep_unmapped:
        return mapped.where(~miss, values)
    if miss.any():
        for value, count in texts[miss].value_counts().items():
            rows = raw.rows[(texts == value).to_numpy()]
            if rule.has_default:
                message = (
                    f"{raw.label}: {count} row(s) with {_describe(rule)} {value!r} "
                    f"(not in values:) set to the default {rule.default!r}"
                )
                ctx.report(Severity.INFO, message, name, rows)
            else:
                message = (
                    f"{raw.label}: {count} row(s) with {_describe(rule)} {value!r} not in the "
                    "values mapping; left blank (add it to values: or set default:)"
                )
                ctx.report(Severity.WARNING, message, name, rows)
    return mapped


def _condition(cond: Condition, raw: RawFile, name: str, ctx: RuleContext) -> np.ndarray:
    """True on the rows where ``cond`` holds."""
    if cond.found_in is not None:
        assert cond.on is not None
        other = ctx.load(cond.found_in)
        keys = set(_keys(other.require(cond.key or cond.on, f"{ctx.table}.{name} when")).dropna())
        local = _keys(raw.require(cond.on, f"{ctx.table}.{name} when"))
        return local.isin(keys).to_numpy()
    assert cond.column is not None
    texts = _keys(raw.require(cond.column, f"{ctx.table}.{name} when"))
    if cond.equals is not None:
        return (texts == str(cond.equals)).to_numpy()
    if cond.in_ is not None:
        return texts.isin([str(v) for v in cond.in_]).to_numpy()
    present = texts.notna().to_numpy()
    return present if cond.not_blank else ~present
