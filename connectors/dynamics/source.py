"""``DynamicsSource``: Dynamics 365 / Dataverse tables -> canonical tables, incremental.

Per read: get a token (msal client credentials, cached between reads), read the currency lookup,
then every stream through the shared :class:`IncrementalReader`, up to 5,000 rows per page:

- full read: ``GET <entity set>?$select=...``. For tables with change tracking the request
  carries ``Prefer: odata.track-changes``; the last page's ``@odata.deltaLink`` is kept in the
  record store (stream ``<name>#delta``) once the read committed;
- incremental read, change tracking (default for every table that supports it): ``GET`` the
  stored delta link; it returns the rows changed since, and ``$deletedEntity`` entries for the
  rows deleted since, both proportional to the changes; a fresh delta link replaces the old;
- incremental read otherwise (``activitypointers``, which Dataverse does not track, or
  ``deletions: reconcile``, or a missing / expired delta link): rows with
  ``modifiedon ge <cursor>``, and deletions found by a key reconciliation pass (primary keys
  only, 5,000 per page) compared with the cached keys.

Cursors (``modifiedon``) are proposed, never past the sync's start.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import pandas as pd

from connectors.base import CheckResult, ReadContext, Source, SourceResult, Stream
from connectors.common.cache import CacheState, RecordStore, store_for
from connectors.common.errors import (
    ConnectorError,
    MalformedResponseError,
    PermissionDeniedError,
    RequestRejectedError,
)
from connectors.common.http import ApiSession, policy_for
from connectors.common.incremental import ReadPlan
from connectors.common.ratelimit import RateLimiter, shared_limiter
from connectors.common.runner import Fetched, IncrementalReader
from connectors.common.streams import mapped_fields, records_frame, select_streams
from connectors.dynamics.auth import SERVICE, TokenProvider
from connectors.dynamics.client import DataverseClient
from connectors.dynamics.settings import DynamicsSettings, parse_settings
from connectors.dynamics.streams import (
    ACTIVITY_TYPES,
    BY_NAME,
    CURSOR,
    STREAMS,
    DataverseStream,
    derivations,
    normalise,
    select_columns,
)
from sheets_sync.issues import DataIssue, Severity

DELETED = "$deletedEntity"


def delta_stream(name: str) -> str:
    """The record-store stream holding ``name``'s delta link."""
    return f"{name}#delta"


class DynamicsSource(Source):
    """Reads Dataverse with requests + msal (see the module doc and the docs page)."""

    type: ClassVar[str] = "dynamics"

    def __init__(self, name: str, options: Mapping[str, Any]) -> None:
        super().__init__(name, options)
        self.settings: DynamicsSettings = parse_settings(name, options)
        catalogue = [(s.stream.name, s.stream) for s in STREAMS]
        self._streams = select_streams(
            self.type,
            name,
            "entities",
            self.settings.entities,
            catalogue,
            self.settings.custom_fields,
        )
        self.tokens = TokenProvider(self.settings)
        self._session: ApiSession | None = None

    def streams(self) -> list[Stream]:
        """The configured streams, custom fields included."""
        return list(self._streams)

    @property
    def session(self) -> ApiSession:
        """The HTTP session (one per source, so msal's discovery and token cache persist)."""
        if self._session is None:
            s = self.settings
            policy = policy_for(s)
            session = ApiSession(SERVICE, policy)
            if s.ca_bundle:
                session.verify = s.ca_bundle
            self._session = session
        return self._session

    def _limiter(self) -> RateLimiter:
        # Dataverse's service protection limit is 6,000 requests per 5 minutes per user.
        key = f"dynamics:{self.settings.org_url}:{self.settings.client_id}"
        return shared_limiter(key, [(self.settings.requests_per_5_minutes, 300.0)])

    def client(self) -> DataverseClient:
        """A client for one read or check."""
        return DataverseClient(self.settings, self.session, self.tokens, self._limiter())

    # -- reading -------------------------------------------------------------------------

    def read(self, context: ReadContext) -> SourceResult:
        """Read every configured table (see the module doc)."""
        client = self.client()
        stats = self.session.stats
        before, retries, renewals = stats.requests, stats.retries, client.renewals
        acquired = self.tokens.acquired
        store = store_for(context.cache_dir, context.state_store)
        issues: list[DataIssue] = []
        currencies = self._currencies(client, issues)
        deltas: dict[str, str] = {}

        def fields_for(stream: Stream) -> list[str]:
            return mapped_fields(stream, BY_NAME[stream.name].extra)

        def fetch(stream: Stream, fields: list[str], plan: ReadPlan) -> Fetched:
            return self._fetch(client, store, stream, fields, plan, deltas)

        def derive(stream: Stream, records: Mapping[str, pd.DataFrame]):
            return derivations(stream.name, records, currencies, self.settings.pipeline_name)

        reader = IncrementalReader(self.name, context, store)
        result = reader.read(self._streams, fields_for, fetch, derive)
        result.issues = issues + result.issues
        # Written after the records committed: a lost delta link only costs a slower next
        # read (modifiedon + key reconciliation), never a missed change.
        for name, link in deltas.items():
            state = store.state(name)
            store.replace(
                delta_stream(name),
                "stream",
                pd.DataFrame([{"stream": name, "link": link}]),
                CacheState(state.fingerprint if state else "", state.high_water if state else None),
            )
        result.requests = stats.requests - before
        result.stats.update(
            {
                "requests": result.requests,
                "retries": stats.retries - retries,
                "token_renewals": client.renewals - renewals,
                "tokens_acquired": self.tokens.acquired - acquired,
                "delta_links": sorted(deltas),
            }
        )
        return result

    def _currencies(self, client: DataverseClient, issues: list[DataIssue]) -> dict[str, str]:
        url = client.collection_url(
            "transactioncurrencies", ["transactioncurrencyid", "isocurrencycode"]
        )
        found: dict[str, str] = {}
        try:
            for page in client.pages(url, "transactioncurrencies"):
                for row in page["value"]:
                    found[str(row.get("transactioncurrencyid"))] = str(row.get("isocurrencycode"))
        except PermissionDeniedError as err:
            # Currency only labels money columns: a missing privilege degrades, never fails.
            issues.append(
                DataIssue(
                    Severity.WARNING,
                    f"currencies could not be read, currency columns are blank: {err}",
                    self.name,
                )
            )
        return found

    def _fetch(
        self,
        client: DataverseClient,
        store: RecordStore,
        stream: Stream,
        fields: list[str],
        plan: ReadPlan,
        deltas: dict[str, str],
    ) -> Fetched:
        spec = BY_NAME[stream.name]
        select = select_columns(fields)
        tracked = spec.tracks_changes and self.settings.deletions == "change_tracking"
        what = spec.entity_set
        if plan.full:
            url = client.collection_url(spec.entity_set, select, _type_filter(spec))
            rows, _, link = self._collect(client, url, what, tracked)
            if link:
                deltas[stream.name] = link
            return Fetched(records_frame(rows, fields))
        link = self._stored_delta(store, stream.name) if tracked else None
        if link:
            try:
                rows, deleted, new_link = self._collect(client, link, what, True)
            except RequestRejectedError:
                link = None  # expired change-tracking token: fall back below
            else:
                if new_link:
                    deltas[stream.name] = new_link
                return Fetched(records_frame(rows, fields), deleted)
        since = f"{CURSOR} ge {plan.since}"
        type_filter = _type_filter(spec)
        where = f"({type_filter}) and {since}" if type_filter else since
        rows, _, _ = self._collect(
            client, client.collection_url(spec.entity_set, select, where), what, False
        )
        deleted = self._reconciled(client, store, spec, stream)
        return Fetched(records_frame(rows, fields), deleted)

    def _collect(
        self, client: DataverseClient, url: str, what: str, track: bool
    ) -> tuple[list[dict[str, Any]], list[str], str | None]:
        rows: list[dict[str, Any]] = []
        deleted: list[str] = []
        link: str | None = None
        for page in client.pages(url, what, track):
            for row in page["value"]:
                if not isinstance(row, dict):
                    raise _malformed(what)
                if DELETED in str(row.get("@odata.context", "")):
                    deleted.append(str(row.get("id")))
                else:
                    rows.append(normalise(row))
            link = page.get("@odata.deltaLink") or link
        return rows, deleted, link

    def _stored_delta(self, store: RecordStore, name: str) -> str | None:
        saved = store.load(delta_stream(name))
        if saved.empty or "link" not in saved:
            return None
        return str(saved["link"].iloc[0])

    def _reconciled(
        self, client: DataverseClient, store: RecordStore, spec: DataverseStream, stream: Stream
    ) -> list[str]:
        """Cached keys that no longer exist: one pass over the primary keys alone."""
        key = stream.primary_key
        url = client.collection_url(spec.entity_set, [key], _type_filter(spec))
        live: set[str] = set()
        for page in client.pages(url, f"{spec.entity_set} keys"):
            live.update(str(row.get(key)) for row in page["value"])
        cached = store.load(stream.name)
        if cached.empty or key not in cached:
            return []
        return [str(k) for k in cached[key] if str(k) not in live]

    # -- connection test -----------------------------------------------------------------

    def check(self) -> CheckResult:
        """Get a token, ask WhoAmI, then compare the user's privileges with those needed."""
        client = self.client()
        root = self.settings.api_root
        try:
            user = client.get(f"{root}WhoAmI", "WhoAmI")
            granted = client.get(
                f"{root}systemusers({user['UserId']})/Microsoft.Dynamics.CRM."
                "RetrieveUserPrivileges",
                "RetrieveUserPrivileges",
            )
        except ConnectorError as err:
            return CheckResult(False, str(err), ("credentials",))
        have = {str(p.get("PrivilegeName")) for p in granted.get("RolePrivileges") or []}
        missing = [
            f"privilege {BY_NAME[s.name].privilege} ({BY_NAME[s.name].entity_set})"
            for s in self._streams
            if BY_NAME[s.name].privilege not in have
        ]
        missing.extend(self._missing_fields(client, have))
        if missing:
            return CheckResult(
                False,
                f"Dynamics 365 connection works but the application user lacks: "
                f"{'; '.join(missing)}",
                tuple(missing),
            )
        return CheckResult(True, f"Dynamics 365 connection {self.name!r} can read every table")

    def _missing_fields(self, client: DataverseClient, have: set[str]) -> list[str]:
        absent: list[str] = []
        for stream_name, fields in dict(self.settings.custom_fields).items():
            spec = BY_NAME[stream_name]
            if spec.privilege not in have:
                continue
            for column, field in fields.items():
                url = client.collection_url(spec.entity_set, select_columns([field]))
                try:
                    client.get(url + "&$top=1", f"{spec.entity_set}.{field}")
                except ConnectorError:
                    absent.append(
                        f"column {spec.entity_set}.{field} (custom_fields.{stream_name}.{column})"
                    )
        return absent


def _type_filter(spec: DataverseStream) -> str | None:
    if spec.entity_set != "activitypointers":
        return None
    return " or ".join(f"activitytypecode eq '{t}'" for t in ACTIVITY_TYPES)


def _malformed(what: str) -> Exception:
    return MalformedResponseError(
        f"{SERVICE} answered {what} with a row that is not an object; nothing was written",
        SERVICE,
    )
