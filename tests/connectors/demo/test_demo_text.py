"""The demo company's text is Arrow from the start, and reads as it always did."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from connectors.demo import generate_universe, text
from connectors.demo.companies import company_names
from connectors.demo.org import _letters, unique_people
from sheets_sync.model import STRING

AS_OF = date(2026, 11, 28)
TEXT_COLUMNS = {
    "owners": ("name", "email", "title"),
    "accounts": ("name", "domain"),
    "deals": ("name",),
    "leads": ("name", "email", "company"),
}
# Values generated before the text was built in Arrow (seed 7, as of AS_OF): every way a name,
# domain or address is made, down to the typing of shared contacts and numbered addresses.
GOLDEN = {
    (300, "owners", 0, "name"): "Emma Costa",
    (300, "owners", 0, "email"): "emma.costa@northbeam.io",
    (300, "owners", 0, "manager"): "Sofia Young",
    (300, "owners", 1, "manager"): "Emma Costa",
    (300, "owners", 1, "title"): "Account Executive",
    (300, "accounts", 0, "name"): "Novadale Analytics International",
    (300, "accounts", 56, "domain"): "DELTABROOKCONSULTING.CO.JP",
    (300, "accounts", 57, "domain"): "www.ironpeakenergy.co.jp",
    (300, "deals", 0, "name"): "Novadale Analytics International - Professional",
    (300, "leads", 31, "email"): "Nina.patel@quantumpeakpartnersltd.com",
    (300, "leads", 52, "email"): " paul.moore@aurorawindcapitalinc.de ",
    (300, "leads", 54, "email"): "priya@gmail.com",
    (300, "leads", 54, "company"): "Quantummark Bio Global",
    (300, "leads", 108, "email"): "MLOPEZ@CORALWORKSENERGY.COM",
    (300, "leads", 108, "name"): "Michael Lopez",
    (5000, "leads", 2981, "email"): "barbara2981@yahoo.com",
    (5000, "leads", 4074, "email"): "sofia4074@yahoo.com",
    (5000, "owners", 85, "title"): "Customer Success Manager",
}


@pytest.fixture(scope="module")
def universes() -> dict[int, dict[str, pd.DataFrame]]:
    return {size: generate_universe(size, 7, AS_OF) for size in (300, 5000)}


def test_text_columns_are_arrow_strings_from_generation(universes):
    for name, frame in universes[300].items():
        assert not any(frame[c].dtype == object for c in frame.columns), name
        for column in TEXT_COLUMNS.get(name, ()):
            assert frame[column].dtype == STRING, (name, column)
            assert pa.types.is_large_string(frame[column].array._pa_array.type), (name, column)
    assert universes[300]["owners"]["manager"].cat.categories.dtype == object


@pytest.mark.parametrize(("size", "table", "row", "column"), list(GOLDEN))
def test_known_text_is_unchanged(universes, size, table, row, column):
    assert universes[size][table].at[row, column] == GOLDEN[(size, table, row, column)]


def test_middle_initials_and_company_numbers_past_the_pools():
    people = unique_people(np.random.default_rng(3), 6500).to_pylist()
    assert [people[i] for i in (7, 20, 33)] == [
        "Daniel A. Smith",
        "Daniel A. Brown",
        "Barbara A. Williams",
    ]
    names, stems = company_names(np.random.default_rng(4), 200_000)
    assert [names[i].as_py() for i in (6, 27)] == [
        "Northhaven Health 2",
        "Bluestone Robotics Holdings 2",
    ]
    assert stems[6].as_py() == "northhavenhealth2"


def test_spreadsheet_letters():
    letters = _letters(np.array([0, 1, 26, 27, 52, 702, 703])).to_pylist()
    assert letters == ["", "A", "Z", "AA", "AZ", "ZZ", "AAA"]


def test_text_helpers():
    first = text.pool(["a", "b", "c"])
    joined = text.join(first, "-", text.number_text(np.array([1, 22, 333])))
    assert joined.to_pylist() == ["a-1", "b-22", "c-333"]
    assert joined.type == text.TEXT
    upper = text.pool(["A", "B", "C"])
    assert text.choose(np.array([1, 0, 1]), [first, upper]).to_pylist() == ["A", "b", "C"]
    scattered = text.scatter(first, np.array([2, 0]), text.pool(["z", "x"]))
    assert scattered.to_pylist() == ["x", "b", "z"]
    assert text.scatter(first, np.array([], dtype=np.int64), text.blank(0)) is first
