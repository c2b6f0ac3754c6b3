"""A HubSpot CRM v3 API emulator served over HTTP on loopback, for hubspot-api-client.

Endpoints, shaped after HubSpot's documented responses and ../shared/fixtures/hubspot:

- ``POST /oauth/v1/token`` (refresh_token grant);
- ``GET /crm/v3/objects/{type}`` (``limit`` <= 100, ``after``, ``properties``,
  ``associations``, ``archived``) -> ``results`` + ``paging.next.after``;
- ``POST /crm/v3/objects/{type}/search`` (filterGroups, sorts, ``limit`` <= 200, ``after``) ->
  ``total`` + ``results``; paging past ``search_cap`` (10,000) is a 400, as on HubSpot;
- ``POST /crm/v4/associations/{from}/{to}/batch/read`` (<= 1,000 inputs);
- ``GET /crm/v3/owners``, ``GET /crm/v3/pipelines/{type}``, ``GET /crm/v3/properties/{type}``.

Bearer tokens are checked (401 ``INVALID_AUTHENTICATION``) and so are scopes (403
``MISSING_SCOPES`` with ``requiredGranularScopes``). Faults: :meth:`fail_next` (status,
headers such as Retry-After, body), :meth:`truncate_next` (a cut-off JSON page),
:meth:`malformed_next` (a page without ``results``), :meth:`expire_tokens` (401 until renewed).
``requests`` logs ``(method, path)`` of every call.
Serving, the request log and the fault queue come from :mod:`tests.emulators.loopback`.
"""

from __future__ import annotations

import json
import secrets
from typing import Any
from urllib.parse import parse_qs

from tests.emulators.hubspot.portal import Portal, to_ms
from tests.emulators.loopback import Fault, LoopbackEmulator, Reply, Request

PRIVATE_TOKEN = "pat-emulator-0001"
CLIENT_ID = "hs-client-id"
CLIENT_SECRET = "hs-client-secret"
REFRESH_TOKEN = "hs-refresh-token"
ALL_SCOPES = frozenset(
    {
        "crm.objects.deals.read",
        "crm.objects.contacts.read",
        "crm.objects.companies.read",
        "crm.objects.owners.read",
        "tickets",
    }
)
SCOPE_OF = {
    "deals": "crm.objects.deals.read",
    "contacts": "crm.objects.contacts.read",
    "companies": "crm.objects.companies.read",
    "calls": "crm.objects.contacts.read",
    "emails": "crm.objects.contacts.read",
    "meetings": "crm.objects.contacts.read",
    "tickets": "tickets",
    "owners": "crm.objects.owners.read",
}
DEFAULT_PROPERTIES = ("createdate", "hs_object_id")


class HubSpotEmulator(LoopbackEmulator):
    """The emulator: ``start()`` serves on ``base_url`` until ``stop()``."""

    content_type = "application/json;charset=utf-8"

    def __init__(self, portal: Portal | None = None, search_cap: int = 10_000) -> None:
        super().__init__()
        self.portal = portal or Portal()
        self.search_cap = search_cap
        self.tokens: dict[str, frozenset[str]] = {PRIVATE_TOKEN: ALL_SCOPES}
        self.oauth_scopes: frozenset[str] = ALL_SCOPES
        self._search_cache: dict[str, list[dict[str, Any]]] = {}
        self._list_cache: dict[str, list[dict[str, Any]]] = {}

    # -- test controls ----------------------------------------------------------------------

    def fail_next(
        self,
        path: str,
        status: int,
        headers: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` requests to ``path`` with ``status``."""
        payload = json.dumps(body or {"status": "error", "message": f"injected {status}"})
        self.add_fault(Fault(path, status, payload.encode(), headers or {}, times))

    def expire_tokens(self) -> None:
        """Invalidate every OAuth access token issued so far (the private token stays)."""
        with self._lock:
            self.tokens = {t: s for t, s in self.tokens.items() if t == PRIVATE_TOKEN}

    def restrict_private_token(self, scopes: set[str]) -> None:
        """Give the private app token only ``scopes``."""
        self.tokens[PRIVATE_TOKEN] = frozenset(scopes)

    def count(self, method: str, prefix: str) -> int:
        """Requests logged for ``method`` whose path starts with ``prefix``."""
        return sum(1 for m, p in self.requests if m == method and p.startswith(prefix))

    # -- dispatch ---------------------------------------------------------------------------

    def malformed_body(self) -> Any:
        return {"status": "ok", "items": []}

    def route(self, request: Request) -> tuple[int, Any]:
        method, path, raw = request.method, request.path, request.body
        query = parse_qs(request.query)
        if method == "POST" and path == "/oauth/v1/token":
            return self._token(raw)
        segments = [s for s in path.split("/") if s]
        if segments[:3] == ["crm", "v3", "objects"] and len(segments) >= 4:
            object_type = segments[3]
            self._authorize(request, SCOPE_OF.get(object_type, ""))
            if object_type not in self.portal.objects:
                raise Reply(404, _error(f"Unknown object type {object_type}", "OBJECT_NOT_FOUND"))
            if method == "GET" and len(segments) == 4:
                return 200, self._list(object_type, query)
            if method == "POST" and segments[4:] == ["search"]:
                return 200, self._search(object_type, json.loads(raw or b"{}"))
        if segments[:3] == ["crm", "v4", "associations"] and segments[5:] == ["batch", "read"]:
            self._authorize(request, SCOPE_OF.get(segments[3], ""))
            return 200, self._associations(segments[3], segments[4], json.loads(raw or b"{}"))
        if segments[:3] == ["crm", "v3", "owners"]:
            self._authorize(request, SCOPE_OF["owners"])
            return 200, self._owners(query)
        if segments[:3] == ["crm", "v3", "pipelines"] and len(segments) == 4:
            self._authorize(request, SCOPE_OF.get(segments[3], ""))
            return 200, {"results": self.portal.pipelines(segments[3])}
        if segments[:3] == ["crm", "v3", "properties"] and len(segments) == 4:
            self._authorize(request, SCOPE_OF.get(segments[3], ""))
            return 200, {"results": self._properties(segments[3])}
        raise Reply(404, _error(f"No route for {method} {path}", "NOT_FOUND"))

    def _authorize(self, request: Request, scope: str) -> None:
        header = request.headers.get("Authorization") or ""
        token = header[7:] if header.startswith("Bearer ") else ""
        with self._lock:
            scopes = self.tokens.get(token)
        if scopes is None:
            raise Reply(
                401,
                _error(
                    "Authentication credentials not found. This API supports OAuth 2.0 "
                    "authentication",
                    "INVALID_AUTHENTICATION",
                ),
            )
        if scope and scope not in scopes:
            body = _error(
                "This app hasn't been granted all required scopes to make this call.",
                "MISSING_SCOPES",
            )
            body["errors"] = [
                {
                    "message": "One or more of the following scopes are required.",
                    "context": {"requiredGranularScopes": [scope]},
                }
            ]
            raise Reply(403, body)

    def _token(self, raw: bytes) -> tuple[int, Any]:
        form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        if (
            form.get("grant_type") != "refresh_token"
            or form.get("client_id") != CLIENT_ID
            or form.get("client_secret") != CLIENT_SECRET
            or form.get("refresh_token") != REFRESH_TOKEN
        ):
            return 400, {
                "status": "BAD_REFRESH_TOKEN",
                "message": "missing or unknown refresh token",
            }
        token = "oauth-" + secrets.token_hex(8)
        with self._lock:
            self.tokens[token] = self.oauth_scopes
        return 200, {
            "token_type": "bearer",
            "access_token": token,
            "refresh_token": REFRESH_TOKEN,
            "expires_in": 1800,
        }

    # -- endpoints ---------------------------------------------------------------------------

    def _shape(
        self,
        object_type: str,
        record: dict[str, Any],
        properties: list[str],
        associations: list[str],
    ) -> dict[str, Any]:
        props = record["properties"]
        wanted = list(
            dict.fromkeys(
                [*DEFAULT_PROPERTIES, self.portal.modified_property(object_type), *properties]
            )
        )
        out: dict[str, Any] = {
            "id": record["id"],
            "properties": {p: props.get(p) for p in wanted},
            "createdAt": record.get("createdAt"),
            "updatedAt": props.get(self.portal.modified_property(object_type)),
            "archived": record.get("archived", False),
        }
        if record.get("archived"):
            out["archivedAt"] = record.get("archivedAt")
        linked = {}
        for target in associations:
            ids = self.portal.linked(object_type, record["id"], target)
            if ids:
                kind = f"{object_type[:-1]}_to_{target[:-1]}"
                linked[target] = {"results": [{"id": i, "type": kind} for i in ids]}
        if linked:
            out["associations"] = linked
        return out

    def _list(self, object_type: str, query: dict[str, list[str]]) -> dict[str, Any]:
        limit = int((query.get("limit") or ["10"])[0])
        if limit > 100:
            raise Reply(400, _error("limit must be at most 100", "VALIDATION_ERROR"))
        offset = int((query.get("after") or ["0"])[0])
        archived = (query.get("archived") or ["false"])[0].lower() == "true"
        properties = _multi(query.get("properties"))
        associations = _multi(query.get("associations"))
        with self._lock:
            records = self._ordered(object_type, archived)
            page = records[offset : offset + limit]
            results = [self._shape(object_type, r, properties, associations) for r in page]
        body: dict[str, Any] = {"results": results}
        if offset + limit < len(records):
            body["paging"] = {"next": {"after": str(offset + limit), "link": "?after="}}
        return body

    def _search(self, object_type: str, body: dict[str, Any]) -> dict[str, Any]:
        limit = int(body.get("limit") or 10)
        if limit > 200:
            raise Reply(400, _error("limit must be at most 200", "VALIDATION_ERROR"))
        offset = int(body.get("after") or 0)
        if offset >= self.search_cap:
            raise Reply(
                400,
                _error(
                    f"The search endpoint returns at most {self.search_cap} results; "
                    "narrow the filters",
                    "VALIDATION_ERROR",
                ),
            )
        with self._lock:
            records = self._matching(object_type, body)
            page = records[offset : offset + limit]
            results = [
                self._shape(object_type, r, list(body.get("properties") or []), []) for r in page
            ]
        answer: dict[str, Any] = {"total": len(records), "results": results}
        if offset + limit < len(records):
            answer["paging"] = {"next": {"after": str(offset + limit)}}
        return answer

    def _ordered(self, object_type: str, archived: bool) -> list[dict[str, Any]]:
        """Live (or archived) records by id; cached until the portal changes."""
        key = f"{object_type}:{archived}:{self.portal.version}"
        if key not in self._list_cache:
            records = sorted(self.portal.objects[object_type].items(), key=lambda kv: int(kv[0]))
            self._list_cache = {
                k: v for k, v in self._list_cache.items() if k.endswith(f":{self.portal.version}")
            }
            self._list_cache[key] = [r for _, r in records if bool(r.get("archived")) == archived]
        return self._list_cache[key]

    def _matching(self, object_type: str, body: dict[str, Any]) -> list[dict[str, Any]]:
        """Live records matching the search filters, sorted; cached until the portal changes."""
        key = json.dumps(
            [object_type, self.portal.version, body.get("filterGroups"), body.get("sorts")],
            sort_keys=True,
        )
        if key in self._search_cache:
            return self._search_cache[key]
        records = [
            r
            for r in self.portal.objects[object_type].values()
            if not r.get("archived") and _matches(r["properties"], body.get("filterGroups"))
        ]
        for sort in reversed(body.get("sorts") or []):
            prop = sort["propertyName"] if isinstance(sort, dict) else str(sort)
            descending = isinstance(sort, dict) and sort.get("direction") == "DESCENDING"
            records.sort(key=lambda r: to_ms(r["properties"].get(prop)) or 0, reverse=descending)
        self._search_cache = {key: records}
        return records

    def _associations(self, from_type: str, to_type: str, body: dict[str, Any]) -> dict[str, Any]:
        inputs = body.get("inputs") or []
        if len(inputs) > 1000:
            raise Reply(400, _error("at most 1000 inputs per batch", "VALIDATION_ERROR"))
        results = []
        with self._lock:
            for item in inputs:
                ids = self.portal.linked(from_type, str(item["id"]), to_type)
                if ids:
                    results.append(
                        {
                            "from": {"id": str(item["id"])},
                            "to": [
                                {
                                    "toObjectId": int(i),
                                    "associationTypes": [
                                        {
                                            "category": "HUBSPOT_DEFINED",
                                            "typeId": 1,
                                            "label": "Primary" if n == 0 else None,
                                        }
                                    ],
                                }
                                for n, i in enumerate(ids)
                            ],
                        }
                    )
        return {"status": "COMPLETE", "results": results}

    def _owners(self, query: dict[str, list[str]]) -> dict[str, Any]:
        limit = min(int((query.get("limit") or ["100"])[0]), 500)
        offset = int((query.get("after") or ["0"])[0])
        archived = (query.get("archived") or ["false"])[0].lower() == "true"
        with self._lock:
            owners = [o for o in self.portal.owners.values() if bool(o["archived"]) == archived]
        body: dict[str, Any] = {"results": owners[offset : offset + limit]}
        if offset + limit < len(owners):
            body["paging"] = {"next": {"after": str(offset + limit)}}
        return body

    def _properties(self, object_type: str) -> list[dict[str, Any]]:
        names: set[str] = set(DEFAULT_PROPERTIES)
        with self._lock:
            for record in self.portal.objects.get(object_type, {}).values():
                names.update(record["properties"])
        return [{"name": n, "label": n, "type": "string"} for n in sorted(names)]


def _error(message: str, category: str) -> dict[str, Any]:
    return {
        "status": "error",
        "message": message,
        "correlationId": "00000000-0000-0000-0000-000000000000",
        "category": category,
    }


def _multi(values: list[str] | None) -> list[str]:
    """Query values given repeated (``a=1&a=2``) or comma separated."""
    out: list[str] = []
    for value in values or []:
        out.extend(v for v in value.split(",") if v)
    return out


def _matches(props: dict[str, Any], groups: list[dict[str, Any]] | None) -> bool:
    if not groups:
        return True
    return any(all(_test(props, f) for f in g.get("filters") or []) for g in groups)


def _test(props: dict[str, Any], flt: dict[str, Any]) -> bool:
    value = props.get(flt["propertyName"])
    operator = flt["operator"]
    if operator == "HAS_PROPERTY":
        return value not in (None, "")
    have, want = to_ms(value), to_ms(flt.get("value"))
    if have is None or want is None:
        return operator == "NEQ"
    return {
        "GTE": have >= want,
        "GT": have > want,
        "LTE": have <= want,
        "LT": have < want,
        "EQ": have == want,
        "NEQ": have != want,
    }[operator]
