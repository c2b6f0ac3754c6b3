"""The connector HTTP policy for vendor clients that do not send through ``requests``.

hubspot-api-client talks urllib3 directly, so :class:`~connectors.common.http.ApiSession` cannot
sit below it. :func:`call_with_retries` applies the same :class:`RetryPolicy` around one client
call instead: every attempt is counted in a :class:`RequestStats`, only failures that
``classify`` marks :class:`Transient` (429, 5xx, timeouts) are retried, with bounded exponential
backoff and jitter or the server's ``Retry-After``; a ``Retry-After`` longer than
``policy.max_retry_after`` is a :class:`QuotaExceededError`; when retries run out the result is a
:class:`RetriesExhaustedError`. Anything else propagates unchanged for the connector to
translate.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import tenacity

from connectors.common.errors import QuotaExceededError, RetriesExhaustedError
from connectors.common.http import RequestStats, RetryPolicy, backoff_delay

T = TypeVar("T")


@dataclass(frozen=True)
class Transient:
    """A failure worth retrying: ``reason`` for messages, the status and Retry-After if any."""

    reason: str
    status: int | None = None
    retry_after: float | None = None


class _Again(Exception):
    def __init__(self, verdict: Transient) -> None:
        super().__init__(verdict.reason)
        self.verdict = verdict


def call_with_retries(
    service: str,
    what: str,
    call: Callable[[], T],
    classify: Callable[[BaseException], Transient | None],
    policy: RetryPolicy,
    stats: RequestStats,
) -> T:
    """Run ``call`` under ``policy`` (see the module doc); ``what`` names it in messages."""

    def attempt() -> T:
        stats.requests += 1
        try:
            return call()
        except Exception as err:
            verdict = classify(err)
            if verdict is None:
                raise
            if verdict.status is not None:
                stats.by_status[verdict.status] = stats.by_status.get(verdict.status, 0) + 1
            if verdict.retry_after is not None and verdict.retry_after > policy.max_retry_after:
                raise QuotaExceededError(
                    f"{service} asks to wait {verdict.retry_after:.0f} s before retrying {what}, "
                    f"longer than the {policy.max_retry_after:.0f} s allowed; the rate limit is "
                    "exhausted, refresh again later",
                    service,
                    verdict.status,
                ) from err
            raise _Again(verdict) from err

    def wait(state: tenacity.RetryCallState) -> float:
        outcome = state.outcome
        err = outcome.exception() if outcome is not None else None
        after = err.verdict.retry_after if isinstance(err, _Again) else None
        return backoff_delay(policy, state.attempt_number, after)

    def sleep(seconds: float) -> None:
        stats.retries += 1
        stats.waited += seconds
        policy.sleep(seconds)

    retrying = tenacity.Retrying(
        stop=tenacity.stop_after_attempt(policy.max_attempts),
        wait=wait,
        retry=tenacity.retry_if_exception_type(_Again),
        sleep=sleep,
        reraise=True,
    )
    try:
        return retrying(attempt)
    except _Again as err:
        raise RetriesExhaustedError(
            f"{service} kept failing ({err.verdict.reason} on {what}) after "
            f"{policy.max_attempts} attempts; the service is unavailable or overloaded, "
            "try the refresh again later",
            service,
            err.verdict.status,
        ) from err
