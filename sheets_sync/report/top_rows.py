"""The first rows of a column's stable sort order, without sorting the whole column.

Raw-data tabs show a capped number of rows (the newest ones, usually) out of tables with
millions: :func:`top_rows` selects them with a partial sort (``np.partition``) and sorts only
what it selected, giving exactly the positions a stable ``sort_values(na_position="last")``
would put first.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def top_rows(values: pd.Series, ascending: bool, limit: int) -> np.ndarray | None:
    """Positions of the first ``limit`` rows of ``values`` sorted stably (missing last).

    Returns ``None`` for a dtype it does not handle (text, categories, nullable integers), so
    the caller sorts those the ordinary way.
    """
    keys = _sort_keys(values, ascending)
    if keys is None:
        return None
    key, missing = keys
    present = np.flatnonzero(~missing) if missing is not None else np.arange(len(key))
    key = key[present]
    if limit < len(key):
        # Everything strictly before the limit-th key is in; ties with it are taken in table
        # order, which is what a stable sort does.
        bound = np.partition(key, limit - 1)[limit - 1]
        picked = np.flatnonzero(key <= bound)
        key, present = key[picked], present[picked]
    order = np.lexsort((present, key))[:limit]
    chosen = present[order]
    if missing is not None and len(chosen) < limit:
        chosen = np.concatenate([chosen, np.flatnonzero(missing)[: limit - len(chosen)]])
    return chosen.astype(np.int64, copy=False)


def _sort_keys(values: pd.Series, ascending: bool) -> tuple[np.ndarray, np.ndarray | None] | None:
    """An ascending numpy key for ``values`` (order flipped when descending) and its missing
    mask, or ``None`` when the dtype has no exact numeric key here."""
    dtype = values.dtype
    if isinstance(dtype, pd.DatetimeTZDtype) or (
        isinstance(dtype, np.dtype) and dtype.kind in "mM"
    ):
        ints = values.array.asi8  # type: ignore[attr-defined]
        missing = values.isna().to_numpy()
        # Bitwise not reverses int64 order without the overflow of negating the minimum.
        return (ints if ascending else ~ints), missing
    if not isinstance(dtype, np.dtype):
        return None
    array = values.to_numpy()
    if dtype.kind == "f":
        missing = np.isnan(array)
        return (array if ascending else -array), missing
    if dtype.kind in "iu":
        ints = array.astype(np.int64) if dtype.kind == "i" else None
        if ints is None:
            return None
        return (ints if ascending else ~ints), None
    if dtype.kind == "b":
        ints = array.astype(np.int8)
        return (ints if ascending else -ints), None
    return None
