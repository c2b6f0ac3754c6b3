"""Currency conversion of money columns into the report currency.

Rates are report-currency units per one unit of a foreign currency (``{"USD": 0.92}`` in an EUR
report). Rows in the report currency, and rows without a currency code, keep their value; rows in
a currency without a rate become missing and are reported, so money metrics leave them out
instead of adding unlike amounts.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from sheets_sync.errors import MetricError
from sheets_sync.issues import DataIssue, Severity
from sheets_sync.metrics.tables import MetricTable

CURRENCY_COLUMN = "currency"


def checked_rates(rates: Mapping[str, float]) -> dict[str, float]:
    """``rates`` keyed by upper-case code; a rate that is not a positive number is an error."""
    out = {}
    for code, rate in rates.items():
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not rate > 0:
            raise MetricError(
                f"currency_rates.{code}: expected a positive number of report-currency units per "
                f"1 {code}, got {rate!r}"
            )
        out[str(code).upper()] = float(rate)
    return out


def conversion_factors(
    table: MetricTable, values: np.ndarray, currency: str | None, rates: Mapping[str, float]
) -> tuple[np.ndarray, list[DataIssue]]:
    """Per-row factors turning ``values`` (a money column of ``table``) into ``currency``.

    Without a report ``currency`` every factor is 1 and a table mixing currencies gets a warning.
    """
    ones = np.ones(len(table))
    if not table.has_column(CURRENCY_COLUMN) or len(table) == 0:
        return ones, []
    cur = table.codes(CURRENCY_COLUMN)
    present = ~np.isnan(values)
    if currency is None:
        used = np.unique(cur.codes[(cur.codes >= 0) & present])
        if len(used) <= 1:
            return ones, []
        return ones, [
            DataIssue(
                Severity.WARNING,
                f"amounts in {len(used)} currencies were added as recorded; set the report "
                "currency and currency_rates to convert them",
                table=table.name,
                column=CURRENCY_COLUMN,
            )
        ]
    target = currency.upper()
    known = checked_rates(rates)
    labels = [str(c).upper() for c in cur.labels]
    per_label = np.array([1.0 if c == target else known.get(c, np.nan) for c in labels] + [1.0])
    # Code -1 (no currency recorded) picks the trailing 1.0: taken as the report currency.
    factors = per_label[cur.codes]
    issues = []
    for i, label in enumerate(labels):
        lost = int(np.count_nonzero((cur.codes == i) & present)) if np.isnan(per_label[i]) else 0
        if lost:
            issues.append(
                DataIssue(
                    Severity.WARNING,
                    f"{lost} row(s) in {label} have no rate to {target} and were left out of "
                    f"money metrics; add {label} to currency_rates",
                    table=table.name,
                    column=CURRENCY_COLUMN,
                    count=lost,
                )
            )
    return factors, issues
