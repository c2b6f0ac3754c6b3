"""Pull 100k deals / opportunities plus related objects from the HubSpot and Dataverse emulators.

For each connector this prints:

- the full pull: records, requests made against the floor (records / largest page size, per
  object: 100 for HubSpot lists, 5,000 for Dataverse), records per second;
- two incremental refreshes, after changing 1% and then 0.1% of every object's records (a tenth
  of them deleted): requests made, and the floor for the changes alone, to show the cost follows
  the changes and not the total.

The emulators run in this process on loopback, so seconds include their own work and the
machine's noise; request counts are exact. HubSpot's documented burst limit (100 requests per
10 s for a private app on Starter, 190 on Professional / Enterprise) bounds a real pull's time
by its request count, which the script also prints. Usage::

    python bench/hubspot_dynamics_bench.py [--deals 100000] [--related 0.2] [--only hubspot]
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from connectors.base import ReadContext, Source, SourceResult  # noqa: E402
from connectors.common.cache import MemoryRecordStore  # noqa: E402
from connectors.dynamics import DynamicsSource  # noqa: E402
from connectors.hubspot import HubSpotSource  # noqa: E402
from tests.emulators.dynamics import org as dv_org  # noqa: E402
from tests.emulators.dynamics import server as dv  # noqa: E402
from tests.emulators.hubspot import portal as hs_portal  # noqa: E402
from tests.emulators.hubspot import server as hs  # noqa: E402


def _floor(counts: dict[str, int], page: int) -> int:
    return sum(math.ceil(n / page) for n in counts.values() if n)


def _report(label: str, records: int, requests: int, floor: int, seconds: float) -> None:
    # An incremental read's seconds are mostly rebuilding the tables from the whole cache,
    # so records per second is only meaningful for the full pull.
    rate = f"{records / max(seconds, 1e-9):>7,.0f} rec/s  " if label == "full pull" else " " * 15
    print(
        f"  {label:<24} records {records:>8,}  requests {requests:>6,}  floor {floor:>6,}  "
        f"ratio {requests / max(floor, 1):5.2f}  {rate}({seconds:.1f} s)"
    )


def _timed_read(
    source: Source, store: MemoryRecordStore, cursors: Mapping[str, str]
) -> tuple[float, SourceResult]:
    start = time.perf_counter()
    result = source.read(ReadContext(state_store=store, cursors=cursors))
    return time.perf_counter() - start, result


def _incremental_rounds(
    source: Source,
    store: MemoryRecordStore,
    cursors: Mapping[str, str],
    rng: random.Random,
    groups: Iterable[str],
    live: Callable[[str], list[str]],
    delete: Callable[[str, str], object],
    update: Callable[[str, str], object],
    page: int,
) -> None:
    """Change 1 % then 0.1 % of every group's live records (a tenth of them deleted), read
    incrementally after each and print the figures."""
    for share in (0.01, 0.001):
        changed: dict[str, int] = {}
        for group in groups:
            ids = live(group)
            picked = rng.sample(ids, int(len(ids) * share))
            for k, record_id in enumerate(picked):
                (delete if k % 10 == 9 else update)(group, record_id)
            changed[group] = len(picked)
        seconds, result = _timed_read(source, store, cursors)
        cursors = {**cursors, **result.cursors}
        _report(
            f"incremental {share:.1%} changed",
            sum(changed.values()),
            result.requests,
            _floor(changed, page),
            seconds,
        )


def bench_hubspot(deals: int, related: float) -> None:
    n = max(1, int(deals * related))
    portal = hs_portal.seed(
        hs_portal.Portal(),
        deals=deals,
        contacts=n,
        companies=max(1, n // 2),
        activities=n,
        tickets=n // 10,
    )
    emulator = hs.HubSpotEmulator(portal).start()
    options = {
        "host": emulator.base_url,
        "access_token": hs.PRIVATE_TOKEN,
        "burst_limit": 100_000,  # the emulator has no limit; real limits printed below
        "search_per_second": 10_000,
    }
    try:
        store = MemoryRecordStore()
        source = HubSpotSource("hubspot", options)
        counts = {t: len(portal.objects[t]) for t in hs_portal.OBJECT_TYPES}
        counts["owners"] = len(portal.owners)
        records = sum(counts.values())
        seconds, full = _timed_read(source, store, {})
        print(f"HubSpot: {deals:,} deals, {records:,} records in all")
        _report("full pull", records, full.requests, _floor(counts, 100), seconds)
        print(
            f"  at 100 / 190 requests per 10 s the full pull needs at least "
            f"{full.requests / 10:.0f} / {full.requests / 19:.0f} s on real HubSpot"
        )

        def live(object_type: str) -> list[str]:
            return [i for i, r in portal.objects[object_type].items() if not r["archived"]]

        # changes come 200 per search page; each stream also lists archived records and
        # reads associations in 1,000-id batches
        _incremental_rounds(
            source,
            store,
            full.cursors,
            random.Random(3),
            hs_portal.OBJECT_TYPES,
            live,
            portal.archive,
            lambda object_type, record_id: portal.update(
                object_type, record_id, {"hs_object_source_label": "bench"}
            ),
            200,
        )
    finally:
        emulator.stop()


def bench_dynamics(opportunities: int, related: float) -> None:
    org = dv_org.seed(dv_org.Org(), opportunities=opportunities, related=related)
    folder = Path(tempfile.mkdtemp(prefix="dv-bench-"))
    emulator = dv.DataverseEmulator(folder, org).start()
    options = {
        "org_url": emulator.base_url,
        "authority_host": emulator.base_url,
        "tenant_id": dv.TENANT,
        "client_id": dv.CLIENT_ID,
        "client_secret": dv.CLIENT_SECRET,
        "ca_bundle": str(emulator.cert),
        "requests_per_5_minutes": 1_000_000,
    }
    tables = (
        "opportunities",
        "leads",
        "contacts",
        "accounts",
        "systemusers",
        "teams",
        "activitypointers",
        "incidents",
    )
    try:
        store = MemoryRecordStore()
        source = DynamicsSource("d365", options)
        counts = {t: len(org.tables[t]) for t in tables}
        records = sum(counts.values())
        seconds, full = _timed_read(source, store, {})
        print(f"Dynamics 365: {opportunities:,} opportunities, {records:,} rows in all")
        _report("full pull", records, full.requests, _floor(counts, 5000), seconds)
        print(
            "  (requests include msal's OpenID discovery and token, and the currency lookup; "
            "activitypointers rows of other types are filtered server-side)"
        )

        _incremental_rounds(
            source,
            store,
            full.cursors,
            random.Random(4),
            tables,
            lambda table: list(org.tables[table]),
            org.delete,
            lambda table, row_id: org.update(table, row_id, {}),
            5000,
        )
        print(
            "  (activitypointers has no change tracking: its incremental read adds a key "
            "reconciliation pass of ceil(rows / 5,000) requests)"
        )
    finally:
        emulator.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deals", type=int, default=100_000)
    parser.add_argument("--related", type=float, default=0.2, help="related rows per deal")
    parser.add_argument("--only", choices=("hubspot", "dynamics"))
    args = parser.parse_args()
    if args.only in (None, "hubspot"):
        bench_hubspot(args.deals, args.related)
    if args.only in (None, "dynamics"):
        bench_dynamics(args.deals, args.related)


if __name__ == "__main__":
    main()
