"""Turning Salesforce query results (REST JSON pages or Bulk API 2.0 CSV) into raw record frames.

Both paths yield the same values for the same record: CSV strings are converted with the
field types from describe (booleans, integers, doubles; an empty cell is null), so an object
read through Bulk 2.0 once and through REST later merges cleanly in the record cache.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from connectors.common.errors import MalformedResponseError

_INTS = {"int", "long"}
_FLOATS = {"double", "currency", "percent"}


def rest_records(pages: Iterable[Mapping[str, Any]], fields: list[str]) -> pd.DataFrame:
    """Records of REST query pages as a frame with exactly ``fields`` as columns."""
    rows = [
        {name: record.get(name) for name in fields} for page in pages for record in page["records"]
    ]
    return pd.DataFrame.from_records(rows, columns=fields)


def _convert(text: str, kind: str) -> Any:
    if text == "":
        return None
    if kind == "boolean":
        return text.lower() == "true"
    if kind in _INTS:
        return int(text)
    if kind in _FLOATS:
        return float(text)
    return text


def csv_records(
    chunks: Iterable[str], fields: list[str], types: Mapping[str, str], obj: str
) -> pd.DataFrame:
    """Records of Bulk API 2.0 CSV result chunks, typed as the REST API would return them."""
    rows: list[dict[str, Any]] = []
    for chunk in chunks:
        reader = csv.DictReader(io.StringIO(chunk))
        header = reader.fieldnames or []
        if set(fields) - set(header):
            missing = ", ".join(sorted(set(fields) - set(header)))
            raise MalformedResponseError(
                f"Salesforce Bulk API 2.0 results for {obj} lack column(s) {missing}; "
                "the result file was truncated, run the refresh again",
                "Salesforce",
            )
        try:
            for row in reader:
                if None in row or any(row[name] is None for name in fields):
                    raise ValueError("ragged row")
                rows.append({name: _convert(row[name], types.get(name, "")) for name in fields})
        except (ValueError, csv.Error) as err:
            raise MalformedResponseError(
                f"Salesforce Bulk API 2.0 results for {obj} hold a malformed CSV row; "
                "the result file was truncated, run the refresh again",
                "Salesforce",
            ) from err
    return pd.DataFrame.from_records(rows, columns=fields)
