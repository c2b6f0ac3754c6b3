"""The local and self-hosted worker: the dispatcher in a loop, refreshes in this process.

``sheets-sync worker`` calls :func:`run_worker`. Each tick runs the same
:func:`~sheets_sync.scheduling.dispatcher.dispatch` as the App Engine cron endpoint, and hands
the claimed runs to a thread pool calling :func:`~sheets_sync.scheduling.execution.perform_run`
instead of Cloud Tasks. Several workers may run against one PostgreSQL database: claims are
exclusive, and a worker that dies leaves leases that the others recover.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

from sheets_sync.scheduling.dispatcher import DispatchResult, dispatch
from sheets_sync.scheduling.execution import perform_run
from sheets_sync.scheduling.failures import RetryPolicy
from sheets_sync.scheduling.tasks import InProcessEnqueuer
from sheets_sync.web.services.runs import RunEnvironment

log = logging.getLogger(__name__)


def run_worker(
    env: RunEnvironment,
    policy: RetryPolicy,
    *,
    workers: int = 2,
    interval: float = 30.0,
    once: bool = False,
    stop: threading.Event | None = None,
    report: Callable[[DispatchResult], None] | None = None,
) -> int:
    """Dispatch every ``interval`` seconds until ``stop`` is set; returns the runs started.

    With ``once``, dispatch a single time and return after those refreshes finished.
    """
    stop = stop or threading.Event()
    started: list[Future[Any]] = []
    pool = ThreadPoolExecutor(workers, thread_name_prefix="worker")

    def submit(run_id: str) -> None:
        future = pool.submit(perform_run, env, run_id, policy)
        future.add_done_callback(_log_crash)
        started.append(future)

    enqueuer = InProcessEnqueuer(submit)
    try:
        while True:
            result = dispatch(env.factory, enqueuer, policy=policy)
            if report is not None:
                report(result)
            if once:
                wait(started)
                break
            if stop.wait(interval):
                break
    finally:
        pool.shutdown(wait=True)
    return len(started)


def _log_crash(future: Future[Any]) -> None:
    error = future.exception()
    if error is not None:
        log.error("a scheduled refresh crashed its worker thread", exc_info=error)
