"""References (id columns other than the primary key) are categories over Arrow-backed ids."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sheets_sync.model import (
    STRING,
    TABLES,
    arrow_strings,
    as_reference,
    concat_tables,
    conform,
    empty_frame,
    isin_strings,
)


def _deals(owner_ids: list, source: str = "crm") -> pd.DataFrame:
    n = len(owner_ids)
    return pd.DataFrame(
        {
            "deal_id": [f"{source}:d{i}" for i in range(n)],
            "source": [source] * n,
            "status": ["open"] * n,
            "created_at": ["2026-01-05"] * n,
            "owner_id": owner_ids,
        }
    )


def test_only_id_columns_other_than_the_primary_key_are_references() -> None:
    deals = TABLES["deals"]
    assert deals.is_reference("owner_id") and deals.is_reference("contact_id")
    assert not deals.is_reference("deal_id")  # the primary key
    assert not deals.is_reference("name")  # text
    assert TABLES["deal_stage_history"].is_reference("deal_id")


def test_conform_stores_each_distinct_id_once() -> None:
    frame, _ = conform("deals", _deals(["crm:o1", "crm:o2", None, "crm:o1"]), "crm")
    owners = frame["owner_id"]
    assert isinstance(owners.dtype, pd.CategoricalDtype)
    assert owners.cat.categories.dtype == STRING
    assert owners.cat.categories.tolist() == ["crm:o1", "crm:o2"]
    assert owners.cat.codes.tolist() == [0, 1, -1, 0]
    assert owners.cat.codes.dtype == np.int8  # a few ids: one byte per row
    assert frame["deal_id"].dtype == STRING  # the primary key stays plain text
    assert owners.iloc[0] == "crm:o1" and pd.isna(owners.iloc[2])


def test_references_build_no_hash_table_of_python_strings() -> None:
    ids = pd.Series([f"crm:{i}" for i in range(1000)] * 3, dtype=STRING)
    reference = as_reference(ids)
    # pandas would cache a hash table of every category as a Python string.
    assert "_engine" not in reference.cat.categories._cache
    assert reference.astype(STRING).tolist() == ids.tolist()


def test_a_reference_is_kept_as_it_is() -> None:
    reference = as_reference(pd.Series(["a", "b"], dtype=STRING))
    assert as_reference(reference) is reference


def test_concat_unites_the_ids_of_every_source() -> None:
    a, _ = conform("deals", _deals(["a:o1", "a:o2", None], "a"), "a")
    b, _ = conform("deals", _deals(["b:o9", "a:o2"], "b"), "b")
    merged = concat_tables([a, empty_frame("deals"), b], "deals")
    owners = merged["owner_id"]
    assert isinstance(owners.dtype, pd.CategoricalDtype)
    assert owners.cat.categories.dtype == STRING
    assert sorted(owners.cat.categories) == ["a:o1", "a:o2", "b:o9"]
    assert owners.astype(object).where(owners.notna(), None).tolist() == [
        "a:o1",
        "a:o2",
        None,
        "b:o9",
        "a:o2",
    ]


def test_text_helpers_read_references_through_their_codes() -> None:
    reference = as_reference(pd.Series(["x", None, "y", "x"], dtype=STRING))
    assert arrow_strings(reference).to_pylist() == ["x", None, "y", "x"]
    assert isin_strings(reference, pd.Series(["x"])).tolist() == [True, False, False, True]
    candidates = as_reference(pd.Series(["y", "z"], dtype=STRING))
    plain = pd.Series(["y", "x", None], dtype=STRING)
    assert isin_strings(plain, candidates).tolist() == [True, False, False]


@pytest.mark.parametrize("values", [["a", "b"], [None, None], []])
def test_blank_and_empty_references_stack(values: list) -> None:
    frame, _ = conform("deals", _deals(values), "crm")
    merged = concat_tables([frame, frame], "deals")
    assert len(merged) == 2 * len(values)
    assert isinstance(merged["owner_id"].dtype, pd.CategoricalDtype)
