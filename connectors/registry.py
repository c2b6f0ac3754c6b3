"""Look up connector classes by the ``type`` name used in refresh configs.

Connectors are imported lazily so that a deployment without, say, the HubSpot client installed can
still run demo and file sources.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from connectors.base import Source
from sheets_sync.errors import ConfigError

_CONNECTORS: dict[str, str] = {
    "demo": "connectors.demo:DemoSource",
    "file": "connectors.file:FileSource",
    "salesforce": "connectors.salesforce:SalesforceSource",
    "hubspot": "connectors.hubspot:HubSpotSource",
    "dynamics": "connectors.dynamics:DynamicsSource",
    "sheets": "connectors.sheets_range:SheetsRangeSource",
}


def known_types() -> list[str]:
    """The source types a config may name."""
    return sorted(_CONNECTORS)


def source_class(type_name: str) -> type[Source]:
    """Return the connector class for ``type_name`` or raise a :class:`ConfigError`."""
    target = _CONNECTORS.get(type_name)
    if target is None:
        raise ConfigError(
            f"unknown source type {type_name!r}; choose one of: {', '.join(known_types())}"
        )
    module_name, _, attr = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        raise ConfigError(f"source type {type_name!r} is not available: {err}") from err
    cls: type[Source] = getattr(module, attr)
    return cls


def build_source(
    type_name: str, name: str, options: Mapping[str, Any], base_dir: str | None = None
) -> Source:
    """Instantiate a configured source (no I/O happens here).

    Sources that read local files get ``base_dir`` (the config's folder) as an option, so the
    relative paths in their options resolve against it.
    """
    cls = source_class(type_name)
    if cls.reads_local_files and base_dir is not None:
        options = {"base_dir": base_dir, **options}
    return cls(name, options)
