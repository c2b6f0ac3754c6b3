"""Type the values a rule produced, collecting the rows whose value cannot be read.

:func:`type_values` turns untyped cells into one canonical dtype (dates to UTC, numbers with the
file's decimal convention, booleans, text) and returns which rows held a value that could not be
read, so callers can report them with file row numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from connectors.file.mapping import FileSpec
from connectors.file.values import (
    clean_text,
    infer_decimal,
    parse_bool,
    parse_date,
    parse_integer,
    parse_number,
    parse_percent,
)
from sheets_sync.model import Kind, dtype_of

TYPE_KINDS: dict[str, Kind] = {
    "text": Kind.TEXT,
    "category": Kind.CATEGORY,
    "id": Kind.ID,
    "number": Kind.NUMBER,
    "money": Kind.MONEY,
    "percent": Kind.NUMBER,
    "integer": Kind.INTEGER,
    "date": Kind.DATETIME,
    "bool": Kind.BOOL,
}
"""The ``type:`` names a mapping may use and the canonical kind each produces."""


@dataclass
class Typed:
    """A typed column: ``values`` in the kind's dtype, ``invalid`` rows that could not be read,
    ``examples`` a few of those raw values, and ``currencies`` codes seen in money text."""

    values: pd.Series
    invalid: np.ndarray
    examples: list[str]
    currencies: pd.Series


def type_values(
    values: pd.Series,
    kind: Kind,
    options: FileSpec,
    timezone: str,
    percent: bool = False,
    formats: list[str] | None = None,
    dayfirst: bool | None = None,
    multiply: float | None = None,
) -> Typed:
    """Type ``values`` as ``kind``; unreadable values become missing and are flagged."""
    currencies = pd.Series([None] * len(values), index=values.index, dtype=object)
    parse: Callable[[object], object]
    if kind is Kind.DATETIME:
        fmts = formats or options.date_format
        first = options.dayfirst if dayfirst is None else dayfirst
        parse = lambda v: parse_date(v, fmts, first)  # noqa: E731
    elif kind in (Kind.NUMBER, Kind.MONEY, Kind.INTEGER):
        auto = options.decimal == "auto"
        decimal = infer_decimal(values) if auto else options.decimal
        thousands = options.thousands
        if percent:
            parse = lambda v: parse_percent(v, decimal, thousands, auto)  # noqa: E731
        elif kind is Kind.INTEGER:
            parse = lambda v: parse_integer(v, decimal, thousands, auto)  # noqa: E731
        else:
            parse = lambda v: parse_number(v, decimal, thousands, auto)  # noqa: E731
    elif kind is Kind.BOOL:
        parse = parse_bool
    else:
        parse = _text
    out: list[object] = []
    invalid = np.zeros(len(values), dtype=bool)
    examples: list[str] = []
    codes: list[object] = []
    for pos, value in enumerate(values):
        try:
            parsed = parse(value)
        except (ValueError, TypeError, OverflowError):
            parsed = None
            invalid[pos] = True
            if len(examples) < 3:
                examples.append(str(value))
        code = None
        if isinstance(parsed, tuple):
            parsed, code = parsed
        out.append(parsed)
        codes.append(code)
    currencies[:] = codes
    series = pd.Series(out, index=values.index, dtype=object)
    typed = _finish(series, kind, timezone)
    if multiply is not None and kind in (Kind.NUMBER, Kind.MONEY):
        typed = typed * multiply
    return Typed(typed, invalid, examples, currencies)


def _text(value: object) -> str | None:
    return clean_text(value)


def _finish(series: pd.Series, kind: Kind, timezone: str) -> pd.Series:
    """Convert parsed Python values to the dtype of ``kind``."""
    if kind is Kind.DATETIME:
        return _to_utc(series, timezone)
    if kind in (Kind.NUMBER, Kind.MONEY):
        return pd.to_numeric(series, errors="coerce").astype("float64")
    if kind is Kind.INTEGER:
        return pd.Series(pd.array(series.tolist(), dtype="Int64"), index=series.index)
    if kind is Kind.BOOL:
        return series.astype("boolean")
    if kind is Kind.CATEGORY:
        return series.astype("string").astype("category")
    return series.astype(object).where(series.notna(), None)


def _to_utc(series: pd.Series, timezone: str) -> pd.Series:
    """Naive date-times are in the mapping's time zone; aware ones keep their offset."""
    stamps = [None if v is None or pd.isna(v) else pd.Timestamp(v) for v in series]
    naive = pd.DatetimeIndex([s if s is not None and s.tzinfo is None else pd.NaT for s in stamps])
    local = naive.tz_localize(timezone, ambiguous="NaT", nonexistent="shift_forward")
    result = pd.Series(local.tz_convert("UTC"), index=series.index)
    for pos, stamp in enumerate(stamps):
        if stamp is not None and stamp.tzinfo is not None:
            result.iloc[pos] = stamp.tz_convert("UTC")
    return result.astype(dtype_of(Kind.DATETIME))
