"""``SalesforceSource``: Salesforce objects -> canonical tables, incremental and quota-aware.

Per read: authenticate, describe every object in one Composite call (so SOQL uses only fields
the org has and the user can see, and custom ``__c`` fields can be mapped), fetch the first page
of every stream and of the small lookups (roles, opportunity stages) five per Composite call,
then finish every stream through the shared :class:`IncrementalReader`:

- full read: ``query`` walked page by page (``nextRecordsUrl``, ``page_size`` records per page);
  when the first page reports more than ``bulk_threshold`` records the object is pulled with a
  Bulk API 2.0 query job instead;
- incremental read: ``queryAll`` with ``SystemModstamp >= cursor``, which returns the changed
  records *and* the deleted ones (``IsDeleted = true``) in one pass.

Records land in the per-report record cache; tables are built from the merged cache, so an
incremental refresh gives the same tables as a full one. Cursors are proposed, not committed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import pandas as pd
import requests

from connectors.base import CheckResult, ReadContext, Source, SourceResult, Stream
from connectors.common.cache import store_for
from connectors.common.cursors import parse_ts
from connectors.common.errors import (
    ConnectorError,
    CredentialsError,
    PermissionDeniedError,
    UnknownFieldError,
)
from connectors.common.http import ApiSession, policy_for
from connectors.common.incremental import ReadPlan
from connectors.common.runner import Fetched, IncrementalReader
from connectors.common.streams import select_streams
from connectors.salesforce.client import SalesforceClient
from connectors.salesforce.fields import plan_fields, selectable
from connectors.salesforce.records import csv_records, rest_records
from connectors.salesforce.settings import SalesforceSettings, parse_settings
from connectors.salesforce.soql import select
from connectors.salesforce.streams import (
    CURSOR,
    LOOKUPS,
    OBJECT_OF,
    STREAMS,
    derivations,
    stage_changes_only,
    without_converted_contacts,
)
from sheets_sync.issues import DataIssue, Severity

USAGE_WARNING = 0.8
"""Share of the daily API allocation above which a read reports a warning."""


def is_soap_fault(response: requests.Response) -> bool:
    """True for a SOAP fault: Salesforce sends login refusals as HTTP 500, which are final."""
    kind = response.headers.get("Content-Type", "")
    return "xml" in kind and b"Fault>" in response.content[:4000]


class SalesforceSource(Source):
    """Reads Salesforce through simple-salesforce (see the module doc and docs/connectors.md)."""

    type: ClassVar[str] = "salesforce"

    def __init__(self, name: str, options: Mapping[str, Any]) -> None:
        super().__init__(name, options)
        self.settings: SalesforceSettings = parse_settings(name, options)
        self._streams = select_streams(
            self.type,
            name,
            "objects",
            self.settings.objects,
            STREAMS,
            self.settings.custom_fields,
        )
        self._custom = {
            (stream, column): field
            for stream, fields in self.settings.custom_fields.items()
            for column, field in fields.items()
        }
        self.last_session: ApiSession | None = None
        self._bulk_jobs = 0

    def streams(self) -> list[Stream]:
        """The configured streams, custom fields included."""
        return list(self._streams)

    def _session(self) -> ApiSession:
        s = self.settings
        policy = policy_for(s)
        session = ApiSession("Salesforce", policy, definitive=is_soap_fault)
        if s.ca_bundle:
            session.verify = s.ca_bundle
        self.last_session = session
        return session

    def _described(self, client: SalesforceClient, obj: str) -> dict[str, str]:
        return selectable(client.describe(obj))

    def _fields(
        self, client: SalesforceClient, stream: Stream, issues: list[DataIssue]
    ) -> list[str]:
        obj = OBJECT_OF[stream.name]
        fields, absent = plan_fields(stream, client.describe(obj), self.name)
        for name in absent:
            issues.append(
                DataIssue(
                    Severity.INFO,
                    f"{obj}.{name} is not available in this org",
                    self.name,
                    stream.table,
                )
            )
        return fields

    def _query_for(
        self, client: SalesforceClient, stream: Stream, fields: list[str], plan: ReadPlan
    ) -> tuple[str, bool]:
        """``(soql, include_deleted)``: full reads use query, incremental ones queryAll."""
        obj = OBJECT_OF[stream.name]
        types = self._described(client, obj)
        incremental = not plan.full and CURSOR in types
        # a datetime, not the cursor text: SOQL datetime literals must not be quoted
        where = [(CURSOR, ">=", parse_ts(plan.since))] if incremental and plan.since else []
        return select(obj, fields, set(types), where), incremental and "IsDeleted" in types

    def _lookup_queries(
        self, client: SalesforceClient, issues: list[DataIssue]
    ) -> dict[str, tuple[str, list[str]]]:
        """``object -> (soql, fields)`` of the lookups the user can read."""
        out = {}
        for obj, wanted in LOOKUPS.items():
            try:
                described = self._described(client, obj)
            except (PermissionDeniedError, UnknownFieldError) as err:
                issues.append(self._lookup_issue(obj, err))
                continue
            fields = [f for f in wanted if f in described]
            out[obj] = (select(obj, fields, set(described)), fields)
        return out

    def _lookup_issue(self, obj: str, err: Exception) -> DataIssue:
        # Lookups only enrich (stage order, team names): a missing permission degrades those
        # columns instead of failing the refresh.
        return DataIssue(Severity.WARNING, f"{obj} could not be read: {err}", self.name)

    def _fetch(
        self,
        client: SalesforceClient,
        stream: Stream,
        fields: list[str],
        plan: ReadPlan,
        first: dict[str, Any],
    ) -> Fetched:
        obj = OBJECT_OF[stream.name]
        soql, include_deleted = self._query_for(client, stream, fields, plan)
        if first.get("totalSize", 0) > self.settings.bulk_threshold and not first["done"]:
            self._bulk_jobs += 1
            chunks = client.bulk_query(soql, obj, include_deleted)
            records = csv_records(chunks, fields, self._described(client, obj), obj)
        else:
            pages = client.query_pages(soql, obj, include_deleted, first=first)
            records = rest_records(pages, fields)
        cursor_values = list(records[CURSOR]) if CURSOR in records else None
        deleted: list[str] = []
        if "IsDeleted" in records and not records.empty:
            gone = records["IsDeleted"].map(lambda v: v is True or str(v).lower() == "true")
            deleted = [str(v) for v in records.loc[gone.to_numpy(), stream.primary_key]]
            records = records[~gone.to_numpy()].reset_index(drop=True)
        return Fetched(records, deleted, cursor_values)

    def read(self, context: ReadContext) -> SourceResult:
        """Read every configured object (see the module doc).

        Round trips are batched with the Composite resource: one call describes every object,
        then the first page of every stream and lookup comes back five queries per call;
        only further pages (or Bulk jobs) cost one request each.
        """
        session = self._session()
        client = SalesforceClient(self.settings, session)
        issues: list[DataIssue] = []
        self._bulk_jobs = 0
        objects = [OBJECT_OF[s.name] for s in self._streams]
        client.describe_all([*objects, *LOOKUPS])
        fields = {s.name: self._fields(client, s, issues) for s in self._streams}
        reader = IncrementalReader(
            self.name, context, store_for(context.cache_dir, context.state_store)
        )
        plans = reader.plan(self._streams, lambda s: fields[s.name])
        lookup_queries = self._lookup_queries(client, issues)
        queries = {f"lookup_{obj}": (soql, False) for obj, (soql, _) in lookup_queries.items()}
        for stream in self._streams:
            queries[stream.name] = self._query_for(
                client, stream, fields[stream.name], plans[stream.name]
            )
        firsts = client.first_pages(queries)
        lookups: dict[str, pd.DataFrame] = {}
        for obj, (soql, lookup_fields) in lookup_queries.items():
            first = firsts[f"lookup_{obj}"]
            if isinstance(first, PermissionDeniedError | UnknownFieldError):
                issues.append(self._lookup_issue(obj, first))
                continue
            if isinstance(first, ConnectorError):
                raise first
            pages = client.query_pages(soql, obj, False, first=first)
            lookups[obj] = rest_records(pages, lookup_fields)
        seen: dict[str, pd.DataFrame] = {}
        now = pd.Timestamp(context.started_at).tz_convert("UTC")

        def fetch(stream: Stream, stream_fields: list[str], plan: ReadPlan) -> Fetched:
            first = firsts[stream.name]
            if isinstance(first, ConnectorError):
                raise first
            return self._fetch(client, stream, stream_fields, plan, first)

        def derive(stream: Stream, records: Mapping[str, pd.DataFrame]):
            seen.update(records)
            return derivations(stream, records, lookups, self.settings.lead_status_map, now)

        result = reader.read(self._streams, lambda s: fields[s.name], fetch, derive, plans)
        if "deal_stage_history" in result.tables:
            result.tables["deal_stage_history"] = stage_changes_only(
                result.tables["deal_stage_history"]
            )
        if "leads" in result.tables and "leads" in seen:
            result.tables["leads"] = without_converted_contacts(
                result.tables["leads"], seen["leads"], self.name
            )
        issues.extend(self._usage_warning(client.usage))
        result.issues = list(dict.fromkeys(issues + result.issues))
        result.requests = session.stats.requests
        result.stats.update(
            {
                "requests": session.stats.requests,
                "retries": session.stats.retries,
                "session_renewals": client.renewals,
                "bulk_jobs": self._bulk_jobs,
                "api_usage": dict(client.usage),
            }
        )
        return result

    def _usage_warning(self, usage: Mapping[str, int]) -> list[DataIssue]:
        """A warning when the org has used most of its daily API allocation."""
        used, limit = usage.get("used", 0), usage.get("limit", 0)
        if not limit or used < USAGE_WARNING * limit:
            return []
        return [
            DataIssue(
                Severity.WARNING,
                f"the org has used {used:,} of its {limit:,} daily API requests "
                f"({used / limit:.0%}); refreshes stop when it runs out: schedule fewer "
                "refreshes or ask Salesforce for a larger allocation",
                self.name,
            )
        ]

    def check(self) -> CheckResult:
        """Log in, then describe every configured object; name whatever is missing."""
        session = self._session()
        client = SalesforceClient(self.settings, session)
        missing: list[str] = []
        try:
            client.call("the login", lambda sf: sf)
        except ConnectorError as err:
            return CheckResult(False, str(err), ("credentials",))
        objects = [*dict.fromkeys(OBJECT_OF[s.name] for s in self._streams), *LOOKUPS]
        try:
            client.describe_all(objects)
        except ConnectorError as err:
            what = "credentials" if isinstance(err, CredentialsError) else "API access"
            return CheckResult(False, str(err), (what,))
        for obj in objects:
            try:
                describe = client.describe(obj)
            except ConnectorError:
                missing.append(f"read access to {obj}")
                continue
            if describe.get("queryable") is False:
                missing.append(f"read access to {obj}")
        for (stream, column), field in self._custom.items():
            obj = OBJECT_OF[stream]
            if f"read access to {obj}" in missing:
                continue
            if field not in self._described(client, obj):
                missing.append(f"field {obj}.{field} (custom_fields.{stream}.{column})")
        if missing:
            return CheckResult(
                False,
                f"Salesforce connection works but the user lacks: {'; '.join(missing)}",
                tuple(missing),
            )
        return CheckResult(True, f"Salesforce connection {self.name!r} can read every object")
