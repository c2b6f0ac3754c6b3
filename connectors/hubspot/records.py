"""HubSpot JSON records -> flat rows (one column per property) -> record frames.

Every record must carry an ``id`` and a ``properties`` object, as HubSpot documents; anything
else is a :class:`MalformedResponseError` so a damaged page never reaches the record cache.
Associations become ``assoc_<type>`` columns holding the primary associated id (entries typed
``..._unlabeled`` come after the others).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from connectors.common.errors import MalformedResponseError
from connectors.common.streams import records_frame as frame

__all__ = ["flatten", "frame", "owner_row"]


def flatten(result: Any, associations: Iterable[str], object_type: str) -> dict[str, Any]:
    """One flat row from a CRM object record."""
    if not isinstance(result, dict) or "id" not in result:
        raise MalformedResponseError(
            f"HubSpot returned a {object_type} record without an id; nothing was written",
            "HubSpot",
        )
    properties = result.get("properties")
    if not isinstance(properties, dict):
        raise MalformedResponseError(
            f"HubSpot returned {object_type} record {result['id']} without properties; "
            "nothing was written",
            "HubSpot",
        )
    row = dict(properties)
    row["id"] = str(result["id"])
    linked = result.get("associations") or {}
    for target in associations:
        found = ((linked.get(target) or {}).get("results")) or []
        # HubSpot lists a labelled copy ("deal_to_company_unlabeled") beside the primary one
        found = sorted(found, key=lambda a: str(a.get("type", "")).endswith("_unlabeled"))
        row[f"assoc_{target}"] = str(found[0]["id"]) if found else None
    return row


def owner_row(owner: Any, archived: bool) -> dict[str, Any]:
    """One flat row from an owners API record; ``team`` is the owner's primary team."""
    if not isinstance(owner, dict) or "id" not in owner:
        raise MalformedResponseError(
            "HubSpot returned an owner without an id; nothing was written", "HubSpot"
        )
    teams = owner.get("teams") or []
    primary = [t for t in teams if t.get("primary")] or teams
    return {
        "id": str(owner["id"]),
        "email": owner.get("email"),
        "firstName": owner.get("firstName"),
        "lastName": owner.get("lastName"),
        "userId": owner.get("userId"),
        "archived": bool(owner.get("archived", archived)),
        "team": primary[0].get("name") if primary else None,
    }
