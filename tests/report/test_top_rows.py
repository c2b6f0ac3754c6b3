"""The partial sort of raw-data tabs picks exactly the rows a full stable sort puts first."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sheets_sync.report.top_rows import top_rows


def _column(kind: str, rng: np.random.Generator) -> pd.Series:
    n = int(rng.integers(0, 60))
    # Few distinct values, so ties at the cut are the common case.
    if kind == "float":
        values = pd.Series(rng.integers(0, 5, n).astype(float))
        values[rng.random(n) < 0.3] = np.nan
    elif kind == "datetime":
        values = pd.Series(pd.to_datetime(rng.integers(0, 4, n) * 10**9, utc=True))
        values[rng.random(n) < 0.3] = pd.NaT
    elif kind == "int":
        values = pd.Series(rng.integers(-3, 3, n))
    else:
        values = pd.Series(rng.random(n) < 0.5)
    return values


@pytest.mark.parametrize("kind", ["float", "datetime", "int", "bool"])
@pytest.mark.parametrize("ascending", [True, False])
def test_top_rows_match_a_stable_sort(kind, ascending) -> None:
    rng = np.random.default_rng(len(kind) + ascending)
    for _ in range(100):
        values = _column(kind, rng)
        limit = int(rng.integers(0, 70))
        expected = values.sort_values(ascending=ascending, na_position="last", kind="stable")
        got = top_rows(values, ascending, limit)
        assert got is not None
        assert got.tolist() == expected.index[:limit].tolist()


def test_text_is_left_to_an_ordinary_sort() -> None:
    assert top_rows(pd.Series(["b", "a"]), True, 1) is None
    assert top_rows(pd.Series([1, None], dtype="Int64"), True, 1) is None
