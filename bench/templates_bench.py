"""Benchmark computing every tab of every bundled template on the demo company.

Usage: ``python bench/templates_bench.py [--sizes 100000,1000000] [--write] [--data demo-all]``

For each size (number of deals; the demo source adds about 2x leads and activities, 4x stage
history), the demo company is generated and blended once, exactly as a refresh does: by default
from three demo sources, one per part (``sfdc``, ``hubspot``, ``ads``), as a two-CRM config
declares; with ``--data demo-all`` from one demo source showing every part, as ``make demo``
reads it (its ids carry longer source labels, ``demo-salesforce:``...). Then each bundled
template is built with :func:`sheets_sync.report.build_workbook` (every query, funnel, quality
check, definitions and raw-data tab), timed on its own, after freed memory is handed back as a
refresh does before it builds its workbook. The first template also pays the
engine's one-off preparation of the dataset (dimension codes and joins), shown apart. With
``--write`` each workbook is also written to a temporary .xlsx and that time is shown too.

Memory is sampled every 20 ms while templates are built: the table shows the dataset's resident
size before the templates and the peak during them, so the engine's own working memory is the
difference. The process's high-water mark (``ru_maxrss``) is shown after loading, which covers
generating, reading and blending the company, and again at the end. With several sizes the
high-water mark is the largest so far, so measure 1M deals in a run of its own.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import threading
import time
from pathlib import Path

import psutil
from engine_bench import NOW, load_dataset

from sheets_sync.destinations.xlsx import XlsxDestination
from sheets_sync.memory import release_free_memory
from sheets_sync.metrics.engine import run_query
from sheets_sync.metrics.query import Query
from sheets_sync.report import ReportSettings, build_workbook
from sheets_sync.templates import list_templates

RATES = {"EUR": 1.08, "GBP": 1.27}


class PeakRss:
    """Samples this process's resident set size in a thread and keeps the maximum."""

    def __init__(self, interval: float = 0.02) -> None:
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._process = psutil.Process()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._process.memory_info().rss)
            time.sleep(self.interval)

    def __enter__(self) -> PeakRss:
        self.peak = self._process.memory_info().rss
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def run(sizes: list[int], seed: int, write: bool, data: str = "demo") -> None:
    """Print one table per size: seconds per template, cells, and memory."""
    templates = list_templates()
    settings = ReportSettings(title="bench", currency="USD", currency_rates=RATES)
    mib = 2**20
    for size in sizes:
        loaded = time.perf_counter()
        dataset, origin = load_dataset(size, seed, data)
        loaded = time.perf_counter() - loaded
        rows = sum(len(f) for f in dataset.tables.values())
        base = psutil.Process().memory_info().rss
        print(f"\n{size:,} deals ({rows:,} rows in all) from {origin}, built in {loaded:.1f}s")
        print(f"process peak so far (generation, read, blend): {_max_rss() / mib:.0f} MiB")
        prep = time.perf_counter()
        run_query(dataset, Query(metrics=("won_revenue", "new_leads")), now=NOW)
        prep = time.perf_counter() - prep
        print(f"engine one-off preparation of the dataset: {prep:.2f}s")
        header = f"{'template':24} {'tabs':>4} {'tables':>6} {'build_s':>8}"
        print(header + (f" {'xlsx_s':>7}" if write else ""))
        worst = 0.0
        with PeakRss() as peak, tempfile.TemporaryDirectory() as folder:
            for template in templates:
                release_free_memory()  # as a refresh does before it builds its workbook
                start = time.perf_counter()
                workbook = build_workbook(template, dataset, settings, NOW.to_pydatetime())
                seconds = time.perf_counter() - start
                worst = max(worst, seconds)
                tables = sum(len(t.tables) for t in workbook.tabs)
                line = f"{template.id:24} {len(workbook.tabs):4} {tables:6} {seconds:8.2f}"
                if write:
                    start = time.perf_counter()
                    XlsxDestination(Path(folder) / f"{template.id}.xlsx").write(workbook)
                    line += f" {time.perf_counter() - start:7.2f}"
                print(line)
        print(
            f"slowest template {worst:.2f}s; RSS before templates {base / mib:.0f} MiB, "
            f"peak while building {peak.peak / mib:.0f} MiB "
            f"(engine working memory {(peak.peak - base) / mib:.0f} MiB); "
            f"process peak {_max_rss() / mib:.0f} MiB"
        )


def _max_rss() -> int:
    """The kernel's high-water mark of this process's resident size, in bytes (Linux: KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000", help="comma-separated deal counts")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--write", action="store_true", help="also time the .xlsx write")
    parser.add_argument(
        "--data",
        choices=("demo", "demo-all"),
        default="demo",
        help="three demo sources (one per part) or one demo source showing every part",
    )
    args = parser.parse_args()
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    run(sizes, args.seed, args.write, args.data)


if __name__ == "__main__":
    main()
