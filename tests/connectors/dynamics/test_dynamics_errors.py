"""Dynamics 365 failure handling against the emulator: throttling, 5xx, token renewal and
caching, damaged pages, the connection test and option errors."""

from __future__ import annotations

import pytest

from connectors.base import ReadContext
from connectors.common.cache import MemoryRecordStore
from connectors.common.errors import (
    CredentialsError,
    MalformedResponseError,
    PermissionDeniedError,
    RetriesExhaustedError,
)
from sheets_sync.errors import ConfigError

THROTTLED = {
    "error": {
        "code": "0x80072322",
        "message": "Number of requests exceeded the limit of 6000 over time window of 300 seconds.",
    }
}


def test_429_with_retry_after_is_waited_out_then_succeeds(emulator, make_source):
    emulator.fail_next("/api/data/v9.2/opportunities", 429, {"Retry-After": "1"}, THROTTLED)
    source = make_source(entities=["opportunities"])
    result = source.read(ReadContext())
    assert len(result.tables["deals"]) == 60
    assert result.stats["retries"] == 1
    assert source.session.stats.waited >= 1.0


def test_transient_5xx_is_retried_and_persistent_5xx_stops(emulator, make_source):
    emulator.fail_next("/api/data/v9.2/accounts", 503)
    result = make_source(entities=["accounts"]).read(ReadContext())
    assert len(result.tables["accounts"]) == 20 and result.stats["retries"] == 1
    emulator.fail_next("/api/data/v9.2/accounts", 500, times=20)
    with pytest.raises(RetriesExhaustedError, match="after 2 attempts"):
        make_source(entities=["accounts"], max_attempts=2).read(ReadContext())


def test_token_is_cached_between_reads_and_renewed_after_a_401(emulator, make_source):
    source = make_source(entities=["accounts"])
    first = source.read(ReadContext())
    assert first.stats["tokens_acquired"] == 1
    second = source.read(ReadContext())
    assert second.stats["tokens_acquired"] == 0 and emulator.token_requests == 1
    emulator.expire_tokens()
    third = source.read(ReadContext())
    assert len(third.tables["accounts"]) == 20
    assert third.stats["token_renewals"] == 1 and emulator.token_requests == 2


def test_a_401_after_renewal_is_a_credentials_error(emulator, make_source):
    emulator.fail_next("/api/data/v9.2/accounts", 401, times=2)
    with pytest.raises(CredentialsError, match="application user"):
        make_source(entities=["accounts"]).read(ReadContext())


def test_refused_secret_and_unknown_app_name_the_fix(make_source):
    with pytest.raises(CredentialsError, match="renew the client secret") as info:
        make_source(client_secret="wrong-secret").read(ReadContext())
    assert "wrong-secret" not in str(info.value)
    with pytest.raises(CredentialsError, match="check client_id and tenant_id"):
        make_source(client_id="00000000-0000-0000-0000-000000000000").read(ReadContext())


def test_missing_privilege_names_the_table(emulator, make_source):
    emulator.privileges.discard("prvReadIncident")
    with pytest.raises(PermissionDeniedError, match="prvReadIncident"):
        make_source(entities=["incidents"]).read(ReadContext())


def test_unreadable_currency_lookup_degrades_to_a_warning(emulator, make_source):
    emulator.privileges.discard("prvReadTransactionCurrency")
    result = make_source(entities=["opportunities"]).read(ReadContext())
    assert len(result.tables["deals"]) == 60
    assert result.tables["deals"]["currency"].isna().all()
    assert any("currencies could not be read" in i.message for i in result.issues)


@pytest.mark.parametrize("damage", ["truncate", "malformed"])
def test_damaged_page_is_a_clear_error_and_leaves_cache_and_cursor(
    emulator, make_source, org, damage
):
    source = make_source(entities=["opportunities", "accounts"])
    store = MemoryRecordStore()
    first = source.read(ReadContext(state_store=store))
    cached = {k: (v[0].copy(), v[1]) for k, v in store.data.items()}
    org.update("opportunities", sorted(org.tables["opportunities"])[0], {"name": "Changed"})
    getattr(emulator, f"{damage}_next")("/api/data/v9.2/accounts")
    with pytest.raises(MalformedResponseError, match="nothing was written"):
        source.read(ReadContext(state_store=store, cursors=first.cursors))
    assert store.data.keys() == cached.keys()
    for name, (records, state) in cached.items():
        assert store.data[name][1] == state and store.data[name][0].equals(records)


def test_check_passes_with_every_privilege(make_source):
    result = make_source().check()
    assert result.ok, result.message


def test_check_names_missing_privileges_and_columns(emulator, make_source):
    emulator.privileges -= {"prvReadIncident", "prvReadActivity"}
    result = make_source(custom_fields={"accounts": {"tier": "new_tier"}}).check()
    assert not result.ok
    assert "privilege prvReadIncident (incidents)" in result.missing
    assert "privilege prvReadActivity (activitypointers)" in result.missing
    assert any("accounts.new_tier" in m for m in result.missing)
    assert not any("prvReadOpportunity" in m for m in result.missing)


def test_check_reports_refused_credentials(make_source):
    result = make_source(client_secret="nope").check()
    assert not result.ok and result.missing == ("credentials",)


def test_bad_options_name_the_option():
    from connectors.dynamics import DynamicsSource

    base = {"org_url": "https://org.crm.dynamics.com", "tenant_id": "t", "client_id": "c"}
    with pytest.raises(ConfigError, match="client_secret, or certificate"):
        DynamicsSource("d", base)
    with pytest.raises(ConfigError, match="org_url must start with https://"):
        DynamicsSource("d", {**base, "client_secret": "s", "org_url": "http://x"})
    with pytest.raises(ConfigError, match="entities quotes"):
        DynamicsSource("d", {**base, "client_secret": "s", "entities": ["quotes"]})
    with pytest.raises(ConfigError, match="page_size must be between 1 and 5000"):
        DynamicsSource("d", {**base, "client_secret": "s", "page_size": 10000})
    with pytest.raises(ConfigError, match="certificate_thumbprint"):
        DynamicsSource("d", {**base, "certificate_key": "PEM"})


def test_registry_builds_both_sources_without_network():
    from connectors.registry import build_source

    hubspot = build_source("hubspot", "hs", {"access_token": "pat-x"})
    dynamics = build_source(
        "dynamics",
        "d365",
        {"org_url": "https://org.crm.dynamics.com", "tenant_id": "t", "client_id": "c"}
        | {"client_secret": "s"},
    )
    assert [s.name for s in hubspot.streams()][:2] == ["deals", "contacts"]
    assert dynamics.settings.scope == "https://org.crm.dynamics.com/.default"
