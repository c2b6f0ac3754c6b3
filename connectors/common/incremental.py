"""Deciding, per stream, whether a read can be incremental.

A stream is read incrementally only when all of these hold; otherwise it is read in full:

- the refresh is not a forced full refresh and the stream has a cursor field;
- the engine handed a committed cursor for it (``ReadContext.cursors``);
- the record cache holds the stream, fetched with the same field list (fingerprint);
- the cache is not older than the committed cursor (a restored or lost cache would otherwise
  silently miss every change before the cursor).
"""

from __future__ import annotations

from dataclasses import dataclass

from connectors.common.cache import CacheState
from connectors.common.cursors import parse_ts


@dataclass(frozen=True)
class ReadPlan:
    """How one stream is read: ``since`` is the cursor to read from, ``None`` for a full read."""

    stream: str
    since: str | None
    reason: str

    @property
    def full(self) -> bool:
        """True when the stream is read in full."""
        return self.since is None


def plan_read(
    stream: str,
    cursor_field: str | None,
    committed: str | None,
    cached: CacheState | None,
    field_fingerprint: str,
    full_refresh: bool = False,
) -> ReadPlan:
    """Return the :class:`ReadPlan` for ``stream`` (see the module doc for the rules)."""
    if full_refresh:
        return ReadPlan(stream, None, "full refresh requested")
    if not cursor_field:
        return ReadPlan(stream, None, "stream has no cursor field")
    if not committed:
        return ReadPlan(stream, None, "no committed cursor yet")
    if cached is None:
        return ReadPlan(stream, None, "record cache is empty")
    if cached.fingerprint != field_fingerprint:
        return ReadPlan(stream, None, "field list changed since the cache was filled")
    if cached.high_water is None or parse_ts(cached.high_water) < parse_ts(committed):
        return ReadPlan(stream, None, "record cache is older than the committed cursor")
    return ReadPlan(stream, committed, "incremental")
