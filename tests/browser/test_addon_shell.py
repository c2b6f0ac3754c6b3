"""The add-on's sidebar shell (``addon/Sidebar.html``) handing the token to the sidebar page.

Apps Script cannot run here, so the test plays Google's part: the real ``Sidebar.html`` is served
from an Apps Script-like ``googleusercontent.com`` origin, with the template values filled in and
``google.script.run`` answering with a development token. The backend is the live service,
reached under an ``https://`` name through Playwright's request routing.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from tests.browser.conftest import sync_api
from tests.browser.live_server import LiveServer

expect = sync_api.expect
SHELL = Path(__file__).resolve().parents[2] / "addon" / "Sidebar.html"
SHELL_ORIGIN = "https://n-abc123-0lu-script.googleusercontent.com"
BACKEND = "https://sheets-sync.test"
# Stands in for the google.script.run bridge Apps Script puts in the page.
STUB = """<script>
var sessions = %(tokens)s;
window.google = {script: {run: {
  withSuccessHandler: function (fn) { this._ok = fn; return this; },
  withFailureHandler: function (fn) { return this; },
  getSidebarSession: function () {
    var ok = this._ok;
    var token = sessions.length > 1 ? sessions.shift() : sessions[0];
    setTimeout(function () { ok({token: token, spreadsheetId: "sheet-42"}); }, 0);
  }
}}};
</script>
"""


def shell_html(token: str, view: str, *earlier_tokens: str) -> str:
    """Sidebar.html as Apps Script would serve it; the stub hands out ``earlier_tokens`` first."""
    html = SHELL.read_text(encoding="utf-8")
    html = html.replace("<?= backendUrl ?>", BACKEND).replace("<?= view ?>", view)
    stub = STUB % {"tokens": json.dumps([*earlier_tokens, token])}
    return html.replace("<script>", stub + "<script>", 1)


def serve(context: Any, origin: str, html: str, server: LiveServer) -> None:
    context.route(f"{origin}/**", lambda route: route.fulfill(body=html, content_type="text/html"))

    def forward(route: Any) -> None:
        url = route.request.url.replace(BACKEND, server.url, 1)
        route.fulfill(response=route.fetch(url=url))

    context.route(f"{BACKEND}/**", forward)


def test_shell_hands_token_and_spreadsheet_to_the_sidebar(
    live_server: LiveServer, browser_context: Any, artifacts: Path
) -> None:
    token = live_server.dev_token("shell@example.com")
    serve(browser_context, SHELL_ORIGIN, shell_html(token, "schedule"), live_server)
    page = browser_context.new_page()
    page.goto(f"{SHELL_ORIGIN}/userCodeAppPanel")
    sidebar = page.frame_locator("#sheets-sync-ui")
    expect(sidebar.get_by_text("Signed in as shell@example.com")).to_be_visible()
    expect(page.locator("#shell-status")).to_be_hidden()
    # The spreadsheet the add-on is open in is the one a new report binds.
    expect(sidebar.get_by_label("Spreadsheet id")).to_have_value("sheet-42")
    # "Schedule" opened the sidebar at the report (none yet, so its heading takes focus).
    expect(sidebar.locator("#report-heading")).to_be_focused()
    page.screenshot(path=str(artifacts / "shell.png"), full_page=True)


def test_another_site_cannot_frame_the_sidebar(
    live_server: LiveServer, browser_context: Any
) -> None:
    token = live_server.dev_token("shell@example.com")
    serve(browser_context, "https://evil.example", shell_html(token, ""), live_server)
    page = browser_context.new_page()
    with page.expect_console_message(lambda m: "frame-ancestors" in m.text) as refused:
        page.goto("https://evil.example/shell")
    assert "sheets-sync.test" in refused.value.text
    expect(page.locator("#shell-status")).to_have_text("Opening sheets-sync...")
    frame = page.frame(url=re.compile(r"/ui/"))
    assert frame is None or frame.locator("#who").count() == 0


def test_sidebar_asks_the_shell_again_when_the_token_is_refused(
    live_server: LiveServer, browser_context: Any
) -> None:
    # Identity tokens expire after an hour; the page asks the shell for a fresh one and retries.
    token = live_server.dev_token("shell@example.com")
    html = shell_html(token, "", "dev.expired-or-forged")
    serve(browser_context, SHELL_ORIGIN, html, live_server)
    page = browser_context.new_page()
    answers: list[int] = []
    page.on("response", lambda r: answers.append(r.status) if r.url.endswith("/api/me") else None)
    page.goto(f"{SHELL_ORIGIN}/userCodeAppPanel")
    sidebar = page.frame_locator("#sheets-sync-ui")
    expect(sidebar.get_by_text("Signed in as shell@example.com")).to_be_visible()
    assert answers == [401, 200]
    expect(sidebar.locator("#notice")).to_be_hidden()
