"""Reading JSON request bodies into the API's pydantic models, and writing responses."""

from __future__ import annotations

from typing import TypeVar

from flask import Response, jsonify, request
from pydantic import BaseModel, ValidationError

from sheets_sync.web.services.errors import InvalidInput, ServiceError

M = TypeVar("M", bound=BaseModel)


class BadBody(ServiceError):
    """The body is not a JSON object."""

    status = 400
    code = "bad_request"


def parse(model: type[M]) -> M:
    """Validate the JSON body as ``model``; the error names the first wrong field."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadBody("Send a JSON object as the request body (Content-Type: application/json).")
    try:
        return model.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        message = first["msg"].removeprefix("Value error, ")
        if first["type"] == "extra_forbidden":
            message = "is not a field of this request"
        raise InvalidInput(f"{where}: {message}.", "invalid_request") from None


def send(model: BaseModel, status: int = 200) -> tuple[Response, int]:
    """``model`` as a JSON response with ``status``."""
    return jsonify(model.model_dump(mode="json")), status
