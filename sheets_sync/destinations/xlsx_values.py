"""Turn a table's columns into typed Python values an .xlsx cell can hold.

Numbers stay numbers, booleans stay booleans, tz-aware timestamps become naive datetimes in the
workbook's time zone (Excel has no time zones), missing values (None, NaN, NaT, pd.NA) become
empty cells and everything else becomes text. Text is cleaned of the control characters the XML
format cannot carry and cut to Excel's 32,767-character cell limit.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from sheets_sync.document import ColumnFormat, Fmt

EXCEL_MAX_CELL_CHARS = 32_767


def clean_text(text: str) -> str:
    """Text an .xlsx cell can store: no XML-illegal control characters, at most 32,767 chars."""
    if ILLEGAL_CHARACTERS_RE.search(text):
        text = ILLEGAL_CHARACTERS_RE.sub("", text)
    return text[:EXCEL_MAX_CELL_CHARS]


def column_values(series: pd.Series, fmt: Fmt, timezone: str) -> list[Any]:
    """The cell values of one column (``None`` for an empty cell), vectorised where possible."""
    dtype = series.dtype
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return _datetime_values(series, fmt, timezone)
    if pd.api.types.is_bool_dtype(dtype) and not series.hasnans:
        return [bool(v) for v in series.tolist()]
    if pd.api.types.is_integer_dtype(dtype) and not isinstance(
        dtype, pd.api.extensions.ExtensionDtype
    ):
        return series.tolist()
    if pd.api.types.is_float_dtype(dtype) and not isinstance(
        dtype, pd.api.extensions.ExtensionDtype
    ):
        values = series.to_numpy()
        finite = np.isfinite(values)
        return [v if ok else None for v, ok in zip(values.tolist(), finite.tolist())]
    return [cell_value(v, fmt, timezone) for v in series.tolist()]


def _datetime_values(series: pd.Series, fmt: Fmt, timezone: str) -> list[Any]:
    if series.dt.tz is not None:
        series = series.dt.tz_convert(timezone).dt.tz_localize(None)
    if fmt is Fmt.DATE:
        return [None if pd.isna(v) else v.date() for v in series.tolist()]
    return [None if pd.isna(v) else v.to_pydatetime() for v in series.tolist()]


def cell_value(value: Any, fmt: Fmt, timezone: str) -> Any:
    """One value as a number, bool, naive datetime/date, text, or ``None`` for an empty cell."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real | Decimal):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, dt.datetime):
        return _naive_local(pd.Timestamp(value), fmt, timezone)
    if isinstance(value, dt.date):
        return value
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else _naive_local(pd.Timestamp(value), fmt, timezone)
    return clean_text(str(value))


def _naive_local(stamp: pd.Timestamp, fmt: Fmt, timezone: str) -> dt.datetime | dt.date:
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert(timezone).tz_localize(None)
    if fmt is Fmt.DATE:
        return stamp.date()
    return stamp.to_pydatetime()


def display_width(value: Any, fmt: ColumnFormat) -> int:
    """Roughly how many characters ``value`` takes once formatted (for fitting column widths)."""
    if value is None:
        return 0
    if isinstance(value, bool):
        return 5
    if isinstance(value, dt.datetime):
        return 10 if fmt.fmt is Fmt.DATE else 16
    if isinstance(value, dt.date):
        return 10
    if isinstance(value, int | float):
        if fmt.fmt is Fmt.PERCENT:
            return len(f"{value * 100:.1f}%")
        if fmt.fmt in (Fmt.NUMBER, Fmt.CURRENCY):
            return len(f"{value:,.2f}") + (4 if fmt.fmt is Fmt.CURRENCY else 0)
        if fmt.fmt is Fmt.INTEGER:
            return len(f"{value:,.0f}")
        return len(f"{value:.1f}") if fmt.fmt is Fmt.DAYS else len(str(value))
    return max((len(line) for line in str(value).splitlines()), default=0)
