"""The Salesforce API as the connector uses it, on top of simple-salesforce.

:class:`SalesforceClient` owns one :class:`~simple_salesforce.Salesforce` instance built on the
connector's :class:`ApiSession` (timeouts, counted requests, 429/5xx retries). It adds:

- session renewal: a 401 ``INVALID_SESSION_ID`` re-runs :func:`login` once and retries the call;
  a second 401 is a :class:`CredentialsError`;
- error translation: Salesforce error codes become typed errors with actionable messages
  (``REQUEST_LIMIT_EXCEEDED`` -> :class:`QuotaExceededError`, never retried; ``INVALID_FIELD`` ->
  :class:`UnknownFieldError`; 403 -> :class:`PermissionDeniedError`...);
- page validation: every query page must carry ``records``, ``done`` and, when not done,
  ``nextRecordsUrl``; pages are walked with the shared :class:`Paginator`;
- Bulk API 2.0 query jobs (:mod:`connectors.salesforce.bulk`: create job, poll within a time
  bound, CSV results paged by ``Sforce-Locator``);
- API usage from ``Sforce-Limit-Info`` (``usage``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any, TypeVar
from urllib.parse import quote

import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceError, SalesforceExpiredSession

from connectors.common.errors import (
    ConnectorError,
    CredentialsError,
    MalformedResponseError,
    PermissionDeniedError,
    QuotaExceededError,
    RequestRejectedError,
    UnknownFieldError,
)
from connectors.common.http import ApiSession
from connectors.common.paging import Paginator
from connectors.salesforce.auth import SERVICE, Token, login
from connectors.salesforce.bulk import query_job
from connectors.salesforce.settings import SalesforceSettings

T = TypeVar("T")
BULK_PAGE = 10_000  # records per Bulk API 2.0 result page
COMPOSITE_MAX = 25
COMPOSITE_MAX_QUERIES = 5
_USAGE = re.compile(r"api-usage=(\d+)/(\d+)")

_PERMISSION_HINTS = {
    "API_DISABLED_FOR_ORG": "the org's edition has no API access, or API Enabled is off",
    "API_CURRENTLY_DISABLED": "give the user the 'API Enabled' permission",
    "INSUFFICIENT_ACCESS": "give the user read access to the object",
    "INSUFFICIENT_ACCESS_OR_READONLY": "give the user read access to the object",
    "FUNCTIONALITY_NOT_ENABLED": "the feature is not enabled in this org",
}


def _first_error(content: Any) -> tuple[str, str]:
    """(errorCode, message) of a Salesforce error body (a list of errors or a dict)."""
    if isinstance(content, list) and content and isinstance(content[0], dict):
        content = content[0]
    if isinstance(content, dict):
        return str(content.get("errorCode", "")), str(content.get("message", ""))
    return "", ""


def translate(err: SalesforceError, what: str, usage: dict[str, int]) -> ConnectorError:
    """The typed connector error for a simple-salesforce error raised while doing ``what``."""
    return translate_status(err.status, err.content, what, usage)


def translate_status(status: int, content: Any, what: str, usage: dict[str, int]) -> ConnectorError:
    """The typed connector error for an error ``status`` and body ``content``."""
    code, message = _first_error(content)
    detail = f"{code}: {message}" if code else message or f"HTTP {status}"
    detail = " ".join(detail.split())[:300]
    if code == "REQUEST_LIMIT_EXCEEDED":
        used = f" ({usage['used']}/{usage['limit']} used)" if usage else ""
        return QuotaExceededError(
            f"Salesforce refused {what}: the org's daily API request limit is reached{used}; "
            "wait for the rolling 24-hour allocation to free up or ask Salesforce to raise it",
            SERVICE,
            status,
        )
    if status == 401:
        return CredentialsError(
            f"Salesforce rejected the session while {what} ({detail}); reconnect Salesforce",
            SERVICE,
            401,
        )
    if status == 403 or code in _PERMISSION_HINTS:
        hint = _PERMISSION_HINTS.get(code, "give the connected user the missing permission")
        return PermissionDeniedError(
            f"Salesforce denied {what} ({detail}); {hint}", SERVICE, status
        )
    if code in ("INVALID_FIELD", "INVALID_TYPE", "NOT_FOUND") or status == 404:
        return UnknownFieldError(
            f"Salesforce does not know what {what} asked for ({detail}); check the object and "
            "field API names in custom_fields and the user's field-level security",
            SERVICE,
            status,
        )
    return RequestRejectedError(f"Salesforce rejected {what} ({detail})", SERVICE, status)


def _check_page(page: Any, what: str) -> dict[str, Any]:
    """A query page shaped as documented, else :class:`MalformedResponseError`."""
    ok = (
        isinstance(page, dict)
        and isinstance(page.get("records"), list)
        and isinstance(page.get("done"), bool)
        and (page["done"] or isinstance(page.get("nextRecordsUrl"), str))
    )
    if not ok:
        raise MalformedResponseError(
            f"Salesforce answered {what} with a page that lacks records/done/nextRecordsUrl; "
            "the response was truncated or altered on the way, run the refresh again",
            SERVICE,
        )
    return page  # type: ignore[no-any-return]


class SalesforceClient:
    """One connected Salesforce org (see the module doc). No I/O until first used."""

    def __init__(
        self,
        settings: SalesforceSettings,
        session: ApiSession,
        authenticate: Callable[[requests.Session, SalesforceSettings], Token] = login,
    ) -> None:
        self.settings = settings
        self.session = session
        self.authenticate = authenticate
        self.usage: dict[str, int] = {}
        self.renewals = 0
        self._sf: Salesforce | None = None
        self._describes: dict[str, dict[str, Any]] = {}
        self.describe_errors: dict[str, ConnectorError] = {}
        session.add_listener(self._read_usage)

    def _read_usage(self, response: requests.Response) -> None:
        match = _USAGE.search(response.headers.get("Sforce-Limit-Info", ""))
        if match:
            self.usage = {"used": int(match.group(1)), "limit": int(match.group(2))}

    def _connect(self) -> Salesforce:
        token = self.authenticate(self.session, self.settings)
        self._sf = Salesforce(
            instance_url=token.instance_url,
            session_id=token.access_token,
            session=self.session,
            version=self.settings.api_version,
            object_pairs_hook=dict,
        )
        return self._sf

    def call(self, what: str, fn: Callable[[Salesforce], T]) -> T:
        """Run ``fn(sf)``, renewing an expired session once and translating errors."""
        sf = self._sf or self._connect()
        renewed = False
        while True:
            try:
                return fn(sf)
            except SalesforceExpiredSession as err:
                if renewed:
                    raise translate(err, what, self.usage) from err
                renewed = True
                self.renewals += 1
                sf = self._connect()
            except SalesforceError as err:
                raise translate(err, what, self.usage) from err
            except ValueError as err:  # requests' JSONDecodeError: a truncated body
                raise MalformedResponseError(
                    f"Salesforce answered {what} with a body that is not valid JSON (truncated "
                    "or cut off); run the refresh again",
                    SERVICE,
                ) from err

    def composite(
        self, what: str, requests_: list[tuple[str, str, dict[str, str]]]
    ) -> dict[str, tuple[int, Any]]:
        """Run GET subrequests ``(referenceId, path under /services/data/vXX, headers)`` through
        the Composite resource: one round trip per 25 subrequests, at most 5 of them queries
        (the documented limits). Returns ``referenceId -> (status, body)``.
        """
        out: dict[str, tuple[int, Any]] = {}
        batch: list[dict[str, Any]] = []
        queries = 0

        def flush() -> None:
            if not batch:
                return
            sent = list(batch)
            payload = {"allOrNone": False, "compositeRequest": sent}
            answer = self.call(
                what, lambda sf: sf.restful("composite", method="POST", json=payload)
            )
            items = answer.get("compositeResponse") if isinstance(answer, dict) else None
            if not isinstance(items, list) or len(items) != len(sent):
                raise MalformedResponseError(
                    f"Salesforce answered {what} with an incomplete composite response; "
                    "run the refresh again",
                    SERVICE,
                )
            for item in items:
                out[str(item.get("referenceId"))] = (
                    int(item.get("httpStatusCode", 0)),
                    item.get("body"),
                )
            missing = [str(e["referenceId"]) for e in sent if str(e["referenceId"]) not in out]
            if missing:
                raise MalformedResponseError(
                    f"Salesforce answered {what} without the subrequest(s) "
                    f"{', '.join(missing)}; run the refresh again",
                    SERVICE,
                )
            batch.clear()

        for ref, path, headers in requests_:
            is_query = path.startswith(("query", "queryAll"))
            if len(batch) == COMPOSITE_MAX or (is_query and queries == COMPOSITE_MAX_QUERIES):
                flush()
                queries = 0
            entry: dict[str, Any] = {
                "method": "GET",
                "url": f"/services/data/v{self.settings.api_version}/{path}",
                "referenceId": ref,
            }
            if headers:
                entry["httpHeaders"] = headers
            batch.append(entry)
            queries += int(is_query)
        flush()
        return out

    def describe_all(self, objects: list[str]) -> dict[str, ConnectorError]:
        """Describe ``objects`` in composite round trips; returns the errors per object."""
        wanted = [o for o in dict.fromkeys(objects) if o not in self._describes]
        answers = self.composite(
            "describing the objects", [(o, f"sobjects/{o}/describe", {}) for o in wanted]
        )
        errors: dict[str, ConnectorError] = {}
        for obj in wanted:
            status, body = answers[obj]
            if status == 200 and isinstance(body, dict) and isinstance(body.get("fields"), list):
                self._describes[obj] = body
            elif status == 200:
                errors[obj] = MalformedResponseError(
                    f"Salesforce describe of {obj} has no field list", SERVICE
                )
            else:
                errors[obj] = translate_status(status, body, f"describing {obj}", self.usage)
        self.describe_errors.update(errors)
        return errors

    def first_pages(
        self, queries: dict[str, tuple[str, bool]]
    ) -> dict[str, dict[str, Any] | ConnectorError]:
        """The first page of each ``name -> (soql, include_deleted)`` query, batched.

        A query the API refused maps to its typed error (the caller decides whether it is
        fatal); a page that is not shaped as documented raises at once.
        """
        headers = {"Sforce-Query-Options": f"batchSize={self.settings.page_size}"}
        subrequests = [
            (name, f"{'queryAll' if deleted else 'query'}?q={quote(soql)}", headers)
            for name, (soql, deleted) in queries.items()
        ]
        answers = self.composite("the first query pages", subrequests)
        pages: dict[str, dict[str, Any] | ConnectorError] = {}
        for name in queries:
            status, body = answers[name]
            what = f"the {name} query"
            if status == 200:
                pages[name] = _check_page(body, what)
            else:
                pages[name] = translate_status(status, body, what, self.usage)
        return pages

    def describe(self, obj: str) -> dict[str, Any]:
        """The describe of ``obj`` (cached for the life of the client)."""
        if obj in self.describe_errors:
            raise self.describe_errors[obj]
        if obj not in self._describes:
            result = self.call(f"describing {obj}", lambda sf: getattr(sf, obj).describe())
            if not isinstance(result, dict) or not isinstance(result.get("fields"), list):
                raise MalformedResponseError(
                    f"Salesforce describe of {obj} has no field list", SERVICE
                )
            self._describes[obj] = result
        return self._describes[obj]

    def query_pages(
        self,
        soql: str,
        obj: str,
        include_deleted: bool,
        first: dict[str, Any] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """The pages of a REST query (``queryAll`` when ``include_deleted``), validated.

        ``first`` is the already fetched first page (from :meth:`first_pages`), if any.
        """
        headers = {"Sforce-Query-Options": f"batchSize={self.settings.page_size}"}
        what = f"the {obj} query"

        def fetch(token: str | None) -> dict[str, Any]:
            if token is None and first is not None:
                return first
            if token is None:
                page = self.call(
                    what,
                    lambda sf: sf.query(soql, include_deleted=include_deleted, headers=headers),
                )
            else:
                page = self.call(
                    what,
                    lambda sf: sf.query_more(token, identifier_is_url=True, headers=headers),
                )
            return _check_page(page, what)

        def next_url(page: dict[str, Any]) -> str | None:
            return None if page["done"] else str(page["nextRecordsUrl"])

        return iter(Paginator(fetch, next_url, SERVICE, what))

    def bulk_query(self, soql: str, obj: str, include_deleted: bool) -> list[str]:
        """CSV result pages of a Bulk API 2.0 query job (``queryAll`` when ``include_deleted``)."""
        settings = self.settings
        size = max(settings.page_size, BULK_PAGE)
        return self.call(
            f"the {obj} Bulk API 2.0 query",
            lambda sf: query_job(
                sf,
                soql,
                obj,
                include_deleted,
                size,
                settings.bulk_poll_seconds,
                settings.bulk_timeout_seconds,
            ),
        )
