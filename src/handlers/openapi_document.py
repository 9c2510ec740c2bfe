"""The OpenAPI document of this API: what Powertools generates from each function's route, merged.

Served by the local runtime (`GET /openapi.json`) and committed as docs/openapi.json (a test keeps the
two equal); no Lambda function imports this module.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterable
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.event_handler.openapi.models import APIKey, APIKeyIn

from handlers.session_cookie import SESSION_COOKIE

# Powertools adds these for its default 422 validation response; this API answers 400 with ErrorBody.
_UNUSED_SCHEMAS = ("HTTPValidationError", "ValidationError", "ResponseValidationError")
# Read by the route from the headers itself, so that a malformed key is reported after authentication.
_IDEMPOTENCY_KEY_PARAMETER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Optional. The same user, key and body within 24 hours replays the first 201; the same key "
    "with another body (or on another project) is 422; requests racing with one key all get the first 201. "
    "1 to 255 visible ASCII characters, "
    "optionally in double quotes.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 257},
}
# Powertools writes pydantic's names for bounds into path parameter schemas; JSON Schema's are these.
_BOUND_NAMES = {"ge": "minimum", "le": "maximum", "gt": "exclusiveMinimum", "lt": "exclusiveMaximum"}
_IF_MATCH_PARAMETER = {
    "name": "If-Match",
    "in": "header",
    "required": False,
    "description": "Optional. The ETag of the import as last read: the change is made only if it still matches "
    "(else 412). Without it, the last write wins.",
    "schema": {"type": "string"},
}
_IF_NONE_MATCH_PARAMETER = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": "Optional. The ETag (or ETags, comma-separated, or `*`) of the version the client holds: "
    "304 without a body while it is still the current one.",
    "schema": {"type": "string"},
}
_HEADER_PARAMETERS = {
    "post": [_IDEMPOTENCY_KEY_PARAMETER],
    "put": [_IF_MATCH_PARAMETER],
    "delete": [_IF_MATCH_PARAMETER],
}


def openapi_document(route_modules: Iterable[str]) -> dict[str, Any]:
    """One document for the whole API from each function's module (its `app`), shared schemas once."""
    document: dict[str, Any] = {}
    for module_name in dict.fromkeys(route_modules):
        app: APIGatewayHttpResolver = importlib.import_module(module_name).app
        part = _route_document(app)
        if not document:
            document = part
            continue
        for path, path_item in part["paths"].items():
            document["paths"].setdefault(path, {}).update(path_item)
        document["components"]["schemas"].update(part["components"]["schemas"])
    schemas = document["components"]["schemas"]
    for name in _UNUSED_SCHEMAS:
        schemas.pop(name, None)
    document["components"]["schemas"] = dict(sorted(schemas.items()))
    return document


def _drop_powertools_validation_response(responses: dict[str, Any]) -> None:
    # Powertools adds a 422 for its own validation errors; this API answers those with 400.
    validation = responses.get("422", {})
    schema = validation.get("content", {}).get("application/json", {}).get("schema", {})
    if schema.get("$ref", "").endswith("/HTTPValidationError"):
        del responses["422"]


def _route_document(app: APIGatewayHttpResolver) -> dict[str, Any]:
    # Configured here rather than in the Lambda module: importing the OpenAPI models costs cold start.
    app.configure_openapi(
        title="Neptun imports API",
        version="1.0.0",
        description="The imports of Neptun projects (GitHub repositories, public repository URLs, local folders): "
        "create, list, read, change and delete them. Every request carries the neptun-session cookie; every error "
        "is JSON {statusCode, message}.",
        security_schemes={"neptunSession": APIKey(name=SESSION_COOKIE, **{"in": APIKeyIn.cookie})},
        security=[{"neptunSession": []}],
    )
    document: dict[str, Any] = json.loads(app.get_openapi_json_schema())
    for path_item in document.get("paths", {}).values():
        for method, operation in path_item.items():
            operation.setdefault("parameters", []).extend(_HEADER_PARAMETERS.get(method, []))
            if "304" in operation["responses"]:  # a route that revalidates reads If-None-Match
                operation["parameters"].append(_IF_NONE_MATCH_PARAMETER)
            _drop_powertools_validation_response(operation["responses"])
            for parameter in operation["parameters"]:
                schema = parameter.get("schema", {})
                for pydantic_name, json_schema_name in _BOUND_NAMES.items():
                    if pydantic_name in schema:
                        schema[json_schema_name] = schema.pop(pydantic_name)
    document.setdefault("components", {}).setdefault("schemas", {})
    return document
