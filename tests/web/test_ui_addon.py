"""The Apps Script add-on in ``addon/``: its manifest, and the backend calls it makes.

Apps Script cannot run here, so these tests read the files: the manifest must be valid JSON with
the scopes the add-on needs (and no broader Sheets scope), and every backend operation Code.gs
calls must exist in the service's OpenAPI document, so renaming an endpoint breaks this test
rather than the add-on in production.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from sheets_sync.web.api.openapi import openapi_spec

ADDON = Path(__file__).resolve().parents[2] / "addon"
REQUIRED_SCOPES = {
    "openid",
    "https://www.googleapis.com/auth/script.external_request",
    "https://www.googleapis.com/auth/spreadsheets.currentonly",
    "https://www.googleapis.com/auth/script.container.ui",
}
# The backend refuses identity tokens without a verified e-mail, which needs this scope.
EMAIL_SCOPE = "https://www.googleapis.com/auth/userinfo.email"


def code_gs() -> str:
    return (ADDON / "Code.gs").read_text(encoding="utf-8")


def endpoints(source: str) -> dict[str, tuple[str, str]]:
    """The ``ENDPOINTS`` table of a script: name -> (method, path)."""
    block = re.search(r"var ENDPOINTS = \{(.*?)\};", source, re.S)
    assert block, "the script declares no ENDPOINTS table"
    pairs = re.findall(r"(\w+): ['\"](GET|POST|PATCH|PUT|DELETE) (/[^'\"]*)['\"]", block.group(1))
    assert pairs, "the ENDPOINTS table is empty"
    return {name: (method, path) for name, method, path in pairs}


def test_manifest_is_json_with_the_needed_scopes_only() -> None:
    manifest = json.loads((ADDON / "appsscript.json").read_text(encoding="utf-8"))
    scopes = set(manifest["oauthScopes"])
    assert scopes >= REQUIRED_SCOPES
    assert scopes - REQUIRED_SCOPES == {EMAIL_SCOPE}, "only the needed scopes are requested"
    assert manifest["runtimeVersion"] == "V8"
    whitelist = manifest["urlFetchWhitelist"]
    assert whitelist and all(re.fullmatch(r"https://[^/]+/", url) for url in whitelist)


def test_every_backend_call_of_code_gs_is_documented() -> None:
    paths = openapi_spec()["paths"]
    calls = endpoints(code_gs())
    assert {"reports", "refresh", "run"} <= set(calls)
    for name, (method, path) in calls.items():
        assert path.startswith("/api/"), f"{name}: {path} is not an API path"
        documented = paths.get(path.removeprefix("/api"), {})
        assert method.lower() in documented, f"Code.gs calls {method} {path}, which is undocumented"
    # Every ENDPOINTS entry is used, and nothing bypasses the table.
    for name in calls:
        assert f"callBackend_('{name}'" in code_gs(), f"ENDPOINTS.{name} is never called"
    assert code_gs().count("UrlFetchApp.fetch(") == 1


def test_menu_items_name_functions_that_exist() -> None:
    source = code_gs()
    items = dict(re.findall(r"\.addItem\('([^']+)', '(\w+)'\)", source))
    assert set(items) == {"Open sidebar", "Refresh now", "Schedule"}
    for function in [*items.values(), "onOpen", "onInstall", "getSidebarSession"]:
        assert re.search(rf"^function {function}\(", source, re.M), f"{function} is missing"
    assert "'Bearer ' + ScriptApp.getIdentityToken()" in source


def test_sidebar_shell_hands_the_token_to_the_backend_origin_only() -> None:
    shell = (ADDON / "Sidebar.html").read_text(encoding="utf-8")
    assert 'src="<?= backendUrl ?>/ui/"' in shell
    assert "google.script.run" in shell and ".getSidebarSession()" in shell
    posts = re.findall(r"postMessage\((.*?)\);", shell, re.S)
    assert posts and all(post.rstrip().endswith(", origin") for post in posts)
    assert "event.origin !== origin" in shell
    assert "event.source !== frame.contentWindow" in shell


def test_readme_names_every_deployment_step() -> None:
    readme = (ADDON / "README.md").read_text(encoding="utf-8")
    for step in ("clasp push", "SHEETS_SYNC_BACKEND_URL", "OAuth consent", "Marketplace SDK"):
        assert step in readme, step
    assert "SHEETS_SYNC_GOOGLE_CLIENT_ID" in readme
