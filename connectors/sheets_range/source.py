"""Read a user-maintained Google Sheets range into the canonical ``spend`` table or a custom table.

The first row of the range is the header. For ``table: spend`` (the default) columns are matched
to the canonical spend columns by the optional ``mapping`` (canonical name -> header) or else by
header name or a common alias (``Day`` for date, ``Spend`` for cost...), ignoring case and
spacing; dates typed as spreadsheet dates arrive as
serial numbers and are converted. Any other ``table`` name gives a custom table for custom
metrics: headers become snake_case column names, numeric columns stay numeric, and columns listed
in ``date_columns`` are read as dates.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import google.auth.credentials
import pandas as pd

from connectors.base import CheckResult, ReadContext, Source, SourceResult, Stream
from sheets_sync.destinations.gsheets.cells import SERIAL_EPOCH
from sheets_sync.destinations.gsheets.client import SheetsApi
from sheets_sync.destinations.gsheets.credentials import load_credentials
from sheets_sync.destinations.gsheets.quota import shared_limiters
from sheets_sync.destinations.gsheets.settings import GoogleSheetsSettings
from sheets_sync.errors import ConfigError, DestinationError, SourceError
from sheets_sync.model import conform, namespaced, spec

SPEND_COLUMNS = ("spend_id", "date", "channel", "campaign", "cost", "currency")
SPEND_ALIASES = {
    "date": ("date", "day"),
    "cost": ("cost", "spend", "amount"),
    "channel": ("channel", "source", "medium"),
    "campaign": ("campaign", "campaign_name"),
}
"""Header names recognised without a mapping (after lower-casing and snake-casing)."""
READONLY_SCOPES = ("https://www.googleapis.com/auth/spreadsheets.readonly",)


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(text).strip().lower()).strip("_")


class SheetsRangeSource(Source):
    """A spreadsheet range as a source (``type: sheets``)."""

    type = "sheets"

    def __init__(self, name: str, options: Mapping[str, Any]) -> None:
        super().__init__(name, options)
        for required in ("spreadsheet_id", "range", "credentials"):
            if not self.options.get(required):
                raise ConfigError(f"sheets source {name!r} needs the option {required!r}")
        self.spreadsheet_id = str(self.options["spreadsheet_id"])
        self.range = str(self.options["range"])
        self.table = str(self.options.get("table", "spend"))
        self.mapping = {str(k): str(v) for k, v in dict(self.options.get("mapping") or {}).items()}
        self.date_columns = [_key(c) for c in self.options.get("date_columns", [])]
        self.currency = self.options.get("currency")
        if self.table == "spend":
            unknown = sorted(set(self.mapping) - set(SPEND_COLUMNS))
            if unknown:
                raise ConfigError(
                    f"sheets source {name!r}: mapping names unknown spend column(s) "
                    f"{', '.join(unknown)}; use {', '.join(SPEND_COLUMNS)}"
                )
        else:
            try:
                spec(self.table)
            except Exception:
                pass  # not canonical: a custom table, which is the point
            else:
                raise ConfigError(
                    f"sheets source {name!r}: only the spend table or a custom table name can "
                    f"be read from a spreadsheet, not {self.table!r}"
                )
        endpoints = {
            k: str(self.options[k])
            for k in ("sheets_endpoint", "drive_endpoint")
            if self.options.get(k)
        }
        self.settings = GoogleSheetsSettings(**endpoints)  # type: ignore[arg-type]

    def streams(self) -> list[Stream]:
        """One stream: the range, landing in ``table``."""
        return [Stream(self.range, self.table, f"{self.table}_id" if self.table == "spend" else "")]

    def _credentials(self) -> google.auth.credentials.Credentials:
        creds = self.options["credentials"]
        if isinstance(creds, google.auth.credentials.Credentials):
            return creds
        return load_credentials(creds, READONLY_SCOPES)

    def _fetch(self) -> tuple[list[list[Any]], int]:
        api = SheetsApi(self._credentials(), self.settings, shared_limiters())
        try:
            reply = api.values_get(self.spreadsheet_id, self.range)
        except DestinationError as err:
            raise SourceError(f"sheets source {self.name!r}: {err}") from err
        return reply.get("values", []), api.stats.requests

    def check(self) -> CheckResult:
        """Read the range once to prove access."""
        try:
            rows, _ = self._fetch()
        except SourceError as err:
            return CheckResult(False, str(err))
        return CheckResult(True, f"read {max(len(rows) - 1, 0)} row(s) from {self.range}")

    def read(self, context: ReadContext) -> SourceResult:
        """Read the range into one table (always a full read: ranges are small)."""
        rows, requests = self._fetch()
        context.progress(f"{self.name}: {self.range}", len(rows), len(rows))
        frame = self._frame(rows)
        if self.table == "spend":
            table, issues = self._spend(frame)
        else:
            table, issues = self._custom(frame), []
        return SourceResult({self.table: table}, issues, {}, requests, {"rows": len(table)})

    def _frame(self, rows: list[list[Any]]) -> pd.DataFrame:
        if not rows:
            raise SourceError(
                f"sheets source {self.name!r}: range {self.range} is empty; it needs a header row"
            )
        header = [str(h).strip() for h in rows[0]]
        width = len(header)
        body = [list(r[:width]) + [None] * (width - len(r)) for r in rows[1:]]
        body = [[None if v == "" else v for v in r] for r in body]
        body = [r for r in body if any(v is not None for v in r)]
        return pd.DataFrame(body, columns=header)

    def _spend(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, list[Any]]:
        by_key = {_key(c): c for c in frame.columns}
        renamed: dict[str, pd.Series] = {}
        for column in SPEND_COLUMNS:
            aliases = SPEND_ALIASES.get(column, (column,))
            header = self.mapping.get(column) or next(
                (by_key[a] for a in aliases if a in by_key), None
            )
            if header is None:
                continue
            if header not in frame.columns:
                raise ConfigError(
                    f"sheets source {self.name!r}: mapping {column}: {header!r} is not a header "
                    f"of {self.range} (headers: {', '.join(map(str, frame.columns))})"
                )
            renamed[column] = frame[header]
        out = pd.DataFrame(renamed)
        if "date" in out:
            out["date"] = out["date"].map(_date_value)
        if self.currency and "currency" not in out:
            out["currency"] = self.currency
        if "spend_id" not in out:
            out["spend_id"] = _content_ids(out)
        out["spend_id"] = namespaced(self.name, out["spend_id"])
        out["source"] = self.name
        return conform("spend", out, source=self.name)

    def _custom(self, frame: pd.DataFrame) -> pd.DataFrame:
        out = frame.rename(columns={c: _key(c) for c in frame.columns})
        for column in out.columns:
            if column in self.date_columns:
                out[column] = pd.to_datetime(
                    out[column].map(_date_value), utc=True, errors="coerce"
                )
                continue
            numbers = pd.to_numeric(out[column], errors="coerce")
            if numbers.notna().sum() == out[column].notna().sum():
                out[column] = numbers
        out["source"] = self.name
        return out.reset_index(drop=True)


def _date_value(value: Any) -> Any:
    """A spreadsheet serial number as a timestamp; text dates pass through for parsing."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return pd.Timestamp(SERIAL_EPOCH + timedelta(days=float(value)))
    return value


def _content_ids(frame: pd.DataFrame) -> pd.Series:
    """Ids from each row's date, channel and campaign, so inserting rows keeps ids stable."""
    keys = [c for c in ("date", "channel", "campaign") if c in frame]
    seen: dict[str, int] = {}
    ids = []
    for record in frame[keys].astype("string").fillna("").itertuples(index=False):
        digest = hashlib.sha1("|".join(record).encode()).hexdigest()[:12]
        seen[digest] = seen.get(digest, 0) + 1
        ids.append(digest if seen[digest] == 1 else f"{digest}-{seen[digest]}")
    return pd.Series(ids, index=frame.index, dtype=object)
