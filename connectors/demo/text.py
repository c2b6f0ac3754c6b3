"""Text columns of the demo company, built in Arrow without a Python string per row.

Builders keep their vocabulary (first names, company words, legal suffixes...) as small Arrow
arrays and make per-row text from them with Arrow compute: ``pool.take(codes)`` picks, :func:`join`
concatenates, :func:`choose` and :func:`scatter` select. Millions of Python strings would cost
several times the memory of the text and leave the heap fragmented after they are freed.
All arrays are Arrow large strings, the type of :data:`sheets_sync.model.STRING` columns, so the
final frames wrap them as they are (:func:`sheets_sync.model.string_array`).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

TEXT = pa.large_string()


def pool(values: Iterable[str]) -> pa.Array:
    """A vocabulary as Arrow text, to pick from by code with ``take``."""
    return pa.array(list(values), type=TEXT)


def blank(n: int) -> pa.Array:
    """``n`` empty strings."""
    return pa.repeat(pa.scalar("", TEXT), n)


def join(*parts: pa.Array | str) -> pa.Array:
    """The row-wise concatenation of ``parts``; a ``str`` part is the same in every row."""
    values = [pa.scalar(p, TEXT) if isinstance(p, str) else p for p in parts]
    return pc.binary_join_element_wise(*values, pa.scalar("", TEXT))


def number_text(numbers: np.ndarray) -> pa.Array:
    """Integers in decimal, as ``str(number)`` writes them."""
    return pc.cast(pa.array(numbers, type=pa.int64()), TEXT)


def choose(which: np.ndarray, options: list[pa.Array]) -> pa.Array:
    """Row ``i`` of ``options[which[i]]`` for every row (``numpy.choose`` for text)."""
    n = len(which)
    stacked = pa.concat_arrays(options)
    return stacked.take(np.asarray(which, dtype=np.int64) * n + np.arange(n))


def scatter(values: pa.Array, rows: np.ndarray, new: pa.Array) -> pa.Array:
    """``values`` with row ``rows[i]`` replaced by ``new[i]`` (``rows`` distinct, any order)."""
    if len(rows) == 0:
        return values
    mask = np.zeros(len(values), dtype=bool)
    mask[rows] = True
    return pc.replace_with_mask(values, pa.array(mask), new.take(np.argsort(rows)))
