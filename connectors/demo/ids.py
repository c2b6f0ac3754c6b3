"""Vendor-shaped ids for demo rows, namespaced by source.

Salesforce ids look like the real thing: an object prefix (``006`` opportunities, ``00Q`` leads,
``001`` accounts...) followed by 15 characters, 18 in all. HubSpot ids are numbers in per-object
ranges. Spend lines are identified by their row in the spend sheet.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from sheets_sync.model import arrow_strings, namespaced, string_array

SF_PREFIX = {
    "deals": "006",
    "deal_stage_history": "008",
    "leads": "00Q",
    "accounts": "001",
    "owners": "005",
    "activities": "00T",
    "tickets": "500",
}
SF_EVENT_PREFIX = "00U"  # Salesforce meetings are Events, not Tasks
HS_BASE = {
    "deals": 9_000_000_000,
    "deal_stage_history": 40_000_000_000,
    "leads": 300_000_000,
    "accounts": 7_000_000_000,
    "owners": 50_000_000,
    "activities": 20_000_000_000,
    "tickets": 1_500_000_000,
}
SPEND_HEADER_ROWS = 1
_DIGITS = 13


def salesforce_ids(table: str, keys: np.ndarray, events: np.ndarray | None = None) -> pa.Array:
    """18-character Salesforce-style ids (object prefix + ``Dm`` + 13 digits) for ``keys``."""
    return _salesforce("", table, np.asarray(keys, dtype=np.int64), events)


def _salesforce(head: str, table: str, keys: np.ndarray, events: np.ndarray | None) -> pa.Array:
    heads = [f"{head}{SF_PREFIX[table]}Dm", f"{head}{SF_EVENT_PREFIX}Dm"]
    which = None if events is None else events.astype(np.int64)
    return _assemble(heads, which, keys, _DIGITS)


def vendor_ids(
    system: str, table: str, keys: np.ndarray, events: np.ndarray | None = None
) -> pd.Series:
    """The ids the CRM (or spend sheet) would use for rows ``keys`` of ``table``."""
    if system == "salesforce":
        return pd.Series(string_array(salesforce_ids(table, keys, events)))
    if system == "hubspot":
        return pd.Series(np.asarray(keys, dtype=np.int64) + HS_BASE[table] + 1)
    return pd.Series(np.asarray(keys, dtype=np.int64) + SPEND_HEADER_ROWS + 1)


def source_ids(
    source: str, system: str, table: str, keys: np.ndarray, events: np.ndarray | None = None
) -> pa.Array:
    """Namespaced ids (``source:vendor-id``) as an Arrow large-string array.

    Equal to ``namespaced(source, vendor_ids(...))``. CRM ids have a fixed number of digits, so
    they are assembled as code points with integer arithmetic and handed to Arrow as fixed-width
    text: no Python string is made per id (a large company has tens of millions of them).
    """
    keys = np.asarray(keys, dtype=np.int64)
    if system == "salesforce":
        return _salesforce(f"{source}:", table, keys, events)
    if system == "hubspot" and len(keys):
        numbers = keys + HS_BASE[table] + 1
        width = len(str(int(numbers.min())))
        if len(str(int(numbers.max()))) == width:
            return _assemble([f"{source}:"], None, numbers, width)
    return arrow_strings(namespaced(source, vendor_ids(system, table, keys, events)))


def _assemble(
    heads: list[str], which: np.ndarray | None, numbers: np.ndarray, width: int
) -> pa.Array:
    """``heads[which] + zero-padded number`` per row (heads of equal length), as Arrow text."""
    chunks = [pa.array([], type=pa.large_string())]
    # In chunks: the code point matrix is 4 bytes per character of every id.
    for start in range(0, len(numbers), _CHUNK):
        part = slice(start, start + _CHUNK)
        chosen = None if which is None else which[part]
        text = _assemble_chunk(heads, chosen, numbers[part], width)
        chunks.append(pa.array(text, type=pa.large_string()))
    return pa.concat_arrays(chunks)


def _assemble_chunk(
    heads: list[str], which: np.ndarray | None, numbers: np.ndarray, width: int
) -> np.ndarray:
    head_len = len(heads[0])
    points = [np.frombuffer(h.encode("utf-32-le"), dtype=np.uint32) for h in heads]
    codes = np.empty((len(numbers), head_len + width), dtype=np.uint32)
    codes[:, :head_len] = points[0]
    if which is not None:
        for index in range(1, len(heads)):
            codes[which == index, :head_len] = points[index]
    # Four digits at a time from a lookup table: few integer divisions per id.
    end = head_len + width
    rest = numbers.copy()
    while end > head_len:
        start = max(head_len, end - 4)
        codes[:, start:end] = _QUADS[rest % 10_000][:, 4 - (end - start) :]
        rest //= 10_000
        end = start
    return codes.view(f"<U{head_len + width}").ravel()


_CHUNK = 1 << 17
_QUADS = np.array([[ord(c) for c in f"{i:04d}"] for i in range(10_000)], dtype=np.uint32)
