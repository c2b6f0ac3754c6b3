"""A loopback HTTP emulator of the Cloud Tasks v2 REST API calls sheets-sync makes.

``POST /v2/{queue}/tasks`` creates a task the way Cloud Tasks does: the queue must exist, a
given name must be ``{queue}/tasks/{id}`` with an id of letters, digits, ``-`` and ``_``, exactly
one of ``appEngineHttpRequest`` and ``httpRequest`` is required, and a name already used, by a
waiting task or by one delivered or deleted earlier, is refused with 409 ``ALREADY_EXISTS``.
``GET`` lists or reads tasks and ``DELETE`` removes one. Tests deliver tasks with
:meth:`CloudTasksEmulator.deliver`, which sets the headers Cloud Tasks and App Engine set, and
can make the next create calls fail (``fail_next``) or lose their answer after creating the task
(``lose_answers``).
"""

from __future__ import annotations

import base64
import json
import re
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_QUEUE = r"projects/[^/]+/locations/[^/]+/queues/[A-Za-z0-9-]+"
_CREATE = re.compile(rf"^/v2/({_QUEUE})/tasks$")
_TASK = re.compile(rf"^/v2/(({_QUEUE})/tasks/[^/]+)$")
_TASK_ID = re.compile(r"^[A-Za-z0-9_-]{1,500}$")
Send = Callable[[str, bytes, dict[str, str]], int]


class CloudTasksEmulator:
    """Cloud Tasks queues in memory behind a real HTTP server on 127.0.0.1."""

    def __init__(self, queues: Iterable[str]) -> None:
        self.queues: dict[str, dict[str, dict[str, Any]]] = {q: {} for q in queues}
        self.used_names: set[str] = set()
        self.create_calls = 0
        self.fail_next = 0  # answer the next N creates 503 without creating anything
        self.lose_answers = 0  # create the next N tasks but answer 503, as if the reply was lost
        self._lock = threading.Lock()
        self._counter = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        """The API endpoint to give the client (``http://127.0.0.1:PORT``)."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def stop(self) -> None:
        """Shut the server down."""
        self._server.shutdown()
        self._server.server_close()

    def tasks(self, queue: str) -> list[dict[str, Any]]:
        """The waiting tasks of ``queue``, oldest first."""
        with self._lock:
            return sorted(self.queues[queue].values(), key=lambda t: t["createTime"])

    def deliver(self, queue: str, send: Send) -> list[int]:
        """Deliver every waiting task of ``queue`` once through ``send``; returns the statuses.

        A 2xx answer completes the task (its name stays used); any other answer leaves it
        waiting with ``dispatchCount`` raised, as Cloud Tasks does before retrying.
        """
        statuses = []
        queue_id = queue.rsplit("/", 1)[-1]
        for task in self.tasks(queue):
            target = task.get("appEngineHttpRequest") or task["httpRequest"]
            path = target.get("relativeUri") or re.sub(r"^https?://[^/]+", "", target["url"])
            headers = dict(target.get("headers", {}))
            task_id = task["name"].rsplit("/", 1)[-1]
            if "appEngineHttpRequest" in task:
                headers |= {"X-AppEngine-QueueName": queue_id, "X-AppEngine-TaskName": task_id}
            else:
                headers |= {"X-CloudTasks-QueueName": queue_id, "X-CloudTasks-TaskName": task_id}
            status = send(path, base64.b64decode(target.get("body", "")), headers)
            statuses.append(status)
            with self._lock:
                if 200 <= status < 300:
                    self.queues[queue].pop(task["name"], None)
                else:
                    task["dispatchCount"] = task.get("dispatchCount", 0) + 1
        return statuses

    # -- the HTTP API -----------------------------------------------------------------------

    def _create(self, queue: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        task = dict(body.get("task") or {})
        with self._lock:
            self.create_calls += 1
            if self.fail_next:
                self.fail_next -= 1
                return _error(503, "UNAVAILABLE", "The service is currently unavailable.")
            if queue not in self.queues:
                return _error(404, "NOT_FOUND", f"Requested entity was not found: {queue}")
            targets = [k for k in ("appEngineHttpRequest", "httpRequest") if k in task]
            if len(targets) != 1:
                return _error(400, "INVALID_ARGUMENT", "Task needs exactly one target.")
            name = task.get("name")
            if name is None:
                self._counter += 1
                name = f"{queue}/tasks/{self._counter:020d}"
            prefix, _, task_id = name.rpartition("/tasks/")
            if prefix != queue or not _TASK_ID.match(task_id):
                return _error(400, "INVALID_ARGUMENT", f"Invalid task name: {name}")
            if name in self.used_names:
                return _error(409, "ALREADY_EXISTS", "Requested entity already exists")
            now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
            stored = {
                **task,
                "name": name,
                "createTime": now,
                "scheduleTime": task.get("scheduleTime", now),
                "dispatchCount": 0,
                "view": "BASIC",
            }
            self.queues[queue][name] = stored
            self.used_names.add(name)
            if self.lose_answers:
                self.lose_answers -= 1
                return _error(503, "UNAVAILABLE", "The service is currently unavailable.")
            return 200, _basic(stored)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        emulator = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                match = _CREATE.match(self.path.partition("?")[0])
                if not match:
                    self._answer(*_error(404, "NOT_FOUND", f"no method at {self.path}"))
                    return
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    body = json.loads(self.rfile.read(length) or b"{}")
                except ValueError:
                    self._answer(*_error(400, "INVALID_ARGUMENT", "Invalid JSON payload."))
                    return
                self._answer(*emulator._create(match.group(1), body))

            def do_GET(self) -> None:
                path = self.path.partition("?")[0]
                if match := _CREATE.match(path):
                    if match.group(1) not in emulator.queues:
                        self._answer(*_error(404, "NOT_FOUND", "queue not found"))
                        return
                    tasks = [_basic(t) for t in emulator.tasks(match.group(1))]
                    self._answer(200, {"tasks": tasks})
                elif (match := _TASK.match(path)) and match.group(1) in emulator.queues.get(
                    match.group(2), {}
                ):
                    self._answer(200, _basic(emulator.queues[match.group(2)][match.group(1)]))
                else:
                    self._answer(*_error(404, "NOT_FOUND", "Requested entity was not found."))

            def do_DELETE(self) -> None:
                match = _TASK.match(self.path.partition("?")[0])
                with emulator._lock:
                    found = match and emulator.queues.get(match.group(2), {}).pop(
                        match.group(1), None
                    )
                if found:
                    self._answer(200, {})
                else:
                    self._answer(*_error(404, "NOT_FOUND", "Requested entity was not found."))

        return Handler


def _basic(task: dict[str, Any]) -> dict[str, Any]:
    # The BASIC view leaves the request body out, as the real API does by default.
    shown = json.loads(json.dumps(task))
    for key in ("appEngineHttpRequest", "httpRequest"):
        if key in shown:
            shown[key].pop("body", None)
    return shown


def _error(status: int, code: str, message: str) -> tuple[int, dict[str, Any]]:
    return status, {"error": {"code": status, "message": message, "status": code}}
