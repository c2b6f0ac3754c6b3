"""What to do after a refresh failed: retry it later, give up, or pause its schedule.

A run's error code (see :mod:`sheets_sync.web.services.runs`) decides. Failures that may pass by
themselves (an API outage, a network error, a worker that died) are retried with a bounded,
doubling delay; failures a retry cannot fix (bad settings, a broken template) are final at once;
credentials the user revoked pause the schedule with the reason until they reconnect.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sheets_sync.errors import DestinationError

ACCESS_REVOKED = "access_revoked"
RETRYABLE_CODES = frozenset({"source_failed", "write_failed", "internal_error", "interrupted"})


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how late failed scheduled refreshes are tried again.

    ``max_attempts`` counts the first try; the n-th retry waits ``base_seconds * 2**(n-1)``,
    at most ``max_delay_seconds``. ``lease_seconds`` is how long a worker holds a run between
    heartbeats; a run whose lease ran out is treated as interrupted.
    """

    max_attempts: int = 3
    base_seconds: float = 60.0
    max_delay_seconds: float = 3600.0
    lease_seconds: float = 300.0

    def delay(self, failed_attempt: int) -> timedelta:
        """How long to wait after attempt number ``failed_attempt`` (1-based) failed."""
        seconds = self.base_seconds * 2 ** max(failed_attempt - 1, 0)
        return timedelta(seconds=min(seconds, self.max_delay_seconds))

    def should_retry(self, code: str | None, attempts: int) -> bool:
        """Whether a run that failed with ``code`` on attempt ``attempts`` is tried again."""
        return code in RETRYABLE_CODES and attempts < self.max_attempts


def access_revoked(err: BaseException) -> bool:
    """Whether ``err`` means the user's credentials were refused (revoked or expired grant).

    Connector errors say so by type (``CredentialsError``: HTTP 401 or ``invalid_grant``); a
    destination error carries the refused call (HTTP 401, or google-auth's ``RefreshError``
    when a stored refresh token no longer works) as its cause.
    """
    from google.auth.exceptions import RefreshError

    from connectors.common.errors import CredentialsError

    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, (CredentialsError, RefreshError)):
            return True
        if current is not err and isinstance(err, DestinationError) and _status(current) == 401:
            return True
        current = current.__cause__ or current.__context__
    return False


def _status(err: BaseException) -> int | None:
    response = getattr(err, "response", None)  # gspread APIError, requests HTTPError
    status = getattr(response, "status_code", None)
    if status is None:
        status = getattr(getattr(err, "resp", None), "status", None)  # googleapiclient HttpError
    try:
        return int(status) if status is not None else None
    except (TypeError, ValueError):
        return None
