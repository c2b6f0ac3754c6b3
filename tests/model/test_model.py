"""The canonical model: typing, validation messages, blank columns and unions."""

from __future__ import annotations

import pandas as pd
import pytest

from sheets_sync.errors import SchemaError
from sheets_sync.issues import Severity
from sheets_sync.model import (
    TABLES,
    Kind,
    column_dtype,
    concat_tables,
    conform,
    empty_frame,
    namespaced,
)


def _deals(**extra) -> pd.DataFrame:
    base = {
        "deal_id": ["crm:1", "crm:2", "crm:3"],
        "source": "crm",
        "status": ["won", "open", "lost"],
        "created_at": ["2026-01-05", "2026-01-06T10:00:00+02:00", "2026-01-07"],
    }
    return pd.DataFrame({**base, **extra})


def test_conform_types_every_column() -> None:
    frame, issues = conform("deals", _deals(amount=["1000", "12.5", None]), "crm")
    for col in TABLES["deals"].columns:
        assert str(frame[col.name].dtype) == column_dtype("deals", col), col.name
    assert frame["created_at"].iloc[1] == pd.Timestamp("2026-01-06T08:00:00Z")
    assert frame["amount"].tolist()[:2] == [1000.0, 12.5]
    not_provided = {i.column for i in issues if i.message == "column not provided"}
    assert "probability" in not_provided and "amount" not in not_provided


def test_missing_required_column_names_source_table_and_column() -> None:
    with pytest.raises(SchemaError, match=r"crm/deals: missing required column\(s\) created_at"):
        conform("deals", _deals().drop(columns="created_at"), "crm")


def test_blank_required_value_names_the_rows() -> None:
    frame = _deals()
    frame.loc[1, "created_at"] = "not a date"
    with pytest.raises(SchemaError, match=r"crm/deals.created_at: 1 blank or invalid .*rows 1"):
        conform("deals", frame, "crm")


def test_unreadable_optional_values_are_reported_not_dropped() -> None:
    frame, issues = conform("deals", _deals(probability=["0.5", "lots", ""]), "crm")
    assert len(frame) == 3
    warning = next(i for i in issues if i.severity is Severity.WARNING)
    assert (warning.column, warning.rows, warning.count) == ("probability", (1,), 1)
    assert "could not be read as number" in warning.describe()


def test_allowed_values_are_enforced() -> None:
    frame = _deals()
    frame.loc[0, "status"] = "maybe"
    with pytest.raises(SchemaError, match="status"):
        conform("deals", frame, "crm")
    acts = pd.DataFrame(
        {
            "activity_id": ["crm:a", "crm:b"],
            "source": "crm",
            "type": ["call", "call"],
            "occurred_at": ["2026-01-01", "2026-01-02"],
            "completed": ["yes", "perhaps"],
        }
    )
    typed, issues = conform("activities", acts, "crm")
    assert typed["completed"].tolist() == [True, pd.NA]
    assert any(i.column == "completed" and i.rows == (1,) for i in issues)


def test_custom_columns_are_kept_after_the_canonical_ones() -> None:
    frame, _ = conform("deals", _deals(tier__c=["Gold", "Silver", None]), "crm")
    assert list(frame.columns)[-1] == "tier__c"
    assert frame.columns.tolist()[: len(TABLES["deals"].columns)] == TABLES["deals"].names


def test_namespaced_keeps_missing_ids_missing() -> None:
    ids = namespaced("sf", pd.Series(["1", None, 3]))
    assert ids.iloc[0] == "sf:1" and pd.isna(ids.iloc[1]) and ids.iloc[2] == "sf:3"


def test_empty_frames_are_typed() -> None:
    for name, spec in TABLES.items():
        frame = empty_frame(name)
        assert frame.columns.tolist() == spec.names
        assert all(
            str(frame[c.name].dtype) == column_dtype(name, c)
            for c in spec.columns
            if c.kind is not Kind.CATEGORY
        )


def test_concat_merges_categories_and_fills_missing_columns() -> None:
    a, _ = conform("deals", _deals(source="a"), "a")
    b, _ = conform(
        "deals", _deals(source="b", stage=["Won", "Open", "Lost"], amount=[1.0, 2.0, 3.0]), "b"
    )
    b["deal_id"] = ["b:1", "b:2", "b:3"]
    b["custom"] = ["x", "y", "z"]
    merged = concat_tables([a, empty_frame("deals"), b], "deals")
    assert len(merged) == 6
    assert isinstance(merged["stage"].dtype, pd.CategoricalDtype)
    assert merged["stage"].tolist()[3:] == ["Won", "Open", "Lost"]
    assert merged["stage"].isna().sum() == 3
    assert merged["amount"].tolist()[3:] == [1.0, 2.0, 3.0]
    assert merged["custom"].tolist() == [None, None, None, "x", "y", "z"]
    assert set(merged["source"].cat.categories) == {"a", "b"}
    assert str(merged["created_at"].dtype) == "datetime64[ns, UTC]"


def test_concat_of_nothing_is_an_empty_typed_table() -> None:
    assert concat_tables([], "spend").columns.tolist() == TABLES["spend"].names
