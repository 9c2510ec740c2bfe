"""The OpenAPI document of this API: what Powertools generates from the routes, completed.

Served by the local runtime (`GET /openapi.json`); the Lambda function never imports this module.
"""

from __future__ import annotations

import json
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
    "with another body is 422; while the first is still running, 409. 1 to 255 visible ASCII characters, "
    "optionally in double quotes.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 257},
}
# Powertools writes pydantic's names for bounds into path parameter schemas; JSON Schema's are these.
_BOUND_NAMES = {"ge": "minimum", "le": "maximum", "gt": "exclusiveMinimum", "lt": "exclusiveMaximum"}


def openapi_document(app: APIGatewayHttpResolver) -> dict[str, Any]:
    # Configured here rather than in the Lambda module: importing the OpenAPI models costs cold start.
    app.configure_openapi(
        title="Neptun imports API",
        version="1.0.0",
        description="Records imports (GitHub repositories, public repository URLs, local folders) in Neptun "
        "projects. Every request carries the neptun-session cookie; every error is JSON {statusCode, message}.",
        security_schemes={"neptunSession": APIKey(name=SESSION_COOKIE, **{"in": APIKeyIn.cookie})},
        security=[{"neptunSession": []}],
    )
    document: dict[str, Any] = json.loads(app.get_openapi_json_schema())
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            operation.setdefault("parameters", []).append(_IDEMPOTENCY_KEY_PARAMETER)
            for parameter in operation["parameters"]:
                schema = parameter.get("schema", {})
                for pydantic_name, json_schema_name in _BOUND_NAMES.items():
                    if pydantic_name in schema:
                        schema[json_schema_name] = schema.pop(pydantic_name)
    schemas = document.get("components", {}).get("schemas", {})
    for name in _UNUSED_SCHEMAS:
        schemas.pop(name, None)
    return document
