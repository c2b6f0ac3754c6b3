"""HubSpot failure handling against the emulator: rate limits, 5xx, expired tokens, damaged pages,
the shared limiter and the connection test."""

from __future__ import annotations

import dataclasses

import pytest

from connectors.base import ReadContext
from connectors.common.cache import MemoryRecordStore
from connectors.common.errors import (
    CredentialsError,
    MalformedResponseError,
    QuotaExceededError,
    RetriesExhaustedError,
)
from connectors.common.http import RequestStats, RetryPolicy
from connectors.hubspot.client import HubSpotClient
from sheets_sync.errors import ConfigError

RATE_LIMITED = {
    "status": "error",
    "message": "You have reached your ten_secondly_rolling limit.",
    "errorType": "RATE_LIMIT",
    "policyName": "TEN_SECONDLY_ROLLING",
}


def test_429_with_retry_after_is_waited_out_then_succeeds(emulator, make_source):
    emulator.fail_next("/crm/v3/objects/deals", 429, {"Retry-After": "1"}, RATE_LIMITED)
    source = make_source(objects=["deals"])
    result = source.read(ReadContext())
    assert len(result.tables["deals"]) == 250
    assert result.stats["retries"] == 1
    assert source.last_stats is not None and source.last_stats.waited >= 1.0
    assert source.last_stats.by_status[429] == 1


def test_retry_after_longer_than_allowed_fails_fast(emulator, make_source):
    emulator.fail_next("/crm/v3/objects/deals", 429, {"Retry-After": "3600"}, RATE_LIMITED)
    with pytest.raises(QuotaExceededError, match="asks to wait 3600 s"):
        make_source(objects=["deals"]).read(ReadContext())
    assert emulator.count("GET", "/crm/v3/objects/deals") == 1


def test_transient_5xx_is_retried(emulator, make_source):
    emulator.fail_next("/crm/v3/pipelines/deals", 502)
    emulator.fail_next("/crm/v3/objects/contacts", 500)
    result = make_source(objects=["deals", "contacts"]).read(ReadContext())
    assert len(result.tables["deals"]) == 250 and len(result.tables["leads"]) == 250
    assert result.stats["retries"] == 2


def test_persistent_5xx_stops_after_max_attempts(emulator, make_source):
    emulator.fail_next("/crm/v3/objects/deals", 503, times=50)
    with pytest.raises(RetriesExhaustedError, match="after 3 attempts"):
        make_source(objects=["deals"], max_attempts=3).read(ReadContext())
    assert emulator.count("GET", "/crm/v3/objects/deals") == 3


def test_expired_oauth_token_is_renewed_once_and_the_call_retried(emulator, make_source):
    source = make_source(auth="oauth", objects=["deals"])
    first = source.read(ReadContext())
    assert first.stats["token_renewals"] == 0
    emulator.expire_tokens()
    second = source.read(ReadContext())
    assert len(second.tables["deals"]) == 250
    assert second.stats["token_renewals"] == 1
    # one token for the first read (kept for the second), one renewal after the 401
    assert emulator.count("POST", "/oauth/v1/token") == 2


def test_oauth_401_twice_is_a_credentials_error(emulator, make_source):
    emulator.fail_next("/crm/v3/pipelines/deals", 401, times=2)
    with pytest.raises(CredentialsError, match="reconnect the account"):
        make_source(auth="oauth", objects=["deals"]).read(ReadContext())


def test_revoked_refresh_token_names_the_fix(make_source):
    with pytest.raises(CredentialsError, match="reconnect the HubSpot account") as info:
        make_source(auth="oauth", refresh_token="revoked").read(ReadContext())
    assert "revoked" not in str(info.value)


def test_private_app_401_is_not_retried_and_hides_the_token(emulator, make_source):
    with pytest.raises(CredentialsError, match="private app token") as info:
        make_source(access_token="pat-wrong-secret").read(ReadContext())
    assert "pat-wrong-secret" not in str(info.value)
    assert len(emulator.requests) == 1


@pytest.mark.parametrize("damage", ["truncate", "malformed"])
def test_damaged_page_is_a_clear_error_and_leaves_cache_and_cursor(
    emulator, make_source, portal, damage
):
    source = make_source(objects=["deals", "contacts"])
    store = MemoryRecordStore()
    first = source.read(ReadContext(state_store=store))
    cached = {k: (v[0].copy(), v[1]) for k, v in store.data.items()}
    portal.update("deals", sorted(portal.objects["deals"], key=int)[5], {"amount": "1"})
    getattr(emulator, f"{damage}_next")("/crm/v3/objects/contacts/search")
    with pytest.raises(MalformedResponseError, match="nothing was written"):
        source.read(ReadContext(state_store=store, cursors=first.cursors))
    assert store.data.keys() == cached.keys()
    for name, (records, state) in cached.items():
        assert store.data[name][1] == state
        assert store.data[name][0].equals(records)


def test_a_repeated_after_cursor_is_refused(emulator, make_source, monkeypatch):
    original = emulator._list

    def looping(object_type, query):
        body = original(object_type, query)
        if "paging" in body:
            body["paging"]["next"]["after"] = "100"
        return body

    monkeypatch.setattr(emulator, "_list", looping)
    with pytest.raises(MalformedResponseError, match="twice"):
        make_source(objects=["deals"]).read(ReadContext())


def test_shared_limiter_keeps_searches_and_bursts_under_the_limits(
    make_source, portal, monkeypatch
):
    source = make_source(objects=["deals"], burst_limit=4, search_per_second=2)
    client = HubSpotClient(source.settings, RetryPolicy(), RequestStats())
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    sent: dict[str, list[float]] = {"all": [], "search": []}
    for kind, limiter in (("all", client.limiter), ("search", client.search_limiter)):
        monkeypatch.setattr(limiter, "clock", lambda: now[0])
        monkeypatch.setattr(limiter, "sleep", sleep)
        acquire = limiter.acquire

        def recorded(acquire=acquire, kind=kind) -> float:
            waited = acquire()
            sent[kind].append(now[0])
            return waited

        monkeypatch.setattr(limiter, "acquire", recorded)
    store = MemoryRecordStore()
    first = source.read(ReadContext(state_store=store))
    for deal_id in sorted(portal.objects["deals"], key=int)[:3]:
        portal.update("deals", deal_id, {"amount": "3"})
    # one change per search page, so the searches alone outrun the per-second window
    source.settings = dataclasses.replace(source.settings, search_page_size=1)
    source.read(ReadContext(state_store=store, cursors=first.cursors))
    times, searches = sent["all"], sent["search"]
    # never more than 4 calls in any 10 s window nor 2 searches in any second, and the reads
    # had to wait for that
    assert all(sum(1 for t in times if s <= t < s + 10) <= 4 for s in times)
    assert len(searches) >= 3
    assert all(sum(1 for t in searches if s <= t < s + 1) <= 2 for s in searches)
    assert sum(slept) >= 10


def test_check_passes_with_every_scope(make_source):
    result = make_source().check()
    assert result.ok, result.message


def test_check_names_missing_scopes_and_properties(emulator, make_source):
    emulator.restrict_private_token({"crm.objects.deals.read", "crm.objects.owners.read"})
    result = make_source(custom_fields={"deals": {"region": "deal_region_zz"}}).check()
    assert not result.ok
    assert "scope crm.objects.contacts.read" in result.missing
    assert "scope tickets" in result.missing
    assert any("deal_region_zz" in m for m in result.missing)
    assert "crm.objects.deals.read" not in " ".join(result.missing)


def test_check_reports_refused_credentials(make_source):
    result = make_source(access_token="nope").check()
    assert not result.ok and result.missing == ("credentials",)


def test_bad_options_name_the_option():
    from connectors.hubspot import HubSpotSource

    with pytest.raises(ConfigError, match="needs access_token"):
        HubSpotSource("hs", {})
    with pytest.raises(ConfigError, match="objects leads"):
        HubSpotSource("hs", {"access_token": "x", "objects": ["leads"]})
    with pytest.raises(ConfigError, match="unknown option"):
        HubSpotSource("hs", {"access_token": "x", "colour": "red"})


def test_refused_connections_are_retried_then_reported(make_source):
    source = make_source(host="http://127.0.0.1:9", objects=["companies"], max_attempts=2)
    with pytest.raises(RetriesExhaustedError, match=r"connection error .* after 2 attempts"):
        source.read(ReadContext())
    assert source.last_stats is not None and source.last_stats.requests == 2
