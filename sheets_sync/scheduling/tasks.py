"""Handing refreshes to whoever executes them: Cloud Tasks, or threads of this process.

Each refresh is one :class:`RefreshTask` whose name is deterministic (the report, the schedule
slot and the attempt for a scheduled run; the run id and the attempt for a "refresh now"), so
creating it twice is harmless: Cloud Tasks refuses a second task with
the same name (ALREADY_EXISTS), which counts as success. A dispatcher that retries after a crash
or a lost answer therefore never delivers a refresh twice.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

log = logging.getLogger(__name__)

TASK_PATH = "/internal/tasks/refresh"


def task_name(report_id: str, scheduled_for: datetime, attempt: int = 1) -> str:
    """The queue task name of a report's refresh for one schedule slot and attempt."""
    slot = scheduled_for.strftime("%Y%m%dT%H%M%SZ")
    suffix = "" if attempt <= 1 else f"-a{attempt}"
    return f"refresh-{report_id}-{slot}{suffix}"


def run_task_name(run_id: str, attempt: int = 1) -> str:
    """The queue task name of a run no schedule slot names (a "refresh now"): its run id.

    The run id, not the time of the click, keeps two clicks in the same second apart: Cloud
    Tasks refuses a name for a while even after its task ran.
    """
    suffix = "" if attempt <= 1 else f"-a{attempt}"
    return f"refresh-run-{run_id}{suffix}"


@dataclass(frozen=True)
class RefreshTask:
    """One refresh to deliver: the run to execute and the task's unique name."""

    run_id: str
    name: str


class Enqueuer(Protocol):
    """Delivers refresh tasks; returns the runs it could not hand over (to try again later)."""

    def enqueue(self, tasks: Sequence[RefreshTask]) -> list[str]:
        """Hand over ``tasks``; a task already handed over under its name counts as done."""
        ...


class InProcessEnqueuer:
    """Runs each task through ``submit`` (a thread pool's), at most once per name per process."""

    def __init__(self, submit: Callable[[str], Any]) -> None:
        self._submit = submit
        self._seen: set[str] = set()

    def enqueue(self, tasks: Sequence[RefreshTask]) -> list[str]:
        """Submit every task not submitted before."""
        for task in tasks:
            if task.name not in self._seen:
                self._seen.add(task.name)
                self._submit(task.run_id)
        return []


class NullEnqueuer:
    """Delivers nothing and records the names (benchmarks measure claiming alone with it)."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def enqueue(self, tasks: Sequence[RefreshTask]) -> list[str]:
        """Record the tasks' names."""
        self.names.extend(task.name for task in tasks)
        return []


class CloudTasksEnqueuer:
    """Creates one Cloud Tasks task per refresh in ``queue`` (``projects/P/locations/L/queues/Q``).

    By default the task targets this App Engine service (``TASK_PATH``; App Engine adds the
    ``X-AppEngine-QueueName`` header, which outside callers cannot set). With ``handler_url`` it
    is an HTTP task to that URL, signed with an OIDC token of ``service_account`` when given.
    ``endpoint`` points the REST client elsewhere (the tests' emulator); without credentials
    given, Application Default Credentials are used.
    """

    def __init__(
        self,
        queue: str,
        *,
        endpoint: str | None = None,
        handler_url: str | None = None,
        service_account: str | None = None,
        audience: str | None = None,
        credentials: Any = None,
        client: Any = None,
    ) -> None:
        self.queue = queue
        self.handler_url = handler_url
        self.service_account = service_account
        self.audience = audience or handler_url
        self._endpoint, self._credentials = endpoint, credentials
        self._client = client
        self._lock = threading.Lock()

    @property
    def client(self) -> Any:
        """The Cloud Tasks REST client, made on first use (so a start needs no credentials)."""
        with self._lock:
            if self._client is None:
                self._client = _rest_client(self._endpoint, self._credentials)
            return self._client

    def task_body(self, task: RefreshTask) -> dict[str, Any]:
        """The Cloud Tasks ``Task`` resource (as a dict) delivering ``task``."""
        payload = json.dumps({"run_id": task.run_id}).encode()
        headers = {"Content-Type": "application/json"}
        body: dict[str, Any] = {"name": f"{self.queue}/tasks/{task.name}"}
        if self.handler_url:
            http: dict[str, Any] = {
                "url": self.handler_url,
                "http_method": "POST",
                "headers": headers,
                "body": payload,
            }
            if self.service_account:
                http["oidc_token"] = {
                    "service_account_email": self.service_account,
                    "audience": self.audience,
                }
            body["http_request"] = http
        else:
            body["app_engine_http_request"] = {
                "relative_uri": TASK_PATH,
                "http_method": "POST",
                "headers": headers,
                "body": payload,
            }
        return body

    def enqueue(self, tasks: Sequence[RefreshTask]) -> list[str]:
        """Create each task; ALREADY_EXISTS is success, other failures are returned."""
        from google.api_core import exceptions

        failed: list[str] = []
        for task in tasks:
            try:
                self.client.create_task(parent=self.queue, task=self.task_body(task))
            except exceptions.Conflict:
                # 409 from CreateTask is ALREADY_EXISTS: this name was created before.
                log.info("task %s already exists; not enqueued again", task.name)
            except exceptions.GoogleAPICallError as err:
                log.warning("could not enqueue task %s: %s", task.name, type(err).__name__)
                failed.append(task.run_id)
        return failed


def _rest_client(endpoint: str | None, credentials: Any) -> Any:
    from google.api_core.client_options import ClientOptions
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import tasks_v2

    options = ClientOptions(api_endpoint=endpoint) if endpoint else None
    if credentials is None and endpoint and endpoint.startswith("http://"):
        # A plain-HTTP endpoint is a local emulator: never send real credentials to it.
        credentials = AnonymousCredentials()
    return tasks_v2.CloudTasksClient(
        transport="rest", client_options=options, credentials=credentials
    )
