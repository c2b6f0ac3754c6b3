"""Unit tests of the messy-value parsers."""

from __future__ import annotations

import pandas as pd
import pytest

from connectors.file.values import (
    clean_text,
    infer_decimal,
    parse_bool,
    parse_date,
    parse_integer,
    parse_number,
    parse_percent,
)


@pytest.mark.parametrize(
    ("raw", "decimal", "expected"),
    [
        ("$1,234.50", ".", (1234.5, "USD")),
        ("1.234,50 EUR", ",", (1234.5, "EUR")),
        ("(1,200)", ".", (-1200.0, None)),
        ("1200-", ".", (-1200.0, None)),
        ("\u22125", ".", (-5.0, None)),
        ("€ 1 234,5", ",", (1234.5, "EUR")),
        ("R$ 2.000", ",", (2000.0, "BRL")),
        ("  42 ", ".", (42.0, None)),
        ("12.5%", ".", (0.125, None)),
        ("1'000.25 CHF", ".", (1000.25, "CHF")),
        ("1234USD", ".", (1234.0, "USD")),
        (1054, ".", (1054.0, None)),
        ("", ".", (None, None)),
        ("N/A", ".", (None, None)),
    ],
)
def test_parse_number_reads_export_formats(raw, decimal, expected):
    assert parse_number(raw, decimal) == expected


@pytest.mark.parametrize("raw", ["abc", "1,23", "1.2.3", "12 apples", "--5x"])
def test_parse_number_rejects_malformed_values(raw):
    with pytest.raises(ValueError):
        parse_number(raw, ".")


def test_infer_decimal_votes_per_column():
    assert infer_decimal(["1.234,50", "12,5", "3"]) == ","
    assert infer_decimal(["1,234.50", "2.5"]) == "."
    assert infer_decimal(["1,234", "2,000"]) == "."  # thousands only: default stays "."


def test_parse_percent_and_integer():
    assert parse_percent("45%") == pytest.approx(0.45)
    assert parse_percent("45") == pytest.approx(0.45)
    assert parse_integer("2,822") == 2822
    assert parse_integer(2822.0) == 2822
    with pytest.raises(ValueError):
        parse_integer("2.5")


def test_parse_bool_accepts_common_spellings():
    assert [parse_bool(v) for v in ("Yes", "no", "TRUE", "0", "x", None)] == [
        True,
        False,
        True,
        False,
        True,
        None,
    ]
    with pytest.raises(ValueError):
        parse_bool("maybe")


def test_parse_date_formats_dayfirst_and_blanks():
    assert parse_date("2024-03-04") == pd.Timestamp(2024, 3, 4)
    assert parse_date("03/04/2024", dayfirst=True) == pd.Timestamp(2024, 4, 3)
    assert parse_date("03/04/2024") == pd.Timestamp(2024, 3, 4)
    assert parse_date("04.03.2024", ["%d/%m/%Y", "%d.%m.%Y"]) == pd.Timestamp(2024, 3, 4)
    assert parse_date("3 Jan 2024", ["%d/%m/%Y"]) == pd.Timestamp(2024, 1, 3)
    assert parse_date("2024-03-04T10:00:00+02:00").tzinfo is not None
    assert parse_date("  ") is None
    for bad in ("31/02/2024", "soon", "2024-13-45"):
        with pytest.raises(ValueError):
            parse_date(bad, ["%d/%m/%Y"])


def test_clean_text_strips_stray_whitespace_and_markers():
    assert clean_text("\u00a0 Acme  \ufeff") == "Acme"
    assert clean_text("null") is None
    assert clean_text(1001.0) == "1001"


def test_per_value_decimal_reads_mixed_conventions():
    assert parse_number("1.234,50 EUR", ".", per_value=True) == (1234.5, "EUR")
    assert parse_number("$1,234.50", ",", per_value=True) == (1234.5, "USD")
    with pytest.raises(ValueError):
        parse_number("1.234,50", ".")  # an explicit "." decimal stays strict
