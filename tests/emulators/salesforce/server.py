"""A Salesforce API emulator served over TLS on loopback, for simple-salesforce to talk to.

Endpoints (shaped after the recorded traffic in ../shared/fixtures/salesforce and the REST API
docs): OAuth token (refresh_token, JWT bearer), SOAP login (username + password + token),
``sobjects/<Object>/describe``, ``composite`` (GET describe/query subrequests, at most 25 per
call and 5 of them queries), ``query`` / ``queryAll`` with ``nextRecordsUrl`` paging
(``Sforce-Query-Options: batchSize=N``, at most 2,000), and Bulk API 2.0 query jobs
(``jobs/query``: create, poll, CSV results paged with ``Sforce-Locator``).

Every API response carries ``Sforce-Limit-Info: api-usage=<used>/<daily_limit>``; past the limit
the API answers 403 ``REQUEST_LIMIT_EXCEEDED``. Tests inject faults with :meth:`fail_next`
(status / Retry-After / body), :meth:`truncate_next` (a cut-off JSON page),
:meth:`malformed_next` (a page without ``records``) and :meth:`expire_sessions` (401).
``requests`` logs ``(method, path)`` of every call, ``subrequests`` every composite subrequest.
Serving, the request log and the fault queue come from :mod:`tests.emulators.loopback`.
"""

from __future__ import annotations

import csv
import io
import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt

from tests.emulators.loopback import Fault, LoopbackEmulator, Reply, Request
from tests.emulators.salesforce import soql
from tests.emulators.salesforce.org import Org
from tests.emulators.salesforce.tls import make_cert

CLIENT_ID = "emulator-client-id"
CLIENT_SECRET = "emulator-client-secret"
REFRESH_TOKEN = "emulator-refresh-token"
USERNAME = "rep@example.com"
PASSWORD = "pw"
SECURITY_TOKEN = "tok"


@dataclass
class _Cursor:
    records: list[dict[str, Any]]
    position: int
    size: int
    deleted: bool


class SalesforceEmulator(LoopbackEmulator):
    """The emulator: ``start()`` serves on ``base_url`` until ``stop()``."""

    methods = ("GET", "POST", "PATCH")
    content_type = "application/json;charset=UTF-8"

    def __init__(self, folder: Path, fixtures: Path | None = None, page_size: int = 2000) -> None:
        self.cert, self.key = make_cert(folder)
        super().__init__(tls=(self.cert, self.key))
        self.org = Org(fixtures)
        self.page_size = page_size
        self.daily_limit = 1_000_000
        self.used = 0
        self.subrequests: list[str] = []  # composite subrequest URLs (path and query)
        self.tokens: set[str] = set()
        self.jwt_public_key: Any = None
        self.bulk_polls_until_complete = 1
        self._cursors: dict[str, _Cursor] = {}
        self._jobs: dict[str, dict[str, Any]] = {}
        self.version = "59.0"

    # --- fault injection -------------------------------------------------------------------
    def fail_next(
        self,
        path: str,
        status: int,
        body: Any = None,
        headers: dict[str, str] | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` requests whose path contains ``path`` with ``status``."""
        raw = body if isinstance(body, bytes) else json.dumps(body or []).encode()
        self.add_fault(Fault(path, status, raw, dict(headers or {}), times))

    # Salesforce's damaged pages are canned and answer without routing, so a damaged query
    # page opens no cursor and counts no API call.
    def truncate_next(self, path: str) -> None:
        """Answer the next matching request with a JSON page cut off half-way."""
        self.add_fault(Fault(path, 200, b'{"totalSize": 9, "done": false, "records": [{"Id'))

    def malformed_next(self, path: str) -> None:
        """Answer the next matching request with valid JSON that is not a query page."""
        self.add_fault(Fault(path, 200, b'{"totalSize": 9, "done": true}'))

    def expire_sessions(self) -> None:
        """Invalidate every issued access token (the next API call gets 401)."""
        with self._lock:
            self.tokens.clear()

    def api_calls(self, fragment: str = "/services/data/") -> int:
        """How many logged requests had ``fragment`` in their path."""
        return sum(1 for _, path in self.requests if fragment in path)

    # --- helpers used by the handler ----------------------------------------------------------
    def issue_token(self) -> str:
        token = "00D!" + secrets.token_urlsafe(16)
        with self._lock:
            self.tokens.add(token)
        return token

    def open_cursor(self, records: list[dict[str, Any]], size: int, deleted: bool) -> str:
        with self._lock:
            locator = "01g" + secrets.token_hex(6)
            self._cursors[locator] = _Cursor(records, 0, size, deleted)
            return locator

    def page(self, locator: str) -> dict[str, Any]:
        with self._lock:
            cursor = self._cursors[locator]
            chunk = cursor.records[cursor.position : cursor.position + cursor.size]
            cursor.position += len(chunk)
            done = cursor.position >= len(cursor.records)
            page: dict[str, Any] = {
                "totalSize": len(cursor.records),
                "done": done,
                "records": chunk,
            }
            if not done:
                kind = "queryAll" if cursor.deleted else "query"
                page["nextRecordsUrl"] = (
                    f"/services/data/v{self.version}/{kind}/{locator}-{cursor.position}"
                )
            return page

    def run_query(self, text: str, include_deleted: bool) -> tuple[str, list[dict[str, Any]]]:
        """(object, records as the API returns them) for a SOQL query; raises on bad input."""
        query = soql.parse(text)
        if query.obj not in self.org.describes:
            raise _ApiError(400, "INVALID_TYPE", f"sObject type '{query.obj}' is not supported.")
        if query.obj in self.org.hidden:
            raise _ApiError(403, "INSUFFICIENT_ACCESS", f"No access to entity {query.obj}")
        known = self.org.field_names(query.obj)
        for name in [*query.fields, *(w[0] for w in query.where)]:
            if name not in known:
                raise _ApiError(
                    400,
                    "INVALID_FIELD",
                    f"No such column '{name}' on entity '{query.obj}'. If you are attempting to "
                    "use a custom field, be sure to append the '__c' after the custom field name.",
                )
        types = {f["name"]: f.get("type") for f in self.org.describes[query.obj]["fields"]}
        for name, _, value in query.where:
            if types.get(name) in ("datetime", "date") and isinstance(value, str):
                raise _ApiError(
                    400,
                    "INVALID_FIELD",
                    f"value of filter criterion for field '{name}' must be of type "
                    f"{types[name]} and should not be enclosed in quotes",
                )
        with self.org.lock:
            pool = list(self.org.records[query.obj].values())
        rows = [
            r
            for r in pool
            if (include_deleted or not r.get("IsDeleted")) and soql.matches(r, query.where)
        ]
        if query.order_by:
            rows.sort(key=lambda r: str(r.get(query.order_by) or ""), reverse=query.descending)
        if query.limit is not None:
            rows = rows[: query.limit]
        out = []
        for row in rows:
            record: dict[str, Any] = {
                "attributes": {
                    "type": query.obj,
                    "url": f"/services/data/v{self.version}/sobjects/{query.obj}/{row['Id']}",
                }
            }
            record.update({name: row.get(name) for name in query.fields})
            out.append(record)
        return query.obj, out

    def describe_response(self, obj: str) -> dict[str, Any]:
        """The describe of ``obj`` or the error the API gives."""
        if obj not in self.org.describes:
            raise _ApiError(404, "NOT_FOUND", "The requested resource does not exist")
        if obj in self.org.hidden:
            raise _ApiError(403, "INSUFFICIENT_ACCESS", f"No access to entity {obj}")
        return self.org.describes[obj]

    def query_response(self, kind: str, text: str, options: str) -> dict[str, Any]:
        """The first page of a ``query`` / ``queryAll`` (``options``: Sforce-Query-Options)."""
        size = self.page_size
        if options.startswith("batchSize="):
            size = min(2000, max(1, int(options.split("=", 1)[1])))
        deleted = kind == "queryAll"
        try:
            _, records = self.run_query(text, deleted)
        except soql.SoqlError as err:
            raise _ApiError(400, "MALFORMED_QUERY", str(err)) from err
        return self.page(self.open_cursor(records, size, deleted))

    def composite_response(self, body: dict[str, Any]) -> dict[str, Any]:
        """Run GET subrequests (describe, query, queryAll) within the documented limits."""
        items = body.get("compositeRequest")
        if not isinstance(items, list) or not 0 < len(items) <= 25:
            raise _ApiError(400, "INVALID_BATCH_REQUEST", "1 to 25 subrequests are allowed")
        paths = [urlsplit(str(i.get("url", ""))) for i in items]
        if sum(p.path.split("/")[4:5] in (["query"], ["queryAll"]) for p in paths) > 5:
            raise _ApiError(400, "INVALID_BATCH_REQUEST", "at most 5 query subrequests")
        out = []
        for item, url in zip(items, paths, strict=True):
            self.subrequests.append(str(item.get("url", "")))
            parts = url.path.split("/")[4:]
            try:
                if item.get("method") != "GET":
                    raise _ApiError(400, "METHOD_NOT_ALLOWED", "only GET is emulated")
                if parts[:1] == ["sobjects"] and len(parts) == 3 and parts[2] == "describe":
                    status, answer = 200, self.describe_response(parts[1])
                elif parts[:1] in (["query"], ["queryAll"]) and len(parts) == 1:
                    options = (item.get("httpHeaders") or {}).get("Sforce-Query-Options", "")
                    text = parse_qs(url.query).get("q", [""])[0]
                    status, answer = 200, self.query_response(parts[0], text, options)
                else:
                    raise _ApiError(404, "NOT_FOUND", "The requested resource does not exist")
            except _ApiError as err:
                status, answer = err.status, [{"errorCode": err.code, "message": err.message}]
            out.append(
                {
                    "body": answer,
                    "httpHeaders": {},
                    "httpStatusCode": status,
                    "referenceId": item.get("referenceId"),
                }
            )
        return {"compositeResponse": out}

    def create_job(self, body: dict[str, Any]) -> dict[str, Any]:
        operation = body.get("operation")
        if operation not in ("query", "queryAll"):
            raise _ApiError(400, "INVALIDJOB", "operation must be query or queryAll")
        query = soql.parse(str(body.get("query", "")))
        obj, records = self.run_query(str(body["query"]), operation == "queryAll")
        job_id = "750" + secrets.token_hex(6)
        job = {
            "id": job_id,
            "operation": operation,
            "object": obj,
            "state": "UploadComplete",
            "fields": query.fields,
            "records": records,
            "polls": 0,
        }
        with self._lock:
            self._jobs[job_id] = job
        return {k: v for k, v in job.items() if k not in ("records", "fields", "polls")}

    def job_info(self, job_id: str) -> dict[str, Any]:
        with self._lock:
            job = self._jobs[job_id]
            job["polls"] += 1
            if job["state"] != "Aborted" and job["polls"] >= self.bulk_polls_until_complete:
                job["state"] = "JobComplete"
            return {
                "id": job_id,
                "operation": job["operation"],
                "object": job["object"],
                "state": job["state"],
                "numberRecordsProcessed": len(job["records"]),
            }

    def set_job_state(self, job_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """Abort a job (the only state change a query job accepts)."""
        if body.get("state") != "Aborted":
            raise _ApiError(400, "INVALIDJOB", "a query job can only be aborted")
        with self._lock:
            job = self._jobs[job_id]
            job["state"] = "Aborted"
            return {"id": job_id, "state": "Aborted", "object": job["object"]}

    def job_results(self, job_id: str, locator: str, max_records: int) -> tuple[bytes, str, int]:
        with self._lock:
            job = self._jobs[job_id]
        start = int(locator) if locator else 0
        chunk = job["records"][start : start + max_records]
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(job["fields"])
        for record in chunk:
            writer.writerow([_csv_cell(record.get(name)) for name in job["fields"]])
        end = start + len(chunk)
        next_locator = str(end) if end < len(job["records"]) else "null"
        return buffer.getvalue().encode(), next_locator, len(chunk)

    # --- routing -------------------------------------------------------------------------------
    def route(self, request: Request) -> Reply:
        try:
            if request.path == "/services/oauth2/token":
                return self._token(request.body)
            if request.path.startswith("/services/Soap/u/"):
                return self._soap_login(request.body)
            if request.path.startswith("/services/data/"):
                return self._api(request)
            raise _ApiError(404, "NOT_FOUND", "no such resource")
        except _ApiError as err:
            return Reply(err.status, [{"errorCode": err.code, "message": err.message}])

    # --- auth --------------------------------------------------------------------------------
    def _token(self, body: bytes) -> Reply:
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        grant = form.get("grant_type")
        ok = False
        if grant == "refresh_token":
            ok = (
                form.get("client_id") == CLIENT_ID
                and form.get("refresh_token") == REFRESH_TOKEN
                and form.get("client_secret", CLIENT_SECRET) == CLIENT_SECRET
            )
        elif grant == "urn:ietf:params:oauth:grant-type:jwt-bearer" and self.jwt_public_key:
            try:
                claims = jwt.decode(
                    form.get("assertion", ""),
                    self.jwt_public_key,
                    algorithms=["RS256"],
                    audience=self.base_url,
                )
                ok = claims.get("iss") == CLIENT_ID and claims.get("sub") == USERNAME
            except jwt.PyJWTError:
                ok = False
        if not ok:
            return Reply(
                400, {"error": "invalid_grant", "error_description": "expired access/refresh token"}
            )
        return Reply(
            200,
            {
                "access_token": self.issue_token(),
                "instance_url": self.base_url,
                "id": f"{self.base_url}/id/00D000000000001/005000000000001",
                "token_type": "Bearer",
                "issued_at": "1700000000000",
            },
        )

    def _soap_login(self, body: bytes) -> Reply:
        text = body.decode()
        good = f"<n1:username>{USERNAME}</n1:username>" in text and (
            f"<n1:password>{PASSWORD}{SECURITY_TOKEN}</n1:password>" in text
        )
        headers = {"Content-Type": "text/xml;charset=UTF-8"}
        if not good:
            fault = (
                '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope '
                'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
                'xmlns:sf="urn:fault.partner.soap.sforce.com"><soapenv:Body><soapenv:Fault>'
                "<faultcode>INVALID_LOGIN</faultcode><detail><sf:LoginFault>"
                "<sf:exceptionCode>INVALID_LOGIN</sf:exceptionCode><sf:exceptionMessage>"
                "Invalid username, password, security token; or user locked out."
                "</sf:exceptionMessage></sf:LoginFault></detail></soapenv:Fault></soapenv:Body>"
                "</soapenv:Envelope>"
            )
            return Reply(500, fault.encode(), headers)
        server_url = f"{self.base_url}/services/Soap/u/{self.version}/00D000000000001"
        ok = (
            '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope '
            'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
            'xmlns="urn:partner.soap.sforce.com"><soapenv:Body><loginResponse><result>'
            f"<serverUrl>{server_url}</serverUrl><sessionId>{self.issue_token()}</sessionId>"
            "</result></loginResponse></soapenv:Body></soapenv:Envelope>"
        )
        return Reply(200, ok.encode(), headers)

    # --- REST API ----------------------------------------------------------------------------
    def _api(self, request: Request) -> Reply:
        auth = request.headers.get("Authorization", "")
        if auth.removeprefix("Bearer ").strip() not in self.tokens:
            return Reply(
                401, [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
            )
        with self._lock:
            refused = self.used >= self.daily_limit
            if not refused:
                self.used += 1
            used = self.used
        limit = {"Sforce-Limit-Info": f"api-usage={used}/{self.daily_limit}"}
        if refused:
            return Reply(
                403,
                [
                    {
                        "message": "TotalRequests Limit exceeded.",
                        "errorCode": "REQUEST_LIMIT_EXCEEDED",
                    }
                ],
                limit,
            )
        method, body, query = request.method, request.body, parse_qs(request.query)
        parts = request.path.split("/")[4:]  # after /services/data/vXX.X/
        if parts[:1] == ["sobjects"] and len(parts) == 3 and parts[2] == "describe":
            return Reply(200, self.describe_response(parts[1]), limit)
        if parts == ["composite"] and method == "POST":
            return Reply(200, self.composite_response(json.loads(body or b"{}")), limit)
        if parts[:1] in (["query"], ["queryAll"]):
            return self._query(parts, request, limit)
        if parts[:2] == ["jobs", "query"]:
            return self._bulk(method, parts[2:], query, body, limit)
        raise _ApiError(404, "NOT_FOUND", "The requested resource does not exist")

    def _query(self, parts: list[str], request: Request, limit: dict[str, str]) -> Reply:
        if len(parts) == 2 and parts[1]:
            locator = parts[1].split("-")[0]
            try:
                return Reply(200, self.page(locator), limit)
            except KeyError:
                raise _ApiError(400, "INVALID_QUERY_LOCATOR", "invalid query locator") from None
        options = request.headers.get("Sforce-Query-Options", "")
        text = parse_qs(request.query).get("q", [""])[0]
        return Reply(200, self.query_response(parts[0], text, options), limit)

    def _bulk(
        self,
        method: str,
        rest: list[str],
        query: dict[str, list[str]],
        body: bytes,
        limit: dict[str, str],
    ) -> Reply:
        if method == "POST" and not rest:
            try:
                info = self.create_job(json.loads(body or b"{}"))
            except soql.SoqlError as err:
                raise _ApiError(400, "MALFORMED_QUERY", str(err)) from err
            return Reply(200, info, limit)
        if method == "GET" and len(rest) == 1:
            return Reply(200, self.job_info(rest[0]), limit)
        if method == "PATCH" and len(rest) == 1:
            return Reply(200, self.set_job_state(rest[0], json.loads(body or b"{}")), limit)
        if method == "GET" and len(rest) == 2 and rest[1] == "results":
            locator = query.get("locator", [""])[0]
            size = int(query.get("maxRecords", ["50000"])[0])
            data, next_locator, count = self.job_results(rest[0], locator, size)
            headers = {
                **limit,
                "Content-Type": "text/csv",
                "Sforce-Locator": next_locator,
                "Sforce-NumberOfRecords": str(count),
            }
            return Reply(200, data, headers)
        raise _ApiError(404, "NOT_FOUND", "The requested resource does not exist")


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class _ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
