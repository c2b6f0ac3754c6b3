"""The shared HTTP policy against a scripted loopback server: what is retried, and what stops."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from connectors.common.errors import QuotaExceededError, RetriesExhaustedError
from connectors.common.http import ApiSession, RetryPolicy, retry_after_seconds


class Script:
    """Responses the server gives, in order; the last one repeats."""

    def __init__(self) -> None:
        self.responses: list[tuple[int, dict[str, str], bytes]] = []
        self.hits = 0


@pytest.fixture
def server() -> Iterator[tuple[str, Script]]:
    script = Script()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            index = min(script.hits, len(script.responses) - 1)
            script.hits += 1
            status, headers, body = script.responses[index]
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", script
    httpd.shutdown()
    httpd.server_close()


def _session(sleeps: list[float], attempts: int = 4) -> ApiSession:
    policy = RetryPolicy(max_attempts=attempts, base_delay=0.01, max_delay=0.05, timeout=5)
    policy.sleep = sleeps.append
    return ApiSession("TestAPI", policy)


def test_429_waits_what_retry_after_asks_then_succeeds(server):
    url, script = server
    script.responses = [(429, {"Retry-After": "3"}, b"slow down"), (200, {}, b"ok")]
    sleeps: list[float] = []
    session = _session(sleeps)
    response = session.get(url + "/x")
    assert response.status_code == 200
    assert script.hits == 2
    assert len(sleeps) == 1 and 3 <= sleeps[0] < 3.1
    assert session.stats.requests == 2 and session.stats.retries == 1


def test_5xx_retries_stop_after_the_bound(server):
    url, script = server
    script.responses = [(503, {}, b"down")]
    sleeps: list[float] = []
    session = _session(sleeps, attempts=3)
    with pytest.raises(RetriesExhaustedError, match=r"TestAPI kept failing \(HTTP 503.*3 attempts"):
        session.get(url + "/x?secret=abc")
    assert script.hits == 3
    assert len(sleeps) == 2
    assert all(s <= 0.05 + 0.01 for s in sleeps)


def test_error_message_hides_query_string(server):
    url, script = server
    script.responses = [(500, {}, b"")]
    with pytest.raises(RetriesExhaustedError) as info:
        _session([], attempts=2).get(url + "/path?access_token=SECRET")
    assert "SECRET" not in str(info.value) and "/path" in str(info.value)


def test_other_4xx_is_returned_without_retry(server):
    url, script = server
    script.responses = [(404, {}, b"nope"), (200, {}, b"ok")]
    response = _session([]).get(url + "/x")
    assert response.status_code == 404
    assert script.hits == 1


def test_transient_5xx_then_success(server):
    url, script = server
    script.responses = [(500, {}, b""), (502, {}, b""), (200, {}, b"fine")]
    sleeps: list[float] = []
    response = _session(sleeps).get(url + "/x")
    assert response.text == "fine" and script.hits == 3
    assert len(sleeps) == 2 and all(0 < s <= 0.05 + 0.01 for s in sleeps)  # backoff, capped


def test_retry_after_beyond_the_cap_fails_fast(server):
    url, script = server
    script.responses = [(429, {"Retry-After": "3600"}, b"")]
    with pytest.raises(QuotaExceededError, match="3600 s"):
        _session([]).get(url + "/x")
    assert script.hits == 1


def test_connection_errors_are_retried_then_reported():
    sleeps: list[float] = []
    session = _session(sleeps, attempts=2)
    with pytest.raises(RetriesExhaustedError, match="connection error"):
        session.get("http://127.0.0.1:9/unreachable")
    assert session.stats.requests == 2 and len(sleeps) == 1


def test_retry_after_http_date():
    assert retry_after_seconds({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0
    assert retry_after_seconds({"Retry-After": "7"}) == 7.0
    assert retry_after_seconds({}) is None


def test_listener_sees_every_response(server):
    url, script = server
    script.responses = [(500, {"X-Usage": "1"}, b""), (200, {"X-Usage": "2"}, b"")]
    seen: list[str] = []
    session = _session([])
    session.add_listener(lambda r: seen.append(r.headers["X-Usage"]))
    session.get(url + "/x")
    assert seen == ["1", "2"]
