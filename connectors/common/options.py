"""Reading a source's options: secrets from the config or the environment, bounded numbers.

Messages name the source type, the source name and the option, never a secret's value.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

from sheets_sync.errors import ConfigError


def check_known(kind: str, name: str, options: Mapping[str, Any], known: Iterable[str]) -> None:
    """Raise :class:`ConfigError` naming options that are not in ``known``."""
    allowed = set(known) | {"type", "name"}
    unknown = sorted(set(options) - allowed)
    if unknown:
        listed = ", ".join(sorted(k for k in allowed if k not in ("type", "name")))
        raise ConfigError(
            f"{kind} source {name!r}: unknown option(s) {', '.join(unknown)}; "
            f"known options: {listed}"
        )


def secret(kind: str, name: str, options: Mapping[str, Any], key: str) -> str | None:
    """The value of secret ``key``, given inline or as ``<key>_env: VARIABLE``."""
    env_key = f"{key}_env"
    if options.get(env_key):
        value = os.environ.get(str(options[env_key]))
        if not value:
            raise ConfigError(
                f"{kind} source {name!r}: environment variable {options[env_key]!r} "
                f"({env_key}) is not set"
            )
        return value
    value = options.get(key)
    return str(value) if value not in (None, "") else None


def number(
    kind: str,
    name: str,
    options: Mapping[str, Any],
    key: str,
    default: float,
    low: float,
    high: float,
) -> float:
    """Option ``key`` as a float within ``[low, high]`` (``default`` when absent)."""
    value = options.get(key, default)
    try:
        result = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{kind} source {name!r}: {key} must be a number") from None
    if not low <= result <= high:
        raise ConfigError(f"{kind} source {name!r}: {key} must be between {low:g} and {high:g}")
    return result


def names(kind: str, name: str, options: Mapping[str, Any], key: str) -> tuple[str, ...] | None:
    """Option ``key`` as a tuple of strings, ``None`` when absent."""
    value = options.get(key)
    if value is None:
        return None
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{kind} source {name!r}: {key} must be a list of names")
    return tuple(value)
