"""Bulk API 2.0 query jobs, driven step by step so a stuck job cannot hold a refresh for a day.

:func:`query_job` creates a ``query`` (or ``queryAll``) job, polls it with growing delays until
``JobComplete`` or until ``timeout`` seconds have passed (then aborts it and raises), and walks
the CSV result pages with the shared :class:`Paginator` keyed by ``Sforce-Locator``, so a
repeated locator is refused instead of looping. Requests go through simple-salesforce's
``call_salesforce`` on the connector's session: its typed errors (401 expired session...) reach
:meth:`SalesforceClient.call`, which renews the session and reruns the job once.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable
from typing import Any

from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceError
from simple_salesforce.util import call_salesforce

from connectors.common.errors import MalformedResponseError, RequestRejectedError
from connectors.common.paging import Paginator

SERVICE = "Salesforce"
MAX_POLL_DELAY = 10.0


def _headers(sf: Salesforce, accept: str = "application/json") -> dict[str, str]:
    return {
        "Authorization": f"Bearer {sf.session_id}",
        "Content-Type": "application/json",
        "Accept": accept,
    }


def _wait_for(
    sf: Salesforce,
    job_url: str,
    obj: str,
    poll: float,
    timeout: float,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
) -> None:
    deadline = clock() + timeout
    delay = max(poll, 0.01)
    while True:
        sleep(delay)
        info = call_salesforce(job_url, "GET", sf.session, _headers(sf)).json()
        state = info.get("state")
        if state == "JobComplete":
            return
        if state in ("Failed", "Aborted"):
            raise RequestRejectedError(
                f"Salesforce Bulk API 2.0 job for {obj} ended {state}: "
                f"{info.get('errorMessage') or 'no reason given'}",
                SERVICE,
            )
        if clock() >= deadline:
            # free the org's job slot; the timeout is the error the user must see
            with contextlib.suppress(SalesforceError):
                call_salesforce(
                    job_url,
                    "PATCH",
                    sf.session,
                    _headers(sf),
                    data=json.dumps({"state": "Aborted"}),
                )
            raise RequestRejectedError(
                f"Salesforce Bulk API 2.0 job for {obj} did not finish within {timeout:g} s "
                "and was aborted; raise bulk_timeout_seconds or lower bulk_threshold",
                SERVICE,
            )
        delay = min(delay * 2, MAX_POLL_DELAY)


def query_job(
    sf: Salesforce,
    soql: str,
    obj: str,
    include_deleted: bool,
    page_size: int,
    poll: float,
    timeout: float,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> list[str]:
    """CSV result pages of a Bulk API 2.0 query job for ``soql`` (module doc)."""
    base = f"{sf.bulk2_url}query"
    operation = "queryAll" if include_deleted else "query"
    created = call_salesforce(
        base,
        "POST",
        sf.session,
        _headers(sf),
        data=json.dumps({"operation": operation, "query": soql}),
    ).json()
    job_url = f"{base}/{created['id']}"
    _wait_for(sf, job_url, obj, poll, timeout, sleep, clock)

    def fetch(locator: str | None) -> tuple[str, str | None]:
        params: dict[str, Any] = {"maxRecords": page_size}
        if locator:
            params["locator"] = locator
        response = call_salesforce(
            f"{job_url}/results", "GET", sf.session, _headers(sf, "text/csv"), params=params
        )
        if "Sforce-Locator" not in response.headers:
            raise MalformedResponseError(
                f"Salesforce Bulk API 2.0 results for {obj} lack the Sforce-Locator header; "
                "run the refresh again",
                SERVICE,
            )
        following = response.headers["Sforce-Locator"]
        return response.content.decode("utf-8"), None if following in ("", "null") else following

    pages = Paginator(fetch, lambda page: page[1], SERVICE, f"the {obj} Bulk API 2.0 results")
    return [text for text, _ in pages]
