"""Id lookups used by joins: the first matching row, -1 when missing, however keys are laid out."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sheets_sync.metrics.tables import first_rows
from sheets_sync.model import STRING, as_reference


def test_grouped_keys_are_looked_up_once_per_run_with_the_same_result() -> None:
    target = pd.Series(["a", "b", "c"])
    keys = pd.Series(["b", "b", "b", "a", None, None, "zz", "c", "c", np.nan])
    assert first_rows(target, keys).tolist() == [1, 1, 1, 0, -1, -1, -1, 2, 2, -1]


def test_duplicated_or_missing_target_ids_use_the_first_row() -> None:
    target = pd.Series(["a", None, "b", "a"])
    keys = pd.Series(["a", "b", None, "a"])
    assert first_rows(target, keys).tolist() == [0, 2, -1, 0]


def test_keys_without_truth_value_still_match() -> None:
    target = pd.Series(["a", "b"])
    keys = pd.Series(["b", pd.NA, "b"], dtype=object)
    assert first_rows(target, keys).tolist() == [1, -1, 1]


def test_empty_sides() -> None:
    assert first_rows(pd.Series([], dtype=object), pd.Series(["a"])).tolist() == [-1]
    assert first_rows(pd.Series(["a"]), pd.Series([], dtype=object)).tolist() == []


def test_reference_keys_are_looked_up_once_per_distinct_id() -> None:
    target = pd.Series(["a", "b", "c"], dtype=STRING)
    keys = as_reference(pd.Series(["c", None, "a", "zz", "c"], dtype=STRING))
    found = first_rows(target, keys)
    assert found.tolist() == [2, -1, 0, -1, 2]
    assert found.dtype == np.int32  # row positions of the cached joins are 32-bit
