"""Write-rate limiters that keep a refresh under Google's per-user and per-project quotas.

Sheets allows 60 write requests a minute per user and 300 per project. Each limiter is a sliding
window over the last ``period`` seconds; :meth:`RateLimiter.acquire` sleeps until a slot is free.
The project limiter is shared by every destination in the process; user limiters are shared by
every destination running as the same user.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from sheets_sync.destinations.gsheets.settings import (
    PROJECT_WRITES_PER_MINUTE,
    USER_WRITES_PER_MINUTE,
)


class RateLimiter:
    """At most ``limit`` acquisitions in any ``period``-second window."""

    def __init__(
        self,
        limit: int,
        period: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if limit < 1:
            raise ValueError("a rate limit must allow at least one request")
        self.limit = limit
        self.period = period
        self._clock = clock
        self._sleep = sleep
        self._stamps: deque[float] = deque()
        self._lock = threading.Lock()
        self.waited_seconds = 0.0

    def acquire(self) -> float:
        """Take one slot, sleeping first if the window is full; return the seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                while self._stamps and now - self._stamps[0] >= self.period:
                    self._stamps.popleft()
                if len(self._stamps) < self.limit:
                    self._stamps.append(now)
                    self.waited_seconds += waited
                    return waited
                delay = self.period - (now - self._stamps[0])
            self._sleep(delay)
            waited += delay


class QuotaLimiters:
    """One project-wide limiter plus one limiter per user, created on first use."""

    def __init__(
        self,
        user_limit: int = USER_WRITES_PER_MINUTE,
        project_limit: int = PROJECT_WRITES_PER_MINUTE,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._user_limit = user_limit
        self._clock = clock
        self._sleep = sleep
        self.project = RateLimiter(project_limit, clock=clock, sleep=sleep)
        self._users: dict[str, RateLimiter] = {}
        self._lock = threading.Lock()

    def user(self, user_key: str) -> RateLimiter:
        """The limiter of ``user_key``."""
        with self._lock:
            if user_key not in self._users:
                self._users[user_key] = RateLimiter(
                    self._user_limit, clock=self._clock, sleep=self._sleep
                )
            return self._users[user_key]

    def acquire_write(self, user_key: str) -> float:
        """Take a write slot for ``user_key`` and for the project; return seconds waited."""
        return self.user(user_key).acquire() + self.project.acquire()


_SHARED: QuotaLimiters | None = None
_SHARED_LOCK = threading.Lock()


def shared_limiters() -> QuotaLimiters:
    """The process-wide limiters, so concurrent refreshes share one project quota."""
    global _SHARED
    with _SHARED_LOCK:
        if _SHARED is None:
            _SHARED = QuotaLimiters()
        return _SHARED
