"""CRM connector benchmark: requests per record and throughput against the Salesforce emulator.

Seeds the loopback emulator with ``--opportunities`` deals (100,000 by default) plus related
objects (accounts, contacts, leads, tasks, events, cases at ``--related`` x that, three stage
history rows per related deal), then:

1. a full pull with the default settings (2,000 records per REST page, Bulk API 2.0 above
   ``--bulk-threshold`` records);
2. an incremental refresh after changing ``--changed`` (1 %) of every object's records and
   deleting a few.

For each it prints the requests made, the floor (per object, records / largest page size:
2,000 for REST, 10,000 per Bulk API 2.0 result page above the threshold), the ratio, and
records per second, and the incremental refresh as a share of the full pull measured in the
same run (the machine is shared: absolute seconds drift). Requests can go below the floor:
the connector fetches the first page of five objects in one Composite call. Run from the
repository root:

    python bench/connectors_bench.py [--opportunities 100000]
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from connectors.base import ReadContext  # noqa: E402
from connectors.salesforce import SalesforceSource  # noqa: E402
from connectors.salesforce.streams import STREAMS  # noqa: E402
from tests.emulators.salesforce import SalesforceEmulator  # noqa: E402
from tests.emulators.salesforce import server as emu_server  # noqa: E402
from tests.emulators.salesforce.seed import seed  # noqa: E402

PAGE = 2000
BULK_PAGE = 10_000  # the connector's Bulk API 2.0 maxRecords per results page


def _floor(counts: dict[str, int], threshold: int) -> int:
    """Records / largest page size, per object: the fewest pages that can hold them."""
    return sum(math.ceil(n / (BULK_PAGE if n > threshold else PAGE)) for n in counts.values())


def _read(source: SalesforceSource, context: ReadContext) -> tuple[float, object]:
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        result = source.read(context)
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opportunities", type=int, default=100_000)
    parser.add_argument("--related", type=float, default=0.2)
    parser.add_argument("--changed", type=float, default=0.01)
    parser.add_argument("--bulk-threshold", type=int, default=50_000)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="connectors-bench-"))
    emulator = SalesforceEmulator(work / "tls").start()
    try:
        t0 = time.perf_counter()
        ids = seed(emulator.org, args.opportunities, args.related)
        print(
            f"seeded {sum(len(v) for v in ids.values()):,} records in "
            f"{time.perf_counter() - t0:.1f} s"
        )
        options = {
            "login_url": emulator.base_url,
            "client_id": emu_server.CLIENT_ID,
            "client_secret": emu_server.CLIENT_SECRET,
            "refresh_token": emu_server.REFRESH_TOKEN,
            "ca_bundle": str(emulator.cert),
            "bulk_threshold": args.bulk_threshold,
            "bulk_poll_seconds": 0.05,
        }
        source = SalesforceSource("sfdc", options)
        streams = source.streams()
        objects = {s.name: obj for obj, s in STREAMS}
        counts = {s.name: len(emulator.org.live(objects[s.name])) for s in streams}
        records = sum(counts.values())

        context = ReadContext(cache_dir=str(work / "cache"))
        seconds, full = _read(source, context)
        full_seconds = seconds
        floor = _floor(counts, args.bulk_threshold)
        print(
            f"\nfull pull: {records:,} records in {seconds:.1f} s "
            f"({records / seconds:,.0f} records/s)"
        )
        print(
            f"  requests {full.requests} vs floor {floor} "
            f"(ratio {full.requests / floor:.2f}); bulk jobs {full.stats['bulk_jobs']}; "
            f"records per request {records / full.requests:,.0f}"
        )

        changed: dict[str, int] = {}
        for obj, id_list in ids.items():
            if obj in ("OpportunityStage", "UserRole"):
                continue
            step = max(1, round(1 / args.changed))
            picked = id_list[::step]
            for record_id in picked:
                emulator.org.update(obj, record_id)
            changed[obj] = len(picked)
        for record_id in ids["Opportunity"][1:6]:
            emulator.org.delete("Opportunity", record_id)
        n_changed = sum(changed.values()) + 5
        incremental_counts = {s.name: changed.get(objects[s.name], 0) for s in streams}
        incremental_counts["opportunities"] += 5
        before = emulator.api_calls() + emulator.api_calls("/oauth2/token")
        seconds, inc = _read(
            source, ReadContext(cache_dir=str(work / "cache"), cursors=full.cursors)
        )
        inc_floor = _floor(incremental_counts, args.bulk_threshold)
        print(
            f"\nincremental refresh: {n_changed:,} changed records "
            f"({args.changed:.0%}) in {seconds:.1f} s"
        )
        print(
            f"  requests {inc.requests} vs floor {inc_floor} "
            f"(ratio {inc.requests / inc_floor:.2f}); full pull needed {full.requests}"
        )
        print(
            f"  emulator saw {emulator.api_calls() + emulator.api_calls('/oauth2/token') - before}"
            f" requests; API usage reported {inc.stats['api_usage']}"
        )
        print(
            f"  against the full pull in this run: {inc.requests / full.requests:.0%} of its "
            f"requests, {seconds / full_seconds:.0%} of its time"
        )
        modes = {name: s["mode"] for name, s in inc.stats["streams"].items()}
        print(
            f"  stream modes: {sorted(set(modes.values()))}; "
            f"deals {len(inc.tables['deals']):,} (full {len(full.tables['deals']):,} - 5)"
        )
    finally:
        emulator.stop()


if __name__ == "__main__":
    main()
