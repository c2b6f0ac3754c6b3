"""Options of the demo source, checked when the source is configured."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sheets_sync.errors import ConfigError

FLAVORS = ("salesforce", "hubspot", "spend", "all")
MIN_SIZE = 200
MAX_SIZE = 20_000_000
DEFAULT_SIZE = 2000
DEFAULT_SEED = 42


@dataclass(frozen=True)
class DemoOptions:
    """Validated demo options; ``as_of`` None means "today (UTC) at read time"."""

    size: int = DEFAULT_SIZE
    seed: int = DEFAULT_SEED
    as_of: date | None = None
    flavor: str = "all"


def parse_options(source: str, options: Mapping[str, Any]) -> DemoOptions:
    """Check the options of demo source ``source``; a bad one raises :class:`ConfigError`."""
    where = f"source {source!r} (type demo)"
    unknown = sorted(set(options) - {"size", "seed", "as_of", "flavor"})
    if unknown:
        raise ConfigError(
            f"{where}: unknown option(s) {', '.join(unknown)}; "
            "the demo source takes size, seed, as_of and flavor"
        )
    size = _integer(where, "size", options.get("size", DEFAULT_SIZE))
    if not MIN_SIZE <= size <= MAX_SIZE:
        raise ConfigError(
            f"{where}: option size must be between {MIN_SIZE} and {MAX_SIZE:_} deals, got {size}"
        )
    seed = _integer(where, "seed", options.get("seed", DEFAULT_SEED))
    if seed < 0:
        raise ConfigError(f"{where}: option seed must be 0 or a positive integer, got {seed}")
    flavor = options.get("flavor", "all")
    if flavor not in FLAVORS:
        raise ConfigError(
            f"{where}: option flavor must be one of {', '.join(FLAVORS)}, got {flavor!r}"
        )
    return DemoOptions(size, seed, _as_of(where, options.get("as_of")), flavor)


def _integer(where: str, name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ConfigError(f"{where}: option {name} must be a whole number, got {value!r}")
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"{where}: option {name} must be a whole number, got {value!r}") from None


def _as_of(where: str, value: Any) -> date | None:
    if value is None or value == "today":
        return None
    parsed: date | None = None
    if isinstance(value, datetime):
        parsed = value.date()
    elif isinstance(value, date):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = date.fromisoformat(value.strip())
        except ValueError:
            parsed = None
    if parsed is not None:
        if not 1990 <= parsed.year <= 2200:
            raise ConfigError(f"{where}: option as_of must be between 1990 and 2200, got {value!r}")
        return parsed
    raise ConfigError(
        f"{where}: option as_of must be a date like 2025-06-30 or 'today', got {value!r}"
    )
