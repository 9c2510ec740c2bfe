"""The requests the benchmarks send, as API Gateway HTTP API 2.0 events: the create, and one request
for each other route."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from handlers.github_deliveries import WEBHOOK_PATH
from local.apigw_event import http_api_event
from local.settings import DEMO_WEBHOOK_SECRET
from local.template import http_api_routes
from local.webhook import github_headers

ROOT = Path(__file__).resolve().parent.parent

BODY = {"source_type": "github", "source_path": "username/repository", "title": "My GitHub Import"}


def create_event(token: str, user_id: int = 1, project_id: int = 789, body: object = BODY) -> dict[str, Any]:
    path = f"/api/users/{user_id}/projects/{project_id}/resources/imports"
    return http_api_event(
        http_api_routes()[0],
        path_parameters={"user_id": str(user_id), "project_id": str(project_id)},
        method="POST",
        raw_path=path,
        headers=[("content-type", "application/json"), ("cookie", f"neptun-session={token}")],
        body=json.dumps(body).encode(),
    )


# Every function's module with the request its cold start answers and the status that answer must have.
DEMO_IMPORT_ID = 246205947048956


def route_event(
    method: str, path: str, token: str, body: object = None, query: str = "", headers: tuple[tuple[str, str], ...] = ()
) -> dict[str, Any]:
    """A request to any route (the one API Gateway would pick for `method` and `path`)."""
    for route in http_api_routes():
        parameters = route.match(method, path)
        if parameters is not None:
            payload = json.dumps(body).encode() if body is not None else b""
            content_type = (("content-type", "application/json"),) if body is not None else ()
            return http_api_event(
                route,
                path_parameters=parameters,
                method=method,
                raw_path=path,
                raw_query_string=query,
                headers=[*content_type, *headers, ("cookie", f"neptun-session={token}")],
                body=payload,
            )
    raise LookupError(f"no route for {method} {path}")


def function_requests(token: str) -> dict[str, tuple[dict[str, Any], int]]:
    """Function id -> (one successful request to it, its status)."""
    imports = "/api/users/1/projects/789/resources/imports"
    one = f"{imports}/{DEMO_IMPORT_ID}"
    return {
        "CreateImportFunction": (create_event(token), 201),
        "ListImportsFunction": (route_event("GET", imports, token, query="source_type=github"), 200),
        "GetImportFunction": (route_event("GET", one, token), 200),
        "UpdateImportFunction": (route_event("PUT", one, token, body={"title": "Renamed"}), 200),
        "DeleteImportFunction": (route_event("DELETE", one, token), 204),
        "RefreshImportFunction": (route_event("POST", f"{one}/refresh", token), 202),
        # The demo import is a github one: every check, then 409 (signing a form makes no request).
        "GrantImportUploadFunction": (route_event("POST", f"{one}/upload", token), 409),
        # The demo import has no completed run locally: the files routes answer 409 after every check.
        "ListImportFilesFunction": (route_event("GET", f"{one}/files", token), 409),
        "GetImportFileFunction": (route_event("GET", f"{one}/files/README.md", token), 409),
        "GetImportContextFunction": (route_event("GET", f"{one}/context", token), 409),
        # A digest of none of the project's imports: it has no completed one locally.
        "GetProjectContextFunction": (route_event("GET", "/api/users/1/projects/789/resources/context", token), 200),
        # Signed with the local secret; a ping reads no DynamoDB item.
        "GithubWebhookFunction": (delivery_event("ping", "bench-cold-start"), 200),
    }


def delivery_event(payload_file: str, delivery_id: str) -> dict[str, Any]:
    """A signed GitHub delivery of one of the fixture payloads in events/github/."""
    body = (ROOT / "events" / "github" / f"{payload_file}.json").read_bytes()
    return _signed(body, payload_file.split(".", 1)[0], delivery_id)


def signed_delivery(event: str, payload: dict[str, Any], delivery_id: str) -> dict[str, Any]:
    """A delivery of `event` with this payload, signed with the local secret."""
    return _signed(json.dumps(payload).encode(), event, delivery_id)


def _signed(body: bytes, event: str, delivery_id: str) -> dict[str, Any]:
    headers = github_headers(body, event, delivery_id, DEMO_WEBHOOK_SECRET)
    route = next(route for route in http_api_routes() if route.is_github_webhook)
    return http_api_event(
        route, path_parameters={}, method="POST", raw_path=WEBHOOK_PATH, headers=list(headers.items()), body=body
    )
