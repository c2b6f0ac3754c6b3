"""Rate limiters, retry classification and backoff, settings and credentials."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from google.oauth2 import credentials as user_credentials
from google.oauth2 import service_account
from google.oauth2.credentials import Credentials

from sheets_sync.destinations.gsheets import (
    GoogleSheetsDestination,
    GoogleSheetsSettings,
    QuotaLimiters,
    RateLimiter,
    RetryPolicy,
    load_credentials,
)
from sheets_sync.destinations.gsheets.retry import is_retriable_status, retry_after_seconds
from sheets_sync.errors import ConfigError
from tests.destinations.gsheets.workbooks import workbook
from tests.emulators.sheets import SheetsEmulator


class FakeClock:
    """A clock that only moves when the limiter sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_limiter_allows_the_quota_then_waits_for_the_window() -> None:
    clock = FakeClock()
    limiter = RateLimiter(60, 60.0, clock=clock, sleep=clock.sleep)
    for second in range(60):
        clock.now = second * 0.5
        assert limiter.acquire() == 0.0
    assert limiter.acquire() == pytest.approx(30.5)  # the first slot frees at t=60
    assert clock.now == pytest.approx(60.0)


def test_user_and_project_limiters_are_separate_quotas() -> None:
    clock = FakeClock()
    limiters = QuotaLimiters(user_limit=2, project_limit=3, clock=clock, sleep=clock.sleep)
    assert limiters.acquire_write("ana") == 0 and limiters.acquire_write("ana") == 0
    assert limiters.acquire_write("ben") == 0  # ben has his own user quota
    assert limiters.acquire_write("ben") == pytest.approx(60.0)  # but the project is full
    assert limiters.user("ana") is limiters.user("ana")


def test_retry_classification() -> None:
    assert all(is_retriable_status(s) for s in (429, 500, 502, 503, 504))
    assert not any(is_retriable_status(s) for s in (400, 401, 403, 404, 409))


def test_backoff_is_exponential_bounded_and_honours_retry_after() -> None:
    policy = RetryPolicy(max_attempts=6, base_seconds=1.0, max_seconds=8.0, rng=lambda: 1.0)
    assert [policy.delay(n) for n in range(1, 6)] == [1.0, 2.0, 4.0, 8.0, 8.0]
    assert policy.delay(1, retry_after=20.0) == 20.0
    jittered = RetryPolicy(rng=lambda: 0.25)
    assert jittered.delay(3) == 1.0
    assert policy.should_retry(5) and not policy.should_retry(6)


def test_retry_after_header_in_seconds_or_as_a_date() -> None:
    assert retry_after_seconds({"Retry-After": "12"}) == 12.0
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 <= (retry_after_seconds({"retry-after": later}) or 0) <= 31
    assert retry_after_seconds({}) is None
    assert retry_after_seconds({"Retry-After": "soon"}) is None


def test_settings_reject_bad_endpoints_and_limits() -> None:
    with pytest.raises(ConfigError, match="sheets_endpoint 'ftp://x'"):
        GoogleSheetsSettings(sheets_endpoint="ftp://x")
    with pytest.raises(ConfigError, match="payload_limit"):
        GoogleSheetsSettings(payload_limit=5_000_000)
    assert GoogleSheetsSettings(drive_endpoint="http://127.0.0.1:1/drive/v3").drive_base.endswith(
        "/v3/"
    )


def _private_key() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def test_service_account_and_user_credentials_load(tmp_path: Path) -> None:
    info = {
        "type": "service_account",
        "client_email": "sync@project.iam.gserviceaccount.com",
        "private_key": _private_key(),
        "token_uri": "https://oauth2.googleapis.com/token",
    }
    path = tmp_path / "sa.json"
    path.write_text(json.dumps(info))
    assert isinstance(load_credentials(path), service_account.Credentials)
    user = load_credentials(
        {
            "type": "authorized_user",
            "client_id": "id",
            "client_secret": "secret-value",
            "refresh_token": "refresh-value",
        }
    )
    assert isinstance(user, user_credentials.Credentials)


def test_credential_errors_name_the_problem_without_secrets(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_credentials(tmp_path / "missing.json")
    with pytest.raises(ConfigError, match="incomplete") as err:
        load_credentials({"type": "authorized_user", "refresh_token": "s3cr3t-token"})
    assert "s3cr3t" not in str(err.value)
    with pytest.raises(ConfigError, match="service_account"):
        load_credentials({"type": "other"})


def test_a_staged_refresh_waits_for_the_users_write_quota(
    emulator: SheetsEmulator, credentials: Credentials
) -> None:
    clock = FakeClock()
    limiters = QuotaLimiters(user_limit=2, project_limit=300, clock=clock, sleep=clock.sleep)
    settings = GoogleSheetsSettings(
        sheets_endpoint=emulator.sheets_endpoint,
        drive_endpoint=emulator.drive_endpoint,
        payload_limit=10_000,
        user_key="ana@example.com",
    )
    dest = GoogleSheetsDestination(credentials=credentials, settings=settings, limiters=limiters)
    result = dest.write(workbook(120))
    writes = len([r for r in emulator.api_requests() if r.method != "GET"])
    assert writes == result.requests >= 4
    # Two writes per 60 s window: each pair of writes after the first waited for a new window.
    windows = (writes + 1) // 2
    assert len(clock.sleeps) == windows - 1 and clock.now == pytest.approx(60.0 * (windows - 1))
    assert limiters.user("ana@example.com").waited_seconds == pytest.approx(sum(clock.sleeps))
