"""The Dataverse Web API (OData v4) as the connector uses it, with requests and msal tokens.

:class:`DataverseClient` sends every call through the connector's :class:`ApiSession` (timeouts,
counted requests, 429/5xx retries honouring ``Retry-After``) with:

- ``Authorization: Bearer`` from :class:`TokenProvider`; a 401 renews the token once and
  repeats the call, a second 401 is a :class:`CredentialsError`;
- ``Prefer: odata.maxpagesize=N`` and ``odata.include-annotations`` for formatted values and
  lookup entity names, plus ``odata.track-changes`` when a delta link is wanted;
- paging by ``@odata.nextLink`` followed exactly as given (the shared :class:`Paginator` refuses
  a link seen twice);
- errors translated from the OData error body (``error.code`` / ``error.message``);
- page validation: a body that is not JSON or has no ``value`` list is a
  :class:`MalformedResponseError`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import requests

from connectors.common.errors import (
    ConnectorError,
    CredentialsError,
    MalformedResponseError,
    PermissionDeniedError,
    UnknownFieldError,
    error_for_status,
)
from connectors.common.http import ApiSession, where
from connectors.common.paging import Paginator
from connectors.common.ratelimit import RateLimiter
from connectors.dynamics.auth import SERVICE, TokenProvider
from connectors.dynamics.settings import DynamicsSettings

ANNOTATIONS = "OData.Community.Display.V1.FormattedValue,Microsoft.Dynamics.CRM.lookuplogicalname"
MISSING_FIELD = "0x80060888"
"""Dataverse's code for an unknown property in $select / $filter."""
NO_PRIVILEGE = "0x80040220"
"""Dataverse's code for a missing privilege (``prvRead...``)."""


class DataverseClient:
    """One Dataverse environment for one read (see the module doc)."""

    def __init__(
        self,
        settings: DynamicsSettings,
        session: ApiSession,
        tokens: TokenProvider,
        limiter: RateLimiter,
    ) -> None:
        self.settings = settings
        self.session = session
        self.tokens = tokens
        self.limiter = limiter
        self.renewals = 0

    def _headers(self, token: str, track: bool) -> dict[str, str]:
        prefer = [
            f"odata.maxpagesize={self.settings.page_size}",
            f'odata.include-annotations="{ANNOTATIONS}"',
        ]
        if track:
            prefer.append("odata.track-changes")
        return {
            "Authorization": f"Bearer {token}",
            "Accept": "application/json",
            "OData-MaxVersion": "4.0",
            "OData-Version": "4.0",
            "Prefer": ",".join(prefer),
        }

    def get(self, url: str, what: str, track: bool = False) -> dict[str, Any]:
        """GET ``url`` (absolute) and return its JSON object; renews the token once on 401."""
        token = self.tokens.token(self.session)
        for attempt in (1, 2):
            self.limiter.acquire()
            response = self.session.get(url, headers=self._headers(token, track))
            if response.status_code == 401 and attempt == 1:
                self.renewals += 1
                token = self.tokens.renew(self.session)
                continue
            if response.status_code >= 400:
                raise self._error(response, what)
            return _json_object(response, what)
        raise AssertionError("unreachable")  # pragma: no cover

    def _error(self, response: requests.Response, what: str) -> ConnectorError:
        status = response.status_code
        try:
            error = (response.json() or {}).get("error") or {}
        except ValueError:
            error = {}
        code = str(error.get("code") or "")
        message = str(error.get("message") or "")[:300]
        at = where(response.request.method or "GET", response.url)
        if status == 401:
            return CredentialsError(
                f"{SERVICE} refused the access token twice ({at}); check that the app "
                "registration has an application user in this environment",
                SERVICE,
                status,
            )
        if code == NO_PRIVILEGE or status == 403:
            return PermissionDeniedError(
                f"{SERVICE} denied {what} ({status}): {message}; give the application user a "
                "security role with read access to it",
                SERVICE,
                status,
            )
        if code == MISSING_FIELD:
            return UnknownFieldError(
                f"{SERVICE} has no such field for {what}: {message}; fix the column in "
                "custom_fields",
                SERVICE,
                status,
            )
        return error_for_status(SERVICE, status, at, message)

    def pages(self, url: str, what: str, track: bool = False) -> Iterator[dict[str, Any]]:
        """Every page of a collection, following ``@odata.nextLink`` exactly as given."""

        def fetch(link: str | None) -> dict[str, Any]:
            page = self.get(link or url, what, track)
            if not isinstance(page.get("value"), list):
                raise MalformedResponseError(
                    f"{SERVICE} answered {what} without a value list; nothing was written, "
                    "run the refresh again",
                    SERVICE,
                )
            return page

        yield from Paginator(fetch, _next_link, SERVICE, what)

    def collection_url(
        self, entity_set: str, select: list[str], filter_text: str | None = None
    ) -> str:
        """``<api>/<entity_set>?$select=...[&$filter=...]`` with OData-safe escaping."""
        query = "$select=" + ",".join(select)
        if filter_text:
            query += "&$filter=" + quote(filter_text, safe="'(),:")
        return f"{self.settings.api_root}{entity_set}?{query}"


def _next_link(page: dict[str, Any]) -> str | None:
    link = page.get("@odata.nextLink")
    return str(link) if link else None


def _json_object(response: requests.Response, what: str) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError as err:
        raise MalformedResponseError(
            f"{SERVICE} answered {what} with a body that is not valid JSON (truncated or "
            "corrupted page); nothing was written, run the refresh again",
            SERVICE,
        ) from err
    if not isinstance(data, dict):
        raise MalformedResponseError(f"{SERVICE} answered {what} with a non-object", SERVICE)
    return data
