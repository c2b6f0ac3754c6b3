"""Sidebar UI blueprint, mounted at ``/ui`` -- a placeholder page for now.

The add-on's sidebar will load the pages served here (gallery, connections, refresh, schedule,
history), each calling the ``/api`` endpoints with the user's identity token. Until they exist,
``/ui/`` serves one accessible page that says so and links the API document.
"""

from __future__ import annotations

from flask import Blueprint, Response, url_for

bp = Blueprint("ui", __name__, url_prefix="/ui")

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>sheets-sync</title></head>
<body><main><h1>sheets-sync</h1>
<p>The sidebar pages are not available yet. The service's API is described at
<a href="{api}">{api}</a>.</p></main></body></html>
"""


@bp.get("/")
def index() -> Response:
    """The placeholder sidebar page."""
    html = _PAGE.format(api=url_for("api.openapi_document"))
    return Response(html, mimetype="text/html")
