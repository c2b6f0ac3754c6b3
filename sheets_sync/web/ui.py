"""Sidebar UI blueprint, mounted at ``/ui``: the single page the add-on's sidebar loads.

``/ui/`` serves one HTML page (``templates/sidebar/index.html``) with its script and style sheet
from ``/ui/static/``. The page holds no data and no credentials: its script receives the user's
identity token from the URL fragment (``#token=...``, never sent to a server) or from the add-on
shell by ``postMessage``, keeps it in memory, and sends it in the ``Authorization`` header of the
``/api`` calls. No cookie is set or needed, so the sidebar works where third-party cookies are
blocked.

Every response of this blueprint carries a strict Content-Security-Policy: scripts, styles and
API calls from this origin only, no inline code, and framing allowed only by this origin and the
Google hosts that run add-on sidebars.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template, url_for

bp = Blueprint(
    "ui",
    __name__,
    url_prefix="/ui",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)

# Apps Script serves a sidebar from docs.google.com through nested *.googleusercontent.com
# frames; the sidebar page is framed by those, so they are the only outside ancestors allowed.
FRAME_ANCESTORS = ("'self'", "https://docs.google.com", "https://*.googleusercontent.com")
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "form-action 'none'",
        "base-uri 'none'",
        "frame-ancestors " + " ".join(FRAME_ANCESTORS),
    )
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    # The page's URL may carry a token in its fragment; never leak the URL to another site.
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Opener-Policy": "same-origin",
}


@bp.after_request
def _secure(response: Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    if response.mimetype == "text/html":
        response.headers["Cache-Control"] = "no-store"
    return response


def schedules_available() -> bool:
    """Whether this service has the schedule endpoints the editor calls."""
    return any(
        rule.rule.startswith("/api/") and rule.rule.endswith("/schedule")
        for rule in current_app.url_map.iter_rules()
    )


@bp.get("/")
def index() -> Response:
    """The sidebar page; its script does the rest through the ``/api`` endpoints."""
    settings = current_app.config["SHEETS_SYNC"]
    html = render_template(
        "sidebar/index.html",
        api_base=url_for("api.openapi_document").rsplit("/", 1)[0],
        dev_login=bool(settings.dev_login),
        local_mode=not settings.production,
        schedules=schedules_available(),
    )
    return Response(html, mimetype="text/html")
