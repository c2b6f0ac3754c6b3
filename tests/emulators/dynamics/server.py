"""A Dataverse Web API + Microsoft identity platform emulator, over TLS on loopback.

msal needs an https authority, so the emulator serves TLS with a throwaway certificate that
clients trust through ``ca_bundle``. Endpoints, shaped after Microsoft's docs and the recorded
pages in ../shared/fixtures/dynamics365:

- ``GET /{tenant}/v2.0/.well-known/openid-configuration`` and ``GET /common/discovery/instance``
  (what msal asks for), ``POST /{tenant}/oauth2/v2.0/token`` (client credentials with a secret
  or a certificate-signed ``client_assertion``; scope must be ``<org>/.default``);
- ``GET /api/data/v9.2/<entity set>`` with ``$select``, ``$filter`` (``eq ne ge gt le lt``,
  ``and`` / ``or``, parentheses), ``$top``, ``Prefer: odata.maxpagesize`` (<= 5,000),
  ``odata.include-annotations`` (formatted values, lookup logical names) and
  ``odata.track-changes``; ``@odata.nextLink`` carries a paging cookie, the last page of a
  tracked query an ``@odata.deltaLink``; a delta link returns changed rows and
  ``$deletedEntity`` rows;
- ``GET /api/data/v9.2/WhoAmI`` and
  ``systemusers(<id>)/Microsoft.Dynamics.CRM.RetrieveUserPrivileges``.

Errors use the OData error body (``{"error": {"code", "message"}}``): 401 for a bad token, 403
``0x80040220`` for a missing privilege, 400 ``0x80060888`` for an unknown column, 429 with
``Retry-After`` when injected. Faults: :meth:`fail_next`, :meth:`truncate_next`,
:meth:`malformed_next`, :meth:`expire_tokens` (a fault's ``path`` matches anywhere in the
unquoted path and query). ``requests`` logs ``(method, path)``, ``urls`` the unquoted path and
query, ``prefer`` the Prefer header of every call.
Serving, the request log and the fault queue come from :mod:`tests.emulators.loopback`.
"""

from __future__ import annotations

import json
import re
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote

import jwt
from cryptography import x509

from tests.emulators.dynamics.org import ALL_PRIVILEGES, ENTITIES, LABELS, LOOKUPS, Org
from tests.emulators.loopback import Fault, LoopbackEmulator, Reply, Request
from tests.emulators.salesforce.tls import make_cert

TENANT = "contoso-tenant"
CLIENT_ID = "11111111-2222-3333-4444-555555555555"
CLIENT_SECRET = "emulator-dataverse-secret"
APP_USER_ID = "99999999-0000-0000-0000-000000000001"
API = "/api/data/v9.2/"
FORMATTED = "@OData.Community.Display.V1.FormattedValue"
LOGICAL = "@Microsoft.Dynamics.CRM.lookuplogicalname"


class DataverseEmulator(LoopbackEmulator):
    """The emulator: ``start()`` serves on ``base_url`` until ``stop()``."""

    content_type = "application/json; odata.metadata=minimal"

    def __init__(self, folder: Path, org: Org | None = None) -> None:
        self.cert, self.key = make_cert(folder)
        super().__init__(tls=(self.cert, self.key))
        self.org = org or Org()
        self.urls: list[str] = []
        self.prefer: list[str] = []
        self.tokens: set[str] = set()
        self.token_requests = 0
        self.privileges: set[str] = set(ALL_PRIVILEGES)
        self.client_certificate: x509.Certificate | None = None
        self._snapshots: dict[str, list[dict[str, Any]]] = {}

    # -- test controls -------------------------------------------------------------------

    def fail_next(
        self,
        path: str,
        status: int,
        headers: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` requests to ``path`` with ``status``."""
        payload = body or {"error": {"code": "0x80040216", "message": f"injected {status}"}}
        self.add_fault(Fault(path, status, json.dumps(payload).encode(), headers or {}, times))

    def expire_tokens(self) -> None:
        """Invalidate every access token issued so far."""
        with self._lock:
            self.tokens.clear()

    def count(self, prefix: str) -> int:
        """Requests logged whose path starts with ``prefix``."""
        return sum(1 for _, p in self.requests if p.startswith(prefix))

    # -- dispatch ------------------------------------------------------------------------

    def log(self, request: Request) -> None:
        self.requests.append((request.method, unquote(request.path)))
        self.urls.append(unquote(request.target))
        self.prefer.append(request.headers.get("Prefer") or "")

    def fault_key(self, request: Request) -> str:
        return unquote(request.target)

    def malformed_body(self) -> Any:
        return {"@odata.context": "x", "values": []}

    def reply_headers(self, status: int) -> dict[str, str]:
        headers = {"OData-Version": "4.0"}
        if status == 401:
            headers["WWW-Authenticate"] = f'Bearer authorization_uri="{self.base_url}/{TENANT}"'
        return headers

    def route(self, request: Request) -> tuple[int, Any]:
        method, path, query, raw = (
            request.method,
            unquote(request.path),
            request.query,
            request.body,
        )
        if path == f"/{TENANT}/v2.0/.well-known/openid-configuration":
            return 200, self._openid()
        if path == "/common/discovery/instance":
            return 200, {
                "tenant_discovery_endpoint": f"{self.base_url}/{TENANT}/v2.0/.well-known/"
                "openid-configuration",
                "api-version": "1.1",
            }
        if method == "POST" and path == f"/{TENANT}/oauth2/v2.0/token":
            return self._token(raw)
        if path.startswith(API):
            self._authorize(request)
            rest = path[len(API) :]
            if rest == "WhoAmI":
                return 200, {
                    "@odata.context": f"{self.base_url}{API}$metadata#Microsoft.Dynamics.CRM."
                    "WhoAmIResponse",
                    "BusinessUnitId": "bu-1",
                    "UserId": APP_USER_ID,
                    "OrganizationId": "org-1",
                }
            if rest.endswith("/Microsoft.Dynamics.CRM.RetrieveUserPrivileges"):
                return 200, {
                    "RolePrivileges": [
                        {"Depth": "Global", "PrivilegeName": p, "BusinessUnitId": "bu-1"}
                        for p in sorted(self.privileges)
                    ]
                }
            if rest in ENTITIES:
                prefer = request.headers.get("Prefer") or ""
                return 200, self._collection(rest, parse_qs(query), prefer)
        raise Reply(
            404, _odata_error("0x80060888", f"Resource not found for the segment '{path}'.")
        )

    # -- identity ------------------------------------------------------------------------

    def _openid(self) -> dict[str, Any]:
        base = f"{self.base_url}/{TENANT}"
        return {
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "issuer": f"{base}/v2.0",
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt"],
            "response_types_supported": ["code", "id_token", "token"],
        }

    def _token(self, raw: bytes) -> tuple[int, Any]:
        form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        with self._lock:
            self.token_requests += 1
        if form.get("grant_type") != "client_credentials" or form.get("client_id") != CLIENT_ID:
            return 400, {
                "error": "unauthorized_client",
                "error_description": f"AADSTS700016: Application with identifier "
                f"'{form.get('client_id')}' was not found in the directory.",
            }
        if not self._client_authenticated(form):
            return 401, {
                "error": "invalid_client",
                "error_description": "AADSTS7000215: Invalid client secret provided.",
            }
        if form.get("scope") != f"{self.base_url}/.default":
            return 400, {
                "error": "invalid_scope",
                "error_description": f"AADSTS70011: The provided scope {form.get('scope')} is "
                "not valid.",
            }
        token = "dv-" + secrets.token_hex(12)
        with self._lock:
            self.tokens.add(token)
        return 200, {"token_type": "Bearer", "expires_in": 3599, "access_token": token}

    def _client_authenticated(self, form: dict[str, str]) -> bool:
        if "client_secret" in form:
            return form["client_secret"] == CLIENT_SECRET
        assertion = form.get("client_assertion")
        if not assertion or self.client_certificate is None:
            return False
        try:
            claims = jwt.decode(
                assertion,
                self.client_certificate.public_key(),  # type: ignore[arg-type]
                algorithms=["RS256", "PS256"],
                audience=f"{self.base_url}/{TENANT}/oauth2/v2.0/token",
            )
        except jwt.PyJWTError:
            return False
        return bool(claims.get("iss") == CLIENT_ID and claims.get("sub") == CLIENT_ID)

    def _authorize(self, request: Request) -> None:
        header = request.headers.get("Authorization") or ""
        token = header[7:] if header.startswith("Bearer ") else ""
        with self._lock:
            valid = token in self.tokens
        if not valid:
            raise Reply(
                401, _odata_error("0x80072560", "The user is not a member of the organization.")
            )

    # -- collections ---------------------------------------------------------------------

    def _collection(
        self, entity_set: str, query: dict[str, list[str]], prefer: str
    ) -> dict[str, Any]:
        meta = ENTITIES[entity_set]
        if meta["privilege"] and meta["privilege"] not in self.privileges:
            raise Reply(
                403,
                _odata_error(
                    "0x80040220",
                    f"Principal user (Id={APP_USER_ID}, type=8) is missing {meta['privilege']} "
                    f"privilege on entity '{meta['logical']}'.",
                ),
            )
        select = [c for c in (query.get("$select") or [""])[0].split(",") if c]
        known = self.org.columns(entity_set)
        for column in select:
            if column not in known:
                raise Reply(
                    400,
                    _odata_error(
                        "0x80060888",
                        f"Could not find a property named '{column}' on type "
                        f"'Microsoft.Dynamics.CRM.{meta['logical']}'.",
                    ),
                )
        size = _page_size(prefer, query)
        annotate = "FormattedValue" in prefer or "*" in prefer
        token = (query.get("$deltatoken") or [None])[0]
        skip = (query.get("$skiptoken") or [None])[0]
        tracked = "odata.track-changes" in prefer and meta["tracked"]
        with self._lock:
            snapshot_id, rows, version = self._rows(entity_set, query, token, skip)
            page_no = int(re.search(r'pagenumber="(\d+)"', skip).group(1)) if skip else 1
            chunk = rows[(page_no - 1) * size : page_no * size]
            value = [self._shape(entity_set, r, select, annotate) for r in chunk]
        context = f"{self.base_url}{API}$metadata#{entity_set}({','.join(select)})"
        body: dict[str, Any] = {"@odata.context": context, "value": value}
        base = f"{self.base_url}{API}{entity_set}?$select={','.join(select)}"
        if "$filter" in query:
            base += "&$filter=" + quote(query["$filter"][0], safe="'(),:")
        if page_no * size < len(rows):
            last = chunk[-1].get(meta["key"]) if chunk and "id" not in chunk[-1] else ""
            paging = quote(quote(f"<cookie page={page_no}><{meta['key']} last={last} /></cookie>"))
            cookie = (
                f'<cookie pagenumber="{page_no + 1}" pagingcookie="{paging}" '
                f'istracking="{tracked}" snapshot="{snapshot_id}" />'
            )
            extra = f"&$deltatoken={token}" if token else ""
            body["@odata.nextLink"] = f"{base}{extra}&$skiptoken={quote(cookie)}"
        elif tracked or token:
            body["@odata.deltaLink"] = f"{base}&$deltatoken={version}%2101%2f01%2f2025"
        return body

    def _rows(
        self, entity_set: str, query: dict[str, list[str]], token: str | None, skip: str | None
    ) -> tuple[str, list[dict[str, Any]], int]:
        """The rows of a query, snapshotted at its first page so paging is stable."""
        if skip:
            found = re.search(r'snapshot="([^"]+)"', skip)
            if found and found.group(1) in self._snapshots:
                key = found.group(1)
                rows = self._snapshots[key]
                return key, rows, int(key.split("-")[1])
        key = f"{secrets.token_hex(4)}-{self.org.version}"
        if token is not None:
            since = int(token.split("!")[0])
            changed = [
                (v, row_id)
                for (table, row_id), v in self.org.versions.items()
                if table == entity_set and v > since
            ]
            rows = [self.org.tables[entity_set][row_id] for _, row_id in sorted(changed)]
            rows += [
                {"id": row_id, "reason": "deleted"}
                for v, table, row_id in self.org.deleted
                if table == entity_set and v > since
            ]
        else:
            predicate = _parse_filter((query.get("$filter") or [""])[0])
            rows = [r for _, r in sorted(self.org.tables[entity_set].items()) if predicate(r)]
            if "$top" in query:
                rows = rows[: int(query["$top"][0])]
        self._snapshots[key] = rows
        return key, rows, self.org.version

    def _shape(
        self, entity_set: str, row: dict[str, Any], select: list[str], annotate: bool
    ) -> dict[str, Any]:
        if "reason" in row and "id" in row:
            return {
                "@odata.context": f"{self.base_url}{API}$metadata#{entity_set}/$deletedEntity",
                "id": row["id"],
                "reason": "deleted",
            }
        key = ENTITIES[entity_set]["key"]
        out: dict[str, Any] = {
            "@odata.etag": f'W/"{self.org.versions.get((entity_set, row[key]), 0)}"'
        }
        for column in select or sorted(self.org.columns(entity_set)):
            value = row.get(column)
            out[column] = value
            if not annotate or value is None:
                continue
            labels = LABELS.get(f"{entity_set}.{column}")
            if labels is not None:
                out[column + FORMATTED] = labels.get(int(value), str(value))
            elif column in LOOKUPS:
                target = self.org.find(value, LOOKUPS[column])
                if target is not None:
                    table, linked = target
                    out[column + FORMATTED] = linked.get(ENTITIES[table]["name"])
                    out[column + LOGICAL] = ENTITIES[table]["logical"]
            elif column in ("estimatedvalue", "revenue", "actualvalue"):
                out[column + FORMATTED] = f"${value:,.2f}"
        out.setdefault(key, row[key])
        return out


def _odata_error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def _page_size(prefer: str, query: dict[str, list[str]]) -> int:
    found = re.search(r"odata\.maxpagesize=(\d+)", prefer)
    size = int(found.group(1)) if found else 5000
    if size > 5000:
        raise Reply(400, _odata_error("0x80048d19", "odata.maxpagesize must be at most 5000"))
    return size


_TOKEN = re.compile(r"\s*(\(|\)|'(?:[^']|'')*'|[^\s()]+)")


def _parse_filter(text: str) -> Any:
    """A predicate for an OData ``$filter`` (comparisons joined by and / or, parentheses)."""
    tokens = [t for t in _TOKEN.findall(text) if t.strip()]
    if not tokens:
        return lambda row: True
    position = 0

    def peek() -> str | None:
        return tokens[position] if position < len(tokens) else None

    def take() -> str:
        nonlocal position
        position += 1
        return tokens[position - 1]

    def literal(token: str) -> Any:
        if token.startswith("'"):
            return token[1:-1].replace("''", "'")
        if token == "null":
            return None
        if token in ("true", "false"):
            return token == "true"
        try:
            return float(token)
        except ValueError:
            return token  # datetimes compare as ISO text

    def comparison() -> Any:
        if peek() == "(":
            take()
            inner = disjunction()
            take()
            return inner
        column, operator, value = take(), take(), literal(take())

        def test(row: dict[str, Any]) -> bool:
            have = row.get(column)
            if operator in ("eq", "ne"):
                return (have == value) == (operator == "eq")
            if have is None or value is None:
                return False
            left, right = (
                (str(have)[:19], str(value)[:19]) if isinstance(value, str) else (have, value)
            )
            return {
                "ge": left >= right,
                "gt": left > right,
                "le": left <= right,
                "lt": left < right,
            }[operator]

        return test

    def conjunction() -> Any:
        parts = [comparison()]
        while peek() == "and":
            take()
            parts.append(comparison())
        return lambda row: all(p(row) for p in parts)

    def disjunction() -> Any:
        parts = [conjunction()]
        while peek() == "or":
            take()
            parts.append(conjunction())
        return lambda row: any(p(row) for p in parts)

    return disjunction()
