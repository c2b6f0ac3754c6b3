"""Problem sentences built once per distinct combination read exactly as row-by-row text."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sheets_sync.quality import _sentences


def test_sentences_match_row_by_row_concatenation() -> None:
    entity = pd.Series(["person", "company", "person", None, "person"], index=[5, 6, 7, 8, 9])
    count = pd.Series(["2", "3", "2", "2", "4"], index=entity.index)
    source = pd.Series(["a, b", "a, b", "a, b", "a, c", np.nan], index=entity.index)
    got = _sentences("same {} in {} records of {}", entity, count, source)
    expected = "same " + entity + " in " + count + " records of " + source
    pd.testing.assert_series_equal(got, expected)
    assert got[7] == "same person in 2 records of a, b"


def test_no_rows() -> None:
    empty = pd.Series([], dtype=object)
    assert _sentences("{} {}", empty, empty).empty
