"""The sidebar page served at ``/ui/``: security headers, accessible markup, local assets only.

The page does not touch the database, so these tests run on SQLite only. The browser tests in
``tests/browser`` drive the same page in Chromium.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask import Flask

from sheets_sync.secrets import generate_key
from sheets_sync.web import create_app, ui
from sheets_sync.web.api.openapi import openapi_spec
from sheets_sync.web.extensions import db, runner
from sheets_sync.web.settings import load_settings

STATIC = Path(ui.__file__).parent / "static"
CONTROLS = ("input", "select", "textarea")


@pytest.fixture(scope="module")
def ui_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    folder = tmp_path_factory.mktemp("ui")
    app = create_app(
        load_settings(
            environ={},
            database_url=f"sqlite:///{folder / 'service.db'}",
            data_dir=str(folder / "data"),
            encryption_keys=generate_key(),
            secret_key="ui-test-secret",
            dev_login=True,
        )
    )
    yield app
    runner.shutdown(app)
    db.engine_for(app).dispose()


class Page(HTMLParser):
    """The parts of the page the tests look at."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.label_stack: list[bool] = []
        self.controls: list[tuple[str, dict[str, str | None], bool]] = []
        self.inline_scripts = 0
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.elements.append((tag, found))
        if tag == "label":
            self.label_stack.append(True)
        if tag in CONTROLS:
            self.controls.append((tag, found, bool(self.label_stack)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        if tag == "label" and self.label_stack:
            self.label_stack.pop()
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_scripts += 1

    def ids(self) -> list[str]:
        return [str(a["id"]) for _, a in self.elements if a.get("id")]


def parsed(ui_app: Flask) -> Page:
    page = Page()
    page.feed(ui_app.test_client().get("/ui/").get_data(as_text=True))
    return page


def csp(header: str) -> dict[str, list[str]]:
    return {d.split()[0]: d.split()[1:] for d in header.split(";") if d.strip()}


def test_page_has_a_strict_policy_and_sets_no_cookie(ui_app: Flask) -> None:
    response = ui_app.test_client().get("/ui/")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    policy = csp(response.headers["Content-Security-Policy"])
    assert policy["default-src"] == ["'none'"]
    for directive in ("script-src", "style-src", "connect-src", "img-src"):
        assert policy[directive] == ["'self'"], directive
    assert policy["frame-ancestors"] == [
        "'self'",
        "https://docs.google.com",
        "https://*.googleusercontent.com",
    ]
    assert policy["form-action"] == ["'none'"] and policy["base-uri"] == ["'none'"]
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"
    assert "X-Frame-Options" not in response.headers  # it would stop the add-on framing it
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize(
    ("name", "mimetype"),
    [
        ("sidebar.js", "text/javascript"),
        ("sidebar.css", "text/css"),
        ("favicon.svg", "image/svg+xml"),
    ],
)
def test_static_files_are_served_locally_under_the_same_policy(
    ui_app: Flask, name: str, mimetype: str
) -> None:
    response = ui_app.test_client().get(f"/ui/static/{name}")
    assert response.status_code == 200
    assert response.mimetype == mimetype
    assert response.headers["Content-Security-Policy"] == ui.CONTENT_SECURITY_POLICY
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_page_uses_no_inline_code_and_only_local_assets(ui_app: Flask) -> None:
    page = parsed(ui_app)
    assert page.inline_scripts == 0
    assert not any(tag == "style" for tag, _ in page.elements)
    client = ui_app.test_client()
    for tag, attrs in page.elements:
        assert "style" not in attrs, f"<{tag}> has an inline style"
        assert not any(name.startswith("on") for name in attrs), f"<{tag}> has an inline handler"
        for key in ("src", "href"):
            url = attrs.get(key)
            if url is None or tag == "a":
                continue
            assert url.startswith("/ui/static/"), f"<{tag} {key}={url}> is not a local asset"
            assert client.get(url).status_code == 200, url


def test_every_control_has_a_label_and_ids_are_unique(ui_app: Flask) -> None:
    page = parsed(ui_app)
    ids = page.ids()
    assert len(ids) == len(set(ids)), "duplicate ids"
    labelled = {str(a["for"]) for tag, a in page.elements if tag == "label" and a.get("for")}
    assert len(page.controls) > 15
    for tag, attrs, wrapped in page.controls:
        assert wrapped or attrs.get("id") in labelled or attrs.get("aria-label"), (
            f"<{tag} {attrs}> has no label"
        )
    # The refresh progress is announced to screen readers, failures interrupt.
    by_id = {str(a["id"]): a for _, a in page.elements if a.get("id")}
    assert by_id["run-status"]["role"] == "status"
    assert by_id["run-status"]["aria-live"] == "polite"
    assert by_id["run-error"]["role"] == "alert"
    assert ("html", {"lang": "en"}) in page.elements


def test_page_tells_the_script_what_this_service_offers(ui_app: Flask) -> None:
    body = next(a for tag, a in parsed(ui_app).elements if tag == "body")
    assert body["data-api"] == "/api"
    assert body["data-dev-login"] == "true"
    assert body["data-local"] == "true"
    has_schedules = any(r.rule.endswith("/schedule") for r in ui_app.url_map.iter_rules())
    assert body["data-schedules"] == ("true" if has_schedules else "false")


def test_schedules_are_detected_from_the_routes() -> None:
    bare = Flask("bare")
    with bare.app_context():
        assert not ui.schedules_available()
    bare.add_url_rule("/api/reports/<report_id>/schedule", "s", lambda report_id: "")
    with bare.app_context():
        assert ui.schedules_available()


def test_script_calls_only_documented_operations() -> None:
    script = (STATIC / "sidebar.js").read_text(encoding="utf-8")
    block = re.search(r"var ENDPOINTS = \{(.*?)\};", script, re.S)
    assert block
    calls = re.findall(r'(\w+): "(GET|POST|PATCH|PUT|DELETE) (/[^"]*)"', block.group(1))
    assert len(calls) >= 10
    paths = openapi_spec()["paths"]
    for name, method, path in calls:
        if "schedule" in path and not any(p.endswith("/schedule") for p in paths):
            continue  # the editor is disabled on a service without schedules
        assert method.lower() in paths.get(path, {}), f"{name}: {method} {path} is undocumented"
        assert f'call("{name}"' in script or name.endswith("Schedule"), f"{name} is unused"
    # One fetch, through api(); the token never lands in a cookie or in storage.
    assert script.count("fetch(") == 1
    assert 'credentials: "omit"' in script
    for forbidden in ("innerHTML", "document.cookie", "localStorage", "sessionStorage", "eval("):
        assert forbidden not in script, forbidden


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(foreground: str, background: str) -> float:
    light, dark = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_text_colours_meet_wcag_aa_contrast() -> None:
    css = (STATIC / "sidebar.css").read_text(encoding="utf-8")
    colours = dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6});", css))
    for name in ("text", "muted", "accent", "accent-dark", "error", "ok"):
        assert contrast(colours[name], "#ffffff") >= 4.5, name
    assert contrast(colours["error"], colours["error-bg"]) >= 4.5
    assert contrast("#ffffff", colours["accent"]) >= 4.5  # primary buttons
    assert contrast(colours["line"], "#ffffff") >= 3.0  # input borders (non-text)
    assert contrast("#5e5e5e", "#f1f1f1") >= 4.5  # disabled buttons stay readable
