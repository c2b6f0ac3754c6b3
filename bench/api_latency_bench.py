"""Sidebar API latency under load, from a second process on loopback.

Usage: ``python bench/api_latency_bench.py [--requests 2000] [--concurrency 16] [--workers 2]``

Starts the service under gunicorn (``main:app``, as on App Engine: ``--workers`` processes with 8
threads each) in local mode with development sign-in, on SQLite in a temporary folder. This script
is the second process: it signs in, creates a demo connection, a report and a run, then sends
``--requests`` requests per endpoint with ``--concurrency`` client threads and prints p50, p95,
p99 and throughput per endpoint. The baseline measured in the same run is the service's health
check (one ``SELECT 1``, no sign-in), so the table also shows each endpoint's p95 as a multiple
of it.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
SECRET = "bench-secret-not-for-production"
HEALTH = "/internal/health"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_server(data_dir: str, port: int, workers: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "SHEETS_SYNC_ENV": "local",
        "SHEETS_SYNC_DATA_DIR": data_dir,
        "SHEETS_SYNC_SECRET_KEY": SECRET,
        "SHEETS_SYNC_DEV_LOGIN": "true",
        "SHEETS_SYNC_MIGRATE_ON_START": "false",
    }
    # Migrate once before the workers start, as a deployment does.
    cli = Path(sys.executable).with_name("sheets-sync")
    subprocess.run([str(cli), "db", "upgrade"], env=env, check=True, capture_output=True)
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [str(gunicorn), "-b", f"127.0.0.1:{port}", "-w", str(workers), "--threads", "8"]
    return subprocess.Popen(
        [*command, "--log-level", "warning", "main:app"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _token() -> str:
    env = {**os.environ, "SHEETS_SYNC_SECRET_KEY": SECRET, "SHEETS_SYNC_DEV_LOGIN": "true"}
    cli = Path(sys.executable).with_name("sheets-sync")
    out = subprocess.run(
        [str(cli), "dev-token", "bench@example.com"], env=env, capture_output=True, text=True
    )
    out.check_returncode()
    return out.stdout.strip()


def _wait_ready(base: str, server: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            stderr = server.stderr.read().decode() if server.stderr else ""
            raise SystemExit(f"the service stopped: {stderr[-2000:]}")
        try:
            if requests.get(base + HEALTH, timeout=10).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):
            pass
        time.sleep(0.2)
    raise SystemExit("the service did not answer its health check in time")


def _seed(base: str, headers: dict[str, str]) -> dict[str, str]:
    """Create a demo connection, a report and one finished run; return their ids."""
    conn = requests.post(
        base + "/api/connections",
        json={"type": "demo", "name": "demo", "options": {"size": 300}},
        headers=headers,
        timeout=30,
    )
    conn.raise_for_status()
    report = requests.post(
        base + "/api/reports",
        json={
            "spreadsheet_id": "bench",
            "template_id": "executive_overview",
            "connection_ids": [conn.json()["id"]],
            "settings": {},
        },
        headers=headers,
        timeout=30,
    )
    report.raise_for_status()
    report_id = report.json()["id"]
    run = requests.post(f"{base}/api/reports/{report_id}/refresh", headers=headers, timeout=30)
    run.raise_for_status()
    run_id = run.json()["id"]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        state = requests.get(f"{base}/api/runs/{run_id}", headers=headers, timeout=30).json()
        if state.get("status") in ("succeeded", "failed"):
            break
        time.sleep(0.5)
    return {"report": report_id, "run": run_id}


def _measure(url: str, headers: dict[str, str], count: int, concurrency: int) -> dict[str, float]:
    session = requests.Session()

    def one(_: int) -> float:
        start = time.perf_counter()
        response = session.get(url, headers=headers, timeout=30)
        elapsed = time.perf_counter() - start
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
        return elapsed

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        times = sorted(pool.map(one, range(count)))
    wall = time.perf_counter() - started
    quantiles = statistics.quantiles(times, n=100)
    return {
        "p50": quantiles[49] * 1000,
        "p95": quantiles[94] * 1000,
        "p99": quantiles[98] * 1000,
        "rps": count / wall,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per endpoint")
    parser.add_argument("--concurrency", type=int, default=16, help="client threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    args = parser.parse_args()
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as data_dir:
        server = _start_server(data_dir, port, args.workers)
        try:
            _wait_ready(base, server)
            headers = {"Authorization": f"Bearer {_token()}"}
            ids = _seed(base, headers)
            endpoints = {
                f"GET {HEALTH} (baseline)": base + HEALTH,
                "GET /api/templates": base + "/api/templates",
                "GET /api/connections": base + "/api/connections",
                "GET /api/reports": base + "/api/reports",
                "GET /api/reports/{id}": f"{base}/api/reports/{ids['report']}",
                "GET /api/reports/{id}/runs": f"{base}/api/reports/{ids['report']}/runs",
                "GET /api/runs/{id}": f"{base}/api/runs/{ids['run']}",
            }
            print(
                f"{args.requests} requests per endpoint, {args.concurrency} client threads, "
                f"gunicorn {args.workers} workers x 8 threads, SQLite"
            )
            columns = ("p50 ms", "p95 ms", "p99 ms", "req/s", "p95/base")
            print(f"{'endpoint':34} " + " ".join(f"{c:>8}" for c in columns))
            baseline = None
            for name, url in endpoints.items():
                result = _measure(url, headers, args.requests, args.concurrency)
                baseline = baseline or result["p95"]
                print(
                    f"{name:34} {result['p50']:8.1f} {result['p95']:8.1f} {result['p99']:8.1f} "
                    f"{result['rps']:8.0f} {result['p95'] / baseline:9.1f}"
                )
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
