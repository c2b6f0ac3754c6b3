"""Human column headers and display formats for the tables of a report."""

from __future__ import annotations

import pandas as pd

from sheets_sync.document import ColumnFormat, Fmt

# Words shown in capitals (or spelled out) when a column name becomes a header.
_WORDS = {
    "id": "ID",
    "mql": "MQL",
    "sql": "SQL",
    "mrr": "MRR",
    "csat": "CSAT",
    "url": "URL",
}
GRANULARITY_HEADERS = {
    "day": "Day",
    "week": "Week",
    "month": "Month",
    "quarter": "Quarter",
    "year": "Year",
}
COMPARISON_WORDS = {
    "previous_period": "previous period",
    "previous_year": "same period last year",
}
# (suffix in run_query's output, header word); "" is the metric's own value.
VALUE_PARTS = (
    ("", ""),
    ("__previous", "Previous"),
    ("__delta", "Change"),
    ("__delta_pct", "Change %"),
)


def readable(name: str) -> str:
    """``first_response_at`` as ``First response at``; ``deal_id`` as ``Deal ID``."""
    words = [_WORDS.get(w, w) for w in str(name).split("_") if w]
    if not words:
        return str(name)
    head = words[0]
    return " ".join([head[:1].upper() + head[1:], *words[1:]])


def value_header(label: str, part: str, single_metric: bool) -> str:
    """The header of one value column: the metric label, or ``Previous`` / ``Change`` /
    ``Change %``, prefixed by the label when a table shows several metrics."""
    if not part:
        return label
    return part if single_metric else f"{label} {part.lower()}"


def metric_format(fmt: Fmt, currency: str) -> ColumnFormat:
    """The column format of a metric shown in the report currency."""
    return ColumnFormat(fmt, currency if fmt is Fmt.CURRENCY else None)


def plain_values(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with category columns turned into plain objects, so destinations see text."""
    out = frame.copy()
    for column in out.columns:
        if isinstance(out[column].dtype, pd.CategoricalDtype):
            values = out[column].astype(object)
            out[column] = values.where(values.notna(), None)
    return out
