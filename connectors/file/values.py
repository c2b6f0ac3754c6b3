"""Parsers for the messy values real CRM exports contain.

Each ``parse_*`` function takes one raw cell (a string from a CSV, or a native value from an
XLSX) and returns the parsed value, ``None`` for a blank cell, or raises :class:`ValueError` for
a value that cannot be read. Column-level callers turn those errors into data issues that carry
file row numbers.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime

import pandas as pd

BLANKS = frozenset({"", "-", "--", "n/a", "na", "nan", "null", "none", "#n/a", "(blank)"})
"""Cell texts that mean "no value" in CRM exports (compared lower-cased, stripped)."""

CURRENCY_SYMBOLS = {
    "R$": "BRL",
    "US$": "USD",
    "C$": "CAD",
    "A$": "AUD",
    "$": "USD",
    "€": "EUR",
    "£": "GBP",
    "¥": "JPY",
    "₹": "INR",
    "CHF": "CHF",
}
_CODE = re.compile(r"(?<![A-Za-z])([A-Z]{3})(?![A-Za-z])")
_NUMBER_BODY = re.compile(r"^[0-9.,' \u00a0\u202f]*[0-9][0-9.,' \u00a0\u202f]*$")
_TRUE = frozenset({"true", "yes", "y", "t", "1", "x", "on"})
_FALSE = frozenset({"false", "no", "n", "f", "0", "off"})


def clean_text(raw: object) -> str | None:
    """Return ``raw`` as text with stray (including non-breaking) whitespace removed.

    Blank cells and the usual "no value" markers (``N/A``, ``null``, ``-``) return ``None``.
    """
    if raw is None or (isinstance(raw, float) and math.isnan(raw)):
        return None
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)  # XLSX ids such as 1001.0 are meant as "1001"
    text = str(raw).replace("\u00a0", " ").replace("\ufeff", "").strip()
    return None if text.lower() in BLANKS else text


def is_blank(raw: object) -> bool:
    """True when ``raw`` holds no value."""
    return clean_text(raw) is None


def split_currency(text: str) -> tuple[str, str | None]:
    """Remove a currency symbol or ISO code from ``text``; return ``(rest, ISO code or None)``."""
    code = None
    for symbol, iso in CURRENCY_SYMBOLS.items():
        if symbol in text:
            text = text.replace(symbol, " ")
            code = iso
            break
    found = _CODE.search(text)
    if found:
        code = found.group(1)
        text = text[: found.start()] + " " + text[found.end() :]
    return text.strip(), code


def infer_decimal(values: Iterable[object]) -> str:
    """Guess the decimal separator of a column of numbers written as text: ``"."`` or ``","``.

    A value holding both separators decides by the rightmost one (``1.234,50``); a lone comma
    not followed by exactly three digits (``12,5``) means a decimal comma. Otherwise ``"."``.
    """
    comma_votes = dot_votes = 0
    for raw in values:
        if not isinstance(raw, str):
            continue
        text = raw.strip()
        if "," in text and "." in text:
            if text.rfind(",") > text.rfind("."):
                comma_votes += 1
            else:
                dot_votes += 1
        elif text.count(",") == 1 and not re.search(r",\d{3}(?!\d)", text):
            comma_votes += 1
        elif text.count(".") == 1 and not re.search(r"\.\d{3}(?!\d)", text):
            dot_votes += 1
    return "," if comma_votes > dot_votes else "."


def parse_number(
    raw: object, decimal: str = ".", thousands: str | None = None, per_value: bool = False
) -> tuple[float | None, str | None]:
    """Parse a number as exports write it; return ``(value, currency code or None)``.

    Handles currency symbols and ISO codes (``$1,234.50``, ``1.234,50 EUR``), accounting
    negatives ``(1,200)``, trailing minus ``1200-``, the Unicode minus, percentages (``45%``
    gives ``0.45``) and thousands separators (``,``, ``.``, space, apostrophe). With
    ``per_value`` a value holding both ``.`` and ``,`` decides its own decimal separator (the
    rightmost), so multi-currency columns mixing ``$1,234.50`` and ``1.234,50 EUR`` read.
    """
    if isinstance(raw, bool):
        raise ValueError(f"{raw!r} is not a number")
    if isinstance(raw, int | float):
        return (None if isinstance(raw, float) and math.isnan(raw) else float(raw)), None
    text = clean_text(raw)
    if text is None:
        return None, None
    text, code = split_currency(text.replace("\u2212", "-"))
    negative = False
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1].strip()
    if text.endswith("-"):
        negative, text = True, text[:-1].strip()
    if text.startswith("-"):
        negative, text = not negative, text[1:].strip()
    elif text.startswith("+"):
        text = text[1:].strip()
    percent = text.endswith("%")
    if percent:
        text = text[:-1].strip()
    if not text or not _NUMBER_BODY.match(text):
        raise ValueError(f"{raw!r} is not a number")
    if per_value and "," in text and "." in text:
        decimal = "," if text.rfind(",") > text.rfind(".") else "."
        thousands = None
    value = float(_normalise_digits(text, decimal, thousands, raw))
    if percent:
        value /= 100
    return (-value if negative else value), code


def _normalise_digits(text: str, decimal: str, thousands: str | None, raw: object) -> str:
    """Return ``text`` with group separators removed and a ``.`` decimal point."""
    for space in (" ", "\u00a0", "\u202f", "'"):
        text = text.replace(space, "")
    groups = thousands if thousands is not None else ("." if decimal == "," else ",")
    if groups:
        parts = text.split(groups)
        # a group separator must be followed by exactly three digits: "1,23" is not 123
        if any(len(p.split(decimal)[0]) != 3 for p in parts[1:]):
            raise ValueError(f"{raw!r} has misplaced {groups!r} separators")
        text = "".join(parts)
    if text.count(decimal) > 1:
        raise ValueError(f"{raw!r} has more than one decimal separator")
    return text.replace(decimal, ".")


def parse_percent(
    raw: object, decimal: str = ".", thousands: str | None = None, per_value: bool = False
) -> float | None:
    """Parse a percentage as a fraction: ``"45%"``, ``"45"`` and ``45`` all give ``0.45``."""
    if isinstance(raw, str) and raw.strip().endswith("%"):
        return parse_number(raw, decimal, thousands, per_value)[0]
    value = parse_number(raw, decimal, thousands, per_value)[0]
    return None if value is None else value / 100


def parse_integer(
    raw: object, decimal: str = ".", thousands: str | None = None, per_value: bool = False
) -> int | None:
    """Parse a whole number (``"2,822"``, ``2822.0``); a fraction raises ``ValueError``."""
    value = parse_number(raw, decimal, thousands, per_value)[0]
    if value is None:
        return None
    if not float(value).is_integer():
        raise ValueError(f"{raw!r} is not a whole number")
    return int(value)


def parse_bool(raw: object) -> bool | None:
    """Parse yes/no, true/false, 1/0, y/n, x (ticked) as a boolean."""
    if isinstance(raw, bool):
        return raw
    text = clean_text(raw)
    if text is None:
        return None
    low = text.lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise ValueError(f"{raw!r} is not yes/no")


_ISO = re.compile(
    r"^\d{4}-\d{1,2}-\d{1,2}([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$"
)


def parse_date(
    raw: object, formats: Sequence[str] = (), dayfirst: bool = False
) -> pd.Timestamp | None:
    """Parse a date or date-time; return a ``Timestamp`` (naive unless the text has an offset).

    ``formats`` (``strftime`` patterns) are tried in order; without a match, ISO 8601 is tried,
    then a lenient parse where ``dayfirst`` decides ``03/04/2024``. XLSX cells holding real dates
    pass through. Impossible dates (``31/02/2024``) raise ``ValueError``.
    """
    if isinstance(raw, pd.Timestamp):
        return raw
    if isinstance(raw, datetime | date):
        return pd.Timestamp(raw)
    text = clean_text(raw)
    if text is None:
        return None
    for fmt in formats:
        try:
            return pd.Timestamp(datetime.strptime(text, fmt))
        except ValueError:
            continue
    if _ISO.match(text):
        return pd.Timestamp(text)
    if formats and not _looks_free_form(text):
        raise ValueError(f"{raw!r} does not match {' or '.join(formats)}")
    try:
        value = pd.to_datetime(text, dayfirst=dayfirst)
    except (ValueError, OverflowError) as err:
        raise ValueError(f"{raw!r} is not a date") from err
    if pd.isna(value):
        raise ValueError(f"{raw!r} is not a date")
    return pd.Timestamp(value)


def _looks_free_form(text: str) -> bool:
    """True for dates written with month names (``3 Jan 2024``), which formats rarely cover."""
    return bool(re.search(r"[A-Za-z]{3}", text))
