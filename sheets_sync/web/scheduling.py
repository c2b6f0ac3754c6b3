"""Scheduled refreshes over HTTP: the cron dispatch endpoint and the Cloud Tasks task handler.

Both live under ``/internal`` and are meant for Google's infrastructure, not for people:

- ``GET|POST /internal/cron/dispatch`` runs :func:`sheets_sync.scheduling.dispatcher.dispatch`.
  In production it is accepted only from App Engine cron: App Engine sets
  ``X-Appengine-Cron: true`` on cron requests and strips that header from outside requests.
  (App Engine cron sends GET; POST is accepted for manual and self-hosted schedulers.)
- ``POST /internal/tasks/refresh`` with ``{"run_id": ...}`` executes one run through
  :func:`sheets_sync.scheduling.execution.perform_run`. In production it is accepted only with
  the queue's name in ``X-AppEngine-QueueName`` (App Engine tasks; App Engine strips it from
  outside requests) or ``X-CloudTasks-QueueName`` (HTTP tasks), and, when
  ``SHEETS_SYNC_TASKS_AUDIENCE`` is set, a Google OIDC token for that audience signed for the
  configured service account.

In local mode both answer any caller, and refreshes run in a thread pool of this process unless
a Cloud Tasks queue is configured.

"Refresh now" uses the same enqueuer in production and whenever a queue is configured
(:meth:`Scheduler.takes_clicks`, :meth:`Scheduler.hand_over`), so a click's run gets the lease,
retries and recovery of a scheduled one instead of living in one web instance's threads.
"""

from __future__ import annotations

import logging
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, request

from sheets_sync.scheduling.dispatcher import dispatch, hand_over
from sheets_sync.scheduling.execution import perform_run
from sheets_sync.scheduling.failures import RetryPolicy
from sheets_sync.scheduling.tasks import (
    CloudTasksEnqueuer,
    Enqueuer,
    InProcessEnqueuer,
    RefreshTask,
)
from sheets_sync.web.errors import error_response
from sheets_sync.web.services.runs import RunEnvironment
from sheets_sync.web.settings import Settings

log = logging.getLogger(__name__)
bp = Blueprint("scheduling", __name__, url_prefix="/internal")
_RUN_ID = re.compile(r"^[0-9a-f]{32}$")
_ISSUERS = ("accounts.google.com", "https://accounts.google.com")


@dataclass
class SchedulerState:
    """What the handlers of one app need: settings, the run environment, policy, enqueuer."""

    settings: Settings
    env: RunEnvironment
    policy: RetryPolicy
    enqueuer: Enqueuer
    pool: ThreadPoolExecutor | None


def retry_policy(settings: Settings) -> RetryPolicy:
    """The retry and lease policy the settings configure."""
    return RetryPolicy(
        max_attempts=settings.refresh_max_attempts,
        base_seconds=settings.refresh_retry_seconds,
        lease_seconds=settings.run_lease_seconds,
    )


def build_enqueuer(
    settings: Settings, env: RunEnvironment, policy: RetryPolicy
) -> tuple[Enqueuer, ThreadPoolExecutor | None]:
    """Cloud Tasks when a queue is configured, else a thread pool running :func:`perform_run`."""
    if settings.tasks_queue:
        return (
            CloudTasksEnqueuer(
                settings.tasks_queue,
                endpoint=settings.tasks_endpoint,
                handler_url=settings.tasks_handler_url,
                service_account=settings.tasks_service_account,
                audience=settings.tasks_audience,
            ),
            None,
        )
    pool = ThreadPoolExecutor(settings.refresh_workers, thread_name_prefix="scheduled")
    return InProcessEnqueuer(lambda run_id: pool.submit(perform_run, env, run_id, policy)), pool


class Scheduler:
    """The scheduling state of an app, kept in ``app.extensions``."""

    key = "sheets_sync.scheduler"

    def init_app(self, app: Flask, settings: Settings, env: RunEnvironment) -> None:
        """Build the enqueuer and policy from ``settings`` for ``app``."""
        policy = retry_policy(settings)
        enqueuer, pool = build_enqueuer(settings, env, policy)
        app.extensions[self.key] = SchedulerState(settings, env, policy, enqueuer, pool)

    def state(self, app: Flask | None = None) -> SchedulerState:
        """The state of ``app`` (default: the current app)."""
        target = app or current_app
        found: SchedulerState = target.extensions[self.key]
        return found

    def takes_clicks(self, app: Flask | None = None) -> bool:
        """Whether "refresh now" runs are handed to this enqueuer instead of the local pool.

        Production always hands them over: an App Engine instance may stop at any time, and
        only a handed-over run has a lease that the dispatcher recovers. Local mode does when a
        Cloud Tasks queue is configured.
        """
        settings = self.state(app).settings
        return settings.production or settings.tasks_queue is not None

    def hand_over(self, run_id: str, name: str) -> bool:
        """Enqueue the run ``run_id`` as task ``name``; ``False`` leaves it to the next dispatch."""
        state = self.state()
        failed = hand_over(state.env.factory, state.enqueuer, [RefreshTask(run_id, name)])
        if failed:
            log.warning("could not enqueue run %s; the next dispatch will", run_id)
        return not failed

    def shutdown(self, app: Flask, wait: bool = True) -> None:
        """Stop the local thread pool, if any."""
        pool = self.state(app).pool
        if pool is not None:
            pool.shutdown(wait=wait)


scheduler = Scheduler()


@bp.route("/cron/dispatch", methods=["GET", "POST"])
def cron_dispatch() -> tuple[Response, int]:
    """Claim due schedules and hand their refreshes over (App Engine cron, every minute)."""
    state = scheduler.state()
    if state.settings.production and request.headers.get("X-Appengine-Cron") != "true":
        log.warning("refused a dispatch call without App Engine's cron header")
        return error_response(
            403, "not_cron", "Only App Engine cron may call this endpoint in production."
        )
    result = dispatch(state.env.factory, state.enqueuer, policy=state.policy)
    return jsonify(
        {
            "recovered": result.recovered,
            "claimed": result.claimed,
            "redelivered": result.redelivered,
            "enqueued": result.enqueued,
            "failed_enqueue": len(result.failed_enqueue),
        }
    ), 200


@bp.post("/tasks/refresh")
def task_refresh() -> tuple[Response, int]:
    """Execute the run named in the body (Cloud Tasks); 2xx once it needs no redelivery."""
    state = scheduler.state()
    problem = task_caller_problem(state.settings, request.headers)
    if problem:
        log.warning("refused a task call: %s", problem)
        return error_response(403, "not_cloud_tasks", "Only the refresh queue may call this.")
    body = request.get_json(silent=True)
    run_id = body.get("run_id") if isinstance(body, dict) else None
    if not isinstance(run_id, str) or not _RUN_ID.match(run_id):
        # A malformed task can never succeed: 400 is final (Cloud Tasks retries only 5xx/429).
        return error_response(400, "bad_task", 'The body must be {"run_id": "<32 hex>"}.')
    run = perform_run(state.env, run_id, state.policy)
    if run is None:
        return jsonify({"run_id": run_id, "status": "deleted"}), 200
    return jsonify({"run_id": run_id, "status": run.status, "attempts": run.attempts}), 200


def task_caller_problem(settings: Settings, headers: Any) -> str | None:
    """Why a task call is refused in production (``None``: accepted)."""
    if not settings.production:
        return None
    if not settings.tasks_queue:
        return "no task queue is configured (SHEETS_SYNC_TASKS_QUEUE)"
    queue = settings.tasks_queue.rsplit("/", 1)[-1]
    sent = headers.get("X-AppEngine-QueueName") or headers.get("X-CloudTasks-QueueName")
    if sent != queue:
        return "the queue name header is missing or names another queue"
    if settings.tasks_audience:
        return _oidc_problem(settings, headers.get("Authorization", ""))
    return None


def _oidc_problem(settings: Settings, authorization: str) -> str | None:
    from google.auth import exceptions
    from google.auth.transport.requests import Request
    from google.oauth2 import id_token

    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return "no OIDC token"
    try:
        claims = id_token.verify_token(
            token,
            Request(),
            audience=settings.tasks_audience,
            certs_url=settings.google_certs_url,
            clock_skew_in_seconds=10,
        )
    except (exceptions.GoogleAuthError, ValueError) as err:
        return f"the OIDC token was refused ({type(err).__name__})"
    if claims.get("iss") not in _ISSUERS or not claims.get("email_verified"):
        return "the OIDC token is not a verified Google token"
    if settings.tasks_service_account and claims.get("email") != settings.tasks_service_account:
        return "the OIDC token belongs to another service account"
    return None
