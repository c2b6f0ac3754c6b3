"""Fault injection at every request of a refresh: live tabs hold old or new data, never a mix."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from sheets_sync.destinations.gsheets import GoogleSheetsDestination
from sheets_sync.errors import DestinationError
from tests.destinations.gsheets.helpers import live_values
from tests.destinations.gsheets.workbooks import workbook
from tests.emulators.sheets import SheetsEmulator

Make = Callable[..., GoogleSheetsDestination]
SMALL = {"rows": 8}
STAGED = {"rows": 120, "payload_limit": 10_000}


def _staging_titles(emulator: SheetsEmulator, sid: str) -> list[str]:
    return [s.title for s in emulator.book(sid).sheets if s.title.startswith("~sheets-sync")]


@pytest.mark.parametrize("kind", ["500", "429", "drop"])
@pytest.mark.parametrize("shape", [SMALL, STAGED], ids=["small", "staged"])
def test_a_fault_at_any_request_leaves_old_or_new_data_never_a_mix(
    emulator: SheetsEmulator, make_destination: Make, kind: str, shape: dict[str, int]
) -> None:
    rows = shape["rows"]
    limit = shape.get("payload_limit", 1_800_000)
    dest = make_destination(payload_limit=limit)
    dest.write(workbook(rows, tag="v1"))
    sid = str(dest.spreadsheet_id)
    old = live_values(emulator, sid)
    probe = dest.write(workbook(rows - 3, tag="v2"))
    new = live_values(emulator, sid)
    assert new != old
    total = probe.requests
    if shape is SMALL:
        assert total == 2  # metadata read + one batchUpdate
    else:
        # metadata read, staging chunks packed up to the limit, one final swap
        sent = sum(r.body_bytes for r in emulator.api_requests()[-total:])
        assert 4 <= total <= 2 + sent // (limit - 1_000) + 1
    for k in range(1, total + 1):
        dest.write(workbook(rows, tag="v1"))
        emulator.fail_next(k, kind, retry_after=0)
        with pytest.raises(DestinationError):
            dest.write(workbook(rows - 3, tag="v2"))
        assert live_values(emulator, sid) == old, f"request {k} of {total} left a mix"
    emulator.clear_faults()
    dest.write(workbook(rows - 3, tag="v2"))
    assert live_values(emulator, sid) == new
    assert _staging_titles(emulator, sid) == []


def test_next_refresh_cleans_stale_staging_sheets(
    emulator: SheetsEmulator, make_destination: Make
) -> None:
    dest = make_destination(payload_limit=10_000)
    dest.write(workbook(300, tag="v1"))
    sid = str(dest.spreadsheet_id)
    old = live_values(emulator, sid)
    emulator.fail_from(3, "drop")  # metadata read and first chunk succeed, then the line dies
    with pytest.raises(DestinationError, match="could not reach Google Sheets"):
        dest.write(workbook(300, tag="v2"))
    emulator.clear_faults()
    stale = [s for s in emulator.book(sid).sheets if s.title.startswith("~sheets-sync")]
    assert len(stale) == 1 and stale[0].properties.get("hidden") is True
    assert live_values(emulator, sid) == old

    dest.write(workbook(300, tag="v2"))

    assert _staging_titles(emulator, sid) == []
    assert live_values(emulator, sid)["Raw deals"][1][0] == "sfdc:v2-0"


def test_429_is_retried_after_the_wait_retry_after_asks_for(
    emulator: SheetsEmulator, make_destination: Make, sleeps: list[float]
) -> None:
    dest = make_destination(attempts=3)
    dest.write(workbook(5))
    sid = str(dest.spreadsheet_id)
    emulator.fail_next(2, "429", retry_after=7)
    result = dest.write(workbook(5, tag="v2"))
    assert sleeps == [pytest.approx(7.0, abs=1.0)] and sleeps[0] >= 7.0
    assert result.requests == 3
    statuses = [r.status for r in emulator.api_requests()[-3:]]
    assert statuses == [200, 429, 200]
    assert live_values(emulator, sid)["Raw deals"][1][0] == "sfdc:v2-0"


def test_retries_stop_after_max_attempts_with_bounded_backoff(
    emulator: SheetsEmulator, make_destination: Make, sleeps: list[float]
) -> None:
    dest = make_destination(attempts=4)
    dest.write(workbook(5))
    before = len(emulator.api_requests())
    emulator.fail_from(2, "500", count=50)
    with pytest.raises(DestinationError, match=r"HTTP 500.*after 4 attempt"):
        dest.write(workbook(5, tag="v2"))
    assert len(emulator.api_requests()) - before == 1 + 4
    assert len(sleeps) == 3
    assert all(0 <= s <= 0.5 * 2**i for i, s in enumerate(sleeps))


def test_dropped_connection_is_retried(
    emulator: SheetsEmulator, make_destination: Make, sleeps: list[float]
) -> None:
    dest = make_destination(attempts=2)
    dest.write(workbook(5))
    emulator.fail_next(2, "drop")
    result = dest.write(workbook(5, tag="v2"))
    assert result.requests == 3 and len(sleeps) == 1
    assert live_values(emulator, str(dest.spreadsheet_id))["Raw deals"][1][0] == "sfdc:v2-0"


def test_client_errors_are_not_retried(
    emulator: SheetsEmulator, make_destination: Make, sleeps: list[float]
) -> None:
    dest = make_destination("no-such-spreadsheet", attempts=5)
    with pytest.raises(DestinationError, match="not found"):
        dest.write(workbook(5))
    assert len(emulator.api_requests()) == 1 and sleeps == []


def test_lost_answer_to_an_applied_swap_is_reported_as_probably_applied(
    emulator: SheetsEmulator, make_destination: Make
) -> None:
    dest = make_destination(payload_limit=10_000, attempts=2)
    dest.write(workbook(120, tag="v1"))
    sid = str(dest.spreadsheet_id)
    probe = dest.write(workbook(117, tag="v2"))
    new = live_values(emulator, sid)
    dest.write(workbook(120, tag="v1"))
    emulator.fail_next(probe.requests, "drop_after")  # the final swap is applied, answer lost
    with pytest.raises(DestinationError, match="probably applied; refresh again"):
        dest.write(workbook(117, tag="v2"))
    assert live_values(emulator, sid) == new
    assert _staging_titles(emulator, sid) == []
