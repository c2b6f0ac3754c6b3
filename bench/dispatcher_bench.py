"""Dispatcher benchmark: 10,000 due schedules claimed and enqueued by four dispatchers.

Creates a scratch PostgreSQL database (dropped at the end), migrates it, seeds ``--schedules``
reports with a due daily schedule (10,000 by default), then starts ``--dispatchers`` processes
(4) that call :func:`sheets_sync.scheduling.dispatcher.dispatch` at the same moment, each until
nothing is left to claim. Each claim is one transaction (``SELECT ... FOR UPDATE SKIP LOCKED``
of ``--batch`` schedules, one multi-row ``INSERT ... ON CONFLICT DO NOTHING`` of their runs, one
bulk ``UPDATE`` advancing them); the runs are then handed to the enqueuer:

- by default a no-op enqueuer (it records the task names), so the figure is the claim itself;
- with ``--emulator``, the real Cloud Tasks client (REST transport) creating one task per run in
  the loopback Cloud Tasks emulator of the tests, started in this process.

It then checks that no schedule was claimed twice: every task name is unique, there is exactly
one run per report, and every schedule moved to its next slot. It prints the total time from the
common start to the last dispatcher's end, and schedules per second. Run from the repository
root (the PostgreSQL server of the tests, or ``SHEETS_SYNC_BENCH_PG``):

    python bench/dispatcher_bench.py [--schedules 10000] [--dispatchers 4] [--emulator]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import psycopg  # noqa: E402
from sqlalchemy import func, insert, select  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from sheets_sync.db import make_engine, session_factory, upgrade  # noqa: E402
from sheets_sync.db.models import Report, Run, Schedule, User, new_id  # noqa: E402
from sheets_sync.scheduling.dispatcher import dispatch  # noqa: E402
from sheets_sync.scheduling.tasks import CloudTasksEnqueuer, NullEnqueuer  # noqa: E402

SERVER = os.environ.get("SHEETS_SYNC_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
QUEUE = "projects/bench/locations/europe-west1/queues/refresh"


def _admin(dbname: str | None = None) -> psycopg.Connection[Any]:
    url = make_url(SERVER)
    return psycopg.connect(
        host=url.host,
        port=url.port or 5432,
        user=url.username,
        password=url.password,
        dbname=dbname or url.database,
        autocommit=True,
    )


def seed(url: str, count: int, due: datetime) -> None:
    """One user, ``count`` reports, each with a daily schedule due at ``due``."""
    engine = make_engine(url)
    upgrade(engine)
    now = datetime.now(UTC)
    user_id = new_id()
    reports = [new_id() for _ in range(count)]
    with engine.begin() as conn:
        conn.execute(
            insert(User),
            [
                {
                    "id": user_id,
                    "subject": "bench",
                    "email": "bench@example.com",
                    "created_at": now,
                    "last_seen_at": now,
                }
            ],
        )
        conn.execute(
            insert(Report),
            [
                {
                    "id": r,
                    "user_id": user_id,
                    "spreadsheet_id": f"s{i}",
                    "template_id": "t",
                    "title": f"r{i}",
                    "settings": {},
                    "created_at": now,
                    "updated_at": now,
                }
                for i, r in enumerate(reports)
            ],
        )
        conn.execute(
            insert(Schedule),
            [
                {
                    "id": new_id(),
                    "report_id": r,
                    "user_id": user_id,
                    "frequency": "daily",
                    "time_of_day": "07:00",
                    "weekday": None,
                    "timezone": "Europe/Paris",
                    "paused": False,
                    "next_run_at": due,
                    "created_at": now,
                }
                for r in reports
            ],
        )
    engine.dispose()


def dispatcher(
    url: str, batch: int, endpoint: str | None, start: Any, now: datetime, out: Any
) -> None:
    """One dispatcher process: wait for the common start, dispatch until nothing is due."""
    engine = make_engine(url, pool_size=2)
    factory = session_factory(engine)
    enqueuer: Any = CloudTasksEnqueuer(QUEUE, endpoint=endpoint) if endpoint else NullEnqueuer()
    names: list[str] = []
    with engine.connect():
        pass  # connect before the clock starts, as a running dispatcher would be
    start.wait()
    began = time.perf_counter()
    claimed = 0
    while True:
        result = dispatch(factory, enqueuer, now=now, batch=batch)
        names.extend(result.task_names)
        claimed += result.claimed
        if result.claimed == 0:
            break
    out.put((os.getpid(), claimed, names, began, time.perf_counter()))
    engine.dispose()


def verify(url: str, names: list[str], count: int, now: datetime) -> None:
    """Exactly one run and one task per schedule, every schedule advanced."""
    duplicates = [n for n, k in Counter(names).items() if k > 1]
    assert not duplicates, f"{len(duplicates)} task names enqueued twice"
    assert len(names) == count, f"{len(names)} tasks for {count} schedules"
    engine = make_engine(url)
    factory = session_factory(engine)
    with factory() as session:
        runs = session.scalar(select(func.count()).select_from(Run))
        reports = session.scalar(select(func.count(func.distinct(Run.report_id))))
        late = session.scalar(
            select(func.count()).select_from(Schedule).where(Schedule.next_run_at <= now)
        )
    engine.dispose()
    assert runs == reports == count, f"{runs} runs for {reports} reports"
    assert late == 0, f"{late} schedules were not advanced"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schedules", type=int, default=10_000)
    parser.add_argument("--dispatchers", type=int, default=4)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--emulator", action="store_true", help="enqueue to the emulator")
    args = parser.parse_args()

    name = f"sheets_sync_bench_{uuid.uuid4().hex[:8]}"
    with _admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = make_url(SERVER).set(drivername="postgresql+psycopg", database=name)
    url_text = url.render_as_string(hide_password=False)
    emulator = None
    try:
        now = datetime.now(UTC)
        seed(url_text, args.schedules, now - timedelta(minutes=1))
        endpoint = None
        if args.emulator:
            from tests.emulators.cloudtasks import CloudTasksEmulator

            emulator = CloudTasksEmulator([QUEUE])
            endpoint = emulator.url
        ctx = mp.get_context("spawn")
        start = ctx.Barrier(args.dispatchers)
        out = ctx.Queue()
        procs = [
            ctx.Process(target=dispatcher, args=(url_text, args.batch, endpoint, start, now, out))
            for _ in range(args.dispatchers)
        ]
        for proc in procs:
            proc.start()
        results = [out.get(timeout=600) for _ in procs]
        for proc in procs:
            proc.join()
        began = min(r[3] for r in results)
        ended = max(r[4] for r in results)
        names = [n for r in results for n in r[2]]
        verify(url_text, names, args.schedules, now)
        if emulator is not None:
            assert len(emulator.tasks(QUEUE)) == args.schedules, "emulator task count differs"
        seconds = ended - began
        mode = "Cloud Tasks emulator" if args.emulator else "no-op enqueuer"
        print(
            f"{args.schedules} due schedules, {args.dispatchers} dispatcher processes, "
            f"batches of {args.batch}, {mode}"
        )
        print("claimed per dispatcher: " + ", ".join(str(r[1]) for r in results))
        print(f"no duplicates: {len(set(names))} unique tasks, one run per report")
        print(f"total {seconds:.2f} s, {args.schedules / seconds:,.0f} schedules/s")
    finally:
        if emulator is not None:
            emulator.stop()
        with _admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
