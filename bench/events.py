"""The create request every benchmark sends, as an API Gateway HTTP API 2.0 event."""

from __future__ import annotations

import json
from typing import Any

from local.apigw_event import http_api_event
from local.template import http_api_routes

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
