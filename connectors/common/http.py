"""One HTTP error policy for every connector: classify, retry what can succeed, fail fast.

:class:`ApiSession` is a :class:`requests.Session` that every vendor client is given (simple-
salesforce, plain ``requests`` for Dynamics...), so the policy applies below the client library:

- every request gets a timeout (``RetryPolicy.timeout``) unless the caller passes one;
- every attempt is counted (``ApiSession.stats``);
- only 429, 5xx, timeouts and connection errors are retried, with bounded exponential backoff
  and jitter, waiting what ``Retry-After`` asks for when the server says so (implemented with
  tenacity); a ``Retry-After`` longer than ``RetryPolicy.max_retry_after`` fails fast with a
  :class:`QuotaExceededError` instead of blocking a refresh for hours;
- when retries run out, :class:`RetriesExhaustedError` names the service, the last status and the
  number of attempts;
- any other response (2xx, 3xx, 4xx) is returned unchanged, so the client library raises its
  own error, which the connector translates (see :func:`error_for_status`).

``on_response`` callbacks see every response (e.g. to read ``Sforce-Limit-Info``);
``definitive(response)`` lets a connector mark a 5xx that is a final answer (Salesforce SOAP
faults arrive as 500) so it is returned instead of retried.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, Protocol
from urllib.parse import urlsplit

import requests
import tenacity

from connectors.common.errors import (
    QuotaExceededError,
    RetriesExhaustedError,
    TransportSecurityError,
)


def is_retryable_status(status: int) -> bool:
    """True for the statuses a retry can fix: 429 and 5xx."""
    return status == 429 or 500 <= status <= 599


def retry_after_seconds(headers: Any, now: float | None = None) -> float | None:
    """Seconds a ``Retry-After`` header (delta-seconds or HTTP date) asks to wait, else None."""
    value = headers.get("Retry-After") if headers is not None else None
    if value is None or str(value).strip() == "":
        return None
    text = str(value).strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def where(method: str, url: str) -> str:
    """``"GET host/path"``: how errors name a request without query strings (no secrets)."""
    parts = urlsplit(url)
    return f"{method.upper()} {parts.netloc}{parts.path}"


@dataclass
class RetryPolicy:
    """Bounds of the retry loop; ``sleep`` is injectable so tests can record the waits."""

    max_attempts: int = 5
    base_delay: float = 1.0
    max_delay: float = 30.0
    max_retry_after: float = 120.0
    timeout: float | tuple[float, float] = (10.0, 120.0)
    sleep: Callable[[float], None] = time.sleep


def backoff_delay(policy: RetryPolicy, attempt: int, retry_after: float | None) -> float:
    """Retry-After (plus a little jitter) when given, else capped exponential with jitter."""
    jitter = random.uniform(0, policy.base_delay)
    if retry_after is not None:
        return retry_after + jitter / 10
    return min(policy.max_delay, policy.base_delay * 2 ** (attempt - 1) + jitter)


class RetryOptions(Protocol):
    """The retry options every HTTP source accepts (see each source's settings)."""

    @property
    def max_attempts(self) -> int: ...
    @property
    def retry_base_delay(self) -> float: ...
    @property
    def max_retry_after(self) -> float: ...
    @property
    def timeout_seconds(self) -> float: ...


def policy_for(options: RetryOptions) -> RetryPolicy:
    """The :class:`RetryPolicy` a source's options ask for.

    Backoff grows to 30 times the base delay (at least 1 s); connecting may take at most 10 s
    of the read timeout, so a dead host fails fast while a slow query still has its time.
    """
    return RetryPolicy(
        max_attempts=options.max_attempts,
        base_delay=options.retry_base_delay,
        max_delay=max(options.retry_base_delay * 30, 1.0),
        max_retry_after=options.max_retry_after,
        timeout=(min(10.0, options.timeout_seconds), options.timeout_seconds),
    )


@dataclass
class RequestStats:
    """What one session did: attempts sent, retries, seconds waited, last status per host."""

    requests: int = 0
    retries: int = 0
    waited: float = 0.0
    by_status: dict[int, int] = field(default_factory=dict)


class _Retryable(Exception):
    """Raised inside the retry loop for an attempt that may succeed if repeated."""

    def __init__(self, reason: str, retry_after: float | None = None, status: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.status = status


class ApiSession(requests.Session):
    """A session applying the connector HTTP policy to every request (see the module doc)."""

    def __init__(
        self,
        service: str,
        policy: RetryPolicy | None = None,
        on_response: Callable[[requests.Response], None] | None = None,
        definitive: Callable[[requests.Response], bool] | None = None,
    ) -> None:
        super().__init__()
        self.service = service
        self.policy = policy or RetryPolicy()
        self.stats = RequestStats()
        self._definitive = definitive
        self._listeners: list[Callable[[requests.Response], None]] = []
        if on_response is not None:
            self._listeners.append(on_response)

    def add_listener(self, listener: Callable[[requests.Response], None]) -> None:
        """Call ``listener`` with every response received (after each attempt)."""
        self._listeners.append(listener)

    def request(self, method, url, *args, **kwargs):  # type: ignore[no-untyped-def, override]
        """Send with timeout, retry 429/5xx/timeouts per the policy, return the final response."""
        kwargs.setdefault("timeout", self.policy.timeout)
        if self.verify is not True:
            # A configured CA bundle must win over REQUESTS_CA_BUNDLE, which requests would
            # otherwise prefer to the session's own setting.
            kwargs.setdefault("verify", self.verify)
        policy = self.policy
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(policy.max_attempts),
            wait=self._wait,
            retry=tenacity.retry_if_exception_type(_Retryable),
            sleep=self._sleep,
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    response = self._attempt(method, url, *args, **kwargs)
        except _Retryable as err:
            raise RetriesExhaustedError(
                f"{self.service} kept failing ({err.reason} at {where(method, url)}) after "
                f"{policy.max_attempts} attempts; the service is unavailable or overloaded, "
                "try the refresh again later",
                self.service,
                err.status,
            ) from err
        return response

    def _attempt(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:
        self.stats.requests += 1
        try:
            response = super().request(method, url, *args, **kwargs)
        except requests.exceptions.SSLError as err:
            raise TransportSecurityError(
                f"{self.service}: the TLS certificate of {where(method, url)} could not be "
                "verified; check the host name, or set ca_bundle to the CA that signs it",
                self.service,
            ) from err
        except (requests.Timeout, requests.ConnectionError) as err:
            kind = "timeout" if isinstance(err, requests.Timeout) else "connection error"
            raise _Retryable(kind) from err
        status = response.status_code
        self.stats.by_status[status] = self.stats.by_status.get(status, 0) + 1
        for listener in self._listeners:
            listener(response)
        if not is_retryable_status(status):
            return response
        if self._definitive is not None and self._definitive(response):
            return response
        delay = retry_after_seconds(response.headers)
        if delay is not None and delay > self.policy.max_retry_after:
            raise QuotaExceededError(
                f"{self.service} asks to wait {delay:.0f} s before retrying ({status} at "
                f"{where(method, url)}), longer than the {self.policy.max_retry_after:.0f} s "
                "allowed; the rate limit is exhausted, refresh again later",
                self.service,
                status,
            )
        raise _Retryable(f"HTTP {status}", delay, status)

    def _wait(self, state: tenacity.RetryCallState) -> float:
        """Retry-After when given (plus a little jitter), else capped exponential with jitter."""
        outcome = state.outcome
        err = outcome.exception() if outcome is not None else None
        retry_after = err.retry_after if isinstance(err, _Retryable) else None
        return backoff_delay(self.policy, state.attempt_number, retry_after)

    def _sleep(self, seconds: float) -> None:
        self.stats.retries += 1
        self.stats.waited += seconds
        self.policy.sleep(seconds)
