"""Salesforce error policy end to end: retries, renewal, quota, permissions, auth methods."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from connectors.base import ReadContext
from connectors.common.errors import (
    CredentialsError,
    QuotaExceededError,
    RetriesExhaustedError,
)
from sheets_sync.errors import ConfigError
from tests.emulators.salesforce import server as emu_server
from tests.emulators.salesforce.seed import seed

EXPIRED = [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]


def test_429_with_retry_after_is_waited_out_then_succeeds(emulator, make_source):
    seed(emulator.org, 15)
    emulator.fail_next("/composite", 429, [{"errorCode": "REQUEST_LIMIT"}], {"Retry-After": "1"})
    source = make_source()
    result = source.read(ReadContext())
    assert len(result.tables["deals"]) == 15
    assert result.stats["retries"] == 1
    assert source.last_session is not None and source.last_session.stats.waited >= 1.0
    assert source.last_session.stats.by_status.get(429) == 1


def test_transient_5xx_is_retried(emulator, make_source):
    seed(emulator.org, 15)
    emulator.fail_next("/composite", 503, b"busy")
    emulator.fail_next("/query/01g", 500, [{"errorCode": "UNKNOWN_EXCEPTION"}])
    result = make_source().read(ReadContext())
    assert len(result.tables["deals"]) == 15 and result.stats["retries"] == 2


def test_persistent_5xx_stops_after_max_attempts(emulator, make_source):
    seed(emulator.org, 5)
    emulator.fail_next("/composite", 503, b"down", times=50)
    with pytest.raises(RetriesExhaustedError, match=r"after 3 attempts"):
        make_source(max_attempts=3).read(ReadContext())
    assert emulator.api_calls("/composite") == 3


def test_expired_session_is_renewed_once_and_the_call_retried(emulator, make_source):
    seed(emulator.org, 5)
    emulator.fail_next("/composite", 401, EXPIRED)
    result = make_source().read(ReadContext())
    assert len(result.tables["deals"]) == 5
    assert result.stats["session_renewals"] == 1
    assert emulator.api_calls("/services/oauth2/token") == 2


def test_expired_session_twice_is_a_credentials_error(emulator, make_source):
    seed(emulator.org, 5)
    emulator.fail_next("/composite", 401, EXPIRED, times=2)
    with pytest.raises(CredentialsError, match="reconnect Salesforce"):
        make_source().read(ReadContext())


def test_expiry_while_paging_is_renewed_and_paging_continues(emulator, make_source):
    seed(emulator.org, 25)
    emulator.fail_next("/query/01g", 401, EXPIRED)
    result = make_source().read(ReadContext())
    assert result.stats["session_renewals"] == 1 and len(result.tables["deals"]) == 25


def test_refused_refresh_token_says_reconnect_and_hides_secrets(emulator, make_source):
    with pytest.raises(CredentialsError, match=r"invalid_grant.*reconnect Salesforce") as info:
        make_source(refresh_token="stale-token-123").read(ReadContext())
    assert "stale-token-123" not in str(info.value)
    assert emulator_secret_free(str(info.value))


def emulator_secret_free(text: str) -> bool:
    return emu_server.CLIENT_SECRET not in text and emu_server.REFRESH_TOKEN not in text


def test_daily_limit_is_a_clear_error_not_a_retry_loop(emulator, make_source):
    seed(emulator.org, 5)
    emulator.daily_limit = 3
    source = make_source()
    with pytest.raises(QuotaExceededError, match=r"daily API request limit.*3/3 used"):
        source.read(ReadContext())
    assert source.last_session is not None
    assert source.last_session.stats.by_status.get(403) == 1  # refused once, never retried


def test_high_api_usage_is_reported_as_a_warning(emulator, make_source):
    seed(emulator.org, 5)
    emulator.daily_limit = 20
    emulator.used = 14
    result = make_source().read(ReadContext())
    warnings = [i.message for i in result.issues if "daily API requests" in i.message]
    assert warnings and "of its 20 daily API requests" in warnings[0]
    emulator.used, emulator.daily_limit = 0, 1_000_000
    assert not [i for i in make_source().read(ReadContext()).issues if "daily API" in i.message]


def test_password_and_security_token_login(emulator, make_source):
    seed(emulator.org, 3)
    source = make_source(
        auth="password",
        username=emu_server.USERNAME,
        password=emu_server.PASSWORD,
        security_token=emu_server.SECURITY_TOKEN,
    )
    assert len(source.read(ReadContext()).tables["deals"]) == 3
    bad = make_source(
        auth="password",
        username=emu_server.USERNAME,
        password="hunter2-wrong",
        security_token="tok-XYZ",
    )
    with pytest.raises(CredentialsError, match=r"INVALID_LOGIN.*security token") as info:
        bad.read(ReadContext())
    assert "hunter2-wrong" not in str(info.value) and "tok-XYZ" not in str(info.value)


def test_jwt_bearer_login(emulator, make_source, tmp_path):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    emulator.jwt_public_key = key.public_key()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    (tmp_path / "key.pem").write_bytes(pem)
    seed(emulator.org, 3)
    source = make_source(
        auth="jwt",
        username=emu_server.USERNAME,
        private_key_file=str(tmp_path / "key.pem"),
        refresh_token=None,
        client_secret=None,
    )
    assert len(source.read(ReadContext()).tables["deals"]) == 3


def test_check_names_missing_objects_and_fields(emulator, make_source):
    emulator.org.hidden.add("Case")
    source = make_source(custom_fields={"opportunities": {"region": "Region__c"}})
    result = source.check()
    assert not result.ok
    assert "read access to Case" in result.missing
    assert any("Opportunity.Region__c" in m for m in result.missing)
    emulator.org.hidden.clear()
    emulator.org.add_field("Opportunity", "Region__c")
    assert source.check().ok


def test_check_reports_refused_credentials(emulator, make_source):
    result = make_source(refresh_token="nope").check()
    assert not result.ok and result.missing == ("credentials",)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"auth": "magic"}, "auth must be one of"),
        ({"refresh_token": None}, "needs refresh_token"),
        ({"login_url": "http://login.salesforce.com"}, "must start with https"),
        ({"page_size": 5000}, "page_size must be between"),
        ({"objects": ["Opportunity", "Widget__c"]}, "Widget__c are not supported"),
        ({"colour": "blue"}, "unknown option"),
        ({"client_secret_env": "SFDC_SECRET_NOT_SET"}, "SFDC_SECRET_NOT_SET"),
    ],
)
def test_bad_options_are_config_errors(make_source, options, message):
    with pytest.raises(ConfigError, match=message):
        make_source(**options)


def test_expiry_during_a_bulk_job_renews_and_reruns_it(emulator, make_source):
    seed(emulator.org, 30)
    emulator.fail_next("/jobs/query/750", 401, EXPIRED)  # the first poll of the job
    result = make_source(bulk_threshold=25).read(ReadContext())
    assert result.stats["session_renewals"] == 1 and result.stats["bulk_jobs"] == 1
    assert len(result.tables["deals"]) == 30
    assert emulator.api_calls("/oauth2/token") == 2
