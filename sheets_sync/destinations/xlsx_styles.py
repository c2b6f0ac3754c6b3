"""Number formats and theme-derived cell styles for the local .xlsx workbook.

Every style a managed cell can carry is built once per write from the :class:`Theme` and kept in a
:class:`StyleKit`; the writers then stamp prepared template cells rather than building fonts and
fills per cell, which is what keeps a 200k-row tab fast.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from openpyxl.styles import Alignment, Font, PatternFill

from sheets_sync.document import ColumnFormat, Fmt, Theme
from sheets_sync.errors import DestinationError

CURRENCY_SYMBOLS = {
    "USD": "$",
    "EUR": "€",
    "GBP": "£",
    "JPY": "¥",
    "CNY": "¥",
    "INR": "₹",
    "KRW": "₩",
    "BRL": "R$",
    "AUD": "A$",
    "CAD": "C$",
}
"""Currencies shown with their symbol in front; any other code is shown after the amount."""

ZERO_DECIMAL_CURRENCIES = frozenset({"JPY", "KRW"})

NUMBER_FORMATS = {
    Fmt.INTEGER: "#,##0",
    Fmt.NUMBER: "#,##0.00",
    Fmt.PERCENT: "0.0%",
    Fmt.DAYS: "0.0",
    Fmt.DATE: "yyyy-mm-dd",
    Fmt.DATETIME: "yyyy-mm-dd hh:mm",
    Fmt.BOOL: "General",
    Fmt.TEXT: "@",
}

_HEX_COLOUR = re.compile(r"^#?([0-9A-Fa-f]{6})$")


def currency_format(code: str | None) -> str:
    """The Excel number format of an amount in ISO 4217 ``code`` (plain number when unknown)."""
    if not code:
        return NUMBER_FORMATS[Fmt.NUMBER]
    code = code.upper()
    digits = "#,##0" if code in ZERO_DECIMAL_CURRENCIES else "#,##0.00"
    symbol = CURRENCY_SYMBOLS.get(code)
    if symbol is not None:
        return f'"{symbol}"{digits}'
    return f'{digits} "{code}"'


def number_format(column_format: ColumnFormat) -> str:
    """The Excel number format for a :class:`ColumnFormat`."""
    if column_format.fmt is Fmt.CURRENCY:
        return currency_format(column_format.currency)
    return NUMBER_FORMATS[column_format.fmt]


def argb(colour: str, field: str) -> str:
    """``#RRGGBB`` as openpyxl's ``FFRRGGBB``; a bad value is a clear theme error."""
    match = _HEX_COLOUR.match(colour.strip()) if isinstance(colour, str) else None
    if match is None:
        raise DestinationError(
            f"theme {field} {colour!r} is not a colour; use the form #RRGGBB, e.g. #1F3A5F"
        )
    return "FF" + match.group(1).upper()


@dataclass(frozen=True)
class StyleKit:
    """Fonts, fills and alignments derived from one :class:`Theme`."""

    theme: Theme
    primary: str
    accent: str
    header_text: str
    good: str
    bad: str

    @classmethod
    def from_theme(cls, theme: Theme) -> StyleKit:
        """Validate the theme's colours and build the kit."""
        return cls(
            theme=theme,
            primary=argb(theme.primary_color, "primary_color"),
            accent=argb(theme.accent_color, "accent_color"),
            header_text=argb(theme.header_text_color, "header_text_color"),
            good=argb(theme.good_color, "good_color"),
            bad=argb(theme.bad_color, "bad_color"),
        )

    def font(self, *, size_delta: int = 0, **kwargs: object) -> Font:
        """The theme font, optionally bigger and with extra attributes (bold, colour...)."""
        return Font(name=self.theme.font, size=self.theme.font_size + size_delta, **kwargs)

    @property
    def body_font(self) -> Font:
        return self.font()

    @property
    def title_font(self) -> Font:
        return self.font(size_delta=6, bold=True, color=self.header_text)

    @property
    def subtitle_font(self) -> Font:
        return self.font(size_delta=1, italic=True, color=self.header_text)

    @property
    def band_fill(self) -> PatternFill:
        return PatternFill(fill_type="solid", start_color=self.primary, end_color=self.primary)

    @property
    def header_font(self) -> Font:
        return self.font(bold=True, color=self.header_text)

    @property
    def header_fill(self) -> PatternFill:
        return self.band_fill

    @property
    def table_title_font(self) -> Font:
        return self.font(size_delta=2, bold=True, color=self.primary)

    @property
    def note_font(self) -> Font:
        return self.font(italic=True, color="FF666666")

    @property
    def scorecard_value_font(self) -> Font:
        return self.font(size_delta=6, bold=True, color=self.primary)

    @property
    def scorecard_label_font(self) -> Font:
        return self.font(size_delta=1, bold=True)

    @property
    def header_alignment(self) -> Alignment:
        return Alignment(vertical="center", wrap_text=False)

    @property
    def band_alignment(self) -> Alignment:
        return Alignment(vertical="center", horizontal="left")
