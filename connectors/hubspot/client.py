"""The HubSpot CRM v3 API as the connector uses it, on top of hubspot-api-client.

:class:`HubSpotClient` owns one ``hubspot.Client`` pointed at ``settings.host`` and adds:

- the shared HTTP policy (:func:`~connectors.common.calls.call_with_retries`): every attempt
  counted, 429/5xx/timeouts retried with backoff or ``Retry-After``, other 4xx failing fast;
  urllib3's own retries are switched off so nothing retries twice;
- pacing by a :class:`~connectors.common.ratelimit.RateLimiter` shared per account: the burst
  window (per 10 s) for every call and the per-second search window for searches;
- OAuth: the access token is fetched with the refresh token from ``settings.oauth_host`` and
  renewed once when the API answers 401; a private app token that gets a 401 is a
  :class:`CredentialsError`;
- error translation: 403 names the missing scopes HubSpot lists, other 4xx carry HubSpot's own
  message; bodies that are not the documented JSON shape are :class:`MalformedResponseError`.

Responses are read raw (``_preload_content=False``) and parsed as JSON here: the generated
models build a configuration object per record, far too slow for 100k-record pulls.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

import urllib3
from hubspot import Client

from connectors.common.calls import Transient, call_with_retries
from connectors.common.errors import (
    ConnectorError,
    CredentialsError,
    MalformedResponseError,
    PermissionDeniedError,
    TransportSecurityError,
    error_for_status,
)
from connectors.common.http import RequestStats, RetryPolicy, retry_after_seconds
from connectors.common.ratelimit import RateLimiter, shared_limiter
from connectors.hubspot.settings import HubSpotSettings

SERVICE = "HubSpot"
APIS: dict[str, Callable[[Client], Any]] = {
    "objects": lambda c: c.crm.objects.basic_api,
    "search": lambda c: c.crm.objects.search_api,
    "associations": lambda c: c.crm.associations.v4.batch_api,
    "owners": lambda c: c.crm.owners.owners_api,
    "pipelines": lambda c: c.crm.pipelines.pipelines_api,
    "properties": lambda c: c.crm.properties.core_api,
}
LIST_LIMIT = 100
ASSOCIATION_BATCH = 1000


def _status(err: BaseException) -> int | None:
    """The HTTP status of a hubspot-api-client ``ApiException`` (each API package has its own)."""
    status = getattr(err, "status", None)
    return status if isinstance(status, int) and hasattr(err, "body") else None


def classify(err: BaseException) -> Transient | None:
    """Which client failures are worth retrying: 429, 5xx, timeouts, dropped connections."""
    status = _status(err)
    if status is not None and (status == 429 or 500 <= status <= 599):
        return Transient(f"HTTP {status}", status, retry_after_seconds(_headers(err)))
    if isinstance(err, urllib3.exceptions.SSLError):
        return None
    if isinstance(err, urllib3.exceptions.NewConnectionError):
        return Transient("connection error")  # checked first: urllib3 files it under timeouts
    if isinstance(err, urllib3.exceptions.TimeoutError):
        return Transient("timeout")
    if isinstance(err, urllib3.exceptions.HTTPError):
        return Transient("connection error")
    return None


def _headers(err: BaseException) -> Any:
    headers = getattr(err, "headers", None)
    return headers if headers is not None else {}


def _body(err: BaseException) -> dict[str, Any]:
    raw = getattr(err, "body", None)
    try:
        data = json.loads(raw) if raw else {}
    except (TypeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def missing_scopes(body: dict[str, Any]) -> list[str]:
    """The scopes a HubSpot ``MISSING_SCOPES`` error body says the call needs."""
    found: list[str] = []
    for error in body.get("errors") or []:
        context = error.get("context") or {} if isinstance(error, dict) else {}
        for key in ("requiredGranularScopes", "requiredScopes"):
            found.extend(str(s) for s in context.get(key) or [])
    return list(dict.fromkeys(found))


class MissingScopesError(PermissionDeniedError):
    """A 403 naming the OAuth / private app scopes the call needs (``scopes``)."""

    def __init__(self, message: str, scopes: list[str], status: int = 403) -> None:
        super().__init__(message, SERVICE, status)
        self.scopes = tuple(scopes)


class HubSpotClient:
    """One authenticated HubSpot connection for one read (see the module doc)."""

    def __init__(
        self,
        settings: HubSpotSettings,
        policy: RetryPolicy,
        stats: RequestStats,
        token: str | None = None,
    ) -> None:
        self.settings = settings
        self.policy = policy
        self.stats = stats
        self.renewals = 0
        account = settings.secret("access_token") or f"{settings.client_id}:{settings.host}"
        key = "hubspot:" + hashlib.sha256(account.encode()).hexdigest()[:16]
        self.limiter: RateLimiter = shared_limiter(key, [(settings.burst_limit, 10.0)])
        self.search_limiter: RateLimiter = shared_limiter(
            key + ":search", [(settings.search_per_second, 1.0)]
        )
        # An OAuth access token from an earlier read is reused until HubSpot refuses it.
        self._token: str | None = token or settings.secret("access_token")
        self._client: Client | None = None
        self._apis: dict[str, Any] = {}

    @property
    def token(self) -> str | None:
        """The access token in use (kept by the source for its next read)."""
        return self._token

    # -- plumbing ------------------------------------------------------------------------

    def _build(self, host: str, token: str | None) -> Client:
        options: dict[str, Any] = {"host": host, "retry": False}
        if token:
            options["access_token"] = token
        if self.settings.ca_bundle:
            options["ssl_ca_cert"] = self.settings.ca_bundle
        return Client(**options)

    def _api(self, name: str) -> Any:
        if self._client is None:
            if self.settings.auth == "oauth" and self._token is None:
                self._token = self._refresh_access_token()
            self._client = self._build(self.settings.host, self._token)
            self._apis = {}
        if name not in self._apis:
            # Discovery properties build a new ApiClient (and connection pool) per access.
            self._apis[name] = APIS[name](self._client)
        return self._apis[name]

    def _timeout(self) -> tuple[float, float]:
        read = self.settings.timeout_seconds
        return (min(10.0, read), read)

    def _send(self, what: str, request: Callable[[], Any], search: bool) -> Any:
        def once() -> bytes:
            self.limiter.acquire()
            if search:
                self.search_limiter.acquire()
            response = request()
            try:
                return bytes(response.data)
            finally:
                response.release_conn()

        raw = call_with_retries(SERVICE, what, once, classify, self.policy, self.stats)
        try:
            return json.loads(raw)
        except ValueError as err:
            raise MalformedResponseError(
                f"HubSpot answered {what} with a body that is not valid JSON (truncated or "
                "corrupted page); nothing was written, run the refresh again",
                SERVICE,
            ) from err

    def call(self, what: str, api: str, method: str, *args: Any, **kwargs: Any) -> Any:
        """Call ``method`` of API ``api`` (a key of :data:`APIS`) and return the parsed JSON.

        The API object is looked up on every attempt, so a call retried after a token renewal
        goes out with the new token.
        """
        search = api == "search"

        def request() -> Any:
            return getattr(self._api(api), method)(
                *args, _preload_content=False, _request_timeout=self._timeout(), **kwargs
            )

        for attempt in (1, 2):
            try:
                return self._send(what, request, search)
            except ConnectorError:
                raise
            except urllib3.exceptions.SSLError as err:
                raise TransportSecurityError(
                    f"HubSpot: the TLS certificate of {self.settings.host} could not be "
                    "verified; check host, or set ca_bundle to the CA that signs it",
                    SERVICE,
                ) from err
            except Exception as err:
                status = _status(err)
                if status is None:
                    raise
                if status == 401 and self.settings.auth == "oauth" and attempt == 1:
                    self._renew()
                    continue
                raise self._translate(status, _body(err), what) from err
        raise AssertionError("unreachable")  # pragma: no cover

    def _translate(self, status: int, body: dict[str, Any], what: str) -> ConnectorError:
        detail = str(body.get("message") or "")[:300]
        if status == 401 and self.settings.auth == "private_app":
            return CredentialsError(
                f"HubSpot refused the private app token (401 on {what}); the token was "
                "rotated or deleted: paste the app's current access token",
                SERVICE,
                status,
            )
        if status == 403:
            scopes = missing_scopes(body)
            if scopes:
                return MissingScopesError(
                    f"HubSpot denied {what} (403): the app lacks the scope(s) "
                    f"{', '.join(scopes)}; add them to the app and reconnect",
                    scopes,
                    status,
                )
        return error_for_status(SERVICE, status, what, detail)

    def _renew(self) -> None:
        self.renewals += 1
        self._token = self._refresh_access_token()
        self._client = None

    def _refresh_access_token(self) -> str:
        oauth = self._build(self.settings.oauth_host, None).oauth.tokens_api
        what = "the OAuth token refresh"
        try:
            data = self._send(
                what,
                lambda: oauth.create(
                    grant_type="refresh_token",
                    client_id=self.settings.client_id,
                    client_secret=self.settings.secret("client_secret"),
                    refresh_token=self.settings.secret("refresh_token"),
                    _preload_content=False,
                    _request_timeout=self._timeout(),
                ),
                False,
            )
        except ConnectorError:
            raise
        except Exception as err:
            status = _status(err)
            if status is None:
                raise
            if status in (400, 401):
                raise CredentialsError(
                    f"HubSpot refused the OAuth refresh token ({status} on {what}): "
                    f"{_body(err).get('message', 'invalid grant')}; reconnect the HubSpot "
                    "account to get a new refresh token",
                    SERVICE,
                    status,
                ) from err
            raise self._translate(status, _body(err), what) from err
        token = data.get("access_token") if isinstance(data, dict) else None
        if not token:
            raise MalformedResponseError(
                "HubSpot's OAuth token response has no access_token", SERVICE
            )
        return str(token)

    # -- endpoints -----------------------------------------------------------------------

    def list_page(
        self,
        object_type: str,
        after: str | None,
        properties: list[str],
        associations: list[str],
        archived: bool = False,
        limit: int = LIST_LIMIT,
    ) -> dict[str, Any]:
        """``GET /crm/v3/objects/{type}``: one page of records (``after`` cursor)."""
        extra: dict[str, Any] = {"after": after} if after else {}
        if associations:
            extra["associations"] = associations
        data = self.call(
            f"GET /crm/v3/objects/{object_type}",
            "objects",
            "get_page",
            object_type,
            limit=limit,
            properties=properties,
            archived=archived,
            **extra,
        )
        return checked_page(data, f"the {object_type} list")

    def search_page(self, object_type: str, body: dict[str, Any]) -> dict[str, Any]:
        """``POST /crm/v3/objects/{type}/search``: one page of search results with ``total``."""
        data = self.call(
            f"POST /crm/v3/objects/{object_type}/search", "search", "do_search", object_type, body
        )
        page = checked_page(data, f"the {object_type} search")
        if not isinstance(page.get("total"), int):
            raise MalformedResponseError(
                f"HubSpot's {object_type} search page has no total; nothing was written",
                SERVICE,
            )
        return page

    def associations(self, from_type: str, to_type: str, ids: list[str]) -> dict[str, list[str]]:
        """Associated ids of ``ids`` (v4 batch read, 1,000 per call), primary first."""
        found: dict[str, list[str]] = {}
        for start in range(0, len(ids), ASSOCIATION_BATCH):
            body = {"inputs": [{"id": i} for i in ids[start : start + ASSOCIATION_BATCH]]}
            data = self.call(
                f"POST /crm/v4/associations/{from_type}/{to_type}/batch/read",
                "associations",
                "get_page",
                from_type,
                to_type,
                body,
            )
            for row in checked_page(data, f"the {from_type}-{to_type} associations")["results"]:
                targets = row.get("to") or []
                ranked = sorted(targets, key=lambda t: not _is_primary(t))
                found[str(row["from"]["id"])] = [str(t["toObjectId"]) for t in ranked]
        return found

    def owners_page(self, after: str | None, archived: bool) -> dict[str, Any]:
        """``GET /crm/v3/owners``: one page of owners (users), teams included."""
        extra = {"after": after} if after else {}
        data = self.call(
            "GET /crm/v3/owners", "owners", "get_page", limit=LIST_LIMIT, archived=archived, **extra
        )
        return checked_page(data, "the owners list")

    def pipelines(self, object_type: str) -> list[dict[str, Any]]:
        """``GET /crm/v3/pipelines/{type}``: pipelines with their stages and stage metadata."""
        data = self.call(
            f"GET /crm/v3/pipelines/{object_type}", "pipelines", "get_all", object_type
        )
        return list(checked_page(data, f"the {object_type} pipelines")["results"])

    def property_names(self, object_type: str) -> set[str]:
        """The property names ``object_type`` has in the account (properties API)."""
        data = self.call(
            f"GET /crm/v3/properties/{object_type}", "properties", "get_all", object_type
        )
        results = checked_page(data, f"the {object_type} properties")["results"]
        return {str(p.get("name")) for p in results}


def _is_primary(target: dict[str, Any]) -> bool:
    return any(
        str(t.get("label") or "").lower() == "primary" for t in target.get("associationTypes") or []
    )


def checked_page(data: Any, what: str) -> dict[str, Any]:
    """``data`` if it is a documented HubSpot page (``results`` list, string ``after``)."""
    if not isinstance(data, dict) or not isinstance(data.get("results"), list):
        raise MalformedResponseError(
            f"HubSpot's answer to {what} has no results list; nothing was written, "
            "run the refresh again",
            SERVICE,
        )
    paging = data.get("paging")
    if paging is not None:
        after = (paging.get("next") or {}).get("after") if isinstance(paging, dict) else None
        if paging.get("next") is not None and not isinstance(after, str | int):
            raise MalformedResponseError(
                f"HubSpot's answer to {what} has a paging.next without an after cursor",
                SERVICE,
            )
    return data


def next_after(page: dict[str, Any]) -> str | None:
    """The ``paging.next.after`` cursor of a page, ``None`` on the last page."""
    after = ((page.get("paging") or {}).get("next") or {}).get("after")
    return str(after) if after not in (None, "") else None
