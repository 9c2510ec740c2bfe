"""Calls the real Lambda handler the way API Gateway does, and reads its responses like a client."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from handlers import create_import
from local.apigw_event import http_api_event
from local.demo import DEMO_PROJECT_ID, DEMO_SESSION_TOKEN, DEMO_USER_ID
from local.lambda_context import LocalLambdaContext
from local.template import http_api_routes

IMPORTS_ROUTE = http_api_routes()[0]


def imports_path(user_id: object = DEMO_USER_ID, project_id: object = DEMO_PROJECT_ID) -> str:
    return f"/api/users/{user_id}/projects/{project_id}/resources/imports"


@dataclass
class HttpResponse:
    status: int
    headers: dict[str, str]
    text: str
    raw: dict[str, Any] = field(repr=False)

    def json(self) -> Any:
        return json.loads(self.text)


def invoke(event: dict[str, Any]) -> HttpResponse:
    """Run the Lambda handler on an event, as API Gateway would, and read its response."""
    raw = create_import.lambda_handler(event, LocalLambdaContext())  # type: ignore[arg-type]
    headers = {name.lower(): value for name, value in raw.get("headers", {}).items()}
    return HttpResponse(status=raw["statusCode"], headers=headers, text=raw.get("body", ""), raw=raw)


def post_imports(
    body: object = None,
    *,
    token: str | None = DEMO_SESSION_TOKEN,
    path: str | None = None,
    headers: Mapping[str, str | None] | None = None,
    cookie_header: str | None = None,
    raw_body: bytes | None = None,
    as_base64: bool = False,
) -> HttpResponse:
    """POST to the imports route the way a client would: JSON body, session cookie, JSON headers."""
    path = path or imports_path()
    path_parameters = IMPORTS_ROUTE.match("POST", path) or {}
    defaults: dict[str, str | None] = {"content-type": "application/json", "accept": "application/json"}
    all_headers = {name: value for name, value in {**defaults, **(headers or {})}.items() if value is not None}
    if cookie_header is None and token is not None:
        cookie_header = f"neptun-session={token}"
    header_pairs = list(all_headers.items()) + ([("cookie", cookie_header)] if cookie_header is not None else [])
    payload = raw_body if raw_body is not None else json.dumps(body).encode() if body is not None else b""
    event = http_api_event(
        IMPORTS_ROUTE,
        path_parameters=path_parameters,
        method="POST",
        raw_path=path,
        headers=header_pairs,
        body=payload,
    )
    if as_base64:  # API Gateway base64-encodes what it does not take for text; force it here
        event["body"], event["isBase64Encoded"] = base64.b64encode(payload).decode("ascii"), True
    return invoke(event)


GITHUB_IMPORT = {
    "source_type": "github",
    "source_path": "username/repository",
    "title": "My GitHub Import",
    "description": "Importing from GitHub repository",
}
