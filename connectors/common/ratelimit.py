"""Client-side rate limiting: stay under a vendor's request windows instead of hitting 429s.

:class:`RateLimiter` enforces one or more sliding windows (``(count, seconds)``: at most
``count`` requests in any ``seconds``-long window). ``acquire()`` blocks until a request may be
sent. :func:`shared_limiter` returns one limiter per key (e.g. a hash of an account's token), so
every source and read of the same account draws on the same budget, as the vendor counts it.
The clock and sleep are injectable, so tests can prove the pacing without waiting.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Sequence


class RateLimiter:
    """Sliding-window limiter over several windows; thread-safe."""

    def __init__(
        self,
        windows: Sequence[tuple[int, float]],
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not windows or any(count < 1 or period <= 0 for count, period in windows):
            raise ValueError("rate limit windows need a count >= 1 and a period > 0")
        self.windows = [(int(count), float(period)) for count, period in windows]
        self.clock = clock
        self.sleep = sleep
        self.waited = 0.0
        self._sent: deque[float] = deque()
        self._lock = threading.Lock()

    def _delay(self, now: float) -> float:
        """Seconds until every window has room for one more request."""
        delay = 0.0
        sent = list(self._sent)
        for count, period in self.windows:
            recent = [t for t in sent if t > now - period]
            if len(recent) >= count:
                delay = max(delay, recent[-count] + period - now)
        return delay

    def acquire(self) -> float:
        """Wait until a request may be sent, record it, and return the seconds waited."""
        longest = max(period for _, period in self.windows)
        waited = 0.0
        with self._lock:
            while True:
                now = self.clock()
                while self._sent and self._sent[0] <= now - longest:
                    self._sent.popleft()
                delay = self._delay(now)
                if delay <= 0:
                    self._sent.append(now)
                    self.waited += waited
                    return waited
                self.sleep(delay)
                waited += delay


_SHARED: dict[str, RateLimiter] = {}
_SHARED_LOCK = threading.Lock()


def shared_limiter(key: str, windows: Sequence[tuple[int, float]]) -> RateLimiter:
    """The process-wide limiter for ``key`` (created with ``windows`` on first use)."""
    with _SHARED_LOCK:
        limiter = _SHARED.get(key)
        wanted = [(int(c), float(p)) for c, p in windows]
        if limiter is None or limiter.windows != wanted:
            limiter = RateLimiter(wanted)
            _SHARED[key] = limiter
        return limiter
