"""The engine's cached dimension codes use the narrowest integer type that fits."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sheets_sync.metrics.engine import run_query
from sheets_sync.metrics.query import Query
from sheets_sync.metrics.tables import encode, metric_table, narrow
from tests.metrics.frames import MARCH, dataset, deal


@pytest.mark.parametrize(
    ("labels", "dtype"),
    [(0, np.int8), (126, np.int8), (127, np.int16), (32766, np.int16), (32767, np.int32)],
)
def test_codes_plus_one_always_fits(labels: int, dtype: type) -> None:
    codes = narrow(np.array([-1, max(labels - 1, 0)], dtype=np.int64), labels)
    assert codes.dtype == dtype
    assert (codes + 1).max() == max(labels, 1)  # group slots shift codes by one


def test_category_codes_are_lent_read_only_without_a_copy() -> None:
    column = pd.Series(pd.Categorical(["b", "a", None, "b"]))
    codes = encode(column)
    assert codes.codes.dtype == np.int8
    assert np.shares_memory(codes.codes, column.cat.codes.to_numpy())
    assert not codes.codes.flags.writeable
    assert codes.codes.tolist() == [1, 0, -1, 1] and list(codes.labels) == ["a", "b"]


def test_grouping_by_many_labels_counts_each_one() -> None:
    # 130 owners: one-byte codes would overflow when shifted by one for the missing slot.
    owners = [{"owner_id": f"t:o{i}", "source": "t", "name": f"Rep {i:03d}"} for i in range(130)]
    deals = [
        deal(i, "won", "2024-03-02", "2024-03-05", owner_id=f"t:o{i % 130}") for i in range(260)
    ]
    data = dataset(deals=deals, owners=owners)
    assert metric_table(data, "deals").dimension("owner").codes.dtype == np.int16
    result = run_query(data, Query(("won_deals",), dimensions=("owner",), date_range=MARCH))
    assert len(result) == 130
    assert set(result["won_deals"]) == {2.0}
