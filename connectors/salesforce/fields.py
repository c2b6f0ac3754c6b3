"""Which fields to select for a stream, decided from the object's describe.

:func:`plan_fields` returns the mapped fields (plus the extra ones derivations need, and
``IsDeleted`` for deletion tracking) that the describe lists as selectable. A default field the
org lacks (``CurrencyIsoCode`` outside multi-currency orgs) is skipped and reported; a field the
*user* mapped in ``custom_fields`` that the org lacks is a :class:`ConfigError` naming it.
Compound fields (address, location) are never selected: Bulk API 2.0 cannot return them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.base import Stream
from connectors.common.streams import mapped_fields
from connectors.salesforce.streams import EXTRA_FIELDS, OBJECT_OF, STREAMS
from sheets_sync.errors import ConfigError

COMPOUND_TYPES = frozenset({"address", "location"})
_DEFAULTS = {stream.name: dict(stream.mapping) for _, stream in STREAMS}


def selectable(describe: Mapping[str, Any]) -> dict[str, str]:
    """Field name -> type of the fields of a describe that SOQL may select."""
    return {
        str(f["name"]): str(f.get("type", ""))
        for f in describe.get("fields", [])
        if f.get("type") not in COMPOUND_TYPES
    }


def plan_fields(
    stream: Stream, describe: Mapping[str, Any], source: str = "salesforce"
) -> tuple[list[str], list[str]]:
    """``(fields to select, default fields the org lacks)`` for ``stream`` (module doc)."""
    described = selectable(describe)
    defaults = _DEFAULTS.get(stream.name, {})
    fields: list[str] = []
    absent: list[str] = []
    for name in mapped_fields(stream, EXTRA_FIELDS.get(stream.name, ())):
        if name in described:
            fields.append(name)
            continue
        custom = [c for c, f in stream.mapping.items() if f == name and defaults.get(c) != name]
        if custom:
            raise ConfigError(
                f"salesforce source {source!r}: custom_fields.{stream.name}.{custom[0]} names "
                f"{OBJECT_OF[stream.name]}.{name}, which the org does not have or the user "
                "cannot see; check the field's API name and field-level security"
            )
        absent.append(name)
    if "IsDeleted" in described and "IsDeleted" not in fields:
        fields.append("IsDeleted")
    return fields, absent
