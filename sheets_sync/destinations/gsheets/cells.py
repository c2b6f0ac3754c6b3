"""Typed cell values and number formats, as the Sheets API's ``CellData`` expects them.

Every CRM value becomes a typed ``userEnteredValue``: numbers and dates as ``numberValue`` (dates
as serial numbers, days since 1899-12-30, shown through a date format), booleans as ``boolValue``
and everything else as ``stringValue``. Text is never sent as a formula, so a deal called
``=IMPORTXML(...)`` or ``+1-555`` stays text. Text longer than the 50,000-character cell limit is
cut with a visible marker.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from sheets_sync.document import ColumnFormat, Fmt

SERIAL_EPOCH = datetime(1899, 12, 30)
TRUNCATION_MARK = " [truncated]"
_CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹"}


def hex_color(value: str) -> dict[str, float]:
    """``#RRGGBB`` as a Sheets ``Color`` (fractions of 1)."""
    value = value.lstrip("#")
    if len(value) != 6:
        raise ValueError(f"colour {value!r} is not #RRGGBB")
    red, green, blue = (int(value[i : i + 2], 16) / 255 for i in (0, 2, 4))
    return {"red": round(red, 4), "green": round(green, 4), "blue": round(blue, 4)}


def number_format(column: ColumnFormat) -> dict[str, str] | None:
    """The Sheets ``NumberFormat`` for a column, or ``None`` for text and booleans."""
    fmt = column.fmt
    if fmt is Fmt.INTEGER:
        return {"type": "NUMBER", "pattern": "#,##0"}
    if fmt is Fmt.NUMBER:
        return {"type": "NUMBER", "pattern": "#,##0.00"}
    if fmt is Fmt.DAYS:
        return {"type": "NUMBER", "pattern": "0.0"}
    if fmt is Fmt.PERCENT:
        return {"type": "PERCENT", "pattern": "0.0%"}
    if fmt is Fmt.DATE:
        return {"type": "DATE", "pattern": "yyyy-mm-dd"}
    if fmt is Fmt.DATETIME:
        return {"type": "DATE_TIME", "pattern": "yyyy-mm-dd hh:mm"}
    if fmt is Fmt.CURRENCY:
        code = (column.currency or "USD").upper()
        symbol = _CURRENCY_SYMBOLS.get(code)
        pattern = f'"{symbol}"#,##0.00' if symbol else f'#,##0.00 "{code}"'
        return {"type": "CURRENCY", "pattern": pattern}
    return None


def date_serial(value: datetime | date, timezone: str = "UTC") -> float:
    """A date or timestamp as a spreadsheet serial number in ``timezone`` (naive = as is)."""
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert(timezone).tz_localize(None)
    delta = stamp.to_pydatetime() - SERIAL_EPOCH
    return round(delta.days + delta.seconds / 86400 + delta.microseconds / 86400e6, 10)


class CellEncoder:
    """Encodes Python and pandas values as ``ExtendedValue`` dicts; counts truncated text."""

    def __init__(self, timezone: str = "UTC", max_chars: int = 50_000) -> None:
        self.timezone = timezone
        self.max_chars = max_chars
        self.truncated_cells = 0

    def value(self, value: Any) -> dict[str, Any] | None:
        """The typed value of one cell, or ``None`` for an empty cell."""
        if value is None or value is pd.NaT:
            return None
        if isinstance(value, (bool, np.bool_)):
            return {"boolValue": bool(value)}
        if isinstance(value, (datetime, date, np.datetime64)):
            if isinstance(value, np.datetime64) and np.isnat(value):
                return None
            return {"numberValue": date_serial(pd.Timestamp(value), self.timezone)}
        if isinstance(value, (int, np.integer)):
            return {"numberValue": int(value)}
        if isinstance(value, (float, np.floating, Decimal)):
            number = float(value)
            if math.isnan(number):
                return None
            if math.isinf(number):
                return {"stringValue": "∞" if number > 0 else "-∞"}
            return {"numberValue": number}
        if isinstance(value, pd.Timedelta):
            return {"numberValue": value.total_seconds() / 86400}
        return {"stringValue": self.text(str(value))}

    def text(self, text: str) -> str:
        """``text`` cut to the cell limit with a visible marker."""
        if len(text) <= self.max_chars:
            return text
        self.truncated_cells += 1
        return text[: self.max_chars - len(TRUNCATION_MARK)] + TRUNCATION_MARK
