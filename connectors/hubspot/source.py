"""``HubSpotSource``: HubSpot CRM objects -> canonical tables, incremental and rate-limited.

Per read: read the deal and ticket pipelines (stage labels, order, probability, closed flags),
then every stream through the shared :class:`IncrementalReader`:

- full read: the list endpoint (``GET /crm/v3/objects/{type}``, 100 per page, ``after``
  cursor) with the stream's associations embedded in each record;
- incremental read: the search endpoint on the last-modified property between the committed
  cursor and the sync's start, sorted ascending, 200 per page. A window whose ``total`` passes
  the 10,000-result cap is split in two, recursively, so no search pages past the cap.
  Associations of the changed records come from the v4 batch endpoint (1,000 ids per call) and
  deletions from the archived list (``archived=true``), which HubSpot keeps for 90 days;
- owners (small) are read in full each time, live and archived (``active`` false).

Deal stage history comes from the ``hs_date_entered_<stage>`` properties, read with the deals
at no extra request. Cursors are proposed, never past the sync's start.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import partial
from typing import Any, ClassVar

import pandas as pd

from connectors.base import CheckResult, ReadContext, Source, SourceResult, Stream
from connectors.common.cache import store_for
from connectors.common.cursors import parse_ts
from connectors.common.errors import ConnectorError, CredentialsError, PermissionDeniedError
from connectors.common.http import RequestStats, policy_for
from connectors.common.incremental import ReadPlan
from connectors.common.paging import Paginator
from connectors.common.runner import Fetched, IncrementalReader
from connectors.common.streams import mapped_fields, select_streams
from connectors.hubspot.client import HubSpotClient, next_after
from connectors.hubspot.records import flatten, frame, owner_row
from connectors.hubspot.settings import HubSpotSettings, parse_settings
from connectors.hubspot.streams import (
    BY_NAME,
    STREAMS,
    StageInfo,
    date_entered_property,
    derivations,
    pipeline_labels,
    stage_history,
    stage_table,
)
from sheets_sync.model import conform


class _TooDense(Exception):
    """More than the search cap of records share one millisecond: the window cannot split."""


class HubSpotSource(Source):
    """Reads HubSpot through hubspot-api-client (see the module doc and the docs page)."""

    type: ClassVar[str] = "hubspot"

    def __init__(self, name: str, options: Mapping[str, Any]) -> None:
        super().__init__(name, options)
        self.settings: HubSpotSettings = parse_settings(name, options)
        catalogue = [(s.stream.name, s.stream) for s in STREAMS]
        self._streams = select_streams(
            self.type,
            name,
            "objects",
            self.settings.objects,
            catalogue,
            self.settings.custom_fields,
        )
        self.last_stats: RequestStats | None = None
        self._token: str | None = None

    def streams(self) -> list[Stream]:
        """The configured streams, custom fields included."""
        return list(self._streams)

    def _client(self) -> HubSpotClient:
        s = self.settings
        policy = policy_for(s)
        stats = RequestStats()
        self.last_stats = stats
        return HubSpotClient(s, policy, stats, self._token if s.auth == "oauth" else None)

    # -- reading -------------------------------------------------------------------------

    def read(self, context: ReadContext) -> SourceResult:
        """Read every configured object (see the module doc)."""
        client = self._client()
        names = {s.name for s in self._streams}
        deal_pipes = client.pipelines("deals") if "deals" in names else []
        ticket_pipes = client.pipelines("tickets") if "tickets" in names else []
        stages = stage_table(deal_pipes)
        labels = pipeline_labels(deal_pipes)
        ticket_stages = stage_table(ticket_pipes)
        self._splits = 0
        until = int(pd.Timestamp(context.started_at).timestamp() * 1000)
        seen: dict[str, pd.DataFrame] = {}

        def fields_for(stream: Stream) -> list[str]:
            extra = list(BY_NAME[stream.name].properties)
            extra += [f"assoc_{t}" for t in BY_NAME[stream.name].associations]
            if stream.name == "deals":
                extra += [date_entered_property(sid) for sid in stages]
            return mapped_fields(stream, extra)

        def derive(stream: Stream, records: Mapping[str, pd.DataFrame]):
            seen.update(records)
            return derivations(
                stream.name, stages, labels, ticket_stages, self.settings.lifecycle_map
            )

        reader = IncrementalReader(
            self.name, context, store_for(context.cache_dir, context.state_store)
        )
        result = reader.read(
            self._streams,
            fields_for,
            lambda s, f, p: self._fetch(client, s, f, p, until),
            derive,
        )
        if "deals" in seen:
            history, issues = self._history(seen["deals"], stages)
            result.tables["deal_stage_history"] = history
            result.issues.extend(issues)
        self._token = client.token if self.settings.auth == "oauth" else None
        result.requests = client.stats.requests
        result.stats.update(
            {
                "requests": client.stats.requests,
                "retries": client.stats.retries,
                "token_renewals": client.renewals,
                "search_window_splits": self._splits,
                "rate_limit_waited_seconds": round(
                    client.limiter.waited + client.search_limiter.waited, 3
                ),
            }
        )
        return result

    def _history(self, deals: pd.DataFrame, stages: Mapping[str, StageInfo]):
        return conform("deal_stage_history", stage_history(deals, stages, self.name), self.name)

    def _fetch(
        self, client: HubSpotClient, stream: Stream, fields: list[str], plan: ReadPlan, until: int
    ) -> Fetched:
        spec = BY_NAME[stream.name]
        if spec.object_type == "owners":
            return Fetched(self._owners(client, fields))
        properties = [f for f in fields if f != "id" and not f.startswith("assoc_")]
        if plan.full:
            rows = list(self._listed(client, spec.object_type, properties, spec.associations))
            return Fetched(frame(rows, fields))
        since = int(parse_ts(str(plan.since)).timestamp() * 1000)
        try:
            rows = self._searched(client, spec.object_type, stream, properties, since, until)
        except _TooDense:
            rows = list(self._listed(client, spec.object_type, properties, spec.associations))
        else:
            self._attach_associations(client, spec.object_type, spec.associations, rows)
        deleted = [
            row["id"]
            for row in self._listed(client, spec.object_type, ["hs_object_id"], (), archived=True)
        ]
        return Fetched(frame(rows, fields), deleted)

    def _listed(
        self,
        client: HubSpotClient,
        object_type: str,
        properties: list[str],
        associations: tuple[str, ...],
        archived: bool = False,
    ) -> Iterator[dict[str, Any]]:
        pages = Paginator(
            lambda after: client.list_page(
                object_type, after, properties, list(associations), archived
            ),
            next_after,
            "HubSpot",
            f"{object_type} list",
        )
        for page in pages:
            for result in page["results"]:
                yield flatten(result, associations, object_type)

    def _searched(
        self,
        client: HubSpotClient,
        object_type: str,
        stream: Stream,
        properties: list[str],
        since: int,
        until: int,
    ) -> list[dict[str, Any]]:
        """Every record modified in ``[since, until)``, window split under the result cap."""
        prop = str(stream.cursor_field)
        cap = self.settings.search_result_cap
        rows: list[dict[str, Any]] = []
        windows = [(since, max(until, since + 1))]
        while windows:
            low, high = windows.pop(0)

            def fetch(after: str | None, low: int = low, high: int = high) -> dict[str, Any]:
                body: dict[str, Any] = {
                    "filterGroups": [
                        {
                            "filters": [
                                {"propertyName": prop, "operator": "GTE", "value": str(low)},
                                {"propertyName": prop, "operator": "LT", "value": str(high)},
                            ]
                        }
                    ],
                    "sorts": [{"propertyName": prop, "direction": "ASCENDING"}],
                    "properties": properties,
                    "limit": self.settings.search_page_size,
                }
                if after:
                    body["after"] = after
                return client.search_page(object_type, body)

            pages = iter(Paginator(fetch, next_after, "HubSpot", f"{object_type} search"))
            first = next(pages)
            if first["total"] > cap:
                if high - low <= 1:
                    raise _TooDense
                self._splits += 1
                middle = (low + high) // 2
                windows[:0] = [(low, middle), (middle, high)]
                continue
            for page in (first, *pages):
                rows.extend(flatten(r, (), object_type) for r in page["results"])
        return rows

    def _attach_associations(
        self,
        client: HubSpotClient,
        object_type: str,
        associations: tuple[str, ...],
        rows: list[dict[str, Any]],
    ) -> None:
        ids = list(dict.fromkeys(row["id"] for row in rows))
        for target in associations:
            found = client.associations(object_type, target, ids) if ids else {}
            for row in rows:
                linked = found.get(row["id"]) or []
                row[f"assoc_{target}"] = linked[0] if linked else None

    def _owners(self, client: HubSpotClient, fields: list[str]) -> pd.DataFrame:
        rows: list[dict[str, Any]] = []
        for archived in (False, True):
            pages = Paginator(
                partial(_owners_page, client, archived),
                next_after,
                "HubSpot",
                "owners list",
            )
            for page in pages:
                rows.extend(owner_row(r, archived) for r in page["results"])
        return frame(rows, fields)

    # -- connection test -----------------------------------------------------------------

    def check(self) -> CheckResult:
        """Read one record of every configured object; name the scopes and properties missing."""
        client = self._client()
        missing: list[str] = []
        for stream in self._streams:
            spec = BY_NAME[stream.name]
            try:
                if spec.object_type == "owners":
                    client.owners_page(None, False)
                else:
                    client.list_page(spec.object_type, None, [], [], limit=1)
            except CredentialsError as err:
                return CheckResult(False, str(err), ("credentials",))
            except PermissionDeniedError as err:
                scopes = list(getattr(err, "scopes", ())) or [spec.scope]
                missing.extend(f"scope {s}" for s in scopes)
            except ConnectorError as err:
                return CheckResult(False, str(err), ())
        missing.extend(self._missing_properties(client))
        missing = list(dict.fromkeys(missing))
        if missing:
            return CheckResult(
                False,
                f"HubSpot connection works but the app lacks: {'; '.join(missing)}",
                tuple(missing),
            )
        return CheckResult(True, f"HubSpot connection {self.name!r} can read every object")

    def _missing_properties(self, client: HubSpotClient) -> list[str]:
        absent: list[str] = []
        for stream_name, fields in dict(self.settings.custom_fields).items():
            spec = BY_NAME[stream_name]
            if spec.object_type == "owners":
                continue
            try:
                known = client.property_names(spec.object_type)
            except PermissionDeniedError:
                continue
            for column, prop in fields.items():
                if prop not in known:
                    absent.append(
                        f"property {spec.object_type}.{prop} (custom_fields.{stream_name}.{column})"
                    )
        return absent


def _owners_page(client: HubSpotClient, archived: bool, after: str | None) -> dict[str, Any]:
    return client.owners_page(after, archived)


__all__ = ["HubSpotSource"]
