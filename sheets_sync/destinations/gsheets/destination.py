"""The Google Sheets destination: create a report and refresh its managed tabs atomically.

A refresh reads the spreadsheet's metadata once, fits the workbook into the cell budget, renders
every tab and then either

- sends one ``batchUpdate`` (payload under the limit): stale staging sheets removed, theme, and
  every managed tab resized, written, formatted and charted; or
- writes the largest tabs into hidden staging sheets in as few chunks as the limit allows and
  swaps them in with one final ``batchUpdate`` (see :mod:`.staging`).

Live tabs change only in that last call, which Sheets applies atomically, so a failed refresh
leaves the previous report exactly as it was. Sheets the user added, and columns they added to
managed tabs, are never touched; formulas pointing at managed cells keep their references because
managed sheets are updated in place, never deleted and re-created.
"""

from __future__ import annotations

import dataclasses
import json
import os
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import google.auth.credentials

from connectors.base import ProgressFn, no_progress
from sheets_sync.destinations.base import Destination, WriteResult
from sheets_sync.destinations.gsheets.budget import fit_workbook, tab_cells
from sheets_sync.destinations.gsheets.builders import (
    Request,
    TabTarget,
    delete_sheet,
    staging_sheet_requests,
    tab_requests,
    theme_request,
)
from sheets_sync.destinations.gsheets.cells import CellEncoder
from sheets_sync.destinations.gsheets.client import SheetsApi
from sheets_sync.destinations.gsheets.credentials import load_credentials
from sheets_sync.destinations.gsheets.grid import render_tab
from sheets_sync.destinations.gsheets.quota import QuotaLimiters, shared_limiters
from sheets_sync.destinations.gsheets.registry import (
    METADATA_FIELDS,
    SpreadsheetState,
    parse_state,
)
from sheets_sync.destinations.gsheets.retry import RetryPolicy
from sheets_sync.destinations.gsheets.settings import GoogleSheetsSettings
from sheets_sync.destinations.gsheets.staging import choose_staged, plan_staging
from sheets_sync.destinations.gsheets.transport import RequestStats
from sheets_sync.document import Workbook
from sheets_sync.errors import ConfigError
from sheets_sync.layout import layout_tab

_BYTES_PER_CELL_ESTIMATE = 24
OPTION_KEYS = frozenset({"spreadsheet_id", "master_id", "folder_id", "credentials"})
SETTING_KEYS = frozenset(f.name for f in dataclasses.fields(GoogleSheetsSettings))
CredentialsSpec = google.auth.credentials.Credentials | Mapping[str, Any] | str | Path


@dataclass
class CreatedReport:
    """A spreadsheet created for a report."""

    spreadsheet_id: str
    url: str


@dataclass
class _Created:
    state: SpreadsheetState
    drop_sheet_ids: list[int] = field(default_factory=list)


class GoogleSheetsDestination(Destination):
    """Writes a :class:`Workbook` into a Google spreadsheet, all or nothing.

    Give ``spreadsheet_id`` to refresh an existing report; leave it ``None`` to create one on the
    first write, either built from the workbook or copied from ``master_id`` with Drive, placed in
    ``folder_id`` when given. No network call happens before :meth:`write` or :meth:`create`.
    """

    type = "gsheets"

    def __init__(
        self,
        spreadsheet_id: str | None = None,
        *,
        credentials: CredentialsSpec,
        settings: GoogleSheetsSettings | None = None,
        master_id: str | None = None,
        folder_id: str | None = None,
        limiters: QuotaLimiters | None = None,
        retry_policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not credentials:
            raise ConfigError(
                "gsheets destination needs credentials: a service-account or authorized-user "
                "JSON file, or set GOOGLE_APPLICATION_CREDENTIALS"
            )
        self.spreadsheet_id = spreadsheet_id
        self._credentials_spec = credentials
        self._credentials: google.auth.credentials.Credentials | None = (
            credentials if isinstance(credentials, google.auth.credentials.Credentials) else None
        )
        self.settings = settings or GoogleSheetsSettings()
        self.master_id = master_id
        self.folder_id = folder_id
        self.limiters = limiters or shared_limiters()
        self.retry_policy = retry_policy
        self._sleep = sleep
        self._url: str | None = None
        self.last_stats = RequestStats()

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> GoogleSheetsDestination:
        """Build from a refresh config's ``destination.options`` (no I/O happens here).

        Keys: ``spreadsheet_id`` (refresh this report; omit to create one), ``master_id`` (copy
        this published master when creating), ``folder_id``, ``credentials`` (path to a
        service-account or authorized-user JSON file; defaults to
        ``GOOGLE_APPLICATION_CREDENTIALS``) and any :class:`GoogleSheetsSettings` field
        (``sheets_endpoint``, ``drive_endpoint``, ``user_key``, ``payload_limit``...).
        """
        options = dict(options)
        unknown = sorted(set(options) - OPTION_KEYS - SETTING_KEYS)
        if unknown:
            raise ConfigError(
                f"destination.options: unknown key(s) {', '.join(unknown)}; gsheets takes "
                f"{', '.join(sorted(OPTION_KEYS | SETTING_KEYS))}"
            )
        credentials = options.get("credentials") or os.environ.get(
            "GOOGLE_APPLICATION_CREDENTIALS", ""
        )
        settings = GoogleSheetsSettings(**{k: options[k] for k in SETTING_KEYS if k in options})
        return cls(
            options.get("spreadsheet_id") or None,
            credentials=credentials,
            settings=settings,
            master_id=options.get("master_id") or None,
            folder_id=options.get("folder_id") or None,
        )

    @property
    def credentials(self) -> google.auth.credentials.Credentials:
        """The Google credentials, loaded from their file on first use."""
        if self._credentials is None:
            self._credentials = load_credentials(self._credentials_spec)  # type: ignore[arg-type]
        return self._credentials

    def _api(self, stats: RequestStats) -> SheetsApi:
        return SheetsApi(
            self.credentials, self.settings, self.limiters, stats, self.retry_policy, self._sleep
        )

    def location(self) -> str:
        """The spreadsheet's URL (or a placeholder before it exists)."""
        if self._url:
            return self._url
        if self.spreadsheet_id:
            return f"https://docs.google.com/spreadsheets/d/{self.spreadsheet_id}/edit"
        return "(new Google spreadsheet)"

    def create(self, workbook: Workbook) -> CreatedReport:
        """Create the report's spreadsheet (no data yet) and return its id and URL."""
        stats = RequestStats()
        created = self._create(self._api(stats), workbook)
        self.last_stats = stats
        return CreatedReport(created.state.spreadsheet_id, created.state.url)

    def _create(self, api: SheetsApi, workbook: Workbook) -> _Created:
        if self.master_id:
            reply = api.copy_file(self.master_id, workbook.title, self.folder_id)
            self.spreadsheet_id = str(reply["id"])
            state = parse_state(api.get(self.spreadsheet_id, METADATA_FIELDS))
            created = _Created(state)
        elif self.folder_id:
            reply = api.create_file(workbook.title, self.folder_id)
            self.spreadsheet_id = str(reply["id"])
            state = parse_state(api.get(self.spreadsheet_id, METADATA_FIELDS))
            # The blank file's default sheet is ours to drop once the managed tabs exist.
            created = _Created(state, [s.sheet_id for s in state.sheets])
        else:
            created = _Created(parse_state(api.create(_skeleton(workbook))))
            self.spreadsheet_id = created.state.spreadsheet_id
        self._url = created.state.url
        return created

    def write(self, workbook: Workbook, progress: ProgressFn = no_progress) -> WriteResult:
        """Refresh every managed tab of the report in one atomic step (creating it if needed)."""
        stats = RequestStats()
        self.last_stats = stats
        api = self._api(stats)
        if self.spreadsheet_id is None:
            created = self._create(api, workbook)
        else:
            created = _Created(parse_state(api.get(self.spreadsheet_id, METADATA_FIELDS)))
        state = created.state
        self._url = state.url
        spreadsheet_id = state.spreadsheet_id
        workbook, warnings = self._fit(workbook, state, created.drop_sheet_ids)
        encoder = CellEncoder(workbook.timezone, self.settings.max_cell_chars)
        targets = self._targets(workbook, state, encoder, warnings)
        if encoder.truncated_cells:
            warnings.append(
                f"{encoder.truncated_cells} cell(s) exceeded Google Sheets' "
                f"{self.settings.max_cell_chars:,}-character limit and were cut"
            )
        cleanup = [delete_sheet(s.sheet_id) for s in state.staging()]
        head: list[Request] = [*cleanup, theme_request(workbook.theme)]
        tail = [delete_sheet(i) for i in created.drop_sheet_ids]
        limit = self.settings.payload_limit
        staged = choose_staged(targets, _size(head), limit)
        calls: list[Callable[[], object]] = []
        if staged:
            token = secrets.token_hex(4)
            taken: set[int] = {t.sheet_id for t in targets}
            first: list[Request] = list(cleanup)
            titles: dict[int, str] = {}
            for position, target in enumerate(staged):
                target.staging_id = state.free_id("staging", target.name, token, taken=taken)
                taken.add(target.staging_id)
                created_sheet = staging_sheet_requests(target, position)
                titles[target.staging_id] = created_sheet[0]["addSheet"]["properties"]["title"]
                first.extend(created_sheet)
            plan = plan_staging(staged, titles, limit)
            first.extend(plan.styled)
            calls.append(partial(api.batch_update, spreadsheet_id, first))
            for data in plan.value_batches:
                calls.append(partial(api.values_batch_update_raw, spreadsheet_id, data))
            head = [theme_request(workbook.theme)]
        final = list(head)
        for target in targets:
            existing_rules = 0
            if target.existing is not None and target.existing.managed is not None:
                existing_rules = min(target.existing.managed.rules, target.existing.rule_count)
            final.extend(tab_requests(target, workbook.theme, existing_rules))
        final.extend(delete_sheet(t.staging_id) for t in staged if t.staging_id is not None)
        final.extend(tail)
        calls.append(partial(api.batch_update, spreadsheet_id, final))
        for done, call in enumerate(calls):
            progress("gsheets requests", done, len(calls))
            call()
        progress("gsheets requests", len(calls), len(calls))
        warnings.extend(w for t in targets for w in t.warnings)
        return WriteResult(
            location=self.location(),
            tabs_written=[t.name for t in targets],
            requests=stats.requests,
            bytes_sent=stats.bytes_sent,
            cells_written=sum(t.grid.n_rows * t.grid.n_cols for t in targets),
            warnings=warnings,
        )

    def _fit(
        self, workbook: Workbook, state: SpreadsheetState, dropped: list[int]
    ) -> tuple[Workbook, list[str]]:
        names = {t.name for t in workbook.tabs}
        managed = state.managed_by_name()
        mine = {managed[n].sheet_id for n in names if n in managed}
        mine |= {s.sheet_id for s in state.sheets if s.title in names and s.managed is None}
        other = sum(
            s.cells
            for s in state.sheets
            if s.sheet_id not in mine and not s.staging and s.sheet_id not in dropped
        )
        cells = sum(tab_cells(t) for t in workbook.tabs)
        staging_factor = 2 if cells * _BYTES_PER_CELL_ESTIMATE > self.settings.payload_limit else 1
        return fit_workbook(workbook, other, self.settings.max_cells, staging_factor)

    def _targets(
        self,
        workbook: Workbook,
        state: SpreadsheetState,
        encoder: CellEncoder,
        warnings: list[str],
    ) -> list[TabTarget]:
        managed = state.managed_by_name()
        had_report = bool(managed)
        taken: set[int] = set()
        targets = []
        for index, tab in enumerate(workbook.tabs):
            grid = render_tab(tab, workbook.theme, encoder)
            sheet = managed.get(tab.name)
            if sheet is None:
                candidate = state.by_title(tab.name)
                if candidate is not None and candidate.managed is None and not candidate.staging:
                    sheet = candidate  # a template copy's tab, or our own skeleton
            title = tab.name
            if sheet is not None and sheet.title != tab.name:
                holder = state.by_title(tab.name)
                if holder is None:
                    warnings.append(
                        f"managed tab {tab.name!r} had been renamed to {sheet.title!r}; "
                        "its name was restored"
                    )
                else:
                    title = sheet.title
                    warnings.append(
                        f"managed tab {tab.name!r} is now called {sheet.title!r} and another "
                        f"tab uses {tab.name!r}; it was refreshed under its new name"
                    )
            if sheet is None and had_report:
                warnings.append(f"managed tab {tab.name!r} was missing and has been recreated")
            if sheet is not None:
                sheet_id = sheet.sheet_id
            else:
                sheet_id = state.free_id("tab", tab.name, taken=taken)
            taken.add(sheet_id)
            meta_id = sheet.metadata_id if sheet and sheet.metadata_id else sheet_id
            targets.append(
                TabTarget(grid, sheet_id, meta_id, min(index, len(state.sheets)), sheet, title)
            )
        return targets


def _size(requests: list[Request]) -> int:
    return len(json.dumps({"requests": requests}, separators=(",", ":"), ensure_ascii=False))


def _skeleton(workbook: Workbook) -> dict[str, Any]:
    """The ``spreadsheets.create`` body: title, locale, time zone and one sheet per tab.

    Sheets chooses the sheet ids; the first write adopts the sheets by title and registers them.
    """
    sheets = []
    for index, tab in enumerate(workbook.tabs):
        layout = layout_tab(tab)
        grid = {
            "rowCount": max(layout.n_rows, layout.frozen_rows + 1),
            "columnCount": max(layout.n_cols, 1),
            "frozenRowCount": layout.frozen_rows,
        }
        sheets.append({"properties": {"title": tab.name, "index": index, "gridProperties": grid}})
    return {
        "properties": {"title": workbook.title, "locale": "en_US", "timeZone": workbook.timezone},
        "sheets": sheets,
    }
