"""The OpenAPI document describes exactly the routes the app serves."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator

from sheets_sync.web.api.openapi import openapi_spec


def _routes(app: Flask) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api"))
            found |= {(m.lower(), path) for m in rule.methods - {"HEAD", "OPTIONS"}}
    return found


def test_every_api_route_is_documented_and_nothing_else(app: Flask) -> None:
    spec = openapi_spec()
    documented = {(m, p) for p, methods in spec["paths"].items() for m in methods}
    assert _routes(app) == documented


def test_document_is_served_without_sign_in_and_is_well_formed(client: FlaskClient) -> None:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"].startswith("3.")
    schemas = spec["components"]["schemas"]
    for schema in schemas.values():
        Draft202012Validator.check_schema(schema)
    refs = set(re.findall(r'"#/components/schemas/(\w+)"', response.get_data(as_text=True)))
    assert refs <= set(schemas), refs - set(schemas)
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert declared == set(re.findall(r"\{(\w+)\}", path)), (method, path)
            if operation.get("security") != []:
                assert "401" in operation["responses"], (method, path)
