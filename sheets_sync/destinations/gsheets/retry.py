"""Which failed calls are worth retrying, and how long to wait before the next attempt.

Only 429 (quota), 5xx and transport failures (timeouts, dropped connections) are retried, with
bounded exponential backoff and full jitter; a ``Retry-After`` header sets the minimum wait.
Everything else (400, 401, 403, 404...) fails at once: retrying cannot fix it.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

RETRIABLE_STATUS = frozenset({429, 500, 502, 503, 504})


def is_retriable_status(status: int) -> bool:
    """True when a response with ``status`` may succeed if sent again."""
    return status in RETRIABLE_STATUS


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """The wait a ``Retry-After`` header asks for (seconds or an HTTP date), if any."""
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


@dataclass
class RetryPolicy:
    """Bounded exponential backoff with full jitter.

    Attempt ``n`` (1-based) that failed waits ``uniform(0, min(cap, base * 2**(n-1)))``, but never
    less than ``Retry-After``. At most ``max_attempts`` attempts are made in total.
    """

    max_attempts: int = 5
    base_seconds: float = 1.0
    max_seconds: float = 32.0
    rng: Callable[[], float] = field(default=random.random)

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait after failed attempt number ``attempt``."""
        ceiling = min(self.max_seconds, self.base_seconds * 2 ** (attempt - 1))
        jittered = ceiling * self.rng()
        if retry_after is not None:
            # The server knows when quota frees up; honour it even above our own cap.
            return max(jittered, retry_after)
        return jittered

    def should_retry(self, attempt: int) -> bool:
        """True when another attempt is allowed after ``attempt`` attempts."""
        return attempt < self.max_attempts
